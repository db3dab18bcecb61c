/**
 * Record merge of the multi-class CCL core: K channel record streams → one, each record tagged with its class
 * (bits [chWidth +: tagW] above the channel record). Fixed priority (lowest class first) among the channels that
 * have not yet delivered this frame's end-of-frame record: a channel whose end-of-frame record has passed is held
 * until all K have, so the records of one frame never mix with the next. Every channel's end-of-frame record is
 * forwarded (tagged); `m_tlast` is set only on the K-th, which closes the frame. The output is a register loaded
 * only while empty: no combinational path from m_tready to the channels' tready.
 */
import { Module, Expr, lit, cat, mux } from '../../hdl/index.js';
import { axisMaster, axisOutputRegs, axisSlave } from '../../hdl/lib/index.js';

export function buildCclMerge(name: string, K: number, chWidth: number, tagW: number, outWidth: number): Module {
  const m = new Module(`${name}_merge`, {
    doc: `CCL record merge: ${K} class channels, class tag of ${tagW} bits`,
    config: { classes: K, channelWidth: chWidth, tagWidth: tagW, outWidth },
  });
  const ch = Array.from({ length: K }, (_, k) => axisSlave(m, `ch${k}`, chWidth, { last: true, role: `records of class ${k}` }));
  const o = axisMaster(m, 'm', outWidth, { last: true, role: 'tagged records' });
  const done = m.reg('merge_done_q', K); // channels whose end-of-frame record of this frame has passed
  const { valid, data, last } = axisOutputRegs(m, o);
  const free = valid.not();
  const want = ch.map((c, k) => c.tvalid.and(done.slice(k, k).not()));
  const grant: Expr[] = want.map((w, k) => (k === 0 ? w : w.and(or(want.slice(0, k)).not())));
  grant.forEach((g, k) => m.assign(ch[k]!.tready, free.and(g)));
  const any = m.let('merge_any', or(want));
  // the granted channel's record, tag and tlast (priority mux, the last channel as default)
  let rec: Expr = ch[K - 1]!.tdata, tag: Expr = lit(K - 1, tagW), isLast: Expr = ch[K - 1]!.tlast;
  for (let k = K - 2; k >= 0; k--) {
    rec = mux(grant[k]!, ch[k]!.tdata, rec);
    tag = mux(grant[k]!, lit(k, tagW), tag);
    isLast = mux(grant[k]!, ch[k]!.tlast, isLast);
  }
  let doneBit: Expr = lit(0, K);
  for (let k = 0; k < K; k++) doneBit = mux(grant[k]!, lit(1 << k, K), doneBit);
  const newDone = m.let('merge_new_done', done.or(doneBit));
  const allDone = newDone.eq((1 << K) - 1);
  const pad = outWidth - chWidth - tagW;
  m.sync((q) => {
    q.if(valid.and(o.tready), () => q.set(valid, 0));
    q.if(free.and(any), () => {
      q.set(data, cat(...(pad > 0 ? [lit(0, pad)] : []), tag, rec));
      q.set(valid, 1);
      q.set(last, isLast.and(allDone));
      q.if(isLast, () => q.set(done, mux(allDone, lit(0, K), newDone)));
    });
  });
  return m;
}

function or(xs: Expr[]): Expr {
  return xs.reduce((a, b) => a.or(b));
}
