/**
 * Cycle model of the MSQ layer engine's schedule (src/msq/rtl, docs/msq-engine.md), with no stalls (source always
 * valid, sink always ready). It is derived from the RTL's structure, not fitted:
 *
 *   load      = H * W * ceil(Cin / N)          one s_act beat per clock into the activation buffer; issue starts next
 *   issue     pixel i occupies passes * passCycles cycles from s_i; its last real step is at
 *             t_i = s_i + (passes - 1) * passCycles + steps - 1
 *   full      F_i = t_i + 1 (S1 read) + laneLatency(N) + 1 (pass done) + ceil((Pf + Ps) / Rq) (serialize)
 *                   + REQUANT_STAGES + 1 (bank-full flag)
 *   emit      first beat at max(F_i, lastBeat_{i-1}) + 1, then ceil(Cout / N) beats back to back
 *   banks     two output banks: pixel i + 2 may start only after pixel i's last beat:
 *             s_{i+2} = max(s_{i+1} + passes * passCycles, lastBeat_i + 1)
 *   total     = lastBeat of the final pixel + 1   (= RunResult.cycleCount of the simulation harness)
 *
 * In steady state a pixel costs passes * passCycles cycles: issue, requantization and output overlap.
 * `networkLatency` applies the model to a list of layer shapes and adds a DDR bound per layer: weights and feature
 * maps move over DDR at the board's derated bandwidth (an ASSUMPTION written in the board file), and a layer takes
 * max(compute, DDR) cycles when transfers overlap compute (double-buffered weights).
 */
import type { Board } from '../board/index.js';
import { laneLatency, REQUANT_STAGES, type EngineShape, type LayerPlan } from './rtl/index.js';
import { requantGroupLanes } from './rtl/plan.js';

export interface LayerCycles {
  load: number;
  /** steady-state cycles per output pixel: passes * passCycles */
  perPixel: number;
  pixels: number;
  total: number;
  /** MACs the layer really needs (cin * kh * kw * cout * OH * OW) */
  macs: number;
  /** MAC slots the engine spends on it: total cycles * (Pf + Ps) * N */
  slotMacs: number;
}

interface ScheduleDims {
  load: number;
  pixels: number;
  steps: number;
  passes: number;
  passCycles: number;
  coutGroups: number;
}

/** Run the schedule recurrence (O(pixels)); returns the cycle count of the last output beat + 1. */
function scheduleCycles(shape: EngineShape, d: ScheduleDims): number {
  const R = requantGroupLanes(shape);
  const pixelIssue = d.passes * d.passCycles;
  const drain = 1 + laneLatency(shape.N) + 1 + R + REQUANT_STAGES + 1;
  const start: number[] = [];
  const lastBeat: number[] = [];
  for (let i = 0; i < d.pixels; i++) {
    let s = i === 0 ? d.load : start[i - 1]! + pixelIssue;
    if (i >= 2) s = Math.max(s, lastBeat[i - 2]! + 1);
    start.push(s);
    const t = s + (d.passes - 1) * d.passCycles + d.steps - 1;
    const full = t + drain;
    const first = Math.max(full, i > 0 ? lastBeat[i - 1]! : -Infinity) + 1;
    lastBeat.push(first + d.coutGroups - 1);
  }
  return lastBeat[d.pixels - 1]! + 1;
}

/** Cycles of one layer run (load the input frame, compute every output pixel), as the simulation counts them. */
export function layerCycles(plan: LayerPlan): LayerCycles {
  const load = plan.inH * plan.inW * plan.cinGroups;
  const pixels = plan.outH * plan.outW;
  const total = scheduleCycles(plan.shape, { load, pixels, steps: plan.steps, passes: plan.passes, passCycles: plan.passCycles, coutGroups: plan.coutGroups });
  const macs = (plan.depthwise ? 1 : plan.cin) * plan.kh * plan.kw * plan.cout * pixels;
  return { load, perPixel: plan.passes * plan.passCycles, pixels, total, macs, slotMacs: total * (plan.shape.Pf + plan.shape.Ps) * plan.shape.N };
}

/** A weighted layer of a network, by shape only (for latency estimates of networks we do not simulate). */
export interface LayerShape {
  name: string;
  cin: number;
  inH: number;
  inW: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: [number, number, number, number];
  /** filters on the SP2 core (the rest go to the fixed core) */
  sp2Filters: number;
  /** weight bits (for DDR traffic) */
  weightBits: number;
  /** activation bits in / out (for DDR traffic) */
  inBits: number;
  outBits: number;
}

export interface LayerEstimate extends LayerCycles {
  name: string;
  computeCycles: number;
  ddrBytes: number;
  ddrCycles: number;
  /** max(compute, ddr) */
  cycles: number;
  bound: 'compute' | 'ddr';
}

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** Model one layer shape on an engine (same formula as layerCycles). */
export function shapeCycles(s: LayerShape, shape: EngineShape): LayerCycles {
  const { N, Pf, Ps } = shape;
  const outH = Math.floor((s.inH + s.pad[0] + s.pad[2] - s.kh) / s.sh) + 1;
  const outW = Math.floor((s.inW + s.pad[1] + s.pad[3] - s.kw) / s.sw) + 1;
  const cinGroups = ceilDiv(s.cin, N);
  const steps = s.kh * s.kw * cinGroups;
  const nFixed = s.cout - s.sp2Filters;
  if ((nFixed > 0 && Pf === 0) || (s.sp2Filters > 0 && Ps === 0)) throw new Error(`layer ${s.name}: filters of a scheme with no lanes`);
  const passes = Math.max(Pf ? ceilDiv(nFixed, Pf) : 0, Ps ? ceilDiv(s.sp2Filters, Ps) : 0);
  const passCycles = Math.max(steps, requantGroupLanes(shape));
  const load = s.inH * s.inW * cinGroups;
  const pixels = outH * outW;
  const total = scheduleCycles(shape, { load, pixels, steps, passes, passCycles, coutGroups: ceilDiv(s.cout, N) });
  const perPixel = passes * passCycles;
  return { load, perPixel, pixels, total, macs: s.cin * s.kh * s.kw * s.cout * pixels, slotMacs: total * (Pf + Ps) * N };
}

/**
 * Network latency at `clockMHz`: per layer max(compute cycles, DDR cycles), DDR traffic = weights + input + output
 * feature maps at the board's derated bandwidth (board.ddr.deratedGBps, an assumption, see the board file).
 */
export function networkLatency(layers: LayerShape[], shape: EngineShape, board: Board, clockMHz = board.defaultClockMHz): {
  layers: LayerEstimate[];
  cycles: number;
  ms: number;
  macs: number;
  efficiency: number;
  ddrGBps: number;
} {
  const bytesPerCycle = (board.ddr.deratedGBps * 1e9) / (clockMHz * 1e6);
  const out: LayerEstimate[] = layers.map((s) => {
    const c = shapeCycles(s, shape);
    const outH = Math.floor((s.inH + s.pad[0] + s.pad[2] - s.kh) / s.sh) + 1;
    const outW = Math.floor((s.inW + s.pad[1] + s.pad[3] - s.kw) / s.sw) + 1;
    const ddrBytes =
      (s.cin * s.kh * s.kw * s.cout * s.weightBits) / 8 + (s.cin * s.inH * s.inW * s.inBits) / 8 + (s.cout * outH * outW * s.outBits) / 8;
    const ddrCycles = Math.ceil(ddrBytes / bytesPerCycle);
    const cycles = Math.max(c.total, ddrCycles);
    return { name: s.name, ...c, computeCycles: c.total, ddrBytes, ddrCycles, cycles, bound: ddrCycles > c.total ? 'ddr' : 'compute' };
  });
  const cycles = out.reduce((a, l) => a + l.cycles, 0);
  const macs = out.reduce((a, l) => a + l.macs, 0);
  const peakMacsPerCycle = (shape.Pf + shape.Ps) * shape.N;
  return { layers: out, cycles, ms: cycles / (clockMHz * 1e3), macs, efficiency: macs / (cycles * peakMacsPerCycle), ddrGBps: board.ddr.deratedGBps };
}

/**
 * ResNet-18 (ImageNet, 224x224) convolution and fc layers; 4-bit inner layers, 8-bit first/last (numerics doc).
 * `unrollConv1`: conv1 as its exact kx-unrolled rewrite (rtl/unroll.ts): 21 channels, 7x1 kernel, stride (2, 1), on a
 * host-packed 224x112 input (7/2 times more input traffic for that layer, counted in the DDR bound).
 */
export function resnet18Shapes(sp2PerFixed: number, o: { unrollConv1?: boolean } = {}): LayerShape[] {
  const L: LayerShape[] = [];
  const add = (name: string, cin: number, hw: number, cout: number, k: number, s: number, p: number, first = false, last = false): void => {
    const nFixed = first || last ? cout : Math.round(cout / (1 + sp2PerFixed));
    L.push({
      name, cin, inH: hw, inW: hw, cout, kh: k, kw: k, sh: s, sw: s, pad: [p, p, p, p],
      sp2Filters: cout - nFixed, weightBits: first || last ? 8 : 4, inBits: first ? 8 : 4, outBits: last ? 8 : 4,
    });
  };
  add('conv1', 3, 224, 64, 7, 2, 3, true);
  if (o.unrollConv1) L[0] = { ...L[0]!, cin: 21, inW: 112, kw: 1, sw: 1, pad: [3, 0, 3, 0] };
  // after 3x3/2 maxpool: 56x56
  for (let i = 0; i < 2; i++) {
    add(`layer1.${i}.conv1`, 64, 56, 64, 3, 1, 1);
    add(`layer1.${i}.conv2`, 64, 56, 64, 3, 1, 1);
  }
  const stage = (n: number, cin: number, hw: number, cout: number): void => {
    add(`layer${n}.0.conv1`, cin, hw, cout, 3, 2, 1);
    add(`layer${n}.0.conv2`, cout, hw / 2, cout, 3, 1, 1);
    add(`layer${n}.0.downsample`, cin, hw, cout, 1, 2, 0);
    add(`layer${n}.1.conv1`, cout, hw / 2, cout, 3, 1, 1);
    add(`layer${n}.1.conv2`, cout, hw / 2, cout, 3, 1, 1);
  };
  stage(2, 64, 56, 128);
  stage(3, 128, 28, 256);
  stage(4, 256, 14, 512);
  add('fc', 512, 1, 1000, 1, 1, 0, false, true);
  return L;
}
