#!/usr/bin/env python3
"""Train the detector's fine head: a stride-4 heat map for the smallest plates.

At the shipped input width (800 px) a plate 1-3 % of the frame wide is one or two stride-8 cells,
and for many of them the stride-8 heat map has no peak at all, so no verifier can find them. The
fine head reads the backbone's stride-4 features (`--input-layer`, after its ReLU) together with
its last stride-8 features (`--context-layer`) reduced by a 1x1 conv and upsampled x2 (nearest),
concatenated to those features (or, with `--hidden N`, to the output of its 3x3 conv, followed by a
1x1 layer of N channels: more context for less stride-4 work), and gives the same 5 channels per stride-4 cell as the main head (heat logit, centre offset x/y in
cells, log(w/4), log(h/4)). Only plates narrower than `--max-width` input pixels are its positives;
plates up to 1.5x that are ignored (no heat loss); larger plates are background for it.

The shipped detector (backbone, stride-8 head, verifier) is frozen and copied unchanged, so every
number of the stride-8 path stays; the fine head's tensors are added:
  fine.context.<i>.weight/bias  (1x1 convs on the context features, `platetop.fine.context_layers`)
  fine.layers.<i>.weight/bias   (the fine head's own convs, `platetop.fine.layers`)
  platetop.fine.input_layer, platetop.fine.context_layer (backbone layer indices, 0-based),
  platetop.fine.context_joins_layer (with --hidden: 1, the fine layer whose input gets the context),
  platetop.fine.min_score (its heat floor: candidates below it are not considered).

  finehead.py --detector models/detector.safetensors --train DIR[,DIR] --val DIR --out OUT
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
# first: the top-level training/ has a train.py too
from train import (add_run_args, empty_targets, focal, frame_input, iou, jittered_crop, load_rgb, peaks,  # noqa: E402
                   place_plate, read_set, rescale, targets)
from detnet import MEAN, SCALE, folded_layers, load_exported  # noqa: E402
from safetensors_io import load, save  # noqa: E402


FINE_STRIDE = 4


class FineHead(nn.Module):
    """Without `hidden`: concat(f4, up2(relu(1x1(f8)))) -> 3x3 conv + ReLU -> 1x1 conv (5 channels).
    With `hidden` (the context joins after the 3x3 conv, so it costs only 1x1 work per stride-4 cell):
    concat(relu(3x3(f4)), up2(relu(1x1(f8)))) -> 1x1 conv + ReLU (`hidden`) -> 1x1 conv (5 channels)."""

    def __init__(self, c4, c8, ctx=8, mid=16, hidden=0):
        super().__init__()
        self.hidden = hidden
        self.ctx = nn.Conv2d(c8, ctx, 1)
        if hidden:
            self.conv = nn.Conv2d(c4, mid, 3, 1, 1)
            self.mix = nn.Conv2d(mid + ctx, hidden, 1)
            self.out = nn.Conv2d(hidden, 5, 1)
        else:
            self.conv = nn.Conv2d(c4 + ctx, mid, 3, 1, 1)
            self.out = nn.Conv2d(mid, 5, 1)
        nn.init.constant_(self.out.bias, 0.0)
        with torch.no_grad():
            self.out.bias[0] = -4.0

    def convs(self):
        """(context convs, fine convs, index of the fine conv whose input gets the context)."""
        if self.hidden:
            return [self.ctx], [self.conv, self.mix, self.out], 1
        return [self.ctx], [self.conv, self.out], 0

    def forward(self, f4, f8):
        c = F.relu(self.ctx(f8))
        c = c.repeat_interleave(2, 2).repeat_interleave(2, 3)[:, :, :f4.shape[2], :f4.shape[3]]
        if self.hidden:
            return self.out(F.relu(self.mix(torch.cat([F.relu(self.conv(f4)), c], 1))))
        return self.out(F.relu(self.conv(torch.cat([f4, c], 1))))


def features(det, x, input_layer, context_layer):
    f4 = f8 = None
    for i, layer in enumerate(det.body):
        x = layer(x)
        if i == input_layer:
            f4 = x
        if i == context_layer:
            f8 = x
            break
    return f4, f8


def fine_targets(boxes, gw, gh, max_w, s=FINE_STRIDE):
    heat, reg, mask, xs, ys = empty_targets(gw, gh)
    weight = np.ones((gh, gw), np.float32)
    for (x, y, w, h) in boxes:
        if w < max_w:
            place_plate(heat, reg, mask, xs, ys, (x, y, w, h), s)
        elif w < 1.5 * max_w:  # ambiguous sizes: neither plate nor background for the fine head
            x0, y0 = max(0, int(x // s)), max(0, int(y // s))
            x1, y1 = min(gw, int(math.ceil((x + w) / s))), min(gh, int(math.ceil((y + h) / s)))
            weight[y0:y1, x0:x1] = 0
    return heat, weight, reg, mask


def sample(rng, item, cw, ch, scale_range, max_w):
    path, boxes = item
    img, boxes = rescale(rng, load_rgb(path), boxes, cw, ch, scale_range)
    crop, x0, y0 = jittered_crop(rng, img, [b for b in boxes if b[2] < max_w], 0.6, cw, ch)
    bx = [(x - x0, y - y0, w, h) for (x, y, w, h) in boxes]
    heat, weight, reg, mask = fine_targets(bx, cw // FINE_STRIDE, ch // FINE_STRIDE, max_w)
    heat8, reg8, mask8 = targets(bx, cw // 8, ch // 8)
    return (crop.transpose(2, 0, 1) - MEAN) * SCALE, heat, weight, reg, mask, heat8, reg8, mask8


def weighted_focal(logits, heat, weight):
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    neg = (1 - pos) * weight
    pl = -torch.log(p) * (1 - p) ** 2 * pos
    nl = -torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg
    return (pl.sum() + nl.sum()) / pos.sum().clamp(min=1)


def evaluate(det, head, items, a, thresholds=(0.15, 0.22, 0.3, 0.4, 0.5)):
    """Per threshold: plates found (IoU >= 0.5) by the stride-8 peaks alone, by both heads' peaks,
    and the fine peaks per frame that match no plate; over `items` resized to --eval-width."""
    head.eval()
    found8 = {t: 0 for t in thresholds}
    found = {t: 0 for t in thresholds}
    extra = {t: 0 for t in thresholds}
    npos = 0
    with torch.no_grad():
        for path, boxes in items:
            img = load_rgb(path)
            H, W = img.shape[:2]
            width = a.eval_width
            x, h = frame_input(img, width)
            f4, f8 = features(det, x, a.input_layer, a.context_layer)
            out8 = det.head(det.body[a.context_layer + 1:](f8))[0] if a.context_layer + 1 < len(det.body) else det.head(f8)[0]
            out4 = head(f4, f8)[0]
            sx, sy = W / width, H / h
            p8 = [(b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy, b[4]) for b in peaks(out8, min(thresholds), 8)]
            p4 = [(b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy, b[4]) for b in peaks(out4, min(thresholds), FINE_STRIDE)]
            npos += len(boxes)
            for t in thresholds:
                c8 = [b for b in p8 if b[4] >= t]
                c4 = [b for b in p4 if b[4] >= t]
                found8[t] += sum(any(iou(b, g) >= 0.5 for b in c8) for g in boxes)
                found[t] += sum(any(iou(b, g) >= 0.5 for b in c8 + c4) for g in boxes)
                extra[t] += sum(all(iou(b, g) < 0.1 for g in boxes) for b in c4)
    head.train()
    n = max(len(items), 1)
    return {t: (found8[t] / max(npos, 1), found[t] / max(npos, 1), extra[t] / n) for t in thresholds}


def export(det_path, head, out_path, a, min_score, steps, det=None):
    """`det_path`'s tensors and metadata plus the fine head; with `det` (a BN-free DetNet trained
    jointly), its backbone and main head replace the file's."""
    tensors, meta = load(det_path)
    if det is not None:
        for i, (w, b, *_) in enumerate(folded_layers(det)):
            tensors[f"layers.{i}.weight"] = w.astype("float32")
            tensors[f"layers.{i}.bias"] = b.astype("float32")
    context, fine, joins = head.convs()
    def spec(conv, relu):
        return {"stride": 1, "dilation": 1, "padding": conv.padding[0], "relu": relu}
    for prefix, convs in (("fine.context.", context), ("fine.layers.", fine)):
        for i, conv in enumerate(convs):
            tensors[f"{prefix}{i}.weight"] = conv.weight.detach().numpy().astype("float32")
            tensors[f"{prefix}{i}.bias"] = conv.bias.detach().numpy().astype("float32")
    meta["platetop.fine.input_layer"] = str(a.input_layer)
    meta["platetop.fine.context_layer"] = str(a.context_layer)
    meta["platetop.fine.context_layers"] = json.dumps([spec(c, True) for c in context], separators=(",", ":"))
    meta["platetop.fine.layers"] = json.dumps([spec(c, i < len(fine) - 1) for i, c in enumerate(fine)], separators=(",", ":"))
    if joins:
        meta["platetop.fine.context_joins_layer"] = str(joins)
    meta["platetop.fine.min_score"] = repr(float(min_score))
    meta["platetop.fine.max_width"] = str(a.max_width)
    meta["platetop.fine.training_steps"] = str(steps)
    save(out_path, tensors, meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", required=True, help="the detector file to extend (frozen, copied unchanged)")
    add_run_args(ap)
    ap.add_argument("--eval-width", type=int, default=800)
    ap.add_argument("--scale-range", default="0.5,1.35")
    ap.add_argument("--max-width", type=float, default=32, help="plates narrower than this (input px) are the fine head's")
    ap.add_argument("--input-layer", type=int, default=1)
    ap.add_argument("--context-layer", type=int, default=6)
    ap.add_argument("--ctx", type=int, default=8)
    ap.add_argument("--mid", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=0, help="> 0: the context joins after the 3x3 conv, then a 1x1 layer this wide")
    ap.add_argument("--min-score", type=float, default=0.22, help="written as platetop.fine.min_score")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-head", help="start the fine head from this finehead.pt")
    ap.add_argument("--joint-lr", type=float, default=0,
                    help="> 0: also train the backbone and main head (main-head loss added) at this peak lr; "
                         "every evaluation is then exported as OUT/detector-stepN.safetensors")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    det = load_exported(a.detector).eval()  # BN-free: eval() changes nothing but is explicit
    for p in det.parameters():
        p.requires_grad_(a.joint_lr > 0)
    c4 = det.body[a.input_layer][0].out_channels
    c8 = det.body[a.context_layer][0].out_channels
    head = FineHead(c4, c8, a.ctx, a.mid, a.hidden)
    if a.init_head:
        head.load_state_dict(torch.load(a.init_head))
    train = [f for d in a.train.split(",") for f in read_set(d)]
    val = read_set(a.val)[:a.eval_n]
    cw, ch = (int(v) for v in a.crop.split("x"))
    scale_range = tuple(float(v) for v in a.scale_range.split(","))
    print(f"train frames {len(train)}, val frames {len(val)}, fine-head params {sum(p.numel() for p in head.parameters())}", flush=True)
    groups = [{"params": list(head.parameters()), "lr": a.lr}]
    if a.joint_lr > 0:
        groups.append({"params": list(det.parameters()), "lr": a.joint_lr})
    opt = torch.optim.AdamW(groups, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups], total_steps=a.steps, pct_start=0.05)
    best = -1e9
    t0 = time.time()
    for step in range(1, a.steps + 1):
        batch = [sample(rng, train[rng.integers(0, len(train))], cw, ch, scale_range, a.max_width) for _ in range(a.batch)]
        x = torch.from_numpy(np.stack([b[0] for b in batch]).astype(np.float32))
        heat, weight, reg, mask, heat8, reg8, mask8 = (torch.from_numpy(np.stack([b[i] for b in batch])) for i in range(1, 8))
        with torch.set_grad_enabled(a.joint_lr > 0):
            f4, f8 = features(det, x, a.input_layer, a.context_layer)
        out = head(f4, f8)
        lh = weighted_focal(out[:, 0], heat, weight)
        n = mask.sum().clamp(min=1)
        lr_ = (F.l1_loss(out[:, 1:5], reg, reduction="none") * mask[:, None]).sum() / n
        loss = lh + lr_
        if a.joint_lr > 0:
            out8 = det.head(det.body[a.context_layer + 1:](f8))
            n8 = mask8.sum().clamp(min=1)
            loss = loss + focal(out8[:, 0], heat8) + (F.l1_loss(out8[:, 1:5], reg8, reduction="none") * mask8[:, None]).sum() / n8
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            print(f"{time.strftime('%H:%M:%S')} step {step}/{a.steps} heat {lh.item():.4f} reg {lr_.item():.4f} "
                  f"{step / (time.time() - t0):.2f} it/s", flush=True)
        if step % a.eval_every == 0 or step == a.steps:
            res = evaluate(det, head, val, a)
            line = " | ".join(f"{t}: s8 {r8:.3f} both {rb:.3f} fine-extra/frame {fx:.2f}" for t, (r8, rb, fx) in res.items())
            # checkpoint score: the plates the candidates hold at the verifier's heat floor, less a
            # price for fine peaks on background (each costs a verifier look and risks a false positive)
            r8, rb, fx = res[0.22]
            score = rb - 0.01 * fx
            tag = ""
            if a.joint_lr > 0:
                export(a.detector, head, os.path.join(a.out, f"detector-step{step}.safetensors"), a, a.min_score, step, det)
            if score > best:
                best = score
                export(a.detector, head, os.path.join(a.out, "detector.safetensors"), a, a.min_score, step,
                       det if a.joint_lr > 0 else None)
                torch.save(head.state_dict(), os.path.join(a.out, "finehead.pt"))
                tag = " *best*"
            print(f"{time.strftime('%H:%M:%S')} EVAL step {step} {line}{tag}", flush=True)


if __name__ == "__main__":
    main()
