#!/usr/bin/env python3
"""Labels real plate crops by eye, starting from the model's reads: contact sheets, then a CSV.

  platetop read --no-detector CROPS... > reads.tsv
  contact_sheet.py sheets reads.tsv SHEETS/ [--per 48]
      writes SHEETS/index.tsv (index, file, read, confidence) and SHEETS/sheet-NNNN.png: every crop
      scaled to 60 px high with its index and the model's read below it, letters in green and digits in
      red, so that O/0, I/1, B/8 and S/5 are told apart at a glance.
  contact_sheet.py labels SHEETS/index.tsv corrections.txt --images DIR --test training/splits/eu_test.csv
      prints file,plate rows: the model's read, or the correction ("INDEX TEXT", or "INDEX -" for a crop
      to leave out: illegible, two lines, non-Latin letters, cut off). Leaves out every crop that is a
      test file, byte-identical to a test image, or whose plate is within one edit of a test plate (the
      same vehicle shot twice), and keeps at most --cap crops of one plate.

training/splits/eu_train.csv was made this way from the eu-N crops of ../shared/data/eu-plates outside
the European test pool (N not 5 mod 10): phase 31 read them, 172 of the 1,055 kept reads were corrected.
"""
import argparse
import collections
import csv
import hashlib
import os
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"


def sheets(a):
    rows = [line.rstrip("\n").split("\t") for line in open(a.reads) if line.strip()]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "index.tsv"), "w") as f:
        for i, (path, text, conf) in enumerate(rows):
            f.write(f"{i}\t{path}\t{text}\t{conf}\n")
    font = ImageFont.truetype(FONT, 16)
    cw, ch, cols = 330, 92, 3
    for start in range(0, len(rows), a.per):
        part = list(enumerate(rows[start:start + a.per], start))
        sheet = Image.new("RGB", (cols * cw, ((len(part) + cols - 1) // cols) * ch), "white")
        d = ImageDraw.Draw(sheet)
        for k, (i, (path, text, conf)) in enumerate(part):
            x, y = (k % cols) * cw, (k // cols) * ch
            im = Image.open(path).convert("RGB")
            s = min(60 / im.height, 320 / im.width)
            sheet.paste(im.resize((max(1, int(im.width * s)), max(1, int(im.height * s))), Image.LANCZOS),
                        (x + 4, y + 2))
            tx = x + 4
            for piece, colour in [(f"{i} ", "black")] + [(c, "red" if c.isdigit() else "green") for c in text] \
                    + [(f" {float(conf):.2f}", "gray")]:
                d.text((tx, y + 66), piece, fill=colour, font=font)
                tx += font.getlength(piece)
        sheet.save(os.path.join(a.out, f"sheet-{start:04d}.png"))
    print(f"{len(rows)} crops on {(len(rows) + a.per - 1) // a.per} sheets in {a.out}", file=sys.stderr)


def within_one_edit(x, y):
    if x == y:
        return True
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        return sum(p != q for p, q in zip(x, y)) == 1
    s, l = sorted((x, y), key=len)
    return any(l[:k] + l[k + 1:] == s for k in range(len(l)))


def labels(a):
    digest = lambda p: hashlib.md5(open(p, "rb").read()).hexdigest()
    corrections = {}
    for line in open(a.corrections):
        if line.strip():
            i, text = line.split()
            corrections[int(i)] = text
    test = list(csv.reader(open(a.test)))[1:] if a.test else []
    test_files = {f for f, _ in test}
    test_plates = [p for _, p in test]
    test_images = {digest(os.path.join(a.images, f)) for f, _ in test}
    seen, per_plate, why = set(), collections.Counter(), collections.Counter()
    print("file,plate")
    for line in open(a.index):
        i, path, read, _ = line.rstrip("\n").split("\t")
        plate = corrections.get(int(i), read)
        name = os.path.basename(path)
        h = digest(os.path.join(a.images, name))
        if plate == "-":
            why["left out by eye"] += 1
        elif not re.fullmatch(r"[0-9A-Z]{2,10}", plate):
            raise SystemExit(f"index {i}: '{plate}' is not a plate text (0-9, A-Z, 2 to 10 characters)")
        elif name in test_files or h in test_images or any(within_one_edit(plate, p) for p in test_plates):
            why["test crop, image or plate"] += 1
        elif h in seen:
            why["duplicate image"] += 1
        elif per_plate[plate] >= a.cap:
            why[f"more than {a.cap} crops of the plate"] += 1
        else:
            seen.add(h)
            per_plate[plate] += 1
            why["kept"] += 1
            print(f"{name},{plate}")
    print(", ".join(f"{k}: {v}" for k, v in why.items()), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sheets")
    s.add_argument("reads", help="platetop read output: FILE<TAB>TEXT<TAB>CONFIDENCE")
    s.add_argument("out")
    s.add_argument("--per", type=int, default=48, help="crops per sheet (default %(default)s)")
    s.set_defaults(run=sheets)
    lab = sub.add_parser("labels")
    lab.add_argument("index")
    lab.add_argument("corrections")
    lab.add_argument("--images", required=True, help="the folder of the crops (and of the test crops)")
    lab.add_argument("--test", help="a file,plate CSV of test crops to keep apart")
    lab.add_argument("--cap", type=int, default=2, help="crops of one plate kept at most (default %(default)s)")
    lab.set_defaults(run=labels)
    a = ap.parse_args()
    a.run(a)


if __name__ == "__main__":
    main()
