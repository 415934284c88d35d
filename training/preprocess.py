"""Exact numpy mirror of the Swift recognizer preprocessing.

RGB uint8 -> grey uint8 as (19595*R + 38470*G + 7471*B + 32768) >> 16,
then bilinear resize with half-pixel centres to the model's input size in float (no rounding;
`grey_input`), then (v - MEAN) * SCALE where the caller normalises.
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


def grey_input(rgb, width=OUT_W, height=OUT_H):
    """RGB uint8 [H, W, 3] -> float32 [height, width] grey, not normalised: the recognizer's input
    at any size it runs (the same grey and resize as the Swift engine)."""
    return resize_bilinear(rgb_to_gray(rgb), out_w=width, out_h=height)

