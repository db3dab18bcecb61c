/**
 * MSQ heterogeneous GEMM engine generator (docs/msq-engine.md).
 *
 *   planLayer(layer, inputInfo, { N, Pf, Ps })  -> LayerPlan (schedule, widths, ROMs)
 *   generateLayerEngine(plan)                   -> Verilog files, top `msq_engine`
 *   engineSimDesign(plan, rtl)                  -> a SimDesign for src/sim (streams s_act in, m_out out)
 *   packActivations / unpackOutputs             -> tensor <-> stream beats
 */
import type { Beat, SimDesign } from '../../sim/types.js';
import type { LayerPlan } from './plan.js';
import { WGT_STREAM_BITS, type EngineRtl } from './engine.js';

export { planLayer, type LayerPlan, type EngineShape } from './plan.js';
export { generateLayerEngine, weightSetBeats, chanMapEntries, REQUANT_STAGES, WGT_STREAM_BITS, type EngineRtl, type EngineOptions } from './engine.js';
export { laneLatency, treeDepth } from './lanes.js';

/** The engine as a design for the simulation harness. */
export function engineSimDesign(plan: LayerPlan, rtl: EngineRtl): SimDesign {
  return {
    top: rtl.top,
    files: rtl.files,
    streams: [
      { name: 's_act', dir: 'in', dataWidth: plan.shape.N * plan.inBits },
      ...(rtl.weights === 'stream' ? [{ name: 's_wgt', dir: 'in' as const, dataWidth: WGT_STREAM_BITS }] : []),
      { name: 'm_out', dir: 'out', dataWidth: plan.shape.N * plan.outBits, last: true },
    ],
  };
}

/** Pack a [C, H, W] tensor (row-major; linear: [C]) into s_act beats: per pixel ceil(C/N) beats of N channels. */
export function packActivations(data: ArrayLike<number>, c: number, h: number, w: number, N: number, bits: number): Beat[] {
  const beats: Beat[] = [];
  const groups = Math.ceil(c / N);
  const mask = (1n << BigInt(bits)) - 1n;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let g = 0; g < groups; g++) {
        let word = 0n;
        for (let n = N - 1; n >= 0; n--) {
          const ch = g * N + n;
          const v = ch < c ? data[(ch * h + y) * w + x]! : 0;
          word = (word << BigInt(bits)) | (BigInt(v) & mask);
        }
        beats.push({ data: word });
      }
    }
  }
  return beats;
}

/** Expected m_out beats for a [C, H, W] output tensor (tlast on the final beat). */
export function outputBeats(data: ArrayLike<number>, c: number, h: number, w: number, N: number, bits: number): Beat[] {
  const beats = packActivations(data, c, h, w, N, bits);
  return beats.map((b, i) => ({ data: b.data, last: i === beats.length - 1 }));
}

/** Unpack m_out beats back into a [C, H, W] tensor (row-major), two's complement when `signed`. */
export function unpackOutputs(beats: readonly Beat[], c: number, h: number, w: number, N: number, bits: number, signed: boolean): Int32Array {
  const out = new Int32Array(c * h * w);
  const groups = Math.ceil(c / N);
  const mask = (1n << BigInt(bits)) - 1n;
  beats.forEach((b, i) => {
    const pix = Math.floor(i / groups);
    const g = i % groups;
    const y = Math.floor(pix / w);
    const x = pix % w;
    for (let n = 0; n < N; n++) {
      const ch = g * N + n;
      if (ch >= c) continue;
      let v = Number((b.data >> BigInt(n * bits)) & mask);
      if (signed && v >= 2 ** (bits - 1)) v -= 2 ** bits;
      out[(ch * h + y) * w + x] = v;
    }
  });
  return out;
}
