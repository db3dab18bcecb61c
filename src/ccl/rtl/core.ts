/**
 * The streaming CCL core (docs/ccl.md "Architecture"): a top that only wires its builder submodules, one Verilog
 * module (and file) each — the decoder and one labeling channel (`<core>_channel`, itself only wiring) of:
 *
 *  - `<core>_decode` (decode.ts): P pixels → foreground bits and histogram bins
 *  - `<core>_pixel` (pixel.ts): position counters, word moments, cell-accumulator read-modify-write, bank hand-over
 *  - `<core>_banks` (banks.ts): the two cell-row banks of cell accumulators
 *  - `<core>_labeler` (labeler.ts): the label ring and the labeling state machine
 *  - `<core>_cellfeat` (cellfeat.ts): a cell's features in frame coordinates
 *  - `<core>_feat` (feat.ts): the feature table of live labels and the feature merge
 *  - `<core>_free` (free.ts): the free-label stack
 *  - `<core>_out` (out.ts): the record output register (AXI4-Stream master)
 */
import { Module, Signal } from '../../hdl/index.js';
import { axisMaster, axisSlave } from '../../hdl/lib/index.js';
import type { CclRtlParams } from './params.js';
import { binPorts, buildCclDecode } from './decode.js';
import { buildCclPixel } from './pixel.js';
import { buildCclBanks } from './banks.js';
import { buildCclLabeler } from './labeler.js';
import { buildCclCellFeat } from './cellfeat.js';
import { buildCclFeat } from './feat.js';
import { buildCclFree } from './free.js';
import { buildCclOut } from './out.js';
import { buildCclRuns } from './runs.js';
import { buildCclRunLab } from './runlab.js';
import { wireByName, type WiredChild } from './util.js';

/** The labeling channel's submodules (everything after the pixel decoder), wired by net name. */
export function cclChannelChildren(p: CclRtlParams, prefix = ''): WiredChild[] {
  const front: WiredChild[] = p.pixelExact
    ? [
      { module: buildCclRuns(p), name: `${prefix}u_runs` },
      { module: buildCclRunLab(p), name: `${prefix}u_runlab` },
    ]
    : [
      { module: buildCclPixel(p), name: `${prefix}u_pixel` },
      { module: buildCclBanks(p), name: `${prefix}u_banks` },
      { module: buildCclLabeler(p), name: `${prefix}u_labeler` },
      { module: buildCclCellFeat(p), name: `${prefix}u_cellfeat`, rename: { load: 'cell_load' } },
    ];
  return [
    ...front,
    { module: buildCclFeat(p), name: `${prefix}u_feat` },
    {
      module: buildCclFree(p), name: `${prefix}u_free`,
      rename: { alloc: 'free_alloc', push: 'free_push', push_label: 'free_push_label', clear: 'free_clear' },
    },
    {
      module: buildCclOut(p.name, p.outWidth), name: `${prefix}u_out`,
      rename: { load: 'out_load', load_data: 'out_data', load_last: 'out_last', m_tvalid: 'out_valid' },
    },
  ];
}

/**
 * One labeling channel: everything after the pixel decoder, wired by net name. Ports: s_tvalid / s_tready /
 * s_tlast / s_tuser (the pixel stream's handshake and framing), px_fg and the bin buses (the decoded word), and the
 * record stream m_*. The single-class core is decoder + one channel; the multi-class core (multi.ts) is the
 * classifier + K channels sharing the pixel stream + the record merge.
 */
export function buildCclChannel(p: CclRtlParams): Module {
  const m = new Module(`${p.name}_channel`, {
    doc: `CCL labeling channel (${p.W}x${p.H}, C=${p.C}, P=${p.P}, N=${p.N})`,
    config: { width: p.W, height: p.H, cell: p.C, ppc: p.P, minPixels: p.cfg.minPixels, connectivity: p.cfg.connectivity, maxObjects: p.N, labelTable: p.Nt },
  });
  const ports: Record<string, Signal> = {
    s_tvalid: m.input('s_tvalid', 1), s_tready: m.output('s_tready', 1), s_tlast: m.input('s_tlast', 1), s_tuser: m.input('s_tuser', 1),
    px_fg: m.input('px_fg', p.P),
  };
  for (const b of binPorts(m, p, 'input')) ports[b.name] = b;
  const o = axisMaster(m, 'm', p.outWidth, { last: true, role: 'records' });
  Object.assign(ports, { m_tdata: o.tdata, m_tready: o.tready, m_tlast: o.tlast });
  const nets = wireByName(m, cclChannelChildren(p), ports);
  m.assign(o.tvalid, nets.get('out_valid')!);
  return m;
}

export function buildCclCore(p: CclRtlParams): Module {
  const { cfg, W, C, P, N, Nt } = p;
  const m = new Module(p.name, {
    doc: `streaming cell-partitioned connected-component labeling core (${W}x${p.H}, C=${C}, P=${P}, N=${N})`,
    config: {
      width: W, height: p.H, cell: C, ppc: P, minPixels: cfg.minPixels, connectivity: cfg.connectivity,
      pixelFormat: cfg.pixelFormat, threshold: cfg.threshold, rgbLo: cfg.rgbLo.join(','), rgbHi: cfg.rgbHi.join(','),
      histBins: cfg.histBins, colorBits: cfg.colorBits, maxObjects: N, labelTable: Nt,
    },
  });
  const s = axisSlave(m, 's', p.inWidth, { last: true, user: 1, role: 'pixels' });
  const o = axisMaster(m, 'm', p.outWidth, { last: true, role: 'records' });
  const ports = {
    s_tdata: s.tdata, s_tvalid: s.tvalid, s_tready: s.tready, s_tlast: s.tlast, s_tuser: s.tuser,
    m_tdata: o.tdata, m_tvalid: o.tvalid, m_tready: o.tready, m_tlast: o.tlast,
  };
  wireByName(m, [{ module: buildCclDecode(p), name: 'u_decode' }, { module: buildCclChannel(p), name: 'u_channel' }], ports);
  return m;
}
