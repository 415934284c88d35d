#!/usr/bin/env python3
"""Render plate-detector composites: plates pasted onto real scenes with perspective.

Plates: synthetic (training/render_plates.py styles + dirt/light) and real crops from
eu-plates/ and br-plates/.  Each plate's width is uniform in 1..15 % of the frame width,
warped by a random perspective, blurred, re-lit, and pasted onto a background from
backgrounds/ (split by file: every 5th file, sorted, is validation-only).  About 20 % of
frames have no plate (pure negatives).  Frames are composed at `--compose-width` (16:9 crop
of the background) and then resized with half-pixel bilinear (cv2 INTER_LINEAR, the Swift
rule) to `--width`.

Output: DIR/NNNNNN.jpg and DIR/boxes.csv with rows `file,x,y,w,h,text` (one per plate;
a frame without plates has one row with empty x,y,w,h,text so it still counts as a frame).

  composite.py --split train --count 4000 --out /work/cache/platetop-det/train --width 640
  composite.py --split val --count 400 --out /work/cache/platetop-det/val --width 1280
"""
import argparse
import csv
import glob
import math
import os
import sys

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import render_plates as rp  # noqa: E402

# The render_plates recipe the detector's composites use, pinned so that a new recognizer recipe
# does not change the detector's training and validation sets.
RECIPE = 2
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))


def backgrounds(data, split):
    files = sorted(glob.glob(os.path.join(data, "backgrounds", "*.jpg")) +
                   glob.glob(os.path.join(data, "backgrounds", "*.png")))
    files = sorted(files)
    if split == "val":
        return [f for i, f in enumerate(files) if i % 5 == 0]
    return [f for i, f in enumerate(files) if i % 5 != 0]


def real_plates(data):
    eu = sorted(glob.glob(os.path.join(data, "eu-plates", "*.jpg")) + glob.glob(os.path.join(data, "eu-plates", "*.png")))
    br = []
    lab = os.path.join(data, "br-plates", "labels.csv")
    if os.path.exists(lab):
        with open(lab) as f:
            for row in csv.DictReader(f):
                br.append((os.path.join(data, "br-plates", row["file"]), row["plate"]))
    return [(f, "") for f in eu], br


def bg_frame(rng, path, W, H):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    # random 16:9 crop covering 60..100 % of the limiting side, then resize to W x H
    s = rng.uniform(0.6, 1.0)
    if w / h > W / H:
        ch = int(h * s); cw = int(ch * W / H)
    else:
        cw = int(w * s); ch = int(cw * H / W)
    cw, ch = max(1, min(cw, w)), max(1, min(ch, h))
    x0 = int(rng.integers(0, w - cw + 1)); y0 = int(rng.integers(0, h - ch + 1))
    crop = img[y0:y0 + ch, x0:x0 + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (W, H), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def synth_plate(rng):
    style = rp.STYLES[rng.choice(len(rp.STYLES), p=rp._STYLE_P)][0]
    plate, label = style(rng)
    plate = rp.add_dirt_light(plate, rng)
    return np.asarray(plate.convert("RGB")), label


def load_plate(rng, eu, br):
    r = rng.random()
    if r < 0.55 or (not eu and not br):
        return synth_plate(rng)
    if r < 0.8 and eu:
        f, t = eu[rng.integers(0, len(eu))]
    else:
        f, t = br[rng.integers(0, len(br))]
    img = np.asarray(Image.open(f).convert("RGB"))
    return img, t


def paste(rng, frame, plate, pw_target, taken):
    """Warps `plate` to about `pw_target` pixels wide at a free place; returns box or None."""
    H, W = frame.shape[:2]
    ph0, pw0 = plate.shape[:2]
    ratio = ph0 / pw0
    pw = pw_target
    ph = pw * ratio * rng.uniform(0.85, 1.15)
    # perspective quad around the plate centre
    ang = math.radians(rng.normal(0, 5) if rng.random() < 0.8 else rng.uniform(-20, 20))
    yaw = rng.uniform(-0.3, 0.3) if rng.random() < 0.6 else 0.0
    pitch = rng.uniform(-0.2, 0.2) if rng.random() < 0.4 else 0.0
    shear = rng.uniform(-0.2, 0.2) if rng.random() < 0.3 else 0.0
    p = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]], np.float64)
    p[:, 0] += shear * p[:, 1]
    p[:, 1] *= 1 + yaw * np.sign(p[:, 0])
    p[:, 0] *= 1 + pitch * np.sign(p[:, 1])
    R = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    p = p @ R.T
    bw, bh = np.ptp(p[:, 0]), np.ptp(p[:, 1])
    if bw >= W - 4 or bh >= H - 4:
        return None
    for _ in range(20):
        cx = rng.uniform(bw / 2 + 1, W - bw / 2 - 1)
        cy = rng.uniform(max(bh / 2 + 1, H * 0.15), H - bh / 2 - 1)
        q = p + [cx, cy]
        x0, y0 = q.min(0); x1, y1 = q.max(0)
        box = (x0, y0, x1 - x0, y1 - y0)
        if all(not (x0 < t[0] + t[2] + 4 and t[0] < x1 + 4 and y0 < t[1] + t[3] + 4 and t[1] < y1 + 4) for t in taken):
            break
    else:
        return None
    src = np.array([[0, 0], [pw0, 0], [pw0, ph0], [0, ph0]], np.float32)
    M = cv2.getPerspectiveTransform(src, q.astype(np.float32))
    pl = plate.astype(np.float32)
    # blur relative to the final size (supersampled plates stay sharp otherwise)
    scale = max(bw / pw0, 1e-3)
    if scale < 1:
        sigma = 0.5 / scale * rng.uniform(0.6, 1.2)
        pl = cv2.GaussianBlur(pl, (0, 0), sigma)
    warped = cv2.warpPerspective(pl, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.warpPerspective(np.ones((ph0, pw0), np.float32), M, (W, H), flags=cv2.INTER_LINEAR)
    # lighting: gain / offset per plate, matching the scene somewhat
    warped = warped * rng.uniform(0.55, 1.2) + rng.uniform(-35, 25)
    if rng.random() < 0.3:
        k = rng.uniform(0.5, 1.5)
        warped = cv2.GaussianBlur(warped, (0, 0), k)
        mask = cv2.GaussianBlur(mask, (0, 0), k * 0.5)
    m = mask[..., None]
    frame[:] = frame * (1 - m) + warped * m
    return box


def render(rng, bg_path, eu, br, CW, CH, W, H):
    frame = bg_frame(rng, bg_path, CW, CH)
    gray_bg = float(np.abs(frame[..., 0] - frame[..., 1]).mean() + np.abs(frame[..., 1] - frame[..., 2]).mean()) < 3
    n = 0 if rng.random() < 0.2 else int(rng.choice([1, 1, 1, 2, 2, 3]))
    boxes = []
    for _ in range(n):
        plate, text = load_plate(rng, eu, br)
        pw = rng.uniform(0.01, 0.15) * CW
        b = paste(rng, frame, plate, pw, [bb for bb, _ in boxes])
        if b is not None:
            boxes.append((b, text))
    # global camera effects
    if rng.random() < 0.3:
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.3, 1.2))
    frame = frame * rng.uniform(0.7, 1.2) + rng.uniform(-25, 25)
    frame = frame + rng.normal(0, rng.uniform(0, 6), frame.shape)
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    if gray_bg or rng.random() < 0.3:  # most scenes are grey: plates must not stand out by colour
        frame = np.repeat(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
    sx, sy = W / CW, H / CH
    if (W, H) != (CW, CH):
        frame = cv2.resize(frame, (W, H), interpolation=cv2.INTER_LINEAR)
    out = [((b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy), t) for b, t in boxes]
    return frame, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=["train", "val"], required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--width", type=int, default=640, help="stored frame width (16:9)")
    ap.add_argument("--compose-width", type=int, default=1280)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--quality", type=int, default=92)
    ap.add_argument("--recipe", type=int, choices=[1, 2, 3, 4], default=RECIPE,
                    help="render_plates recipe of the synthetic plates (pinned: the shipped detector's sets)")
    a = ap.parse_args()
    rp.RECIPE = a.recipe
    seed = a.seed if a.seed is not None else (1 if a.split == "train" else 7)
    rng = np.random.default_rng(seed)
    bgs = backgrounds(a.data, a.split)
    eu, br = real_plates(a.data)
    if not bgs:
        raise SystemExit(f"no backgrounds under {a.data}/backgrounds")
    os.makedirs(a.out, exist_ok=True)
    CW = a.compose_width; CH = CW * 9 // 16
    W = a.width; H = W * 9 // 16
    rows = []
    for i in range(a.count):
        bg = bgs[i % len(bgs)] if a.split == "val" else bgs[rng.integers(0, len(bgs))]
        frame, boxes = render(rng, bg, eu, br, CW, CH, W, H)
        name = f"{i:06d}.jpg"
        cv2.imwrite(os.path.join(a.out, name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, a.quality])
        if not boxes:
            rows.append([name, "", "", "", "", ""])
        for (x, y, w, h), t in boxes:
            rows.append([name, round(x), round(y), round(w), round(h), t])
        if (i + 1) % 200 == 0:
            print(f"{a.split}: {i + 1}/{a.count}", flush=True)
    with open(os.path.join(a.out, "boxes.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "x", "y", "w", "h", "text"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
