#!/usr/bin/env python3
"""Golden data for the Swift detector test: a small random detector (random BN statistics, so
folding is exercised) and its PyTorch output on a random input.  The detector file is that model
exported, re-loaded (`load_exported`) and grown by `widen` to more channels, which must compute
the same output (checked here too), so the test also covers fine-tuning a shipped file into a
wider layout.

  make_golden.py OUT_DIR   ->  OUT_DIR/detector.safetensors, OUT_DIR/golden.safetensors
golden.safetensors holds `input` [3, H, W] (normalised planar) and `output` [5, h, w].

It also writes OUT_DIR/verified.safetensors: that detector plus a small random verifier
(verifier.py's layout, random BN statistics), and in golden.safetensors a random RGB `frame`
[H, W, 3] (values 0..255), boxes `verifier_boxes` [n, 4] (x, y, w, h in frame pixels, some
running past the frame's edge) and the verifier's plate probabilities `verifier_probs` [n].
OUT_DIR/boxed.safetensors has a verifier with the box head instead (`verifier.py --box`: a dense
last layer, 5 outputs); golden `boxed_outputs` [n, 5] holds its probability and the plate box in
frame pixels (x, y, w, h) for the same boxes.
OUT_DIR/fine.safetensors is the detector plus a random fine head (`finehead.py`'s layout: stride-4
features of layer 1 and the 1x1-reduced, upsampled features of the last 3x3 layer); golden
`fine_input` [3, H2, W2] (a size whose stride-4 grid is odd) holds its input and `fine_main`,
`fine_output` the main and the fine head's outputs. OUT_DIR/fine2.safetensors has a fine head whose
context joins after its 3x3 conv (`finehead.py --hidden`); golden `fine2_output` is its output.
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from detnet import SPEC, DetNet, export, load_exported, widen  # noqa: E402
import verifier as ver  # noqa: E402
import finehead  # noqa: E402
from safetensors_io import save  # noqa: E402


def randomize_bn(model):
    """Random BN statistics and affine terms (so folding on export is exercised) and head bias."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.3, 0.3)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
        model.head.bias.uniform_(-0.5, 0.5)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(3)
    spec = [(6, 2, 1), (8, 2, 1), (8, 1, 2)] + [(c // 4, s, d) for c, s, d in SPEC[2:]]
    m = DetNet(spec)
    randomize_bn(m)
    m.eval()
    narrow = os.path.join(out, "narrow.safetensors")
    export(m, narrow, name="golden-random")
    wide = widen(load_exported(narrow), [(c + 3, s, d) for c, s, d in spec], seed=5)
    os.remove(narrow)
    wide.eval()
    export(wide, os.path.join(out, "detector.safetensors"), name="golden-random")
    x = torch.randn(1, 3, 45, 70)
    with torch.no_grad():
        y = m(x)
        diff = (wide(x) - y).abs().max().item()
    if diff > 1e-4:
        raise SystemExit(f"widened detector differs from the original by {diff}")
    v = ver.Verifier([(6, 2, 1), (8, 2, 1), (8, 1, 2)])
    randomize_bn(v)
    with torch.no_grad():
        v.head.weight.mul_(10)  # spread the probabilities so a wrong crop shows
    v.eval()
    ver.export(v, os.path.join(out, "detector.safetensors"), os.path.join(out, "verified.safetensors"),
               (0.0, 0.0, 0.5, 0.4, 0.2), 0, 0)
    rng = np.random.default_rng(4)
    frame = rng.integers(0, 256, (60, 90, 3)).astype(np.uint8)
    frame[10:30, 20:70] //= 3  # some structure: a dark band
    boxes = np.array([[22.3, 12.7, 40.0, 12.5], [8.0, 22.0, 26.0, 12.0], [75.5, -4.0, 30.0, 14.0]], np.float32)
    gray = ver.rgb_to_gray(frame)
    with torch.no_grad():
        probs = [torch.sigmoid(v(torch.from_numpy(ver.verifier_input(gray, tuple(float(t) for t in b))[None, None]))).item()
                 for b in boxes]
    vb = ver.Verifier([(6, 2, 1), (8, 2, 1), (8, 1, 2)], box=True)
    randomize_bn(vb)
    with torch.no_grad():
        vb.head.weight.mul_(3)
        vb.head.bias[1:] = torch.tensor([0.2, 0.25, 0.8, 0.75])  # boxes near the crop's plate area
    vb.eval()
    ver.export(vb, os.path.join(out, "detector.safetensors"), os.path.join(out, "boxed.safetensors"),
               (0.0, 0.0, 0.5, 0.4, 0.2), 0, 0)
    boxed = []
    for b in boxes:
        rect, inp = ver.crop_input(gray, tuple(float(t) for t in b))
        with torch.no_grad():
            o = vb(torch.from_numpy(inp[None, None]))[0].numpy().astype(np.float64)
        boxed.append([1 / (1 + np.exp(-o[0]))] + list(ver.box_from_fractions(rect, o[1:])))
    class Args:
        input_layer, context_layer, max_width = 1, len(wide.body) - 1, 32

    def random_fine_head(name, **layout):
        """A fine head with uniform random weights on `wide`, exported as OUT_DIR/<name>."""
        head = finehead.FineHead(wide.body[1][0].out_channels, wide.body[-1][0].out_channels, **layout)
        with torch.no_grad():
            for p in head.parameters():
                p.uniform_(-0.5, 0.5)
        head.eval()
        finehead.export(os.path.join(out, "detector.safetensors"), head, os.path.join(out, name), Args, 0.3, 0)
        return head
    fh = random_fine_head("fine.safetensors", ctx=3, mid=5)
    fh2 = random_fine_head("fine2.safetensors", ctx=3, mid=4, hidden=6)
    x2 = torch.randn(1, 3, 50, 58)  # stride-4 grid 13x15, stride-8 grid 7x8: the upsampling's last row/column
    with torch.no_grad():
        f4, f8 = finehead.features(wide, x2, 1, len(wide.body) - 1)
        fine_out, fine_main, fine2_out = fh(f4, f8), wide(x2), fh2(f4, f8)
    save(os.path.join(out, "golden.safetensors"),
         {"input": x[0].numpy().astype(np.float32), "output": y[0].numpy().astype(np.float32),
          "fine_input": x2[0].numpy().astype(np.float32), "fine_main": fine_main[0].numpy().astype(np.float32),
          "fine_output": fine_out[0].numpy().astype(np.float32),
          "fine2_output": fine2_out[0].numpy().astype(np.float32),
          "frame": frame.astype(np.float32), "verifier_boxes": boxes, "verifier_probs": np.array(probs, np.float32),
          "boxed_outputs": np.array(boxed, np.float32)})
    print(tuple(y.shape))


if __name__ == "__main__":
    main()
