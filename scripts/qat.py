#!/usr/bin/python3
"""Quantization-aware fine-tuning of any float ONNX of the supported ops, with MSQ in the loop.

Run (Debian: `apt-get install -y python3-torch python3-onnx dataset-fashion-mnist`; the system python):

    npx tsx scripts/export-mnist.ts      # .cache/mnist/train-*.bin (only for --data mnist)
    /usr/bin/python3 scripts/qat.py model.onnx --data mnist|fashion-mnist -o model-qat.onnx [--board xc7z020]
        [--epochs 6] [--train-n 8000] [--val-n 800] [--lr 2e-4] [--fixed-clips] [--shift 2] [--threads 1]
    npx accelforge quantize model-qat.onnx --board xc7z020 --calib none -o model.q.json   # keeps the trained codes

The ONNX graph (Conv, BatchNormalization, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape,
Gemm, MatMul, Add, Identity, Dropout) is rebuilt in torch with each BatchNormalization folded into the Conv / Gemm
before it (as the importer does), then fine-tuned with the quantizer's conventions in the loop — the same ones as
scripts/train-mnist.py's QAT stage (its quant_weight / quant_act / variance_split are used, docs/msq-numerics.md):
  * weights per filter, alpha = max|w|: the first and last weighted layers 8-bit fixed; the others 4-bit, each
    filter fixed or SP2 by the paper's variance rule at the board's SP2-per-fixed ratio (fixed at the start);
  * activations 4-bit: unsigned [0, c] after every ReLU, signed [-c, c] on a tensor that is not rectified (a conv
    before a residual add) and on an average pool's output (which the quantizer requantizes); the clip c per tensor
    starts at the 99.9th percentile of the folded float network on 2,000 training images and is then trained
    (PACT-style gradient; --fixed-clips keeps it); straight-through estimators for weights and activations.
Schedule: Adam, cosine-decayed from --lr (clips at 10x), random shifts of up to 2 pixels, --epochs passes; the last
--val-n training images are held out and the epoch with the best quantized accuracy on them is kept.
The QAT ONNX has no BatchNormalization; its weights are exactly alpha * level (the importer recovers the codes) and
each activation clip is a Clip(lo, hi) after the tensor (the importer's range hint). Training data only: the
evaluation sets of `accelforge accuracy` are never read.
"""
import argparse
import importlib.util
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name):
    spec = importlib.util.spec_from_file_location(name.replace('-', '_'), os.path.join(ROOT, 'scripts', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MNIST = _load('train-mnist')   # quant_weight, quant_act, variance_split (the project's QAT conventions)
ZOO = _load('train-zoo')       # load_mnist, load_fashion (training data)
WEIGHTED = ('conv', 'gemm')


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def parse(path):
    """ONNX → list of ops (dicts) with BN folded into the conv / gemm before it."""
    m = onnx.load(path)
    g = m.graph
    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    ops, prod, alias = [], {}, {}
    name = lambda t: alias.get(t, t)

    def fail(n, why):
        sys.exit(f"{path}: node '{n.name}' ({n.op_type}): {why}")

    for n in g.node:
        a, ins = attrs(n), [name(i) for i in n.input]
        out = n.output[0]
        t = n.op_type
        if t == 'Constant':
            consts[out] = numpy_helper.to_array(a['value']).astype(np.float64)
        elif t in ('Identity', 'Dropout'):
            alias[out] = ins[0]
        elif t == 'Conv':
            w = consts[ins[1]]
            b = consts[ins[2]] if len(ins) > 2 and ins[2] else np.zeros(w.shape[0])
            p = list(a.get('pads', [0, 0, 0, 0]))
            if p[0] != p[2] or p[1] != p[3]:
                fail(n, 'asymmetric padding is not supported')
            op = dict(op='conv', out=out, x=ins[0], w=w, b=b, stride=list(a.get('strides', [1, 1])), pad=p[:2], groups=a.get('group', 1))
            ops.append(op)
            prod[out] = op
        elif t in ('Gemm', 'MatMul'):
            w = consts[ins[1]]
            if t == 'MatMul' or not a.get('transB', 0):
                w = w.T
            b = consts[ins[2]] if t == 'Gemm' and len(ins) > 2 and ins[2] else np.zeros(w.shape[0])
            op = dict(op='gemm', out=out, x=ins[0], w=w, b=b)
            ops.append(op)
            prod[out] = op
        elif t == 'BatchNormalization':
            tgt = prod.get(ins[0])
            if not tgt:
                fail(n, 'must directly follow a Conv/Gemm (it is folded into it)')
            sc, be, mu, var = (consts[i] for i in ins[1:5])
            k = sc / np.sqrt(var + a.get('epsilon', 1e-5))
            tgt['w'] = tgt['w'] * k.reshape([-1] + [1] * (tgt['w'].ndim - 1))
            tgt['b'] = (tgt['b'] - mu) * k + be
            alias[out] = ins[0]
        elif t == 'Add' and (ins[1] in consts or ins[0] in consts):
            c, x = (ins[1], ins[0]) if ins[1] in consts else (ins[0], ins[1])
            if x not in prod:
                fail(n, 'a constant add must be the bias of the Conv/Gemm before it')
            prod[x]['b'] = prod[x]['b'] + consts[c].reshape(-1)
            alias[out] = x
        elif t == 'Add':
            ops.append(dict(op='add', out=out, a=ins[0], b=ins[1]))
        elif t == 'Relu':
            ops.append(dict(op='relu', out=out, x=ins[0]))
        elif t == 'Clip':
            lo = float(consts[ins[1]]) if len(ins) > 1 and ins[1] else a.get('min', -np.inf)
            if lo != 0:
                fail(n, 'only Clip(0, hi) (a ReLU) is supported in a float model')
            ops.append(dict(op='relu', out=out, x=ins[0]))
        elif t in ('MaxPool', 'AveragePool'):
            p = list(a.get('pads', [0, 0, 0, 0]))
            ops.append(dict(op=t, out=out, x=ins[0], k=list(a['kernel_shape']), stride=list(a.get('strides', a['kernel_shape'])), pad=p[:2],
                            ceil=bool(a.get('ceil_mode', 0)), include=bool(a.get('count_include_pad', 0))))
        elif t == 'GlobalAveragePool':
            ops.append(dict(op='gap', out=out, x=ins[0]))
        elif t in ('Flatten', 'Reshape'):
            ops.append(dict(op='flatten', out=out, x=ins[0]))
        else:
            fail(n, 'unsupported op (supported: Conv, BatchNormalization, Relu, Clip, pools, Flatten, Reshape, Gemm, MatMul, Add)')
    inputs = [i.name for i in g.input if i.name not in consts]
    return ops, inputs[0], name(g.output[0].name)


class QatGraph(nn.Module):
    """The folded graph with MSQ weights and 4-bit activations in the loop (export_mode: plain clamps)."""

    def __init__(self, ops, input_name, output, ratio):
        super().__init__()
        self.ops, self.input_name, self.output = ops, input_name, output
        self.params = nn.ParameterDict()
        weighted = [o for o in ops if o['op'] in WEIGHTED]
        for i, o in enumerate(weighted):
            o['key'] = f'l{i}'
            o['bits'] = 8 if i in (0, len(weighted) - 1) else 4
            self.params[o['key'] + 'w'] = nn.Parameter(torch.tensor(o['w'], dtype=torch.float32))
            self.params[o['key'] + 'b'] = nn.Parameter(torch.tensor(o['b'], dtype=torch.float32))
            o['split'] = MNIST.variance_split(self.params[o['key'] + 'w'], ratio) if o['bits'] == 4 else None
        uses = {}
        for o in ops:
            for k in ('x', 'a', 'b'):
                if isinstance(o.get(k), str):
                    uses.setdefault(o[k], []).append(o)
        # the quantized tensors: every ReLU output, and a conv/gemm/add output not consumed by a ReLU (signed)
        self.act = {}
        for o in ops:
            if o['op'] == 'relu':
                self.act[o['out']] = False
            elif o['op'] in WEIGHTED + ('add',) and o['out'] != output and not all(u['op'] == 'relu' for u in uses.get(o['out'], [])):
                self.act[o['out']] = True
            elif o['op'] in ('gap', 'AveragePool') and o['out'] != output:
                # the quantizer gives an average pool's output its own scale: quantized here too, exported as a
                # symmetric Clip(-c, c) (an identity plus the range hint; Clip(0, c) would add a ReLU)
                self.act[o['out']] = True
        self.clips, self.export_mode, self.frozen = {}, False, False
        self.clip_params = nn.ParameterDict()

    def set_clips(self, clips, learn):
        """Initial activation clips; with `learn` each becomes a trained parameter (PACT-style gradient)."""
        self.clips = dict(clips)
        self.clip_keys = {t: f'c{i}' for i, t in enumerate(sorted(clips))}
        if learn:
            for t, c in clips.items():
                self.clip_params[self.clip_keys[t]] = nn.Parameter(torch.tensor(float(c)))

    def clip_of(self, t):
        k = self.clip_keys[t]
        return self.clip_params[k] if k in self.clip_params else self.clips[t]

    def fixed_clips(self):
        return {t: max(1e-6, float(self.clip_of(t))) for t in self.clips}

    def qw(self, o):
        w = self.params[o['key'] + 'w']
        if self.frozen:
            return w
        full = torch.ones(w.shape[0], dtype=torch.bool)
        return MNIST.quant_weight(w, o['bits'], full if o['split'] is None else o['split'])

    def forward(self, x, record=None):
        t = {self.input_name: x}
        for o in self.ops:
            op = o['op']
            if op == 'conv':
                y = F.conv2d(t[o['x']], self.qw(o), self.params[o['key'] + 'b'], stride=o['stride'], padding=o['pad'], groups=o['groups'])
            elif op == 'gemm':
                y = F.linear(t[o['x']], self.qw(o), self.params[o['key'] + 'b'])
            elif op == 'add':
                y = t[o['a']] + t[o['b']]
            elif op == 'relu':
                y = F.relu(t[o['x']])
            elif op == 'MaxPool':
                y = F.max_pool2d(t[o['x']], o['k'], o['stride'], o['pad'], ceil_mode=o['ceil'])
            elif op == 'AveragePool':
                y = F.avg_pool2d(t[o['x']], o['k'], o['stride'], o['pad'], ceil_mode=o['ceil'], count_include_pad=o['include'])
            elif op == 'gap':
                y = t[o['x']].mean((2, 3), keepdim=True)
            else:
                y = torch.flatten(t[o['x']], 1)
            if o['out'] in self.act:
                signed = self.act[o['out']]
                if record is not None:
                    record[o['out']] = (y.abs() if signed else y).detach()
                elif self.export_mode:
                    c = self.clips[o['out']]
                    y = torch.clamp(y, -c if signed else 0.0, c)
                elif self.clips:
                    y = quant_act(y, self.clip_of(o['out']), signed)
            t[o['out']] = y
        return t[self.output]


def quant_act(x, c, signed):
    """4-bit activation fake quantization as MNIST.quant_act (step c/15 on [0, c], or c/7 on [-8c/7, c]), with
    straight-through rounding; a trained clip c gets the PACT gradient (1 where x saturates at the top)."""
    if not torch.is_tensor(c) or not c.requires_grad:
        return MNIST.quant_act(x, c, signed)
    s = c / (7 if signed else 15)
    y = torch.minimum(x, c)
    y = torch.maximum(y, -8 * s) if signed else F.relu(y)
    return y + (torch.round(y / s) * s - y).detach()


def percentile_clips(model, x):
    rec = {}
    with torch.no_grad():
        model(x, record=rec)
    out = {}
    for k, v in rec.items():
        flat = v.flatten()
        out[k] = max(1e-6, float(torch.kthvalue(flat, max(1, int(round(0.999 * flat.numel())))).values))
    return out


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum(int((model(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum()) for i in range(0, x.shape[0], 500)) / x.shape[0]


def fine_tune(model, x, y, xv, yv, args, log):
    """Adam with a cosine learning-rate decay, random shifts of up to 2 pixels (as scripts/train-zoo.py), the
    weights' and clips' state of the epoch with the best quantized accuracy on the held-out training images kept."""
    weights = [p for k, p in model.params.items()]
    groups = [{'params': weights, 'lr': args.lr}]
    if len(model.clip_params):
        groups.append({'params': list(model.clip_params.values()), 'lr': args.lr * args.clip_lr_mult})
    opt = torch.optim.Adam(groups)
    steps = max(1, args.epochs * ((x.shape[0] + 63) // 64))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    g = torch.Generator().manual_seed(20261208)
    best = (accuracy(model, xv, yv), {k: v.detach().clone() for k, v in model.state_dict().items()}, 0)
    log(f'  held-out training images ({xv.shape[0]}), quantized: {best[0] * 100:.2f}%')
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=g)
        for i in range(0, x.shape[0], 64):
            idx = perm[i:i + 64]
            xb = x[idx]
            if args.shift:
                dx, dy = torch.randint(-args.shift, args.shift + 1, (2,), generator=g).tolist()
                xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                for c in model.clip_params.values():
                    c.clamp_(min=1e-3)
        acc = accuracy(model, xv, yv)
        log(f'  QAT epoch {ep + 1}/{args.epochs}: held-out {acc * 100:.2f}%')
        if acc > best[0]:
            best = (acc, {k: v.detach().clone() for k, v in model.state_dict().items()}, ep + 1)
    model.load_state_dict(best[1])
    log(f'  kept epoch {best[2]} (held-out {best[0] * 100:.2f}%)')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model')
    ap.add_argument('-o', '--output', required=True)
    ap.add_argument('--data', default='mnist', choices=['mnist', 'fashion-mnist'])
    ap.add_argument('--board', default='xc7z020')
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--train-n', type=int, default=8000)
    ap.add_argument('--val-n', type=int, default=800, help='last training images held out to pick the epoch kept')
    ap.add_argument('--lr', type=float, default=2e-4)
    ap.add_argument('--clip-lr-mult', type=float, default=10.0, help='learning rate of the activation clips, x --lr')
    ap.add_argument('--fixed-clips', action='store_true', help='keep the percentile clips (no clip training)')
    ap.add_argument('--shift', type=int, default=2, help='random shift augmentation, pixels (0: none)')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(20261207)
    board = os.path.join(ROOT, 'boards', f'{args.board}.json')
    if not os.path.exists(board):
        sys.exit(f'--board: no {board}')
    ratio = json.load(open(board))['msq']['sp2PerFixedRatio']
    img, lab = ZOO.load_mnist(os.path.join(ROOT, '.cache', 'mnist')) if args.data == 'mnist' else ZOO.load_fashion('train', args.train_n)
    img, lab = img[:args.train_n], lab[:args.train_n]
    nv = min(args.val_n, img.shape[0] // 4)
    x = torch.from_numpy(img[:img.shape[0] - nv].astype(np.float32) / 255.0)
    y = torch.from_numpy(lab[:img.shape[0] - nv].astype(np.int64))
    xv = torch.from_numpy(img[img.shape[0] - nv:].astype(np.float32) / 255.0)
    yv = torch.from_numpy(lab[img.shape[0] - nv:].astype(np.int64))
    ops, input_name, output = parse(args.model)
    model = QatGraph(ops, input_name, output, ratio)
    log = lambda s: print(s, flush=True)
    model.frozen = True
    log(f'{args.model}: float (BN folded) held-out acc {accuracy(model, xv, yv) * 100:.2f}%')
    model.frozen = False
    model.set_clips(percentile_clips(model, x[:2000]), learn=not args.fixed_clips)
    fine_tune(model, x, y, xv, yv, args, log)
    # freeze: the parameters become the quantized weights; activations become Clip(lo, hi) in the export
    with torch.no_grad():
        for o in ops:
            if o['op'] in WEIGHTED:
                model.params[o['key'] + 'w'].copy_(model.qw(o))
    model.clips = model.fixed_clips()
    model.frozen, model.export_mode = True, True
    model.eval()
    tmp = args.output + '.tmp'
    torch.onnx.export(model, torch.zeros(1, *img.shape[1:]), tmp, input_names=['input'], output_names=['logits'], opset_version=13,
                      training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    os.replace(tmp, args.output)
    log(f'  wrote {args.output}')


if __name__ == '__main__':
    main()
