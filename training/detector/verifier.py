#!/usr/bin/env python3
"""Train the detector's second stage, the plate verifier, and add it to a detector file.

  verifier.py --detector models/detector.safetensors \
      --train /work/cache/platetop-det/train960-r4,/work/cache/platetop-det/train960b-r4 \
      --mined /work/cache/platetop-ver/train960-r4.csv,/work/cache/platetop-ver/train960b-r4.csv \
      --val /work/cache/platetop-det/val --val-mined /work/cache/platetop-ver/val.csv \
      --out /work/cache/platetop-ver/run

The detector looks at a frame shrunk to 800 px; the smallest plates and the background text that
looks like them get similar low scores there. The verifier looks again at each candidate the
detector scores at least `candidate_min_score`, in the frame's own pixels: the box grown by
`margin` of its size on each side (clamped to the frame, rounded outwards as the Swift
`PlateDetector.pixelRect`), grey, bilinear half-pixel resize to 96x32 (`preprocess.py`, the
recognizer's rule), `(v - 127.5) / 64`, then a few convolutions (BN folded on export) whose last
1x1 conv gives one logit per cell; the mean over the cells is the plate logit.

Training crops come from `platetop detect-eval --thresholds 0.1 --detections CSV` run with the
detector on the training frames (the candidates the Swift engine really produces): positives are
candidates with IoU >= 0.5 to a labelled plate and every labelled plate with its box jittered
(so plates the detector scores low are learnt too), negatives are candidates with IoU < 0.25.
Photometric jitter per sample (and optionally horizontal flips, `--flip`); `--ema` evaluates and
exports a moving average of the weights.  Every --eval-every steps the combined rule is scored on the
validation candidates (`--val-mined`): a candidate is kept when `det^(1-w) * ver^w` reaches a
threshold; the best (w, threshold) is the highest recall at <= 0.05 false positives per frame
(recall counted over the labelled plates, IoU >= 0.5).  The best checkpoint is written into a
copy of --detector as `verifier.layers.<i>.*` tensors and `platetop.verifier.*` metadata
(OUT/detector.safetensors); the Swift engine reads the same keys.
"""
import argparse
import csv
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)  # first: train.py here, not ../train.py
from train import read_boxes  # noqa: E402  (before detnet, which puts ../ first on the path)
from detnet import folded_layers, format_spec, parse_spec  # noqa: E402
from preprocess import resize_bilinear, rgb_to_gray  # noqa: E402
from safetensors_io import load, save  # noqa: E402

IN_W, IN_H = 96, 32
MEAN, SCALE = 127.5, 1 / 64.0
MARGIN = 0.25
# (out_channels, stride, dilation) of the 3x3 convs; then a 1x1 conv to one logit per cell.
SPEC = [(16, 2, 1), (32, 2, 1), (48, 2, 1), (64, 1, 1)]


class Verifier(nn.Module):
    """Same conv + BN + ReLU layout as detnet.DetNet (so detnet.folded_layers exports it), one
    output channel, averaged over the cells."""

    def __init__(self, spec=SPEC):
        spec = [tuple(l) for l in spec]
        super().__init__()
        self.spec = spec
        layers, c = [], 1
        for (o, s, d) in spec:
            layers.append(nn.Sequential(nn.Conv2d(c, o, 3, s, padding=d, dilation=d, bias=False),
                                        nn.BatchNorm2d(o), nn.ReLU(inplace=True)))
            c = o
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        return self.head(self.body(x)).mean(dim=(1, 2, 3))


def crop_rect(box, margin, fw, fh):
    """PlateDetector.pixelRect: the box grown by margin, rounded outwards, clamped; None if < 2x2."""
    x, y, w, h = box
    mx, my = w * margin, h * margin
    x0, y0 = max(0.0, np.floor(x - mx)), max(0.0, np.floor(y - my))
    x1, y1 = min(float(fw), np.ceil(x + w + mx)), min(float(fh), np.ceil(y + h + my))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def verifier_input(gray, box, margin=MARGIN):
    """grey uint8 frame [H, W] + box (x, y, w, h) -> float32 [IN_H, IN_W] normalised, or None."""
    r = crop_rect(box, margin, gray.shape[1], gray.shape[0])
    if r is None:
        return None
    x0, y0, x1, y1 = r
    return (resize_bilinear(gray[y0:y1, x0:x1], IN_W, IN_H) - MEAN) * SCALE


def load_gray(path):
    return rgb_to_gray(cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))


def read_mined(path):
    """detect-eval --detections CSV -> {file: [(x, y, w, h, score, iou)]}."""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            out.setdefault(r["file"], []).append(tuple(float(r[k]) for k in ("x", "y", "w", "h", "score", "iou")))
    return out


def jittered(rng, box, shift=(0.08, 0.15), scale=0.15):
    x, y, w, h = box
    sw, sh = rng.uniform(1 - scale, 1 + scale), rng.uniform(1 - scale, 1 + scale)
    cx, cy = x + w / 2 + rng.uniform(-shift[0], shift[0]) * w, y + h / 2 + rng.uniform(-shift[1], shift[1]) * h
    return cx - w * sw / 2, cy - h * sh / 2, w * sw, h * sh


def build_train(dirs, mined_files, rng, jitter_copies=2, mined_copies=0, pos_iou=0.5, neg_iou=0.25):
    """Inputs and labels: every mined candidate (plus `mined_copies` jittered copies of it) with
    IoU >= pos_iou (plate) or < neg_iou (not), and `jitter_copies` jittered copies of every
    labelled plate."""
    xs, ys = [], []
    for d, m in zip(dirs, mined_files):
        boxes, dets = read_boxes(d), read_mined(m)
        for name in sorted(boxes):
            gray = load_gray(os.path.join(d, name))
            for (x, y, w, h, score, iou) in dets.get(name, []):
                if iou >= pos_iou:
                    label = 1.0
                elif iou < neg_iou:
                    label = 0.0
                else:
                    continue
                for k in range(1 + mined_copies):
                    b = (x, y, w, h) if k == 0 else jittered(rng, (x, y, w, h), (0.05, 0.08), 0.08)
                    v = verifier_input(gray, b)
                    if v is not None:
                        xs.append(v.astype(np.float16)); ys.append(label)
            for (x, y, w, h, _) in boxes[name]:
                for _ in range(jitter_copies):
                    v = verifier_input(gray, jittered(rng, (x, y, w, h)))
                    if v is not None:
                        xs.append(v.astype(np.float16)); ys.append(1.0)
    return np.stack(xs), np.array(ys, np.float32)


def build_val(d, mined_file):
    """Candidates of the validation frames: inputs, detector scores, best IoUs, frame index."""
    boxes, dets = read_boxes(d), read_mined(mined_file)
    xs, det, ious, frame = [], [], [], []
    names = sorted(boxes)
    plates = sum(len(boxes[n]) for n in names)
    for fi, name in enumerate(names):
        if name not in dets:
            continue
        gray = load_gray(os.path.join(d, name))
        for (x, y, w, h, score, iou) in dets[name]:
            v = verifier_input(gray, (x, y, w, h))
            if v is None:
                v = np.zeros((IN_H, IN_W), np.float32)
            xs.append(v); det.append(score); ious.append(iou); frame.append(fi)
    return np.stack(xs), np.array(det), np.array(ious), len(names), plates


def best_rule(det, ver, ious, frames, plates, max_fp=0.05):
    """(recall, fp/frame, weight, threshold, candidate min score) maximising recall at <= max_fp."""
    best = (0, 0, 0, 0, 0)
    pos = ious >= 0.5
    for md in (0.1, 0.15, 0.2, 0.3):
        for w in (0.0, 0.25, 0.5, 0.75, 1.0):
            comb = np.where(det >= md, det ** (1 - w) * ver ** w, 0)
            order = np.argsort(-comb)
            tp = np.cumsum(pos[order]); fp = np.cumsum(~pos[order])
            ok = fp <= max_fp * frames
            ok &= comb[order] > 0
            if not ok.any():
                continue
            i = np.nonzero(ok)[0].max()
            # the threshold sits at this candidate's combined score: ties below are excluded
            rec = tp[i] / plates
            if rec > best[0]:
                best = (rec, fp[i] / frames, w, float(comb[order][i]), md)
    return best


def export(model, detector_path, out_path, rule, steps, samples):
    tensors, meta = load(detector_path)
    tensors = {k: v for k, v in tensors.items() if not k.startswith("verifier.")}
    meta_layers = []
    for i, (w, b, s, d, p, relu) in enumerate(folded_layers(model)):
        tensors[f"verifier.layers.{i}.weight"] = w.astype("float32")
        tensors[f"verifier.layers.{i}.bias"] = b.astype("float32")
        meta_layers.append({"stride": s, "dilation": d, "padding": p, "relu": relu})
    rec, fpf, w, thr, md = rule
    meta = {k: v for k, v in meta.items() if not k.startswith("platetop.verifier.")}
    meta.update({
        "platetop.verifier.layers": json.dumps(meta_layers, separators=(",", ":")),
        "platetop.verifier.input_width": str(IN_W),
        "platetop.verifier.input_height": str(IN_H),
        "platetop.verifier.margin": repr(MARGIN),
        "platetop.verifier.mean": repr(MEAN),
        "platetop.verifier.scale": repr(SCALE),
        "platetop.verifier.weight": repr(float(w)),
        "platetop.verifier.candidate_min_score": repr(float(md)),
        "platetop.verifier.training_steps": str(steps),
        "platetop.verifier.training_samples": str(samples),
        # the combined score's calibrated threshold (platetop.min_score stays the heat map's own)
        "platetop.verifier.min_score": repr(round(float(thr), 3)),
    })
    save(out_path, tensors, meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", required=True)
    ap.add_argument("--train", required=True, help="composite folders, comma-separated")
    ap.add_argument("--mined", required=True, help="detect-eval --detections CSVs of those folders, comma-separated")
    ap.add_argument("--val", required=True)
    ap.add_argument("--val-mined", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--spec", default=format_spec(SPEC), help="3x3 convs: CHANNELS[sSTRIDE][dDILATION],...")
    ap.add_argument("--mined-copies", type=int, default=0, help="jittered copies of each mined candidate")
    ap.add_argument("--flip", type=float, default=0.0, help="probability of a horizontal flip per sample")
    ap.add_argument("--ema", type=float, default=0.0, help="evaluate and export an exponential moving average "
                    "of the weights with this decay (0: the weights themselves)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    cache = os.path.join(a.out, "train.npz")
    if os.path.exists(cache):
        z = np.load(cache); X, Y = z["x"], z["y"]
    else:
        X, Y = build_train(a.train.split(","), a.mined.split(","), rng, mined_copies=a.mined_copies)
        np.savez(cache, x=X, y=Y)
    VX, vdet, vious, vframes, vplates = build_val(a.val, a.val_mined)
    print(f"train samples {len(Y)} ({int(Y.sum())} plates), val candidates {len(vdet)} in {vframes} frames "
          f"({vplates} plates), built in {time.time() - t0:.0f} s", flush=True)
    print("val detector alone:", best_rule(vdet, np.ones_like(vdet), vious, vframes, vplates), flush=True)
    model = Verifier(parse_spec(a.spec))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.steps, pct_start=0.05)
    lossf = nn.BCEWithLogitsLoss()
    ema = {k: v.clone() for k, v in model.state_dict().items()} if a.ema > 0 else None
    shadow = Verifier(parse_spec(a.spec)) if ema is not None else None  # the EMA weights, for evaluation and export
    vx = torch.from_numpy(VX[:, None].astype(np.float32))
    best = -1
    t0 = time.time()
    for step in range(1, a.steps + 1):
        idx = rng.integers(0, len(Y), a.batch)
        x = X[idx].astype(np.float32)
        # photometric jitter in normalised units: gain, offset, noise
        x = x * rng.uniform(0.7, 1.3, (a.batch, 1, 1)) + rng.uniform(-0.4, 0.4, (a.batch, 1, 1))
        x = x + rng.normal(0, 1, x.shape) * rng.uniform(0, 0.08, (a.batch, 1, 1))
        x = np.clip(x, -MEAN * SCALE, (255 - MEAN) * SCALE)
        if a.flip > 0:
            flip = rng.random(a.batch) < a.flip
            x[flip] = x[flip][:, :, ::-1]
        logit = model(torch.from_numpy(x[:, None].astype(np.float32)))
        loss = lossf(logit, torch.from_numpy(Y[idx]))
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if ema is not None:
            with torch.no_grad():
                for k, v in model.state_dict().items():
                    if v.dtype.is_floating_point:
                        ema[k].mul_(a.ema).add_(v, alpha=1 - a.ema)
                    else:
                        ema[k].copy_(v)
        if step % 100 == 0:
            print(f"{time.strftime('%H:%M:%S')} step {step}/{a.steps} loss {loss.item():.4f} "
                  f"{step / (time.time() - t0):.2f} it/s", flush=True)
        if step % a.eval_every == 0 or step == a.steps:
            if ema is not None:
                shadow.load_state_dict(ema)
                judged = shadow
            else:
                judged = model
            judged.eval()
            with torch.no_grad():
                ver = torch.cat([torch.sigmoid(judged(vx[i:i + 512])) for i in range(0, len(vx), 512)]).numpy()
            rule = best_rule(vdet, ver, vious, vframes, vplates)
            tag = ""
            if rule[0] > best:
                best = rule[0]
                export(judged, a.detector, os.path.join(a.out, "detector.safetensors"), rule, step, len(Y))
                torch.save(judged.state_dict(), os.path.join(a.out, "verifier.pt"))
                tag = " *best*"
            model.train()
            print(f"{time.strftime('%H:%M:%S')} EVAL step {step}: recall {rule[0]:.4f} at {rule[1]:.4f} fp/frame "
                  f"(weight {rule[2]}, threshold {rule[3]:.3f}, candidates >= {rule[4]}){tag}", flush=True)


if __name__ == "__main__":
    main()
