/**
 * The sizing search's network and its job program, by the real compiler (issue 10 item 4: one compiler).
 *  - `resnet18Net(ratio)`: ResNet-18 (ImageNet 224x224) by structure, as the shipped example quantizes it
 *    (scripts/make-resnet18.ts): conv1 4-bit MSQ weights on the 8-bit input, the block convs and downsamples 4-bit
 *    MSQ on 4-bit activations, every block's conv2 fused with its residual add (+ relu), fc 8-bit fixed; per conv
 *    round(n / (1 + ratio)) fixed filters (scheme.ts fixedCount), the SP2 ones spread evenly between them.
 *    Stand-in weights: every fixed filter of a layer is one shared filter object, every SP2 filter another, holding the
 *    largest code of their scheme (the compiler reads only which lanes a filter can take and whether its values fit
 *    4 bits; the classification runs once per shared array). Requantizer parameters are placeholders.
 *  - `compiledJobs(model, cfg)`: compileModel(model, cfg, { weights: false }) as cycle-model jobs, the compiles of
 *    one model sharing a CompileMemo: the one entry point of the sizing search (sizing.ts) and the latency pricing of
 *    `msq plan` (plan/price.ts) into the compiler.
 */
import { levels, fixedMaxCode } from '../conventions.js';
import type { Filter, QuantLayer, QuantModel } from '../model.js';
import { fixedCount } from '../scheme.js';
import { resnet18Blocks } from '../resnet18-arch.js';
import { ceilDiv } from '../../util/math.js';
import { programJobs } from './build.js';
import { compileMemo, compileModel, type CompileMemo } from './compile.js';
import type { CoreConfig } from './config.js';
import type { ProgramJob } from './cycle-model.js';

const RQ = { bias: 0, M: 2 ** 30, S: 36 };

/** Filters of one layer: nFixed fixed (fixedBits) and n - nFixed SP2 (4-bit) filters, spread evenly, fan-in k. */
function standInFilters(n: number, nFixed: number, k: number, fixedBits: number): Filter[] {
  const fixed = new Array<number>(k).fill(0);
  fixed[0] = fixedMaxCode(fixedBits);
  const top = levels('sp2', 4).reduce((a, b) => (Math.abs(b.value) > Math.abs(a.value) ? b : a));
  const sp2 = new Array<number>(k).fill(0);
  sp2[0] = top.code;
  // one filter object per scheme, shared by its filters
  const f: Filter = { scheme: 'fixed', bits: fixedBits, alpha: 1, weights: fixed, ...RQ };
  const q: Filter = { scheme: 'sp2', bits: 4, alpha: 1, weights: sp2, ...RQ };
  const out: Filter[] = [];
  // filter j is fixed when the even spread of nFixed over n puts one there
  for (let j = 0; j < n; j++) out.push(Math.floor(((j + 1) * nFixed) / n) > Math.floor((j * nFixed) / n) ? f : q);
  return out;
}

/** ResNet-18 by structure at SP2-per-fixed ratio `ratio` (see the file comment). */
export function resnet18Net(ratio: number): QuantModel {
  const layers: QuantLayer[] = [];
  const act = (signed = false): { bits: number; signed: boolean; scale: number } => ({ bits: 4, signed, scale: 1 });
  const conv = (name: string, input: string, cin: number, cout: number, k: number, s: number, p: number, signedOut = false): string => {
    const filters = standInFilters(cout, fixedCount(cout, ratio, name), cin * k * k, 4);
    layers.push({ name, op: 'conv2d', input, inChannels: cin, outChannels: cout, kernel: [k, k], stride: [s, s], padding: [p, p, p, p], groups: 1, out: act(signedOut), filters });
    return name;
  };
  let x = conv('conv1', 'input', 3, 64, 7, 2, 3);
  layers.push({ name: 'maxpool', op: 'maxpool', input: x, kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1] });
  x = 'maxpool';
  for (const { name: n, cin, cout: c, stride: s, downsample } of resnet18Blocks()) {
    const h = conv(`${n}.conv1`, x, cin, c, 3, s, 1);
    const skip = downsample ? conv(`${n}.downsample`, x, cin, c, 1, s, 0, true) : x;
    const y = conv(`${n}.conv2`, h, c, c, 3, 1, 1, true);
    layers.push({ name: `${n}.add`, op: 'add', inputs: [y, skip], Ma: 2 ** 30, Mb: 2 ** 30, S: 31, out: act() });
    x = `${n}.add`;
  }
  layers.push({ name: 'avgpool', op: 'globalavgpool', input: x, M: 2 ** 30, S: 36, out: act() });
  layers.push({ name: 'flatten', op: 'flatten', input: 'avgpool' });
  layers.push({ name: 'fc', op: 'linear', input: 'flatten', inFeatures: 512, outFeatures: 1000, out: { bits: 8, signed: true, scale: 1 }, filters: standInFilters(1000, 1000, 512, 8) });
  return { format: 'accelforge-msq', version: 1, name: `resnet18-structure-r${ratio}`, input: { name: 'input', shape: [3, 224, 224], bits: 8, signed: true, scale: 1 }, layers };
}

const memo = new WeakMap<QuantModel, CompileMemo>();

/**
 * The network's job program on `cfg` by the compiler without the program's data (CompileOptions.weights false); the
 * compiles of one network share its analysis and filters' lanes (CompileOptions.memo), so the network must not change
 * after its first call. Not memoized per configuration: the sizing search asks each one once (and would hold every
 * candidate's program).
 */
export function compiledJobs(net: QuantModel, cfg: CoreConfig): ProgramJob[] {
  let m = memo.get(net);
  if (!m) memo.set(net, (m = compileMemo()));
  return programJobs(net, compileModel(net, cfg, { weights: false, memo: m }));
}

/** Longest reduction (in N-wide steps, im2col where it is shorter) and widest layer of a network at lane width N. */
export function netReach(net: QuantModel, N: number): { maxSteps: number; maxCout: number } {
  const x = { maxSteps: 1, maxCout: 1 };
  for (const l of net.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const [kh, kw] = l.op === 'conv2d' ? l.kernel : [1, 1];
    const cin = l.op === 'conv2d' ? l.inChannels / l.groups : l.inFeatures;
    const thin = kh * kw > 1 && ceilDiv(cin * kh * kw, N) < kh * kw * ceilDiv(cin, N);
    x.maxSteps = Math.max(x.maxSteps, thin ? ceilDiv(cin * kh * kw, N) : kh * kw * ceilDiv(cin, N));
    x.maxCout = Math.max(x.maxCout, l.op === 'conv2d' ? l.outChannels : l.outFeatures);
  }
  return x;
}
