/**
 * A ViT program's nonlinear steps (lower.ts `nl`: layernorm / softmax / gelu) as jobs of the nonlinear unit / vector
 * (src/msq/ivit/job.ts): the rows of a [C, H, W] tensor are its positions' channel vectors (softmax: one row per
 * channel group and position, group-major), the layer's integer params become the job's fields. ShiftGELU is
 * elementwise, so rows longer than the unit's row buffer are cut into equal parts. The golden model reads rows the
 * same way (golden-ops.ts perPosition uses tensorRows / putRows).
 */
import type { NlJob } from '../ivit/job.js';
import type { TensorInfo } from '../model.js';
import type { VitQuantLayer } from './check.js';
import type { VitProgram, VitStep } from './lower.js';

/** Rows of a [C, H, W] tensor: for each group g and position p, channels g·C/groups … (g+1)·C/groups − 1. */
export function tensorRows(x: ArrayLike<number>, shape: readonly number[], groups: number): number[][] {
  const [C, H, W] = shape as [number, number, number];
  const P = H * W;
  const L = C / groups;
  const rows: number[][] = [];
  for (let g = 0; g < groups; g++) for (let p = 0; p < P; p++) rows.push(Array.from({ length: L }, (_, k) => x[(g * L + k) * P + p]!));
  return rows;
}

/** The inverse of tensorRows. */
export function putRows(rows: readonly (readonly number[])[], shape: readonly number[], groups: number): Int32Array {
  const [C, H, W] = shape as [number, number, number];
  const P = H * W;
  const L = C / groups;
  const y = new Int32Array(C * P);
  rows.forEach((r, i) => {
    const g = Math.floor(i / P);
    const p = i % P;
    for (let k = 0; k < L; k++) y[(g * L + k) * P + p] = r[k]!;
  });
  return y;
}

type NlLayer = Extract<VitQuantLayer, { op: 'layernorm' | 'softmax' | 'gelu' }>;

/** Parts a row of `len` is cut into (ShiftGELU only) so that each fits a row buffer of maxLen. */
function geluParts(len: number, maxLen: number): number {
  for (let k = Math.ceil(len / maxLen); k <= len; k++) if (len % k === 0) return k;
  return len;
}

/** The nonlinear job of step `s` on the tensors computed so far; `rows` gives its result back as the layer's tensor. */
export function nlStepJob(p: VitProgram, s: Extract<VitStep, { kind: 'nl' }>, t: ReadonlyMap<string, ArrayLike<number>>): { job: NlJob; tensor: (rows: number[][]) => Int32Array } {
  const l = p.model.layers.find((x) => x.name === s.layer) as NlLayer;
  const inInfo = p.infos.get(l.input)! as TensorInfo;
  const out = p.infos.get(l.name)! as TensorInfo;
  const groups = l.op === 'softmax' ? l.groups : 1;
  const rows = tensorRows(t.get(l.input)!, inInfo.shape, groups);
  const q = { M: l.params.M as number, S: l.params.S as number, bits: out.bits, signed: out.signed };
  if (l.op === 'softmax') return { job: { mode: 'shiftmax', frac: l.params.frac as number, rows }, tensor: (r) => putRows(r, inInfo.shape, groups) };
  if (l.op === 'layernorm') {
    const job: NlJob = { mode: 'layernorm', frac: 0, rows, out: q, ln: { gamma: l.params.gamma as number[], beta: l.params.beta as number[], eps: l.params.eps as number } };
    return { job, tensor: (r) => putRows(r, inInfo.shape, 1) };
  }
  const k = geluParts(s.len, p.nl.maxLen);
  const n = s.len / k;
  const cut = rows.flatMap((r) => Array.from({ length: k }, (_, i) => r.slice(i * n, i * n + n)));
  return { job: { mode: 'shiftgelu', frac: l.params.frac as number, rows: cut, out: q }, tensor: (r) => putRows(Array.from({ length: rows.length }, (_, i) => r.slice(i * k, i * k + k).flat()), inInfo.shape, 1) };
}
