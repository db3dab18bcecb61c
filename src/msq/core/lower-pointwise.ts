/**
 * Lowerings of the pointwise ops (issue 12): a `lut` layer that no GEMM job carries (fusion.ts fuses a table into the
 * GEMM writing its input) rides a 1x1 identity AVGPOOL job (M 2, S 1: y = x) with the table; a squeeze-excite
 * `mulchannel` x * s[c] is a depthwise 1x1 GEMM on the fixed lanes whose weights the host writes from the gate s at
 * run time (lower-ops.ts seProgram; the template holds sePlaceholder where s[c] goes).
 */
import { actRange } from '../conventions.js';
import { geometryOf, POINT_WINDOW } from '../geometry.js';
import type { Filter, QuantLayer } from '../model.js';
import { ZERO, type Gemm } from './gemm.js';
import { lowerGemm } from './lower-gemm.js';
import { lutOf, refuse, seGateRefusal, sePlaceholder } from './lower-ops.js';
import { lowerPool } from './lower-pool.js';
import type { Lowering } from './lowering.js';

export const lowerLut: Lowering<Extract<QuantLayer, { op: 'lut' }>> = (ctx, l) => {
  const x = ctx.hostOf(l.input, l.name);
  const xi = ctx.info(l.input);
  const [lo, hi] = actRange(xi.bits, xi.signed);
  const { out, place } = ctx.target(l.name);
  const lut = lutOf(l, xi);
  const js = lowerPool(ctx.cfg, {
    layer: l.name, op: 'avgpool', input: x, outName: out.name, outSigned: lut.signed, place,
    ...POINT_WINDOW, outH: x.shape[1], outW: x.shape[2], M: 2, S: 1, lo, hi, lut,
  });
  ctx.emit(l.name, `${l.fn} table on a 1x1 identity job`, js);
};

export const lowerSe: Lowering<Extract<QuantLayer, { op: 'mulchannel' }>> = (ctx, l) => {
  const { cfg } = ctx;
  const x = ctx.hostOf(l.inputs[0], l.name);
  const why = seGateRefusal(cfg, l.inputs[1], ctx.info(l.inputs[1]));
  if (why) refuse(l, why);
  const C = x.shape[0];
  const o = ctx.info(l.name);
  const [lo, hi] = actRange(o.bits, o.signed);
  const ph = sePlaceholder(cfg);
  const filters: Filter[] = Array.from({ length: C }, () => ({ scheme: 'fixed', bits: cfg.WF, alpha: 1, weights: [ph], bias: 0, M: l.M, S: l.S }));
  const g: Gemm = {
    layer: l.name, ...geometryOf(POINT_WINDOW, x.shape, x.shape), filters, code: (j, ci) => (ci === j ? 0 : ZERO), depthwise: true, lo, hi,
  };
  const { out, place } = ctx.target(l.name);
  const js = lowerGemm(cfg, { gemm: g, input: x, outName: out.name, outSigned: o.signed, im2col: false, place });
  const gate = ctx.hostOf(l.inputs[1], l.name).name;
  for (const j of js) j.se = { tensor: gate, c0: j.out.c0 - (place?.c0 ?? 0) };
  ctx.emit(l.name, `squeeze-excite as a depthwise 1x1 job, weights = '${l.inputs[1]}' at run time`, js);
};
