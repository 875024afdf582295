#!/usr/bin/python3
"""Train the plate detector (finds plates in a lane frame with their four corners and row count)
and export it to ONNX with a manifest. docs/training.md has the commands, figures and design.

  /usr/bin/python3 scripts/train/detector.py --scenes /tmp/scenes \
      --frames ../shared/datasets/vn-greenparking --work /tmp/detector-work --epochs 24 \
      --export models/plate-detector.onnx

--scenes: a folder written by scripts/synth/scenes.mjs (labels.jsonl, exact corners).
--frames: a labels.tsv folder of real frames with plate boxes (x y w h); the box's corners stand
in for the plate's (the GreenParking plates face the camera). Its held-out split (the same
sha1 rule as the reader's and as `npm run eval`) is never trained on.

Rerunning the same command resumes from the last checkpoint in --work; seeded like reader.py.
"""
import argparse
import datetime
import json
import math
import os
import platform
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageFilter

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platedata as pd  # noqa: E402
from trainlib import lr_at, save_atomic, sha256  # noqa: E402

IN_W, IN_H = 320, 192   # a 1280x720 frame letterboxes to 320x180: plates of >= ~80 px stay findable
STRIDE = 4
PAD = 0.5               # letterbox padding value (input is RGB / 255)


# --- model -----------------------------------------------------------------------------------
def cbr(cin, cout, k=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def dws(cin, cout, stride=1):
    """Depthwise-separable 3x3: the cheap block that keeps the detector within its few ms."""
    return nn.Sequential(cbr(cin, cin, 3, stride, groups=cin), cbr(cin, cout, 1))


class Detector(nn.Module):
    """A small backbone to stride 32, a top-down path back to stride 4, and a CenterNet-style
    head per stride-4 cell: plate-centre logit, the four corners as offsets from the cell
    centre (in cells), and a two-row logit."""

    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 16, 3, 2)                                  # /2
        self.c2 = nn.Sequential(dws(16, 32, 2), dws(32, 32))          # /4
        self.c3 = nn.Sequential(dws(32, 48, 2), dws(48, 48))          # /8
        self.c4 = nn.Sequential(dws(48, 64, 2), dws(64, 64), dws(64, 64))   # /16
        self.c5 = nn.Sequential(dws(64, 96, 2), dws(96, 96))          # /32
        self.l5 = cbr(96, 64, 1)
        self.l4 = cbr(64, 48, 1)
        self.l3 = cbr(48, 32, 1)
        self.smooth = dws(32, 32)
        self.head = nn.Sequential(cbr(32, 32, 3), nn.Conv2d(32, 10, 1))
        with torch.no_grad():  # start with few detections, as CenterNet does
            self.head[-1].bias.zero_()
            self.head[-1].bias[0] = -2.19

    def forward(self, x):
        c2 = self.c2(self.stem(x))
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p4 = F.interpolate(self.l5(c5), scale_factor=2.0, mode='nearest') + c4
        p3 = F.interpolate(self.l4(p4), scale_factor=2.0, mode='nearest') + c3
        p2 = F.interpolate(self.l3(p3), scale_factor=2.0, mode='nearest') + c2
        return self.head(self.smooth(p2))   # [N, 10, H/4, W/4]


class Exported(nn.Module):
    """The ONNX graph: centre score (sigmoid, non-peaks in 3x3 set to 0), corner offsets in input
    pixels from the cell centre, two-row probability."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        raw = self.model(image)
        heat = torch.sigmoid(raw[:, 0:1])
        peak = F.max_pool2d(heat, 3, stride=1, padding=1)
        heat = heat * (heat >= peak).float()
        return torch.cat([heat, raw[:, 1:9] * STRIDE, torch.sigmoid(raw[:, 9:10])], dim=1)


# --- data ------------------------------------------------------------------------------------
class Frame:
    __slots__ = ('source', 'name', 'img', 'plates')

    def __init__(self, source, name, img, plates):
        # img: PIL RGB at its stored scale; plates: list of (corners [4x2] in img pixels, rows)
        self.source, self.name, self.img, self.plates = source, name, img, plates


def load_scenes(folder, val_percent, store_scale):
    folder = os.path.abspath(folder)
    name = os.path.basename(folder.rstrip('/'))
    train, val = [], []
    with open(os.path.join(folder, 'labels.jsonl'), encoding='utf-8') as f:
        for line in f:
            rec = json.loads(line)
            im = Image.open(os.path.join(folder, rec['image'])).convert('RGB')
            s = store_scale(im.width, im.height)
            if s != 1:
                im = im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR)
            plates = [(np.array(p['corners'], dtype=np.float32) * s, int(p['rows'])) for p in rec['plates']]
            fr = Frame(name, rec['image'], im, plates)
            (val if pd.is_val(name, rec['image'], val_percent) else train).append(fr)
    return train, val, {'folder': folder, 'name': name, 'kind': 'synthetic scenes', 'train': len(train), 'val': len(val),
                        'synthetic': pd.generator_note(folder)}


def load_frames(folder, val_percent, store_scale):
    """A labels.tsv of real frames with one plate box per row (several rows may name one image)."""
    import csv
    folder = os.path.abspath(folder)
    name = os.path.basename(folder.rstrip('/'))
    by_image = {}
    with open(os.path.join(folder, 'labels.tsv'), encoding='utf-8', newline='') as f:
        for rec in csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE):
            if any(rec.get(k) in (None, '') for k in ('x', 'y', 'w', 'h')):
                continue
            x, y, w, h = (float(rec[k]) for k in ('x', 'y', 'w', 'h'))
            label, _ = pd.row_label(rec)
            rows = 2 if label and pd.ROW_BREAK in label else 1
            by_image.setdefault(rec['image'], []).append((np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32), rows))
    train, val = [], []
    for image, plates in by_image.items():
        im = Image.open(os.path.join(folder, image)).convert('RGB')
        s = store_scale(im.width, im.height)
        if s != 1:
            im = im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR)
        fr = Frame(name, image, im, [(c * s, r) for c, r in plates])
        (val if pd.is_val(name, image, val_percent) else train).append(fr)
    return train, val, {'folder': folder, 'name': name, 'kind': 'real frames (box corners)', 'train': len(train),
                        'val': len(val), 'licence': pd.licence_note(folder)}


def letterbox_scale(w, h):
    return min(IN_W / w, IN_H / h)


def place(fr, rng, train):
    """The frame scaled into the IN_W x IN_H input. Validation: the plain letterbox the engine
    uses. Training: a random zoom (0.6-1.6 of the letterbox scale) and offset, so plates of every
    size and position are seen. Returns (input float32 [3,H,W], plates with corners in input px)."""
    w, h = fr.img.size
    s = letterbox_scale(w, h)
    ox = oy = 0.0
    if train:
        s *= math.exp(rng.uniform(math.log(0.6), math.log(1.6)))
        sw, sh = w * s, h * s
        ox = rng.uniform(min(0, IN_W - sw), max(0, IN_W - sw))
        oy = rng.uniform(min(0, IN_H - sh), max(0, IN_H - sh))
    # An affine that maps input pixels back to image pixels, for PIL's transform.
    inv = (1 / s, 0, -ox / s, 0, 1 / s, -oy / s)
    im = fr.img.transform((IN_W, IN_H), Image.AFFINE, inv, resample=Image.BILINEAR, fillcolor=(128, 128, 128))
    if train and rng.random() < 0.15:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    a = np.asarray(im, dtype=np.float32) / 255.0
    if train:
        if rng.random() < 0.1:
            a = a.mean(axis=2, keepdims=True).repeat(3, axis=2)
        a = (a - 0.5) * rng.uniform(0.6, 1.4) + 0.5 + rng.uniform(-0.2, 0.2)
        a = a * np.array([rng.uniform(0.85, 1.15) for _ in range(3)], dtype=np.float32)
        if rng.random() < 0.3:
            a = a + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0.01, 0.05), a.shape).astype(np.float32)
        a = np.clip(a, 0, 1)
    # Outside the scaled image: the letterbox padding (transform fills grey already).
    plates = [(c * s + np.array([ox, oy], dtype=np.float32), r) for c, r in fr.plates]
    return a.transpose(2, 0, 1).astype(np.float32), plates


def targets(plates):
    """Stride-4 targets: gaussian centre heatmap, corner offsets (cells) and two-row flag where
    the plate's gaussian is >= 0.5 (more cells than the one centre: steadier corners)."""
    gw, gh = IN_W // STRIDE, IN_H // STRIDE
    heat = np.zeros((gh, gw), np.float32)
    reg = np.zeros((8, gh, gw), np.float32)
    rows = np.zeros((gh, gw), np.float32)
    wmask = np.zeros((gh, gw), np.float32)
    owner = np.zeros((gh, gw), np.float32)
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    cxs, cys = (xs + 0.5) * STRIDE, (ys + 0.5) * STRIDE
    for corners, r in plates:
        cx, cy = corners[:, 0].mean(), corners[:, 1].mean()
        bw = corners[:, 0].max() - corners[:, 0].min()
        bh = corners[:, 1].max() - corners[:, 1].min()
        if not (0 <= cx < IN_W and 0 <= cy < IN_H) or bw < 6 or bh < 3:
            continue  # centre outside the input or too small to read: not a target
        sx, sy = max(0.8, bw / STRIDE / 6), max(0.8, bh / STRIDE / 6)
        g = np.exp(-(((xs + 0.5) - cx / STRIDE) ** 2 / (2 * sx * sx) + ((ys + 0.5) - cy / STRIDE) ** 2 / (2 * sy * sy)))
        ci, cj = min(gh - 1, int(cy / STRIDE)), min(gw - 1, int(cx / STRIDE))
        g[ci, cj] = 1.0
        heat = np.maximum(heat, g)
        take = (g >= 0.5) & (g > owner)
        owner = np.where(take, g, owner)
        for k in range(4):
            reg[2 * k][take] = (corners[k, 0] - cxs[take]) / STRIDE
            reg[2 * k + 1][take] = (corners[k, 1] - cys[take]) / STRIDE
        rows[take] = 1.0 if r == 2 else 0.0
        wmask[take] = g[take]
    return heat, reg, rows, wmask


def make_batch(frames, rng, train):
    xs, hs, rs, ros, ws = [], [], [], [], []
    for fr in frames:
        x, plates = place(fr, rng, train)
        h, r, ro, w = targets(plates)
        xs.append(x); hs.append(h); rs.append(r); ros.append(ro); ws.append(w)
    t = lambda a: torch.from_numpy(np.stack(a))
    return t(xs), t(hs), t(rs), t(ros), t(ws)


def losses(out, heat, reg, rows, wmask):
    logit = out[:, 0]
    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = (heat >= 0.999).float()
    neg = 1 - pos
    focal = -(pos * (1 - p) ** 2 * torch.log(p) + neg * (1 - heat) ** 4 * p ** 2 * torch.log(1 - p)).sum()
    n_pos = pos.sum().clamp(min=1)
    l_heat = focal / n_pos
    wsum = wmask.sum().clamp(min=1e-3)
    l_reg = (F.smooth_l1_loss(out[:, 1:9], reg, reduction='none', beta=0.1).sum(1) * wmask).sum() / wsum
    l_rows = (F.binary_cross_entropy_with_logits(out[:, 9], rows, reduction='none') * wmask).sum() / wsum
    return l_heat, l_reg, l_rows


# --- decoding and evaluation (the same rules as src/vision/platenet) -------------------------
def decode(exported_out, threshold=0.3, iou=0.4, top=8):
    """exported_out [10, gh, gw] numpy -> list of (score, corners [4x2] input px, two_row_p)."""
    heat = exported_out[0]
    ii, jj = np.nonzero(heat >= threshold)
    cands = []
    for i, j in zip(ii, jj):
        c = np.array([(j + 0.5) * STRIDE, (i + 0.5) * STRIDE], np.float32)
        corners = exported_out[1:9, i, j].reshape(4, 2) + c
        cands.append((float(heat[i, j]), corners, float(exported_out[9, i, j])))
    cands.sort(key=lambda d: -d[0])
    kept = []
    for d in cands:
        if all(box_iou(bbox(d[1]), bbox(k[1])) < iou for k in kept):
            kept.append(d)
        if len(kept) >= top:
            break
    return kept


def bbox(c):
    return (c[:, 0].min(), c[:, 1].min(), c[:, 0].max(), c[:, 1].max())


def box_iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@torch.no_grad()
def evaluate(model, val_by_source, batch=32):
    """Per source: recall (a plate matched by a detection at IoU >= 0.5), precision, mean corner
    error relative to the plate's width, and two-row accuracy of matched plates."""
    wrapped = Exported(model).eval()
    model.eval()
    metrics = {}
    for name, frames in val_by_source.items():
        n_gt = n_det = hit = rows_ok = 0
        err_sum = 0.0
        for i in range(0, len(frames), batch):
            chunk = frames[i:i + batch]
            placed = [place(fr, None, False) for fr in chunk]
            out = wrapped(torch.from_numpy(np.stack([p[0] for p in placed]))).numpy()
            for (x, plates), o in zip(placed, out):
                dets = decode(o)
                n_det += len(dets)
                used = set()
                for corners, r in plates:
                    bw = corners[:, 0].max() - corners[:, 0].min()
                    if bw < 6:
                        continue
                    n_gt += 1
                    best, best_iou = None, 0.5
                    for k, d in enumerate(dets):
                        v = box_iou(bbox(corners), bbox(d[1]))
                        if k not in used and v >= best_iou:
                            best, best_iou = k, v
                    if best is not None:
                        used.add(best)
                        hit += 1
                        err_sum += float(np.abs(dets[best][1] - corners).mean() / bw)
                        rows_ok += (dets[best][2] >= 0.5) == (r == 2)
        metrics[name] = {'val_images': len(frames), 'plates': n_gt, 'recall': round(hit / max(1, n_gt), 4),
                         'precision': round(hit / max(1, n_det), 4),
                         'corner_error_over_width': round(err_sum / max(1, hit), 4),
                         'two_row_accuracy': round(rows_ok / max(1, hit), 4)}
    model.train()
    return metrics


# --- training --------------------------------------------------------------------------------




def export(model, out_path, extra):
    model.eval()
    wrapped = Exported(model).eval()
    dummy = torch.zeros(1, 3, IN_H, IN_W)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    torch.onnx.export(wrapped, dummy, out_path, opset_version=13, input_names=['image'], output_names=['out'],
                      dynamic_axes={'image': {2: 'height', 3: 'width'}, 'out': {2: 'height/4', 3: 'width/4'}},
                      do_constant_folding=True)
    import onnx
    m = onnx.load(out_path)
    onnx.checker.check_model(m)
    manifest = {
        'model': os.path.basename(out_path),
        'sha256': sha256(out_path),
        'bytes': os.path.getsize(out_path),
        'format': {'onnx_opset': 13, 'onnx_ir_version': m.ir_version},
        'input_size': {'width': IN_W, 'height': IN_H},
        'stride': STRIDE,
        'input': {
            'name': 'image', 'shape': [1, 3, 'height', 'width'], 'dtype': 'float32',
            'preprocessing': (f'the frame (or region of interest) letterboxed into {IN_W}x{IN_H} (height and width '
                              'multiples of 32): scaled by min(W/w, H/h) keeping its aspect, placed at the top-left, '
                              'the rest filled with 0.5; RGB, value = byte / 255'),
        },
        'output': {
            'name': 'out', 'shape': [1, 10, 'height/4', 'width/4'], 'dtype': 'float32',
            'meaning': ('per stride-4 cell: [0] plate-centre score in [0,1], non-maxima in 3x3 already set to 0; '
                        '[1..8] the four corners clockwise from the plate\'s top-left (TL, TR, BR, BL) as (dx, dy) '
                        'in input pixels from the cell centre ((col + 0.5) * 4, (row + 0.5) * 4); [9] probability '
                        'that the plate has two rows. Decoding: cells with score >= 0.3, greedy NMS at IoU 0.4 of '
                        'the quads\' bounding boxes'),
        },
        **extra,
    }
    man_path = re.sub(r'\.onnx$', '', out_path) + '.manifest.json'
    with open(man_path, 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write('\n')
    return man_path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--scenes', action='append', default=[], help='a scenes.mjs folder (repeatable)')
    ap.add_argument('--frames', action='append', default=[], help='a labels.tsv folder of real frames with boxes')
    ap.add_argument('--frames-repeat', type=int, default=2, help='real frames appear this many times per epoch')
    ap.add_argument('--repeat', action='append', default=[], metavar='NAME=N',
                    help='this --frames folder appears N times per epoch instead (a small set of another camera)')
    ap.add_argument('--work', required=True)
    ap.add_argument('--epochs', type=int, default=24)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--val-percent', type=int, default=20)
    ap.add_argument('--threads', type=int, default=2, help='torch threads (2 on the gate-sized machine)')
    ap.add_argument('--export')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    # Images are stored at twice the input's scale at most: enough for the zoom-in augmentation.
    store_scale = lambda w, h: min(1.0, 2 * letterbox_scale(w, h))
    t_load = time.time()
    train, val_by_source, provenance = [], {}, []
    for d in args.scenes:
        tr, va, st = load_scenes(d, args.val_percent, store_scale)
        train += tr; val_by_source[st['name']] = va; provenance.append(st)
    try:
        repeat = {k: int(v) for k, v in (r.split('=', 1) for r in args.repeat)}
    except ValueError:
        sys.exit(f'--repeat: expected NAME=N, got {args.repeat}')
    unknown = sorted(set(repeat) - {os.path.basename(os.path.abspath(d).rstrip('/')) for d in args.frames})
    if unknown:
        sys.exit(f"--repeat: no --frames folder is named {', '.join(unknown)}")
    for d in args.frames:
        tr, va, st = load_frames(d, args.val_percent, store_scale)
        times = repeat.get(st['name'], args.frames_repeat)
        train += tr * times; val_by_source[st['name']] = va
        st['repeat'] = times; provenance.append(st)
    for st in provenance:
        print(f"data {st['name']} ({st['kind']}): train {st['train']}, val {st['val']}", flush=True)
    print(f'loaded in {time.time() - t_load:.1f} s', flush=True)

    model = Detector()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total = steps_per_epoch * args.epochs
    warmup = min(300, total // 10)
    last = os.path.join(args.work, 'last.pt')
    state = {'epoch': 0, 'history': [], 'train_seconds': 0.0}
    if os.path.exists(last):
        ck = torch.load(last, map_location='cpu')
        model.load_state_dict(ck['model']); opt.load_state_dict(ck['opt']); state = ck['state']
        print(f"resumed from {last} after epoch {state['epoch']}", flush=True)
    model.train()
    for epoch in range(state['epoch'], args.epochs):
        rng = random.Random(args.seed * 100003 + epoch)
        torch.manual_seed(args.seed * 100003 + epoch)
        order = list(range(len(train)))
        rng.shuffle(order)
        t0 = time.time()
        sums = np.zeros(3)
        for b in range(steps_per_epoch):
            for g in opt.param_groups:
                g['lr'] = lr_at(epoch * steps_per_epoch + b, total, args.lr, warmup)
            x, heat, reg, rows, wmask = make_batch([train[i] for i in order[b * args.batch:(b + 1) * args.batch]], rng, True)
            lh, lr_, lrow = losses(model(x), heat, reg, rows, wmask)
            loss = lh + lr_ + 0.5 * lrow
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            sums += [lh.item(), lr_.item(), lrow.item()]
        secs = time.time() - t0
        state['train_seconds'] += secs
        metrics = evaluate(model, val_by_source)
        state['epoch'] = epoch + 1
        entry = {'epoch': epoch + 1, 'loss': [round(v / steps_per_epoch, 4) for v in sums], 'seconds': round(secs, 1),
                 'seconds_per_1000_images': round(secs * 1000 / len(train), 2), 'val': metrics}
        state['history'].append(entry)
        save_atomic({'model': model.state_dict(), 'opt': opt.state_dict(), 'state': state}, last)
        with open(os.path.join(args.work, 'log.jsonl'), 'a', encoding='utf-8') as f:
            f.write(json.dumps(entry) + '\n')
        summary = ' | '.join(f"{k}: R {v['recall']} P {v['precision']} corner {v['corner_error_over_width']} rows {v['two_row_accuracy']}"
                             for k, v in metrics.items())
        print(f"epoch {epoch + 1}/{args.epochs} loss {entry['loss']} {secs:.0f} s | {summary}", flush=True)

    final = evaluate(model, val_by_source)
    print('validation:', json.dumps(final), flush=True)
    if args.export:
        per_1000 = [h['seconds_per_1000_images'] for h in state['history']]
        extra = {
            'created': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
            'architecture': ('depthwise-separable backbone 16-32-48-64-96 to stride 32, top-down path to stride 4, '
                             'CenterNet-style head: centre heatmap, 4 corner offsets, two-row flag'),
            'parameters': sum(p.numel() for p in model.parameters()),
            'training': {
                'script': 'scripts/train/detector.py', 'seed': args.seed, 'epochs': state['epoch'], 'batch': args.batch,
                'lr': args.lr, 'optimiser': 'AdamW, warm-up then cosine',
                'loss': 'focal (CenterNet) on the centre heatmap + smooth L1 on corners + BCE on rows',
                'train_seconds': round(state['train_seconds'], 1),
                'seconds_per_epoch_per_1000_images_median': sorted(per_1000)[len(per_1000) // 2] if per_1000 else None,
                'threads': torch.get_num_threads(), 'torch': torch.__version__, 'python': platform.python_version(),
                'machine': f'{platform.machine()}, {os.cpu_count()} CPUs',
            },
            'data': provenance,
            'validation_split': f'sha1("<folder name>/<image path>") % 100 < {args.val_percent}, per folder',
            'metrics': {'validation': final, 'definitions': 'recall/precision at IoU >= 0.5 of the quads\' bounding '
                                                            'boxes; corner error = mean |corner - truth| / plate width'},
        }
        print('exported', args.export, 'manifest', export(model, args.export, extra), flush=True)


if __name__ == '__main__':
    main()
