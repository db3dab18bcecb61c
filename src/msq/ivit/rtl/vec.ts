/**
 * The nonlinear vector (docs/ivit.md "Nonlinear vector"): `lanes` copies of the nonlinear unit (unit.ts) side by side,
 * row-parallel: lane j takes rows j, j + P, j + 2P, … of a job (P = lanes). s_in carries one 32-bit word per lane
 * in each beat (lane j in bits 32j + 31 .. 32j), m_out one 16-bit result per lane (lane j in bits 16j + 15 .. 16j),
 * tlast from lane 0. The words of a beat are handed to every lane at once (a broadcast join: s_in is ready when every
 * lane is; each lane sees tvalid only when the others are ready too), and a result beat leaves when every lane has
 * one. A row's cycles depend only on its length (cycles.ts), so the lanes run in lockstep and the vector does P rows
 * in the time the unit does one. The job layout per lane is the unit's (job.ts); vec-job.ts splits a job into lanes.
 */
import { Module, cat, type Expr, type Signal } from '../../../hdl/index.js';
import { axisMaster, axisSlave } from '../../../hdl/lib/index.js';
import { fail } from '../../../util/errors.js';
import { NL_OUT_BITS, NL_WORD_BITS } from '../job.js';
import { buildNlUnit } from './unit.js';
import type { NlUnitConfig } from './params.js';

export interface NlVecConfig {
  unit: NlUnitConfig;
  /** lanes (rows in parallel), 1..64 */
  lanes: number;
}

export const NL_LANES_MAX = 64;

export function checkNlVecConfig(c: NlVecConfig): void {
  if (!Number.isInteger(c.lanes) || c.lanes < 1 || c.lanes > NL_LANES_MAX) fail('lanes', `must be 1..${NL_LANES_MAX}, got ${c.lanes}`);
}

const andAll = (xs: Expr[]): Expr => xs.reduce((a, b) => a.and(b));

export function buildNlVec(c: NlVecConfig): Module {
  checkNlVecConfig(c);
  const P = c.lanes;
  const unit = buildNlUnit(c.unit);
  const m = new Module(`ivit_nlvec${P}_${unit.name.replace(/^ivit_nl_/, '')}`, { doc: `I-ViT nonlinear vector: ${P} nonlinear units, row-parallel (src/msq/ivit/rtl/vec.ts)`, config: { lanes: P, ...c.unit } });
  const s = axisSlave(m, 's_in', NL_WORD_BITS * P, { role: 'one job word per lane (lane j in bits 32j+31..32j)' });
  const o = axisMaster(m, 'm_out', NL_OUT_BITS * P, { last: true, role: 'one result per lane, tlast per row' });
  const inReady: Signal[] = [];
  const outValid: Signal[] = [];
  const outData: Signal[] = [];
  const outLast: Signal[] = [];
  for (let j = 0; j < P; j++) {
    inReady.push(m.wire(`lane${j}_in_ready`, 1));
    outValid.push(m.wire(`lane${j}_out_valid`, 1));
    outData.push(m.wire(`lane${j}_out_data`, NL_OUT_BITS));
    const last = m.wire(`lane${j}_out_last`, 1);
    // lockstep lanes: every lane's tlast equals lane 0's
    if (j > 0) last.markUnused();
    outLast.push(last);
  }
  const others = (xs: Signal[], j: number): Expr[] => xs.filter((_, k) => k !== j);
  for (let j = 0; j < P; j++) {
    const rOthers = others(inReady, j);
    const vOthers = others(outValid, j);
    m.instance(unit, `u_lane${j}`, {
      s_in_tdata: s.tdata.slice(NL_WORD_BITS * j + NL_WORD_BITS - 1, NL_WORD_BITS * j),
      s_in_tvalid: rOthers.length ? s.tvalid.and(andAll(rOthers)) : s.tvalid,
      s_in_tready: inReady[j]!,
      m_out_tdata: outData[j]!,
      m_out_tvalid: outValid[j]!,
      m_out_tready: vOthers.length ? o.tready.and(andAll(vOthers)) : o.tready,
      m_out_tlast: outLast[j]!,
    });
  }
  m.assign(s.tready, andAll(inReady));
  m.assign(o.tvalid, andAll(outValid));
  m.assign(o.tlast, outLast[0]!);
  m.assign(o.tdata, P > 1 ? cat(...outData.slice().reverse()) : outData[0]!);
  return m;
}
