"""The training pieces scripts/train-zoo.py and scripts/train-vit.py share: the fixed seed, Fashion-MNIST from
Debian's IDX files, the torch set-up (threads, deterministic algorithms), the training loop (mini-batches of 64,
OneCycle learning rate, random shifts by up to 2 pixels) and the atomic ONNX export. Import it from a script in
scripts/ (`sys.path` holds the script's own folder)."""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20261207
FASHION_DIR = os.environ.get('ACCELFORGE_FASHION_MNIST', '/usr/share/datasets/fashion-mnist')
BATCH = 64


def read_idx(path):
    """An IDX file (gzip or not) as a numpy uint8 array of its dimensions."""
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


def load_fashion(split, n):
    """The first n images ([n, 1, 28, 28] bytes) and labels of Fashion-MNIST's 'train' or 't10k' set."""
    img = read_idx(os.path.join(FASHION_DIR, f'{split}-images-idx3-ubyte.gz'))[:n]
    lab = read_idx(os.path.join(FASHION_DIR, f'{split}-labels-idx1-ubyte.gz'))[:n]
    return img.reshape(-1, 1, 28, 28), lab


def as_tensors(img, lab):
    """Bytes and labels as the network's input (byte / 255, float32) and int64 targets."""
    return torch.from_numpy(img.astype(np.float32) / 255.0), torch.from_numpy(lab.astype(np.int64))


def setup_torch(threads):
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def log(s):
    print(s, flush=True)


def train(model, x, y, epochs, opt, max_lr, indent='  ', seed=SEED):
    """Train in place: `epochs` passes over (x, y) in a seeded random order, one random shift (up to 2 pixels each
    way) per batch (both drawn from a generator seeded with `seed`), `opt` stepped under a OneCycle schedule peaking
    at `max_lr`; one log line per epoch."""
    steps = epochs * ((x.shape[0] + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=g)
        total, ok = 0.0, 0
        for i in range(0, x.shape[0], BATCH):
            idx = perm[i:i + BATCH]
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
        log(f'{indent}epoch {ep + 1}/{epochs}: loss {total / x.shape[0]:.4f}, train acc {100 * ok / x.shape[0]:.2f}%')


def export_onnx(model, path, input_shape, opset, **kwargs):
    """torch.onnx.export of the model in eval() mode (input 'input', output 'logits'), written atomically."""
    model.eval()
    tmp = path + '.tmp'
    torch.onnx.export(model, torch.zeros(*input_shape), tmp, input_names=['input'], output_names=['logits'],
                      opset_version=opset, **kwargs)
    os.replace(tmp, path)
