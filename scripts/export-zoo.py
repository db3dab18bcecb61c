#!/usr/bin/python3
"""Export the torchvision zoo of bench/msq-zoo.ts to ONNX (random weights, fixed seed, opset 13).

Run (Debian packages python3-torch, python3-torchvision; system python):

    /usr/bin/python3 scripts/export-zoo.py [--out DIR] [--only NAME,...]

writes DIR/<name>.onnx (default DIR: ~/.cache/accelforge/zoo; the files are 5..100 MB each: never committed) and
skips a file that already exists. Models: resnet18, resnet50, mobilenet_v2, mobilenet_v3_small, squeezenet1_1,
shufflenet_v2_x1_0, efficientnet_b0 (torchvision, weights=None, eval mode, 1x3x224x224) and yolo_tiny: a small
YOLO-style detector written here (conv backbone with stride-2 stages, a neck that upsamples the deepest feature map
2x nearest and concatenates it with the stride-16 map on the channel axis, and two 1x1 detection heads of
3 anchors x (5 + 4 classes) channels at strides 16 and 32; the graph output is the stride-16 head; input 1x3x256x256).

BatchNorm statistics are randomized (running mean/var, affine) with the same seed, so data-free calibration sees a
spread of channel statistics, and the export keeps the BatchNormalization nodes (training=PRESERVE, no constant
folding), which the importer folds and reads as statistics.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SEED = 20261207
MODELS = ['resnet18', 'resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x1_0',
          'efficientnet_b0', 'yolo_tiny']


def cbr(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class YoloTiny(nn.Module):
    """Backbone (strides 2..32), upsample + concat neck, two detection heads (3 anchors x (5 + 4 classes))."""

    def __init__(self, classes=4, anchors=3):
        super().__init__()
        out = anchors * (5 + classes)
        self.stem = nn.Sequential(cbr(3, 16, 3, 2), cbr(16, 32, 3, 2))  # /4
        self.s8 = nn.Sequential(cbr(32, 64, 3, 2), cbr(64, 64, 3, 1))  # /8
        self.s16 = nn.Sequential(cbr(64, 128, 3, 2), cbr(128, 128, 3, 1))  # /16
        self.s32 = nn.Sequential(nn.MaxPool2d(2, 2), cbr(128, 256, 3, 1))  # /32
        self.lateral = cbr(256, 64, 1, 1)
        self.fuse = cbr(64 + 128, 128, 3, 1)
        self.head16 = nn.Conv2d(128, out, 1)
        self.head32 = nn.Conv2d(256, out, 1)

    def forward(self, x):
        x = self.s8(self.stem(x))
        p16 = self.s16(x)
        p32 = self.s32(p16)
        up = F.interpolate(self.lateral(p32), scale_factor=2, mode='nearest')
        f16 = self.fuse(torch.cat([up, p16], 1))
        # one graph output (the importer reads the first); the stride-32 head is summed in so it stays live
        return self.head16(f16) + F.interpolate(self.head32(p32), scale_factor=2, mode='nearest')


def build(name):
    if name == 'yolo_tiny':
        return YoloTiny(), (1, 3, 256, 256)
    return getattr(torchvision.models, name)(weights=None), (1, 3, 224, 224)


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(c, generator=gen) * 0.6 + 0.7)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(os.path.expanduser('~'), '.cache', 'accelforge', 'zoo'))
    ap.add_argument('--only', default='', help='comma-separated subset of: ' + ', '.join(MODELS))
    args = ap.parse_args()
    names = [n for n in args.only.split(',') if n] or MODELS
    bad = [n for n in names if n not in MODELS]
    if bad:
        sys.exit(f'export-zoo: unknown model {bad[0]!r}; choose from {", ".join(MODELS)}')
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for name in names:
        path = os.path.join(args.out, f'{name}.onnx')
        if os.path.exists(path):
            print(f'{path} exists, skipped')
            continue
        torch.manual_seed(SEED)
        gen = torch.Generator().manual_seed(SEED)
        model, shape = build(name)
        randomize_bn(model, gen)
        model.eval()
        x = torch.rand(shape, generator=gen)
        tmp = path + '.part'
        torch.onnx.export(model, x, tmp, opset_version=13, input_names=['input'], output_names=['output'],
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
        os.replace(tmp, path)
        print(f'{path}: {os.path.getsize(path) / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
