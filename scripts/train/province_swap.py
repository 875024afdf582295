"""Province swap: a real Chinese one-row crop with its province character painted over by another.

Why: CCPD, the only real Chinese set, is 96 % Anhui (皖). Trained on it, the reader learns that
a real-looking blue plate starts with 皖 and reads 苏, 豫 or 鲁 plates as 皖 or 赣. Painting a
random province (皖 among them, so a painted patch says nothing about the answer) over the first
character, in the plate's own colours, makes the model read that glyph instead of guessing it
from the rest of the plate. The glyphs come from the font the synthetic plates use (WenQuanYi
Micro Hei, Debian fonts-wqy-microhei), emboldened by a random stroke as plate lettering is.
"""
import functools
import subprocess

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATTERN = 'WenQuanYi Micro Hei'
FONT_PACKAGE = 'fonts-wqy-microhei'
_RENDER_PX = 96
_STROKES = (1, 3, 5)  # at 96 px: regular to heavy


@functools.lru_cache(maxsize=1)
def font_file():
    """The font file fontconfig gives for FONT_PATTERN; exits with the apt command if it is missing."""
    try:
        path = subprocess.run(['fc-match', '-f', '%{file}', FONT_PATTERN], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        path = ''
    if 'wqy' not in path.lower():
        raise SystemExit(f'province swap needs the font "{FONT_PATTERN}" (fontconfig gave {path or "nothing"}): '
                         f'apt-get install -y {FONT_PACKAGE} fontconfig')
    return path


@functools.lru_cache(maxsize=None)
def glyph_mask(ch, stroke):
    """The character's ink as an 'L' image cropped to its bounds, rendered large once and cached."""
    font = ImageFont.truetype(font_file(), _RENDER_PX)
    im = Image.new('L', (_RENDER_PX * 2, _RENDER_PX * 2), 0)
    ImageDraw.Draw(im).text((_RENDER_PX // 4, _RENDER_PX // 4), ch, font=font, fill=255,
                            stroke_width=stroke, stroke_fill=255)
    return im.crop(im.getbbox())


def first_char_end(luma_box):
    """Column (in the box) of the gap after the province character: the darkest column, counting
    bright (ink) pixels in the middle rows over three columns, between 10 % and 21 % of the width.
    On a 94x24 CCPD crop that is column 10-19; the province character sits left of it. The
    three-column window skips the one-column gaps inside a character (川, 沪)."""
    h, w = luma_box.shape
    band = luma_box[int(0.2 * h):max(int(0.2 * h) + 1, int(0.8 * h))]
    ink = (band > band.mean() + 0.5 * band.std()).sum(0).astype(np.float32)
    smooth = np.convolve(ink, np.ones(3, dtype=np.float32), mode='same')
    lo, hi = max(1, int(0.10 * w)), max(2, int(0.21 * w))
    return lo + int(np.argmin(smooth[lo:hi]))


def swap_province(img, box, label, province, rng):
    """`img` (RGB) with the province character of the plate in `box` (x, y, w, h) repainted as
    `province`; returns (image, label). The patch is filled with the plate's background colour
    and noise, the glyph drawn in its ink colour, then blurred as the crop is."""
    x, y, w, h = box
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(img.width, int(round(x + w))), min(img.height, int(round(y + h)))
    a = np.asarray(img, dtype=np.float32).copy()
    luma = a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114
    box_luma = luma[y0:y1, x0:x1]
    if box_luma.shape[0] < 8 or box_luma.shape[1] < 24:
        return img, label
    gap = first_char_end(box_luma)
    region, region_luma = a[y0:y1, x0:x0 + gap], box_luma[:, :gap]
    thr = box_luma.mean() + 0.5 * box_luma.std()
    dark = region_luma <= thr
    # Ink colour from the whole plate's brightest pixels: the other characters' strokes.
    bright = box_luma >= np.percentile(box_luma, 95)
    if dark.sum() < 4 or bright.sum() < 2:
        return img, label
    bg = np.median(region[dark], axis=0)
    ink = a[y0:y1, x0:x1][bright].mean(axis=0)
    noise = float(np.clip(region_luma[dark].std(), 2.0, 12.0))

    rh, rw = region.shape[:2]
    gh = max(4, int(round(h * rng.uniform(0.56, 0.70))))
    gw = max(3, int(round(gh * rng.uniform(0.45, 0.60))))
    mask = np.asarray(glyph_mask(province, rng.choice(_STROKES)).resize((gw, gh), Image.LANCZOS),
                      dtype=np.float32) / 255.0
    cx, cy = rw * rng.uniform(0.48, 0.60), rh * rng.uniform(0.46, 0.54)
    gx, gy = int(round(cx - gw / 2)), int(round(cy - gh / 2))
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    patch = bg + noise_rng.normal(0.0, noise, (rh, rw, 1)).astype(np.float32)
    # The glyph may overhang the region on a small crop: clip it to the region.
    sx0, sy0 = max(0, -gx), max(0, -gy)
    ex, ey = min(gw, rw - gx), min(gh, rh - gy)
    if ex <= sx0 or ey <= sy0:
        return img, label
    m = mask[sy0:ey, sx0:ex, None]
    tile = patch[gy + sy0:gy + ey, gx + sx0:gx + ex]
    patch[gy + sy0:gy + ey, gx + sx0:gx + ex] = tile * (1 - m) + ink * m
    patch_img = Image.fromarray(np.clip(patch, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    out = img.copy()
    out.paste(patch_img, (x0, y0))
    return out, province + label[1:]


__all__ = ['FONT_PATTERN', 'FONT_PACKAGE', 'font_file', 'glyph_mask', 'first_char_end', 'swap_province']
