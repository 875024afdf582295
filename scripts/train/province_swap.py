"""Province swap: a real Chinese one-row crop with its province character replaced by the province
character cut from another real crop of the training split.

Why: CCPD, the only real Chinese set, is 96 % Anhui (皖). Trained on it, the reader learns that a
real-looking blue plate starts with 皖 and reads 苏, 豫 or 鲁 plates as 皖 or 赣. Moving the
province characters of the few non-皖 training crops onto many other crops (皖 among the choices,
so a moved patch says nothing about the answer) makes the model read that glyph instead of
guessing it from the rest of the plate. The glyphs are real plate lettering: an earlier try that
painted them in a desktop font (WenQuanYi) read CCPD no better, since that face is not the plates'.
Only training crops are donors; the held-out split is never looked at.
"""
import numpy as np
from PIL import Image, ImageFilter

import platedata as pd


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


def _box_pixels(s):
    """The sample's box as integer bounds inside its image, or None if it is too small to split."""
    x, y, w, h = s.box
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(s.img.width, int(round(x + w))), min(s.img.height, int(round(y + h)))
    if y1 - y0 < 8 or x1 - x0 < 24:
        return None
    return x0, y0, x1, y1


def province_region(s):
    """(x0, y0, x_gap, y1): the part of the sample's box left of the gap after its province
    character, in image pixels; None if the box is too small to split."""
    b = _box_pixels(s)
    if b is None:
        return None
    x0, y0, x1, y1 = b
    a = np.asarray(s.img.crop((x0, y0, x1, y1)).convert('L'), dtype=np.float32)
    return x0, y0, x0 + first_char_end(a), y1


def swappable(s):
    """A one-row sample whose label starts with a province character."""
    return pd.ROW_BREAK not in s.label and s.label[:1] in pd.PROVINCES


def match_colours(patch, region):
    """`patch` with each channel's mean and spread set to `region`'s, so the moved character
    takes the plate's colour, brightness and contrast and leaves no seam that would tell the
    model a character was moved."""
    p = np.asarray(patch, dtype=np.float32)
    r = np.asarray(region, dtype=np.float32)
    pm, ps = p.mean((0, 1)), p.std((0, 1)) + 1.0
    rm, rs = r.mean((0, 1)), r.std((0, 1)) + 1.0
    return Image.fromarray(np.clip((p - pm) / ps * rs + rm, 0, 255).astype(np.uint8))


def jitter_patch(patch, rng, shift=0.08):
    """`patch` cut again with each edge moved by up to `shift` of its size (in or out; outside
    the patch the edge pixels are repeated), and in a third of draws softened by a slight blur.
    Why: most provinces have one to seven donors, 鲁 one; pasted as cut, the model could learn
    that one image of 鲁 rather than the character. The shift also varies where the glyph sits
    in its region, as a detector's box and the gap search do."""
    a = np.asarray(patch)
    h, w = a.shape[:2]
    dx, dy = max(1, int(round(shift * w))), max(1, int(round(shift * h)))
    pad = ((dy, dy), (dx, dx)) + ((0, 0),) * (a.ndim - 2)
    a = np.pad(a, pad, mode='edge')
    x0, x1 = dx + rng.randint(-dx, dx), dx + w + rng.randint(-dx, dx)
    y0, y1 = dy + rng.randint(-dy, dy), dy + h + rng.randint(-dy, dy)
    out = Image.fromarray(a[y0:y1, x0:x1])
    if rng.random() < 1 / 3:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    return out


class DonorPool:
    """The province-character patches of one folder's training crops, by province."""

    def __init__(self, samples, jitter=False):
        self.jitter = jitter
        self.by_province = {}
        for s in samples:
            if not swappable(s):
                continue
            r = province_region(s)
            if r is None:
                continue
            self.by_province.setdefault(s.label[0], []).append(s.img.crop(r))
        self.provinces = sorted(self.by_province)

    def swap(self, s, rng):
        """A copy of sample `s` with its province region replaced by a donor's, resized to fit;
        the province is chosen uniformly among those the pool holds, then a donor of it at random
        (jittered if the pool was made with `jitter`).
        Returns `s` unchanged if it cannot be split."""
        r = province_region(s) if swappable(s) and self.provinces else None
        if r is None:
            return s
        province = rng.choice(self.provinces)
        patch = rng.choice(self.by_province[province])
        if self.jitter:
            patch = jitter_patch(patch, rng)
        x0, y0, xg, y1 = r
        img = s.img.copy()
        patch = match_colours(patch.resize((xg - x0, y1 - y0), Image.BILINEAR), img.crop(r))
        img.paste(patch, (x0, y0))
        return pd.Sample(s.folder, s.image, province + s.label[1:], img, s.box)


__all__ = ['first_char_end', 'jitter_patch', 'province_region', 'swappable', 'match_colours', 'DonorPool']
