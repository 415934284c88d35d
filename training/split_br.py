#!/usr/bin/env python3
"""Split the real Brazilian crops by plate text (seeded) into train/val lists.

  split_br.py [--data /work/shared/data/br-plates] [--val-frac 0.3] [--seed 7]
              [--materialize OUTDIR]

Writes training/splits/br_train.csv and training/splits/br_val.csv
(`file,plate`, file relative to the data dir).  All crops of one plate go to
the same side, so validation plates are never seen in training.
--materialize OUTDIR symlinks the validation images into OUTDIR and writes
OUTDIR/labels.csv so that `platetop eval OUTDIR` can score them.
"""
import argparse
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def read_labels(data):
    with open(os.path.join(data, "labels.csv"), newline="") as f:
        return [(r["file"], r["plate"].strip().upper()) for r in csv.DictReader(f)]


def split(rows, val_frac, seed):
    plates = sorted({p for _, p in rows})
    random.Random(seed).shuffle(plates)
    n_val = int(round(len(plates) * val_frac))
    val_plates = set(plates[:n_val])
    tr = [r for r in rows if r[1] not in val_plates]
    va = [r for r in rows if r[1] in val_plates]
    return tr, va


def write_csv(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "plate"])
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/br-plates")
    ap.add_argument("--val-frac", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--splits", default=os.path.join(HERE, "splits"))
    ap.add_argument("--materialize", metavar="OUTDIR")
    ap.add_argument("--copy", action="store_true", help="copy instead of symlink")
    a = ap.parse_args()
    rows = read_labels(a.data)
    tr, va = split(rows, a.val_frac, a.seed)
    write_csv(os.path.join(a.splits, "br_train.csv"), tr)
    write_csv(os.path.join(a.splits, "br_val.csv"), va)
    print(f"train {len(tr)} crops / {len({p for _, p in tr})} plates; "
          f"val {len(va)} crops / {len({p for _, p in va})} plates")
    if a.materialize:
        os.makedirs(a.materialize, exist_ok=True)
        for fn, _ in va:
            dst = os.path.join(a.materialize, fn)
            src = os.path.abspath(os.path.join(a.data, fn))
            if os.path.lexists(dst):
                os.remove(dst)
            if a.copy:
                import shutil
                shutil.copyfile(src, dst)
            else:
                os.symlink(src, dst)
        write_csv(os.path.join(a.materialize, "labels.csv"), va)
        print(f"materialized {len(va)} files + labels.csv in {a.materialize}")


if __name__ == "__main__":
    main()
