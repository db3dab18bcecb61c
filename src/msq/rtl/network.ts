/**
 * Network top (docs/msq-units.md): a whole QuantModel as one streaming dataflow design. Every conv2d / linear
 * layer gets its own MSQ layer engine (src/msq/rtl/engine.ts, baked weights), every pooling / add layer a unit of
 * src/msq/rtl/units, and the streams are wired in model order:
 *
 *   s_act ─► engine(conv1) ─► maxpool ─► engine(conv2) ─► fork ─┬─► engine(conv3) ──► add ─► maxpool ─► ...
 *                                                               └─► FIFO (residual) ─┘
 *
 * Every stream uses the engine packing (per pixel ceil(C/N) beats of N lanes), one N for the whole network.
 * A tensor read by two layers is forked; the branch that goes straight into an add gets a FIFO of the whole frame
 * (H * W * ceil(C/N) beats + 4): the other branch runs at least one layer engine, and an engine takes its entire
 * input frame before it emits anything, so the add sees its first beat from that branch only after the fork has
 * pushed the whole frame into the FIFO. A shallower FIFO deadlocks (fork stalls → engine never completes its load).
 * Flatten of a [C, H, W] tensor is free on the stream when N divides C: the stream order (pixel, channel) is then the
 * feature order the next linear layer's engine sees, and that engine is generated with its weights permuted from
 * the model's (channel, pixel) order accordingly (exact: a dot product is order-free).
 *
 * The top is plain Verilog-2005 text (the engines are text); the units are builder modules emitted with
 * emitVerilog. Ports: s_act (model input), m_out (model output, tlast on the frame's last beat) and `frame_ends`:
 * one bit per internal stream whose tlast no block consumes, = tvalid & tready & tlast (frame-end strobes for
 * debug / performance counters).
 */
import { fail } from '../../util/errors.js';
import { configHash } from '../../util/hash.js';
import { emitVerilog, type Module } from '../../hdl/index.js';
import { syncFifo } from '../../hdl/lib/index.js';
import type { Beat, SimDesign } from '../../sim/types.js';
import { checkModel, outputName, layerInputs, type LinearLayer, type QuantModel, type TensorInfo } from '../model.js';
import { layerCycles } from '../cycle-model.js';
import { planLayer, type EngineShape, type LayerPlan } from './plan.js';
import { generateLayerEngine } from './engine.js';
import { outputBeats, packActivations } from './index.js';
import { addUnit, forkUnit, globalAvgPoolUnit, poolUnit } from './units/index.js';
import { checkIdent, header, moduleFile } from './verilog.js';

export interface NetworkOptions extends EngineShape {
  /** module name prefix (default 'net') */
  prefix?: string;
  /**
   * Depthwise conv2d layers: 'unit' (default) = the depthwise unit of src/msq/rtl/units (line buffer, one
   * multiplier per lane, every multiply useful); 'engine' = the layer engine running it as a dense conv.
   * Padding >= kernel always uses the engine.
   */
  depthwise?: 'unit' | 'engine';
}

export interface NetworkStage {
  layer: string;
  op: string;
  /** instance name in the top */
  instance: string;
  /** module name ('' for flatten: no hardware) */
  module: string;
  /** engine plan (conv2d / linear) */
  plan?: LayerPlan;
}

export interface NetworkRtl {
  top: string;
  files: Map<string, string>;
  N: number;
  input: TensorInfo;
  output: TensorInfo;
  inWidth: number;
  outWidth: number;
  stages: NetworkStage[];
  /** residual FIFOs: tensor forked and the depth in words */
  fifos: { tensor: string; depth: number }[];
  /** frame_ends bit -> tensor name */
  frameEnds: string[];
  /** sum of the engines' cycle-model totals for one frame (an upper-bound helper for timeouts) */
  engineCycles: number;
  hash: string;
}

interface Stream {
  id: string;
  tensor: string;
  width: number;
  info: TensorInfo;
  /** tlast consumed by the sink (fork) */
  lastUsed: boolean;
}

function mergeFiles(into: Map<string, string>, from: Map<string, string>): void {
  for (const [k, v] of from) {
    const old = into.get(k);
    if (old !== undefined && old !== v) throw new Error(`network: two different modules named ${k}`);
    into.set(k, v);
  }
}

/** Generate the network top for `model`. */
export function generateNetwork(model: QuantModel, opts: NetworkOptions): NetworkRtl {
  const P = opts.prefix ?? 'net';
  checkIdent(P, 'prefix');
  const shape: EngineShape = { N: opts.N, Pf: opts.Pf, Ps: opts.Ps, Rq: opts.Rq, dspPack: opts.dspPack };
  const N = opts.N;
  const infos = checkModel(model);
  const outName = outputName(model);
  const files = new Map<string, string>();
  const body: string[] = [];
  const decl: string[] = [];
  const stages: NetworkStage[] = [];
  const fifos: { tensor: string; depth: number }[] = [];
  const frameEnds: string[] = [];
  let engineCycles = 0;
  let sid = 0;

  // consumers of every tensor
  const consumers = new Map<string, { layer: number; slot: number; op: string }[]>();
  model.layers.forEach((l, i) => layerInputs(l).forEach((t, slot) => {
    const list = consumers.get(t) ?? [];
    list.push({ layer: i, slot, op: l.op });
    consumers.set(t, list);
  }));

  /** every stream, for the frame_ends strobes of unconsumed tlasts */
  const streams: Stream[] = [];
  const newStream = (tensor: string, info: TensorInfo): Stream => {
    const id = `st${sid++}`;
    const width = N * info.bits;
    decl.push(`  // stream ${id}: tensor '${tensor}' [${info.shape.join(', ')}] ${info.bits}-bit ${info.signed ? 'signed' : 'unsigned'}`);
    decl.push(`  wire [${width - 1}:0] ${id}_tdata;`, `  wire ${id}_tvalid;`, `  wire ${id}_tready;`, `  wire ${id}_tlast;`);
    return { id, tensor, width, info, lastUsed: false };
  };
  /** streams ready to be read, per (tensor, consumer layer) */
  const pending = new Map<string, Stream>();
  const key = (tensor: string, layer: number): string => `${tensor}@${layer}`;
  /** flatten aliases: tensor -> the [C, H, W] tensor it flattens */
  const flattened = new Map<string, { from: string; shape: number[] }>();

  const publish = (tensor: string, s: Stream): void => {
    const cons = consumers.get(tensor) ?? [];
    if (tensor === outName) {
      if (cons.length > 0) fail(`layers.${tensor}`, 'the model output must not feed another layer in the network top');
      body.push(`  assign m_out_tdata = ${s.id}_tdata;`, `  assign m_out_tvalid = ${s.id}_tvalid;`, `  assign ${s.id}_tready = m_out_tready;`, `  assign m_out_tlast = ${s.id}_tlast;`);
      s.lastUsed = true;
      return;
    }
    if (cons.length === 0) fail(`layers.${tensor}`, 'is computed but never used; the network top needs every tensor consumed');
    if (cons.length === 1) {
      pending.set(key(tensor, cons[0]!.layer), s);
      return;
    }
    if (s.id === 's_act') fail('input', 'the model input feeds two layers; the network top cannot fork it (it has no tlast)');
    if (cons.length > 2) fail(`layers.${tensor}`, `feeds ${cons.length} layers; the network top forks a tensor to at most 2`);
    const direct = cons.filter((c) => c.op === 'add');
    if (direct.length !== 1) fail(`layers.${tensor}`, 'a forked tensor must feed exactly one add layer directly (the residual shortcut)');
    const longC = cons.find((c) => c.op !== 'add')!;
    const shortC = direct[0]!;
    const k = fifos.length;
    const forkName = `${P}_fork${k}`;
    mergeFiles(files, emitVerilog(forkUnit(forkName, s.width)));
    const a = newStream(tensor, s.info);
    const b = newStream(tensor, s.info);
    s.lastUsed = true;
    body.push(
      `  ${forkName} u_fork${k} (`,
      '    .clk(clk), .rst(rst),',
      `    .s_tdata(${s.id}_tdata), .s_tlast(${s.id}_tlast), .s_tvalid(${s.id}_tvalid), .s_tready(${s.id}_tready),`,
      `    .m_a_tdata(${a.id}_tdata), .m_a_tlast(${a.id}_tlast), .m_a_tvalid(${a.id}_tvalid), .m_a_tready(${a.id}_tready),`,
      `    .m_b_tdata(${b.id}_tdata), .m_b_tlast(${b.id}_tlast), .m_b_tvalid(${b.id}_tvalid), .m_b_tready(${b.id}_tready)`,
      '  );',
    );
    // residual FIFO on the short branch: a whole frame + slack (see the file comment)
    const [c, h, w] = s.info.shape.length === 3 ? (s.info.shape as [number, number, number]) : [s.info.shape[0]!, 1, 1];
    const depth = h * w * Math.ceil(c / N) + 4;
    const fifoName = `${P}_resfifo${k}`;
    mergeFiles(files, emitVerilog(syncFifo({ width: s.width + 1, depth, style: 'block', name: fifoName })));
    const q = newStream(tensor, s.info);
    b.lastUsed = true;
    body.push(
      `  ${fifoName} u_resfifo${k} (`,
      '    .clk(clk), .rst(rst),',
      `    .s_tdata({${b.id}_tlast, ${b.id}_tdata}), .s_tvalid(${b.id}_tvalid), .s_tready(${b.id}_tready),`,
      `    .m_tdata({${q.id}_tlast, ${q.id}_tdata}), .m_tvalid(${q.id}_tvalid), .m_tready(${q.id}_tready)`,
      '  );',
    );
    fifos.push({ tensor, depth });
    streams.push(a, q);
    pending.set(key(tensor, longC.layer), a);
    pending.set(key(tensor, shortC.layer), q);
  };
  const take = (tensor: string, layer: number): Stream => {
    const s = pending.get(key(tensor, layer));
    if (!s) throw new Error(`network: no stream for '${tensor}' at layer ${layer}`);
    pending.delete(key(tensor, layer));
    return s;
  };

  const inInfo = infos.get(model.input.name)!;
  const inStream: Stream = { id: 's_act', tensor: model.input.name, width: N * inInfo.bits, info: inInfo, lastUsed: true };
  publish(model.input.name, inStream);

  model.layers.forEach((l, i) => {
    const at = `layers[${i}]`;
    const outInfo = infos.get(l.name)!;
    const inst = `u_l${i}`;
    const mod = `${P}_l${i}`;
    if (l.op === 'flatten') {
      const s = take(l.input, i);
      const xs = infos.get(l.input)!.shape;
      if (xs.length === 3 && xs[1]! * xs[2]! > 1 && xs[0]! % N !== 0) {
        fail(`${at}`, `flatten of [${xs.join(', ')}] needs N (${N}) to divide the channel count ${xs[0]} (the stream has padded lanes); choose N accordingly`);
      }
      if (xs.length === 3) flattened.set(l.name, { from: l.input, shape: xs });
      stages.push({ layer: l.name, op: l.op, instance: '', module: '' });
      const alias: Stream = { ...s, tensor: l.name, info: outInfo };
      publish(l.name, alias);
      streams.push(alias);
      return;
    }
    const out = newStream(l.name, outInfo);
    streams.push(out);
    const dwUnit =
      l.op === 'conv2d' && l.groups !== 1 && (opts.depthwise ?? 'unit') === 'unit' && l.padding.every((p, j) => p < l.kernel[j % 2]!);
    if (dwUnit && l.op === 'conv2d') {
      const x = take(l.input, i);
      const [C, H, W] = x.info.shape as [number, number, number];
      const m = poolUnit({
        name: `${mod}_dwconv`,
        kind: 'dw',
        input: { C, N, bits: x.info.bits, signed: x.info.signed },
        H,
        W,
        kernel: l.kernel,
        stride: l.stride,
        padding: l.padding,
        out: { bits: outInfo.bits, signed: outInfo.signed },
        filters: l.filters,
      });
      mergeFiles(files, emitVerilog(m));
      stages.push({ layer: l.name, op: 'depthwise', instance: inst, module: m.name });
      body.push(
        `  ${m.name} ${inst} ( // depthwise conv2d '${l.name}'`,
        '    .clk(clk), .rst(rst),',
        `    .s_act_tdata(${x.id}_tdata), .s_act_tvalid(${x.id}_tvalid), .s_act_tready(${x.id}_tready),`,
        `    .m_out_tdata(${out.id}_tdata), .m_out_tvalid(${out.id}_tvalid), .m_out_tready(${out.id}_tready), .m_out_tlast(${out.id}_tlast)`,
        '  );',
      );
    } else if (l.op === 'conv2d' || l.op === 'linear') {
      const x = take(l.input, i);
      let layer = l;
      const fl = l.op === 'linear' ? flattened.get(l.input) : undefined;
      if (fl && l.op === 'linear') layer = permuteForStream(l, fl.shape);
      const plan = planLayer(layer, infos.get(l.input)!, shape);
      const rtl = generateLayerEngine(plan, mod);
      if (rtl.actWidth !== x.width || rtl.outWidth !== out.width) throw new Error(`network: stream width mismatch at ${l.name}`);
      mergeFiles(files, rtl.files);
      engineCycles += layerCycles(plan).total;
      stages.push({ layer: l.name, op: l.op, instance: inst, module: rtl.top, plan });
      body.push(
        `  ${rtl.top} ${inst} ( // ${l.op} '${l.name}'`,
        '    .clk(clk), .rst(rst),',
        `    .s_act_tdata(${x.id}_tdata), .s_act_tvalid(${x.id}_tvalid), .s_act_tready(${x.id}_tready),`,
        `    .m_out_tdata(${out.id}_tdata), .m_out_tvalid(${out.id}_tvalid), .m_out_tready(${out.id}_tready), .m_out_tlast(${out.id}_tlast)`,
        '  );',
      );
    } else if (l.op === 'maxpool' || l.op === 'avgpool' || l.op === 'globalavgpool') {
      const x = take(l.input, i);
      const [C, H, W] = x.info.shape as [number, number, number];
      if (x.info.shape.length !== 3) fail(`${at}.input`, 'pooling needs a [C, H, W] input');
      const input = { C, N, bits: x.info.bits, signed: x.info.signed };
      const o = { bits: outInfo.bits, signed: outInfo.signed };
      const m: Module =
        l.op === 'globalavgpool'
          ? globalAvgPoolUnit({ name: `${mod}_gap`, input, H, W, M: l.M, S: l.S, out: o })
          : poolUnit({
              name: `${mod}_${l.op}`,
              kind: l.op === 'maxpool' ? 'max' : 'avg',
              input,
              H,
              W,
              kernel: l.kernel,
              stride: l.stride,
              padding: l.padding,
              ...(l.op === 'avgpool' ? { M: l.M, S: l.S, out: o } : {}),
            });
      mergeFiles(files, emitVerilog(m));
      stages.push({ layer: l.name, op: l.op, instance: inst, module: m.name });
      body.push(
        `  ${m.name} ${inst} ( // ${l.op} '${l.name}'`,
        '    .clk(clk), .rst(rst),',
        `    .s_act_tdata(${x.id}_tdata), .s_act_tvalid(${x.id}_tvalid), .s_act_tready(${x.id}_tready),`,
        `    .m_out_tdata(${out.id}_tdata), .m_out_tvalid(${out.id}_tvalid), .m_out_tready(${out.id}_tready), .m_out_tlast(${out.id}_tlast)`,
        '  );',
      );
    } else if (l.op === 'add') {
      const a = take(l.inputs[0], i);
      const b = take(l.inputs[1], i);
      const sh = outInfo.shape;
      const pixels = sh.length === 3 ? sh[1]! * sh[2]! : 1;
      const m = addUnit({
        name: `${mod}_add`,
        C: sh[0]!,
        N,
        pixels,
        a: { bits: a.info.bits, signed: a.info.signed },
        b: { bits: b.info.bits, signed: b.info.signed },
        out: { bits: outInfo.bits, signed: outInfo.signed },
        Ma: l.Ma,
        Mb: l.Mb,
        S: l.S,
      });
      mergeFiles(files, emitVerilog(m));
      stages.push({ layer: l.name, op: l.op, instance: inst, module: m.name });
      body.push(
        `  ${m.name} ${inst} ( // add '${l.name}'`,
        '    .clk(clk), .rst(rst),',
        `    .s_a_tdata(${a.id}_tdata), .s_a_tvalid(${a.id}_tvalid), .s_a_tready(${a.id}_tready),`,
        `    .s_b_tdata(${b.id}_tdata), .s_b_tvalid(${b.id}_tvalid), .s_b_tready(${b.id}_tready),`,
        `    .m_out_tdata(${out.id}_tdata), .m_out_tvalid(${out.id}_tvalid), .m_out_tready(${out.id}_tready), .m_out_tlast(${out.id}_tlast)`,
        '  );',
      );
    } else {
      fail(`${at}.op`, `'${l.op}' is not supported by the network top (conv2d, linear, maxpool, avgpool, globalavgpool, add, flatten); fuse ReLU into the layer before it`);
    }
    publish(l.name, out);
  });
  if (pending.size > 0) throw new Error(`network: unconsumed streams ${[...pending.keys()].join(', ')}`);

  // frame-end strobes of every stream whose tlast nobody consumes
  const ends: string[] = [];
  const seen = new Set<string>();
  for (const s of streams) {
    if (seen.has(s.id) || s.lastUsed) continue;
    seen.add(s.id);
    ends.push(`${s.id}_tvalid & ${s.id}_tready & ${s.id}_tlast`);
    frameEnds.push(s.tensor);
  }
  const outInfo = infos.get(outName)!;
  const top = `${P}_top`;
  const hash = configHash({ kind: 'msq-network', model, shape, prefix: P });
  const E = Math.max(1, ends.length);
  const lines = [
    `module ${top} (`,
    '  input wire clk,',
    '  input wire rst,',
    `  input wire [${N * inInfo.bits - 1}:0] s_act_tdata,`,
    '  input wire s_act_tvalid,',
    '  output wire s_act_tready,',
    `  output wire [${N * outInfo.bits - 1}:0] m_out_tdata,`,
    '  output wire m_out_tvalid,',
    '  input wire m_out_tready,',
    '  output wire m_out_tlast,',
    `  output wire [${E - 1}:0] frame_ends`,
    ');',
    ...decl,
    '',
    ...body,
    '',
    `  assign frame_ends = ${ends.length ? `{${[...ends].reverse().join(', ')}}` : "1'b0"};`,
    'endmodule',
  ];
  files.set(
    `${top}.v`,
    moduleFile(
      header('MSQ network top: one layer engine per conv2d/linear, streaming units, residual fork + FIFO', hash, {
        model: model.name ?? '(unnamed)',
        'N, Pf, Ps': `${N}, ${opts.Pf}, ${opts.Ps}`,
        layers: model.layers.map((l) => `${l.name}:${l.op}`).join(' '),
        'residual FIFOs': fifos.map((f) => `${f.tensor}:${f.depth}`).join(' ') || 'none',
      }),
      lines.join('\n'),
    ),
  );
  return {
    top,
    files,
    N,
    input: inInfo,
    output: outInfo,
    inWidth: N * inInfo.bits,
    outWidth: N * outInfo.bits,
    stages,
    fifos,
    frameEnds,
    engineCycles,
    hash,
  };
}

/**
 * The linear layer as its engine sees a flattened [C, H, W] stream: feature j = p * C + c (pixel-major) carries the
 * model's feature c * H * W + p, so every filter's weights are permuted the same way.
 */
export function permuteForStream(l: LinearLayer, shape: number[]): LinearLayer {
  const [C, H, W] = shape as [number, number, number];
  const HW = H * W;
  if (l.inFeatures !== C * HW) fail(`${l.name}.inFeatures`, `is ${l.inFeatures}, the flattened input has ${C * HW}`);
  const perm = Array.from({ length: C * HW }, (_, j) => (j % C) * HW + Math.floor(j / C));
  return { ...l, filters: l.filters.map((f) => ({ ...f, weights: perm.map((k) => f.weights[k]!) })) };
}

/** The network as a design for src/sim: s_act in, m_out out (tlast). */
export function networkSimDesign(net: NetworkRtl): SimDesign {
  return {
    top: net.top,
    files: net.files,
    streams: [
      { name: 's_act', dir: 'in', dataWidth: net.inWidth },
      { name: 'm_out', dir: 'out', dataWidth: net.outWidth, last: true },
    ],
  };
}

function chw(shape: number[]): [number, number, number] {
  return shape.length === 3 ? (shape as [number, number, number]) : [shape[0]!, 1, 1];
}

/** s_act beats of one input tensor. */
export function networkInputBeats(net: NetworkRtl, x: ArrayLike<number>): Beat[] {
  const [c, h, w] = chw(net.input.shape);
  return packActivations(x, c, h, w, net.N, net.input.bits);
}

/** Expected m_out beats of one output tensor (the golden model's output). */
export function networkOutputBeats(net: NetworkRtl, y: ArrayLike<number>): Beat[] {
  const [c, h, w] = chw(net.output.shape);
  return outputBeats(y, c, h, w, net.N, net.output.bits);
}
