/**
 * Stream fork (broadcast) for residual branches (docs/msq-units.md): every input beat goes to both outputs. Each
 * output has its own skid buffer, and the input is taken only when both skid buffers can take it, so s_tready comes
 * from registers only and the two outputs may drain at different times (a slow branch holds back the fast one by
 * at most two beats).
 */
import { Module, cat } from '../../../hdl/index.js';
import { skidBuffer } from '../../../hdl/lib/index.js';

export function forkUnit(name: string, width: number): Module {
  const m = new Module(name, { doc: 'AXI4-Stream fork: each beat (tdata, tlast) to both outputs', config: { unit: 'fork', width } });
  const sData = m.input('s_tdata', width);
  const sLast = m.input('s_tlast', 1);
  const sValid = m.input('s_tvalid', 1);
  const sReady = m.output('s_tready', 1);
  const skid = skidBuffer({ width: width + 1, name: `${name}_skid` });
  const both = m.wire('both_ready', 1);
  const outs = ['a', 'b'].map((x) => {
    const d = m.output(`m_${x}_tdata`, width);
    const l = m.output(`m_${x}_tlast`, 1);
    const v = m.output(`m_${x}_tvalid`, 1);
    const r = m.input(`m_${x}_tready`, 1);
    const sr = m.wire(`${x}_s_ready`, 1);
    const md = m.wire(`${x}_data`, width + 1);
    m.instance(skid, `u_skid_${x}`, { s_tdata: cat(sLast, sData), s_tvalid: sValid.and(both), s_tready: sr, m_tdata: md, m_tvalid: v, m_tready: r });
    m.assign(d, md.slice(width - 1, 0));
    m.assign(l, md.bit(width));
    return sr;
  });
  m.assign(both, outs[0]!.and(outs[1]!));
  m.assign(sReady, both);
  return m;
}
