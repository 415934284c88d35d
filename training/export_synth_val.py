#!/usr/bin/env python3
"""Writes the cached synthetic validation crops as PNG files + labels.csv, so the Swift engine can
measure them with `platetop eval OUTDIR` (the model card's synthetic-validation figure).

    /usr/bin/python3 training/export_synth_val.py [--cache /work/cache/platetop] [--set synth-val-v2] [--limit N] OUTDIR
"""
import argparse
import glob
import os

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default="/work/cache/platetop")
    ap.add_argument("--limit", type=int, default=0, help="at most this many crops (0 = all)")
    ap.add_argument("--set", default="synth-val", help="shard folder under --cache")
    ap.add_argument("out")
    a = ap.parse_args()
    shards = sorted(glob.glob(os.path.join(a.cache, a.set, "*.npz")))
    if not shards:
        raise SystemExit(f"export_synth_val: no shards in {a.cache}/{a.set} (run training/make_model.sh first)")
    os.makedirs(a.out, exist_ok=True)
    rows = ["file,plate"]
    n = 0
    for shard in shards:
        d = np.load(shard)
        for img, label in zip(d["x"], d["y"]):
            name = f"synth{n:05d}.png"
            Image.fromarray(img, mode="L").save(os.path.join(a.out, name))
            rows.append(f"{name},{label}")
            n += 1
            if a.limit and n >= a.limit:
                break
        if a.limit and n >= a.limit:
            break
    with open(os.path.join(a.out, "labels.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {n} crops to {a.out}")


if __name__ == "__main__":
    main()
