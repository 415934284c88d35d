#!/usr/bin/env python3
"""Writes the calibrated score threshold into a detector file's metadata (platetop.min_score).

  calibrate.py MODEL.safetensors SCORE [KEY=VALUE ...]   (extra metadata, e.g. platetop.val_recall=0.95)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_io import load, save  # noqa: E402


def main():
    path, score = sys.argv[1], float(sys.argv[2])
    assert 0 < score < 1, score
    tensors, meta = load(path)
    meta = dict(meta or {})
    meta["platetop.min_score"] = repr(score)
    for kv in sys.argv[3:]:
        k, v = kv.split("=", 1)
        meta[k] = v
    save(path, tensors, meta)


if __name__ == "__main__":
    main()
