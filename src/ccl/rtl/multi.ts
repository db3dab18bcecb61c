/**
 * The multi-class CCL core: one pass over an rgb24 stream labels K colour classes (classes.ts). The top only wires
 * `<core>_classify` (classify.ts: per-class foreground, shared histogram bins, handshake fan-out), K instances of
 * the labeling channel `<core>_channel` (core.ts; one per class, all fed the same words) and `<core>_merge`
 * (merge.ts: tagged records, one frame at a time).
 *
 * Output records: bits [0, chWidth) are the channel's record (record.ts), bits [chWidth, chWidth + tagW) the class
 * index; every class's end-of-frame record is forwarded, m_tlast on the last of a frame's K.
 */
import { Module, Signal, cat } from '../../hdl/index.js';
import { axisMaster, axisSlave } from '../../hdl/lib/index.js';
import type { ColorClass } from '../classes.js';
import type { CclConfig } from '../config.js';
import { bitsFor } from '../features.js';
import { fail } from '../../util/errors.js';
import { cclRtlParams, type CclRtlOptions, type CclRtlParams } from './params.js';
import { buildCclChannel } from './core.js';
import { buildCclClassify } from './classify.js';
import { buildCclMerge } from './merge.js';

export interface CclMultiParams {
  /** The parameters of one class channel (all K are equal). */
  ch: CclRtlParams;
  classes: readonly ColorClass[];
  K: number;
  name: string;
  tagW: number;
  inWidth: number;
  /** Output tdata width: channel record + class tag, rounded up to bytes. */
  outWidth: number;
}

export function cclMultiParams(cfg: CclConfig, classes: readonly ColorClass[], opts: CclRtlOptions): CclMultiParams {
  if (cfg.pixelFormat !== 'rgb24') fail('pixelFormat', `colour classes need rgb24 pixels, got ${cfg.pixelFormat}`);
  if (classes.length < 1 || classes.length > 8) fail('classes', `must list 1..8 classes, got ${classes.length}`);
  const ch = cclRtlParams(cfg, opts);
  const K = classes.length;
  const tagW = bitsFor(K - 1);
  return { ch, classes, K, name: ch.name, tagW, inWidth: ch.inWidth, outWidth: Math.ceil((ch.outWidth + tagW) / 8) * 8 };
}

export function buildCclMultiCore(mp: CclMultiParams): Module {
  const { ch: p, K } = mp;
  const m = new Module(mp.name, {
    doc: `multi-class streaming CCL core: ${K} colour classes (${p.W}x${p.H}, C=${p.C}, P=${p.P}, N=${p.N})`,
    config: {
      width: p.W, height: p.H, cell: p.C, ppc: p.P, minPixels: p.cfg.minPixels, connectivity: p.cfg.connectivity,
      histBins: p.cfg.histBins, colorBits: p.cfg.colorBits, maxObjects: p.N, labelTable: p.Nt,
      classes: mp.classes.map((c) => `${c.name}:${c.space}:${c.lo.join(',')}..${c.hi.join(',')}`).join(' '),
    },
  });
  const s = axisSlave(m, 's', mp.inWidth, { last: true, user: 1, role: 'pixels' });
  const o = axisMaster(m, 'm', mp.outWidth, { last: true, role: 'records' });
  const classify = buildCclClassify(p, mp.classes);
  const channel = buildCclChannel(p);
  const chValid = m.wire('ch_valid', 1);
  const fg = mp.classes.map((_, k) => m.wire(`px_fg${k}`, p.P));
  const binNets = p.histGroups.map((g) => m.wire(`px_${g.cellPrefix}bin`, p.P * g.bits));
  const ready = mp.classes.map((_, k) => m.wire(`ch${k}_s_tready`, 1));
  const rec = mp.classes.map((_, k) => ({
    tdata: m.wire(`ch${k}_tdata`, p.outWidth), tvalid: m.wire(`ch${k}_tvalid`, 1),
    tready: m.wire(`ch${k}_tready`, 1), tlast: m.wire(`ch${k}_tlast`, 1),
  }));
  const binConns = (): Record<string, Signal> => Object.fromEntries(binNets.map((b) => [b.name, b]));
  m.instance(classify, 'u_classify', {
    s_tdata: s.tdata, s_tvalid: s.tvalid, ch_ready: cat(...[...ready].reverse()), s_tready: s.tready, ch_valid: chValid,
    ...Object.fromEntries(fg.map((f, k) => [`px_fg${k}`, f])), ...binConns(),
  });
  mp.classes.forEach((_, k) => {
    m.instance(channel, `u_class${k}`, {
      s_tvalid: chValid, s_tready: ready[k]!, s_tlast: s.tlast, s_tuser: s.tuser, px_fg: fg[k]!, ...binConns(),
      m_tdata: rec[k]!.tdata, m_tvalid: rec[k]!.tvalid, m_tready: rec[k]!.tready, m_tlast: rec[k]!.tlast,
    });
  });
  const merge = buildCclMerge(mp.name, K, p.outWidth, mp.tagW, mp.outWidth);
  const mc: Record<string, Signal> = { m_tdata: o.tdata, m_tvalid: o.tvalid, m_tready: o.tready, m_tlast: o.tlast };
  rec.forEach((r, k) => Object.assign(mc, { [`ch${k}_tdata`]: r.tdata, [`ch${k}_tvalid`]: r.tvalid, [`ch${k}_tready`]: r.tready, [`ch${k}_tlast`]: r.tlast }));
  m.instance(merge, 'u_merge', mc);
  return m;
}
