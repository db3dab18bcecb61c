/**
 * The streaming CCL core (docs/ccl.md "Architecture"): a top that only wires its builder submodules, one Verilog
 * module (and file) each:
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
import { Module } from '../../hdl/index.js';
import { axisMaster, axisSlave } from '../../hdl/lib/index.js';
import type { CclRtlParams } from './params.js';
import { buildCclDecode } from './decode.js';
import { buildCclPixel } from './pixel.js';
import { buildCclBanks } from './banks.js';
import { buildCclLabeler } from './labeler.js';
import { buildCclCellFeat } from './cellfeat.js';
import { buildCclFeat } from './feat.js';
import { buildCclFree } from './free.js';
import { buildCclOut } from './out.js';
import { wireByName, type WiredChild } from './util.js';

/** The labeling channel's submodules (everything after the pixel decoder), wired by net name. */
export function cclChannelChildren(p: CclRtlParams, prefix = ''): WiredChild[] {
  return [
    { module: buildCclPixel(p), name: `${prefix}u_pixel` },
    { module: buildCclBanks(p), name: `${prefix}u_banks` },
    { module: buildCclLabeler(p), name: `${prefix}u_labeler` },
    { module: buildCclCellFeat(p), name: `${prefix}u_cellfeat`, rename: { load: 'cell_load' } },
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
    m_tdata: o.tdata, m_tready: o.tready, m_tlast: o.tlast,
  };
  const nets = wireByName(m, [{ module: buildCclDecode(p), name: 'u_decode' }, ...cclChannelChildren(p)], ports);
  m.assign(o.tvalid, nets.get('out_valid')!);
  return m;
}
