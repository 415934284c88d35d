import Foundation
import Testing

/// `training/train.py`'s grey negatives (`--invert`): a batch drawn with `invert` 1 is the negative of
/// the same draw without it, crop for crop, and `invert` 0 draws exactly the batch it drew before
/// the option existed. Its letter splices (`--letter-splice`) move each letter cell with its label.
/// Its sharpness-aware steps (`--sam`) take the gradient at the perturbed weights and leave the
/// weights and batch-norm statistics as they were.
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

    @Test("sam_gradient: the gradient at w + rho g/|g|, weights and running statistics kept")
    func sharpnessAwareGradient() throws {
        let script = """
            import sys; sys.path.insert(0, sys.argv[1])
            import copy
            import numpy as np, torch
            from lprnet import LPRNet
            from train import ALPHABET, batch_loss, sam_gradient
            torch.manual_seed(0)
            model = LPRNet(len(ALPHABET), in_channels=1, widths=(8, 16, 32, 32), dropout_rate=0.0, context_kernel=3)
            model.train()
            g = np.random.default_rng(1)
            xb = torch.from_numpy(g.normal(0, 0.5, (6, 1, 24, 110)).astype(np.float32))
            labels = ["AB%04d" % i for i in range(6)]
            def grads(m):
                return [p.grad.detach().clone() for p in m.parameters() if p.grad is not None]
            loss0 = batch_loss(model, xb, labels)
            loss0.backward()
            g0 = grads(model)
            # rho 0: the same point, so the same gradient, and the weights and running statistics untouched
            sam_gradient(model, xb, labels, 0.0)
            same0 = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(grads(model), g0))
            # rho 0.05: the gradient taken by hand at w + 0.05 g / |g| on a copy
            model.zero_grad(); batch_loss(model, xb, labels).backward()
            twin = copy.deepcopy(model)
            pairs = [(p, q) for p, q in zip(model.parameters(), twin.parameters()) if p.grad is not None]
            norm = torch.norm(torch.stack([p.grad.norm(2) for p, _ in pairs]), 2)
            with torch.no_grad():
                for p, q in pairs:
                    q.add_(p.grad * (0.05 / norm))
            state_before_sam = copy.deepcopy(model.state_dict())
            loss = sam_gradient(model, xb, labels, 0.05)
            twin.zero_grad(); twin_loss = batch_loss(twin, xb, labels); twin_loss.backward()
            matches = all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads(model), grads(twin)))
            moved = max(float((a - b).abs().max()) for a, b in zip(grads(model), g0))
            after = model.state_dict()
            weights_kept = all(torch.equal(state_before_sam[k], after[k]) for k in after if "num_batches" not in k)
            print(same0, matches, moved > 1e-4, weights_kept, abs(float(loss) - float(twin_loss)) < 1e-5, float(loss) > float(loss0), len(g0))
            """
        let out = try CLI.tool("/usr/bin/python3", ["-c", script, CLI.packageRoot + "/training"], timeout: 120)
        let f = out.split(whereSeparator: \.isWhitespace).map(String.init)
        try #require(f.count == 7, "\(out)")
        // rho 0 gives the plain gradient; rho 0.05 the one computed by hand at the moved weights (and
        // not the plain one), on a higher loss; the weights and running statistics are restored exactly.
        #expect(Array(f.prefix(6)) == ["True", "True", "True", "True", "True", "True"], "\(out)")
        #expect(f[6] == "44", "\(out)")
    }
}
