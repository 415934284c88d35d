#!/usr/bin/env python3
"""Measures test-time augmentation in Python: each crop is read as it is and as five variants
(3 % off both sides, 6 % off top and bottom, 3 %/6 % edge padding, 3 % off the left only, 3 % off the
right only), and the variants vote (the sum of each string's confidence; a tie goes to the plain read).
The Swift engine does not do this; the model card records what it would gain.

  eval_tta.py MODEL.safetensors LIST.csv DATA_DIR
      LIST.csv: `file,plate` rows, paths relative to DATA_DIR (training/splits/br_val.csv with
      ../shared/data/br-plates, or DIR/labels.csv of export_synth_val.py with DIR)
"""

import argparse
import collections
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_py import ctc_alphabet, decode_ctc, decode_pil, load_model, model_input, read_label_rows  # noqa: E402


def variants(rgb):
    h, w = rgb.shape[:2]
    dx, dy = max(1, round(w * 0.03)), max(1, round(h * 0.06))
    return [rgb, rgb[:, dx:w - dx], rgb[dy:h - dy], np.pad(rgb, ((dy, dy), (dx, dx), (0, 0)), mode="edge"),
            rgb[:, dx:], rgb[:, :w - dx]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("list")
    ap.add_argument("data")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, meta = load_model(a.model)
    alphabet, blank = ctc_alphabet(meta)
    counts = collections.Counter()
    for file, plate in read_label_rows(a.list):
        # one batch of the six variants (the model's context normalisation is per sample)
        x = np.stack([model_input(v, meta) for v in variants(decode_pil(os.path.join(a.data, file)))])
        with torch.no_grad():
            reads = [decode_ctc(lo, alphabet, blank) for lo in model(torch.from_numpy(x)).numpy()]
        score = collections.defaultdict(float)
        for text, conf in reads:
            score[text] += conf
        vote = max(score.items(), key=lambda kv: (kv[1], kv[0] == reads[0][0]))[0]
        counts["plain"] += reads[0][0] == plate
        counts["vote"] += vote == plate
        counts["any variant"] += any(t == plate for t, _ in reads)
        counts["total"] += 1
    n = counts["total"]
    for k in ("plain", "vote", "any variant"):
        print(f"{k}: {counts[k]}/{n} ({100 * counts[k] / max(n, 1):.1f}%)")


if __name__ == "__main__":
    main()
