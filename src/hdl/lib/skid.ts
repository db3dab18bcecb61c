/**
 * AXI4-Stream register slice ("skid buffer"): a main output register plus one skid register. Full throughput; every
 * output (s_tready, m_tvalid, m_tdata) comes straight from a register, so there is no combinational path from
 * m_tready to s_tready nor from s_* to m_*.
 */
import { UserError } from '../../util/errors.js';
import { axisMaster, axisSlave } from './axis.js';
import { Module } from '../module.js';

export interface SkidOptions {
  /** tdata width in bits (pack tlast/tuser into it with cat()). */
  width: number;
  /** Module name (default skid_w<width>). */
  name?: string;
}

export function skidBuffer(opts: SkidOptions): Module {
  const w = opts.width;
  if (!Number.isInteger(w) || w < 1) throw new UserError(`skidBuffer.width: ${w} must be a positive integer`);
  const m = new Module(opts.name ?? `skid_w${w}`, {
    doc: 'AXI4-Stream register slice (skid buffer): full throughput, registered outputs, no ready combinational path',
    config: { block: 'skidBuffer', width: w },
  });
  const { tdata: sData, tvalid: sValid, tready: sReady } = axisSlave(m, 's', w);
  const { tdata: mData, tvalid: mValid, tready: mReady } = axisMaster(m, 'm', w);

  const mValidQ = m.reg('m_valid_q', 1, { reset: 0 });
  const mDataQ = m.reg('m_data_q', w, { reset: null });
  const skidValidQ = m.reg('skid_valid_q', 1, { reset: 0 });
  const skidDataQ = m.reg('skid_data_q', w, { reset: null });
  const sReadyQ = m.reg('s_ready_q', 1, { reset: 1 });

  const inFire = m.let('in_fire', sValid.and(sReadyQ));
  const outFree = m.let('out_free', mReady.or(mValidQ.not())); // output register may load this cycle

  m.sync((p) => {
    p.if(outFree, () => {
      p.if(skidValidQ, () => {
        p.set(mDataQ, skidDataQ);
        p.set(mValidQ, 1);
      }).elif(inFire, () => {
        p.set(mDataQ, sData);
        p.set(mValidQ, 1);
      }).else(() => p.set(mValidQ, 0));
      p.set(skidValidQ, 0);
      p.set(sReadyQ, 1);
    }).else(() => {
      p.if(inFire, () => {
        p.set(skidDataQ, sData);
        p.set(skidValidQ, 1);
        p.set(sReadyQ, 0);
      });
    });
  });
  m.assign(sReady, sReadyQ);
  m.assign(mValid, mValidQ);
  m.assign(mData, mDataQ);
  return m;
}
