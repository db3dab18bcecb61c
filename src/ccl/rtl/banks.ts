/**
 * Cell accumulator banks of the CCL core: two RAMs of Wc cell accumulators (one cell row each). The pixel stage
 * reads and writes the bank it fills; a bank handed to the labeler (`bankN_busy`) is read at the labeler's address.
 */
import { Module, mux } from '../../hdl/index.js';
import type { CclRtlParams } from './params.js';
import { fit } from './util.js';

export function buildCclBanks(p: CclRtlParams): Module {
  const m = new Module(`${p.name}_banks`, {
    doc: `CCL cell accumulator banks: 2 x ${Math.max(2, p.Wc)} x ${p.cellWidth} bits`,
    config: { cells: p.Wc, cellWidth: p.cellWidth },
  });
  const we = [m.input('bank0_we', 1), m.input('bank1_we', 1)];
  const wa = m.input('bank_waddr', p.cxW);
  const wd = m.input('bank_wdata', p.cellWidth);
  const pxAddr = m.input('px_addr', p.cxW);
  const labAddr = m.input('lab_cell_addr', p.cxW);
  const busy = [m.input('bank0_busy', 1), m.input('bank1_busy', 1)];
  const outs = [m.output('bank0_q', p.cellWidth), m.output('bank1_q', p.cellWidth)];
  const depth = Math.max(2, p.Wc);
  const aw = Math.ceil(Math.log2(depth));
  for (const b of [0, 1]) {
    const ram = m.ram(`bank${b}`, { width: p.cellWidth, depth, style: 'auto' });
    const q = ram.read(fit(mux(busy[b]!, labAddr, pxAddr), aw), { name: `bank${b}_rdata_q` });
    ram.write(we[b]!, fit(wa, aw), wd);
    m.assign(outs[b]!, q);
  }
  return m;
}
