/** Residual loader (s_res): per output pixel coutGroups beats into one of two residual slots, jobs in order. */
import { cat } from '../../../hdl/index.js';
import { pick, type CoreCtx, type CorePorts } from './context.js';
import type { BankFlags, BankMemories } from './banks.js';
import type { DescriptorBanks } from './descriptor.js';

/** Residual loader (s_res): per output pixel coutGroups beats into one of two residual slots. */
export function residualLoader(c: CoreCtx, io: CorePorts, dsc: DescriptorBanks, bkf: BankFlags, bkm: BankMemories) {
  const { m, flag } = c;
  const { CGB } = c.S;
  const { resData, resValid, resReady } = io;
  const { D } = dsc;
  const { descOk, roundQ, resFull } = bkf;
  const { resMem } = bkm;
  const rj = m.reg('rl_job_q', 2, { reset: 0 });
  const rb = m.let('rl_bank', rj.bit(0));
  const rLoad = flag('rl_load_q');
  const rSlot = flag('rl_slot_q');
  const rGen = flag('rl_gen_q');
  const rg = m.reg('rl_group_q', CGB, { reset: 0 });
  const rox = m.reg('rl_x_q', 16, { reset: 0 });
  const roy = m.reg('rl_y_q', 16, { reset: 0 });
  const rDescReady = m.let('rl_desc_ready', rLoad.not().and(pick(descOk, rb)).and(pick(roundQ, rb).eq(rj.bit(1))));
  const rReady = m.let('rl_ready', rLoad.and(pick(resFull, rSlot).not()));
  m.assign(resReady, rReady);
  const rFire = m.let('rl_fire', rReady.and(resValid));
  const rPixEnd = m.let('rl_pix_end', rFire.and(rg.eq(D('coutGroupsM1', rb))));
  const rLastX = m.let('rl_last_x', rox.eq(D('outWM1', rb)));
  const rLastY = m.let('rl_last_y', roy.eq(D('outHM1', rb)));
  resMem.forEach((mem) => mem.write(rFire, cat(rSlot, rg), resData));
  m.sync((p) => {
    p.if(rDescReady, () => {
      p.if(D('residual', rb), () => {
        p.set(rLoad, 1);
        p.set(rg, 0);
        p.set(rox, 0);
        p.set(roy, 0);
      }).else(() => p.set(rj, rj.add(1).trunc(2)));
    });
    p.if(rFire, () => p.set(rg, rg.add(1).trunc(CGB)));
    p.if(rPixEnd, () => {
      p.set(rg, 0);
      p.set(rSlot, rSlot.not());
      p.if(rSlot, () => p.set(rGen, rGen.not()));
      p.if(rLastX, () => {
        p.set(rox, 0);
        p.if(rLastY, () => {
          p.set(rLoad, 0);
          p.set(rj, rj.add(1).trunc(2));
        }).else(() => p.set(roy, roy.add(1).trunc(16)));
      }).else(() => p.set(rox, rox.add(1).trunc(16)));
    });
  });

  return { rSlot, rGen, rPixEnd };
}
export type ResidualLoader = ReturnType<typeof residualLoader>;
