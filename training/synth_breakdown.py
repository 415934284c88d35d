#!/usr/bin/env python3
"""Splits a synthetic-validation accuracy by what the renderer drew for each crop.

    platetop eval /tmp/synth-v4w110 --predictions /tmp/pred.tsv
    /usr/bin/python3 training/synth_breakdown.py /tmp/pred.tsv --set synth-val-v4w110 --recipe 4

`platetop eval` reports one figure for the whole synthetic set. This script re-draws the same crops
(render_plates.draw_shard, with the seed and first crop each shard's name carries) with their
capture record - plate height in the camera, blur, night IR, JPEG quality, plate style - checks that
every re-drawn crop is byte-identical to the cached one the predictions were made on, and prints exact-match accuracy per
bucket, so the model card can say where the errors are (small, blurred plates, or every plate).
"""
import argparse
import collections
import glob
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import render_plates as rp  # noqa: E402


def height_bucket(h):
    for lo, hi in ((12, 20), (20, 30), (30, 40), (40, 70)):
        if h < hi:
            return f"{lo}-{hi} px"
    return "70+ px"


def jpeg_bucket(q):
    if q is None:
        return "none"
    return "q < 50" if q < 50 else "q >= 50"


def buckets(info):
    """(axis, bucket) pairs one crop counts in."""
    yield "plate height in camera", height_bucket(info["plate_h"])
    yield "blur", info["blur"]
    yield "night IR", "yes" if info["night_ir"] else "no"
    yield "JPEG", jpeg_bucket(info["jpeg"])
    yield "style", info["style"]
    yield "rotation", "|angle| <= 8" if abs(info["angle"]) <= 8 else "|angle| > 8"
    legible = info["plate_h"] >= 20 and info["blur"] == "none" and not info["night_ir"] \
        and (info["jpeg"] is None or info["jpeg"] >= 50)
    yield "easy subset (>= 20 px, no blur, no IR, JPEG none or q >= 50)", "yes" if legible else "no"


def redraw(cache_set, recipe):
    """The capture records of the cached shards, checking each crop is the one cached. A shard's seed
    and first crop come from its name (render_plates.shard_name), its width and size from its array."""
    shards = sorted(glob.glob(os.path.join(cache_set, "*.npz")))
    if not shards:
        raise SystemExit(f"synth_breakdown: no shards in {cache_set}")
    rp.RECIPE = recipe
    records = []
    for path in shards:
        d = np.load(path)
        _, seed, start = os.path.basename(path).removesuffix(".npz").rsplit("-", 2)
        infos = []
        xs, labels = rp.draw_shard(int(seed), int(start), len(d["y"]), d["x"].shape[2], infos, height=d["x"].shape[1])
        if labels != [str(v) for v in d["y"]] or not np.array_equal(xs, d["x"]):
            raise SystemExit(f"synth_breakdown: {path} is not what recipe {recipe} draws for its seed")
        records += infos
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("predictions", help="TSV from platetop eval --predictions (FILE, TRUTH, READ, CONF)")
    ap.add_argument("--cache", default="/work/cache/platetop")
    ap.add_argument("--set", default="synth-val-v4w110", help="shard folder under --cache")
    ap.add_argument("--recipe", type=int, default=4, help="the recipe the set was rendered with")
    a = ap.parse_args()
    rows = [line.rstrip("\n").split("\t") for line in open(a.predictions) if line.strip()]
    records = redraw(os.path.join(a.cache, a.set), a.recipe)
    if len(rows) != len(records):
        raise SystemExit(f"synth_breakdown: {len(rows)} predictions for {len(records)} cached crops")
    tally = collections.defaultdict(lambda: [0, 0])
    for (name, truth, read, *_), info in zip(rows, records):
        for key in buckets(info):
            tally[key][0] += truth == read
            tally[key][1] += 1
    correct = sum(t == r for _, t, r, *_ in rows)
    print(f"all: {correct}/{len(rows)} ({100 * correct / len(rows):.1f}%)")
    axis = None
    for (ax, b), (c, n) in sorted(tally.items()):
        if ax != axis:
            print(ax)
            axis = ax
        print(f"  {b:<14} {c:5d}/{n:<5d} ({100 * c / n:5.1f}%)")


if __name__ == "__main__":
    main()
