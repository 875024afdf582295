"""Plate-crop data for the reader: charset, labels.tsv loading, split, preprocessing, augmentation.

labels.tsv format (../shared/datasets/README.md): a header line; `image` is relative to the TSV's
folder, `plate` the normalised text. Optional: `display` (as printed; a space separates the rows
of a two-row plate, e.g. `59-P1 664.80`), `lines` or `rows` (1 or 2), `x y w h` (plate box in a
frame; the crop is cut from it), `format_ok` (silver labels; rows with `False` are skipped).
A `rows` column holding `ROW1|ROW2` text is also accepted (the synthetic generator may write it).
"""
import csv
import hashlib
import io
import json
import math
import os
import random
import re
import unicodedata

import numpy as np
from PIL import Image, ImageFilter

# --- charset ---------------------------------------------------------------------------------
# The one charset of the reader; index 0 is the CTC blank. `|` is the row break of a two-row plate.
# Chinese characters: the 31 province abbreviations and the suffix/marks of src/plates/cn.ts;
# A-Z in full (I, O and the like are never printed on these plates, but keeping them lets the
# grammar see and correct a misread instead of the model being unable to say it).
BLANK = '<blank>'
ROW_BREAK = '|'
PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼'
CN_MARKS = '挂学警港澳使领'
DIGITS = '0123456789'
LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
CHARSET = [BLANK, ROW_BREAK] + list(DIGITS) + list(LETTERS) + list(PROVINCES) + list(CN_MARKS)
CHAR_INDEX = {c: i for i, c in enumerate(CHARSET)}

# --- input -----------------------------------------------------------------------------------
INPUT_H, INPUT_W = 64, 160
# The whole crop is resized (aspect not kept) to INPUT_W x INPUT_H, converted to luma
# (0.299 R + 0.587 G + 0.114 B) and scaled to [-1, 1]: x / 127.5 - 1.
LUMA = (0.299, 0.587, 0.114)

# src/plates/normalise.ts, same rules.
_TRAD = dict(zip('滬雲遼魯蘇贛晉陝閩貴粵寧瓊掛學領', '沪云辽鲁苏赣晋陕闽贵粤宁琼挂学领'))
_NOT_PLATE = re.compile(r'[^0-9A-Z\u3400-\u9fff]')


def normalise(s):
    s = unicodedata.normalize('NFKC', s).replace('Đ', 'D').replace('đ', 'D')
    s = ''.join(_TRAD.get(c, c) for c in s).upper()
    return _NOT_PLATE.sub('', s)


def encode(label):
    return [CHAR_INDEX[c] for c in label]


def is_val(folder_name, image_rel, val_percent):
    """Deterministic split: sha1 of `folder/image`, so it never changes between runs or machines."""
    h = hashlib.sha1(f'{folder_name}/{image_rel}'.encode('utf-8')).digest()
    return int.from_bytes(h[:4], 'big') % 100 < val_percent


def _truthy(v):
    return str(v).strip().lower() in ('true', '1', 'yes')


def _layout_lines(rec):
    """vn-car-plates' `layout` column: `1row` / `2row`."""
    layout = rec.get('layout', '').strip().lower()
    return {'1row': '1', '2row': '2'}.get(layout, '')


_VN_TWO_ROWS = re.compile(r"^(\d\d[A-Z]{1,2}\d??)(\d{4,5})$")


def vn_two_rows(plate):
    """The rows of a two-row Vietnamese plate whose label gives only the text: province and
    series on top (`51F`, `51LD`, `59P1`), the 4 or 5 digits of the number below. None when the
    text does not split that way."""
    m = _VN_TWO_ROWS.match(plate)
    return (m.group(1), m.group(2)) if m else None


def row_label(rec):
    """`ROW1|ROW2` text for a record, or (None, reason)."""
    plate = normalise(rec.get('plate', ''))
    if not plate:
        return None, 'empty plate'
    rows_col = rec.get('rows', '')
    if rows_col and '|' in rows_col:
        rows = [normalise(r) for r in rows_col.split('|')]
    else:
        n_lines = rec.get('lines') or (rows_col if rows_col.strip().isdigit() else '') or _layout_lines(rec)
        display = rec.get('display', '').strip()
        if not display and n_lines.strip() == '2':
            display = ' '.join(vn_two_rows(plate) or ())
        parts = [normalise(p) for p in display.split()] if display else [plate]
        parts = [p for p in parts if p]
        if n_lines.strip() == '1':
            rows = [plate]
        elif n_lines.strip() == '2' or (not n_lines and len(parts) == 2):
            if len(parts) != 2:
                return None, 'two rows but display does not split in two'
            rows = parts
        else:
            rows = [plate]
    if ''.join(rows) != plate:
        return None, 'rows do not join to the plate text'
    text = ROW_BREAK.join(rows)
    if any(c not in CHAR_INDEX for c in text):
        return None, 'character outside the charset'
    return text, None


class Sample:
    __slots__ = ('folder', 'image', 'label', 'img', 'box')

    def __init__(self, folder, image, label, img, box):
        self.folder, self.image, self.label, self.img, self.box = folder, image, label, img, box


def load_folder(path, val_percent=10, margin=0.15, limit=None):
    """Read one labels.tsv folder. Returns (train, val, stats). Images are kept in memory as
    RGB crops with `margin` extra context around a box (for augmentation); `box` is the plate
    box inside that crop."""
    path = os.path.abspath(path)
    name = os.path.basename(path.rstrip('/'))
    stats = {'folder': path, 'name': name, 'rows': 0, 'train': 0, 'val': 0, 'skipped': {}}
    train, val = [], []
    with open(os.path.join(path, 'labels.tsv'), encoding='utf-8', newline='') as f:
        reader = csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE)
        for rec in reader:
            stats['rows'] += 1

            def skip(why):
                stats['skipped'][why] = stats['skipped'].get(why, 0) + 1

            if 'format_ok' in rec and not _truthy(rec['format_ok']):
                skip('format_ok false')
                continue
            label, why = row_label(rec)
            if label is None:
                skip(why)
                continue
            try:
                im = Image.open(os.path.join(path, rec['image'])).convert('RGB')
            except (OSError, ValueError):
                skip('image unreadable')
                continue
            if all(rec.get(k) not in (None, '') for k in ('x', 'y', 'w', 'h')):
                x, y, w, h = (float(rec[k]) for k in ('x', 'y', 'w', 'h'))
                if w < 4 or h < 4:
                    skip('box too small')
                    continue
                mx, my = w * margin, h * margin
                x0, y0 = max(0, int(x - mx)), max(0, int(y - my))
                x1, y1 = min(im.width, int(math.ceil(x + w + mx))), min(im.height, int(math.ceil(y + h + my)))
                im = im.crop((x0, y0, x1, y1))
                box = (x - x0, y - y0, w, h)
            else:
                box = (0.0, 0.0, float(im.width), float(im.height))
            im, box = shrunk(im, box)
            s = Sample(name, rec['image'], label, im, box)
            (val if is_val(name, rec['image'], val_percent) else train).append(s)
            if limit and len(train) + len(val) >= limit:
                break
    stats['train'], stats['val'] = len(train), len(val)
    stats['two_row'] = sum(1 for s in train + val if ROW_BREAK in s.label)
    return train, val, stats


# Crops wider than this are kept shrunk to it: the reader sees 160x64, and augmenting a 780x560
# crop (vn-crops-silver's) took 20 times as long as a 220x110 one, a fifth of a whole epoch.
MAX_KEPT_WIDTH = 400


def shrunk(im, box):
    """The crop and its box scaled down to MAX_KEPT_WIDTH wide, if wider."""
    if im.width <= MAX_KEPT_WIDTH:
        return im, box
    f = MAX_KEPT_WIDTH / im.width
    small = im.resize((MAX_KEPT_WIDTH, max(8, round(im.height * f))), Image.BILINEAR)
    fy = small.height / im.height
    return small, (box[0] * f, box[1] * fy, box[2] * f, box[3] * fy)


def generator_note(folder):
    """For a synthetic folder: the generator, its version, seed and count from its manifest.json,
    so a model's manifest says exactly which synthetic data it saw."""
    try:
        with open(os.path.join(folder, 'manifest.json'), encoding='utf-8') as f:
            m = json.load(f)
    except (OSError, ValueError):
        return None
    if 'generator' not in m:
        return None
    note = {k: m[k] for k in ('generator', 'version', 'specsVersion', 'seed', 'count', 'size') if k in m}
    # scenes.mjs --pairs: the share of multi-plate scenes with two plates side by side
    rates = m.get('rates')
    if isinstance(rates, dict) and 'pairs' in rates:
        note['pairs'] = rates['pairs']
    return note


def licence_note(folder):
    """The licence/use cell of the folder's row in the datasets README, if there is one."""
    readme = os.path.join(os.path.dirname(os.path.abspath(folder).rstrip('/')), 'README.md')
    name = os.path.basename(os.path.abspath(folder).rstrip('/'))
    try:
        for line in open(readme, encoding='utf-8'):
            if line.startswith(f'| `{name}/`'):
                return line.rstrip().rstrip('|').split('|')[-1].strip()
    except OSError:
        pass
    return None


def to_input(img_rgb):
    """Canonical preprocessing (the same as scripts/train/check-onnx.mjs): resize the crop to
    INPUT_W x INPUT_H, bilinear; luma; x / 127.5 - 1. Returns float32 [1, H, W]."""
    im = img_rgb.resize((INPUT_W, INPUT_H), Image.BILINEAR)
    a = np.asarray(im, dtype=np.float32)
    g = a[..., 0] * LUMA[0] + a[..., 1] * LUMA[1] + a[..., 2] * LUMA[2]
    return (g / 127.5 - 1.0)[None]


def plain_crop(s):
    x, y, w, h = s.box
    return s.img.crop((int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))))


def tilted(im, box, angle):
    """The image rotated by `angle` degrees about the box's centre, and the upright box around the
    rotated plate: the crop a detector's axis-aligned box gives of a tilted plate, taller than the
    plate, with its corners showing what lies around it. The image is first extended by mirroring
    its edges, so those corners hold background-like pixels rather than a fill colour (CCPD's
    crops are cut at the plate's box)."""
    x, y, w, h = box
    pad = int(math.ceil(0.35 * max(w, h))) + 2
    a = np.pad(np.asarray(im), ((pad, pad), (pad, pad), (0, 0)), mode='reflect')
    big = Image.fromarray(a)
    cx, cy = x + w / 2 + pad, y + h / 2 + pad
    big = big.rotate(angle, resample=Image.BILINEAR, center=(cx, cy))
    t = math.radians(abs(angle))
    bw, bh = w * math.cos(t) + h * math.sin(t), w * math.sin(t) + h * math.cos(t)
    return big, (cx - bw / 2, cy - bh / 2, bw, bh)


def augment(s, rng, tilted_share=0.0, invert_share=0.0, cut_in_share=0.0, wear_share=0.0):
    """A jittered crop: the box moved and scaled a little (as a detector's box would be), small
    rotation and shear (in `tilted_share` of draws a tilt of 6-11 degrees instead, see `tilted`), low resolution (down and up again, or left small as a far plate is),
    blur, JPEG, contrast/brightness, polarity kept (the model sees dark-on-light and
    light-on-dark plates in the data; `invert_share` of draws inverted besides). In `cut_in_share`
    of draws the box lies inside the plate, as a detector quad on an unfamiliar plate may; in
    `wear_share` strokes are rubbed off and marked (`wear`)."""
    x, y, w, h = s.box
    if rng.random() < cut_in_share:
        dx0, dx1 = rng.uniform(-0.08, 0.0) * w, rng.uniform(-0.08, 0.0) * w
        dy0, dy1 = rng.uniform(-0.14, 0.0) * h, rng.uniform(-0.14, 0.0) * h
    else:
        dx0, dx1 = rng.uniform(-0.06, 0.08) * w, rng.uniform(-0.06, 0.08) * w
        dy0, dy1 = rng.uniform(-0.06, 0.10) * h, rng.uniform(-0.06, 0.10) * h
    im = s.img
    r_tilt = rng.random()
    if r_tilt < tilted_share:  # a tilted plate in its upright box, as many of CCPD's crops are
        im, (x, y, w, h) = tilted(im, s.box, rng.choice((-1, 1)) * rng.uniform(6, 11))
    elif r_tilt < tilted_share + 0.7:
        angle = rng.uniform(-6, 6)
        cx, cy = x + w / 2, y + h / 2
        im = im.rotate(angle, resample=Image.BILINEAR, center=(cx, cy), fillcolor=(128, 128, 128))
    box = (x - dx0, y - dy0, x + w + dx1, y + h + dy1)
    if rng.random() < 0.5:  # shear / perspective-ish: a quad transform
        sh = rng.uniform(-0.08, 0.08) * w
        quad = (box[0] + sh, box[1], box[0] - sh, box[3], box[2] - sh, box[3], box[2] + sh, box[1])
        im = im.transform((max(8, int(box[2] - box[0])), max(8, int(box[3] - box[1]))), Image.QUAD, quad,
                          resample=Image.BILINEAR, fillcolor=(128, 128, 128))
    else:
        im = im.crop(tuple(int(round(v)) for v in box))
    r = rng.random()
    if r < 0.3:  # low resolution: down and up again
        f = rng.uniform(0.35, 0.8)
        small = (max(6, int(im.width * f)), max(4, int(im.height * f)))
        im = im.resize(small, Image.BILINEAR).resize(im.size, Image.BILINEAR)
    elif r < 0.45:  # a plate far from the camera: 60-120 px wide, as CCPD's 94x24 crops
        w_px = rng.uniform(60, 120)
        h_px = max(12, w_px * im.height / max(1, im.width) * rng.uniform(0.8, 1.1))
        im = im.resize((int(w_px), int(h_px)), Image.BILINEAR)
    if rng.random() < 0.2:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.25:  # camera JPEG: blocks and ringing around the strokes
        im = jpeg(im, int(rng.uniform(20, 75)))
    x_in = to_input(im)
    if rng.random() < wear_share:
        x_in = wear(x_in, rng)
    if rng.random() < invert_share:  # luma inverted: light-on-dark characters become dark-on-light
        x_in = -x_in
    c = rng.uniform(0.6, 1.3)
    b = rng.uniform(-0.25, 0.25)
    x_in = x_in * c + b
    if rng.random() < 0.3:
        x_in = x_in + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0.02, 0.08), x_in.shape).astype(np.float32)
    return np.clip(x_in, -1.0, 1.0).astype(np.float32)


def wear(x_in, rng):
    """A worn plate, on the reader's input [1, H, W]: 1-3 soft patches (3-8 px across) faded
    40-85 % toward the plate's background (the median: most of a crop is plate), as rubbed-off
    paint is, and in half the draws a short line (5-18 px, 1-2 px thick) in the ink's tone (the
    extreme farther from the background), as a scratch or a pen mark is. The label stays: the
    reader learns to read a character from what is left of it, or to be unsure of it."""
    a = x_in[0].copy()
    h, w = a.shape
    background = float(np.median(a))
    lo, hi = np.percentile(a, (3, 97))
    ink = float(lo if background - lo > hi - background else hi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(rng.randint(1, 3)):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1.5, 4.0)
        mask = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)) * rng.uniform(0.4, 0.85)
        a = a * (1 - mask) + background * mask
    if rng.random() < 0.5:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        length, angle = rng.uniform(5, 18), rng.uniform(0, math.pi)
        dx, dy = math.cos(angle), math.sin(angle)
        # distance of each pixel to the segment centred on (cx, cy)
        t = np.clip((xx - cx) * dx + (yy - cy) * dy, -length / 2, length / 2)
        dist = np.hypot(xx - (cx + t * dx), yy - (cy + t * dy))
        mask = np.clip(rng.uniform(0.5, 1.0) + rng.uniform(0.6, 1.1) - dist, 0, 1) * rng.uniform(0.6, 1.0)
        a = a * (1 - mask) + ink * mask
    return a[None].astype(np.float32)


def jpeg(im, quality):
    buf = io.BytesIO()
    im.save(buf, format='JPEG', quality=quality)
    buf.seek(0)
    return Image.open(buf).convert('RGB')


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(pred, label):
    """As ../shared/tools/score-plates.mjs: 1 - lev / max(len), on the plate text (rows joined)."""
    return 1.0 - levenshtein(pred, label) / max(len(pred), len(label), 1)


__all__ = ['CHARSET', 'CHAR_INDEX', 'ROW_BREAK', 'INPUT_H', 'INPUT_W', 'normalise', 'encode', 'load_folder',
           'generator_note', 'licence_note', 'to_input', 'plain_crop', 'augment', 'char_accuracy', 'random']
