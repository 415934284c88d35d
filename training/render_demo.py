#!/usr/bin/env python3
"""Render the procedurally drawn demo clip streams/demo.mp4 (+ streams/demo.toml).

A fixed camera looks at a gate lane; vehicles drive up, creep at the gate for
~1.5 s with their front plate inside a fixed region (the ROI), then drive on.
Everything is drawn here (gradients, noise textures, shapes, system fonts);
no third-party images.  Deterministic (fixed seed).

  /usr/bin/python3 training/render_demo.py [--out streams/demo.mp4]
"""
import argparse
import math
import os
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from render_plates import _find, draw_text_box, rounded_rect  # noqa: E402

W, H, FPS = 1280, 720, 25
ROI = (525, 569, 230, 72)  # x, y, w, h
PLATE_CX, PLATE_CY = ROI[0] + ROI[2] / 2, ROI[1] + ROI[3] / 2
FONT_MAIN = _find("DejaVuSansCondensed-Bold.ttf") or _find("DejaVuSans-Bold.ttf")
FONT_MERC = _find("NimbusSansNarrow-Bold.otf") or FONT_MAIN
FONT_BR = _find("DejaVuSansCondensed-Bold.ttf") or FONT_MAIN
FONT_EU = _find("DejaVuSansCondensed-Bold.ttf") or FONT_MAIN
RNG = np.random.default_rng(20261123)

# (label, drawn text, style, car colour)
VEHICLES = [
    ("RTX4D72", "RTX4D72", "mercosur", (170, 28, 32)),
    ("MH725ZB", "MH-725-ZB", "eu_white", (200, 204, 210)),
    ("KWP8352", "KWP-8352", "br_grey", (38, 52, 88)),
    ("HZG3846", "HZG 3846", "eu_yellow", (235, 235, 232)),
    ("FDA7C35", "FDA7C35", "mercosur", (60, 62, 66)),
    ("JPX6294", "JPX-6294", "br_red", (120, 130, 70)),
]


def plate_image(text, style, scale=4):
    """High-resolution plate image; returns (PIL RGB, aspect)."""
    rng = np.random.default_rng(sum(ord(c) * (i + 1) for i, c in enumerate(text)))
    ph = 45 * scale if style.startswith("eu") else 55 * scale
    pw = 205 * scale if style.startswith("eu") else 172 * scale
    if style == "mercosur":
        img = Image.new("RGB", (pw, ph), (243, 243, 241))
        d = ImageDraw.Draw(img)
        rounded_rect(d, (2, 2, pw - 3, ph - 3), 6 * scale, outline=(30, 30, 30), width=2 * scale)
        bh = int(ph * 0.22)
        d.rectangle((2 * scale, 2 * scale, pw - 2 * scale, bh), fill=(22, 62, 172))
        draw_text_box(img, (pw * 0.38, bh * 0.18, pw * 0.62, bh * 0.86), "BRASIL", FONT_MAIN,
                      (245, 245, 245), rng, stretch=False)
        d.rectangle((pw * 0.9, bh * 0.2, pw * 0.96, bh * 0.8), fill=(40, 150, 70))
        draw_text_box(img, (pw * 0.06, bh + ph * 0.1, pw * 0.94, ph * 0.9), text, FONT_MERC,
                      (18, 18, 18), rng, stretch=False, spacing=0.12)
    elif style in ("br_grey", "br_red"):
        bg, fg = ((188, 188, 184), (22, 22, 22)) if style == "br_grey" else ((176, 36, 36), (240, 240, 240))
        img = Image.new("RGB", (pw, ph), bg)
        d = ImageDraw.Draw(img)
        rounded_rect(d, (2, 2, pw - 3, ph - 3), 5 * scale, outline=fg, width=2 * scale)
        draw_text_box(img, (pw * 0.3, ph * 0.06, pw * 0.7, ph * 0.2), "SP SAO PAULO", FONT_MAIN,
                      fg, rng, stretch=False)
        draw_text_box(img, (pw * 0.05, ph * 0.26, pw * 0.95, ph * 0.9), text, FONT_BR, fg, rng,
                      stretch=False)
    else:  # EU white / yellow
        bg = (242, 242, 238) if style == "eu_white" else (240, 200, 30)
        img = Image.new("RGB", (pw, ph), bg)
        d = ImageDraw.Draw(img)
        rounded_rect(d, (2, 2, pw - 3, ph - 3), 6 * scale, outline=(20, 20, 20), width=2 * scale)
        bw = int(ph * 0.42)
        d.rectangle((4 * scale, 4 * scale, 4 * scale + bw, ph - 4 * scale), fill=(22, 52, 160))
        cx, cy, r = 4 * scale + bw / 2, ph * 0.32, bw * 0.28
        for k in range(12):
            a = 2 * math.pi * k / 12
            x, y = cx + r * math.cos(a), cy + r * math.sin(a)
            d.ellipse((x - scale, y - scale, x + scale, y + scale), fill=(240, 210, 40))
        draw_text_box(img, (6 * scale, ph * 0.58, 2 * scale + bw, ph * 0.88),
                      "D" if style == "eu_white" else "NL", FONT_MAIN, (245, 245, 245), rng, stretch=False)
        draw_text_box(img, (bw + 9 * scale, ph * 0.14, pw - 7 * scale, ph * 0.86), text, FONT_EU,
                      (18, 18, 18), rng, stretch=False, spacing=0.08)
    return img.filter(ImageFilter.GaussianBlur(scale * 0.35))


def background():
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.zeros((H, W, 3), np.float32)
    sky = (yy < 150)
    t = (yy / 150.0)[..., None]
    img[:] = (1 - t) * np.array([120, 150, 190]) + t * np.array([190, 200, 210])
    # building facade
    fac = (yy >= 60) & (yy < 330)
    img[fac] = np.array([150, 140, 128])
    tex = RNG.normal(0, 1, (H // 4, W // 4)).astype(np.float32)
    tex = np.asarray(Image.fromarray(((tex + 4) * 30).clip(0, 255).astype(np.uint8)).resize((W, H), Image.BICUBIC),
                     np.float32) / 30 - 4
    img[fac] += tex[fac][:, None] * 6
    im = Image.fromarray(img.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for row in range(3):
        for col in range(12):
            x, y = 30 + col * 106, 90 + row * 78
            d.rectangle((x, y, x + 64, y + 46), fill=(58, 70, 84))
            d.rectangle((x + 3, y + 3, x + 30, y + 43), fill=(72, 88, 104))
            d.line((x, y + 48, x + 64, y + 48), fill=(200, 195, 185), width=3)
    d.rectangle((0, 318, W, 336), fill=(110, 106, 100))  # kerb / wall base
    # road (perspective)
    vp = (640, 250)
    d.polygon([(0, 336), (W, 336), (W, H), (0, H)], fill=(92, 92, 95))
    for side in (-1, 1):  # lane edges
        x0 = 640 + side * 110
        x1 = 640 + side * 560
        d.polygon([(x0 - 3, 336), (x0 + 3, 336), (x1 + 9, H), (x1 - 9, H)], fill=(215, 215, 200))
    # stop line
    d.polygon([(380, 688), (900, 688), (906, 702), (374, 702)], fill=(225, 225, 215))
    # gate post + raised arm (right)
    d.rectangle((1040, 250, 1075, 640), fill=(230, 200, 40))
    d.rectangle((1030, 600, 1085, 660), fill=(60, 60, 60))
    for k in range(8):
        x0, y0 = 1058 - k * 8, 250 - k * 26
        d.line((x0, y0, x0 - 8, y0 - 26), fill=(220, 30, 30) if k % 2 == 0 else (240, 240, 240), width=10)
    # booth (left)
    d.rectangle((40, 200, 250, 560), fill=(176, 180, 184))
    d.rectangle((60, 230, 230, 360), fill=(70, 92, 110))
    d.rectangle((40, 190, 260, 210), fill=(70, 70, 74))
    arr = np.asarray(im).astype(np.float32)
    # asphalt texture + lighting
    road = yy >= 336
    grain = RNG.normal(0, 1, (H, W)).astype(np.float32)
    arr[road] += (grain[road] * 7)[:, None]
    arr += tex[..., None] * 3
    light = 1.05 - 0.25 * ((xx - 640) / 900) ** 2 - 0.1 * (yy / H)
    arr *= light[..., None]
    return np.asarray(Image.fromarray(arr.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6)),
                      np.float32)


def car_layer(color, scale):
    """RGBA car front view, width 640*scale; returns (image, plate centre offset from top-left)."""
    ss = 2
    cw, ch = int(640 * scale * ss), int(470 * scale * ss)
    im = Image.new("RGBA", (cw, ch), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    c = tuple(color)
    dark = tuple(int(v * 0.55) for v in c)
    light = tuple(min(255, int(v * 1.15 + 20)) for v in c)
    u = cw / 640.0
    # shadow
    d.ellipse((10 * u, 420 * u, 630 * u, 470 * u), fill=(20, 20, 22, 150))
    # wheels
    d.rounded_rectangle((40 * u, 360 * u, 130 * u, 460 * u), 12 * u, fill=(18, 18, 18, 255))
    d.rounded_rectangle((510 * u, 360 * u, 600 * u, 460 * u), 12 * u, fill=(18, 18, 18, 255))
    # cabin + windscreen
    d.polygon([(120 * u, 150 * u), (170 * u, 20 * u), (470 * u, 20 * u), (520 * u, 150 * u)], fill=c + (255,))
    d.polygon([(140 * u, 145 * u), (185 * u, 35 * u), (455 * u, 35 * u), (500 * u, 145 * u)],
              fill=(54, 66, 80, 255))
    d.polygon([(330 * u, 40 * u), (380 * u, 40 * u), (300 * u, 142 * u), (250 * u, 142 * u)],
              fill=(96, 110, 124, 255))
    # body
    d.rounded_rectangle((20 * u, 140 * u, 620 * u, 420 * u), 40 * u, fill=c + (255,))
    d.rectangle((30 * u, 150 * u, 610 * u, 175 * u), fill=light + (255,))
    # headlights
    d.rounded_rectangle((50 * u, 200 * u, 190 * u, 250 * u), 16 * u, fill=(225, 228, 230, 255))
    d.rounded_rectangle((450 * u, 200 * u, 590 * u, 250 * u), 16 * u, fill=(225, 228, 230, 255))
    d.ellipse((70 * u, 210 * u, 110 * u, 240 * u), fill=(250, 250, 240, 255))
    d.ellipse((530 * u, 210 * u, 570 * u, 240 * u), fill=(250, 250, 240, 255))
    # grille
    d.rounded_rectangle((215 * u, 195 * u, 425 * u, 265 * u), 12 * u, fill=(30, 32, 36, 255))
    for k in range(5):
        y = (205 + k * 12) * u
        d.line((225 * u, y, 415 * u, y), fill=(70, 72, 78, 255), width=max(1, int(3 * u)))
    # bumper
    d.rounded_rectangle((25 * u, 290 * u, 615 * u, 400 * u), 28 * u, fill=dark + (255,))
    d.rounded_rectangle((200 * u, 305 * u, 440 * u, 390 * u), 10 * u, fill=(28, 28, 30, 255))
    d.rounded_rectangle((60 * u, 360 * u, 160 * u, 380 * u), 6 * u, fill=(40, 40, 44, 255))
    d.rounded_rectangle((480 * u, 360 * u, 580 * u, 380 * u), 6 * u, fill=(40, 40, 44, 255))
    im = im.resize((cw // ss, ch // ss), Image.LANCZOS)
    return im, (320 * scale, 347 * scale)


def ease(t):
    t = min(1.0, max(0.0, t))
    return t * t * (3 - 2 * t)


def car_state(t):
    """t: seconds since this car's start. Returns (scale, plate_cx, plate_cy) or None."""
    T_APP, T_STOP, T_LEAVE = 1.0, 1.6, 0.8
    if t < 0 or t > T_APP + T_STOP + T_LEAVE:
        return None
    if t < T_APP:  # approach from the far end of the lane
        e = 1 - (1 - t / T_APP) ** 2
        s = 0.35 + (0.97 - 0.35) * e
        cy = 360 + (PLATE_CY - 8 - 360) * e
        return s, PLATE_CX + 12 * (1 - e), cy
    if t < T_APP + T_STOP:  # creeping at the gate
        u = (t - T_APP) / T_STOP
        s = 0.97 + 0.04 * u
        return s, PLATE_CX + 3 * math.sin(u * 3), PLATE_CY - 8 + 14 * u
    u = (t - T_APP - T_STOP) / T_LEAVE  # drive on, out of the bottom of the frame
    e = u * u
    s = 1.01 + 0.7 * e
    return s, PLATE_CX - 60 * e, PLATE_CY + 6 + 420 * e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "streams", "demo.mp4"))
    ap.add_argument("--crf", type=int, default=24)
    ap.add_argument("--preview", help="write one PNG frame at --preview-t seconds and exit")
    ap.add_argument("--preview-t", type=float, default=1.8)
    a = ap.parse_args()
    bg = background()
    plates = [plate_image(txt, st) for _, txt, st, _ in VEHICLES]
    period, first = 2.5, 0.4
    duration = first + period * len(VEHICLES) + 0.3
    n_frames = int(round(duration * FPS))
    frame_noise = np.random.default_rng(7)

    def frame(i):
        t = i / FPS
        fr = Image.fromarray(bg.astype(np.uint8)).convert("RGBA")
        for k in range(len(VEHICLES)):
            st = car_state(t - first - k * period)
            if st is None:
                continue
            s, pcx, pcy = st
            car, (ox, oy) = car_layer(VEHICLES[k][3], s)
            x0, y0 = int(round(pcx - ox)), int(round(pcy - oy))
            _paste_clipped(fr, car, x0, y0)
            p = plates[k]
            pw = max(4, int(round(p.size[0] / 4 * s)))
            ph = max(2, int(round(p.size[1] / 4 * s)))
            pim = p.resize((pw, ph), Image.LANCZOS)
            fr.paste(pim, (int(round(pcx - pw / 2)), int(round(pcy - ph / 2))))
        arr = np.asarray(fr.convert("RGB")).astype(np.float32)
        arr += frame_noise.normal(0, 2.2, (H // 2, W // 2, 1)).repeat(2, 0).repeat(2, 1)
        arr *= 1 + 0.02 * math.sin(t * 0.7)
        return arr.clip(0, 255).astype(np.uint8)

    if a.preview:
        Image.fromarray(frame(int(a.preview_t * FPS))).save(a.preview)
        return
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    cmd = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{W}x{H}", "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "medium",
           "-crf", str(a.crf), "-g", "50", "-pix_fmt", "yuv420p", "-threads", "2",
           "-movflags", "+faststart", a.out]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for i in range(n_frames):
        proc.stdin.write(frame(i).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("ffmpeg failed")
    toml = os.path.join(os.path.dirname(os.path.abspath(a.out)), "demo.toml")
    with open(toml, "w") as f:
        f.write('name = "demo gate"\n')
        f.write('url = "demo.mp4"\n')
        f.write(f'roi = "{ROI[0]},{ROI[1]},{ROI[2]},{ROI[3]}"\n')
        f.write("expected_plates = [" + ", ".join(f'"{v[0]}"' for v in VEHICLES) + "]\n")
        f.write(f'description = "Procedurally drawn gate lane (training/render_demo.py), {W}x{H} '
                f'{FPS} fps, {duration:.1f} s: {len(VEHICLES)} vehicles stop briefly with their front '
                f'plate inside the fixed ROI (Mercosur, EU, old grey and red Brazilian styles)."\n')
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.2f} MB, {n_frames} frames) and {toml}")


def _paste_clipped(fr, layer, x0, y0):
    """alpha_composite with negative offsets clipped."""
    cx0, cy0 = max(0, -x0), max(0, -y0)
    cx1 = min(layer.size[0], fr.size[0] - x0)
    cy1 = min(layer.size[1], fr.size[1] - y0)
    if cx0 >= cx1 or cy0 >= cy1:
        return
    fr.alpha_composite(layer.crop((cx0, cy0, cx1, cy1)), (x0 + cx0, y0 + cy0))


if __name__ == "__main__":
    main()
