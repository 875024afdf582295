"""Start a reader from an exported one (`reader.py --init models/plate-reader.onnx`): fine-tune the
shipped weights on new crops (a gate's own footage, another augmentation) instead of training
from scratch, whose run-to-run spread is larger than most gains (docs/training.md).

The ONNX file is what `reader.export` wrote: torch folded each batch norm into its convolution,
and the LSTM's weights are in ONNX's gate order. This module reverses both:
- each convolution gets the folded weight, and its batch norm becomes the identity plus the folded
  bias (mean 0, variance 1 - eps, scale 1). Its running statistics are meaningless from here, so
  a fine-tune keeps the batch norms in eval mode (`freeze_batch_norms`): the scale and shift
  still learn, the statistics do not move;
- ONNX orders an LSTM's gates i, o, f, c; torch i, f, c (g), o.
`verify` exports the loaded model again and compares every weight with the file's, so a model of
another shape, or a change in how torch exports, fails loudly instead of fine-tuning noise.
"""
import io

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

ONNX_TO_TORCH_GATES = (0, 2, 3, 1)  # torch's i, f, g, o are ONNX's blocks 0, 2, 3, 1 (i, o, f, c)


def _weights(model_proto):
    init = {i.name: numpy_helper.to_array(i) for i in model_proto.graph.initializer}
    convs = [(init[n.input[1]], init[n.input[2]]) for n in model_proto.graph.node if n.op_type == 'Conv']
    lstms = [n for n in model_proto.graph.node if n.op_type == 'LSTM']
    matmuls = [n for n in model_proto.graph.node if n.op_type == 'MatMul' and n.input[1] in init]
    if len(lstms) != 1 or len(matmuls) != 1:
        raise ValueError(f'expected one LSTM and one MatMul with weights, found {len(lstms)} and {len(matmuls)}')
    w, r, b = (init[name] for name in lstms[0].input[1:4])
    return {'convs': convs, 'lstm': (w, r, b), 'classifier_w': init[matmuls[0].input[1]],
            'classifier_b': init.get('model.classifier.bias'), 'row_embedding': init.get('model.row_embedding')}


def shape_of(path):
    """(width, hidden) of the reader in an ONNX file: the five conv blocks' channels and the LSTM's
    units per direction, to build the torch model it is loaded into."""
    w = _weights(onnx.load(path))
    return tuple(int(c[0].shape[0]) for c in w['convs']), int(w['lstm'][1].shape[2])


def _gates(a, hidden):
    blocks = [a[k * hidden:(k + 1) * hidden] for k in range(4)]
    return np.concatenate([blocks[k] for k in ONNX_TO_TORCH_GATES])


@torch.no_grad()
def load(model, path):
    """Copy the exported reader at `path` into `model` (a reader.Reader of the same shape)."""
    w = _weights(onnx.load(path))
    convs = [m for m in model.features.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features.modules() if isinstance(m, nn.BatchNorm2d)]
    if len(convs) != len(w['convs']):
        raise ValueError(f'{path}: {len(w["convs"])} convolutions, the model has {len(convs)}')
    for conv, bn, (cw, cb) in zip(convs, norms, w['convs']):
        if tuple(conv.weight.shape) != cw.shape:
            raise ValueError(f'{path}: a convolution of shape {cw.shape}, the model has {tuple(conv.weight.shape)}')
        conv.weight.copy_(torch.tensor(cw))
        bn.weight.fill_(1.0)
        bn.bias.copy_(torch.tensor(cb))
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)  # 1 / sqrt(var + eps) = 1: the identity
    lw, lr, lb = w['lstm']
    h = model.hidden
    if lr.shape != (2, 4 * h, h):
        raise ValueError(f'{path}: an LSTM of {lr.shape[2]} units per direction, the model has {h}')
    for d, suffix in ((0, ''), (1, '_reverse')):
        getattr(model.rnn, 'weight_ih_l0' + suffix).copy_(torch.tensor(_gates(lw[d], h)))
        getattr(model.rnn, 'weight_hh_l0' + suffix).copy_(torch.tensor(_gates(lr[d], h)))
        getattr(model.rnn, 'bias_ih_l0' + suffix).copy_(torch.tensor(_gates(lb[d][:4 * h], h)))
        getattr(model.rnn, 'bias_hh_l0' + suffix).copy_(torch.tensor(_gates(lb[d][4 * h:], h)))
    model.classifier.weight.copy_(torch.tensor(w['classifier_w'].T.copy()))
    model.classifier.bias.copy_(torch.tensor(w['classifier_b']))
    model.row_embedding.copy_(torch.tensor(w['row_embedding']))


def verify(model, path, export_module, input_shape):
    """Export `model` (wrapped by `export_module`) as reader.export does and compare every weight
    with the file at `path`, in graph order. Returns the largest difference; raises if any weight
    differs by more than 1e-5 or the graphs hold different weights."""
    was_training = model.training
    model.eval()
    buf = io.BytesIO()
    torch.onnx.export(export_module(model).eval(), torch.zeros(*input_shape), buf, opset_version=13,
                      input_names=['image'], output_names=['probs'], do_constant_folding=True)
    model.train(was_training)
    mine, theirs = _weights(onnx.load_from_string(buf.getvalue())), _weights(onnx.load(path))
    pairs = [(a, b) for (ca, cb) in zip(mine['convs'], theirs['convs']) for a, b in zip(ca, cb)]
    pairs += list(zip(mine['lstm'], theirs['lstm']))
    pairs += [(mine[k], theirs[k]) for k in ('classifier_w', 'classifier_b', 'row_embedding')]
    worst = 0.0
    for a, b in pairs:
        if a is None or b is None or a.shape != b.shape:
            raise ValueError(f'{path}: the loaded model does not export to the same weights (one is missing or of another shape)')
        worst = max(worst, float(np.abs(a - b).max()))
    if worst > 1e-5:
        raise ValueError(f'{path}: the loaded model exports weights up to {worst:g} away from the file')
    return worst


def freeze_batch_norms(model):
    """Batch norms in eval mode (call after model.train()): a fine-tune from an ONNX file has no
    running statistics to update, only the folded scale and shift."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
