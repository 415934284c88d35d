import Foundation
import Testing

/// `training/train.py`'s grey negatives (`--invert`): a batch drawn with `invert` 1 is the negative of
/// the same draw without it, crop for crop, and `invert` 0 draws exactly the batch it drew before
/// the option existed.
@Suite("trainer's batches", .enabled(if: CLI.pythonImports("torch, numpy, PIL"), "needs /usr/bin/python3 with torch, numpy and PIL"))
struct TrainerBatchTests {
    @Test("training_batch: invert turns chosen crops into grey negatives and keeps the draws")
    func greyNegatives() throws {
        let script = """
            import sys; sys.path.insert(0, sys.argv[1])
            import numpy as np
            from train import training_batch
            g = np.random.default_rng(7)
            sx = g.integers(0, 256, (40, 24, 110)).astype(np.uint8)
            sy = ["AB%03d" % i for i in range(40)]
            real = [g.integers(0, 256, (30, 90, 3)).astype(np.uint8) for _ in range(5)]
            ry = ["BR%04d" % i for i in range(5)]
            def batch(invert=None, seed=3):
                kw = {} if invert is None else {"invert": invert}
                return training_batch(np.random.default_rng(seed), sx, sy, 12, real, ry, 4, 110, **kw)
            x0, l0 = batch()
            xz, lz = batch(0.0)
            x1, l1 = batch(1.0)
            xh, lh = batch(0.5)
            same = [bool(np.array_equal(a, b)) for a, b in zip(xh, x0)]
            neg = [bool(np.allclose(a, -b, atol=1e-5)) for a, b in zip(xh, x0)]
            print(bool((xz == x0).all()), lz == l0, bool(np.allclose(x1, -x0, atol=1e-5)), l1 == l0, lh == l0,
                  all(s or n for s, n in zip(same, neg)), sum(neg), sum(same), len(x0))
            """
        let out = try CLI.tool("/usr/bin/python3", ["-c", script, CLI.packageRoot + "/training"], timeout: 120)
        let f = out.split(whereSeparator: \.isWhitespace).map(String.init)
        try #require(f.count == 9, "\(out)")
        #expect(Array(f.prefix(6)) == ["True", "True", "True", "True", "True", "True"])
        // Half the 16 crops, drawn: some are negatives and some are not (seed 3 gives both).
        let negatives = Int(f[6]) ?? -1, kept = Int(f[7]) ?? -1
        #expect(negatives > 0 && kept > 0 && negatives + kept == 16)
        #expect(f[8] == "16")
    }
}
