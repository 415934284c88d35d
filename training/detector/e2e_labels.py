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


def main():
    d = sys.argv[1]
    frames = {}
    with open(os.path.join(d, "boxes.csv")) as f:
        for r in csv.DictReader(f):
            fr = frames.setdefault(r["file"], [])
            if r["x"] != "":
                fr.append(r["text"])
    rows = [(n, t[0]) for n, t in sorted(frames.items()) if len(t) == 1 and t[0]]
    with open(os.path.join(d, "e2e.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "plate"])
        w.writerows(rows)
    print(f"{len(rows)} frames with one labelled plate -> {os.path.join(d, 'e2e.csv')}")


if __name__ == "__main__":
    main()
