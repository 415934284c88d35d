#!/usr/bin/python3
"""PyTorch timing of an LPRNet safetensors model, for bench/recognizer.sh.

Usage: /usr/bin/python3 training/bench_torch.py MODEL.safetensors [--inputs F32FILE] [--threads 1]
       [--batches 1,16] [--runs N] [--warmup N]
Prints, per batch size and per model variant ("seed": the seed's literal nn.MaxPool3d
modules; "sliced": training/lprnet.py's explicit channel-stride pools):
  pytorch variant=seed threads=1 batch=1 per_plate_ms=X median_batch_ms=Y
Inputs: the first `batch` images of a float32 [N, C, 24, 94] file (seed_reference.py's
inputs.f32), or seeded random values.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lprnet import LPRNet, exported_context_kernel, exported_widths  # noqa: E402
from safetensors_io import load  # noqa: E402


def build(path, seed_pools):
    tensors, meta = load(path)
    classes = len(__import__("json").loads(meta["platetop.alphabet"]))
    widths = exported_widths(tensors)
    model = LPRNet(classes, in_channels=int(meta["platetop.input_channels"]), widths=widths, per_sample_context=False,
                   context_kernel=exported_context_kernel(tensors))
    state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    if seed_pools:
        model.use_seed_pools()
    return model.eval(), int(meta["platetop.input_channels"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--inputs")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for variant in ("seed", "sliced"):
        model, channels = build(a.model, variant == "seed")
        for batch in (int(b) for b in a.batches.split(",")):
            if a.inputs:
                x = np.fromfile(a.inputs, dtype=np.float32, count=batch * channels * 24 * 94).reshape(batch, channels, 24, 94)
            else:
                x = np.random.default_rng(0).uniform(-1, 1, (batch, channels, 24, 94)).astype(np.float32)
            x = torch.from_numpy(x.copy())
            times = []
            with torch.no_grad():
                for i in range(a.warmup + a.runs):
                    t0 = time.perf_counter()
                    model(x)
                    t1 = time.perf_counter()
                    if i >= a.warmup:
                        times.append(t1 - t0)
            med = float(np.median(times)) * 1000
            p10 = float(np.percentile(times, 10)) * 1000
            print(f"pytorch variant={variant} threads={a.threads} batch={batch} per_plate_ms={med / batch:.4f} "
                  f"median_batch_ms={med:.4f} p10_batch_ms={p10:.4f}", flush=True)


if __name__ == "__main__":
    main()
