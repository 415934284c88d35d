import Foundation
import Testing

/// `training/train.py`'s grey negatives (`--invert`): a batch drawn with `invert` 1 is the negative of
/// the same draw without it, crop for crop, and `invert` 0 draws exactly the batch it drew before
/// the option existed. Its letter splices (`--letter-splice`) move each letter cell with its label.
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

    @Test("letter_splice: each letter cell moves with its letter; share 0 keeps the draws")
    func letterSplices() throws {
        // Crop i's letter cell k is flat grey 10 * i + k + 1 (columns 5-15, 15-25, 25-35); the
        // digits side is flat 200. Without foreign letters, the splice's slot k must hold the grey
        // of the cell whose letter the label puts at k.
        let script = """
            import sys; sys.path.insert(0, sys.argv[1])
            import numpy as np
            from train import letter_splice, real_part
            imgs, labels, cells = [], [], []
            for i, lab in enumerate(["ABC1234", "DEF5678", "GHJ9012", "KLM3456"]):
                im = np.full((20, 60, 3), 200, np.uint8)
                for k in range(3):
                    im[:, 5 + 10 * k:15 + 10 * k] = 10 * i + k + 1
                imgs.append(im); labels.append(lab); cells.append((5, 15, 25, 35))
            cells[3] = None
            grey = {lab[k]: 10 * i + k + 1 for i, lab in enumerate(labels) for k in range(3)}
            rng = np.random.default_rng(5)
            moved, shuffled, digits_kept, from_aligned = 0, 0, 0, 0
            for _ in range(60):
                out, lab = letter_splice(imgs, labels, cells, rng, foreign=0.0)
                src = [l for l in labels if l[3:] == lab[3:]][0]
                moved += all(int(out[0, 5 + 10 * k, 0]) == grey[lab[k]] for k in range(3)) and (out[:, 35:] == 200).all()
                shuffled += sorted(lab[:3]) == sorted(src[:3])
                digits_kept += lab[3:] in ("1234", "5678", "9012")
            for _ in range(60):
                out, lab = letter_splice(imgs, labels, cells, rng, foreign=1.0)
                from_aligned += all(c in "ABCDEFGHJ" for c in lab[:3]) and lab[3:] in ("1234", "5678", "9012")
            r0 = real_part(np.random.default_rng(9), imgs, labels, 6, 110)
            rz = real_part(np.random.default_rng(9), imgs, labels, 6, 110, cells=cells, letter_splice_share=0.0)
            r1 = real_part(np.random.default_rng(9), imgs, labels, 6, 110, cells=cells, letter_splice_share=1.0)
            print(moved, shuffled, digits_kept, from_aligned, bool((r0[0] == rz[0]).all()) and r0[1] == rz[1],
                  sum(l[:3] not in ("ABC", "DEF", "GHJ", "KLM") for l in r1[1]))
            """
        let out = try CLI.tool("/usr/bin/python3", ["-c", script, CLI.packageRoot + "/training"], timeout: 120)
        let f = out.split(whereSeparator: \.isWhitespace).map(String.init)
        try #require(f.count == 6, "\(out)")
        #expect(Array(f.prefix(5)) == ["60", "60", "60", "60", "True"], "\(out)")
        // Six spliced crops, each shuffled: most get a letter group none of the crops has.
        #expect((Int(f[5]) ?? -1) >= 3, "\(out)")
    }
}
