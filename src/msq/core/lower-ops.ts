/**
 * Compiler support for the channel ops (issue 12), used by compile.ts:
 *  - concat: each input produced by a job whose only reader is the concat is WRITTEN IN PLACE at its channel offset
 *    of the concat's host tensor (the job's m_out region starts at that channel: no copy job); any other input (the
 *    model input, a tensor with other readers, another concat) is copied there by an identity job (1x1 avgpool,
 *    M 2, S 1: y = x).
 *  - resize (nearest, integer factors): an identity job whose s_act the host gathers with each pixel repeated
 *    (act source kind 'upsample', like the im2col gather; export-data.ts reads its index tables off the same code).
 *  - lut (pointwise lookup table): the table of the job that writes its input (lutOf / lutFields: src/msq/lut.ts's
 *    core layout), after the requantizer's clamp.
 *  - mulchannel (squeeze-excite x * s[c]): a depthwise 1x1 GEMM on the fixed lanes whose weights are the gate s,
 *    known only at run time: the compiled job holds the placeholder code SE_PLACEHOLDER where s[c] goes, and the host
 *    writes the gate's values into the program before sending it (seProgram; streams.ts jobProgram).
 *  - the core cannot run yet: average pools whose divisor differs between windows; a one-line error.
 */
import { fail } from '../../util/errors.js';
import { avgPoolVaries, layerInputs, type QuantLayer, type QuantModel, type TensorInfo } from '../model.js';
import type { CoreConfig } from './config.js';
import { encodeProgram, packCodes, packTile, unpackCodes, type JobSpec } from './job.js';
import { lutWords } from '../lut.js';

/** A job's lookup table: the core's words (y mod 256) and the sign of its values. */
export interface JobLut {
  words: number[];
  signed: boolean;
}

/** The core table of a `lut` layer whose input tensor is `input`. */
export function lutOf(l: Extract<QuantLayer, { op: 'lut' }>, input: Pick<TensorInfo, 'signed'>): JobLut {
  return { words: lutWords(l.table, input.signed), signed: l.out.signed };
}

/** The JobSpec fields of a lookup table (none without one). */
export function lutFields(lut: JobLut | undefined): Pick<JobSpec, 'lut' | 'lutTable' | 'lutSigned'> {
  return lut ? { lut: true, lutTable: lut.words, lutSigned: lut.signed } : {};
}

/** Where a tensor is written inside a concat's tensor. */
export interface Placement {
  concat: string;
  c0: number;
}

const JOB_OPS = new Set(['conv2d', 'relu', 'maxpool', 'avgpool', 'globalavgpool', 'add', 'resize']);

/**
 * The in-place placements of concat inputs: input t of concat k is placed when a job writes t (t is a conv / relu /
 * pool / add / resize output) and k is its only reader. `sole` is the compiler's sole-consumer test.
 */
export function concatPlacements(model: QuantModel, infos: Map<string, TensorInfo>, sole: (t: string) => QuantLayer | undefined): Map<string, Placement> {
  const byName = new Map(model.layers.map((l) => [l.name, l] as const));
  const out = new Map<string, Placement>();
  for (const l of model.layers) {
    if (l.op !== 'concat') continue;
    let c0 = 0;
    for (const t of l.inputs) {
      const p = byName.get(t);
      if (p && JOB_OPS.has(p.op) && sole(t) === l && !out.has(t)) out.set(t, { concat: l.name, c0 });
      c0 += infos.get(t)!.shape[0]!;
    }
  }
  return out;
}

/** The one-line refusal of a layer the core cannot run yet (undefined: it can). */
export function refusal(l: QuantLayer, infos: Map<string, TensorInfo>): string | undefined {
  switch (l.op) {
    case 'avgpool': {
      const x = infos.get(l.input)!;
      if (avgPoolVaries(l, x.shape[1]!, x.shape[2]!)) {
        const why = l.countIncludePad === false ? 'count_include_pad = 0 with padded windows' : 'ceil_mode windows clipped at the input end';
        return `${why}: windows average different counts, the core's pool requantizer has one multiplier per channel, not per window (use count_include_pad = 1 and pads / sizes that fit the windows)`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Concat inputs that need a copy job (not placed in place). */
export function concatCopies(l: Extract<QuantLayer, { op: 'concat' }>, placed: Map<string, Placement>, infos: Map<string, TensorInfo>): { input: string; c0: number }[] {
  const out: { input: string; c0: number }[] = [];
  let c0 = 0;
  for (const t of l.inputs) {
    if (placed.get(t)?.concat !== l.name) out.push({ input: t, c0 });
    c0 += infos.get(t)!.shape[0]!;
  }
  return out;
}

/** s_act beats of an upsample gather: tile rows/channels of the [C, H*fy, W*fx] nearest-upsampled source. */
export function upsampleBeats(
  cfg: CoreConfig,
  data: Int32Array,
  shape: readonly [number, number, number],
  f: [number, number],
  tile: { y0: number; rows: number; c0: number; cCount: number },
): bigint[] {
  const [C, H, W] = shape;
  const OH = H * f[0];
  const OW = W * f[1];
  const up = new Int32Array(C * OH * OW);
  for (let c = tile.c0; c < tile.c0 + tile.cCount; c++) {
    for (let y = tile.y0; y < tile.y0 + tile.rows; y++) {
      const src = (c * H + Math.floor(y / f[0])) * W;
      for (let x = 0; x < OW; x++) up[(c * OH + y) * OW + x] = data[src + Math.floor(x / f[1])]!;
    }
  }
  return packTile(cfg, up, [C, OH, OW], tile);
}

/** Readers of a tensor (for messages). */
export function readersOf(model: QuantModel, t: string): string[] {
  return model.layers.filter((l) => layerInputs(l).includes(t)).map((l) => l.name);
}

export function refuse(l: QuantLayer, why: string): never {
  fail(`layer '${l.name}' (${l.op})`, why);
}

/** Where a squeeze-excite job's run-time weights come from: gate tensor `tensor`, job-local channel c = gate c0 + c. */
export interface SeScales {
  tensor: string;
  c0: number;
}

/** The fixed-lane code a squeeze-excite template holds where the gate value goes (the largest WF-bit code). */
export function sePlaceholder(cfg: CoreConfig): number {
  return 2 ** (cfg.WF - 1) - 1;
}

/** Why a gate cannot be a run-time weight of the fixed lanes (undefined: it can). */
export function seGateRefusal(cfg: CoreConfig, gate: string, g: Pick<TensorInfo, 'bits' | 'signed'>): string | undefined {
  const fits = g.signed ? g.bits <= cfg.WF : g.bits <= cfg.WF - 1;
  if (fits && cfg.WF > 4 && cfg.Pf > 0) return undefined;
  if (cfg.Pf === 0) return 'the gate multiplies on the fixed lanes, and this core has none (core.Pf = 0)';
  return `the gate '${gate}' (${g.bits}-bit ${g.signed ? 'signed' : 'unsigned'}) becomes run-time weights of the fixed lanes, which take ${cfg.WF}-bit signed codes: quantize the gate to at most ${cfg.WF - 1} unsigned bits`;
}

/** A squeeze-excite job's program with the gate's values in place of the placeholder codes. */
export function seProgram(cfg: CoreConfig, spec: JobSpec, se: SeScales, gate: ArrayLike<number>): bigint[] {
  const { N, Pf, Ps, WF } = cfg;
  const L = Pf + Ps;
  const ph = sePlaceholder(cfg);
  const fixedWords = spec.fixedWords.map((w, i) => {
    const a = Math.floor(i / Pf);
    const c = spec.chanMap[Math.floor(a / spec.steps) * L + (i % Pf)]!;
    const codes = unpackCodes(w, WF, N, true);
    if (!codes.includes(ph)) return w;
    if (c < 0) throw new Error(`squeeze-excite job ${spec.name}: a placeholder on an idle lane`);
    return packCodes(codes.map((x) => (x === ph ? gate[se.c0 + c]! : x)), WF);
  });
  return encodeProgram(cfg, { ...spec, fixedWords });
}
