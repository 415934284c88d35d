#!/usr/bin/python3
"""Writes a tiny randomly initialised LPRNet-family model plus golden inputs/logits, for
platetop's Swift engine tests (no shared data needed).

Usage: /usr/bin/python3 training/make_tiny_golden.py OUT_DIR [WIDTH[xHEIGHT] [CONTEXT_KERNEL [STD,FLOOR]]]
Writes OUT_DIR/tiny.safetensors (gray, widths (8,16,24,12), 11 classes, blank 10, input WIDTH x HEIGHT,
default 94 x 24; container kernel width CONTEXT_KERNEL, default 1; with STD,FLOOR per-crop contrast
normalisation, and the second input image nearly flat so that its deviation is below FLOOR), inputs.f32 float32 [3, 1, HEIGHT, WIDTH] and logits.f32 float32 [3, 11, T] (T = 18 at 94,
the last of lprnet.feature_widths) computed at batch 3 with per-sample context normalisation. Exit code 3 when
torch is unavailable.
"""
import os
import sys

try:
    import torch
except ImportError:
    sys.exit(3)
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lprnet import LPRNet, supported_height, supported_width  # noqa: E402
from safetensors_io import export_lprnet  # noqa: E402


def main():
    out = sys.argv[1]
    size = (sys.argv[2] if len(sys.argv) > 2 else "94").split("x")
    width, height = int(size[0]), int(size[1]) if len(size) > 1 else 24
    context_kernel = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    contrast = tuple(float(v) for v in sys.argv[4].split(",")) if len(sys.argv) > 4 else None
    if not supported_width(width):
        sys.exit(f"make_tiny_golden: width {width} is not an LPRNet input width")
    if not supported_height(height):
        sys.exit(f"make_tiny_golden: height {height} is not an LPRNet input height")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    alphabet = list("0123456789") + ["-"]
    model = LPRNet(class_num=len(alphabet), in_channels=1, widths=(8, 16, 24, 12), per_sample_context=True,
                   context_kernel=context_kernel, contrast=contrast)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.3)
    model.eval()
    x = torch.rand(3, 1, height, width) * 2 - 1
    x[2] *= 0.25  # a different scale per image: context normalisation must be per image
    if contrast:
        x[1] = x[1] * 0.02 + 0.3  # deviation ~0.012: the floor decides the gain
    with torch.no_grad():
        y = model(x)
    export_lprnet(model, os.path.join(out, "tiny.safetensors"), name="tiny-golden", alphabet=alphabet,
                  blank_index=10, in_channels=1, color_order="gray", mean=127.5, scale=1 / 128,
                  description="random tiny model for tests", patterns=["^[0-9]{4}$"], input_width=width,
                  input_height=height)
    x.numpy().astype(np.float32).tofile(os.path.join(out, "inputs.f32"))
    y.numpy().astype(np.float32).tofile(os.path.join(out, "logits.f32"))
    print(model.parameter_count())


if __name__ == "__main__":
    main()
