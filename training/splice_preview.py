#!/usr/bin/env python3
"""Writes the real-crop splices `train.py --real-splice` trains on, as images a person or
`platetop eval` can read: one BR train crop's letters beside another's digits, cut where MODEL's CTC
peaks place the separator (train.splice_cuts / train.splice_real), before augmentation. With
`--letters`, the splices of `train.py --letter-splice` instead: one crop's letters shuffled and some
swapped for other crops' letters (train.letter_cells / train.letter_splice).

  splice_preview.py MODEL.safetensors OUT_DIR [--count 40] [--seed 0] [--letters]
      OUT_DIR gets splice-N.png and labels.csv (`file,plate`), so `platetop eval OUT_DIR` reads them.
"""
import argparse
import csv
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from eval_py import load_model  # noqa: E402
from train import letter_cells, letter_splice, read_split, splice_cuts, splice_real  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--br-data", default=os.path.join(HERE, "..", "..", "shared", "data", "br-plates"))
    ap.add_argument("--split", default=os.path.join(HERE, "splits", "br_train.csv"))
    ap.add_argument("--letters", action="store_true", help="letter splices (train.py --letter-splice)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, meta = load_model(a.model)
    imgs, labels = read_split(a.split, a.br_data)
    width = int(meta.get("platetop.input_width", 94))
    if a.letters:
        aligned = letter_cells(model, imgs, labels, width)

        def make(rng):
            return letter_splice(imgs, labels, aligned, rng)
    else:
        aligned = splice_cuts(model, imgs, labels, width)

        def make(rng):
            return splice_real(imgs, labels, aligned, rng)
    n_aligned = sum(c is not None for c in aligned)
    if n_aligned < 2:
        raise SystemExit(f"{a.model} aligns fewer than two crops of {a.split}")
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "labels.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "plate"])
        for i in range(a.count):
            rgb, label = make(rng)
            name = f"splice-{i}.png"
            Image.fromarray(rgb).save(os.path.join(a.out, name))
            w.writerow([name, label])
    print(f"wrote {a.count} splices of {n_aligned} aligned crops to {a.out}")


if __name__ == "__main__":
    main()
