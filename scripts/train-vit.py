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
import json
import os
import time

import torch
import torch.nn as nn
from torchvision.models.vision_transformer import VisionTransformer

from trainlib import ROOT, SEED, as_tensors, export_onnx, load_fashion, log, setup_torch, train


def small_vit():
    m = VisionTransformer(image_size=28, patch_size=7, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128,
                          num_classes=10)
    m.conv_proj = nn.Conv2d(1, 64, kernel_size=7, stride=7)
    return m


def export(model, path, opset, side, channels):
    export_onnx(model, path, (1, channels, side, side), opset, do_constant_folding=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(ROOT, 'models', 'vit'))
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--train-n', type=int, default=20000)
    ap.add_argument('--threads', type=int, default=1, help='CPU threads (the machine is shared)')
    ap.add_argument('--deit', action='store_true', help='export a random-weight DeiT-tiny-shaped ViT instead')
    args = ap.parse_args()
    setup_torch(args.threads)
    torch.manual_seed(SEED)
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
    x, y = as_tensors(*load_fashion('train', args.train_n))
    model = small_vit()
    t0 = time.time()
    log(f'training the small ViT on {x.shape[0]} Fashion-MNIST images, {args.epochs} epochs')
    train(model, x, y, args.epochs, torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05), 2e-3)
    model.eval()
    tx, ty = as_tensors(*load_fashion('t10k', 2000))
    with torch.no_grad():
        acc = float((model(tx).argmax(1) == ty).float().mean()) * 100
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
        'labels': [int(v) for v in ty[:8]],
        'logits': [[round(float(v), 6) for v in row] for row in ref],
    }
    with open(base + '.ref.json.tmp', 'w') as f:
        json.dump(info, f, indent=1)
    os.replace(base + '.ref.json.tmp', base + '.ref.json')
    log(f'wrote {base}.op13.onnx, .op17.onnx, .ref.json')


if __name__ == '__main__':
    main()
