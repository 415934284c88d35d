"""Parametric stroke fonts for the plate renderer (recipes 10 and 11).

Many registration typefaces are drawn, not designed as outlines: DIN 1451 (DE and a dozen countries),
the US FHWA series, the old Brazilian plates' narrow rounded face. They are a pen of one width
moved along straight lines and rounded corners. The system fonts the renderer otherwise uses are
book faces whose Q carries a long tail, whose Y forks high and whose M is shallow; on a 24-row input a
real plate's Q (a stub under a rounded box), its Y and its M differ from them by a pixel or two.

`random_stroke_font(rng)` draws one such face: glyph width, stroke width, corner radius, slant,
monospace or proportional advance, and a variant for each letter that has several real shapes
(pointed, arched or flat-topped A; Q's tail; Y's fork height; M's middle depth; 1's foot;
open or closed 4; ...). `StrokeFont.layer(text, spacing)` draws a text as a white-on-black PIL "L"
image, which draw_text_box fits into its box as it does a TrueType line. `br_stroke_font(rng)` is
the old Brazilian plates' face (recipe 11).
"""
import math

from PIL import Image, ImageDraw

GLYPH_H = 96  # glyph height in pixels when drawn (draw_text_box rescales the line to its box)


def _arc(cx, cy, r, a0, a1, n=7):
    """Points of a circular arc, angles in degrees, y down (0 = right, 90 = down, 270 = up)."""
    return [(cx + r * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + r * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]


class StrokeFont:
    """One drawn face: every glyph is polylines in a box `width` x GLYPH_H, stroked `stroke` wide."""

    def __init__(self, rng):
        u = rng.uniform
        self.aspect = u(0.42, 0.62)          # glyph box width / height
        self.stroke = u(0.085, 0.16)         # pen width / height
        self.round = u(0.45, 1.0)            # corner radius as a share of the largest it can be (0 stays
                                             # rounder than D, whose left corners are square)
        self.slant = u(0.0, 0.14) if rng.random() < 0.2 else 0.0
        self.mono = rng.random() < 0.5       # 1 and I take a full cell
        self.o_wide = u(1.0, 1.12)           # O against 0: as wide or wider (DE, UK, NL)
        self.v = {k: int(rng.integers(0, n)) for k, n in _VARIANTS.items()}
        self.m_depth = u(0.4, 0.8)
        self.y_fork = u(0.38, 0.6)
        self.mid = u(0.46, 0.54)             # height of E, F, H, P, R bars and the bowls' join
        self.round_caps = rng.random() < 0.6
        self.plain_one = False               # 1 drawn as a bare stroke, as I (only where the format
                                             # tells letters from digits: br_stroke_font)

    def _box(self, ch):
        w = self.aspect * GLYPH_H
        if ch in "MW":
            w *= 1.15
        elif ch == "O":
            w *= self.o_wide
        elif ch in "1I" and not self.mono:
            w = w * 0.6 if ch == "1" else self.stroke * GLYPH_H
        elif ch == "-":
            w *= 0.6
        elif ch in " ·":
            w *= 0.45
        return w

    def glyph(self, ch):
        """The polylines (lists of (x, y)) of `ch` in its box, the box width."""
        s = self.stroke * GLYPH_H
        w = self._box(ch)
        L, T, R, B = s / 2, s / 2, max(s / 2 + 1, w - s / 2), GLYPH_H - s / 2
        return _glyph(ch, L, T, R, B, self), w

    def layer(self, text, spacing=0.0):
        """`text` drawn white on black, with a gap of about (0.06 + spacing / 2) glyph heights."""
        gap = (0.06 + 0.5 * spacing) * GLYPH_H
        s = self.stroke * GLYPH_H
        parts, x = [], s
        for ch in text:
            polys, w = self.glyph(ch)
            parts.append((x, polys))
            x += w + gap
        width = int(math.ceil(x + s + 0.2 * GLYPH_H))
        img = Image.new("L", (width, int(GLYPH_H * 1.25)), 0)
        d = ImageDraw.Draw(img)
        oy = 0.08 * GLYPH_H
        for ox, polys in parts:
            for poly in polys:
                pts = [(ox + px + self.slant * (GLYPH_H - py), oy + py) for px, py in poly]
                if len(pts) == 1:  # a dot
                    (px, py), r = pts[0], s * 0.6
                    d.ellipse((px - r, py - r, px + r, py + r), fill=255)
                    continue
                d.line(pts, fill=255, width=max(1, int(round(s))), joint="curve")
                ends = pts if self.round_caps else pts[1:-1]
                for px, py in ends:
                    d.ellipse((px - s / 2, py - s / 2, px + s / 2, py + s / 2), fill=255)
        return img


# Shape variants per character (how many). "6" is drawn but has one shape: it stays so that the
# recipe-10 shards the shipped model trained on re-render with the same draws.
_VARIANTS = {"A": 3, "Q": 3, "V": 2, "W": 2, "M": 2, "K": 2, "1": 2, "4": 2, "7": 2, "3": 2,
             "I": 2, "G": 2, "R": 2, "J": 2, "5": 2, "2": 2, "6": 2}


def _glyph(ch, L, T, R, B, f):
    """The polylines of one character in the box (L, T)-(R, B) (stroke centre lines)."""
    W, H = R - L, B - T
    CX, M = (L + R) / 2, T + f.mid * H
    rmax = min(W, H) / 2
    r = f.round * rmax                 # corner radius of full-height shapes
    rh = min(r, (M - T) / 2, W / 2)    # of half-height bowls (B, P, R, S, 3, 5, 6, 8, 9)
    v = f.v

    def tl(rr): return _arc(L + rr, T + rr, rr, 180, 270)
    def tr(rr): return _arc(R - rr, T + rr, rr, 270, 360)
    def br(rr): return _arc(R - rr, B - rr, rr, 0, 90)
    def bl(rr): return _arc(L + rr, B - rr, rr, 90, 180)
    def rev(p): return p[::-1]
    def box(x0, y0, x1, y1, rr):
        rr = min(rr, (x1 - x0) / 2, (y1 - y0) / 2)
        p = (_arc(x0 + rr, y0 + rr, rr, 180, 270) + _arc(x1 - rr, y0 + rr, rr, 270, 360)
             + _arc(x1 - rr, y1 - rr, rr, 0, 90) + _arc(x0 + rr, y1 - rr, rr, 90, 180))
        return p + [p[0]]
    def lerp(p, q, t): return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)

    def six():
        y = T + 0.42 * H
        rb = min(r, (B - y) / 2, W / 2)
        return [rev(tr(r)) + rev(tl(r)) + [(L, B - rb)] + rev(bl(rb)) + rev(br(rb))
                + _arc(R - rb, y + rb, rb, 360, 270) + [(L, y)]]

    if ch in "O0":
        return [box(L, T, R, B, r)]
    if ch == "Q":
        p = [box(L, T, R, B, r)]
        if v["Q"] == 0:    # a stub under the box (old Brazilian plates)
            return p + [[(CX + 0.05 * W, B - 0.12 * H), (CX + 0.2 * W, B + 0.1 * H)]]
        if v["Q"] == 1:    # a diagonal across the lower right
            return p + [[(CX + 0.1 * W, B - 0.3 * H), (R + 0.05 * W, B + 0.05 * H)]]
        return p + [[(R - 0.25 * W, B - 0.06 * H), (R + 0.04 * W, B + 0.1 * H)]]
    if ch == "C":
        return [rev(tr(r)) + rev(tl(r)) + rev(bl(r)) + rev(br(r))]
    if ch == "G":
        y = T + 0.55 * H
        p = rev(tr(r)) + rev(tl(r)) + rev(bl(r)) + rev(br(r)) + [(R, y)]
        return [p + [(CX, y)]] if v["G"] == 0 else [p, [(CX, y), (R, y)]]
    if ch == "D":
        rd = min(r * 1.3, rmax)
        return [[(L, T)] + tr(rd) + br(rd) + [(L, B), (L, T)]]
    if ch == "U":
        return [[(L, T)] + rev(bl(r)) + rev(br(r)) + [(R, T)]]
    if ch == "J":
        rj = min(r, W / 2)
        p = [(R, T)] + br(rj) + bl(rj)
        p += [(L, B - max(rj, 0.28 * H))]
        return [[(CX - 0.1 * W, T)] + p] if v["J"] else [p]
    if ch == "S":
        return [rev(tr(rh)) + rev(tl(rh)) + _arc(L + rh, M - rh, rh, 180, 90)
                + _arc(R - rh, M + rh, rh, 270, 360) + br(rh) + bl(rh)]
    if ch == "8":
        return [box(L + 0.06 * W, T, R - 0.06 * W, M, rh), box(L, M, R, B, min(r, (B - M) / 2))]
    if ch == "B":
        return [[(L, M), (R - 0.06 * W - rh, M)] + _arc(R - 0.06 * W - rh, M - rh, rh, 90, 0)
                + _arc(R - 0.06 * W - rh, T + rh, rh, 0, -90) + [(L, T), (L, B)]
                + _arc(R - rh, B - rh, rh, 90, 0) + _arc(R - rh, M + rh, rh, 0, -90) + [(L, M)]]
    if ch in "PR":
        p = [(L, B), (L, T)] + tr(rh) + _arc(R - rh, M - rh, rh, 0, 90) + [(L, M)]
        if ch == "P":
            return [p]
        if v["R"] == 0:
            return [p, [(L + 0.45 * W, M), (R, B)]]
        return [p, [(R - rh, M)] + _arc(R - rh, M + rh, rh, 270, 360) + [(R, B)]]
    if ch == "2":
        knee = T + (0.42 if v["2"] else 0.32) * H
        return [[(L, T + rh)] + tl(rh) + tr(rh) + [(R, knee), (L, B), (R, B)]]
    if ch == "3":
        if v["3"]:   # flat top
            return [[(L, T), (R, T), (CX - 0.05 * W, M)] + _arc(R - rh, M + rh, rh, 270, 360)
                    + br(rh) + bl(rh)]
        return [[(L, T + rh)] + tl(rh) + tr(rh) + _arc(R - rh, M - rh, rh, 0, 90) + [(CX - 0.1 * W, M)],
                [(R - rh, M)] + _arc(R - rh, M + rh, rh, 270, 360) + br(rh) + bl(rh)]
    if ch == "5":
        y = T + 0.42 * H
        rb = min(r, (B - y) / 2, W / 2)
        p = [(R, T), (L + (0.08 * W if v["5"] else 0), T), (L, y), (R - rb, y)]
        return [p + _arc(R - rb, y + rb, rb, 270, 360) + br(rb) + bl(rb)]
    if ch == "6":
        return six()
    if ch == "9":
        return [[(L + R - x, T + B - y) for x, y in six()[0]]]
    if ch == "A":
        y = T + 0.62 * H
        if v["A"] == 0:    # pointed
            return [[(L, B), (CX, T), (R, B)], [lerp((L, B), (CX, T), 1 - 0.62), lerp((R, B), (CX, T), 1 - 0.62)]]
        if v["A"] == 1:    # arched
            return [[(L, B)] + tl(r) + tr(r) + [(R, B)], [(L, T + 0.55 * H), (R, T + 0.55 * H)]]
        return [[(L, B), (L + 0.28 * W, T), (R - 0.28 * W, T), (R, B)],
                [lerp((L, B), (L + 0.28 * W, T), 0.38), lerp((R, B), (R - 0.28 * W, T), 0.38)]]
    if ch == "E":
        return [[(R, T), (L, T), (L, B), (R, B)], [(L, M), (R - 0.12 * W, M)]]
    if ch == "F":
        return [[(R, T), (L, T), (L, B)], [(L, M), (R - 0.12 * W, M)]]
    if ch == "H":
        return [[(L, T), (L, B)], [(R, T), (R, B)], [(L, M), (R, M)]]
    if ch == "I":
        if v["I"] and f.mono:
            return [[(CX, T), (CX, B)], [(CX - 0.3 * W, T), (CX + 0.3 * W, T)], [(CX - 0.3 * W, B), (CX + 0.3 * W, B)]]
        return [[(CX, T), (CX, B)]]
    if ch == "K":
        if v["K"]:
            return [[(L, T), (L, B)], [(R, T), (L, M), (R, B)]]
        return [[(L, T), (L, B)], [(R, T), (L, T + 0.62 * H)], [(L + 0.36 * W, T + 0.46 * H), (R, B)]]
    if ch == "L":
        return [[(L, T), (L, B), (R, B)]]
    if ch == "M":
        if v["M"]:
            return [[(L, B), (L + 0.06 * W, T), (CX, T + f.m_depth * H), (R - 0.06 * W, T), (R, B)]]
        return [[(L, B), (L, T), (CX, T + f.m_depth * H), (R, T), (R, B)]]
    if ch == "N":
        return [[(L, B), (L, T), (R, B), (R, T)]]
    if ch == "T":
        return [[(L, T), (R, T)], [(CX, T), (CX, B)]]
    if ch == "V":
        if v["V"]:
            return [[(L, T), (L, T + 0.35 * H), (CX, B), (R, T + 0.35 * H), (R, T)]]
        return [[(L, T), (CX, B), (R, T)]]
    if ch == "W":
        if v["W"]:
            return [[(L, T), (L, B), (CX, T + 0.4 * H), (R, B), (R, T)]]
        return [[(L, T), (L + 0.22 * W, B), (CX, T + 0.3 * H), (R - 0.22 * W, B), (R, T)]]
    if ch == "X":
        return [[(L, T), (R, B)], [(R, T), (L, B)]]
    if ch == "Y":
        y = T + f.y_fork * H
        return [[(L, T), (CX, y), (R, T)], [(CX, y), (CX, B)]]
    if ch == "Z":
        return [[(L, T), (R, T), (L, B), (R, B)]]
    if ch == "1":   # a flag, unless the face draws it as the I (plain_one)
        if f.plain_one:
            return [[(CX, T), (CX, B)]]
        p = [[(CX - 0.45 * W, T + 0.22 * H), (CX, T), (CX, B)]]
        if v["1"]:
            p.append([(CX - 0.45 * W, B), (CX + 0.45 * W, B)])
        return p
    if ch == "4":
        x, y = R - 0.22 * W, T + 0.66 * H
        if v["4"]:
            return [[(x, B), (x, T), (L, y), (R, y)]]
        return [[(L + 0.1 * W, T), (L, y), (R, y)], [(x, T + 0.34 * H), (x, B)]]
    if ch == "7":
        if v["7"]:
            return [[(L, T), (R, T), (R, T + 0.15 * H), (CX - 0.08 * W, B)]]
        return [[(L, T), (R, T), (L + 0.25 * W, B)]]
    if ch == "-":
        return [[(L, T + 0.5 * H), (R, T + 0.5 * H)]]
    if ch == "·":
        return [[(CX, T + 0.5 * H)]]
    return []   # space (and anything else): an empty cell


def random_stroke_font(rng):
    """One stroke face, all its parameters drawn from `rng` (a numpy Generator)."""
    return StrokeFont(rng)


def br_stroke_font(rng):
    """The narrow rounded face of the old Brazilian plates (AAA-9999, 1990-2018), as the real crops
    show it: monospace, upright, rounded boxes, a flat-topped A, a Q with a short stub under its box,
    K's arms meeting at the stem, a Y forked near half height, and the 1 a bare stroke like the I
    (the format tells them apart: three letters, then four digits)."""
    f = StrokeFont(rng)
    u = rng.uniform
    f.aspect, f.stroke, f.round = u(0.42, 0.52), u(0.11, 0.16), u(0.55, 0.85)
    f.slant, f.mono, f.o_wide, f.plain_one = 0.0, True, 1.0, True
    f.m_depth, f.y_fork, f.mid = u(0.55, 0.75), u(0.42, 0.55), u(0.47, 0.52)
    f.v.update({"A": 2, "Q": 0, "K": 1, "M": 0, "W": 0, "V": 0, "4": 1, "7": 0, "3": 0, "I": 0, "1": 0})
    return f
