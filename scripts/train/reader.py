#!/usr/bin/python3
"""Train the plate reader (one CRNN/CTC model for Vietnamese and Chinese plates, row-aware) and
export it to ONNX with a manifest. docs/training.md has the commands, figures and design notes.

  /usr/bin/python3 scripts/train/reader.py --data ../shared/datasets/cn-ccpd-crops \
      --data ../shared/datasets/vn-greenparking --work /tmp/reader-work --epochs 30 \
      --export models/reader-vncn.onnx

Rerunning the same command resumes from the last checkpoint in --work (one per epoch); a run
whose epochs are all done only evaluates and exports. Seeded: the shuffle and augmentation of
epoch e come from (seed, e), so a resumed run trains exactly like an uninterrupted one.
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

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platedata as pd  # noqa: E402
import onnx_init  # noqa: E402
import province_swap  # noqa: E402
from trainlib import WeightAverage, lr_at, save_atomic, sha256  # noqa: E402


# --- model -----------------------------------------------------------------------------------
def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Reader(nn.Module):
    """Conv blocks take the 64x160 crop down to a 2 x 40 grid of features: the top and bottom
    halves of the plate, each with a learned row embedding. A BiLSTM reads each row of the grid
    as its own 40-step sequence, and the two are laid end to end (top first): 80 steps. Each
    half is a CTC sequence of its own, trained with its own target (`split_rows`): a two-row
    plate's top row in steps 0-39 and its bottom row in 40-79; a one-row plate in 40-79, with
    0-39 blank. Decoding each half on its own gives the rows.

    Why not one CTC sequence over both halves with `|` between the rows: the model then chose
    where to emit, and learnt to emit a Chinese one-row plate's province character in the first
    step of the top half and the rest in the bottom half; from there it emitted the top row of
    every two-row plate in the first few steps, wherever those characters were, carrying them
    through the LSTM's state, and read them badly (GreenParking: 13 % of top rows right against
    94 % of bottom rows after 6 epochs). With a target per half, a top-row character can only be
    read where it is."""

    def __init__(self, n_classes, width=(16, 32, 48, 64, 96), hidden=64, context=0):
        super().__init__()
        self.n_classes, self.width, self.hidden, self.context = n_classes, tuple(width), hidden, context
        c1, c2, c3, c4, c5 = width
        self.features = nn.Sequential(
            conv_bn(1, c1, 2),                         # 32 x 80
            conv_bn(c1, c2, 2),                        # 16 x 40
            conv_bn(c2, c3), nn.MaxPool2d((2, 1)),     # 8 x 40
            conv_bn(c3, c4), nn.MaxPool2d((2, 1)),     # 4 x 40
            conv_bn(c4, c5), nn.MaxPool2d((2, 1)),     # 2 x 40
        )
        self.row_embedding = nn.Parameter(torch.zeros(1, c5, 2, 1))
        self.rnn = nn.LSTM(c5, hidden, batch_first=True, bidirectional=True)
        # Optional: self-attention over all 80 steps, so that each row's steps also see the
        # other row (the plate's layout and series) before the per-step classes.
        if context:
            self.step_embedding = nn.Parameter(torch.zeros(1, 2 * ROW_STEPS, 2 * hidden))
            self.context_blocks = nn.ModuleList(ContextBlock(2 * hidden) for _ in range(context))
        self.classifier = nn.Linear(2 * hidden, n_classes)

    def forward(self, x):  # x [N, 1, 64, 160] -> logits [N, 80, K]
        f = self.features(x) + self.row_embedding            # [N, C, 2, 40]
        n, c, h, w = f.shape
        rows = f.permute(0, 2, 3, 1).reshape(n * h, w, c)    # each grid row its own sequence
        out, _ = self.rnn(rows)
        if self.context:
            out = out.reshape(n, h * w, -1) + self.step_embedding
            for block in self.context_blocks:
                out = block(out)
        return self.classifier(out).reshape(n, h * w, -1)    # top row then bottom row


class ContextBlock(nn.Module):
    """A pre-norm transformer encoder layer written out in plain operations (so that the ONNX
    export holds MatMul/Softmax, not a fused kernel onnxruntime may lack): 4-head self-attention
    and a 2x feed-forward, each added back to its input."""

    HEADS = 4

    def __init__(self, dim, heads=HEADS):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(inplace=True), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(0.1)

    def forward(self, x):  # [N, T, D]
        n, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)
        x = x + self.drop(self.proj((att @ v).transpose(1, 2).reshape(n, t, d)))
        return x + self.drop(self.ff(self.norm2(x)))


class Exported(nn.Module):
    """What goes into the ONNX file: per-step class probabilities (softmax)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        return F.softmax(self.model(image), dim=-1)


ROW_STEPS = 40  # steps per plate row: 0-39 read the top row, 40-79 the bottom (or only) row


def split_rows(label):
    """The per-row CTC targets: a two-row plate's top row is read by the top half's steps and its
    bottom row by the bottom half's; a one-row plate by the bottom half, the top half blank."""
    rows = label.split(pd.ROW_BREAK)
    return (rows[0], rows[1]) if len(rows) == 2 else ('', rows[0])


def greedy_decode(probs):
    """probs [T, K] -> (text, per-character confidence): each row's steps decoded on their own,
    non-empty rows joined by `|`. The `|` is not a character and has no confidence."""
    rows, conf = [], []
    for r in range(0, probs.shape[0], ROW_STEPS):
        text, c = decode_steps(probs[r:r + ROW_STEPS])
        if text:
            rows.append(text)
            conf += c
    return pd.ROW_BREAK.join(rows), conf


def decode_steps(probs):
    """Greedy CTC on one row's steps: repeats collapse, blanks drop; a character's confidence is
    the highest probability over the steps that emitted it."""
    best = probs.argmax(-1).tolist()
    pmax = probs.max(-1).values.tolist()
    text, conf, prev = [], [], 0
    for k, p in zip(best, pmax):
        if k != 0 and k == prev:
            conf[-1] = max(conf[-1], p)
        elif k != 0:
            text.append(pd.CHARSET[k])
            conf.append(p)
        prev = k
    return ''.join(text), conf


# --- training --------------------------------------------------------------------------------
def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def with_swapped_province(s, rng, swap):
    """The sample, or (with its folder's --province-swap share) a copy whose province character
    is another real training crop's: see province_swap.py. `swap` maps a folder to (share, pool)."""
    share, pool = swap.get(s.folder, (0.0, None))
    if not share or rng.random() >= share:
        return s
    return pool.swap(s, rng)


def make_batch(samples, rng, train, swap=None, tilted=0.0, invert=None, cut_in=0.0, wear=0.0):
    if train and swap:
        samples = [with_swapped_province(s, rng, swap) for s in samples]
    invert = invert or {}
    xs = [pd.augment(s, rng, tilted, invert.get(s.folder, 0.0), cut_in, wear) if train else pd.to_input(pd.plain_crop(s))
          for s in samples]
    x = torch.from_numpy(np.stack(xs))
    per_row = []
    for part in (0, 1):  # top-row targets, then bottom-row targets
        targets = [pd.encode(split_rows(s.label)[part]) for s in samples]
        per_row.append((torch.tensor([i for t in targets for i in t], dtype=torch.long),
                        torch.tensor([len(t) for t in targets], dtype=torch.long)))
    return x, per_row




@torch.no_grad()
def evaluate(model, val_by_folder, batch=128):
    model.eval()
    metrics = {}
    for name, samples in val_by_folder.items():
        n = exact = exact_rows = rows_ok = 0
        char_sum = 0.0
        for i in range(0, len(samples), batch):
            chunk = samples[i:i + batch]
            x, _ = make_batch(chunk, None, False)
            probs = F.softmax(model(x), dim=-1)
            for s, p in zip(chunk, probs):
                text, _ = greedy_decode(p)
                plain, label_plain = text.replace(pd.ROW_BREAK, ''), s.label.replace(pd.ROW_BREAK, '')
                n += 1
                exact += plain == label_plain
                exact_rows += text == s.label
                rows_ok += text.count(pd.ROW_BREAK) == s.label.count(pd.ROW_BREAK)
                char_sum += pd.char_accuracy(plain, label_plain)
        metrics[name] = {
            'val_images': n,
            'exact': round(exact / n, 4) if n else None,
            'exact_with_rows': round(exact_rows / n, 4) if n else None,
            'char_accuracy': round(char_sum / n, 4) if n else None,
            'row_count_accuracy': round(rows_ok / n, 4) if n else None,
        }
    model.train()
    return metrics






def averaged(model, average):
    """A copy of `model` holding the average's weights (the trained model is left as it is)."""
    copy = Reader(model.n_classes, model.width, model.hidden, model.context)
    copy.load_state_dict(average.shadow)
    return copy


def export(model, out_path, work, manifest_extra, ref_samples):
    model.eval()
    wrapped = Exported(model).eval()
    dummy = torch.zeros(1, 1, pd.INPUT_H, pd.INPUT_W)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    torch.onnx.export(wrapped, dummy, out_path, opset_version=13, input_names=['image'], output_names=['probs'],
                      dynamic_axes={'image': {0: 'batch'}, 'probs': {0: 'batch'}}, do_constant_folding=True)
    import onnx
    m = onnx.load(out_path)
    onnx.checker.check_model(m)
    with torch.no_grad():
        steps = wrapped(dummy).shape[1]
    manifest = {
        'model': os.path.basename(out_path),
        'sha256': sha256(out_path),
        'bytes': os.path.getsize(out_path),
        'format': {'onnx_opset': 13, 'onnx_ir_version': m.ir_version},
        'input': {
            'name': 'image', 'shape': ['batch', 1, pd.INPUT_H, pd.INPUT_W], 'dtype': 'float32',
            'preprocessing': (f'the plate crop (box as found, no margin) resized to {pd.INPUT_W}x{pd.INPUT_H} '
                              'ignoring aspect ratio (bilinear), luma = 0.299 R + 0.587 G + 0.114 B, '
                              'value = luma / 127.5 - 1 (range [-1, 1])'),
        },
        'output': {
            'name': 'probs', 'shape': ['batch', steps, len(pd.CHARSET)], 'dtype': 'float32',
            'meaning': ('softmax class probabilities per CTC step; steps 0-39 read the top row of a two-row plate, '
                        'steps 40-79 its bottom row or the only row of a one-row plate; decode each half on its own '
                        '(greedy: argmax per step, collapse repeats, drop blanks at index 0); the non-empty halves are '
                        'the rows, top first; per-character confidence = the highest probability of the steps that '
                        'emitted the character; the "|" class is never trained and never emitted'),
        },
        'charset': pd.CHARSET,
        'blank_index': 0,
        'row_break': pd.ROW_BREAK,
        'row_steps': ROW_STEPS,
        **manifest_extra,
    }
    man_path = re.sub(r'\.onnx$', '', out_path) + '.manifest.json'
    with open(man_path, 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write('\n')
    # A reference for check-onnx.mjs --ref: preprocessed inputs and torch's own outputs.
    ref = []
    with torch.no_grad():
        for s in ref_samples:
            x = torch.from_numpy(pd.to_input(pd.plain_crop(s)))[None]
            p = wrapped(x)[0]
            text, conf = greedy_decode(p)
            ref.append({'folder': s.folder, 'image': s.image, 'label': s.label, 'text': text,
                        'confidence': [round(c, 5) for c in conf], 'input': [round(v, 6) for v in x.flatten().tolist()],
                        'probs_sum_abs': float(p.abs().sum()), 'probs_first_steps': p[:3].flatten().tolist()})
    ref_path = os.path.join(work, os.path.basename(re.sub(r'\.onnx$', '', out_path)) + '.ref.json')
    with open(ref_path, 'w', encoding='utf-8') as f:
        json.dump(ref, f, ensure_ascii=False)
    return man_path, ref_path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', action='append', required=True, help='a labels.tsv folder (repeatable)')
    ap.add_argument('--work', required=True, help='checkpoints and logs; rerun to resume')
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--val-percent', type=int, default=20,
                    help='held-out share per folder; 20 = the split `npm run eval` reports as held out')
    ap.add_argument('--val', action='append', default=[], metavar='NAME=P',
                    help='another held-out share for one folder (a big synthetic folder needs fewer)')
    ap.add_argument('--repeat', action='append', default=[], metavar='NAME=N',
                    help='a folder (by name) appears N times per epoch: the few real crops against many synthetic')
    ap.add_argument('--province-swap', action='append', default=[], metavar='NAME=SHARE',
                    help='replace the province character of this share (0-1) of a Chinese folder\'s training crops '
                         'with one cut from another of its training crops (scripts/train/province_swap.py)')
    ap.add_argument('--donor-jitter', action='store_true',
                    help='with --province-swap: move each edge of a pasted province character by up to 8 %% and '
                         'blur a third of them, so a province with one donor is not one image (province_swap.py)')
    ap.add_argument('--invert', action='append', default=[], metavar='NAME=SHARE',
                    help='show this share (0-1) of a folder\'s training crops with their luma inverted: a blue '
                         'plate\'s light-on-dark characters as a yellow plate\'s dark-on-light ones')
    ap.add_argument('--cut-in', type=float, default=0.0, metavar='SHARE',
                    help='in this share of draws cut the box into the plate, up to 8 %% of the width per side and '
                         '14 %% of the height at top and bottom, as a detector quad lying inside the plate does')
    ap.add_argument('--keep-heldout-plates', action='store_true',
                    help='keep training images whose plate text is also a held-out image\'s (by default they are '
                         'dropped: video frames of one plate, or one crop copied into two sets, would leak)')
    ap.add_argument('--local-heldout', action='append', default=[], metavar='NAME',
                    help='this folder\'s held-out plates are dropped from its own training part only, not from other '
                         'folders\' (for a silver-labelled folder whose figure has no bar: vn-crops-silver holds many of '
                         'GreenParking\'s plates, and its held-out crops would otherwise keep their frames out of training)')
    ap.add_argument('--wear', type=float, default=0.0, metavar='SHARE',
                    help='in this share of draws fade a few patches of the crop toward the plate\'s background and in '
                         'half of those draw a short mark in ink (platedata.wear): rubbed-off strokes and scratches')
    ap.add_argument('--tilted', type=float, default=0.0, metavar='SHARE',
                    help='share (0-0.3) of training draws tilted by 6-11 degrees in their upright box '
                         '(platedata.tilted); the rest keep the small rotation')
    ap.add_argument('--confidence-penalty', type=float, default=0.0, metavar='BETA',
                    help='subtract BETA x the mean entropy of the per-step class probabilities from the loss (a '
                         'confidence penalty): a reader less sure of what it has not seen clearly, for the floor to catch')
    ap.add_argument('--penalty-steps', choices=('all', 'characters'), default='characters',
                    help='the steps --confidence-penalty averages over: every step, or only those whose likeliest '
                         'class is a character (the steps a read\'s confidence comes from; blanks are most steps)')
    ap.add_argument('--width', default='16,32,64,96,128', help='channels of the five conv blocks (the shipped reader\'s)')
    ap.add_argument('--hidden', type=int, default=96, help='BiLSTM units per direction (the shipped reader\'s)')
    ap.add_argument('--context', type=int, default=0, metavar='N',
                    help='N self-attention blocks over both rows\' 80 steps after the BiLSTM (0, the shipped reader)')
    ap.add_argument('--threads', type=int, default=2, help='torch threads (2 on the gate-sized machine)')
    ap.add_argument('--ema', type=float, default=0.0, metavar='DECAY',
                    help='also keep an exponential moving average of the weights (e.g. 0.9995, ~2000 steps); '
                         'validated each epoch beside the trained weights (trainlib.WeightAverage)')
    ap.add_argument('--weights', choices=('trained', 'ema'),
                    help='which weights --export writes: the trained ones or their average (default: ema with --ema)')
    ap.add_argument('--init', metavar='FILE.onnx',
                    help='start from an exported reader\'s weights (fine-tune, e.g. models/plate-reader.onnx) instead '
                         'of random ones; its batch norms stay frozen (scripts/train/onnx_init.py)')
    ap.add_argument('--export', help='write the ONNX model here (+ .manifest.json beside it)')
    args = ap.parse_args()
    if not 0 <= args.confidence_penalty <= 1:
        sys.exit(f'--confidence-penalty {args.confidence_penalty}: give a weight between 0 and 1 (e.g. 0.1)')
    if args.context < 0:
        sys.exit(f'--context {args.context}: give 0 or more self-attention blocks')
    if args.init and args.context:
        sys.exit('--init loads a reader without context blocks: --context needs a run from scratch')
    if args.context and (2 * args.hidden) % ContextBlock.HEADS:
        sys.exit(f'--context splits the BiLSTM\'s 2 x {args.hidden} outputs into {ContextBlock.HEADS} heads: '
                 f'give an even --hidden')
    try:
        width = tuple(int(v) for v in args.width.split(','))
    except ValueError:
        width = ()
    if len(width) != 5 or min(width) < 1:
        sys.exit(f'--width: expected five positive channel counts separated by commas, got {args.width!r}')
    torch.set_num_threads(args.threads)
    repeat = {k: int(v) for k, v in (r.split('=', 1) for r in args.repeat)}
    val_share = {k: int(v) for k, v in (r.split('=', 1) for r in args.val)}
    def shares(flag, values):
        out = {}
        for r in values:
            name, _, v = r.partition('=')
            try:
                out[name] = float(v)
            except ValueError:
                out[name] = -1.0
            if not 0.0 <= out[name] <= 1.0:
                sys.exit(f'{flag} {r}: expected NAME=SHARE with SHARE between 0 and 1')
        return out

    invert_share = shares('--invert', args.invert)
    if not 0.0 <= args.cut_in <= 0.5:
        sys.exit(f'--cut-in {args.cut_in}: expected a share between 0 and 0.5')
    if not 0.0 <= args.wear <= 0.5:
        sys.exit(f'--wear {args.wear}: expected a share between 0 and 0.5')
    swap_share = shares('--province-swap', args.province_swap)
    if not 0.0 <= args.tilted <= 0.3:
        sys.exit(f'--tilted {args.tilted}: expected a share between 0 and 0.3')
    if not (args.ema == 0.0 or 0.9 <= args.ema < 1.0):
        sys.exit(f'--ema {args.ema}: expected a decay between 0.9 and 1 (e.g. 0.9995), or 0 for none')
    weights = args.weights or ('ema' if args.ema else 'trained')
    if weights == 'ema' and not args.ema:
        sys.exit('--weights ema: the run keeps no average; pass --ema DECAY (the one it was trained with)')
    if args.donor_jitter and not swap_share:
        sys.exit('--donor-jitter: jitters the province swap\'s donors; pass --province-swap NAME=SHARE too')
    init = None
    if args.init:
        if not os.path.isfile(args.init):
            sys.exit(f'--init {args.init}: no such file')
        try:
            init_width, init_hidden = onnx_init.shape_of(args.init)
        except Exception as e:  # not an ONNX file, or not a reader
            sys.exit(f'--init {args.init}: not an exported reader ({e})')
        if init_width != width or init_hidden != args.hidden:
            sys.exit(f"--init {args.init}: a reader made with --width {','.join(map(str, init_width))} "
                     f'--hidden {init_hidden}: pass those')
        init = {'model': os.path.basename(args.init), 'sha256': sha256(args.init)}
    folders = [os.path.basename(os.path.abspath(d).rstrip('/')) for d in args.data]
    for flag, names in (('--repeat', repeat), ('--val', val_share), ('--province-swap', swap_share),
                        ('--invert', invert_share), ('--local-heldout', args.local_heldout)):
        unknown = sorted(set(names) - set(folders))
        if unknown:
            sys.exit(f"{flag}: no --data folder is named {', '.join(unknown)} (folders: {', '.join(folders)})")

    os.makedirs(args.work, exist_ok=True)
    set_seed(args.seed)
    t_load = time.time()
    train, val_by_folder, provenance, swap = [], {}, [], {}
    loaded = []
    for d in args.data:
        name = os.path.basename(os.path.abspath(d).rstrip('/'))
        tr, va, st = pd.load_folder(d, val_share.get(name, args.val_percent))
        loaded.append((d, name, tr, va, st))
    # A plate held out anywhere is not trained on anywhere: pbl4's car plates come as several video
    # frames each, and some vn-car-plates crops are byte copies of vn-crops-silver's.
    def plates_held(folders):
        return {s.label.replace(pd.ROW_BREAK, '') for _, name, _, va, _ in loaded if name in folders for s in va}
    everywhere = set() if args.keep_heldout_plates else plates_held(set(folders) - set(args.local_heldout))
    for i, (d, name, tr, va, st) in enumerate(loaded):
        held_plates = everywhere | (plates_held({name}) if name in args.local_heldout and not args.keep_heldout_plates else set())
        kept = [s for s in tr if s.label.replace(pd.ROW_BREAK, '') not in held_plates]
        if len(kept) < len(tr):
            st['skipped']['plate held out'] = len(tr) - len(kept)
            st['train'] = len(kept)
        loaded[i] = (d, name, kept, va, st)
    # One donor pool over every swapped folder: EasyPR's provinces serve CCPD's crops and back.
    donor_samples = [s for _, name, tr, _, _ in loaded if name in swap_share for s in tr]
    pool = province_swap.DonorPool(donor_samples, jitter=args.donor_jitter) if swap_share else None
    for d, name, tr, va, st in loaded:
        st['val_percent'] = val_share.get(name, args.val_percent)
        st['licence'] = pd.licence_note(d)
        st['synthetic'] = pd.generator_note(d)
        st['repeat'] = repeat.get(st['name'], 1)
        if name in invert_share:
            st['invert'] = invert_share[name]
        train += tr * st['repeat']
        if name in swap_share:
            swap[name] = (swap_share[name], pool)
            donors = {p: len(v) for p, v in pool.by_province.items()}
            st['province_swap'] = {'share': swap_share[name], 'donors': donors, 'donor_jitter': args.donor_jitter,
                                   'pool': sorted(swap_share)}
            print(f"province swap {name}: donors " + ' '.join(f'{p}{n}' for p, n in donors.items()), flush=True)
        val_by_folder[st['name']] = va
        provenance.append(st)
        print(f"data {st['name']}: {st['rows']} rows, train {st['train']}, val {st['val']}, "
              f"two-row {st['two_row']}, skipped {st['skipped']}", flush=True)
    print(f'loaded in {time.time() - t_load:.1f} s', flush=True)
    if not train:
        sys.exit('no training images')

    model = Reader(len(pd.CHARSET), width, args.hidden, args.context)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total_steps = steps_per_epoch * args.epochs
    warmup = min(300, total_steps // 10)

    last = os.path.join(args.work, 'last.pt')
    state = {'epoch': 0, 'history': [], 'train_seconds': 0.0}
    average = WeightAverage(model, args.ema) if args.ema else None
    if os.path.exists(last):
        ck = torch.load(last, map_location='cpu')
        made = ck.get('config', {})
        # Checkpoints from before --width/--hidden are of the first reader's shape.
        made_width, made_hidden = tuple(made.get('width', (16, 32, 48, 64, 96))), made.get('hidden', 64)
        made_context = made.get('context', 0)
        if made_width != width or made_hidden != args.hidden or made_context != args.context:
            sys.exit(f"{last} holds a reader made with --width {','.join(map(str, made_width))} --hidden {made_hidden} "
                     f'--context {made_context}: pass those, or another --work to start afresh')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        state = ck['state']
        if average is None and ck.get('ema') is not None:
            sys.exit(f"{last} keeps an average of the weights: pass --ema {ck['ema']['decay']} (and --weights trained "
                     'to export the trained weights)')
        if average is not None:
            if ck.get('ema') is None:
                sys.exit(f'{last} was trained without --ema: rerun without it, or another --work to start afresh')
            if ck['ema']['decay'] != args.ema:
                sys.exit(f"{last} keeps an average with --ema {ck['ema']['decay']}: pass that")
            average.load_state_dict(ck['ema'])
        if (made.get('init') or {}).get('sha256') != (init or {}).get('sha256'):
            sys.exit(f"{last} was started from {(made.get('init') or {}).get('model') or 'random weights'}, "
                     f"not {args.init or 'random weights'}: pass the same --init, or another --work to start afresh")
        if ck.get('config', {}).get('seed') != args.seed or ck.get('config', {}).get('train_images') != len(train):
            print('warning: the checkpoint was made with another seed or training set', flush=True)
        print(f"resumed from {last} after epoch {state['epoch']}", flush=True)
    elif init:
        onnx_init.load(model, args.init)
        worst = onnx_init.verify(model, args.init, Exported, (1, 1, pd.INPUT_H, pd.INPUT_W))
        if average is not None:
            average = WeightAverage(model, args.ema)
        print(f'started from {args.init} (re-exported weights within {worst:.1e} of the file)', flush=True)
        start = evaluate(model, val_by_folder)
        print('before training: ' + ' '.join(f"{k}: exact {v['exact']}" for k, v in start.items()), flush=True)
    config = {'seed': args.seed, 'width': width, 'hidden': args.hidden, 'context': args.context, 'batch': args.batch, 'lr': args.lr, 'epochs': args.epochs, 'train_images': len(train),
              'repeat': repeat, 'val': val_share, 'province_swap': swap_share, 'donor_jitter': args.donor_jitter, 'tilted': args.tilted,
              'invert': invert_share, 'cut_in': args.cut_in, 'wear': args.wear, 'confidence_penalty': args.confidence_penalty,
              'penalty_steps': args.penalty_steps if args.confidence_penalty else None, 'keep_heldout_plates': args.keep_heldout_plates,
              'local_heldout': args.local_heldout,
              'ema': args.ema, 'init': init, 'val_percent': args.val_percent, 'data': [os.path.abspath(d) for d in args.data]}

    for epoch in range(state['epoch'], args.epochs):
        model.train()
        if init:
            onnx_init.freeze_batch_norms(model)
        rng = random.Random(args.seed * 100003 + epoch)
        torch.manual_seed(args.seed * 100003 + epoch)
        order = list(range(len(train)))
        rng.shuffle(order)
        t0 = time.time()
        loss_sum = 0.0
        for b in range(steps_per_epoch):
            step = epoch * steps_per_epoch + b
            for g in opt.param_groups:
                g['lr'] = lr_at(step, total_steps, args.lr, warmup)
            x, per_row = make_batch([train[i] for i in order[b * args.batch:(b + 1) * args.batch]], rng, True,
                                    swap, args.tilted, invert_share, args.cut_in, args.wear)
            logp = F.log_softmax(model(x), dim=-1).permute(1, 0, 2)  # [T, N, K]
            in_lens = torch.full((x.shape[0],), ROW_STEPS, dtype=torch.long)
            # One CTC loss per row: the top row can only be read by the top half's steps.
            loss = sum(ctc(logp[r * ROW_STEPS:(r + 1) * ROW_STEPS], y, in_lens, lens) for r, (y, lens) in enumerate(per_row))
            if args.confidence_penalty:
                # Penalising peaked steps keeps a doubtful character's probability nearer its runners-up.
                entropy = -(logp.exp() * logp).sum(-1)  # [T, N]
                if args.penalty_steps == 'characters':
                    emits = (logp.argmax(-1) != 0).float()
                    entropy = (entropy * emits).sum() / emits.sum().clamp(min=1.0)
                else:
                    entropy = entropy.mean()
                loss = loss - args.confidence_penalty * entropy
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            if average is not None:
                average.update(model)
            loss_sum += loss.item()
        secs = time.time() - t0
        state['train_seconds'] += secs
        metrics = evaluate(model, val_by_folder)
        state['epoch'] = epoch + 1
        entry = {'epoch': epoch + 1, 'loss': round(loss_sum / steps_per_epoch, 4), 'seconds': round(secs, 1),
                 'seconds_per_1000_images': round(secs * 1000 / len(train), 2), 'val': metrics}
        if average is not None:
            entry['val_ema'] = evaluate(averaged(model, average), val_by_folder)
        state['history'].append(entry)
        save_atomic({'model': model.state_dict(), 'opt': opt.state_dict(), 'state': state, 'config': config,
                     'ema': average.state_dict() if average is not None else None}, last)
        with open(os.path.join(args.work, 'log.jsonl'), 'a', encoding='utf-8') as f:
            f.write(json.dumps(entry, ensure_ascii=False) + '\n')
        summary = ' '.join(f"{k}: exact {v['exact']} char {v['char_accuracy']}" for k, v in metrics.items())
        if average is not None:
            summary += ' | ema ' + ' '.join(f"{k}: {v['exact']}" for k, v in entry['val_ema'].items())
        print(f"epoch {epoch + 1}/{args.epochs} loss {entry['loss']} {secs:.1f} s "
              f"({entry['seconds_per_1000_images']} s/1000 img) | {summary}", flush=True)

    if weights == 'ema':
        model = averaged(model, average)
    print(f'weights: {weights}', flush=True)
    final = evaluate(model, val_by_folder)
    print('validation:', json.dumps(final, ensure_ascii=False), flush=True)
    if args.export:
        per_1000 = [h['seconds_per_1000_images'] for h in state['history']]
        extra = {
            'created': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
            'architecture': f'CRNN: 5 conv-BN-ReLU blocks ({"-".join(map(str, width))}, the first two stride 2) to a '
                            f'2x40 grid with a row embedding, a BiLSTM 2x{args.hidden} over each grid row (40 steps '
                            'each), rows laid end to end (80 steps)'
                            + (f', {args.context} self-attention block(s) over all 80 steps' if args.context else '')
                            + ', linear; CTC',
            'parameters': sum(p.numel() for p in model.parameters()),
            'training': {
                'script': 'scripts/train/reader.py', 'seed': args.seed, 'epochs': state['epoch'], 'batch': args.batch,
                'lr': args.lr, 'optimiser': 'AdamW, warm-up then cosine',
                'loss': 'CTC' + (f' - {args.confidence_penalty:g} x mean entropy over '
                                 + ('every step' if args.penalty_steps == 'all' else 'the steps that emit a character')
                                 if args.confidence_penalty else ''),
                'province_swap': swap_share or None, 'donor_jitter': args.donor_jitter if swap_share else None,
                'tilted_share': args.tilted, 'invert': invert_share or None, 'cut_in_share': args.cut_in,
                'wear_share': args.wear,
                'heldout_plates': 'kept in training' if args.keep_heldout_plates else 'dropped from training',
                'local_heldout': args.local_heldout or None,
                'started_from': init and {**init, 'batch_norms': 'folded into the convolutions, frozen'},
                'weights': 'exponential moving average, decay %g per step' % args.ema if weights == 'ema' else 'trained',
                'train_seconds': round(state['train_seconds'], 1),
                'seconds_per_epoch_per_1000_images_median': sorted(per_1000)[len(per_1000) // 2] if per_1000 else None,
                'threads': torch.get_num_threads(), 'torch': torch.__version__, 'python': platform.python_version(),
                'machine': f'{platform.machine()}, {os.cpu_count()} CPUs',
            },
            'data': [{k: v for k, v in st.items()} for st in provenance],
            'validation_split': (f'sha1("<folder name>/<image path>") % 100 < {args.val_percent}, per folder'
                                 + ''.join(f'; {k}: < {v}' for k, v in val_share.items())),
            'metrics': {'validation': final,
                        'definitions': 'exact: plate text (rows joined) equals the label; exact_with_rows: also the '
                                       'row break; char_accuracy: 1 - levenshtein / max(length), as '
                                       '../shared/tools/score-plates.mjs; greedy CTC decoding'},
        }
        refs = [s for v in val_by_folder.values() for s in v[:2]]
        man, ref = export(model, args.export, args.work, extra, refs)
        print(f'exported {args.export}\nmanifest {man}\nreference for check-onnx.mjs --ref: {ref}', flush=True)


if __name__ == '__main__':
    main()
