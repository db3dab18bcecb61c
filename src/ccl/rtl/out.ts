/**
 * Record output register of the CCL core: an AXI4-Stream master holding one record. `load` (only while the register
 * is empty, `m_tvalid` low) takes `load_data` / `load_last`; the record leaves on m_tvalid && m_tready.
 */
import { Module } from '../../hdl/index.js';
import { axisMaster, axisOutputRegs } from '../../hdl/lib/axis.js';

export function buildCclOut(name: string, width: number): Module {
  const m = new Module(`${name}_out`, { doc: `CCL record output register (${width} bits)`, config: { width } });
  const load = m.input('load', 1);
  const loadData = m.input('load_data', width);
  const loadLast = m.input('load_last', 1);
  const mst = axisMaster(m, 'm', width, { last: true, role: 'records' });
  const { valid, data, last } = axisOutputRegs(m, mst);
  m.sync((q) => {
    q.if(valid.and(mst.tready), () => q.set(valid, 0));
    q.if(load, () => {
      q.set(data, loadData);
      q.set(last, loadLast);
      q.set(valid, 1);
    });
  });
  return m;
}
