#!/usr/bin/python3
"""Train the small MNIST CNN shipped in models/ (float, then quantization-aware with MSQ in the loop).

Run (needs Debian's python3-torch: `apt-get install -y python3-torch`; use the system python, /usr/bin/python3):

    npx tsx scripts/export-mnist.ts          # writes .cache/mnist/{train,test}-{images,labels}.bin (git-ignored)
    /usr/bin/python3 scripts/train-mnist.py  # writes models/mnist-cnn.onnx and models/mnist-cnn-qat.onnx

Data: ONLY .cache/mnist/train-*.bin (7,996 digits, the fixed split of src/data/mnist.ts). The 2,004 held-out test
digits are never read here. Input = byte / 255, shape [N, 1, 28, 28].

Network (>= 2 conv, a residual add, 2 fully connected layers, BatchNorm so the importer's BN folding is exercised):
    conv1 3x3 1->8 + BN + ReLU, maxpool 2          28x28 -> 14x14
    conv2 3x3 8->16 + BN + ReLU          = a
    conv3 3x3 16->16 + BN                = b        (signed: no ReLU)
    ReLU(a + b), maxpool 2                14x14 -> 7x7
    flatten, fc1 784->64 + ReLU, fc2 64->10

Stage 1: float training (Adam) -> models/mnist-cnn.onnx (Conv, BatchNormalization, Relu, MaxPool, Add, Flatten, Gemm).

Stage 2: quantization-aware training with MSQ in the loop, mirroring src/msq/conventions.ts:
  * BatchNorm is folded into the conv weights/bias first (running statistics), so the weights trained are the ones
    the accelerator uses.
  * per filter (output channel) the scale alpha = max|w| (so the largest weight sits on the top level);
  * first layer (conv1) and last layer (fc2): 8-bit fixed weights, levels k * alpha / 127;
  * others: 4-bit, each filter fixed (k * alpha / 7, |k| <= 7) or SP2 (+-alpha * {0, 1/8, 1/4, 1/2, 5/8, 3/4, 1}),
    chosen by the paper's variance rule: rank filters by the variance of w / max|w|, the highest-variance
    round(n / (1 + r)) (halves up) go to fixed, r = 1.5 (XC7Z020's SP2-per-fixed ratio, boards/xc7z020.json); the split is fixed
    at the start of stage 2;
  * activations: 4-bit unsigned after every ReLU, levels j * c / 15 with a clip c per tensor; the signed conv3
    output 4-bit signed (levels j * c / 7, -8 <= j <= 7); clips are the 99.9th percentile of the float network's
    activations on 2,000 training digits, then kept fixed; the input is 8-bit (byte / 255) already;
  * straight-through estimator: the forward pass uses the quantized values, the backward pass the identity
    (zero outside the clip for activations).
  The exported QAT model has no BatchNormalization; its conv/gemm weights are exactly alpha * level, so the importer
  recovers the codes exactly. Each activation clip is exported as Clip(lo, hi) after the layer: the importer reads
  it as the layer's fused ReLU (lo = 0) and as that tensor's calibrated range.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20210214
SP2_PER_FIXED = 1.5  # boards/xc7z020.json msq.sp2PerFixedRatio
SP2_4BIT = torch.tensor([0.0, 1 / 8, 1 / 4, 1 / 2, 5 / 8, 3 / 4, 1.0])


def load_train(cache):
    img = np.fromfile(os.path.join(cache, 'train-images.bin'), dtype=np.uint8)
    lab = np.fromfile(os.path.join(cache, 'train-labels.bin'), dtype=np.uint8)
    n = lab.shape[0]
    if img.shape[0] != n * 784:
        sys.exit('train-images.bin does not match train-labels.bin: run npx tsx scripts/export-mnist.ts')
    x = torch.from_numpy(img.reshape(n, 1, 28, 28).astype(np.float32) / 255.0)
    y = torch.from_numpy(lab.astype(np.int64))
    return x, y


class FloatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        a = F.relu(self.bn2(self.conv2(x)))
        b = self.bn3(self.conv3(a))
        x = F.max_pool2d(F.relu(a + b), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def fold_bn(conv, bn):
    """Folded (weight, bias) of conv followed by BN in inference mode."""
    g = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight.detach() * g.view(-1, 1, 1, 1)
    b0 = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    b = bn.bias.detach() + (b0 - bn.running_mean) * g
    return w, b


def variance_split(w, ratio):
    """Boolean mask per filter: True = fixed. Highest variance of w / max|w| gets fixed (paper's rule)."""
    flat = w.detach().flatten(1)
    norm = flat / flat.abs().max(1, keepdim=True).values.clamp_min(1e-12)
    var = norm.var(1, unbiased=False)
    n = flat.shape[0]
    n_fixed = int(np.floor(n / (1 + ratio) + 0.5))  # halves round up, as scheme.ts fixedCount
    # highest variance first, ties to the lower filter index (as scheme.ts)
    order = torch.tensor(sorted(range(n), key=lambda i: (-float(var[i]), i)), dtype=torch.long)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[order[:n_fixed]] = True
    return mask


def quant_weight(w, bits, fixed_mask):
    """Per-filter MSQ weight quantization (alpha = max|w|) with a straight-through gradient."""
    shape = [-1] + [1] * (w.dim() - 1)
    alpha = w.detach().flatten(1).abs().max(1).values.clamp_min(1e-12).view(shape)
    wn = w / alpha
    q = 2 ** (bits - 1) - 1
    fixed_q = torch.round(wn * q).clamp(-q, q) / q
    if bits == 4 and not bool(fixed_mask.all()):
        mag = wn.abs().unsqueeze(-1)
        levels = SP2_4BIT.view(*([1] * wn.dim()), -1)
        idx = torch.argmin((mag - levels).abs(), dim=-1)
        sp2_q = torch.sign(wn) * SP2_4BIT[idx]
        m = fixed_mask.view(shape)
        qn = torch.where(m, fixed_q, sp2_q)
    else:
        qn = fixed_q
    wq = alpha * qn
    return w + (wq - w).detach()


def quant_act(x, clip, signed):
    if signed:
        s = clip / 7
        xq = torch.clamp(torch.round(x / s), -8, 7) * s
        inside = (x >= -8 * s) & (x <= 7 * s)
    else:
        s = clip / 15
        xq = torch.clamp(torch.round(x / s), 0, 15) * s
        inside = (x >= 0) & (x <= clip)
    # STE: identity inside the clip range, zero gradient outside
    return xq.detach() + (x - x.detach()) * inside


class QatNet(nn.Module):
    """BN-folded network with MSQ weights and 4-bit activations in the loop."""

    def __init__(self, f: FloatNet, clips, ratio):
        super().__init__()
        w1, b1 = fold_bn(f.conv1, f.bn1)
        w2, b2 = fold_bn(f.conv2, f.bn2)
        w3, b3 = fold_bn(f.conv3, f.bn3)
        self.w1, self.b1 = nn.Parameter(w1.clone()), nn.Parameter(b1.clone())
        self.w2, self.b2 = nn.Parameter(w2.clone()), nn.Parameter(b2.clone())
        self.w3, self.b3 = nn.Parameter(w3.clone()), nn.Parameter(b3.clone())
        self.wf1, self.bf1 = nn.Parameter(f.fc1.weight.detach().clone()), nn.Parameter(f.fc1.bias.detach().clone())
        self.wf2, self.bf2 = nn.Parameter(f.fc2.weight.detach().clone()), nn.Parameter(f.fc2.bias.detach().clone())
        self.clips = clips
        self.split = {
            'w2': variance_split(w2, ratio),
            'w3': variance_split(w3, ratio),
            'wf1': variance_split(self.wf1, ratio),
        }
        self.quantize = True
        self.export_mode = False

    def qw(self, name):
        w = getattr(self, name)
        if name in ('w1', 'wf2'):
            return quant_weight(w, 8, torch.ones(w.shape[0], dtype=torch.bool))
        return quant_weight(w, 4, self.split[name])

    def act(self, x, key, signed=False):
        c = self.clips[key]
        if self.export_mode:
            # the exported Clip carries the clip c: Clip(0, c) after a ReLU, Clip(-c, c) for a signed tensor (whose
            # grid is [-8, 7] * c / 7: the importer turns Clip(-c, c) into the range [-c, c], i.e. scale c / 7)
            return torch.clamp(x, -c if signed else 0.0, c)
        return quant_act(x, c, signed)

    def forward(self, x):
        x = F.conv2d(x, self.qw('w1'), self.b1, padding=1)
        x = F.max_pool2d(self.act(x, 'c1'), 2)
        a = self.act(F.conv2d(x, self.qw('w2'), self.b2, padding=1), 'c2')
        b = self.act(F.conv2d(a, self.qw('w3'), self.b3, padding=1), 'c3', signed=True)
        x = F.max_pool2d(self.act(a + b, 'add'), 2)
        x = torch.flatten(x, 1)
        x = self.act(F.linear(x, self.qw('wf1'), self.bf1), 'fc1')
        return F.linear(x, self.qw('wf2'), self.bf2)

    def frozen(self):
        """A copy whose parameters ARE the quantized weights (for export)."""
        out = QatNet.__new__(QatNet)
        nn.Module.__init__(out)
        for name in ('w1', 'w2', 'w3', 'wf1', 'wf2'):
            setattr(out, name, nn.Parameter(self.qw(name).detach().clone()))
        for name in ('b1', 'b2', 'b3', 'bf1', 'bf2'):
            setattr(out, name, nn.Parameter(getattr(self, name).detach().clone()))
        out.clips = self.clips
        out.split = self.split
        out.quantize = False
        out.export_mode = True
        out.qw = lambda name: getattr(out, name)
        return out


def activation_clips(f: FloatNet, x):
    """99.9th percentile of each quantized activation of the BN-folded float network on x."""
    f.eval()
    with torch.no_grad():
        w1, b1 = fold_bn(f.conv1, f.bn1)
        w2, b2 = fold_bn(f.conv2, f.bn2)
        w3, b3 = fold_bn(f.conv3, f.bn3)
        c1 = F.relu(F.conv2d(x, w1, b1, padding=1))
        a = F.relu(F.conv2d(F.max_pool2d(c1, 2), w2, b2, padding=1))
        b = F.conv2d(a, w3, b3, padding=1)
        s = F.relu(a + b)
        h = F.relu(f.fc1(torch.flatten(F.max_pool2d(s, 2), 1)))

    def pct(t):
        v = t.flatten()
        k = max(1, int(round(0.999 * v.numel())))
        return float(torch.kthvalue(v, k).values)

    return {'c1': pct(c1), 'c2': pct(a), 'c3': pct(b.abs()), 'add': pct(s), 'fc1': pct(h)}


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 500):
            correct += int((model(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum())
    return correct / x.shape[0]


def train(model, x, y, epochs, lr, log):
    g = torch.Generator().manual_seed(SEED + 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=g)
        total = 0.0
        for i in range(0, x.shape[0], 64):
            idx = perm[i:i + 64]
            xb = x[idx]
            # light augmentation: random shift by up to 2 pixels (zero fill)
            dx, dy = [int(v) for v in torch.randint(-2, 3, (2,), generator=g)]
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            if dy > 0:
                xb[:, :, :dy, :] = 0
            elif dy < 0:
                xb[:, :, dy:, :] = 0
            if dx > 0:
                xb[:, :, :, :dx] = 0
            elif dx < 0:
                xb[:, :, :, dx:] = 0
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * idx.numel()
        sched.step()
        log(f'  epoch {ep + 1}/{epochs}: loss {total / x.shape[0]:.4f}, train acc {accuracy(model, x, y) * 100:.2f}%')


def export(model, path, keep_bn):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    tmp = path + '.tmp'
    # keep_bn: PRESERVE keeps BatchNormalization as an inference node (an eval export folds it into the conv, and
    # the float model is meant to exercise the importer's folding); the QAT model has no BN and is constant-folded
    # (its Clip bounds become plain constants).
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, dummy, tmp, input_names=['input'], output_names=['logits'], opset_version=13,
                      training=mode, do_constant_folding=not keep_bn)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cache', default=os.path.join(ROOT, '.cache', 'mnist'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'models'))
    ap.add_argument('--epochs', type=int, default=15)
    ap.add_argument('--qat-epochs', type=int, default=10)
    ap.add_argument('--threads', type=int, default=1, help='CPU threads (the machine is shared)')
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    log = lambda s: print(s, flush=True)
    t0 = time.time()

    x, y = load_train(args.cache)
    log(f'train digits: {x.shape[0]} (held-out test digits are not read)')

    log('stage 1: float training')
    f = FloatNet()
    train(f, x, y, args.epochs, 2e-3, log)
    f.eval()
    os.makedirs(args.out, exist_ok=True)
    export(f, os.path.join(args.out, 'mnist-cnn.onnx'), keep_bn=True)
    log(f'  wrote models/mnist-cnn.onnx (train acc {accuracy(f, x, y) * 100:.2f}%)')

    log('stage 2: quantization-aware training (MSQ weights, 4-bit activations, STE)')
    clips = activation_clips(f, x[:2000])
    log('  activation clips (99.9th percentile): ' + ', '.join(f'{k}={v:.3f}' for k, v in clips.items()))
    q = QatNet(f, clips, SP2_PER_FIXED)
    log(f'  start: train acc {accuracy(q, x, y) * 100:.2f}% (quantized, before QAT)')
    train(q, x, y, args.qat_epochs, 5e-4, log)
    frozen = q.frozen()
    log(f'  exported network train acc {accuracy(frozen, x, y) * 100:.2f}%')
    export(frozen, os.path.join(args.out, 'mnist-cnn-qat.onnx'), keep_bn=False)
    for name in ('w2', 'w3', 'wf1'):
        m = q.split[name]
        log(f'  {name}: {int(m.sum())} fixed / {int((~m).sum())} sp2 filters')
    log(f'  wrote models/mnist-cnn-qat.onnx ({time.time() - t0:.0f} s in all)')


if __name__ == '__main__':
    main()
