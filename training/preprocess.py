"""Exact numpy mirror of the Swift recognizer preprocessing.

RGB uint8 -> grey uint8 as (19595*R + 38470*G + 7471*B + 32768) >> 16,
then bilinear resize with half-pixel centres to the model's input size in float (no rounding;
`grey_input`), then (v - MEAN) * SCALE where the caller normalises. A model whose file says
`platetop.resample = "area"` is fed area-averaged inputs instead (`resize_area`): every source
pixel weighs by its overlap with the output pixel on each axis that shrinks; an axis that grows
keeps the bilinear taps.
"""
import numpy as np

OUT_W, OUT_H = 94, 24
MEAN = 127.5
SCALE = 0.0078125


def rgb_to_gray(rgb):
    """rgb: uint8 [H, W, 3] -> uint8 [H, W]."""
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    return ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16).astype(np.uint8)


def _axis(out_n, in_n):
    o = np.arange(out_n, dtype=np.float64)
    s = (o + 0.5) * in_n / out_n - 0.5
    s = np.clip(s, 0.0, in_n - 1)
    i0 = np.floor(s).astype(np.int64)
    i1 = np.minimum(i0 + 1, in_n - 1)
    w1 = s - i0
    return i0, i1, w1


def resize_bilinear(img, out_w=OUT_W, out_h=OUT_H):
    """img: [H, W] (any numeric) -> float32 [out_h, out_w], half-pixel centres."""
    img = np.asarray(img, dtype=np.float32)
    in_h, in_w = img.shape[:2]
    x0, x1, wx = _axis(out_w, in_w)
    y0, y1, wy = _axis(out_h, in_h)
    wx = wx.astype(np.float32)[None, :]
    wy = wy.astype(np.float32)[:, None]
    top = img[y0][:, x0] * (1 - wx) + img[y0][:, x1] * wx
    bot = img[y1][:, x0] * (1 - wx) + img[y1][:, x1] * wx
    return (top * (1 - wy) + bot * wy).astype(np.float32)


RESAMPLE_MODES = ("bilinear", "area")
# The resampling grey_input uses when its caller names none; train.py sets it once from --resample
# (forked data-loader workers inherit it).
RESAMPLE = "bilinear"


def _bilinear_matrix(out_n, in_n):
    i0, i1, w1 = _axis(out_n, in_n)
    m = np.zeros((out_n, in_n), np.float32)
    w1 = w1.astype(np.float32)
    np.add.at(m, (np.arange(out_n), i0), 1 - w1)
    np.add.at(m, (np.arange(out_n), i1), w1)
    return m


def area_matrix(out_n, in_n):
    """[out_n, in_n] float32 weights of one axis: output pixel o averages the source interval
    [o * in_n / out_n, (o + 1) * in_n / out_n), each source pixel weighed by its overlap (the
    weights of a row sum to 1); where out_n >= in_n, the bilinear taps instead. The Swift engine
    computes the same weights in Double and rounds them to Float, as here."""
    if out_n >= in_n:
        return _bilinear_matrix(out_n, in_n)
    s = in_n / out_n
    lo = np.arange(out_n, dtype=np.float64)[:, None] * s
    hi = lo + s
    i = np.arange(in_n, dtype=np.float64)[None, :]
    overlap = np.clip(np.minimum(i + 1, hi) - np.maximum(i, lo), 0, None)
    return (overlap / s).astype(np.float32)


def resize_area(img, out_w=OUT_W, out_h=OUT_H):
    """img: [H, W] (any numeric) -> float32 [out_h, out_w], area-averaged (area_matrix per axis:
    rows first, then columns, in float32 as the engine sums them)."""
    img = np.asarray(img, dtype=np.float32)
    in_h, in_w = img.shape[:2]
    rows = img @ area_matrix(out_w, in_w).T  # [in_h, out_w]
    return (area_matrix(out_h, in_h) @ rows).astype(np.float32)


def resize(img, out_w, out_h, resample=None):
    mode = resample or RESAMPLE
    if mode == "area":
        return resize_area(img, out_w, out_h)
    if mode != "bilinear":
        raise ValueError(f"resample {mode!r}: not one of {RESAMPLE_MODES}")
    return resize_bilinear(img, out_w, out_h)


def grey_input(rgb, width=OUT_W, height=OUT_H, resample=None):
    """RGB uint8 [H, W, 3] -> float32 [height, width] grey, not normalised: the recognizer's input
    at any size it runs (the same grey and resize as the Swift engine; `resample` None: RESAMPLE)."""
    return resize(rgb_to_gray(rgb), width, height, resample)

