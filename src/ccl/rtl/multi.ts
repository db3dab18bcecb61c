/**
 * The multi-class CCL core: one pass over an rgb24 stream labels K colour classes (classes.ts). The top only wires
 * `<core>_classify` (classify.ts: per-class foreground, shared histogram bins, handshake fan-out), K instances of
 * the labeling channel `<core>_channel` (core.ts; one per class, all fed the same words) and `<core>_merge`
 * (merge.ts: tagged records, one frame at a time).
 *
 * Classifier choice (`lutBits`): by default each class is its range test (classify.ts); with lutBits = q the pixel
 * stream first passes the run-time loadable 3-D lookup table (classifier-lut.ts, one clock of latency, its
 * AXI4-Lite slave s_axil_* on the top: load the table, then set CTRL.run — pixels wait until then) and class k's
 * foreground is bit k of each pixel's table entry (classes-lut.ts `compileClassLut` makes the table from the class
 * file; any table can be loaded).
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
import { buildLutClassifier, declareAxilPorts } from './classifier-lut.js';
import { checkLutBits } from '../classes-lut.js';

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
  /** Lookup-table classifier: quantisation bits per channel; null: the class range tests. */
  lutBits: number | null;
}

export interface CclMultiOptions extends CclRtlOptions {
  /** Classify by the run-time loadable lookup table with this many bits per channel (2..6) instead of the ranges. */
  lutBits?: number;
}

export function cclMultiParams(cfg: CclConfig, classes: readonly ColorClass[], opts: CclMultiOptions): CclMultiParams {
  if (cfg.pixelFormat !== 'rgb24') fail('pixelFormat', `colour classes need rgb24 pixels, got ${cfg.pixelFormat}`);
  if (classes.length < 1 || classes.length > 8) fail('classes', `must list 1..8 classes, got ${classes.length}`);
  const ch = cclRtlParams(cfg, opts);
  const K = classes.length;
  const tagW = bitsFor(K - 1);
  if (opts.lutBits !== undefined) checkLutBits(opts.lutBits, 'lutBits');
  return {
    ch, classes, K, name: ch.name, tagW, inWidth: ch.inWidth, outWidth: Math.ceil((ch.outWidth + tagW) / 8) * 8, lutBits: opts.lutBits ?? null,
  };
}

export function buildCclMultiCore(mp: CclMultiParams): Module {
  const { ch: p, K } = mp;
  const m = new Module(mp.name, {
    doc: `multi-class streaming CCL core: ${K} colour classes (${p.W}x${p.H}, C=${p.C}, P=${p.P}, N=${p.N})`,
    config: {
      width: p.W, height: p.H, cell: p.C, ppc: p.P, minPixels: p.cfg.minPixels, connectivity: p.cfg.connectivity,
      histBins: p.cfg.histBins, colorBits: p.cfg.colorBits, maxObjects: p.N, labelTable: p.Nt,
      classes: mp.lutBits ? mp.classes.map((c) => c.name).join(' ') : mp.classes.map((c) => `${c.name}:${c.space}:${c.lo.join(',')}..${c.hi.join(',')}`).join(' '),
      classifier: mp.lutBits ? `lookup table q=${mp.lutBits}` : 'ranges',
    },
  });
  const s = axisSlave(m, 's', mp.inWidth, { last: true, user: 1, role: 'pixels' });
  const o = axisMaster(m, 'm', mp.outWidth, { last: true, role: 'records' });
  // the pixel words the classifier fan-out sees: the input stream, or the lookup-table stage's {pixels, masks}
  let px = { tdata: s.tdata as Signal, tvalid: s.tvalid, tready: s.tready, tlast: s.tlast!, tuser: s.tuser! };
  if (mp.lutBits) {
    const lut = buildLutClassifier({ bits: mp.lutBits, classes: K, ppc: p.P, name: `${mp.name}_lutcls` });
    px = {
      tdata: m.wire('cls_tdata', mp.inWidth + K * p.P), tvalid: m.wire('cls_tvalid', 1), tready: m.wire('cls_tready', 1),
      tlast: m.wire('cls_tlast', 1), tuser: m.wire('cls_tuser', 1),
    };
    m.instance(lut, 'u_lutcls', {
      s_px_tdata: s.tdata, s_px_tvalid: s.tvalid, s_px_tready: s.tready, s_px_tlast: s.tlast!, s_px_tuser: s.tuser!,
      m_cls_tdata: px.tdata, m_cls_tvalid: px.tvalid, m_cls_tready: px.tready, m_cls_tlast: px.tlast, m_cls_tuser: px.tuser,
      ...declareAxilPorts(m, mp.lutBits),
    });
  }
  const classify = buildCclClassify(p, mp.classes, { masks: mp.lutBits !== null });
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
    s_tdata: px.tdata, s_tvalid: px.tvalid, ch_ready: cat(...[...ready].reverse()), s_tready: px.tready, ch_valid: chValid,
    ...Object.fromEntries(fg.map((f, k) => [`px_fg${k}`, f])), ...binConns(),
  });
  mp.classes.forEach((_, k) => {
    m.instance(channel, `u_class${k}`, {
      s_tvalid: chValid, s_tready: ready[k]!, s_tlast: px.tlast, s_tuser: px.tuser, px_fg: fg[k]!, ...binConns(),
      m_tdata: rec[k]!.tdata, m_tvalid: rec[k]!.tvalid, m_tready: rec[k]!.tready, m_tlast: rec[k]!.tlast,
    });
  });
  const merge = buildCclMerge(mp.name, K, p.outWidth, mp.tagW, mp.outWidth);
  const mc: Record<string, Signal> = { m_tdata: o.tdata, m_tvalid: o.tvalid, m_tready: o.tready, m_tlast: o.tlast };
  rec.forEach((r, k) => Object.assign(mc, { [`ch${k}_tdata`]: r.tdata, [`ch${k}_tvalid`]: r.tvalid, [`ch${k}_tready`]: r.tready, [`ch${k}_tlast`]: r.tlast }));
  m.instance(merge, 'u_merge', mc);
  return m;
}
