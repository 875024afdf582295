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


class WeightAverage:
    """An exponential moving average of a model's weights and batch-norm statistics (Polyak
    averaging): a shadow copy that follows the trained weights with `decay` per step, so the
    exported model is an average over the last ~1/(1-decay) steps instead of wherever the last
    batch left the weights. The shadow never feeds back into training, so the trained weights
    follow the same path with or without it. Early steps use a smaller decay, (1+n)/(10+n), so
    the shadow does not remember the random initial weights."""

    def __init__(self, model, decay):
        self.decay = decay
        self.steps = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model):
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)
            else:  # BatchNorm's num_batches_tracked
                self.shadow[k].copy_(v)

    def state_dict(self):
        return {'decay': self.decay, 'steps': self.steps, 'shadow': self.shadow}

    def load_state_dict(self, state):
        self.decay, self.steps, self.shadow = state['decay'], state['steps'], state['shadow']
