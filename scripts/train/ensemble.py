#!/usr/bin/python3
"""Merge several plate-reader exports into one ONNX model that averages their per-step class
probabilities, with a manifest that names its members. The engine loads it like any reader:
same input, same output, same charset.

  /usr/bin/python3 scripts/train/ensemble.py models/plate-reader.onnx \
      /work/data/reader-ema/plate-reader.onnx --out /work/data/reader-pair/plate-reader.onnx

Why: two readers trained alike but from different seeds miss different crops (about three of
CCPD's 153 held-out crops change between runs, docs/training.md); where one is unsure and the
other is right, the mean of their probabilities usually follows the sure one. Each member costs
its own time per plate (the reader's budget is 2 ms). Members must read the same input size and
charset and share the row layout; each must match its manifest's hash.
"""
import argparse
import datetime
import json
import os
import re
import sys

import onnx
from onnx import TensorProto, helper

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trainlib import sha256  # noqa: E402

# What every member must share for the mean of their outputs to mean anything.
SHARED_KEYS = ('input', 'output', 'charset', 'blank_index', 'row_break', 'row_steps')


def manifest_path(model_path):
    return re.sub(r'\.onnx$', '', model_path) + '.manifest.json'


def load_member(path):
    man_path = manifest_path(path)
    if not os.path.exists(path):
        sys.exit(f'{path}: no such file')
    if not os.path.exists(man_path):
        sys.exit(f'{path}: no manifest beside it ({man_path})')
    with open(man_path, encoding='utf-8') as f:
        manifest = json.load(f)
    digest = sha256(path)
    if manifest.get('sha256') != digest:
        sys.exit(f"{path}: sha256 {digest[:12]} does not match its manifest's {str(manifest.get('sha256'))[:12]}")
    return onnx.load(path), manifest


def check_alike(members, paths):
    first = members[0][1]
    for (_, m), path in zip(members[1:], paths[1:]):
        for key in SHARED_KEYS:
            if m.get(key) != first.get(key):
                sys.exit(f"{path}: its manifest's {key} differs from {paths[0]}'s; only readers of one layout can be averaged")


def prefixed_graph(model, prefix, input_name):
    """The member's nodes and weights with every name prefixed, except the shared input."""
    g = model.graph

    def rename(name):
        return name if name in ('', input_name) else prefix + name

    nodes = []
    for n in g.node:
        c = onnx.NodeProto()
        c.CopyFrom(n)
        c.name = prefix + n.name if n.name else ''
        c.input[:] = [rename(x) for x in n.input]
        c.output[:] = [rename(x) for x in n.output]
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute):
            sys.exit(f'{prefix}: node {n.name} holds a subgraph; the merge does not rename inside subgraphs')
        nodes.append(c)
    inits = []
    for t in g.initializer:
        c = onnx.TensorProto()
        c.CopyFrom(t)
        c.name = rename(t.name)
        inits.append(c)
    return nodes, inits, rename(g.output[0].name)


def merge(members):
    first = members[0][0]
    input_name = first.graph.input[0].name
    opset = max(o.version for m, _ in members for o in m.opset_import if o.domain in ('', 'ai.onnx'))
    nodes, inits, outs = [], [], []
    for i, (model, _) in enumerate(members):
        if model.graph.input[0].name != input_name or len(model.graph.output) != 1:
            sys.exit(f'member {i + 1}: expected one input named {input_name!r} and one output')
        n, t, out = prefixed_graph(model, f'm{i + 1}/', input_name)
        nodes += n
        inits += t
        outs.append(out)
    output_name = first.graph.output[0].name
    inits.append(helper.make_tensor('ensemble/scale', TensorProto.FLOAT, [], [1.0 / len(members)]))
    nodes.append(helper.make_node('Sum', outs, ['ensemble/sum'], name='ensemble/Sum'))
    nodes.append(helper.make_node('Mul', ['ensemble/sum', 'ensemble/scale'], [output_name], name='ensemble/Mean'))
    graph = helper.make_graph(nodes, 'plate-reader-ensemble', [first.graph.input[0]], [first.graph.output[0]], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], producer_name='smartgate ensemble.py')
    model.ir_version = first.ir_version
    onnx.checker.check_model(model)
    return model, opset


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('members', nargs='+', help='reader exports (.onnx with .manifest.json beside each)')
    ap.add_argument('--out', required=True, help='write the averaged model here (+ .manifest.json beside it)')
    args = ap.parse_args()
    if len(args.members) < 2:
        sys.exit('give at least two reader exports to average')
    out = os.path.abspath(args.out)
    if out in (os.path.abspath(p) for p in args.members):
        sys.exit(f'--out {args.out}: is one of the members; write the ensemble elsewhere and copy it in')
    members = [load_member(p) for p in args.members]
    check_alike(members, args.members)
    model, opset = merge(members)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    onnx.save(model, out)

    first = members[0][1]
    manifest = {
        'model': os.path.basename(out),
        'sha256': sha256(out),
        'bytes': os.path.getsize(out),
        'format': {'onnx_opset': opset, 'onnx_ir_version': model.ir_version},
        **{k: first[k] for k in SHARED_KEYS if k in first},
        'created': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'architecture': (f'the mean of {len(members)} readers\' per-step probabilities (one graph, each member '
                         f'run on the same input); each member: {first.get("architecture", "see members")}'),
        'parameters': sum(m.get('parameters', 0) for _, m in members),
        'ensemble': {
            'script': 'scripts/train/ensemble.py', 'combination': 'arithmetic mean of the softmax outputs',
            'members': [{'model': os.path.basename(p), 'sha256': m['sha256'], 'created': m.get('created'),
                         'training': m.get('training'), 'validation_split': m.get('validation_split'),
                         'metrics': m.get('metrics')} for p, (_, m) in zip(args.members, members)],
        },
        # Every member's data, once: the provenance of what the ensemble learnt from.
        'data': list({d.get('name', d.get('folder')): d for _, m in members for d in m.get('data', [])}.values()),
        'validation_split': first.get('validation_split'),
    }
    with open(manifest_path(out), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write('\n')
    print(f'wrote {out} ({manifest["bytes"]} bytes, sha256 {manifest["sha256"][:12]}) from {len(members)} readers\n'
          f'manifest {manifest_path(out)}', flush=True)


if __name__ == '__main__':
    main()
