#!/usr/bin/python3
"""Training-step speed of the LPRNet trainer: float32 against `train.py --precision bf16`.

Usage: /usr/bin/python3 training/bench_train.py [--widths 48,96,192,192] [--input-width 110]
       [--batch 64] [--threads 2] [--steps 10] [--rounds 3]
Times full steps (forward, CTC loss on random labels, backward, AdamW) on random input exactly as
train.py runs them, alternating the two precisions for --rounds rounds; prints one line per
precision (best round, ms per step and samples/s) and `speedup_bf16_vs_fp32` (the ratio of the two
best rounds of this run), `cpu_native_bf16` (whether /proc/cpuinfo lists avx512_bf16 or amx_bf16:
without them bf16 is emulated and slower), then the bf16 forward's largest logit difference from float32.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lprnet import LPRNet, supported_width  # noqa: E402
from train import ALPHABET, batch_loss, cpu_native_bf16  # noqa: E402


def make(widths, bf16, seed):
    torch.manual_seed(seed)
    model = LPRNet(len(ALPHABET), in_channels=1, widths=widths, dropout_rate=0.2)
    if bf16:
        model = model.to(memory_format=torch.channels_last)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-4)


def step(model, opt, x, labels, bf16):
    loss = batch_loss(model, x, labels, bf16)
    opt.zero_grad()
    loss.backward()
    opt.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="48,96,192,192")
    ap.add_argument("--input-width", type=int, default=110)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    widths = tuple(int(v) for v in a.widths.split(","))
    if not supported_width(a.input_width):
        raise SystemExit(f"--input-width {a.input_width}: not a supported LPRNet input width")
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((a.batch, 1, 24, a.input_width)).astype(np.float32))
    labels = ["".join(rng.choice(list(ALPHABET[:36]), int(rng.integers(5, 9)))) for _ in range(a.batch)]
    runs = {p: make(widths, p == "bf16", 1) for p in ("fp32", "bf16")}
    best = {p: float("inf") for p in runs}
    for _ in range(a.rounds):
        for p, (model, opt) in runs.items():
            for _ in range(2):
                step(model, opt, x, labels, p == "bf16")
            t = time.perf_counter()
            for _ in range(a.steps):
                step(model, opt, x, labels, p == "bf16")
            best[p] = min(best[p], (time.perf_counter() - t) / a.steps)
    for p, s in best.items():
        print(f"train precision={p} widths={a.widths} input={a.input_width}x24 batch={a.batch} "
              f"threads={a.threads} ms_per_step={s * 1000:.1f} samples_per_s={a.batch / s:.0f}")
    print(f"speedup_bf16_vs_fp32 {best['fp32'] / best['bf16']:.2f}")
    native = cpu_native_bf16()
    print(f"cpu_native_bf16 {'unknown' if native is None else 'yes' if native else 'no'}")
    model, _ = make(widths, False, 2)
    model.eval()
    with torch.no_grad():
        ref = model(x)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            low = model(x).float()
    print(f"bf16_forward_max_abs_logit_diff {float((ref - low).abs().max()):.4f} "
          f"(logit range {float(ref.min()):.2f}..{float(ref.max()):.2f})")


if __name__ == "__main__":
    main()
