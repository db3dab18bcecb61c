/**
 * The run-time loadable 3-D lookup-table pixel classifier (golden model and register map: src/ccl/classes-lut.ts):
 * an AXI4-Stream stage that turns P rgb24 pixels per word into P K-bit class masks, with the table written over an
 * AXI4-Lite slave. The alternative to the per-class boxes of classify.ts: any colour region can be a class, and
 * the classes change without regenerating the core.
 *
 *   s_px  (tdata P×24, pixel j in bits 24j+23..24j, R low byte; tlast, tuser passed through)
 *   m_cls (tdata = {pixels, masks}: masks in the low P×K bits, pixel j's mask in bits Kj+K−1..Kj, the pixels above)
 *   s_axil_* AXI4-Lite slave (32-bit data, address width 3q+3, no prot), one outstanding write and read.
 *
 * One table copy per pixel lane (a RAM with one synchronous read port each, all written together), so P lookups a
 * clock; latency one clock; the read enable is the input handshake, so the looked-up masks hold while the output
 * stalls. Pixels are accepted only while CTRL.run = 1.
 */
import { Module, cat, lit, mux, type Expr, type Signal } from '../../hdl/index.js';
import { axisMaster, axisSlave } from '../../hdl/lib/index.js';
import { AXIL_SLVERR, checkLutBits, lutInfo } from '../classes-lut.js';
import { MAX_CLASSES } from '../classes.js';
import { fail } from '../../util/errors.js';

export interface LutClassifierParams {
  /** Quantisation bits per channel (2..6). */
  bits: number;
  /** Classes K (1..8). */
  classes: number;
  /** Pixels per word P (1, 2, 4, 8). */
  ppc: number;
  /** Module name (default ccl_lutcls_q<bits>_k<K>_p<P>). */
  name?: string;
}

export const AXIL_DATA = 32;
export const lutAddrWidth = (bits: number): number => 3 * bits + 3;

function check(p: LutClassifierParams): void {
  checkLutBits(p.bits, 'classifier.bits');
  if (!Number.isInteger(p.classes) || p.classes < 1 || p.classes > MAX_CLASSES) fail('classifier.classes', `${p.classes} must be 1..${MAX_CLASSES}`);
  if (![1, 2, 4, 8].includes(p.ppc)) fail('classifier.ppc', `${p.ppc} must be 1, 2, 4 or 8`);
}

/** The AXI4-Lite write and read channels; returns the table write port and the run flag. */
function axiLite(m: Module, p: LutClassifierParams): { we: Expr; waddr: Expr; wdata: Expr; run: Signal } {
  const A = lutAddrWidth(p.bits), E = 3 * p.bits;
  const awaddr = m.input('s_axil_awaddr', A).markUnused(), awvalid = m.input('s_axil_awvalid', 1), awready = m.output('s_axil_awready', 1);
  const wdata = m.input('s_axil_wdata', AXIL_DATA).markUnused(), wstrb = m.input('s_axil_wstrb', 4).markUnused();
  const wvalid = m.input('s_axil_wvalid', 1), wready = m.output('s_axil_wready', 1);
  const bresp = m.output('s_axil_bresp', 2), bvalid = m.output('s_axil_bvalid', 1), bready = m.input('s_axil_bready', 1);
  const araddr = m.input('s_axil_araddr', A).markUnused(), arvalid = m.input('s_axil_arvalid', 1), arready = m.output('s_axil_arready', 1);
  const rdata = m.output('s_axil_rdata', AXIL_DATA), rresp = m.output('s_axil_rresp', 2);
  const rvalid = m.output('s_axil_rvalid', 1), rready = m.input('s_axil_rready', 1);

  const run = m.reg('run_q', 1);
  const awFull = m.reg('aw_full_q', 1), awQ = m.reg('aw_addr_q', A - 2, { reset: null });
  const wFull = m.reg('w_full_q', 1), wQ = m.reg('w_data_q', p.classes, { reset: null });
  const wRun = m.reg('w_run_q', 1, { reset: null }), wStrbQ = m.reg('w_strb_q', 1, { reset: null });
  const bValid = m.reg('b_valid_q', 1), bResp = m.reg('b_resp_q', 2, { reset: null });
  const rValid = m.reg('r_valid_q', 1), rData = m.reg('r_data_q', 12, { reset: null }), rResp = m.reg('r_resp_q', 2, { reset: null });

  const awFire = m.let('aw_fire', awvalid.and(awFull.not()));
  const wFire = m.let('w_fire', wvalid.and(wFull.not()));
  const doWrite = m.let('do_write', awFull.and(wFull).and(bValid.not()));
  const wIsLut = m.let('w_is_lut', awQ.bit(A - 3));
  const wIsCtrl = m.let('w_is_ctrl', wIsLut.not().and(awQ.slice(E - 1, 0).eq(0)));
  const arFire = m.let('ar_fire', arvalid.and(rValid.not()));
  const rReg = araddr.slice(A - 2, 2);
  const rIsCtrl = m.let('r_is_ctrl', araddr.bit(A - 1).not().and(rReg.eq(0)));
  const rIsInfo = m.let('r_is_info', araddr.bit(A - 1).not().and(rReg.eq(1)));
  const info = lit(lutInfo(p.bits, p.classes, p.ppc), 12);
  m.sync((s) => {
    s.if(awFire, () => {
      s.set(awFull, 1);
      s.set(awQ, wordAddress(awaddr, A));
    }).elif(doWrite, () => s.set(awFull, 0));
    s.if(wFire, () => {
      s.set(wFull, 1);
      s.set(wQ, wdata.slice(p.classes - 1, 0));
      s.set(wRun, wdata.bit(0));
      s.set(wStrbQ, wstrb.bit(0));
    }).elif(doWrite, () => s.set(wFull, 0));
    s.if(doWrite, () => {
      s.set(bValid, 1);
      s.set(bResp, mux(wIsLut.or(wIsCtrl), lit(0, 2), lit(AXIL_SLVERR, 2)));
      s.if(wIsCtrl.and(wStrbQ), () => s.set(run, wRun));
    }).elif(bready, () => s.set(bValid, 0));
    s.if(arFire, () => {
      s.set(rValid, 1);
      s.set(rData, mux(rIsCtrl, cat(lit(0, 11), run), mux(rIsInfo, info, lit(0, 12))));
      s.set(rResp, mux(rIsCtrl.or(rIsInfo), lit(0, 2), lit(AXIL_SLVERR, 2)));
    }).elif(rready, () => s.set(rValid, 0));
  });
  m.assign(awready, awFull.not());
  m.assign(wready, wFull.not());
  m.assign(bvalid, bValid);
  m.assign(bresp, bResp);
  m.assign(arready, rValid.not());
  m.assign(rvalid, rValid);
  m.assign(rresp, rResp);
  m.assign(rdata, cat(lit(0, AXIL_DATA - 12), rData));
  return { we: doWrite.and(wIsLut).and(wStrbQ), waddr: awQ.slice(E - 1, 0), wdata: wQ, run };
}

/** The word address bits of an AXI byte address (the two byte-offset bits dropped). */
function wordAddress(addr: Signal, A: number): Expr {
  return addr.slice(A - 1, 2);
}

export function buildLutClassifier(p: LutClassifierParams): Module {
  check(p);
  const { bits: q, classes: K, ppc: P } = p;
  const m = new Module(p.name ?? `ccl_lutcls_q${q}_k${K}_p${P}`, {
    doc: `3-D lookup-table pixel classifier: ${P} rgb24 pixel(s) per word → ${K}-bit class masks, ${q} bits per channel, table loaded over AXI4-Lite`,
    config: { block: 'cclLutClassifier', bits: q, classes: K, ppc: P },
  });
  const s = axisSlave(m, 's_px', 24 * P, { last: true, user: 1, role: 'rgb24 pixels' });
  const o = axisMaster(m, 'm_cls', 24 * P + K * P, { last: true, user: 1, role: '{pixels, class masks}' });
  const lite = axiLite(m, p);
  const outValid = m.reg('out_valid_q', 1);
  const pixQ = m.reg('pix_q', 24 * P, { reset: null });
  const lastQ = m.reg('last_q', 1, { reset: null }), userQ = m.reg('user_q', 1, { reset: null });
  const free = m.let('out_free', outValid.not().or(o.tready));
  const ready = m.let('px_ready', lite.run.and(free));
  const accept = m.let('px_accept', s.tvalid.and(ready));
  const masks: Expr[] = [];
  for (let j = 0; j < P; j++) {
    const px = s.tdata.slice(24 * j + 23, 24 * j);
    const idx = cat(px.slice(7, 8 - q), px.slice(15, 16 - q), px.slice(23, 24 - q));
    const ram = m.ram(`lut${j}`, { width: K, depth: 1 << (3 * q), style: 'auto' });
    ram.write(lite.we, lite.waddr, lite.wdata);
    masks.push(ram.read(idx, { en: accept, name: `mask${j}_q` }));
  }
  m.sync((x) => {
    x.if(accept, () => {
      x.set(outValid, 1);
      x.set(pixQ, s.tdata);
      x.set(lastQ, s.tlast!);
      x.set(userQ, s.tuser!);
    }).elif(o.tready, () => x.set(outValid, 0));
  });
  m.assign(s.tready, ready);
  m.assign(o.tvalid, outValid);
  m.assign(o.tdata, cat(pixQ, ...masks.reverse()));
  m.assign(o.tlast!, lastQ);
  m.assign(o.tuser!, userQ);
  m.setClock({ freqMHz: 150 });
  return m;
}

/** The classifier's AXI4-Lite slave ports s_axil_* declared on m (a top passing them through to the classifier). */
export function declareAxilPorts(m: Module, bits: number): Record<string, Signal> {
  const A = lutAddrWidth(bits);
  const ports: [string, 'in' | 'out', number][] = [
    ['awaddr', 'in', A], ['awvalid', 'in', 1], ['awready', 'out', 1], ['wdata', 'in', AXIL_DATA], ['wstrb', 'in', 4],
    ['wvalid', 'in', 1], ['wready', 'out', 1], ['bresp', 'out', 2], ['bvalid', 'out', 1], ['bready', 'in', 1],
    ['araddr', 'in', A], ['arvalid', 'in', 1], ['arready', 'out', 1], ['rdata', 'out', AXIL_DATA], ['rresp', 'out', 2],
    ['rvalid', 'out', 1], ['rready', 'in', 1],
  ];
  return Object.fromEntries(ports.map(([n, d, w]) => [`s_axil_${n}`, d === 'in' ? m.input(`s_axil_${n}`, w) : m.output(`s_axil_${n}`, w)]));
}

/**
 * The classifier's AXI4-Lite channels as streams of a simulation top (the harness stalls them at random like any
 * AXI4-Stream): s_aw (awaddr), s_w ({wstrb, wdata}), m_b (bresp), s_ar (araddr), m_r ({rresp, rdata}). Returns the
 * connections of the s_axil_* ports.
 */
export function axilStreams(m: Module, bits: number): Record<string, Expr> {
  const A = lutAddrWidth(bits);
  const aw = axisSlave(m, 's_aw', A), w = axisSlave(m, 's_w', 36), b = axisMaster(m, 'm_b', 2);
  const ar = axisSlave(m, 's_ar', A), r = axisMaster(m, 'm_r', 34);
  const rdata = m.wire('axil_rdata', AXIL_DATA), rresp = m.wire('axil_rresp', 2);
  m.assign(r.tdata, cat(rresp, rdata));
  return {
    s_axil_awaddr: aw.tdata, s_axil_awvalid: aw.tvalid, s_axil_awready: aw.tready,
    s_axil_wdata: w.tdata.slice(31, 0), s_axil_wstrb: w.tdata.slice(35, 32), s_axil_wvalid: w.tvalid, s_axil_wready: w.tready,
    s_axil_bresp: b.tdata, s_axil_bvalid: b.tvalid, s_axil_bready: b.tready,
    s_axil_araddr: ar.tdata, s_axil_arvalid: ar.tvalid, s_axil_arready: ar.tready,
    s_axil_rdata: rdata, s_axil_rresp: rresp, s_axil_rvalid: r.tvalid, s_axil_rready: r.tready,
  };
}
