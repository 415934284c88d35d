#!/usr/bin/env python3
"""Train the platetop plate detector (detnet.DetNet) on composites from composite.py.

  train.py --train /work/cache/platetop-det/train --val /work/cache/platetop-det/val \
      --out /work/cache/platetop-det/run --steps 3000 --threads 2

Samples are random 320x192 crops (half of them centred near a plate) of the 640x360 training
frames; targets per stride-8 cell: Gaussian centre heat-map (CenterNet focal loss), centre
offset and log size at the centre cell (L1).  Every --eval-every steps the model is run on
--eval-n validation frames (resized to 640 wide, the Swift rule) and recall@IoU0.5 and false
positives per frame at --min-score are printed, and the recall at the lowest score threshold
(0.05 steps) with at most 0.05 false positives per frame; the best checkpoint by that calibrated
recall is exported with BN folded, and that threshold as `platetop.min_score`, to
OUT/detector.safetensors (and OUT/detector.pt); the last step also to OUT/last.safetensors.
"""
import argparse
import csv
import math
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from detnet import MEAN, SCALE, SPEC, STRIDE, DetNet, export, format_spec, load_exported, parse_spec, widen  # noqa: E402


def read_boxes(d):
    """DIR/boxes.csv (composite.py) -> {file: [(x, y, w, h, text), ...]}; a frame without plates
    maps to []."""
    frames = {}
    with open(os.path.join(d, "boxes.csv")) as f:
        for r in csv.DictReader(f):
            fr = frames.setdefault(r["file"], [])
            if r["x"] != "":
                fr.append((float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"]), r["text"]))
    return frames


def read_set(d):
    """[(frame path, [(x, y, w, h), ...])], sorted by file name."""
    frames = read_boxes(d)
    return [(os.path.join(d, n), [b[:4] for b in frames[n]]) for n in sorted(frames)]


def load_rgb(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def place_plate(heat, reg, mask, xs, ys, box, s):
    """Marks one plate on a stride-`s` grid, in place: a Gaussian peak (1 at its centre cell) in
    `heat`, and at that cell the centre offset and log size in `reg` and 1 in `mask`."""
    x, y, w, h = box
    cx, cy = (x + w / 2) / s, (y + h / 2) / s
    ix, iy = int(math.floor(cx)), int(math.floor(cy))
    gh, gw = heat.shape
    if not (0 <= ix < gw and 0 <= iy < gh):
        return
    sx, sy = max(0.6, w / s / 6), max(0.6, h / s / 6)
    g = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
    np.maximum(heat, g, out=heat)
    heat[iy, ix] = 1
    reg[:, iy, ix] = [cx - ix, cy - iy, math.log(max(w, 1) / s), math.log(max(h, 1) / s)]
    mask[iy, ix] = 1


def empty_targets(gw, gh):
    """(heat, reg, mask, xs, ys) for a gw x gh grid with no plate yet."""
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    return (np.zeros((gh, gw), np.float32), np.zeros((4, gh, gw), np.float32),
            np.zeros((gh, gw), np.float32), xs, ys)


def targets(boxes, gw, gh, s=STRIDE):
    heat, reg, mask, xs, ys = empty_targets(gw, gh)
    for box in boxes:
        place_plate(heat, reg, mask, xs, ys, box, s)
    return heat, reg, mask


def rescale(rng, img, boxes, cw, ch, scale_range):
    """The frame and its boxes scaled by a random factor from `scale_range` (never below cw x ch)."""
    f = rng.uniform(*scale_range)
    H0, W0 = img.shape[:2]
    nw, nh = max(cw, int(round(W0 * f))), max(ch, int(round(H0 * f)))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    fx, fy = nw / W0, nh / H0
    return img, [(x * fx, y * fy, w * fx, h * fy) for (x, y, w, h) in boxes]


def jittered_crop(rng, img, focus, p_focus, cw, ch):
    """A cw x ch crop with photometric jitter, and its top-left corner: with probability `p_focus`
    (when `focus` has boxes) near one of those boxes, else anywhere; the corner is aligned to the
    stride so the grid matches full-frame inference."""
    H, W = img.shape[:2]
    if focus and rng.random() < p_focus:
        x, y, w, h = focus[rng.integers(0, len(focus))]
        cx, cy = x + w / 2 + rng.uniform(-cw * 0.4, cw * 0.4), y + h / 2 + rng.uniform(-ch * 0.4, ch * 0.4)
        x0, y0 = int(np.clip(cx - cw / 2, 0, W - cw)), int(np.clip(cy - ch / 2, 0, H - ch))
    else:
        x0, y0 = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
    x0 -= x0 % STRIDE; y0 -= y0 % STRIDE
    crop = img[y0:y0 + ch, x0:x0 + cw].astype(np.float32)
    crop = crop * rng.uniform(0.75, 1.25) + rng.uniform(-20, 20)
    if rng.random() < 0.2:
        crop = np.repeat(crop.mean(2, keepdims=True), 3, 2)
    return np.clip(crop, 0, 255), x0, y0


def sample(rng, item, cw, ch, scale_range=(1.0, 1.0)):
    path, boxes = item
    img = load_rgb(path)
    lo, hi = scale_range
    if hi > lo or lo != 1.0:
        # multi-scale: the same plate seen at several input widths (e.g. 960-wide frames shrunk
        # to 640..960) so one model serves any --detector-width in that range
        img, boxes = rescale(rng, img, boxes, cw, ch, scale_range)
    crop, x0, y0 = jittered_crop(rng, img, boxes, 0.5, cw, ch)
    bx = [(x - x0, y - y0, w, h) for (x, y, w, h) in boxes]
    heat, reg, mask = targets(bx, cw // STRIDE, ch // STRIDE)
    return (crop.transpose(2, 0, 1) - MEAN) * SCALE, heat, reg, mask


def focal(logits, heat):
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    neg = 1 - pos
    pl = -torch.log(p) * (1 - p) ** 2 * pos
    nl = -torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg
    n = pos.sum().clamp(min=1)
    return (pl.sum() + nl.sum()) / n


def peaks(out, min_score, s=STRIDE):
    """The heat map's 3x3 local maxima scoring at least `min_score` as (x, y, w, h, score) boxes in
    input pixels of a stride-`s` output, in grid order."""
    heat = torch.sigmoid(out[0])
    peak = F.max_pool2d(heat[None, None], 3, 1, 1)[0, 0]
    keep = (heat >= peak) & (heat >= min_score)
    ys, xs = torch.nonzero(keep, as_tuple=True)
    boxes = []
    for y, x in zip(ys.tolist(), xs.tolist()):
        cx, cy = (x + out[1, y, x].item()) * s, (y + out[2, y, x].item()) * s
        w, h = math.exp(min(out[3, y, x].item(), 12)) * s, math.exp(min(out[4, y, x].item(), 12)) * s
        boxes.append((cx - w / 2, cy - h / 2, w, h, heat[y, x].item()))
    return boxes


def decode(out, min_score, s=STRIDE, nms=0.3, limit=16):
    boxes = peaks(out, min_score, s)
    boxes.sort(key=lambda b: -b[4])
    kept = []
    for b in boxes:
        if len(kept) >= limit:
            break
        if all(iou(b, k) <= nms for k in kept):
            kept.append(b)
    return kept


def iou(a, b):
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = a[2] * a[3] + b[2] * b[3] - inter
    return inter / u if u > 0 else 0


def frame_input(img, width):
    """A whole frame as the network's input: resized to `width` (height a multiple of the stride,
    keeping the aspect), normalised, [1, 3, h, width]; and that height."""
    H, W = img.shape[:2]
    h = max(STRIDE, int(round(H * width / W / STRIDE)) * STRIDE)
    x = cv2.resize(img, (width, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return torch.from_numpy(((x.transpose(2, 0, 1) - MEAN) * SCALE)[None].copy()), h


def evaluate(model, items, min_score, width=640, max_fp=0.05):
    """(recall@0.5, FP/frame) at `min_score`, and (recall, FP/frame, score) at the lowest score
    threshold whose FP/frame is <= `max_fp`, on full frames resized to `width` (boxes scaled back)."""
    model.eval()
    thresholds = [round(0.05 * i, 2) for i in range(1, 20)]
    stats = {t: [0, 0] for t in thresholds}
    tp = fp = npos = 0
    with torch.no_grad():
        for path, boxes in items:
            img = load_rgb(path)
            H, W = img.shape[:2]
            x, h = frame_input(img, width)
            alld = decode(model(x)[0], min(min_score, thresholds[0]))
            sx, sy = W / width, H / h
            alld = [(d[0] * sx, d[1] * sy, d[2] * sx, d[3] * sy, d[4]) for d in alld]
            for t in thresholds:
                mt, mf = match([d for d in alld if d[4] >= t], boxes)
                stats[t][0] += mt; stats[t][1] += mf
            dets = [d for d in alld if d[4] >= min_score]
            used = set()
            npos += len(boxes)
            for d in dets:
                best, bi = 0, -1
                for i, g in enumerate(boxes):
                    if i not in used and iou(d, g) > best:
                        best, bi = iou(d, g), i
                if best >= 0.5:
                    used.add(bi); tp += 1
                else:
                    fp += 1
    model.train()
    n = max(len(items), 1)
    ok = [t for t in thresholds if stats[t][1] / n <= max_fp] or [thresholds[-1]]
    t = ok[0]
    return tp / max(npos, 1), fp / n, (stats[t][0] / max(npos, 1), stats[t][1] / n, t)


def match(dets, boxes):
    used, tp, fp = set(), 0, 0
    for d in sorted(dets, key=lambda d: -d[4]):
        best, bi = 0, -1
        for i, g in enumerate(boxes):
            if i not in used and iou(d, g) > best:
                best, bi = iou(d, g), i
        if best >= 0.5:
            used.add(bi); tp += 1
        else:
            fp += 1
    return tp, fp


def add_run_args(ap):
    """The options train.py and finehead.py share: data, output, schedule, evaluation."""
    ap.add_argument("--train", required=True, help="composite folder(s), comma-separated")
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--crop", default="320x192")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-n", type=int, default=150)


def main():
    ap = argparse.ArgumentParser()
    add_run_args(ap)
    ap.add_argument("--min-score", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--init", help="start from this detector.pt, or an exported detector.safetensors "
                    "(fine-tuned without BN), with a new schedule")
    ap.add_argument("--spec", default=format_spec(SPEC),
                    help="backbone convs of a new model: CHANNELS[sSTRIDE][dDILATION],... (default: the shipped layout)")
    ap.add_argument("--widen", help="with --init X.safetensors: grow its layers to this --spec layout "
                    "(same function at the start; new channels learn from there)")
    ap.add_argument("--scale-range", default="1,1",
                    help="LO,HI: each training frame is resized by a factor drawn from [LO, HI] first")
    ap.add_argument("--eval-width", type=int, default=640, help="validation frames resized to this width")
    a = ap.parse_args()
    from_file = bool(a.init) and a.init.endswith(".safetensors")
    if a.widen and not from_file:
        ap.error("--widen needs --init X.safetensors (an exported detector)")
    if from_file and a.spec != format_spec(SPEC):
        ap.error("--spec lays out a new model; an exported --init brings its own layout (grow it with --widen)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    train = [f for d in a.train.split(",") for f in read_set(d)]
    if a.limit_train:
        train = train[:a.limit_train]
    val = read_set(a.val)[:a.eval_n]
    cw, ch = (int(v) for v in a.crop.split("x"))
    scale_range = tuple(float(v) for v in a.scale_range.split(","))
    if from_file:
        model = load_exported(a.init)
        if a.widen:
            model = widen(model, parse_spec(a.widen))
    else:
        model = DetNet(parse_spec(a.spec))
        if a.init:
            model.load_state_dict(torch.load(a.init))
    nparams = sum(p.numel() for p in model.parameters())
    print(f"train frames {len(train)}, val frames {len(val)}, params {nparams}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.steps, pct_start=0.05)
    best = -1e9
    t0 = time.time()
    for step in range(1, a.steps + 1):
        batch = [sample(rng, train[rng.integers(0, len(train))], cw, ch, scale_range) for _ in range(a.batch)]
        x = torch.from_numpy(np.stack([b[0] for b in batch]).astype(np.float32))
        heat = torch.from_numpy(np.stack([b[1] for b in batch]))
        reg = torch.from_numpy(np.stack([b[2] for b in batch]))
        mask = torch.from_numpy(np.stack([b[3] for b in batch]))
        out = model(x)
        lh = focal(out[:, 0], heat)
        n = mask.sum().clamp(min=1)
        lr_ = (F.l1_loss(out[:, 1:5], reg, reduction="none") * mask[:, None]).sum() / n
        loss = lh + lr_
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            el = time.time() - t0
            print(f"{time.strftime('%H:%M:%S')} step {step}/{a.steps} heat {lh.item():.4f} reg {lr_.item():.4f} "
                  f"{step / el:.2f} it/s", flush=True)
        if step % a.eval_every == 0 or step == a.steps:
            rec, fpf, (crec, cfp, ct) = evaluate(model, val, a.min_score, width=a.eval_width)
            score = crec
            tag = ""
            def save(stem):  # OUT/STEM.safetensors (BN folded, calibrated score) and OUT/STEM.pt
                model.eval()
                export(model, os.path.join(a.out, stem + ".safetensors"),
                       description=f"platetop plate detector, step {step}, {len(train)} composite frames",
                       extra_meta={"platetop.training_steps": step, "platetop.min_score": ct,
                                   "platetop.input_width": a.eval_width})
                model.train()
                torch.save(model.state_dict(), os.path.join(a.out, stem + ".pt"))
            if score > best:
                best = score
                save("detector")
                tag = " *best*"
            if step == a.steps:  # the end of the schedule too, whether or not it is the best
                save("last")
            print(f"{time.strftime('%H:%M:%S')} EVAL step {step} recall@0.5 {rec:.4f} fp/frame {fpf:.4f} "
                  f"(min score {a.min_score}, {len(val)} frames) | calibrated: score {ct} recall {crec:.4f} "
                  f"fp/frame {cfp:.4f}{tag} elapsed {(time.time() - t0) / 60:.1f} min",
                  flush=True)


if __name__ == "__main__":
    main()
