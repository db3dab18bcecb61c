/**
 * Simulation top for the CCL core: the core plus a filler that makes the record stream a known length, because the
 * number of records of a frame is what we want to learn. After `frames` end-of-frame records have passed through,
 * it emits filler beats (top bit set) until `total` beats have been delivered; the harness then expects exactly
 * `total` beats. Records pass through unchanged (tdata gains one top bit: 0 = record, 1 = filler).
 */
import { Module, lit, cat, mux, type Expr } from '../../hdl/index.js';
import { axisMaster, axisSlave } from '../../hdl/lib/axis.js';

export const SIM_COUNT_WIDTH = 32;

/** What the filler needs to know of the core it wraps. */
export interface SimTopShape {
  name: string;
  inWidth: number;
  outWidth: number;
}

/** `extra` declares the top's ports for core ports beyond the streams (e.g. an AXI4-Lite slave) and returns their connections. */
export function buildCclSimTop(p: SimTopShape, core: Module, extra?: (m: Module) => Record<string, Expr>): Module {
  const m = new Module(`${p.name}_simtop`, { doc: 'CCL core + record-stream filler for simulation', config: { core: p.name } });
  const s = axisSlave(m, 's', p.inWidth, { last: true, user: 1, role: 'pixels (tuser: start of frame)' });
  const r = axisMaster(m, 'r', p.outWidth + 1, { last: true, role: 'records (top bit 0), then filler beats (top bit 1)' });
  const { tdata: sData, tvalid: sValid, tready: sReady, tlast: sLast, tuser: sUser } = s;
  const { tdata: rData, tvalid: rValid, tready: rReady, tlast: rLast } = r;
  const frames = m.input('frames', SIM_COUNT_WIDTH);
  const total = m.input('total', SIM_COUNT_WIDTH);

  const cData = m.wire('core_m_tdata', p.outWidth);
  const cValid = m.wire('core_m_tvalid', 1);
  const cLast = m.wire('core_m_tlast', 1);
  const cReady = m.wire('core_m_tready', 1);
  m.instance(core, 'u_core', {
    s_tdata: sData, s_tvalid: sValid, s_tready: sReady, s_tlast: sLast, s_tuser: sUser,
    m_tdata: cData, m_tvalid: cValid, m_tready: cReady, m_tlast: cLast, ...extra?.(m),
  });
  const eofs = m.reg('eofs', SIM_COUNT_WIDTH);
  const sent = m.reg('sent', SIM_COUNT_WIDTH);
  const pass = m.let('pass', eofs.ne(frames));
  const fillValid = pass.not().and(sent.ne(total));
  m.assign(cReady, pass.and(rReady));
  m.assign(rValid, mux(pass, cValid, fillValid));
  m.assign(rData, mux(pass, cat(lit(0, 1), cData), cat(lit(1, 1), lit(0, p.outWidth))));
  m.assign(rLast, pass.and(cLast));
  const fire = m.let('fire', mux(pass, cValid, fillValid).and(rReady));
  m.sync((q) => {
    q.if(fire, () => q.set(sent, sent.add(1).trunc(SIM_COUNT_WIDTH)));
    q.if(pass.and(cValid).and(rReady).and(cLast), () => q.set(eofs, eofs.add(1).trunc(SIM_COUNT_WIDTH)));
  });
  return m;
}
