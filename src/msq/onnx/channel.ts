/**
 * Channel-axis data movement of CNNs (issue 12): Concat of graph tensors on the channel axis, Split / Slice on the
 * channel axis (channel slices), the channel shuffle pattern Reshape [1, g, C/g, H, W] -> Transpose [0, 2, 1, 3, 4]
 * -> Reshape [1, C, H, W] (one `shuffle` layer), and nearest Resize / Upsample by integer factors. Constants
 * (shape arithmetic) fold as before.
 */
import { numel } from '../model.js';
import type { ImportCtx, NodeCtx } from './ctx.js';
import { attrInt, attrInts, attrString, type Const, type Tensor } from './proto.js';
import { concatConst, reshape as plainReshape } from './shape.js';

/** Output i of a node as a new layer (NodeCtx.emit writes output 0). */
function emitOut(n: NodeCtx, i: number, layer: Parameters<NodeCtx['emit']>[0], shape: number[]): void {
  const first = n.outs[0]!;
  n.outs[0] = n.outs[i]!;
  try {
    n.emit(layer, shape);
  } finally {
    n.outs[0] = first;
  }
}

const channelAxis = (n: NodeCtx, axis: number, rank: number): void => {
  const ax = axis < 0 ? axis + rank : axis;
  if (ax !== 1) n.fail(`axis ${axis} is not supported on a graph tensor (only the channel axis 1)`);
};

export function concat(n: NodeCtx): void {
  const vals = n.ins.map((_, i) => n.get(i, `input ${i}`));
  if (vals.every((v) => v.kind === 'const')) return concatConst(n);
  const ts = vals.map((v, i) => {
    if (v.kind !== 'tensor') n.fail(`input ${i} is a constant: only graph tensors concatenate on the channel axis`);
    if (v.shape.length !== 3) n.fail(`input ${i} has shape [${v.shape.join(', ')}]: channel concat needs [C, H, W] tensors`);
    return v;
  });
  channelAxis(n, attrInt(n.a, 'axis', 1), 4);
  const [, h, w] = ts[0]!.shape;
  ts.forEach((t, i) => {
    if (t.shape[1] !== h || t.shape[2] !== w) n.fail(`input ${i} is ${t.shape[1]}x${t.shape[2]}, input 0 is ${h}x${w}: concat needs one H, W`);
  });
  const c = ts.reduce((a, t) => a + t.shape[0]!, 0);
  n.emit({ op: 'concat', name: '', inputs: ts.map((t) => t.layer) }, [c, h!, w!]);
}

export function split(n: NodeCtx): void {
  const x = n.tensorIn(0, 'input');
  if (x.shape.length !== 3) n.fail(`needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
  channelAxis(n, attrInt(n.a, 'axis', 0), 4);
  const c = x.shape[0]!;
  const k = n.outs.length;
  let sizes: number[];
  if (n.opset >= 13 && n.ins[1]) sizes = Array.from(n.constIn(1, 'split').data);
  else sizes = attrInts(n.a, 'split') ?? [];
  if (sizes.length === 0) {
    if (c % k !== 0) n.fail(`${c} channels do not split evenly into ${k} outputs`);
    sizes = new Array<number>(k).fill(c / k);
  }
  if (sizes.length !== k || sizes.reduce((a, b) => a + b, 0) !== c) n.fail(`split [${sizes.join(', ')}] does not cover the ${c} channels in ${k} outputs`);
  let c0 = 0;
  sizes.forEach((s, i) => {
    if (n.outs[i]) emitOut(n, i, { op: 'slice', name: '', input: x.layer, c0, cCount: s }, [s, x.shape[1]!, x.shape[2]!]);
    c0 += s;
  });
}

const INT64_BIG = 2 ** 62;

export function slice(n: NodeCtx): void {
  const v = n.get(0, 'data');
  const starts = Array.from(n.constIn(1, 'starts').data);
  const ends = Array.from(n.constIn(2, 'ends').data);
  const rank = v.kind === 'const' ? v.dims.length : v.shape.length + 1;
  const axes = n.ins[3] ? Array.from(n.constIn(3, 'axes').data) : starts.map((_, i) => i);
  const steps = n.ins[4] ? Array.from(n.constIn(4, 'steps').data) : starts.map(() => 1);
  if (steps.some((s) => s !== 1)) n.fail(`steps [${steps.join(', ')}] are not supported (only 1)`);
  const range = (dim: number, i: number): [number, number] => {
    const norm = (p: number): number => Math.max(0, Math.min(dim, p < 0 ? p + dim : p >= INT64_BIG ? dim : p));
    return [norm(starts[i]!), norm(ends[i]!)];
  };
  if (v.kind === 'const') {
    if (v.dims.length !== 1 || axes.length !== 1) n.fail('only Slice of a 1-D constant is supported');
    const [a, b] = range(v.dims[0]!, 0);
    n.setConst([Math.max(0, b - a)], v.data.slice(a, Math.max(a, b)));
    return;
  }
  if (v.shape.length !== 3 || axes.length !== 1) n.fail(`only a Slice of a [C, H, W] tensor on the channel axis is supported, got axes [${axes.join(', ')}]`);
  channelAxis(n, axes[0]!, rank);
  const [a, b] = range(v.shape[0]!, 0);
  if (b <= a) n.fail(`slice ${starts[0]}..${ends[0]} of ${v.shape[0]} channels is empty`);
  n.emit({ op: 'slice', name: '', input: v.layer, c0: a, cCount: b - a }, [b - a, v.shape[1]!, v.shape[2]!]);
}

/** Half-recognized channel shuffle: ONNX value -> its stage. */
interface Pending {
  x: Tensor;
  groups: number;
  transposed: boolean;
}
const pendingOf = new WeakMap<ImportCtx, Map<string, Pending>>();
const pending = (n: NodeCtx): Map<string, Pending> => {
  let m = pendingOf.get(n.ctx);
  if (!m) pendingOf.set(n.ctx, (m = new Map()));
  return m;
};

/** Reshape: the two halves of a channel shuffle, else the plain reshape (flatten / unsqueeze). */
export function reshape(n: NodeCtx): void {
  const p = pending(n).get(n.ins[0]!);
  const target = Array.from(n.constIn(1, 'shape').data);
  if (p) {
    const [c, h, w] = p.x.shape as [number, number, number];
    const ok = p.transposed && target.length === 4 && (target[1] === c || target[1] === -1) && target[2] === h && target[3] === w;
    if (!ok) n.fail(`a grouped [${p.groups}, ${c / p.groups}, ${h}, ${w}] tensor can only be transposed [0, 2, 1, 3, 4] and reshaped back to [1, ${c}, ${h}, ${w}] (channel shuffle)`);
    n.emit({ op: 'shuffle', name: '', input: p.x.layer, groups: p.groups }, [c, h, w]);
    return;
  }
  const x = n.get(0, 'data');
  if (x.kind === 'tensor' && x.shape.length === 3 && target.length === 5 && target[3] === x.shape[1] && target[4] === x.shape[2]) {
    const g = target[1]!;
    const per = target[2] === -1 ? x.shape[0]! / g : target[2]!;
    if (!Number.isInteger(g) || g < 1 || g * per !== x.shape[0]) n.fail(`reshape of [${x.shape.join(', ')}] to [${target.join(', ')}] does not group the channels`);
    pending(n).set(n.outs[0]!, { x, groups: g, transposed: false });
    n.alias({ kind: 'tensor', layer: x.layer, shape: [g, per, x.shape[1]!, x.shape[2]!] });
    return;
  }
  plainReshape(n);
}

export function transpose(n: NodeCtx): void {
  const p = pending(n).get(n.ins[0]!);
  const perm = attrInts(n.a, 'perm') ?? [];
  if (!p || p.transposed || perm.join(',') !== '0,2,1,3,4') {
    n.fail(`Transpose perm [${perm.join(', ')}] is supported only inside a channel shuffle (Reshape [1, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape [1, C, H, W])`);
  }
  pending(n).set(n.outs[0]!, { ...p, transposed: true });
  n.alias({ kind: 'tensor', layer: p.x.layer, shape: [] });
}

/** Integer factors [fy, fx] from N, C, H, W scales (Resize / Upsample) or output sizes. */
function factors(n: NodeCtx, x: Tensor, scales: Const | undefined, sizes: Const | undefined): [number, number] {
  const [c, h, w] = x.shape as [number, number, number];
  let f: number[];
  if (scales && scales.data.length === 4) f = Array.from(scales.data);
  else if (sizes && sizes.data.length === 4) f = [sizes.data[0]!, sizes.data[1]! / c, sizes.data[2]! / h, sizes.data[3]! / w];
  else n.fail('needs 4 scales (N, C, H, W) or 4 output sizes');
  if (f[0] !== 1 || f[1] !== 1) n.fail(`scales [${f.join(', ')}] resize the batch or channels; only H and W can be resized`);
  if (!Number.isInteger(f[2]) || !Number.isInteger(f[3]) || f[2]! < 1 || f[3]! < 1) {
    n.fail(`scales [${f.join(', ')}] are not integer upsampling factors (only nearest upsampling by integers >= 1 is supported)`);
  }
  return [f[2]!, f[3]!];
}

/** Resize (opset 10+) and Upsample: nearest, integer factors. */
export function resize(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  if (x.shape.length !== 3) n.fail(`needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
  const mode = attrString(n.a, 'mode', 'nearest');
  if (mode !== 'nearest') n.fail(`mode '${mode}' is not supported (only 'nearest'; export with mode='nearest')`);
  let scales: Const | undefined;
  let sizes: Const | undefined;
  if (n.op === 'Upsample') {
    const sa = n.a.get('scales');
    scales = sa ? { kind: 'const', dims: [4], data: Float64Array.from(sa.floats ?? []) } : n.constIn(1, 'scales');
  } else {
    const ct = attrString(n.a, 'coordinate_transformation_mode', 'half_pixel');
    const nm = attrString(n.a, 'nearest_mode', 'round_prefer_floor');
    // integer factors: asymmetric + floor, and half_pixel with either rounding, pick source pixel floor(o / f)
    const exact = (ct === 'asymmetric' && nm === 'floor') || ((ct === 'half_pixel' || ct === 'pytorch_half_pixel') && nm.startsWith('round_prefer'));
    if (!exact) n.fail(`coordinate_transformation_mode '${ct}' with nearest_mode '${nm}' is not supported (use asymmetric + floor, or half_pixel)`);
    const si = n.opset >= 11 ? 2 : 1;
    scales = n.ins[si] ? n.constIn(si, 'scales') : undefined;
    if (scales && scales.data.length === 0) scales = undefined;
    sizes = n.opset >= 11 && n.ins[3] ? n.constIn(3, 'sizes') : undefined;
  }
  const [fy, fx] = factors(n, x, scales, sizes);
  if (fy === 1 && fx === 1) return n.alias(x);
  n.emit({ op: 'resize', name: '', input: x.layer, scale: [fy, fx] }, [x.shape[0]!, x.shape[1]! * fy, x.shape[2]! * fx]);
}
