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
exports a moving average of the weights.  With `--box` the head is a dense layer (a conv whose kernel
covers the last grid) with five outputs: the plate logit and the plate's box as fractions of the
crop (left, top, right, bottom), learnt with an L1 loss on the plates; the Swift engine moves every
kept candidate to that box and suppresses duplicates again, so `--pos-iou 0.3` candidates (boxed
too loosely for IoU 0.5) become plates and `--wide-copies` adds widely jittered plate boxes to learn
from.  Every --eval-every steps the combined rule is scored on the
validation candidates (`--val-mined`): a candidate is kept when `det^(1-w) * ver^w` reaches a
threshold; the best (w, threshold) is the highest recall at <= 0.05 false positives per frame
(recall counted over the labelled plates, IoU >= 0.5 of the moved box, duplicates suppressed at
IoU 0.3 and counted as false positives, as `platetop detect-eval` counts them).  The best checkpoint is written into a
copy of --detector as `verifier.layers.<i>.*` tensors and `platetop.verifier.*` metadata
(OUT/detector.safetensors); the Swift engine reads the same keys.

`--init FILE` fine-tunes the verifier of an exported detector file instead of training a new one
(BN-free, its own layout).  `--second-look GATE` mirrors the Swift engine's second look
(`platetop.verifier.recheck_min_score`): validation candidates whose first combined score reaches
GATE are scored by the verifier on the crop around their moved box, and training gets crops around
the moved boxes of the --init verifier (`--second-look-train-gate`, `--second-look-copies`).
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
from train import iou, read_boxes  # noqa: E402  (before detnet, which puts ../ first on the path)
from detnet import copy_exported, exported_spec, folded_layers, format_spec, parse_spec  # noqa: E402
from preprocess import resize_bilinear, rgb_to_gray  # noqa: E402
from safetensors_io import load, save  # noqa: E402

IN_W, IN_H = 96, 32
MEAN, SCALE = 127.5, 1 / 64.0
MARGIN = 0.25
# (out_channels, stride, dilation) of the 3x3 convs; then a 1x1 conv to one logit per cell.
SPEC = [(16, 2, 1), (32, 2, 1), (48, 2, 1), (64, 1, 1)]


def grid_size(spec, w=IN_W, h=IN_H):
    """Cells after the 3x3 convs of `spec` (padding = dilation) on a w x h input."""
    for (_, s, _) in spec:
        w, h = (w - 1) // s + 1, (h - 1) // s + 1
    return w, h


class Verifier(nn.Module):
    """Same conv + BN + ReLU layout as detnet.DetNet (so detnet.folded_layers exports it).

    Without `box`: a 1x1 conv to one logit per cell, averaged over the cells; forward gives [N]
    logits.  With `box`: the head is one conv whose kernel covers the whole last grid (a dense
    layer) with 5 outputs: the plate logit and the plate's box as fractions of the crop (left, top,
    right, bottom); forward gives [N, 5]."""

    def __init__(self, spec=SPEC, box=False, bn=True):
        spec = [tuple(l) for l in spec]
        super().__init__()
        self.spec = spec
        self.box = box
        layers, c = [], 1
        for (o, s, d) in spec:
            layers.append(nn.Sequential(nn.Conv2d(c, o, 3, s, padding=d, dilation=d, bias=not bn),
                                        nn.BatchNorm2d(o) if bn else nn.Identity(), nn.ReLU(inplace=True)))
            c = o
        self.body = nn.Sequential(*layers)
        if box:
            gw, gh = grid_size(spec)
            self.head = nn.Conv2d(c, 5, (gh, gw))
        else:
            self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        y = self.head(self.body(x)).mean(dim=(2, 3))
        return y if self.box else y[:, 0]


def crop_rect(box, margin, fw, fh):
    """PlateDetector.pixelRect: the box grown by margin, rounded outwards, clamped; None if < 2x2."""
    x, y, w, h = box
    mx, my = w * margin, h * margin
    x0, y0 = max(0.0, np.floor(x - mx)), max(0.0, np.floor(y - my))
    x1, y1 = min(float(fw), np.ceil(x + w + mx)), min(float(fh), np.ceil(y + h + my))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def crop_input(gray, box, margin=MARGIN):
    """grey uint8 frame [H, W] + box (x, y, w, h) -> (crop rect (x0, y0, x1, y1), float32 [IN_H, IN_W]
    normalised), or (None, None) when the crop has fewer than 2x2 pixels."""
    r = crop_rect(box, margin, gray.shape[1], gray.shape[0])
    if r is None:
        return None, None
    x0, y0, x1, y1 = r
    return r, (resize_bilinear(gray[y0:y1, x0:x1], IN_W, IN_H) - MEAN) * SCALE


def verifier_input(gray, box, margin=MARGIN):
    """The verifier's input for `box` (`crop_input` without the rect), or None."""
    return crop_input(gray, box, margin)[1]


def box_target(rect, plate):
    """The plate box (x, y, w, h) as fractions of crop rect (x0, y0, x1, y1): left, top, right, bottom."""
    x0, y0, x1, y1 = rect
    rw, rh = x1 - x0, y1 - y0
    x, y, w, h = plate[:4]
    return ((x - x0) / rw, (y - y0) / rh, (x + w - x0) / rw, (y + h - y0) / rh)


def box_from_fractions(rect, f):
    """The inverse of `box_target`: fractions of crop rect -> (x, y, w, h) in frame pixels."""
    x0, y0, x1, y1 = rect
    rw, rh = x1 - x0, y1 - y0
    return (x0 + f[0] * rw, y0 + f[1] * rh, (f[2] - f[0]) * rw, (f[3] - f[1]) * rh)


def load_exported_verifier(path):
    """(BN-free Verifier holding the verifier of an exported detector file, its metadata), for
    fine-tuning the shipped one (`--init`); box head when the file has one."""
    tensors, meta = load(path)
    spec, head = exported_spec(tensors, meta, "verifier.layers.")
    box = int(tensors[f"verifier.layers.{head}.weight"].shape[0]) == 5
    return copy_exported(Verifier(spec, box=box, bn=False), tensors, "verifier.layers."), meta


def looks(model, inputs):
    """(probabilities [n], box fractions [n, 4]) of a box-head verifier on normalised inputs [n, H, W]."""
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(np.asarray(inputs, np.float32)[:, None])
        y = torch.cat([model(x[i:i + 512]) for i in range(0, len(x), 512)]).numpy()
    return 1 / (1 + np.exp(-y[:, 0])), y[:, 1:]


def moved_boxes(rects, det, p1, fractions, w, gate):
    """The candidates the Swift engine looks at twice: [(index, moved box)] for those with a crop
    (`rects[i]` not None) whose first combined score `det^(1-w) * p1^w` reaches `gate` and whose
    box fractions make a box."""
    return [(i, box_from_fractions(r, f)) for i, (r, d, p, f) in enumerate(zip(rects, det, p1, fractions))
            if r is not None and d ** (1 - w) * p ** w >= gate and f[2] > f[0] and f[3] > f[1]]


def second_probs(model, gray, boxes):
    """The verifier's probability on the crop around each box (0 when the crop has no pixels)."""
    crops = [crop_input(gray, b)[1] for b in boxes]
    have = [k for k, v in enumerate(crops) if v is not None]
    p = np.zeros(len(boxes), np.float32)
    if have:
        p[have] = looks(model, [crops[k] for k in have])[0]
    return p


def second_look_samples(dirs, mined_files, model, w, gate, rng, pos_iou, neg_iou, copies=3):
    """Training crops where the Swift engine takes its second look: around the moved box of every mined
    candidate that `model` (the shipped verifier) would look at twice, labelled by the moved box's IoU
    with the frame's plates (>= pos_iou plate, < neg_iou not); `copies` per box, all but the first
    slightly jittered."""
    xs, ys, ts = [], [], []
    nan = (np.nan,) * 4
    for d, m in zip(dirs, mined_files):
        boxes, dets = read_boxes(d), read_mined(m)
        for name in sorted(boxes):
            cands = dets.get(name, [])
            if not cands:
                continue
            gray = load_gray(os.path.join(d, name))
            plates = boxes[name]
            crops = [crop_input(gray, c[:4]) for c in cands]
            rects = [r for r, _ in crops]
            inputs = [v if v is not None else np.zeros((IN_H, IN_W), np.float32) for _, v in crops]
            p1, f = looks(model, inputs)
            for _, b in moved_boxes(rects, [c[4] for c in cands], p1, f, w, gate):
                labelled = label_for(b, plates, pos_iou, neg_iou)
                if labelled is None:
                    continue
                label, plate = labelled
                for k in range(copies):
                    bb = b if k == 0 else jittered(rng, b, (0.03, 0.05), 0.05)
                    r, v = crop_input(gray, bb)
                    if r is None:
                        continue
                    xs.append(v.astype(np.float16)); ys.append(label)
                    ts.append(box_target(r, plate) if plate is not None else nan)
    return np.stack(xs), np.array(ys, np.float32), np.array(ts, np.float32)


def load_gray(path):
    return rgb_to_gray(cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))


def read_mined(path):
    """detect-eval --detections CSV -> {file: [(x, y, w, h, score, iou)]}."""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            out.setdefault(r["file"], []).append(tuple(float(r[k]) for k in ("x", "y", "w", "h", "score", "iou")))
    return out


def label_for(box, plates, pos_iou, neg_iou):
    """(1.0, the best-overlapping plate) when `box` overlaps it by >= pos_iou, (0.0, None) when it
    overlaps every plate by < neg_iou, None in between (not trained on)."""
    best = max(plates, key=lambda p: iou(box, p), default=None)
    o = iou(box, best) if best is not None else 0.0
    if o >= pos_iou:
        return 1.0, best
    return (0.0, None) if o < neg_iou else None


def jittered(rng, box, shift=(0.08, 0.15), scale=0.15):
    x, y, w, h = box
    sw, sh = rng.uniform(1 - scale, 1 + scale), rng.uniform(1 - scale, 1 + scale)
    cx, cy = x + w / 2 + rng.uniform(-shift[0], shift[0]) * w, y + h / 2 + rng.uniform(-shift[1], shift[1]) * h
    return cx - w * sw / 2, cy - h * sh / 2, w * sw, h * sh


def build_train(dirs, mined_files, rng, jitter_copies=2, mined_copies=0, pos_iou=0.5, neg_iou=0.25,
                wide_copies=0):
    """Inputs, labels and box targets: every mined candidate (plus `mined_copies` jittered copies
    of it) with IoU >= pos_iou (plate) or < neg_iou (not), `jitter_copies` jittered copies of every
    labelled plate and `wide_copies` more with a wide jitter (boxes a box head must correct).
    Targets are the best-overlapping plate as fractions of the crop (`box_target`), NaN for
    non-plates."""
    xs, ys, ts = [], [], []
    nan = (np.nan,) * 4

    def add(gray, b, label, plate):
        r, v = crop_input(gray, b)
        if r is None:
            return
        xs.append(v.astype(np.float16))
        ys.append(label)
        ts.append(box_target(r, plate) if plate is not None else nan)

    for d, m in zip(dirs, mined_files):
        boxes, dets = read_boxes(d), read_mined(m)
        for name in sorted(boxes):
            gray = load_gray(os.path.join(d, name))
            plates = boxes[name]
            for (x, y, w, h, score, _) in dets.get(name, []):
                labelled = label_for((x, y, w, h), plates, pos_iou, neg_iou)
                if labelled is None:
                    continue
                label, plate = labelled
                for k in range(1 + mined_copies):
                    b = (x, y, w, h) if k == 0 else jittered(rng, (x, y, w, h), (0.05, 0.08), 0.08)
                    add(gray, b, label, plate)
            for p in plates:
                for _ in range(jitter_copies):
                    add(gray, jittered(rng, p[:4]), 1.0, p)
                for _ in range(wide_copies):
                    add(gray, jittered(rng, p[:4], (0.25, 0.35), 0.35), 1.0, p)
    return np.stack(xs), np.array(ys, np.float32), np.array(ts, np.float32)


class ValSet:
    """The validation frames' candidates (`detect-eval --detections` rows): verifier inputs,
    heat-map scores, boxes, crop rects and frame indices, with every frame's labelled plates."""

    def __init__(self, d, mined_file):
        boxes, dets = read_boxes(d), read_mined(mined_file)
        xs, det, cand, rects, frame = [], [], [], [], []
        names = sorted(boxes)
        self.truth = [[p[:4] for p in boxes[n]] for n in names]
        self.grays = {}
        for fi, name in enumerate(names):
            if name not in dets:
                continue
            gray = load_gray(os.path.join(d, name))
            self.grays[fi] = gray
            for (x, y, w, h, score, _) in dets[name]:
                r, v = crop_input(gray, (x, y, w, h))
                xs.append(v if v is not None else np.zeros((IN_H, IN_W), np.float32))
                det.append(score); cand.append((x, y, w, h)); rects.append(r); frame.append(fi)
        self.x, self.det, self.boxes, self.rects, self.frame = np.stack(xs), np.array(det), cand, rects, frame
        self.frames, self.plates = len(names), sum(len(t) for t in self.truth)

    def refined(self, fractions):
        """Candidate boxes moved to the box head's output (fractions [n, 4]); the candidates as they are
        when None."""
        if fractions is None:
            return self.boxes
        return [box_from_fractions(r, f) if r is not None else b for b, r, f in zip(self.boxes, self.rects, fractions)]

    def outcomes(self, comb, boxes, nms=0.3, match=0.5):
        """Candidates best combined score first, as the Swift engine keeps them (a box overlapping a
        better kept one of its frame by more than `nms` is dropped): (order, is-plate) with each kept
        candidate matched to its frame's best-overlapping unmatched plate at IoU >= `match`."""
        kept = [[] for _ in range(self.frames)]
        matched = [set() for _ in range(self.frames)]
        order, hit = [], []
        for i in np.argsort(-comb, kind="stable"):
            if comb[i] <= 0:
                break
            f, b = self.frame[i], boxes[i]
            if any(iou(b, k) > nms for k in kept[f]):
                continue
            kept[f].append(b)
            best, bi = match, -1
            for j, t in enumerate(self.truth[f]):
                o = iou(b, t)
                if j not in matched[f] and o >= best:
                    best, bi = o, j
            if bi >= 0:
                matched[f].add(bi)
            order.append(i); hit.append(bi >= 0)
        return np.array(order, int), np.array(hit, bool)

    def second_look_rule(self, model, w, gate, md, max_fp=0.05):
        """`best_rule` at weight `w` and candidate score `md` with the Swift engine's second look
        (`second_look`, gate `gate`): the candidates it looks at twice are scored by the second look."""
        ver, fractions = looks(model, self.x)
        frames = {}
        for i, fi in enumerate(self.frame):
            frames.setdefault(fi, []).append(i)
        for fi, idx in frames.items():
            moved = moved_boxes([self.rects[i] for i in idx], self.det[idx], ver[idx], fractions[idx], w, gate)
            if moved:
                ver[[idx[j] for j, _ in moved]] = second_probs(model, self.grays[fi], [b for _, b in moved])
        return self.best_rule(ver, fractions, max_fp, weights=(w,), mins=(md,))

    def best_rule(self, ver, fractions=None, max_fp=0.05, weights=(0.0, 0.25, 0.5, 0.75, 1.0), mins=(0.1, 0.15, 0.2, 0.3)):
        """(recall, fp/frame, weight, threshold, candidate min score) maximising recall at <= max_fp
        false positives per frame."""
        best = (0, 0, 0, 0, 0)
        boxes = self.refined(fractions)
        for md in mins:
            for w in weights:
                comb = np.where(self.det >= md, self.det ** (1 - w) * ver ** w, 0)
                order, hit = self.outcomes(comb, boxes)
                if len(order) == 0:
                    continue
                tp, fp = np.cumsum(hit), np.cumsum(~hit)
                ok = fp <= max_fp * self.frames
                if not ok.any():
                    continue
                i = np.nonzero(ok)[0].max()
                # the threshold sits at this candidate's combined score: ties below are excluded
                rec = tp[i] / self.plates
                if rec > best[0]:
                    best = (rec, fp[i] / self.frames, w, float(comb[order[i]]), md)
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
        # the combined score's calibrated threshold (platetop.min_score stays the heat map's own),
        # rounded up so that the candidate below it stays out
        "platetop.verifier.min_score": repr(float(np.ceil(thr * 1000) / 1000)),
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
    ap.add_argument("--box", action="store_true", help="a dense head that also gives the plate's box in the crop; "
                    "the Swift engine moves each kept candidate to it")
    ap.add_argument("--box-weight", type=float, default=2.0, help="weight of the box head's L1 loss (fractions of the crop)")
    ap.add_argument("--wide-copies", type=int, default=0, help="copies of every labelled plate with a wide jitter "
                    "(shift 25 %% / 35 %%, size 35 %%), for the box head")
    ap.add_argument("--pos-iou", type=float, default=0.5, help="mined candidates overlapping a plate this much are plates")
    ap.add_argument("--neg-iou", type=float, default=0.25, help="mined candidates overlapping every plate less are not")
    ap.add_argument("--init", help="fine-tune the verifier of this exported detector file (BN-free, its own layout; "
                    "implies --box when it has a box head)")
    ap.add_argument("--second-look", type=float, default=0.0, help="with --init: the Swift engine's second-look gate "
                    "(platetop.verifier.recheck_min_score): adds crops around the moved boxes the --init verifier looks "
                    "at twice, and scores the validation candidates with the second look")
    ap.add_argument("--second-look-copies", type=int, default=3, help="crops per second-look box (all but one jittered)")
    ap.add_argument("--second-look-train-gate", type=float, default=None, help="the gate for the training crops "
                    "(default: --second-look); lower adds the moved boxes of more candidates, most of them not plates")
    a = ap.parse_args()
    if a.second_look and not a.init:
        ap.error("--second-look needs --init (the verifier whose moved boxes are looked at)")
    if a.init:
        init, init_meta = load_exported_verifier(a.init)
        w0, md0 = float(init_meta["platetop.verifier.weight"]), float(init_meta["platetop.verifier.candidate_min_score"])
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    cache = os.path.join(a.out, "train.npz")
    if os.path.exists(cache):
        z = np.load(cache); X, Y = z["x"], z["y"]
        T = z["t"] if "t" in z else np.full((len(Y), 4), np.nan, np.float32)
    else:
        X, Y, T = build_train(a.train.split(","), a.mined.split(","), rng, mined_copies=a.mined_copies,
                              pos_iou=a.pos_iou, neg_iou=a.neg_iou, wide_copies=a.wide_copies)
        if a.second_look:
            gate = a.second_look_train_gate if a.second_look_train_gate is not None else a.second_look
            X2, Y2, T2 = second_look_samples(a.train.split(","), a.mined.split(","), init, w0, gate, rng,
                                             a.pos_iou, a.neg_iou, a.second_look_copies)
            print(f"second-look crops: {len(Y2)} ({int(Y2.sum())} plates)", flush=True)
            X, Y, T = np.concatenate([X, X2]), np.concatenate([Y, Y2]), np.concatenate([T, T2])
        np.savez(cache, x=X, y=Y, t=T)
    val = ValSet(a.val, a.val_mined)
    print(f"train samples {len(Y)} ({int(Y.sum())} plates), val candidates {len(val.det)} in {val.frames} frames "
          f"({val.plates} plates), built in {time.time() - t0:.0f} s", flush=True)
    print("val detector alone:", val.best_rule(np.ones_like(val.det)), flush=True)
    if a.init:
        model, spec, a.box, bn = init, init.spec, init.box, False
    else:
        spec, bn = parse_spec(a.spec), True
        model = Verifier(spec, box=a.box)
    if a.second_look:
        print("val, the --init verifier with the second look:", val.second_look_rule(model, w0, a.second_look, md0), flush=True)
        model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.steps, pct_start=0.05)
    lossf = nn.BCEWithLogitsLoss()
    ema = {k: v.clone() for k, v in model.state_dict().items()} if a.ema > 0 else None
    shadow = Verifier(spec, box=a.box, bn=bn) if ema is not None else None  # the EMA weights, for evaluation and export
    vx = torch.from_numpy(val.x[:, None].astype(np.float32))
    best = -1
    t0 = time.time()
    for step in range(1, a.steps + 1):
        idx = rng.integers(0, len(Y), a.batch)
        x = X[idx].astype(np.float32)
        t = T[idx].copy()
        # photometric jitter in normalised units: gain, offset, noise
        x = x * rng.uniform(0.7, 1.3, (a.batch, 1, 1)) + rng.uniform(-0.4, 0.4, (a.batch, 1, 1))
        x = x + rng.normal(0, 1, x.shape) * rng.uniform(0, 0.08, (a.batch, 1, 1))
        x = np.clip(x, -MEAN * SCALE, (255 - MEAN) * SCALE)
        if a.flip > 0:
            flip = rng.random(a.batch) < a.flip
            x[flip] = x[flip][:, :, ::-1]
            t[flip] = np.stack([1 - t[flip][:, 2], t[flip][:, 1], 1 - t[flip][:, 0], t[flip][:, 3]], 1)
        out = model(torch.from_numpy(x[:, None].astype(np.float32)))
        logit = out[:, 0] if a.box else out
        loss = lossf(logit, torch.from_numpy(Y[idx]))
        if a.box:
            has = torch.from_numpy(~np.isnan(t[:, 0]))
            if has.any():
                loss = loss + a.box_weight * (out[has, 1:] - torch.from_numpy(t[has.numpy()])).abs().mean()
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
            if a.second_look:
                rule = val.second_look_rule(judged, w0, a.second_look, md0)
            else:
                with torch.no_grad():
                    y = torch.cat([judged(vx[i:i + 512]) for i in range(0, len(vx), 512)]).numpy()
                ver, fractions = (y[:, 0], y[:, 1:]) if a.box else (y, None)
                rule = val.best_rule(1 / (1 + np.exp(-ver)), fractions)
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
