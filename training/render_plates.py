#!/usr/bin/env python3
"""Synthetic licence-plate crop renderer (PIL + numpy, Debian system fonts).

Each sample is a camera-like crop of one plate, converted to grey and resized
to 94x24 (or `--width W` x `--height H`) with the exact Swift preprocessing (training/preprocess.py), stored
as rounded uint8.  Labels contain only 0-9A-Z (separators are drawn, never
labelled).

Usage:
  render_plates.py --out /work/cache/platetop/synth --count 200000 \
      --shard-size 10000 --seed 1 --procs 2
  render_plates.py --preview /tmp/preview.png --count 64
"""
import argparse
import io
import math
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import preprocess  # noqa: E402
from preprocess import OUT_H, OUT_W, grey_input  # noqa: E402
from stroke_font import StrokeFont, br_stroke_font, random_stroke_font  # noqa: E402

# Recipe 1: the first shards (crop margins down to -1 %/-6 %, no legibility budget); recipe 2 (default):
# crops never cut into the plate's sides, small plates get milder blur/noise/JPEG, lighter dirt.
# Recipe 3: recipe 2 plus the furniture real European plates carry and the label leaves out: seals
# and stickers between the letter and digit groups (DE, HR/SI shields, CZ/PL circles, SE number
# stickers), a right-hand regional band (FR department, IT year/province), a yellow date band, a
# small raised registration mark (NL). Recipe 4: recipe 3 plus doubled characters in 20 % of the
# character groups and 30 % tight crops (the plate edge to edge, as in hand-cut crops). Recipe 5:
# recipe 4 with ten more registration fonts (_PLATE_FONTS_5: DIN 1451 and other plate-like faces).
# Recipe 6: recipe 5 where a slot that takes letters or digits never draws the letter O (its glyph is
# the digit 0 in many plate fonts, so such a label cannot be read from the image; real plate systems
# avoid the pair the same way), doubled characters in 30 % of the groups (a quarter of them tripled,
# 999AAA67), steep rotations (uniform +-15 deg) for 30 % of the crops instead of 20 %, and more real
# European furniture: red Belgian text and border, national bands with flag stripes instead of the EU
# band (H, AL, GB, CH, ...), and a square number sticker at the right (SE).
# Recipe 7: recipe 6 where free-format texts (generic plates, European generic groups, US vanity-style
# plates) are runs of letters and runs of digits, as nearly every plate system writes them (FUOCO,
# 5VSP06, AB12CDE): a letter run may draw O and a digit run 0, so a round glyph is read from its
# neighbours, which real plates allow and recipe 6's scattered slots did not; a one-character run
# beside another draws neither O nor 0, and 15 % of such texts stay scattered (recipe 6, no O).
# Recipe 8: recipe 7 where a letter run never starts or ends with O beside a digit run, so a round
# glyph touching a digit is a 0, as on real plates (XC08AYN, DT005DD, 5VSP06; recipe 7 taught the
# model to read such glyphs as O after a letter).
# Recipe 9: recipe 8 where the three monospace faces with a dotted zero (DejaVu Sans Mono, Liberation
# Mono Bold; about a tenth of the plates) draw their 0 with their O, as undotted as every real plate's.
# Recipe 10: recipe 9 where 35 % of the registration texts are drawn in a parametric stroke face
# (training/stroke_font.py: DIN-, FHWA- and old-Brazilian-like pens; a Q with a stub, a low-forked Y,
# a deep M), the shapes a real plate's narrow drawn face has and the system book faces lack.
# Recipe 11: recipe 10 where 60 % of the old Brazilian plates draw their text in the stroke face real
# ones have (stroke_font.br_stroke_font: narrow, monospace, rounded, Q with a stub, 1 a bare stroke).
# Recipe 12: recipe 11 where half of the European texts follow the formats recipes up to 11 lacked
# (_EU_FORMATS_12: French FNI, Portuguese, Dutch side codes, Belgian, British prefix/suffix, Irish, ...),
# most of them digit-first, as 28 % of the real European test plates are, and half of the US texts
# the state formats recipes up to 11 lacked (_US_FORMATS_12).
# Kept selectable so training/make_model.sh re-renders exactly the shards the shipped model saw.
RECIPE = 4

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALNUM = DIGITS + LETTERS
ALNUM_NO_O = DIGITS + LETTERS.replace("O", "")  # recipe 6's letter-or-digit slots
# recipe 7's one-character runs beside another run, and recipe 8's letters beside a digit run
LETTERS_NO_O = LETTERS.replace("O", "")
DIGITS_NO_0 = DIGITS.replace("0", "")

_FONT_DIRS = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/freefont",
    "/usr/share/fonts/opentype/urw-base35",
    # recipe 5 (Debian fonts-opendin fonts-roboto-unhinted fonts-b612 fonts-clear-sans
    # fonts-bebas-neue fonts-league-spartan)
    "/usr/share/fonts/truetype/opendin",
    "/usr/share/fonts/truetype/roboto/unhinted",
    "/usr/share/fonts/opentype/b612",
    "/usr/share/fonts/truetype/clear-sans",
    "/usr/share/fonts/opentype/bebas-neue",
    "/usr/share/fonts/opentype/league-spartan",
]
# Folders searched first, colon-separated: a machine without the Debian font packages (the lent GPU
# machine, training/device_train.sh) gets the same font files carried in one folder.
_FONT_DIRS = [d for d in os.environ.get("PLATETOP_FONT_DIRS", "").split(":") if d] + _FONT_DIRS
# (file, weight) -- plate fonts are mostly bold sans / condensed / mono.
_PLATE_FONTS = [
    ("DejaVuSans-Bold.ttf", 3), ("DejaVuSansCondensed-Bold.ttf", 4),
    ("DejaVuSansMono-Bold.ttf", 3), ("DejaVuSans.ttf", 1),
    ("DejaVuSansCondensed.ttf", 1), ("DejaVuSansMono.ttf", 1),
    ("LiberationSans-Bold.ttf", 3), ("LiberationMono-Bold.ttf", 2),
    ("LiberationSans-Regular.ttf", 1),
    ("FreeSansBold.ttf", 2), ("FreeMonoBold.ttf", 1), ("FreeSans.ttf", 1),
    ("NimbusSansNarrow-Bold.otf", 4), ("NimbusSansNarrow-Regular.otf", 2),
    ("NimbusSans-Bold.otf", 2), ("NimbusMonoPS-Bold.otf", 1),
    ("URWGothic-Demi.otf", 1), ("URWGothic-Book.otf", 1),
    ("DejaVuSerif-Bold.ttf", 1), ("LiberationSerif-Bold.ttf", 1),
]
# Recipe 5 adds these: a DIN 1451 Engschrift (OSP-DIN: German, Brazilian and many other plates),
# condensed grotesques close to FE-Schrift and US plate faces, and legibility faces whose letters
# and digits differ by small details (B612, Clear Sans).
_PLATE_FONTS_5 = [
    ("OSP-DIN.ttf", 7), ("RobotoCondensed-Bold.ttf", 3), ("RobotoCondensed-Medium.ttf", 2),
    ("RobotoCondensed-Regular.ttf", 1), ("B612-Bold.otf", 2), ("B612Mono-Bold.otf", 2),
    ("ClearSans-Bold.ttf", 2), ("ClearSans-Medium.ttf", 1), ("BebasNeue-Bold.otf", 2),
    ("LeagueSpartan-Bold.otf", 1),
]
# Monospace faces whose zero carries a dot, which no plate's does: from recipe 9 their digit 0 is
# drawn with their letter O (the same width), so the model cannot learn the dot as what makes a 0.
DOTTED_ZERO_FONTS = {"DejaVuSansMono-Bold.ttf", "DejaVuSansMono.ttf", "LiberationMono-Bold.ttf"}
_DECOR_FONTS = ["DejaVuSerif-BoldItalic.ttf", "Z003-MediumItalic.otf",
                "LiberationSerif-Italic.ttf", "DejaVuSans.ttf",
                "FreeSerifBoldItalic.ttf", "URWBookman-DemiItalic.otf",
                "NimbusSans-Regular.otf"]


def _find(name):
    for d in _FONT_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def _font_list(entries):
    """Paths and draw probabilities of the fonts of `entries` found on this machine."""
    found = [(p, w) for p, w in ((_find(n), w) for n, w in entries) if p]
    w = np.array([w for _, w in found], dtype=np.float64)
    return [p for p, _ in found], w / max(w.sum(), 1.0)


PLATE_FONTS, PLATE_FONT_P = _font_list(_PLATE_FONTS)
if not PLATE_FONTS:
    raise SystemExit("no plate fonts found; install fonts-dejavu-core")
PLATE_FONTS_5, PLATE_FONT_P5 = _font_list(_PLATE_FONTS + _PLATE_FONTS_5)
DECOR_FONTS = [p for p in (_find(n) for n in _DECOR_FONTS) if p] or PLATE_FONTS


def missing_recipe5_fonts():
    """Recipe 5's own fonts that are not installed (main() refuses to render recipe 5 without all)."""
    return [n for n, _ in _PLATE_FONTS_5 if not _find(n)]


def plate_font(rng):
    """The registration text's font: one weighted draw (the same draw for every recipe up to 9; from
    recipe 10 a StrokeFont for 35 % of the plates)."""
    if RECIPE >= 10 and rng.random() < 0.35:
        return random_stroke_font(rng)
    if RECIPE >= 5:
        return PLATE_FONTS_5[rng.choice(len(PLATE_FONTS_5), p=PLATE_FONT_P5)]
    return PLATE_FONTS[rng.choice(len(PLATE_FONTS), p=PLATE_FONT_P)]


_font_cache = {}


def font(path, size):
    key = (path, size)
    f = _font_cache.get(key)
    if f is None:
        f = ImageFont.truetype(path, size)
        _font_cache[key] = f
    return f


# ---------------------------------------------------------------- texts

def _rs(rng, alphabet, n):
    if RECIPE >= 6 and alphabet == ALNUM:
        alphabet = ALNUM_NO_O
    s = [alphabet[i] for i in rng.integers(0, len(alphabet), n)]
    # recipe 4: doubled characters (KPHT877, WWGG544) are common on real plates and the hardest
    # case for CTC (the blank between two equal characters must land on one time step)
    if RECIPE >= 4 and n >= 2 and rng.random() < (0.3 if RECIPE >= 6 else 0.2):
        k = int(rng.integers(1, n))
        s[k] = s[k - 1]
        if RECIPE >= 6 and n >= 3 and rng.random() < 0.25:  # tripled: 999AAA67
            k = int(rng.integers(2, n))
            s[k - 1] = s[k - 2]
            s[k] = s[k - 1]
    return "".join(s)


def _free(rng, n):
    """n characters of a free-format text: scattered letters and digits (recipes up to 6), or from
    recipe 7 mostly one to four alternating runs of letters and digits (see RECIPE); from recipe 8
    no O touches a digit run."""
    if RECIPE < 7 or n < 2 or rng.random() < 0.15:
        return _rs(rng, ALNUM, n)
    k = int(rng.integers(1, min(n, 4) + 1))
    ends = sorted(int(c) for c in rng.choice(np.arange(1, n), k - 1, replace=False)) + [n]
    letters = rng.random() < 0.5
    s, start = "", 0
    for i, end in enumerate(ends):
        m = end - start
        alphabet = LETTERS if letters else DIGITS
        if m == 1 and k > 1:  # a lone character beside another run: no context tells O from 0
            alphabet = LETTERS_NO_O if letters else DIGITS_NO_0
        run = _rs(rng, alphabet, m)
        if RECIPE >= 8 and letters:  # a round glyph touching a digit run is a 0 (XC08AYN, DT005DD)
            if i > 0 and run[0] == "O":
                run = _rs(rng, LETTERS_NO_O, 1) + run[1:]
            if i < k - 1 and run[-1] == "O":
                run = run[:-1] + _rs(rng, LETTERS_NO_O, 1)
        s += run
        letters, start = not letters, end
    return s


def text_br_old(rng):
    l, d = _rs(rng, LETTERS, 3), _rs(rng, DIGITS, 4)
    return [l, d], rng.choice(["-", "·", " ", "-"])


def text_mercosur(rng):
    return [_rs(rng, LETTERS, 3) + _rs(rng, DIGITS, 1) + _rs(rng, LETTERS, 1)
            + _rs(rng, DIGITS, 2)], " "


def text_eu(rng):
    if RECIPE >= 12 and rng.random() < 0.5:
        return _text_format_12(rng, _EU_FORMATS_12)
    k = rng.integers(0, 7)
    if k == 0:   # FR/IT AB-123-CD
        g = [_rs(rng, LETTERS, 2), _rs(rng, DIGITS, 3), _rs(rng, LETTERS, 2)]
        sep = rng.choice(["-", " "])
    elif k == 1:  # DE  M AB 1234
        g = [_rs(rng, LETTERS, rng.integers(1, 4)), _rs(rng, LETTERS, rng.integers(1, 3)),
             _rs(rng, DIGITS, rng.integers(1, 5))]
        sep = " "
    elif k == 2:  # PL WB 12345 / WB 1234A
        g = [_rs(rng, LETTERS, rng.integers(2, 4)),
             _rs(rng, DIGITS, rng.integers(3, 5)) + _rs(rng, ALNUM, rng.integers(0, 2))]
        sep = " "
    elif k == 3:  # NL 12-ABC-3
        g = [_rs(rng, ALNUM, 2), _rs(rng, LETTERS, 3), _rs(rng, DIGITS, 1)]
        sep = "-"
    elif k == 4:  # ES 1234 ABC
        g = [_rs(rng, DIGITS, 4), _rs(rng, LETTERS, 3)]
        sep = " "
    elif k == 5:  # UK AB12 CDE
        g = [_rs(rng, LETTERS, 2) + _rs(rng, DIGITS, 2), _rs(rng, LETTERS, 3)]
        sep = " "
    else:  # generic groups
        n = rng.integers(2, 4)
        g = [_free(rng, int(rng.integers(1, 4))) for _ in range(n)]
        sep = rng.choice([" ", "-", "·"])
    return g, sep


# Recipe 12's European formats (half of its European texts): the systems whose groups recipes up to 11
# never drew, most of them digit-first (French FNI 932 CBL 06, Portuguese 02-NF-99, Dutch side codes,
# Belgian 1-ABC-234 and 123-ABC, British prefix and suffix marks, Irish 141-D-12345, Czech 4C1 0423, Nordic,
# Danish, Romanian). A format is its groups, each one or more runs joined by "+": "L2" two letters,
# "D1-3" one to three digits; the groups are joined by one of the format's separators. A shape two
# systems share (Portuguese and Dutch) is listed for each, so it is drawn as often as both together.
_EU_FORMATS_12 = [
    ("D1-4 L1-3 D2", " -"),          # FR FNI (until 2009): 85 XB 80, 932 CBL 06, 7252 YL 94
    ("D2 L2 D2", "-"), ("L2 D2 D2", "-"), ("D2 D2 L2", "-"), ("L2 D2 L2", "-"),   # PT
    ("D2 L2 D2", "-"), ("D2 D2 L2", "-"), ("L2 D2 D2", "-"), ("L2 D3 L1", "-"),   # NL side codes 1-3, 9
    ("D2 L3 D1", "-"), ("D1 L3 D2", "-"), ("L1 D3 L2", "-"), ("L3 D2 L1", "-"),   # NL 7, 8, 10, 11
    ("L1 D2 L3", "-"), ("D1 L2 D3", "-"), ("D3 L2 D1", "-"),                       # NL 12-14
    ("D1 L3 D3", "-"), ("D3 L3", "-"), ("L3 D3", "-"),   # BE 1-ABC-234, 123-ABC and ABC-123 (to 2008)
    ("L1+D1-3 L3", " "), ("L3 D1-3+L1", " "),   # UK prefix W668 AHK, suffix ABC 123D
    ("D2-3 L1-2 D1-6", "-"),         # IE 141-D-12345
    ("D1+L1+D1 D4", " "),            # CZ 4C1 0423
    ("L2 D3+L2", "-"),               # SK BA-123AB
    ("L3 D3", " -"), ("L2 D5", " "), ("L2 D2 D3", " "),   # SE/FI, NO, DK AB 12 345
    ("L1-2 D2-3 L3", " "),           # RO B 123 ABC, CJ 12 ABC
    ("L1-3 D1-4 L1-2", " -"),        # AT/HR/SI-like W 12345 X
]


def _format_run(rng, spec):
    lo, _, hi = spec[1:].partition("-")
    n = int(rng.integers(int(lo), int(hi or lo) + 1))
    return _rs(rng, LETTERS if spec[0] == "L" else DIGITS, n)


def _text_format_12(rng, formats):
    """Groups and separator of a text drawn in one of recipe 12's `formats`."""
    fmt, seps = formats[rng.integers(0, len(formats))]
    g = ["".join(_format_run(rng, run) for run in group.split("+")) for group in fmt.split()]
    return g, seps[rng.integers(0, len(seps))]


# Recipe 12's US formats (half of its US texts), the ones recipes up to 11 lacked: IL AB 12345,
# NJ A12-BCD, MA 1ABC23, MD 1AB2345, CO ABC-D12, MN 123-ABC, ABC 123.
_US_FORMATS_12 = [("L2 D5", " "), ("L1+D2 L3", "-"), ("D1+L3+D2", " "), ("D1+L2+D4", " "),
                  ("L3 L1+D2", "-"), ("D3 L3", "-"), ("L3 D3", " -")]


def text_us(rng):
    if RECIPE >= 12 and rng.random() < 0.5:
        return _text_format_12(rng, _US_FORMATS_12)
    k = rng.integers(0, 5)
    if k == 0:
        g = [_rs(rng, DIGITS, 1) + _rs(rng, LETTERS, 3), _rs(rng, DIGITS, 3)]
    elif k == 1:
        g = [_rs(rng, LETTERS, 3), _rs(rng, DIGITS, 4)]
    elif k == 2:
        g = [_free(rng, int(rng.integers(5, 8)))]
    elif k == 3:
        g = [_rs(rng, DIGITS, 3), _rs(rng, LETTERS, 3)]
    else:
        g = [_rs(rng, LETTERS, 2) + _rs(rng, DIGITS, 1), _free(rng, 3)]
    return g, rng.choice([" ", "-", " ", ""])


def text_generic(rng):
    n = int(rng.integers(2, 11))
    s = _free(rng, n)
    if n >= 4 and rng.random() < 0.4:
        c = int(rng.integers(1, n))
        return [s[:c], s[c:]], rng.choice([" ", "-"])
    return [s], ""


US_STATES = ["CALIFORNIA", "TEXAS", "FLORIDA", "NEW YORK", "OHIO", "ARIZONA", "NEVADA",
             "OREGON", "IDAHO", "UTAH", "MAINE", "GEORGIA", "ILLINOIS", "VERMONT",
             "COLORADO", "MONTANA", "Virginia", "Kansas", "Indiana", "Alaska"]
US_SLOGANS = ["SUNSHINE STATE", "Land of Lincoln", "THE LONE STAR STATE",
              "EMPIRE STATE", "Famous Potatoes", "GREEN MOUNTAINS", "dmv.gov",
              "Vacationland", "Live Free or Die", "Grand Canyon State", "COUNTY"]
BR_CITIES = ["SP SAO PAULO", "PR PARANAGUA", "RJ RIO DE JANEIRO", "MG BELO HORIZONTE",
             "PR CURITIBA", "SC JOINVILLE", "RS PORTO ALEGRE", "BA SALVADOR"]
EU_CODES = ["D", "F", "NL", "PL", "I", "B", "E", "CZ", "A", "P", "SK", "L", "H", "RO", "S"]


# ---------------------------------------------------------------- drawing helpers

def _col(rng, base, jitter=18):
    return tuple(int(np.clip(c + rng.integers(-jitter, jitter + 1), 0, 255)) for c in base)


def draw_text_box(img, box, text, fpath, fill, rng, stretch=True, spacing=0.0):
    """Draw `text` fitted into box=(x0,y0,x1,y1) (height-driven) in `fpath`, a font file or a
    StrokeFont."""
    if RECIPE >= 9 and isinstance(fpath, str) and os.path.basename(fpath) in DOTTED_ZERO_FONTS:
        text = text.replace("0", "O")  # the glyph drawn, not the label
    x0, y0, x1, y1 = [int(round(v)) for v in box]
    bw, bh = max(1, x1 - x0), max(1, y1 - y0)
    if isinstance(fpath, StrokeFont):
        layer = fpath.layer(text, spacing)
    elif spacing > 0 and len(text) > 1:
        f = font(fpath, 64)
        widths = [f.getbbox(ch)[2] - f.getbbox(ch)[0] if ch != " " else 24 for ch in text]
        gap = int(spacing * 40)
        tw = sum(widths) + gap * (len(text) - 1) + 8
        layer = Image.new("L", (tw, 90), 0)
        d = ImageDraw.Draw(layer)
        x = 4
        for ch, w in zip(text, widths):
            if ch != " ":
                bb = f.getbbox(ch)
                d.text((x - bb[0], 8), ch, font=f, fill=255)
            x += w + gap
    else:
        f = font(fpath, 64)
        bb = f.getbbox(text)
        layer = Image.new("L", (bb[2] - bb[0] + 8, 90), 0)
        ImageDraw.Draw(layer).text((4 - bb[0], 8), text, font=f, fill=255)
    bbox = layer.getbbox()
    if bbox is None:
        return
    layer = layer.crop(bbox)
    lw, lh = layer.size
    tw = lw * bh / lh
    if tw > bw or stretch:
        tw = min(bw, tw * (rng.uniform(0.85, 1.25) if stretch else 1.0))
    tw = max(1, int(round(tw)))
    layer = layer.resize((tw, bh), Image.BILINEAR)
    ox = x0 + (bw - tw) // 2
    img.paste(fill, (ox, y0, ox + tw, y0 + bh), layer)
    return ox, ox + tw


def rounded_rect(d, box, r, fill=None, outline=None, width=1):
    try:
        d.rounded_rectangle(box, radius=r, fill=fill, outline=outline, width=width)
    except AttributeError:  # old PIL
        d.rectangle(box, fill=fill, outline=outline, width=width)


# ---------------------------------------------------------------- plate styles
# each returns (RGB image of plate, label)

PH = 100  # plate height in pixels at render time


def _groups_string(groups, sep):
    return sep.join(groups)


NATIONAL_CODES = ["H", "AL", "GB", "ENG", "CH", "N", "MNE", "SRB", "UA", "TR", "IS", "BIH", "MD", "FL"]
_FLAG_COLOURS = [(200, 30, 40), (245, 245, 245), (30, 130, 60), (20, 50, 160), (250, 200, 20),
                 (20, 20, 20), (110, 160, 220)]


def _national_band(img, d, rng, x, bw):
    """A left band with a national flag (two or three stripes, or a cross) above the country code,
    as on non-EU plates and older national plates (recipe 6)."""
    d.rectangle((x, 4, x + bw, PH - 5), fill=_col(rng, (20, 50, 160), 15) if rng.random() < 0.4
                else _col(rng, (240, 240, 236), 10))
    cols = [_FLAG_COLOURS[i] for i in rng.choice(len(_FLAG_COLOURS), 3, replace=False)]
    fy0, fy1 = PH * 0.12, PH * rng.uniform(0.38, 0.5)
    if rng.random() < 0.7:
        n = int(rng.integers(2, 4))
        for k in range(n):
            d.rectangle((x + 3, fy0 + (fy1 - fy0) * k / n, x + bw - 3, fy0 + (fy1 - fy0) * (k + 1) / n),
                        fill=_col(rng, cols[k], 15))
    else:
        d.rectangle((x + 3, fy0, x + bw - 3, fy1), fill=_col(rng, cols[0], 15))
        cx, cy = x + bw / 2, (fy0 + fy1) / 2
        d.rectangle((cx - 2, fy0, cx + 2, fy1), fill=_col(rng, cols[1], 15))
        d.rectangle((x + 3, cy - 2, x + bw - 3, cy + 2), fill=_col(rng, cols[1], 15))
    code = NATIONAL_CODES[rng.integers(0, len(NATIONAL_CODES))]
    draw_text_box(img, (x + 2, PH * 0.55, x + bw - 2, PH * 0.88), code, PLATE_FONTS[0],
                  _col(rng, (20, 20, 22), 12) if rng.random() < 0.5 else (245, 245, 245), rng,
                  stretch=False)


def plate_eu(rng):
    groups, sep = text_eu(rng)
    label = "".join(groups)
    w = int(PH * rng.uniform(3.6, 4.7))
    yellow = rng.random() < 0.25
    bg = _col(rng, (238, 200, 30) if yellow else (240, 240, 236))
    fg = _col(rng, (20, 20, 22), 12)
    if RECIPE >= 6 and not yellow and rng.random() < 0.1:  # Belgian: red text and border
        fg = _col(rng, (175, 25, 35), 25)
    img = Image.new("RGB", (w, PH), bg)
    d = ImageDraw.Draw(img)
    rounded_rect(d, (1, 1, w - 2, PH - 2), 8, outline=fg, width=int(rng.integers(2, 5)))
    left = 6
    if RECIPE >= 6 and rng.random() < 0.15:  # a national band: flag stripes and a code, no stars
        bw = int(PH * rng.uniform(0.34, 0.5))
        _national_band(img, d, rng, 4, bw)
        left = bw + 10
    elif rng.random() < 0.85:
        bw = int(PH * rng.uniform(0.38, 0.5))
        d.rectangle((4, 4, 4 + bw, PH - 5), fill=_col(rng, (20, 50, 160), 15))
        # star ring
        cx, cy, r = 4 + bw / 2, PH * 0.3, bw * 0.28
        for k in range(12):
            a = 2 * math.pi * k / 12
            x, y = cx + r * math.cos(a), cy + r * math.sin(a)
            d.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(240, 210, 40))
        code = EU_CODES[rng.integers(0, len(EU_CODES))]
        draw_text_box(img, (6, PH * 0.55, 2 + bw, PH * 0.88), code, PLATE_FONTS[0],
                      (245, 245, 245), rng, stretch=False)
        left = bw + 10
    right = w - 8
    if RECIPE >= 3:
        right = _eu_right_furniture(img, d, rng, w, right)
    if rng.random() < 0.2:  # sticker / seal between groups or at the right
        sx = right - PH * 0.5
        if RECIPE >= 6 and rng.random() < 0.5:  # SE: a framed square sticker with a number
            box = (sx, PH * 0.22, sx + PH * 0.4, PH * 0.72)
            d.rectangle(box, fill=_col(rng, (235, 235, 235), 20), outline=_col(rng, (190, 40, 40), 50),
                        width=2)
            draw_text_box(img, (box[0] + 3, box[1] + 3, box[2] - 3, box[3] - 3), str(rng.integers(0, 10)),
                          PLATE_FONTS[0], _col(rng, (190, 40, 40), 50), rng, stretch=False)
        else:
            d.ellipse((sx, PH * 0.25, sx + PH * 0.45, PH * 0.7), fill=_col(rng, (150, 60, 60), 60))
        right = int(sx - 6)
    fp = plate_font(rng)
    th = rng.uniform(0.62, 0.8) * PH
    ty = (PH - th) / 2 + rng.uniform(-4, 4)
    box = (left + rng.uniform(0, 8), ty, right - rng.uniform(0, 8), ty + th)
    if RECIPE >= 3 and len(groups) >= 2 and rng.random() < 0.45:
        _eu_text_with_seal(img, d, rng, box, groups, sep, fp, fg)
    else:
        draw_text_box(img, box, _groups_string(groups, sep), fp, fg, rng, spacing=rng.uniform(0, 0.4))
    if RECIPE >= 3 and rng.random() < 0.06:  # NL-style small raised mark, not part of the text
        x = rng.uniform(left + 0.2 * (right - left), right - 0.2 * (right - left))
        draw_text_box(img, (x, PH * 0.1, x + PH * 0.12, PH * 0.3), str(rng.integers(1, 4)), fp, fg, rng,
                      stretch=False)
    return img, label


def _draw_seal(img, d, rng, x0, x1):
    """A seal or sticker between text groups (recipe 3): two stacked round stickers (DE), a coat-of-
    arms shield (HR, SI, AT), one round sticker (CZ, PL), or a square sticker with a number (SE)."""
    cx, sw = (x0 + x1) / 2, x1 - x0
    kind = rng.integers(0, 4)
    if kind == 0:
        r = min(sw * 0.45, PH * 0.17)
        for cy in (PH * 0.33, PH * 0.66):
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_col(rng, (150, 120, 110), 90),
                      outline=_col(rng, (60, 60, 60), 40))
            if rng.random() < 0.6:
                d.ellipse((cx - r * 0.45, cy - r * 0.45, cx + r * 0.45, cy + r * 0.45),
                          fill=_col(rng, (90, 90, 90), 80))
    elif kind == 1:
        hw, top, bot = min(sw * 0.42, PH * 0.16), PH * 0.3, PH * 0.72
        col = _col(rng, (190, 40, 40), 50)
        d.polygon([(cx - hw, top), (cx + hw, top), (cx + hw, top + (bot - top) * 0.6), (cx, bot),
                   (cx - hw, top + (bot - top) * 0.6)], fill=col)
        for k in range(int(rng.integers(0, 4))):
            q = hw * 0.4
            y = top + q * (1 + 2 * k * 0.5)
            d.rectangle((cx - q, y, cx, y + q), fill=(240, 240, 240))
    elif kind == 2:
        r = min(sw * 0.45, PH * 0.22)
        cy = PH * rng.uniform(0.4, 0.6)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_col(rng, (120, 150, 120), 90))
    else:
        hw = min(sw * 0.4, PH * 0.15)
        box = (cx - hw, PH * 0.3, cx + hw, PH * 0.7)
        d.rectangle(box, fill=_col(rng, (60, 120, 60), 70), outline=(30, 30, 30))
        draw_text_box(img, (box[0] + 2, box[1] + 3, box[2] - 2, box[3] - 3), str(rng.integers(1, 13)),
                      PLATE_FONTS[0], (20, 20, 20), rng, stretch=False)


def _eu_text_with_seal(img, d, rng, box, groups, sep, fp, fg):
    """The first group, a seal, then the rest, sharing one text height (recipe 3)."""
    x0, y0, x1, y1 = box
    a, b = groups[0], sep.join(groups[1:])
    sw = PH * rng.uniform(0.3, 0.5)
    room = max(10.0, x1 - x0 - sw)
    wa = room * (len(a) + 0.3) / (len(a) + len(b) + 0.6)
    draw_text_box(img, (x0, y0, x0 + wa, y1), a, fp, fg, rng, stretch=False)
    _draw_seal(img, d, rng, x0 + wa, x0 + wa + sw)
    draw_text_box(img, (x0 + wa + sw, y0, x1, y1), b, fp, fg, rng, stretch=False)


def _eu_right_furniture(img, d, rng, w, right):
    """Right-hand bands (recipe 3): a blue regional band with a department number and a logo (FR)
    or a year and province (IT), or a yellow date band with three small numbers stacked (DE/NL
    temporary plates). Returns the new right edge of the text area."""
    u = rng.random()
    if u < 0.22:
        bw = int(PH * rng.uniform(0.36, 0.5))
        x = w - 5 - bw
        d.rectangle((x, 4, w - 5, PH - 5), fill=_col(rng, (20, 50, 160), 15))
        top = rng.random() < 0.5
        if top:  # logo above the number
            d.rectangle((x + bw * 0.2, PH * 0.12, x + bw * 0.8, PH * 0.45),
                        fill=_col(rng, (200, 60, 60), 60))
        txt = _rs(rng, DIGITS, int(rng.integers(2, 4))) if rng.random() < 0.7 else _rs(rng, LETTERS, 2)
        ys = (PH * 0.5, PH * 0.9) if top else (PH * 0.1, PH * 0.45)
        draw_text_box(img, (x + 3, ys[0], w - 8, ys[1]), txt, PLATE_FONTS[0], (245, 245, 245), rng,
                      stretch=False)
        if not top and rng.random() < 0.5:
            draw_text_box(img, (x + 3, PH * 0.55, w - 8, PH * 0.88), _rs(rng, LETTERS, 2), PLATE_FONTS[0],
                          (245, 245, 245), rng, stretch=False)
        return x - 6
    if u < 0.32:
        bw = int(PH * rng.uniform(0.22, 0.3))
        x = w - 5 - bw
        d.rectangle((x, 4, w - 5, PH - 5), fill=_col(rng, (235, 180, 30), 20))
        for k in range(3):
            draw_text_box(img, (x + 2, PH * (0.08 + 0.29 * k), w - 7, PH * (0.08 + 0.29 * k + 0.24)),
                          _rs(rng, DIGITS, 2), PLATE_FONTS[0], (20, 20, 20), rng, stretch=False)
        return x - 6
    return right


def plate_us(rng):
    groups, sep = text_us(rng)
    label = "".join(groups)
    w = int(PH * rng.uniform(1.9, 2.2))  # 12x6 inch
    h = PH
    base = [(245, 245, 245), (225, 235, 250), (250, 240, 200), (235, 245, 235),
            (255, 255, 255), (200, 220, 240)][rng.integers(0, 6)]
    bg = _col(rng, base, 12)
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    # gradient / graphic
    if rng.random() < 0.6:
        arr = np.asarray(img).astype(np.float32)
        g = np.linspace(0, 1, h)[:, None, None]
        tint = np.array(_col(rng, (120, 160, 220), 80), dtype=np.float32)
        a = rng.uniform(0.1, 0.5)
        arr = arr * (1 - a * g) + tint * a * g if rng.random() < 0.5 else \
            arr * (1 - a * (1 - g)) + tint * a * (1 - g)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        d = ImageDraw.Draw(img)
    if rng.random() < 0.5:
        cx = rng.uniform(0.2, 0.8) * w
        r = rng.uniform(0.15, 0.35) * h
        d.ellipse((cx - r, h * 0.5 - r, cx + r, h * 0.5 + r), fill=_col(rng, (200, 170, 120), 60))
    fg = _col(rng, [(20, 30, 110), (150, 20, 20), (15, 15, 15), (20, 90, 40)][rng.integers(0, 4)], 15)
    dec = DECOR_FONTS[rng.integers(0, len(DECOR_FONTS))]
    st = US_STATES[rng.integers(0, len(US_STATES))]
    draw_text_box(img, (w * 0.2, h * 0.04, w * 0.8, h * rng.uniform(0.18, 0.24)), st, dec,
                  _col(rng, fg, 40), rng, stretch=False)
    if rng.random() < 0.8:
        sl = US_SLOGANS[rng.integers(0, len(US_SLOGANS))]
        draw_text_box(img, (w * 0.15, h * 0.83, w * 0.85, h * 0.95), sl, dec,
                      _col(rng, fg, 40), rng, stretch=False)
    left, right = w * 0.06, w * 0.94
    if rng.random() < 0.25:  # small stacked characters at the left (decoration)
        s = _rs(rng, LETTERS, 2)
        draw_text_box(img, (w * 0.04, h * 0.3, w * 0.11, h * 0.5), s[0], PLATE_FONTS[0], fg, rng, False)
        draw_text_box(img, (w * 0.04, h * 0.52, w * 0.11, h * 0.72), s[1], PLATE_FONTS[0], fg, rng, False)
        left = w * 0.13
    if rng.random() < 0.2:  # sticker top corner
        d.rectangle((w * 0.82, h * 0.05, w * 0.95, h * 0.22), fill=_col(rng, (200, 60, 60), 60))
    fp = plate_font(rng)
    th = rng.uniform(0.45, 0.58) * h
    ty = h * 0.26 + rng.uniform(-3, 3)
    draw_text_box(img, (left, ty, right, ty + th), _groups_string(groups, sep), fp, fg, rng,
                  spacing=rng.uniform(0, 0.3))
    d = ImageDraw.Draw(img)
    for x in (w * 0.2, w * 0.8):  # bolt holes
        for y in (h * 0.12, h * 0.88):
            if rng.random() < 0.5:
                d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(90, 90, 90))
    return img, label


def plate_br_old(rng):
    groups, sep = text_br_old(rng)
    label = "".join(groups)
    w = int(PH * rng.uniform(2.9, 3.3))
    k = rng.random()
    if k < 0.6:
        bg, fg = _col(rng, (180, 180, 178), 35), _col(rng, (25, 25, 25), 15)
    elif k < 0.85:
        bg, fg = _col(rng, (170, 40, 40), 30), _col(rng, (235, 235, 235), 15)
    elif k < 0.93:
        bg, fg = _col(rng, (30, 120, 70), 30), _col(rng, (230, 240, 230), 15)
    else:
        bg, fg = _col(rng, (25, 25, 25), 10), _col(rng, (210, 210, 210), 15)
    img = Image.new("RGB", (w, PH), bg)
    d = ImageDraw.Draw(img)
    rounded_rect(d, (2, 2, w - 3, PH - 3), 6, outline=fg, width=int(rng.integers(2, 5)))
    dec = PLATE_FONTS[rng.integers(0, len(PLATE_FONTS))]
    draw_text_box(img, (w * 0.3, PH * 0.05, w * 0.7, PH * 0.2),
                  BR_CITIES[rng.integers(0, len(BR_CITIES))], dec, fg, rng, stretch=False)
    fp = plate_font(rng)
    if RECIPE >= 11 and rng.random() < 0.6:
        fp = br_stroke_font(rng)
    th = rng.uniform(0.58, 0.7) * PH
    ty = PH * 0.24 + rng.uniform(-2, 3)
    draw_text_box(img, (w * 0.04, ty, w * 0.96, ty + th), _groups_string(groups, sep), fp, fg, rng,
                  spacing=rng.uniform(0, 0.3))
    return img, label


def plate_mercosur(rng):
    groups, _ = text_mercosur(rng)
    label = groups[0]
    w = int(PH * rng.uniform(3.0, 3.3))
    bg = _col(rng, (240, 240, 240), 12)
    fg = _col(rng, (20, 20, 20), 10)
    img = Image.new("RGB", (w, PH), bg)
    d = ImageDraw.Draw(img)
    rounded_rect(d, (1, 1, w - 2, PH - 2), 8, outline=(30, 30, 30), width=3)
    bh = int(PH * rng.uniform(0.2, 0.26))
    d.rectangle((4, 4, w - 5, 4 + bh), fill=_col(rng, (20, 60, 170), 15))
    draw_text_box(img, (w * 0.35, 6, w * 0.65, 2 + bh), "BRASIL", PLATE_FONTS[0],
                  (245, 245, 245), rng, stretch=False)
    d.rectangle((w * 0.04, 7, w * 0.1, bh), fill=(220, 220, 230))
    d.rectangle((w * 0.9, 7, w * 0.96, bh), fill=(40, 150, 70))
    fp = plate_font(rng)
    th = rng.uniform(0.55, 0.66) * PH
    ty = bh + 4 + (PH - bh - 4 - th) / 2 + rng.uniform(-2, 2)
    draw_text_box(img, (w * 0.05, ty, w * 0.95, ty + th), label, fp, fg, rng,
                  spacing=rng.uniform(0.05, 0.3))
    return img, label


def plate_generic(rng):
    groups, sep = text_generic(rng)
    label = "".join(groups)
    n = len(label)
    w = int(PH * max(1.6, min(5.0, rng.uniform(0.45, 0.7) * n + 0.8)))
    lum_bg = rng.random() < 0.7
    bgc = rng.integers(150, 256, 3) if lum_bg else rng.integers(0, 100, 3)
    fgc = rng.integers(0, 80, 3) if lum_bg else rng.integers(170, 256, 3)
    bg, fg = tuple(int(v) for v in bgc), tuple(int(v) for v in fgc)
    img = Image.new("RGB", (w, PH), bg)
    d = ImageDraw.Draw(img)
    if rng.random() < 0.7:
        rounded_rect(d, (1, 1, w - 2, PH - 2), 6, outline=fg, width=int(rng.integers(1, 5)))
    fp = plate_font(rng)
    th = rng.uniform(0.5, 0.82) * PH
    ty = (PH - th) / 2 + rng.uniform(-5, 5)
    if rng.random() < 0.3:  # small clutter text above or below
        y = PH * 0.03 if ty > PH * 0.2 else PH * 0.86
        draw_text_box(img, (w * 0.25, y, w * 0.75, y + PH * 0.1), _rs(rng, LETTERS + " ", 10),
                      DECOR_FONTS[rng.integers(0, len(DECOR_FONTS))], fg, rng, stretch=False)
    draw_text_box(img, (w * 0.05, ty, w * 0.95, ty + th), _groups_string(groups, sep), fp, fg, rng,
                  spacing=rng.uniform(0, 0.4))
    return img, label


STYLES = [(plate_eu, 0.28), (plate_br_old, 0.22), (plate_mercosur, 0.12),
          (plate_us, 0.18), (plate_generic, 0.20)]
_STYLE_P = np.array([p for _, p in STYLES]) / sum(p for _, p in STYLES)
# Recipe 3 shifts weight to the European styles whose furniture it adds.
_STYLE_P3 = np.array([0.40, 0.15, 0.10, 0.15, 0.20])


# ---------------------------------------------------------------- surface effects

def add_dirt_light(img, rng):
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    # uneven light: linear gradient in random direction
    if rng.random() < 0.7:
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w]
        g = (np.cos(a) * xx / w + np.sin(a) * yy / h)
        g = (g - g.min()) / (np.ptp(g) + 1e-6)
        s = rng.uniform(0.0, 0.5)
        arr *= (1 - s * g)[..., None]
    # shadow polygon
    if rng.random() < 0.25:
        m = Image.new("L", (w, h), 0)
        x0 = rng.uniform(0, w)
        ImageDraw.Draw(m).polygon([(x0, 0), (x0 + rng.uniform(-w, w), h), (w * 2, h), (w * 2, 0)], fill=255)
        m = np.asarray(m.filter(ImageFilter.GaussianBlur(rng.uniform(1, 6)))).astype(np.float32) / 255
        arr *= (1 - rng.uniform(0.2, 0.6) * m)[..., None]
    # dirt blotches
    if rng.random() < 0.4:
        m = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(m)
        for _ in range(rng.integers(3, 25)):
            x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, 14)
            d.ellipse((x - r, y - r, x + r, y + r), fill=int(rng.integers(40, 200)))
        m = np.asarray(m.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))).astype(np.float32) / 255
        dirt = np.array(_col(rng, (90, 80, 60), 30), dtype=np.float32)
        a = (rng.uniform(0.15, 0.45) if RECIPE >= 2 else rng.uniform(0.2, 0.6)) * m[..., None]
        arr = arr * (1 - a) + dirt * a
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def make_surround(rng, pw, ph):
    """Background canvas (bumper / car body) larger than the plate."""
    W, H = int(pw * 1.9), int(ph * 3.2)
    body = _col(rng, tuple(int(v) for v in rng.integers(0, 256, 3)), 0)
    arr = np.empty((H, W, 3), np.float32)
    arr[:] = body
    yy = np.linspace(0, 1, H)[:, None, None]
    arr *= (0.6 + 0.5 * yy * rng.uniform(-1, 1) + 0.4)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    # bumper bands / grille bars / recess around the plate
    for _ in range(rng.integers(1, 5)):
        y = rng.uniform(0, H)
        hh = rng.uniform(2, ph * 0.6)
        d.rectangle((0, y, W, y + hh), fill=_col(rng, tuple(int(v) for v in rng.integers(0, 120, 3)), 0))
    if rng.random() < 0.5:
        cx, cy = W / 2, H / 2
        mx, my = pw * rng.uniform(0.52, 0.6), ph * rng.uniform(0.55, 0.8)
        rounded_rect(d, (cx - mx, cy - my, cx + mx, cy + my), 10,
                     fill=_col(rng, (40, 40, 40), 30))
    if rng.random() < 0.3:  # a light / logo
        x = rng.uniform(0, W)
        y = rng.uniform(0, H)
        r = rng.uniform(5, ph * 0.5)
        d.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img


def _perspective_coeffs(src, dst):
    """Coefficients mapping output (dst) points to input (src) points."""
    A, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(A, np.float64), np.array(b, np.float64))


def capture(plate, rng, info=None):
    """Place plate on a surround, warp, crop, degrade. Returns RGB uint8 array.

    `info`, a dict, receives what was drawn for this crop (plate height in the camera, blur, night
    IR, noise, JPEG quality, rotation): synth_breakdown.py buckets accuracy by it. Recording draws
    nothing from `rng`, so the crops are the same with or without it.
    """
    info = {} if info is None else info
    pw, ph = plate.size
    canvas = make_surround(rng, pw, ph)
    W, H = canvas.size
    ox, oy = (W - pw) // 2, (H - ph) // 2
    canvas.paste(plate, (ox, oy))
    corners = np.array([[ox, oy], [ox + pw, oy], [ox + pw, oy + ph], [ox, oy + ph]], np.float64)
    # perspective: rotation, yaw/pitch foreshortening, shear
    ang = math.radians(rng.normal(0, 4) if rng.random() < (0.7 if RECIPE >= 6 else 0.8)
                       else rng.uniform(-15, 15))
    yaw = rng.uniform(-0.25, 0.25) if rng.random() < 0.6 else 0.0
    pitch = rng.uniform(-0.15, 0.15) if rng.random() < 0.5 else 0.0
    shear = rng.uniform(-0.15, 0.15) if rng.random() < 0.3 else 0.0
    info["angle"] = math.degrees(ang)
    c = corners.mean(0)
    p = corners - c
    p[:, 0] += shear * p[:, 1]
    # foreshortening: scale one side's height / one edge's width
    p[:, 1] *= 1 + yaw * np.sign(p[:, 0])
    p[:, 0] *= 1 + pitch * np.sign(p[:, 1])
    R = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    p = p @ R.T
    dst_quad = p + c
    # crop box around the warped plate (tight to loose, sometimes cutting the border)
    x0, y0 = dst_quad.min(0)
    x1, y1 = dst_quad.max(0)
    bw, bh = x1 - x0, y1 - y0
    # left/right never cut into the plate: its outer characters sit close to the edge and a
    # label naming a character the crop hides teaches the model to hallucinate
    lo_x, lo_y = (0.015, -0.04) if RECIPE >= 2 else (-0.01, -0.06)
    if RECIPE >= 4 and rng.random() < 0.3:
        # tight crops, the plate filling the frame edge to edge (hand-cut or detector-framed crops)
        ml, mr = rng.uniform(0.0, 0.025) * bw, rng.uniform(0.0, 0.025) * bw
        mt, mb = rng.uniform(-0.03, 0.06) * bh, rng.uniform(-0.03, 0.06) * bh
    else:
        ml, mr = rng.uniform(lo_x, 0.12) * bw, rng.uniform(lo_x, 0.12) * bw
        mt, mb = rng.uniform(lo_y, 0.3) * bh, rng.uniform(lo_y, 0.3) * bh
    cx0, cy0, cx1, cy1 = x0 - ml, y0 - mt, x1 + mr, y1 + mb
    # low resolution: plate height in the camera 12..40 px
    target_ph = rng.uniform(14, 40) if rng.random() < 0.75 else rng.uniform(40, 70)
    info["plate_h"] = target_ph
    s = target_ph / bh
    out_w = max(8, int(round((cx1 - cx0) * s)))
    out_h = max(6, int(round((cy1 - cy0) * s)))
    # output pixel (u,v) -> canvas point: affine(crop) then inverse perspective
    src_quad = corners
    crop_quad = (dst_quad - [cx0, cy0]) * s
    coeffs = _perspective_coeffs(src_quad, crop_quad)
    # supersample 2x then box down for antialiasing
    big = canvas.transform((out_w * 2, out_h * 2), Image.PERSPECTIVE,
                           tuple(_perspective_coeffs(src_quad, crop_quad * 2)),
                           Image.BILINEAR, fillcolor=tuple(int(v) for v in rng.integers(0, 200, 3)))
    del coeffs
    img = big.resize((out_w, out_h), Image.BOX)
    # blur
    # degradations are budgeted so that a sample stays legible: small plates (already soft
    # from the downscale) get less blur, less noise and milder JPEG
    r = rng.random()
    sharp = min(1.0, target_ph / 30.0)
    small = target_ph < 20 and RECIPE >= 2
    info["blur"] = "none"
    if r < 0.3:
        info["blur"] = "gaussian"
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1) * sharp))
    elif r < 0.45 and not small:
        info["blur"] = "motion"
        k = np.zeros((5, 5), np.float32)
        a = rng.uniform(0, math.pi)
        L = rng.uniform(0.5, 2.0) * sharp
        for t in np.linspace(-L, L, 9):
            xi, yi = int(round(2 + t * math.cos(a))), int(round(2 + t * math.sin(a)))
            k[yi, xi] += 1
        img = img.filter(ImageFilter.Kernel((5, 5), k.flatten().tolist(), float(k.sum())))
    arr = np.asarray(img).astype(np.float32)
    # night IR: grey, strong contrast, dark surroundings
    info["night_ir"] = bool(rng.random() < 0.1)
    if info["night_ir"]:
        g = arr.mean(2, keepdims=True)
        g = np.clip((g - 60) * rng.uniform(1.2, 2.0), 0, 255)
        arr = np.repeat(g, 3, 2)
    # brightness / contrast / gamma
    arr = arr * rng.uniform(0.6, 1.25) + rng.uniform(-40, 40)
    arr = np.clip(arr, 0, 255)
    if rng.random() < 0.3:
        arr = 255 * (arr / 255) ** rng.uniform(0.6, 1.6)
    # sensor noise
    info["noise"] = float(rng.uniform(0, 5 if small else 9))
    arr = arr + rng.normal(0, info["noise"], arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    info["jpeg"] = None
    if rng.random() < 0.6:
        buf = io.BytesIO()
        info["jpeg"] = int(rng.integers(40 if small else 25, 90))
        img.save(buf, "JPEG", quality=info["jpeg"])
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return np.asarray(img)


def render_one(rng, info=None):
    """Returns (rgb crop uint8 [h,w,3], label); `info` (a dict) receives the style and capture draws."""
    style = STYLES[rng.choice(len(STYLES), p=_STYLE_P3 if RECIPE >= 3 else _STYLE_P)][0]
    if info is not None:
        info["style"] = style.__name__.removeprefix("plate_")
    plate, label = style(rng)
    plate = add_dirt_light(plate, rng)
    return capture(plate, rng, info), label


def to_input_u8(rgb, width=OUT_W, height=OUT_H):
    """Exact Swift preprocessing (grey + half-pixel bilinear, or area under --resample area, to width x
    height), rounded to uint8."""
    return np.clip(np.round(grey_input(rgb, width, height)), 0, 255).astype(np.uint8)


def draw_shard(seed, start, count, width, infos=None, height=OUT_H):
    """The `count` model inputs (uint8 [count, height, width]) and labels of the shard of set `seed` that
    starts at crop `start` (under the current RECIPE); `infos`, a list, receives each crop's capture
    record (render_one's `info`)."""
    rng = np.random.default_rng([seed, start])
    xs = np.empty((count, height, width), np.uint8)
    labels = []
    for i in range(count):
        info = None if infos is None else {}
        rgb, label = render_one(rng, info)
        xs[i] = to_input_u8(rgb, width, height)
        labels.append(label)
        if infos is not None:
            infos.append(info)
    return xs, labels


def shard_name(prefix, seed, start):
    """File name of a shard; synth_breakdown.py reads the seed and start back from it."""
    return f"{prefix}-{seed}-{start:07d}.npz"


def render_shard(args):
    global RECIPE
    out, seed, start, count, RECIPE, width, height, preprocess.RESAMPLE = args
    xs, labels = draw_shard(seed, start, count, width, height=height)
    tmp = out + ".tmp.npz"
    np.savez(tmp, x=xs, y=np.array(labels))
    os.replace(tmp, out)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="output directory for shards")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--shard-size", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--prefix", default="shard")
    ap.add_argument("--recipe", type=int, choices=list(range(1, 13)), default=4, help="capture recipe (see RECIPE)")
    ap.add_argument("--width", type=int, default=OUT_W,
                    help="model input width the crops are resized to (default %(default)s; the crops drawn "
                         "do not depend on it, so --width 110 stores the same plates wider)")
    ap.add_argument("--height", type=int, default=OUT_H,
                    help="model input height (default %(default)s; like --width, it does not change the crops drawn)")
    ap.add_argument("--resample", choices=preprocess.RESAMPLE_MODES, default="bilinear",
                    help="how the crops are resized to the input (default %(default)s; like --width, it does "
                         "not change the crops drawn; area for models exported with --resample area)")
    ap.add_argument("--preview", help="write a PNG grid of samples (model input view)")
    ap.add_argument("--raw-preview", help="write a PNG grid of raw crops")
    a = ap.parse_args()
    global RECIPE
    RECIPE = a.recipe
    preprocess.RESAMPLE = a.resample
    if RECIPE >= 5 and missing_recipe5_fonts():
        raise SystemExit(f"render_plates: recipe 5 needs {', '.join(missing_recipe5_fonts())}: apt-get install -y "
                         "fonts-opendin fonts-roboto-unhinted fonts-b612 fonts-clear-sans fonts-bebas-neue "
                         "fonts-league-spartan")
    if a.preview or a.raw_preview:
        rng = np.random.default_rng(a.seed)
        t0 = time.time()
        samples = [render_one(rng) for _ in range(a.count)]
        dt = time.time() - t0
        print(f"{a.count} samples in {dt:.2f}s = {1000 * dt / a.count:.1f} ms/sample")
        cols = 4
        rows = (a.count + cols - 1) // cols
        if a.preview:
            grid = Image.new("L", (cols * 196, rows * 52), 128)
            dr = ImageDraw.Draw(grid)
            for i, (rgb, lab) in enumerate(samples):
                im = Image.fromarray(to_input_u8(rgb, a.width, a.height)).resize((188, 48), Image.NEAREST)
                grid.paste(im, ((i % cols) * 196, (i // cols) * 52))
            grid.save(a.preview)
        if a.raw_preview:
            grid = Image.new("RGB", (cols * 200, rows * 90), (128, 128, 128))
            dr = ImageDraw.Draw(grid)
            for i, (rgb, lab) in enumerate(samples):
                im = Image.fromarray(rgb).resize((196, 70), Image.BILINEAR)
                grid.paste(im, ((i % cols) * 200, (i // cols) * 90))
                dr.text(((i % cols) * 200 + 2, (i // cols) * 90 + 72), lab, fill=(255, 255, 0))
            grid.save(a.raw_preview)
        for _, lab in samples[:16]:
            print(lab, end=" ")
        print()
        return
    os.makedirs(a.out, exist_ok=True)
    jobs = []
    for start in range(0, a.count, a.shard_size):
        path = os.path.join(a.out, shard_name(a.prefix, a.seed, start))
        if not os.path.exists(path):
            jobs.append((path, a.seed, start, min(a.shard_size, a.count - start), a.recipe, a.width, a.height,
                         a.resample))
    t0 = time.time()
    if a.procs > 1 and len(jobs) > 1:
        from multiprocessing import Pool
        with Pool(a.procs) as pool:
            for p in pool.imap_unordered(render_shard, jobs):
                print(f"[{time.time() - t0:7.1f}s] {p}", flush=True)
    else:
        for j in jobs:
            done = render_shard(j)
            print(f"[{time.time() - t0:7.1f}s] {done}", flush=True)
    print(f"done: {len(jobs)} shards in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
