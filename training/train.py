#!/usr/bin/env python3
"""CTC training of the platetop "latin" LPRNet (grey, 37 classes) on CPU.

Mixes cached synthetic crops (render_plates.py shards) with augmented real
Brazilian train crops (split_br.py) at a fixed ratio; --extra-real adds further
labelled real sets (e.g. European crops) among the real ones.  Validation:
synthetic val shards + the real BR validation split (never trained on).

  nice -n 19 /usr/bin/python3 training/train.py [--resume] [--steps 6000]

Outputs under --work (default /work/cache/platetop):
  train.log, ckpt/last.pt (resumable), latin-best.safetensors (best val loss)
"""
import argparse
import collections
import csv
import datetime
import glob
import io
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lprnet import INPUT_HEIGHT, INPUT_WIDTH, LPRNet, exported_contrast, supported_height, supported_width  # noqa: E402
import preprocess  # noqa: E402
from preprocess import MEAN, SCALE, grey_input  # noqa: E402
from safetensors_io import export_lprnet, load as load_safetensors  # noqa: E402

ALPHABET = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["-"]
BLANK = 36
CHAR_TO_IDX = {c: i for i, c in enumerate(ALPHABET[:BLANK])}
WIDTHS = (32, 64, 128, 128)


def log(msg, path):
    line = f"{datetime.datetime.now(datetime.timezone.utc).strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    with open(path, "a") as f:
        f.write(line + "\n")


def cpu_native_bf16(cpuinfo="/proc/cpuinfo"):
    """Whether the CPU computes bfloat16 natively (the avx512_bf16 or amx_bf16 flag of /proc/cpuinfo);
    None where that file is unreadable. Without it, bf16 autocast is emulated: on a 2-core AVX2 EPYC
    (2026-12-06) a training step took 4.3 times as long as in float32 (BENCHMARKS.md)."""
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return None
    return "avx512_bf16" in flags or "amx_bf16" in flags


def load_shards(pattern):
    xs, ys = [], []
    for p in sorted(q for q in glob.glob(pattern) if ".tmp" not in q):
        d = np.load(p)
        xs.append(d["x"])
        ys += [str(s) for s in d["y"]]
    if not xs:
        raise SystemExit(f"no shards match {pattern}; run render_plates.py first")
    return np.concatenate(xs), ys


def read_split(csv_path, data_dir):
    imgs, labels = [], []
    with open(csv_path, newline="") as f:
        for r in csv.DictReader(f):
            imgs.append(np.asarray(Image.open(os.path.join(data_dir, r["file"])).convert("RGB")))
            labels.append(r["plate"].strip().upper())
    return imgs, labels


def augment_real(rgb, rng, width=INPUT_WIDTH, strong=False, height=INPUT_HEIGHT):
    """Small affine + crop jitter + low-res + blur + light + noise + JPEG; returns grey float [height,width] 0..255.
    `strong` also scales the colour channels apart (other plate and lamp colours reach the grey
    conversion differently) and degrades more often and further (lower resolution, more blur)."""
    if strong and rng.random() < 0.5:
        gains = rng.uniform(0.55, 1.45, 3).astype(np.float32)
        rgb = np.clip(rgb.astype(np.float32) * gains, 0, 255).astype(np.uint8)
    img = Image.fromarray(rgb)
    w, h = img.size
    ang = math.radians(rng.uniform(-4, 4))
    sx = rng.uniform(0.92, 1.08)
    sy = sx * rng.uniform(0.93, 1.07)
    shear = rng.uniform(-0.08, 0.08)
    tx, ty = rng.uniform(-0.05, 0.05) * w, rng.uniform(-0.08, 0.08) * h
    ca, sa = math.cos(ang), math.sin(ang)
    # inverse map output -> input around the centre
    a = ca / sx
    b = (sa + shear) / sx
    d = -sa / sy
    e = ca / sy
    cx, cy = w / 2, h / 2
    c = cx - a * cx - b * cy + tx
    f = cy - d * cx - e * cy + ty
    img = img.transform((w, h), Image.AFFINE, (a, b, c, d, e, f), Image.BILINEAR,
                        fillcolor=tuple(int(v) for v in rgb[h // 2, 0]))
    if rng.random() < (0.6 if strong else 0.5):  # lower the resolution
        nh = int(rng.uniform(14 if strong else 16, 40))
        nw = max(8, int(round(w * nh / h)))
        img = img.resize((nw, nh), Image.BOX)
    if rng.random() < (0.45 if strong else 0.3):
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.1 if strong else 0.9)))
    arr = np.asarray(img).astype(np.float32)
    arr = arr * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
    arr += rng.normal(0, rng.uniform(0, 6), arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if rng.random() < 0.3:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=int(rng.integers(30, 90)))
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return grey_input(np.asarray(img), width, height)


SPLICE_FORMAT = re.compile(r"[A-Z]{3}[0-9]{4}")


def aligned_runs(model, imgs, labels, width, device="cpu", height=INPUT_HEIGHT):
    """Per real crop, its greedy CTC runs (ctc_runs) as `model` reads the un-augmented crop, or None
    for crops whose label is not `AAA9999` or that the model misreads (no trustworthy alignment);
    and the number of time steps. The splices place their cuts from these (the model is left in the
    mode it was in)."""
    x = torch.from_numpy(np.stack([(grey_input(im, width, height) - MEAN) * SCALE
                                   for im in imgs])[:, None].astype(np.float32))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        best = torch.cat([model(x[i:i + 256].to(device)).float().cpu()
                          for i in range(0, len(x), 256)]).argmax(1).numpy()
    model.train(was_training)
    runs = [ctc_runs(row) for row in best]
    return [r if SPLICE_FORMAT.fullmatch(label) and "".join(c for c, _ in r) == label else None
            for r, label in zip(runs, labels)], best.shape[1]


def splice_cuts(model, imgs, labels, width, device="cpu", height=INPUT_HEIGHT):
    """Per real crop, where its letter group ends: the fraction of the crop's width halfway between
    the CTC peaks of its last letter and first digit, as `model` reads the un-augmented crop; None
    for crops whose label is not `AAA9999` or that the model misreads (no trustworthy alignment)."""
    aligned, t_steps = aligned_runs(model, imgs, labels, width, device, height)
    cuts = []
    for runs in aligned:
        if runs is None:
            cuts.append(None)
            continue
        # the separator gap between the groups is wide, so a cut there seldom clips a character
        # (cuts between two letters or two digits halved one often enough to poison the label)
        mid = (np.mean(runs[2][1]) + np.mean(runs[3][1])) / 2
        cuts.append(float((mid + 0.5) / t_steps))
    return cuts


def colour_matched(piece, like):
    """Float RGB `piece` given `like`'s per-channel mean and spread (a part of one crop set into another)."""
    mu_p, sd_p = piece.reshape(-1, 3).mean(0), piece.reshape(-1, 3).std(0) + 1
    mu_l, sd_l = like.reshape(-1, 3).mean(0), like.reshape(-1, 3).std(0) + 1
    return (piece - mu_p) / sd_p * sd_l + mu_l


def splice_real(imgs, labels, cuts, rng):
    """A new real-looking `AAA9999` plate: one crop's letter group beside another crop's digit
    group (each cut where `splice_cuts` put its separator), the right part scaled to the left
    part's height and given its per-channel mean and spread. Returns (rgb uint8, label)."""
    ok = [i for i, c in enumerate(cuts) if c is not None]
    a, b = (ok[i] for i in rng.integers(0, len(ok), 2))
    left, right = imgs[a], imgs[b]
    xa = max(1, int(round(cuts[a] * left.shape[1])))
    h = left.shape[0]
    w = max(2, int(round(right.shape[1] * h / right.shape[0])))
    right = np.asarray(Image.fromarray(right).resize((w, h), Image.BILINEAR))
    xb = min(w - 1, int(round(cuts[b] * w)))
    lp = left[:, :xa].astype(np.float32)
    rp = colour_matched(right[:, xb:].astype(np.float32), lp)
    out = np.clip(np.concatenate([lp, rp], 1), 0, 255).astype(np.uint8)
    return out, labels[a][:3] + labels[b][3:]


def letter_cells(model, imgs, labels, width, device="cpu", height=INPUT_HEIGHT):
    """Per real crop, the pixel columns that bound its three letters, (left, 1|2, 2|3, right), or None
    for crops whose label is not `AAA9999`, that `model` misreads, or whose gaps the image does not
    show. The CTC peaks of the seven characters give their order and spacing but fire between the
    glyphs: over the BR train crops, the columns halfway between peaks are quietest (least spread in
    the plate's middle rows: background, whichever the polarity) with the peaks moved 1.75 steps
    right, and a step less or more, once per character pitch, matches too. So each crop's peaks
    are shifted as one, by 0.75-2.75 steps, to where its halfway columns are quietest, then each
    boundary moves to the quietest column within a third of a character of it."""
    aligned, t_steps = aligned_runs(model, imgs, labels, width, device, height)
    cells = []
    for runs, im in zip(aligned, imgs):
        if runs is None:
            cells.append(None)
            continue
        h, w = im.shape[:2]
        grey = im[int(0.3 * h):int(0.9 * h)].astype(np.float32).mean(2)
        prof = np.convolve(grey.std(0), [0.25, 0.5, 0.25], mode="same")
        t = np.array([np.mean(r[1]) for r in runs])

        def at(xs):
            return prof[np.clip(np.round(xs).astype(int), 0, w - 1)]

        # the gap between the groups holds the separator, so it does not vote on the shift
        shifts = np.arange(0.75, 2.76, 0.1)
        scores = []
        for d in shifts:
            xs = (t + 0.5 + d) / t_steps * w
            mids = (xs[:-1] + xs[1:]) / 2
            scores.append(at(np.delete(mids, 2)).mean())
        xs = (t + 0.5 + shifts[int(np.argmin(scores))]) / t_steps * w
        pitch = float(np.median(np.diff(xs)))

        def quietest(centre):
            lo = max(0, int(round(centre - pitch / 3)))
            hi = min(w - 1, int(round(centre + pitch / 3)))
            return None if hi <= lo else lo + int(np.argmin(prof[lo:hi + 1]))

        g01, g12 = quietest((xs[0] + xs[1]) / 2), quietest((xs[1] + xs[2]) / 2)
        if g01 is None or g12 is None:
            cells.append(None)
            continue
        # the font is monospace: the outer boundaries are a cell beyond the inner ones
        left, right = quietest(2 * g01 - g12), quietest(2 * g12 - g01)
        if None in (left, right) or not 0 <= left < g01 < g12 < right < w:
            cells.append(None)
            continue
        widths = np.array([g01 - left, g12 - g01, right - g12])
        gaps = at(np.array([left, g01, g12, right], dtype=float)).mean()
        if widths.min() < 0.6 * pitch or widths.max() > 1.5 * pitch or gaps > 0.6 * at(xs[:3]).mean():
            cells.append(None)
            continue
        cells.append((left, g01, g12, right))
    return cells


def letter_splice(imgs, labels, cells, rng, foreign=0.5):
    """A real-looking `AAA9999` plate with a letter group no train plate has: one aligned crop
    (`letter_cells`) whose three letter cells are shuffled among themselves and, each with
    probability `foreign`, replaced by a letter cell of another aligned crop (the nearest in colour
    of six drawn), scaled to the slot and given the slot's per-channel mean and spread. The BR train
    plates share few letter groups (the validation plates' groups are mostly new), and a model
    trained on them reads a group it has seen better than one it has not. Returns (rgb uint8, label)."""
    ok = [i for i, c in enumerate(cells) if c is not None]
    a = ok[rng.integers(0, len(ok))]
    img, (l, g1, g2, r) = imgs[a], cells[a]
    bounds = [(l, g1), (g1, g2), (g2, r)]
    out = img.astype(np.float32).copy()
    perm = rng.permutation(3)
    new = []
    for k, (x0, x1) in enumerate(bounds):
        src, j = a, perm[k]
        slot = out[:, x0:x1].copy()
        if rng.random() < foreign:
            # of a few candidates, the cell whose colours are nearest the slot's (a letter off a
            # plate of another colour would stand out as no real plate's letter does)
            slot_mu = slot.reshape(-1, 3).mean(0)
            picks = [(ok[rng.integers(0, len(ok))], int(rng.integers(0, 3))) for _ in range(6)]
            src, j = min(picks, key=lambda p: float(np.abs(
                imgs[p[0]][:, cells[p[0]][p[1]]:cells[p[0]][p[1] + 1]].reshape(-1, 3).mean(0) - slot_mu).sum()))
        s0, s1 = (cells[src][j], cells[src][j + 1])
        piece = imgs[src][:, s0:s1]
        piece = np.asarray(Image.fromarray(piece).resize((x1 - x0, img.shape[0]), Image.BILINEAR)).astype(np.float32)
        out[:, x0:x1] = colour_matched(piece, slot) if src != a else piece
        new.append(labels[src][j])
    return np.clip(out, 0, 255).astype(np.uint8), "".join(new) + labels[a][3:]


def encode(labels):
    targets, lengths = [], []
    for s in labels:
        idx = [CHAR_TO_IDX[c] for c in s if c in CHAR_TO_IDX]
        targets += idx
        lengths.append(len(idx))
    return torch.tensor(targets, dtype=torch.long), torch.tensor(lengths, dtype=torch.long)


def ctc_runs(row):
    """One row of best classes per time step -> the greedy CTC reading as [(character, [time steps])]:
    repeats collapse into one character, blanks separate them."""
    runs, prev = [], -1
    for t, k in enumerate(row):
        if k != BLANK and k != prev:
            runs.append((ALPHABET[k], [t]))
        elif k != BLANK:
            runs[-1][1].append(t)
        prev = k
    return runs


def greedy_decode(logits):
    """logits [N, C, T] -> list of strings."""
    return ["".join(c for c, _ in ctc_runs(row)) for row in logits.argmax(1).numpy()]


def ctc_loss(logits, labels):
    lp = logits.permute(2, 0, 1).log_softmax(2)  # [T, N, C]
    t, tl = encode(labels)
    il = torch.full((logits.shape[0],), logits.shape[2], dtype=torch.long)
    d = logits.device
    return F.ctc_loss(lp, t.to(d), il.to(d), tl.to(d), blank=BLANK, reduction="mean", zero_infinity=True)


def training_batch(rng, sx, sy, n_syn, real_imgs, real_labels, n_real, width, cuts=None, splice=0.0,
                   strong=False, height=INPUT_HEIGHT, real=None, extra=None, invert=0.0, cells=None,
                   letter_splice_share=0.0):
    """One training batch: `n_syn` random synthetic crops (`sx` uint8 [N,height,width], labels `sy`), then
    `n_real` random real crops augmented by augment_real, a `splice` share of them two crops joined
    by splice_real (with `cuts` from splice_cuts), `strong` as augment_real's; returns (normalised float [n,1,height,width] tensor,
    labels). `real`, when given, is the real part already made (real_part's result, by a loader process).
    `extra`, when given, is (imgs, labels, share) of further real sets, passed on to real_part.
    `invert`: the probability that a crop of the batch (synthetic or real) is turned into its grey
    negative (255 - v), so dark characters on a light plate also teach light characters on a dark one
    (red and green plates, night IR); with 0 `rng` is drawn exactly as before it existed.
    `cells`, `letter_splice_share`: real_part's."""
    si = rng.integers(0, len(sy), n_syn)
    xb = [sx[si].astype(np.float32)]
    labels = [sy[i] for i in si]
    if real is None and n_real:
        real = real_part(rng, real_imgs, real_labels, n_real, width, cuts, splice, strong, height, extra,
                         cells, letter_splice_share)
    if real is not None:
        xb.append(real[0])
        labels += real[1]
    x = np.concatenate(xb)
    if invert > 0:
        flip = rng.random(len(x)) < invert
        x[flip] = 255.0 - x[flip]
    return torch.from_numpy(((x - MEAN) * SCALE)[:, None]), labels


def real_part(rng, real_imgs, real_labels, n_real, width, cuts=None, splice=0.0, strong=False, height=INPUT_HEIGHT,
              extra=None, cells=None, letter_splice_share=0.0):
    """The real crops of a training batch (float [n_real,height,width] 0..255, labels), drawn from `rng`.
    `extra` = (imgs, labels, share): each crop is, with probability `share`, one drawn uniformly from
    these instead (never spliced; augmented alike). Without `extra` (or with an empty one or share 0)
    `rng` is drawn exactly as before it existed. A BR crop is, with probability `letter_splice_share`,
    one made by letter_splice (with `cells` from letter_cells); with 0 `rng` is drawn as without it."""
    use_extra = extra is not None and len(extra[1]) > 0 and extra[2] > 0
    real, labels = [], []
    for i in rng.integers(0, len(real_labels), n_real):
        if use_extra and rng.random() < extra[2]:
            j = rng.integers(0, len(extra[1]))
            rgb, label = extra[0][j], extra[1][j]
        elif cells is not None and letter_splice_share > 0 and rng.random() < letter_splice_share:
            rgb, label = letter_splice(real_imgs, real_labels, cells, rng)
        elif cuts is not None and rng.random() < splice:
            rgb, label = splice_real(real_imgs, real_labels, cuts, rng)
        else:
            rgb, label = real_imgs[i], real_labels[i]
        real.append(augment_real(rgb, rng, width, strong, height))
        labels.append(label)
    return np.stack(real), labels


# What loader processes (train.py --loader-workers) make real parts from; set before they fork.
_LOADER = {}


def _loader_real_part(seed_step):
    d = _LOADER
    return real_part(np.random.default_rng(seed_step), d["imgs"], d["labels"], d["n_real"], d["width"],
                     d["cuts"], d["splice"], d["strong"], d["height"], d.get("extra"), d.get("cells"),
                     d.get("letter_splice", 0.0))


def batch_loss(model, xb, labels, bf16=False):
    """The CTC loss of one training batch; with `bf16` the network runs under bfloat16 autocast on
    channels-last input (a model moved to channels_last), the loss in float32."""
    if not bf16:
        return ctc_loss(model(xb), labels)
    with torch.autocast(device_type=xb.device.type, dtype=torch.bfloat16):
        logits = model(xb.contiguous(memory_format=torch.channels_last))
    return ctc_loss(logits.float(), labels)


@torch.no_grad()
def sam_perturb(model, rho):
    """Sharpness-aware minimisation's ascent: moves every parameter by rho times the batch's gradient
    over its global norm (the worst nearby point to first order); returns the weights as they were,
    for sam_restore."""
    params = [p for p in model.parameters() if p.grad is not None]
    norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
    scale = rho / (norm + 1e-12)
    kept = []
    for p in params:
        kept.append((p, p.detach().clone()))
        p.add_(p.grad * scale)
    return kept


@torch.no_grad()
def sam_restore(kept):
    for p, w in kept:
        p.copy_(w)  # exactly the weights before the move (adding and subtracting again would round)


def sam_gradient(model, xb, labels, rho, bf16=False):
    """With the batch's gradient in the parameters' .grad: replaces it by the gradient at the
    sam_perturb point (the weights themselves are left as they were; batch-norm running statistics
    are not updated by the second pass). Returns that point's loss (not finite: .grad is zero)."""
    weights = sam_perturb(model, rho)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.momentum = 0.0  # running = 1 * running + 0 * this batch
    try:
        loss = batch_loss(model, xb, labels, bf16)
        model.zero_grad(set_to_none=False)  # zeros, as documented, on every PyTorch version
        if torch.isfinite(loss):
            loss.backward()
    finally:
        for m, k in zip(bns, momenta):
            m.momentum = k
        sam_restore(weights)
    return loss


@torch.no_grad()
def evaluate(model, x_u8_or_f, labels, bs=256, device="cpu"):
    model.eval()
    tot, n, correct = 0.0, 0, 0
    for i in range(0, len(labels), bs):
        xb = torch.from_numpy(((x_u8_or_f[i:i + bs].astype(np.float32) - MEAN) * SCALE)[:, None])
        lo = model(xb.to(device)).cpu()
        lb = labels[i:i + bs]
        tot += ctc_loss(lo, lb).item() * len(lb)
        n += len(lb)
        correct += sum(p == g for p, g in zip(greedy_decode(lo), lb))
    model.train()
    return tot / n, correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/work/cache/platetop")
    ap.add_argument("--br-data", default="/work/shared/data/br-plates")
    ap.add_argument("--splits", default=os.path.join(HERE, "splits"))
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--stop-at", type=int, default=None,
                    help="stop (with a checkpoint) at this step although the schedule runs to --steps")
    ap.add_argument("--minutes", type=float, default=None,
                    help="a wall-clock budget: the warm-up + cosine schedule runs over this many minutes of "
                         "training instead of --steps (which then only caps the steps), and training stops, "
                         "evaluated and exported, when they have passed (a lent GPU's fixed time)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--loader-workers", type=int, default=0,
                    help="processes that augment the real crops of the coming batches while the model "
                         "trains (a GPU waits on one process's augmentation; each batch's real crops are "
                         "then drawn from a seed of --seed and the step, not from the run's one stream)")
    ap.add_argument("--real-frac", type=float, default=0.2)
    ap.add_argument("--real-splice", type=float, default=0.0,
                    help="share of the real crops per batch that are two BR train crops joined at the "
                         "separator (one's letters, another's digits; cut where the model being "
                         "trained, as it starts, places the gap), for plates the real set lacks")
    ap.add_argument("--letter-splice", type=float, default=0.0,
                    help="share of the BR train crops per batch whose three letters are shuffled and, each "
                         "with probability 1/2, swapped for another crop's letter (letter_splice; cells where "
                         "the model being trained, as it starts, and the image place them), for letter groups "
                         "the real set lacks (default %(default)s)")
    ap.add_argument("--real-aug", choices=["standard", "strong"], default="standard",
                    help="augmentation of the real crops: strong adds colour-channel gains and degrades "
                         "more often and further (see augment_real)")
    ap.add_argument("--extra-real", action="append", default=[], metavar="CSV:DIR",
                    help="a further labelled real set to train on among the real crops: a file,plate CSV "
                         "and the folder of its images (read and augmented like the BR train crops, never "
                         "spliced); may be given several times")
    ap.add_argument("--extra-real-share", type=float, default=0.3,
                    help="with --extra-real: the probability that a real crop of a batch is drawn "
                         "(uniformly) from the union of the extra sets instead of the BR train crops "
                         "(default %(default)s)")
    ap.add_argument("--invert", type=float, default=0.0,
                    help="probability that a training crop (synthetic or real) is given as its grey negative, "
                         "so the model reads light characters on dark plates as well as dark on light "
                         "(default %(default)s)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=1e-2)
    ap.add_argument("--sam", type=float, default=0.0, metavar="RHO",
                    help="sharpness-aware minimisation: each step descends along the gradient taken at the "
                         "weights moved RHO (global L2) up the batch's gradient; two passes through the network per step "
                         "(default %(default)s: plain steps)")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--patience", type=int, default=8, help="evals without val-loss improvement")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default cpu)")
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                    help="bf16: forward and backward under bfloat16 autocast with channels-last tensors "
                         "(weights, optimiser and CTC loss stay float32; about 3x the fp32 steps/s on "
                         "a CPU with AVX512-BF16); validation always runs in float32")
    ap.add_argument("--widths", default=",".join(map(str, WIDTHS)),
                    help="LPRNet widths c0,b1,b2,head (default %(default)s; the Swift engine reads any)")
    ap.add_argument("--context-kernel", type=int, default=1,
                    help="width k of the container conv over the CTC time steps (default 1, the seed's "
                         "1x1; an odd k > 1 lets each step weigh the context of k//2 neighbours on either "
                         "side; --init with a 1x1 container starts it as the centre column)")
    ap.add_argument("--input-width", type=int, default=INPUT_WIDTH,
                    help="model input width (default %(default)s, the seed's; wider inputs give more CTC "
                         "time steps, e.g. 110 -> 22; the shards must be rendered at it, "
                         "render_plates.py --width)")
    ap.add_argument("--input-height", type=int, default=INPUT_HEIGHT,
                    help="model input height (default %(default)s, the seed's; taller inputs give each "
                         "character more rows; the shards must be rendered at it, render_plates.py --height)")
    ap.add_argument("--resample", choices=preprocess.RESAMPLE_MODES, default="bilinear",
                    help="how crops are resized to the input: bilinear (two taps, the default) or area (every "
                         "source pixel weighed by its overlap; exported as platetop.resample); the synthetic "
                         "shards must be rendered the same way (render_plates.py --resample)")
    ap.add_argument("--contrast", default=None,
                    help="STD,FLOOR: normalise each input crop to mean 0 and standard deviation STD (its own "
                         "taken as at least FLOOR) inside the model (e.g. 0.3,0.04); 'off': never; default: as "
                         "the --init model does, else off")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--keep-exports", action="store_true",
                    help="also export every evaluated step as exports/step-N.safetensors under --work "
                         "(to compare checkpoints with `platetop eval`, the Swift engine)")
    ap.add_argument("--synth-val-n", type=int, default=3000)
    ap.add_argument("--synth-train", default="synth-train",
                    help="comma-separated shard folders under --work; re-read at every eval so "
                         "shards a running renderer adds are picked up")
    ap.add_argument("--synth-val", default="synth-val", help="validation shard folder under --work")
    ap.add_argument("--init", default=None,
                    help="start from the weights of an exported model (e.g. models/latin.safetensors) "
                         "instead of random ones; ignored when --resume finds a checkpoint")
    ap.add_argument("--restart-schedule", action="store_true",
                    help="with --resume: keep the weights, start a fresh optimiser, warmup and "
                         "cosine over the steps left (fine-tuning on new data); acts once, when "
                         "the checkpoint has no schedule restart yet")
    ap.add_argument("--cycle-from", type=int, default=None,
                    help="with --resume: this phase's warmup + cosine starts at this step; a "
                         "checkpoint saved exactly there by an earlier phase gets a fresh "
                         "optimiser, later checkpoints of this phase resume normally")
    a = ap.parse_args()
    preprocess.RESAMPLE = a.resample
    widths = tuple(int(v) for v in a.widths.split(","))
    if len(widths) != 4 or min(widths) < 4:
        raise SystemExit(f"--widths {a.widths}: four positive widths c0,b1,b2,head")
    if a.context_kernel < 1 or a.context_kernel % 2 == 0:
        raise SystemExit(f"--context-kernel {a.context_kernel}: need an odd width >= 1")
    if not supported_width(a.input_width):
        raise SystemExit(f"--input-width {a.input_width}: not an LPRNet input width the engine runs "
                         "(94, or wider with an even f2 map, such as 98, 102, 106, 110, 118)")
    if not supported_height(a.input_height):
        raise SystemExit(f"--input-height {a.input_height}: not an LPRNet input height the engine runs (24 to 96)")
    if not 0 <= a.invert <= 1:
        raise SystemExit(f"--invert {a.invert}: a probability, 0 to 1")
    if not 0 <= a.extra_real_share <= 1:
        raise SystemExit(f"--extra-real-share {a.extra_real_share}: a probability, 0 to 1")
    extra_sets = []
    for spec in a.extra_real:
        csv_path, sep, data_dir = spec.rpartition(":")
        if not sep or not csv_path or not data_dir:
            raise SystemExit(f"--extra-real {spec}: CSV:DIR, a file,plate CSV and the folder of its images")
        if not os.path.isfile(csv_path) or not os.path.isdir(data_dir):
            raise SystemExit(f"--extra-real {spec}: {csv_path if not os.path.isfile(csv_path) else data_dir} not found")
        extra_sets.append((csv_path, data_dir))
    # The --init file is read once, here: its weights (unless a checkpoint is resumed) and, without
    # --contrast, its contrast normalisation.
    init = None
    if a.init:
        try:
            init = load_safetensors(a.init)
        except (OSError, ValueError) as e:
            raise SystemExit(f"--init {a.init}: {e}")
    contrast = None
    if a.contrast not in (None, "off"):
        try:
            contrast = tuple(float(v) for v in a.contrast.split(","))
        except ValueError:
            contrast = ()
        if len(contrast) != 2 or not (contrast[0] > 0 and contrast[1] > 0):
            raise SystemExit(f"--contrast {a.contrast}: STD,FLOOR, two positive numbers, or off")
    elif a.contrast is None and init:
        contrast = exported_contrast(init[1])

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(os.path.join(a.work, "ckpt"), exist_ok=True)
    logf = os.path.join(a.work, "train.log")
    ckpt_path = os.path.join(a.work, "ckpt", "last.pt")
    best_path = os.path.join(a.work, "latin-best.safetensors")

    def load_train():
        xs, ys = [], []
        for d in a.synth_train.split(","):
            if glob.glob(os.path.join(a.work, d, "*.npz")):
                x, y = load_shards(os.path.join(a.work, d, "*.npz"))
                xs.append(x)
                ys += y
        if not xs:
            raise SystemExit(f"no training shards in {a.synth_train}; run render_plates.py first")
        return check_size(np.concatenate(xs), a.synth_train), ys

    def check_size(x, name):
        if x.shape[2] != a.input_width:
            raise SystemExit(f"{name}: shards are {x.shape[2]} wide, --input-width is {a.input_width}")
        if x.shape[1] != a.input_height:
            raise SystemExit(f"{name}: shards are {x.shape[1]} high, --input-height is {a.input_height} "
                             "(render_plates.py --height)")
        return x

    sx, sy = load_train()
    vx, vy = load_shards(os.path.join(a.work, a.synth_val, "*.npz"))
    vx, vy = check_size(vx[:a.synth_val_n], a.synth_val), vy[:a.synth_val_n]
    br_tr_imgs, br_tr_y = read_split(os.path.join(a.splits, "br_train.csv"), a.br_data)
    br_va_imgs, br_va_y = read_split(os.path.join(a.splits, "br_val.csv"), a.br_data)
    br_vx = np.stack([grey_input(im, a.input_width, a.input_height) for im in br_va_imgs])
    log(f"data: synth train {len(sy)}, synth val {len(vy)}, BR train {len(br_tr_y)}, "
        f"BR val {len(br_va_y)}; widths {widths}, input {a.input_width}x{a.input_height}"
        f"{' (area-resized)' if a.resample == 'area' else ''}, device {a.device}, "
        f"precision {a.precision}", logf)
    extra, extra_desc = None, ""
    if extra_sets:
        ex_imgs, ex_y, names = [], [], []
        for csv_path, data_dir in extra_sets:
            imgs, labels = read_split(csv_path, data_dir)
            if not labels:
                raise SystemExit(f"--extra-real {csv_path}: no crops listed")
            ex_imgs += imgs
            ex_y += labels
            names.append(f"{os.path.basename(csv_path)} {len(labels)} crops")
            log(f"extra real: {len(labels)} crops from {csv_path} (share {a.extra_real_share:.2f} of real crops)", logf)
        if len(extra_sets) > 1:
            log(f"extra real: {len(ex_y)} crops in all", logf)
        extra = (ex_imgs, ex_y, a.extra_real_share)
        extra_desc = (f" + extra real set{'s' if len(names) > 1 else ''} "
                      f"({', '.join(names)}; {a.extra_real_share:.0%} of real crops)")

    model = LPRNet(len(ALPHABET), in_channels=1, widths=widths, dropout_rate=0.2,
                   per_sample_context=True, context_kernel=a.context_kernel, contrast=contrast).to(a.device)
    if contrast:
        log(f"contrast normalisation: std {contrast[0]}, floor {contrast[1]}", logf)
    bf16 = a.precision == "bf16"
    if bf16:
        model = model.to(memory_format=torch.channels_last)
        if a.device == "cpu" and cpu_native_bf16() is False:
            log("warning: --precision bf16 on a CPU without avx512_bf16/amx_bf16: bfloat16 is emulated here and "
                "each step runs several times slower than --precision fp32 (training/bench_train.py measures both)",
                logf)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    rng = np.random.default_rng(a.seed)
    step, best, bad, t_start = 0, float("inf"), 0, time.time()
    restart_from = 0
    elapsed0 = 0.0
    if init and not (a.resume and os.path.exists(ckpt_path)):
        try:
            model.load_exported(init[0])
        except ValueError as e:
            raise SystemExit(f"--init {a.init}: {e}")
        log(f"initialised from {a.init}", logf)
    if a.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ck["model"])
        step, best, bad, elapsed0 = ck["step"], ck["best"], ck["bad"], ck.get("elapsed", 0.0)
        new_cycle = (a.cycle_from is not None and step == a.cycle_from
                     and ck.get("restart_from", 0) != a.cycle_from)
        if new_cycle or (a.restart_schedule and not ck.get("restart_from")):
            # new data / validation set: the old best loss is not comparable
            restart_from, best, bad = step, float("inf"), 0
        else:
            opt.load_state_dict(ck["opt"])
            rng.bit_generator.state = ck["rng"]
            torch.set_rng_state(ck["torch_rng"])
            restart_from = ck.get("restart_from", 0)
        log(f"resumed at step {step} (best val loss {best:.4f}, schedule from {restart_from})", logf)

    def lr_at(s):
        s -= restart_from
        if s < a.warmup:
            return a.lr * (s + 1) / a.warmup
        if a.minutes:
            p = (time.time() - t_run) / (60 * a.minutes)
        else:
            p = (s - a.warmup) / max(1, a.steps - restart_from - a.warmup)
        return a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))

    n_real = int(round(a.batch * a.real_frac))
    n_syn = a.batch - n_real

    def alignments(share, align, flag, what, of):
        """`align`'s per-crop alignment of the BR train crops when `share` > 0, else None."""
        if share <= 0:
            return None
        found = align(model, br_tr_imgs, br_tr_y, a.input_width, a.device, a.input_height)
        n = sum(c is not None for c in found)
        if n < 2:
            raise SystemExit(f"{flag}: the model aligns {n} BR train crops; train without it first")
        log(f"{what}: {n} of {len(found)} BR train crops aligned, {share:.0%} of {of} crops", logf)
        return found

    cuts = alignments(a.real_splice, splice_cuts, "--real-splice", "real splices", "real")
    cells = alignments(a.letter_splice, letter_cells, "--letter-splice", "letter splices", "BR")
    if cells is not None:
        extra_desc += f"; {a.letter_splice:.0%} of BR crops letter-spliced"
    if a.sam > 0:
        log(f"sharpness-aware minimisation: rho {a.sam}", logf)
        extra_desc += f"; sharpness-aware steps (rho {a.sam})"
    if a.invert > 0:
        log(f"grey negatives: {a.invert:.0%} of training crops", logf)
        extra_desc += f"; {a.invert:.0%} of training crops as grey negatives"
    model.train()
    run_loss, run_n, t_last = 0.0, 0, time.time()
    end = min(a.steps, a.stop_at) if a.stop_at else a.steps
    loader, pending = None, collections.deque()
    if a.loader_workers > 0 and n_real:
        import multiprocessing
        _LOADER.update(imgs=br_tr_imgs, labels=br_tr_y, n_real=n_real, width=a.input_width, cuts=cuts,
                       splice=a.real_splice, strong=a.real_aug == "strong", height=a.input_height, extra=extra,
                       cells=cells, letter_splice=a.letter_splice)
        loader = multiprocessing.get_context("fork").Pool(a.loader_workers)
        log(f"loader processes: {a.loader_workers} make the real crops of the coming batches", logf)
        for k in range(2 * a.loader_workers):
            pending.append(loader.apply_async(_loader_real_part, ([a.seed, step + k],)))
    t_run = time.time()
    while step < end:
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        real = None
        if loader:
            real = pending.popleft().get()
            pending.append(loader.apply_async(_loader_real_part, ([a.seed, step + len(pending) + 1],)))
        xb, labels = training_batch(rng, sx, sy, n_syn, br_tr_imgs, br_tr_y, n_real, a.input_width,
                                    cuts, a.real_splice, a.real_aug == "strong", a.input_height, real, extra,
                                    a.invert, cells, a.letter_splice)
        xb = xb.to(a.device)
        loss = batch_loss(model, xb, labels, bf16)
        opt.zero_grad()
        if torch.isfinite(loss):
            loss.backward()
            if a.sam > 0:
                sam_gradient(model, xb, labels, a.sam, bf16)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            run_loss += loss.item()
            run_n += 1
        step += 1
        if a.minutes and time.time() - t_run >= 60 * a.minutes:
            end = step  # the budget is spent: this step is evaluated, exported and the last
        if step % 50 == 0:
            dt = time.time() - t_last
            t_last = time.time()
            log(f"step {step}/{a.steps} loss {run_loss / max(1, run_n):.4f} lr {lr_at(step):.2e} "
                f"{50 / dt:.2f} it/s", logf)
            run_loss, run_n = 0.0, 0
        if step % a.eval_every == 0 or step == end:
            sl, sa = evaluate(model, vx, vy, device=a.device)
            bl, ba = evaluate(model, br_vx, br_va_y, device=a.device)
            vloss = 0.5 * (sl + bl)
            elapsed = elapsed0 + time.time() - t_start
            improved = vloss < best
            ctx = f", context kernel {a.context_kernel}" if a.context_kernel > 1 else ""
            if contrast:
                ctx += f", contrast-normalised input (std {contrast[0]}, floor {contrast[1]})"
            desc = (f"platetop latin LPRNet widths {widths}{ctx}, grey {a.input_width}x{a.input_height}{', area-resampled' if a.resample == 'area' else ''}; trained on synthetic "
                    f"plates (render_plates.py, {len(sy)} crops) + real BR train split "
                    f"({len(br_tr_y)} crops, openalpr train-detector br, AGPL-3.0){extra_desc}; step {step}; "
                    f"val exact synth {sa:.3f} BR {ba:.3f}; exported "
                    f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')}")

            def export(path):
                export_lprnet(model, path + ".tmp", name="latin", alphabet=ALPHABET, blank_index=BLANK,
                              in_channels=1, color_order="gray", mean=MEAN, scale=SCALE,
                              description=desc, input_width=a.input_width,
                              input_height=a.input_height, resample=a.resample)
                os.replace(path + ".tmp", path)

            if improved:
                best, bad = vloss, 0
                export(best_path)
            else:
                bad += 1
            if a.keep_exports:
                os.makedirs(os.path.join(a.work, "exports"), exist_ok=True)
                export(os.path.join(a.work, "exports", f"step-{step}.safetensors"))
            log(f"EVAL step {step} synth val loss {sl:.4f} exact {sa:.4f} | BR val loss {bl:.4f} "
                f"exact {ba:.4f} | {'*best*' if improved else f'no improvement {bad}'} "
                f"| elapsed {elapsed / 60:.1f} min", logf)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "best": best, "bad": bad, "rng": rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state(), "elapsed": elapsed,
                        "restart_from": restart_from}, ckpt_path + ".tmp")
            os.replace(ckpt_path + ".tmp", ckpt_path)
            if bad >= a.patience:
                log(f"early stop at step {step}", logf)
                break
            n_before = len(sy)
            sx, sy = load_train()
            if len(sy) != n_before:
                log(f"synthetic train now {len(sy)} crops", logf)
    if loader:
        loader.terminate()
    log("training finished", logf)


if __name__ == "__main__":
    main()
