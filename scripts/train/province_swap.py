"""Province swap: a real Chinese one-row crop with its province character replaced by the province
character cut from another real crop of the training split.

Why: CCPD, the only real Chinese set, is 96 % Anhui (皖). Trained on it, the reader learns that a
real-looking blue plate starts with 皖 and reads 苏, 豫 or 鲁 plates as 皖 or 赣. Moving the
province characters of the few non-皖 training crops onto many other crops (皖 among the choices,
so a moved patch says nothing about the answer) makes the model read that glyph instead of
guessing it from the rest of the plate. The glyphs are real plate lettering: an earlier try that
painted them in a desktop font (WenQuanYi) read CCPD no better, since that face is not the plates'.
Only training crops are donors; the held-out split is never looked at.

Blue plates (light ink) and yellow ones (dark ink) swap both ways: the gap after the province
character is looked for on the ink's own polarity (`light_ink`), and a donor of the other polarity
is inverted before it is pasted, so EasyPR's yellow and blue crops (17 provinces) serve CCPD's
blue crops and each other. The character is moved as its ink box (`glyph_box`), not as the whole
region left of the gap, since CCPD's crops hold the plate's frame and EasyPR's are cut at the
characters.
"""
import numpy as np
from PIL import Image, ImageFilter, ImageOps

import platedata as pd


def light_ink(rgb):
    """True if the characters are lighter than the plate (a blue or black plate's white ink),
    False if darker (yellow, green, white plates). A blue plate (the median pixel of the box's
    middle clearly blue, or cyan when over-exposed) has light ink. Otherwise the middle rows'
    median luma is the background, and the ink is on the side of it that reaches further: the
    90th percentile above it (light ink) or the 10th below it (dark ink). The mean against the
    median called 18 of CCPD's 551 blue training crops dark (tilted crops whose corners hold the
    dark vehicle, over-exposed ones), and a plate's colour alone cannot tell a dim yellow plate
    (EasyPR 0030, dark ink) from a blue one under sodium light at night (CCPD 0040, light ink):
    both have a median pixel of about (114, 105, 55)."""
    h, w = rgb.shape[:2]
    mid = rgb[int(0.25 * h):max(int(0.25 * h) + 1, int(0.75 * h)), int(0.2 * w):max(int(0.2 * w) + 1, int(0.95 * w))]
    r, g, b = np.median(mid.reshape(-1, 3), 0)
    if b > r + 30 and b >= g - 15:
        return True
    luma = rgb[..., 0] * pd.LUMA[0] + rgb[..., 1] * pd.LUMA[1] + rgb[..., 2] * pd.LUMA[2]
    band = luma[int(0.2 * h):max(int(0.2 * h) + 1, int(0.8 * h))]
    lo, med, hi = np.percentile(band, (10, 50, 90))
    return bool(hi - med >= med - lo)


def ink_threshold(luma, light=True):
    """Mean + 0.5 spread of the polarity-normalised luma (ink bright): what `ink_mask` counts as ink."""
    a = luma if light else 255.0 - luma
    return float(a.mean() + 0.5 * a.std())


def ink_mask(luma, light=True, threshold=None):
    """The pixels that are ink: brighter than mean + 0.5 spread when the ink is light, darker than
    mean - 0.5 spread when it is dark; or beyond `threshold` (from `ink_threshold` of a larger
    area) if given."""
    a = luma if light else 255.0 - luma
    return a > (ink_threshold(luma, light) if threshold is None else threshold)


def first_char_end(luma_box, light=True):
    """Column (in the box) of the gap after the province character: the column with the least
    ink in the middle rows, counted over three columns, between 10 % and 21 % of the width, the
    leftmost one within a tenth of the band's height of that least. On a 94x24 CCPD crop that is
    column 10-19; the province character sits left of it. The three-column window skips the
    one-column gaps inside a character (川, 沪). Ink is light or dark as the plate's is (`light`,
    from `light_ink`): counted as bright pixels on a yellow plate, the gap fell inside the
    letter after the province or inside the province character. The leftmost near-least column,
    not the least: on EasyPR's crops, cut at the characters, the window also covers the hollow
    middle rows of the next letter (D, 0), as empty as the gap."""
    h, w = luma_box.shape
    band = luma_box[int(0.2 * h):max(int(0.2 * h) + 1, int(0.8 * h))]
    ink = ink_mask(band, light).sum(0).astype(np.float32)
    smooth = np.convolve(ink, np.ones(3, dtype=np.float32), mode='same')
    lo, hi = max(1, int(0.10 * w)), max(2, int(0.21 * w))
    window = smooth[lo:hi]
    near = np.nonzero(window <= window.min() + 0.1 * band.shape[0])[0]
    return lo + int(near[0])


def glyph_box(luma, light, threshold=None):
    """(c0, r0, c1, r1): the box of the ink in a province region, without the plate's frame (a
    column or row that is ink over nearly its whole length) and specks (a column inked over less
    than an eighth of its height); None if that leaves less than half of the region either way,
    which is no character. `threshold`: the whole plate's (`ink_threshold`), so that a region
    holding no character has no ink: some of EasyPR's crops hold the vehicle left of the plate
    and the gap is found at the plate's edge; with the region's own threshold its shading counted
    as ink, and the donor was pasted beside the plate's own province character, under its label.
    Why: CCPD's crops hold the plate's frame and border, EasyPR's are cut at the characters, so
    one set's whole region pasted into the other's gives a character a size its neighbours do not
    have."""
    h, w = luma.shape
    m = ink_mask(luma, light, threshold)
    cols = np.nonzero((m.mean(0) > 0.12) & (m.mean(0) < 0.9))[0]
    rows = np.nonzero((m.mean(1) > 0.08) & (m.mean(1) < 0.9))[0]
    if len(cols) == 0 or len(rows) == 0:
        return None
    c0, c1 = max(0, cols[0] - 1), min(w, cols[-1] + 2)
    r0, r1 = max(0, rows[0] - 1), min(h, rows[-1] + 2)
    if c1 - c0 < 0.5 * w or r1 - r0 < 0.5 * h:
        return None
    return int(c0), int(r0), int(c1), int(r1)


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
    g = province_glyph(s)
    return None if g is None else g[2]


def province_glyph(s):
    """((x0, y0, x1, y1), light, region): the province character's ink box in image pixels
    (`glyph_box` inside the region left of the gap), whether its ink is light, and that region;
    None if the box is too small to split or no ink box is found there."""
    b = _box_pixels(s)
    if b is None:
        return None
    x0, y0, x1, y1 = b
    crop = s.img.crop((x0, y0, x1, y1))
    a = np.asarray(crop.convert('L'), dtype=np.float32)
    rgb = np.asarray(crop, dtype=np.float32)
    light = light_ink(rgb)
    xg = first_char_end(a, light)
    g = glyph_box(a[:, :xg], light, ink_threshold(a, light))
    if g is None:
        return None
    c0, r0, c1, r1 = g
    return (x0 + c0, y0 + r0, x0 + c1, y0 + r1), light, (x0, y0, x0 + xg, y1)


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
    """The province characters of the swapped folders' training crops, by province: each its
    ink box and whether the ink is light (blue plates) or dark (yellow and green ones)."""

    def __init__(self, samples, jitter=False):
        self.jitter = jitter
        self.by_province = {}
        for s in samples:
            if not swappable(s):
                continue
            g = province_glyph(s)
            if g is None:
                continue
            box, light, _ = g
            self.by_province.setdefault(s.label[0], []).append((s.img.crop(box), light))
        self.provinces = sorted(self.by_province)

    def swap(self, s, rng):
        """A copy of sample `s` with its province character replaced by a donor's, resized to
        its ink box; the province is chosen uniformly among those the pool holds, then a donor of
        it at random (jittered if the pool was made with `jitter`). A donor of the other polarity
        is inverted first (a blue plate's white 京, inverted, is dark on a light ground, as on a
        yellow plate), so blue and yellow plates lend each other their provinces.
        Returns `s` unchanged if it cannot be split."""
        g = province_glyph(s) if swappable(s) and self.provinces else None
        if g is None:
            return s
        box, light, _ = g
        province = rng.choice(self.provinces)
        patch, donor_light = rng.choice(self.by_province[province])
        if donor_light != light:
            patch = ImageOps.invert(patch)
        if self.jitter:
            patch = jitter_patch(patch, rng)
        x0, y0, x1, y1 = box
        img = s.img.copy()
        patch = match_colours(patch.resize((x1 - x0, y1 - y0), Image.BILINEAR), img.crop(box))
        img.paste(patch, (x0, y0))
        return pd.Sample(s.folder, s.image, province + s.label[1:], img, s.box)


__all__ = ['light_ink', 'ink_threshold', 'ink_mask', 'first_char_end', 'glyph_box', 'province_glyph', 'jitter_patch', 'province_region', 'swappable', 'match_colours', 'DonorPool']
