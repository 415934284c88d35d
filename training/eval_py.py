#!/usr/bin/env python3
"""Python reference predictions for a platetop LPRNet .safetensors model.

Decodes each image with PIL (libjpeg-turbo, as cv2; the Swift decoder reproduces its baseline
JPEG output bit for bit) or the FFmpeg CLI, applies the exact Swift preprocessing
(training/preprocess.py),
runs the model (batch size 1 semantics), greedy CTC decode, and writes a TSV
`file<TAB>expected<TAB>predicted<TAB>confidence` for the Swift-vs-Python
agreement check.

  eval_py.py MODEL.safetensors DIR [--out preds.tsv] [--decoder ffmpeg|pil]
      DIR contains labels.csv (`file,plate`) and the images, as for `platetop eval`.
  eval_py.py MODEL.safetensors --list training/splits/br_val.csv \
      --data /work/shared/data/br-plates
"""
import argparse
import csv
import json
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lprnet import LPRNet, exported_context_kernel, exported_contrast, exported_widths  # noqa: E402
from preprocess import grey_input, resize  # noqa: E402
from safetensors_io import load  # noqa: E402


def decode_ffmpeg(path):
    """Decode the first frame of an image/video to RGB uint8 [H, W, 3] via ffmpeg PPM pipe."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-frames:v", "1", "-pix_fmt", "rgb24",
                          "-f", "image2pipe", "-c:v", "ppm", "-"], check=True, capture_output=True).stdout
    # P6\n<w> <h>\n<max>\n<data>
    fields, pos = [], 0
    while len(fields) < 4:
        while out[pos:pos + 1].isspace():
            pos += 1
        if out[pos:pos + 1] == b"#":
            pos = out.index(b"\n", pos) + 1
            continue
        end = pos
        while not out[end:end + 1].isspace():
            end += 1
        fields.append(out[pos:end])
        pos = end
    pos += 1
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(out[pos:pos + w * h * 3], np.uint8).reshape(h, w, 3)


def decode_pil(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


def load_model(path):
    t, meta = load(path)
    widths = exported_widths(t)
    class_num = t["backbone.20.weight"].shape[0]
    in_ch = t["backbone.0.weight"].shape[1]
    m = LPRNet(class_num, in_channels=in_ch, widths=widths, per_sample_context=True,
               context_kernel=exported_context_kernel(t), contrast=exported_contrast(meta)).load_exported(t)
    m.eval()
    return m, meta


def ctc_alphabet(meta):
    """The model's class characters and blank index, from its platetop.* metadata."""
    return json.loads(meta["platetop.alphabet"]), int(meta["platetop.blank_index"])


def read_label_rows(path):
    """(file, plate) rows of a `file,plate` labels CSV, plates upper-cased as platetop eval compares them."""
    with open(path, newline="") as f:
        return [(r["file"], r["plate"].strip().upper()) for r in csv.DictReader(f)]


def model_input(rgb, meta):
    mean = float(meta.get("platetop.mean", 127.5))
    scale = float(meta.get("platetop.scale", 0.0078125))
    order = meta.get("platetop.color_order", "gray")
    width = int(meta.get("platetop.input_width", 94))
    height = int(meta.get("platetop.input_height", 24))
    resample = meta.get("platetop.resample", "bilinear")
    if order == "gray":
        x = grey_input(rgb, width, height, resample)[None]
    else:
        chans = [rgb[..., c] for c in ((2, 1, 0) if order == "bgr" else (0, 1, 2))]
        x = np.stack([resize(c, width, height, resample) for c in chans])
    return ((x - mean) * scale).astype(np.float32)


def decode_ctc(logits, alphabet, blank):
    """logits [C, T] -> (text, mean max-probability over emitted steps)."""
    p = torch.softmax(torch.from_numpy(logits), 0).numpy()
    best = p.argmax(0)
    s, confs, prev = [], [], -1
    for t, k in enumerate(best):
        if k != prev and k != blank:
            s.append(alphabet[k])
            confs.append(p[k, t])
        prev = k
    return "".join(s), float(np.mean(confs)) if confs else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("dir", nargs="?", help="folder with labels.csv and images")
    ap.add_argument("--list", help="csv file,plate (alternative to DIR)")
    ap.add_argument("--data", help="image folder for --list")
    ap.add_argument("--out", default="-", help="TSV output path (default stdout)")
    ap.add_argument("--decoder", choices=["ffmpeg", "pil"], default="pil")
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    if a.dir:
        lst, data = os.path.join(a.dir, "labels.csv"), a.dir
    elif a.list and a.data:
        lst, data = a.list, a.data
    else:
        ap.error("give DIR or --list with --data")
    torch.set_num_threads(1)
    model, meta = load_model(a.model)
    alphabet, blank = ctc_alphabet(meta)
    rows = read_label_rows(lst)
    dec = decode_ffmpeg if a.decoder == "ffmpeg" else decode_pil
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    out.write("file\texpected\tpredicted\tconfidence\n")
    correct = 0
    for i in range(0, len(rows), a.batch):
        chunk = rows[i:i + a.batch]
        x = np.stack([model_input(dec(os.path.join(data, fn)), meta) for fn, _ in chunk])
        with torch.no_grad():
            logits = model(torch.from_numpy(x)).numpy()
        for (fn, exp), lo in zip(chunk, logits):
            pred, conf = decode_ctc(lo, alphabet, blank)
            correct += pred == exp
            out.write(f"{fn}\t{exp}\t{pred}\t{conf:.4f}\n")
    if out is not sys.stdout:
        out.close()
    print(f"exact {correct}/{len(rows)} = {100.0 * correct / max(1, len(rows)):.2f}%", file=sys.stderr)


if __name__ == "__main__":
    main()
