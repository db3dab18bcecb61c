#!/usr/bin/python3
"""Train the small vision transformer of models/vit/ on Fashion-MNIST and export it to ONNX (opset 13 and 17).

Run (Debian packages: `apt-get install -y python3-torch python3-torchvision python3-onnx dataset-fashion-mnist`):

    /usr/bin/python3 scripts/train-vit.py            # models/vit/vit-fashion.op13.onnx, .op17.onnx, .ref.json
    /usr/bin/python3 scripts/train-vit.py --deit     # .cache/vit/deit-tiny-random.onnx (random weights, 22 MB)

The model is torchvision's own `VisionTransformer` class (torchvision 0.14) at a reduced size:
    image 28x28 (1 channel), patch 7 (16 tokens + class token = 17), hidden 64, 2 heads (head size 32),
    2 encoder layers, MLP 128, 10 classes.
The first layer of torchvision's ViT is a 3-channel convolution; this one takes 1 channel (conv_proj replaced).

Data: the first --train-n images of Debian's Fashion-MNIST train set (train-images-idx3-ubyte.gz); the t10k set is
the held-out evaluation set (bench/ivit-accuracy.ts), never read here except the first 8 images whose logits are
stored in the .ref.json as the float reference of the importer test. Input = byte / 255, shape [1, 1, 28, 28].

Exports: opset 13 writes LayerNorm decomposed (ReduceMean / Sub / Pow / Sqrt / Div) and GELU as Erf; opset 17
writes LayerNormalization. Fixed seeds, deterministic algorithms, --threads CPU threads (the machine is shared).

--deit builds DeiT-tiny's shapes (224x224x3 input, patch 16 -> 196 tokens + class token, hidden 192, 3 heads,
12 layers, MLP 768, 1000 classes) with random weights and exports it at opset 17 (for the import test and the
cycle-model bench; not committed).
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.vision_transformer import VisionTransformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20261207
FASHION_DIR = os.environ.get('ACCELFORGE_FASHION_MNIST', '/usr/share/datasets/fashion-mnist')


def read_idx(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(dims)):
        sys.exit(f'{path}: truncated IDX file')
    return data.reshape(dims)


def load(split, n):
    img = read_idx(os.path.join(FASHION_DIR, f'{split}-images-idx3-ubyte.gz'))[:n]
    lab = read_idx(os.path.join(FASHION_DIR, f'{split}-labels-idx1-ubyte.gz'))[:n]
    return img.reshape(-1, 1, 28, 28), lab


def small_vit():
    m = VisionTransformer(image_size=28, patch_size=7, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128,
                          num_classes=10)
    m.conv_proj = nn.Conv2d(1, 64, kernel_size=7, stride=7)
    return m


def train(model, x, y, epochs, log):
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    steps = epochs * ((x.shape[0] + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    g = torch.Generator().manual_seed(SEED)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=g)
        total, ok = 0.0, 0
        for i in range(0, x.shape[0], 64):
            idx = perm[i:i + 64]
            xb = x[idx]
            dx, dy = (torch.randint(-2, 3, (2,), generator=g)).tolist()
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            out = model(xb)
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * idx.numel()
            ok += int((out.argmax(1) == y[idx]).sum())
        log(f'  epoch {ep + 1}/{epochs}: loss {total / x.shape[0]:.4f}, train acc {100 * ok / x.shape[0]:.2f}%')


def export(model, path, opset, side, channels):
    model.eval()
    tmp = path + '.tmp'
    torch.onnx.export(model, torch.zeros(1, channels, side, side), tmp, input_names=['input'],
                      output_names=['logits'], opset_version=opset, do_constant_folding=True)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(ROOT, 'models', 'vit'))
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--train-n', type=int, default=20000)
    ap.add_argument('--threads', type=int, default=1, help='CPU threads (the machine is shared)')
    ap.add_argument('--deit', action='store_true', help='export a random-weight DeiT-tiny-shaped ViT instead')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    log = lambda s: print(s, flush=True)
    if args.deit:
        out = os.path.join(ROOT, '.cache', 'vit')
        os.makedirs(out, exist_ok=True)
        m = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192,
                              mlp_dim=768, num_classes=1000)
        path = os.path.join(out, 'deit-tiny-random.onnx')
        export(m, path, 17, 224, 3)
        log(f'wrote {path}')
        return
    os.makedirs(args.out, exist_ok=True)
    img, lab = load('train', args.train_n)
    x = torch.from_numpy(img.astype(np.float32) / 255.0)
    y = torch.from_numpy(lab.astype(np.int64))
    model = small_vit()
    t0 = time.time()
    log(f'training the small ViT on {x.shape[0]} Fashion-MNIST images, {args.epochs} epochs')
    train(model, x, y, args.epochs, log)
    model.eval()
    timg, tlab = load('t10k', 2000)
    with torch.no_grad():
        tx = torch.from_numpy(timg.astype(np.float32) / 255.0)
        acc = float((model(tx).argmax(1) == torch.from_numpy(tlab.astype(np.int64))).float().mean()) * 100
        ref = model(tx[:8]).numpy().astype(float)
    log(f'  held-out accuracy (first 2000 of t10k): {acc:.2f}% ({time.time() - t0:.0f} s)')
    base = os.path.join(args.out, 'vit-fashion')
    export(model, base + '.op13.onnx', 13, 28, 1)
    export(model, base + '.op17.onnx', 17, 28, 1)
    info = {
        'note': 'torch logits of the first 8 t10k Fashion-MNIST images (input byte/255) from scripts/train-vit.py',
        'torch': torch.__version__,
        'heldOutAccuracy2000': round(acc, 2),
        'images': 't10k[0:8]',
        'labels': [int(v) for v in tlab[:8]],
        'logits': [[round(float(v), 6) for v in row] for row in ref],
    }
    with open(base + '.ref.json.tmp', 'w') as f:
        json.dump(info, f, indent=1)
    os.replace(base + '.ref.json.tmp', base + '.ref.json')
    log(f'wrote {base}.op13.onnx, .op17.onnx, .ref.json')


if __name__ == '__main__':
    main()
