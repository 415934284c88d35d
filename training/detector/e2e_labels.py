#!/usr/bin/env python3
"""Write DIR/e2e.csv (file,plate) for `platetop eval DIR/e2e.csv`: the composite frames of DIR
(boxes.csv from composite.py) that hold exactly one plate and that plate's text is known
(synthetic or br-plates; real eu-plates crops have no label), for the end-to-end numbers
(detector + recognizer) in models/DETECTOR.md.

  e2e_labels.py /work/cache/platetop-det/test
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import read_boxes  # noqa: E402


def main():
    d = sys.argv[1]
    rows = [(n, b[0][4]) for n, b in sorted(read_boxes(d).items()) if len(b) == 1 and b[0][4]]
    with open(os.path.join(d, "e2e.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "plate"])
        w.writerows(rows)
    print(f"{len(rows)} frames with one labelled plate -> {os.path.join(d, 'e2e.csv')}")


if __name__ == "__main__":
    main()
