#!/usr/bin/python3
"""Train the benchmark zoo of float models in models/zoo/ (4 architectures x MNIST and Fashion-MNIST).

Run (Debian packages: `apt-get install -y python3-torch python3-onnx dataset-fashion-mnist`; system python):

    npx tsx scripts/export-mnist.ts            # .cache/mnist/train-*.bin (the fixed split of src/data/mnist.ts)
    /usr/bin/python3 scripts/train-zoo.py      # writes models/zoo/<arch>-<dataset>.onnx (about 10 min on 1 core)

Data (training only; the evaluation sets are never read here):
  * mnist: the 7,996 TRAIN digits of the project's split (.cache/mnist/train-*.bin); the 2,004 held-out digits are
    the evaluation set of `accelforge accuracy --data mnist`.
  * fashion-mnist: the first 10,000 images of Debian's train-images-idx3-ubyte.gz; t10k (10,000) is the evaluation
    set of `accelforge accuracy --data fashion-mnist`.
Input = byte / 255, shape [N, 1, 28, 28]. Fixed seeds, deterministic algorithms, one thread.

Architectures (every conv/linear followed by BatchNorm, exported WITH the BatchNormalization nodes):
  plain   conv3x3 1->16, pool, conv3x3 16->32, pool, conv3x3 32->32, flatten, fc 1568->10
  resgap  conv3x3 1->16, residual block (16), conv3x3 16->32 stride 2, residual block (32), pool,
          1x1 conv 32->32, global average pool, fc 32->10
  dwsep   conv3x3 1->16, [dw3x3 + pw1x1] 16->32, pool, [dw3x3 stride 2 + pw1x1] 32->64, global average pool, fc 64->10
  widefc  conv3x3 1->8, pool, conv3x3 8->16, pool, fc 784->256 + BN1d, fc 256->128 + BN1d, fc 128->10

Export keeping BatchNorm (verified with torch 1.13 / Debian 12): the model in eval() mode and
    torch.onnx.export(model, x, f, opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)
An export with the default training=EVAL and do_constant_folding=True folds BN into the convolutions; accelforge
still reads it, but the data-free paths then lack the BN statistics (`--calib generate` refuses such a model).

These models are NOT used to tune the quantizer's defaults: the defaults were tuned on the dev model
models/mnist-cnn.onnx (scripts/train-mnist.py) with MNIST training digits only.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainlib import ROOT, SEED, as_tensors, export_onnx, load_fashion, log, setup_torch, train


def load_mnist(cache):
    img = np.fromfile(os.path.join(cache, 'train-images.bin'), dtype=np.uint8)
    lab = np.fromfile(os.path.join(cache, 'train-labels.bin'), dtype=np.uint8)
    if img.shape[0] != lab.shape[0] * 784:
        sys.exit('train-images.bin does not match train-labels.bin: run npx tsx scripts/export-mnist.ts')
    return img.reshape(-1, 1, 28, 28), lab


def cbr(cin, cout, k=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = cbr(1, 16), cbr(16, 32), cbr(32, 32)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(self.c1(x), 2)
        x = F.max_pool2d(self.c2(x), 2)
        return self.fc(torch.flatten(self.c3(x), 1))


class Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = cbr(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class ResGap(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.r1, self.c2, self.r2 = cbr(1, 16), Res(16), cbr(16, 32, stride=2), Res(32)
        self.c3 = cbr(32, 32, k=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.r2(self.c2(self.r1(self.c1(x))))
        x = self.c3(F.max_pool2d(x, 2))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DwSep(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = cbr(1, 16)
        self.d1, self.p1 = cbr(16, 16, groups=16), cbr(16, 32, k=1)
        self.d2, self.p2 = cbr(32, 32, stride=2, groups=32), cbr(32, 64, k=1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(self.p1(self.d1(self.c1(x))), 2)
        x = self.p2(self.d2(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class WideFc(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = cbr(1, 8), cbr(8, 16)
        self.f1 = nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU())
        self.f2 = nn.Sequential(nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU())
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(self.c2(F.max_pool2d(self.c1(x), 2)), 2)
        return self.fc(self.f2(self.f1(torch.flatten(x, 1))))


ARCHS = {'plain': Plain, 'resgap': ResGap, 'dwsep': DwSep, 'widefc': WideFc}
# Epochs per architecture. dwsep (depthwise-separable, fewest parameters) is still learning at 5 epochs
# (dwsep-mnist: train accuracy 89.9 %, loss 0.44 at epoch 5; 96.3 %, 0.14 at epoch 20): it gets 20.
EPOCHS = {'plain': 5, 'resgap': 5, 'dwsep': 20, 'widefc': 5}


def export(model, path):
    export_onnx(model, path, (1, 1, 28, 28), 13, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cache', default=os.path.join(ROOT, '.cache', 'mnist'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'models', 'zoo'))
    ap.add_argument('--epochs', type=int, default=0, help='epochs for every model (default: per architecture, EPOCHS)')
    ap.add_argument('--seed', type=int, default=SEED, help='seed (a different one trains a dev model, not the zoo)')
    ap.add_argument('--suffix', default='', help='appended to the file names, e.g. -dev (dev models: not the zoo)')
    ap.add_argument('--fashion-n', type=int, default=10000)
    ap.add_argument('--only', default='', help='comma-separated <arch>-<dataset> names to train (default all)')
    ap.add_argument('--threads', type=int, default=1, help='CPU threads (the machine is shared)')
    args = ap.parse_args()
    setup_torch(args.threads)
    os.makedirs(args.out, exist_ok=True)
    sets = {'mnist': load_mnist(args.cache), 'fashion-mnist': load_fashion('train', args.fashion_n)}
    only = set(filter(None, args.only.split(',')))
    for ds, (img, lab) in sets.items():
        x, y = as_tensors(img, lab)
        for arch, cls in ARCHS.items():
            name = f'{arch}-{ds}'
            if only and name not in only:
                continue
            torch.manual_seed(args.seed)
            t0 = time.time()
            epochs = args.epochs or EPOCHS[arch]
            log(f'{name}: {x.shape[0]} training images, {epochs} epochs, seed {args.seed}')
            model = cls()
            train(model, x, y, epochs, torch.optim.Adam(model.parameters(), lr=3e-3), 3e-3, indent='    ', seed=args.seed)
            export(model, os.path.join(args.out, f'{name}{args.suffix}.onnx'))
            log(f'  wrote {name}{args.suffix}.onnx ({time.time() - t0:.0f} s)')


if __name__ == '__main__':
    main()
