/**
 * Free labels of the CCL core: a never-used counter (`free_next_q`, from 1) plus a stack of recycled labels (a RAM
 * below a cached top, `free_top_q`; the entry under the top is reloaded the clock after a pop). `alloc` takes a label
 * (the stack first), `push` returns `push_label`, `clear` (end of frame) empties both. `in_use` counts labels held.
 */
import { Module, lit, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { fit } from './util.js';

export function buildCclFree(p: CclRtlParams): Module {
  const { Nt, LW } = p;
  const m = new Module(`${p.name}_free`, { doc: `CCL free-label stack (labels 1..${Nt})`, config: { labels: Nt } });
  const alloc = m.input('alloc', 1);
  const push = m.input('push', 1);
  const pushLabel = m.input('push_label', LW);
  const clear = m.input('clear', 1);
  const allocOk = m.output('alloc_ok', 1);
  const newLabel = m.output('new_label', LW);
  const spW = bitsFor(Nt);
  const inUseOut = m.output('in_use', spW);
  const sp = m.reg('free_sp_q', spW); // recycled labels on the free stack
  const nxtW = bitsFor(Nt + 1);
  const nxt = m.reg('free_next_q', nxtW, { reset: 1 }); // next never-used label
  const top = m.reg('free_top_q', LW); // top of the free stack (cached)
  const reload = m.reg('free_reload_q', 1);
  const inUse = m.reg('free_in_use_q', spW);
  const canPop = sp.ne(0);
  const canNew = nxt.le(lit(Nt, nxtW));
  m.assign(allocOk, canPop.or(canNew));
  m.assign(newLabel, mux(canPop, top, fit(nxt, LW))); // nxt ≤ Nt when used
  m.assign(inUseOut, inUse);
  const depth = Math.max(2, Nt);
  const aw = Math.ceil(Math.log2(depth));
  const stk = m.ram('free_stack', { width: LW, depth, style: 'distributed' });
  const stkQ = stk.read(fit(sp.sub(2), aw), { name: 'free_stack_q' });
  stk.write(push.and(canPop), fit(sp.sub(1), aw), top);
  m.sync((q) => {
    q.if(reload, () => {
      q.set(top, stkQ);
      q.set(reload, 0);
    });
    q.if(push, () => {
      q.set(top, pushLabel);
      q.set(sp, fit(sp.add(1), spW));
      q.set(inUse, fit(inUse.sub(1), spW));
    });
    q.if(alloc, () => {
      q.set(inUse, fit(inUse.add(1), spW));
      q.if(canPop, () => {
        q.set(sp, fit(sp.sub(1), spW));
        q.set(reload, 1);
      }).else(() => q.set(nxt, fit(nxt.add(1), nxtW)));
    });
    q.if(clear, () => {
      q.set(nxt, 1);
      q.set(sp, 0);
      q.set(inUse, 0);
    });
  });
  return m;
}
