/**
 * Activation loader (s_act): actWords beats into the job's activation bank, jobs in order; the job may start while
 * its tile streams in (the issuer waits per pixel for the input rows of its window, counted here).
 */
import { cat } from '../../../hdl/index.js';
import { pick, type CoreCtx, type CorePorts } from './context.js';
import type { BankFlags, BankMemories } from './banks.js';
import type { DescriptorBanks } from './descriptor.js';

/** Activation loader (s_act): actWords beats into the job's activation bank, complete input rows counted. */
export function activationLoader(c: CoreCtx, io: CorePorts, dsc: DescriptorBanks, bkf: BankFlags, bkm: BankMemories) {
  const { m, flag } = c;
  const { AW } = c.S;
  const { actData, actValid, actReady } = io;
  const { D } = dsc;
  const { descOk, roundQ, actOk } = bkf;
  const { actMem } = bkm;
  const aj = m.reg('al_job_q', 2, { reset: 0 });
  const ab = m.let('al_bank', aj.bit(0));
  const aLoad = flag('al_load_q');
  const aCnt = m.reg('al_addr_q', AW, { reset: 0 });
  // complete input rows of the job being loaded: the issuer may start a pixel once its window's rows are in
  const aCol = m.reg('al_col_q', AW, { reset: 0 });
  const aRows = m.reg('al_rows_q', 16, { reset: 0 });
  m.assign(actReady, aLoad);
  const aFire = m.let('al_fire', aLoad.and(actValid));
  const aLast = m.let('al_last', aFire.and(aCnt.eq(D('actWordsM1', ab))));
  const aStart = m.let(
    'al_start',
    aLoad.not().and(pick(descOk, ab)).and(pick(roundQ, ab).eq(aj.bit(1))).and(pick(actOk, ab).not()),
  );
  actMem.write(aFire, cat(ab, aCnt), actData);
  m.sync((p) => {
    p.if(aStart, () => {
      p.set(aLoad, 1);
      p.set(aCnt, 0);
      p.set(aCol, 0);
      p.set(aRows, 0);
    });
    p.if(aFire, () => {
      p.set(aCnt, aCnt.add(1).trunc(AW));
      p.if(aCol.eq(D('rowStrideM1', ab)), () => {
        p.set(aCol, 0);
        p.set(aRows, aRows.add(1).trunc(16));
      }).else(() => p.set(aCol, aCol.add(1).trunc(AW)));
    });
    p.if(aLast, () => {
      p.set(aLoad, 0);
      p.set(aj, aj.add(1).trunc(2));
    });
  });

  return { aj, ab, aLoad, aRows, aLast };
}
export type ActivationLoader = ReturnType<typeof activationLoader>;
