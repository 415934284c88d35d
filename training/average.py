#!/usr/bin/env python3
"""Averages the weights of several exported recognizers of one run (stochastic weight averaging).

    /usr/bin/python3 training/average.py OUT.safetensors A.safetensors B.safetensors ... \
        [--bn-recalibrate SHARD_DIR[,SHARD_DIR...]] [--batches 100] [--real-frac 0.3]

Every tensor is the mean of the inputs' (same widths and input width, e.g. `train.py --keep-exports`'s
`exports/step-N.safetensors` of the last evaluations). The averaged batch-norm statistics are only
an estimate of the averaged network's; `--bn-recalibrate` measures them again on training batches
drawn as train.py draws them (synthetic shards + augmented real BR train crops, `--real-frac`),
with the weights fixed. Metadata are the first input's, with the averaging added to the description;
so is the input resize (`platetop.resample`), which the network does not fix: a model trained from
another by `train.py --resample area` averages with it as the first input.
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lprnet import LPRNet, exported_context_kernel, exported_contrast, exported_widths  # noqa: E402
from safetensors_io import load, save  # noqa: E402


def average(paths):
    loaded = [load(p) for p in paths]
    first, meta = loaded[0]
    for p, (t, m) in zip(paths, loaded):
        if set(t) != set(first) or any(t[k].shape != first[k].shape for k in first) \
                or m.get("platetop.input_width") != meta.get("platetop.input_width") \
                or m.get("platetop.input_height", "24") != meta.get("platetop.input_height", "24"):
            raise SystemExit(f"average: {p} is not the same network as {paths[0]}")
        if m.get("platetop.resample", "bilinear") != meta.get("platetop.resample", "bilinear"):
            print(f"average: {p} was trained on {m.get('platetop.resample', 'bilinear')}-resized crops; the mean "
                  f"keeps the first input's {meta.get('platetop.resample', 'bilinear')} resize")
    return {k: np.mean([t[k] for t, _ in loaded], axis=0).astype(np.float32) for k in first}, meta


@torch.no_grad()
def recalibrate(tensors, meta, shard_dirs, batches, batch, real_frac, br_data, splits, seed):
    from train import ALPHABET, load_shards, read_split, training_batch
    width = int(meta.get("platetop.input_width", 94))
    height = int(meta.get("platetop.input_height", 24))
    model = LPRNet(len(ALPHABET), in_channels=1, widths=exported_widths(tensors), dropout_rate=0.0,
                   context_kernel=exported_context_kernel(tensors), contrast=exported_contrast(meta))
    model.load_exported(tensors)
    shards = [load_shards(os.path.join(d, "*.npz")) for d in shard_dirs]
    sx = np.concatenate([x for x, _ in shards])
    sy = [label for _, ys in shards for label in ys]
    if sx.shape[1:] != (height, width):
        raise SystemExit(f"average: shards are {sx.shape[2]}x{sx.shape[1]}, the model {width}x{height}")
    real, real_labels = read_split(os.path.join(splits, "br_train.csv"), br_data)
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches
    model.train()
    n_real = int(round(batch * real_frac))
    for _ in range(batches):
        model(training_batch(rng, sx, sy, batch - n_real, real, real_labels, n_real, width, height=height)[0])
    sd = model.state_dict()
    return {k: sd[k].detach().float().numpy() for k in tensors}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--bn-recalibrate", default=None, help="comma-separated synthetic shard folders")
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64, help="crops per batch (train.py's default)")
    ap.add_argument("--real-frac", type=float, default=0.3)
    ap.add_argument("--br-data", default="/work/shared/data/br-plates")
    ap.add_argument("--splits", default=os.path.join(HERE, "splits"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tensors, meta = average(a.models)
    note = f"mean of {len(a.models)} exports ({', '.join(os.path.basename(p) for p in a.models)})"
    if a.bn_recalibrate:
        tensors = recalibrate(tensors, meta, a.bn_recalibrate.split(","), a.batches, a.batch, a.real_frac,
                              a.br_data, a.splits, a.seed)
        note += f", batch-norm statistics measured on {a.batches} training batches"
    meta = dict(meta)
    meta["platetop.description"] = f"{meta.get('platetop.description', '')} [{note} by average.py]"
    save(a.out, tensors, meta)
    print(f"wrote {a.out}: {note}")


if __name__ == "__main__":
    main()
