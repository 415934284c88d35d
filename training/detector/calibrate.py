#!/usr/bin/env python3
"""Writes the calibrated score threshold into a detector file's metadata (platetop.min_score).

  calibrate.py MODEL.safetensors SCORE [--drop-fine] [KEY=VALUE ...]   (extra metadata, e.g. platetop.val_recall=0.95)

--drop-fine removes a fine head (the `fine.*` tensors and `platetop.fine.*` metadata that
finehead.py adds), keeping the backbone, main head and verifier as they are.
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
    args = sys.argv[3:]
    if "--drop-fine" in args:
        args = [a for a in args if a != "--drop-fine"]
        tensors = {k: v for k, v in tensors.items() if not k.startswith("fine.")}
        meta = {k: v for k, v in meta.items() if not k.startswith("platetop.fine.")}
    for kv in args:
        k, v = kv.split("=", 1)
        meta[k] = v
    save(path, tensors, meta)


if __name__ == "__main__":
    main()
