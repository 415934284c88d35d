#!/usr/bin/python3
"""Builds the seed parity reference for platetop's Swift engine (outside the repo).

Writes to OUT (default /tmp/platetop-seed/):
  seed.safetensors  the converted seed model (training/convert_seed.py)
  reference.tsv     file \t pytorch_prediction \t label   (1000 rows, sorted by file name)
  inputs.f32        float32 [1000, 3, 24, 94]: the exact network inputs (cv2.imread BGR,
                    resize if needed, (x - 127.5) * 0.0078125, CHW), row order of reference.tsv
  logits.f32        float32 [1000, 68, 18]: PyTorch logits at batch 1 (seed semantics)
  summary.txt       "correct N / 1000"
Usage: /usr/bin/python3 training/seed_reference.py [DATA_DIR] [OUT_DIR]
"""
import os
import sys

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_seed import SEED_ALPHABET, SEED_BLANK, convert  # noqa: E402


def greedy(logits):
    """The seed's greedy CTC decode of one [classes, T] array."""
    best = np.argmax(logits, axis=0)
    out, prev = [], None
    for c in best:
        if c != SEED_BLANK and c != prev:
            out.append(SEED_ALPHABET[c])
        prev = c
    return "".join(out)


def label_of(name):
    stem = os.path.splitext(name)[0]
    for sep in "-_":
        stem = stem.split(sep)[0]
    return stem


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "data", "seed-lprnet")
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/platetop-seed"
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    model = convert(os.path.join(data, "Final_LPRNet_model.pth"), os.path.join(out, "seed.safetensors"))
    model.use_seed_pools()
    model.eval()
    test = os.path.join(data, "test")
    names = sorted(n for n in os.listdir(test) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    inputs = np.zeros((len(names), 3, 24, 94), dtype=np.float32)
    logits = np.zeros((len(names), len(SEED_ALPHABET), 18), dtype=np.float32)
    rows, correct = [], 0
    with torch.no_grad():
        for i, n in enumerate(names):
            img = cv2.imread(os.path.join(test, n))
            h, w, _ = img.shape
            if h != 24 or w != 94:
                img = cv2.resize(img, (94, 24))
            x = img.astype("float32")
            x -= 127.5
            x *= 0.0078125
            x = np.transpose(x, (2, 0, 1))
            inputs[i] = x
            y = model(torch.from_numpy(x[None])).numpy()[0]
            logits[i] = y
            pred, lab = greedy(y), label_of(n)
            correct += pred == lab
            rows.append(f"{n}\t{pred}\t{lab}\n")
    inputs.tofile(os.path.join(out, "inputs.f32.tmp"))
    logits.tofile(os.path.join(out, "logits.f32.tmp"))
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(f"correct {correct} / {len(names)}\n")
    os.replace(os.path.join(out, "inputs.f32.tmp"), os.path.join(out, "inputs.f32"))
    os.replace(os.path.join(out, "logits.f32.tmp"), os.path.join(out, "logits.f32"))
    with open(os.path.join(out, "reference.tsv.tmp"), "w", encoding="utf-8") as f:
        f.writelines(rows)
    os.replace(os.path.join(out, "reference.tsv.tmp"), os.path.join(out, "reference.tsv"))
    print(f"correct {correct} / {len(names)}; wrote {out}")


if __name__ == "__main__":
    main()
