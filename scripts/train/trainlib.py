"""What both training scripts (detector.py, reader.py) need besides their model and data: the
learning-rate schedule, atomic checkpoints and the file hash their manifests carry."""
import hashlib
import math
import os

import torch


def lr_at(step, total, base, warmup):
    """Linear warm-up over `warmup` steps, then cosine down to 2 % of `base` at `total`: a
    function of the step alone, so a resumed run follows the same schedule."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def save_atomic(obj, path):
    """torch.save to a temporary file, then rename: a run killed mid-write keeps the last checkpoint."""
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()
