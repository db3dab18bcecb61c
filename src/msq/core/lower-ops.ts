/**
 * Compiler support for the channel ops (issue 12), used by compile.ts:
 *  - concat: each input produced by a job whose only reader is the concat is WRITTEN IN PLACE at its channel offset
 *    of the concat's host tensor (the job's m_out region starts at that channel: no copy job); any other input (the
 *    model input, a tensor with other readers, another concat) is copied there by an identity job (1x1 avgpool,
 *    M 2, S 1: y = x).
 *  - resize (nearest, integer factors): an identity job whose s_act the host gathers with each pixel repeated
 *    (act source kind 'upsample', like the im2col gather; export-data.ts reads its index tables off the same code).
 *  - the core cannot run yet: lut (pointwise lookup tables: the requantizer has no LUT stage), mulchannel (a run-time
 *    per-channel multiplier), average pools whose divisor differs between windows; each is a one-line error.
 */
import { fail } from '../../util/errors.js';
import { avgPoolVaries, layerInputs, type QuantLayer, type QuantModel, type TensorInfo } from '../model.js';
import type { CoreConfig } from './config.js';
import { packTile } from './job.js';

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
    case 'lut':
      return `${l.fn} as a lookup table needs the requantizer's per-layer LUT stage, which this core does not have yet (golden model and accuracy run it; on the core use ReLU / Clip)`;
    case 'mulchannel':
      return 'a per-channel multiply by a run-time vector (squeeze-excite) needs run-time depthwise weights, which this core does not have yet (golden model and accuracy run it)';
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
