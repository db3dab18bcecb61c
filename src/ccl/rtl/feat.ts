/**
 * Feature table of the CCL core: one entry of all feature sums (featureLayout order plus `first`) per live label,
 * and the merge of the entry read (`feat_q`) with an operand from the labeler (`merge_b`): sums add (disjoint pixel
 * sets of one object, so they fit by construction), xmin/ymin/first take the minimum, xmax/ymax the maximum.
 */
import { Module } from '../../hdl/index.js';
import type { CclRtlParams } from './params.js';
import { fit, maxE, minE, pack, unpack } from './util.js';

export function buildCclFeat(p: CclRtlParams): Module {
  const depth = Math.max(2, p.Nt + 1); // labels 1..Nt (+ the unused label 0)
  const m = new Module(`${p.name}_feat`, {
    doc: `CCL feature table: ${depth} x ${p.featWidth} bits, with the feature merge`,
    config: { entries: depth, featWidth: p.featWidth, fields: p.featFields.map((f) => `${f.name}:${f.width}`).join(',') },
  });
  const aw = Math.ceil(Math.log2(depth));
  const ra = m.input('feat_raddr', p.LW);
  const we = m.input('feat_we', 1);
  const wa = m.input('feat_waddr', p.LW);
  const wd = m.input('feat_wdata', p.featWidth);
  const mb = m.input('merge_b', p.featWidth);
  const featQ = m.output('feat_q', p.featWidth);
  const merged = m.output('feat_merged', p.featWidth);
  const ram = m.ram('feat', { width: p.featWidth, depth, style: 'auto' });
  const q = ram.read(fit(ra, aw), { name: 'feat_rdata_q' });
  ram.write(we, fit(wa, aw), wd);
  m.assign(featQ, q);
  const fa = unpack(q, p.featFields);
  const fb = unpack(mb, p.featFields);
  const v: Record<string, ReturnType<typeof fit>> = {};
  for (const f of p.featFields) {
    const a = fa[f.name]!, b = fb[f.name]!;
    if (f.name === 'xmin' || f.name === 'ymin' || f.name === 'first') v[f.name] = minE(a, b);
    else if (f.name === 'xmax' || f.name === 'ymax') v[f.name] = maxE(a, b);
    else v[f.name] = fit(a.add(b), f.width);
  }
  m.assign(merged, pack(v, p.featFields));
  return m;
}
