/**
 * The Zynq wrapper `<top>_zynq` that the Vivado block design instantiates as a module reference, built with the HDL
 * builder (src/hdl) from the design manifest's streams and registers:
 *  - the builder's clock `clk` and synchronous active-high reset `rst` (from proc_sys_reset's peripheral_reset),
 *    passed to the core; the clock's FREQ_HZ is left to IP integrator, which propagates FCLK_CLK0's achieved rate;
 *  - each core stream as an AXI4-Stream interface (axisSlave / axisMaster) whose tdata is padded to a width the AXI
 *    DMA supports (8·2^k bits), tkeep all ones on outputs, tlast passed through or counted (`lastEvery`, or `beats`
 *    on an output without tlast), and a generated start-of-frame tuser;
 *  - an AXI4-Lite slave `s_axi_ctrl`: ID and HASH registers, then one 32-bit word per register port.
 * Bus ports carry X_INTERFACE_INFO attributes so Vivado infers the interfaces without IP packaging.
 * The core itself is known by its manifest only: a port-only stand-in module is instantiated (its file is not kept).
 */
import { emitVerilog, lit, cat, mux, Module, type Expr, type Signal } from '../hdl/index.js';
import { axisMaster, axisSlave } from '../hdl/lib/index.js';
import { fail } from '../util/errors.js';
import { configHash } from '../util/hash.js';
import type { DesignManifest, RegisterPort, StreamPort } from '../design/manifest.js';

/** ID register value: ASCII 'AFRG'. */
export const ID_MAGIC = 0x41465247;
/** AXI4-Lite address width of s_axi_ctrl (4 KB window). */
export const CTRL_ADDR_WIDTH = 12;

export interface WrapperStream {
  stream: StreamPort;
  /** interface name in the wrapper and the block design: s_axis_<stem> / m_axis_<stem> */
  bus: string;
  /** padded tdata width seen by the DMA */
  busWidth: number;
}

export interface RegisterEntry {
  name: string;
  offset: number;
  width: number;
  access: 'ro' | 'rw';
  description: string;
}

export interface WrapperPlan {
  module: string;
  file: string;
  streams: WrapperStream[];
  registers: RegisterEntry[];
  /** the 32-bit value of the HASH register */
  hash32: number;
  /** constant registers (tied inside the wrapper) */
  constants: RegisterPort[];
}

function dmaWidth(w: number): number {
  let b = 8;
  while (b < w) b *= 2;
  if (b > 1024) fail('streams.dataWidth', `${w} bits is wider than the AXI DMA's 1024-bit stream`);
  return b;
}

function stemOf(s: StreamPort): string {
  const stem = s.name.replace(/^(s|m)(_|$)/, '');
  return stem || (s.direction === 'in' ? 'in' : 'out');
}

/** Interface names, widths and the register map of the wrapper for a manifest. */
export function planWrapper(m: DesignManifest): WrapperPlan {
  if (m.clock.port !== 'clk' || m.reset.port !== 'rst' || m.reset.activeLow || !m.reset.synchronous) {
    fail('design.json: clock / reset', `the export wrapper drives cores with clock 'clk' and synchronous active-high reset 'rst' (the HDL builder's), not '${m.clock.port}' / '${m.reset.port}'`);
  }
  const used = new Set<string>();
  const streams = m.streams.map((s, i): WrapperStream => {
    const bus = `${s.direction === 'in' ? 's_axis' : 'm_axis'}_${stemOf(s)}`;
    if (used.has(bus)) fail(`design.json: streams[${i}].name`, `'${s.name}' gives the interface name ${bus} twice: rename a stream`);
    used.add(bus);
    if (s.direction === 'out' && !s.last && s.beats === undefined) {
      fail(`design.json: streams[${i}]`, `output stream '${s.name}' has no tlast and no fixed beat count: the DMA needs one of them to end a transfer`);
    }
    return { stream: s, bus, busWidth: dmaWidth(s.dataWidth) };
  });
  const registers: RegisterEntry[] = [
    { name: 'ID', offset: 0x00, width: 32, access: 'ro', description: `constant 0x${ID_MAGIC.toString(16)} ('AFRG')` },
    { name: 'HASH', offset: 0x04, width: 32, access: 'ro', description: 'low 32 bits of the design hash: the driver checks it' },
  ];
  let off = 0x08;
  for (const c of m.registers.filter((x) => x.source === 'axilite')) {
    registers.push({ name: c.port, offset: off, width: c.width, access: c.direction === 'in' ? 'rw' : 'ro', description: c.description ?? `core port ${c.port}` });
    off += 4;
  }
  if (off > 2 ** CTRL_ADDR_WIDTH) fail('design.json: registers', `${registers.length} registers do not fit the 4 KB control window`);
  const hash32 = parseInt(configHash({ top: m.top, files: m.files, streams: m.streams, registers: m.registers, hash: m.configHash ?? null }).slice(0, 8), 16);
  return { module: `${m.top}_zynq`, file: `${m.top}_zynq.v`, streams, registers, hash32, constants: m.registers.filter((c) => c.source === 'constant') };
}

const clog = (n: number) => Math.max(1, Math.ceil(Math.log2(n)));

/** A port-only stand-in of the core (ports from the manifest; it uses clk and rst so the builder connects them). */
function coreStandIn(m: DesignManifest): Module {
  const c = new Module(m.top, { doc: 'stand-in with the ports of the core (not emitted)' });
  for (const s of m.streams) {
    const o = { ...(s.last ? { last: true } : {}), ...(s.user ? { user: s.user.width } : {}) };
    const b = s.direction === 'in' ? axisSlave(c, s.name, s.dataWidth, o) : axisMaster(c, s.name, s.dataWidth, o);
    const outs: Signal[] = s.direction === 'in' ? [b.tready] : [b.tdata, b.tvalid, ...(b.tlast ? [b.tlast] : [])];
    const ins: Signal[] = s.direction === 'in' ? [b.tdata, b.tvalid, ...(b.tlast ? [b.tlast] : []), ...(b.tuser ? [b.tuser] : [])] : [b.tready];
    for (const x of outs) c.assign(x, lit(0, x.width));
    for (const x of ins) x.markUnused();
  }
  for (const r of m.registers) {
    if (r.direction === 'in') c.input(r.port, r.width).markUnused();
    else c.assign(c.output(r.port, r.width), lit(0, r.width));
  }
  const q = c.reg('standin_q', 1, { reset: 0 });
  c.sync((p) => p.set(q, q.not()));
  return c;
}

function beatCounter(w: Module, name: string, n: number, fire: Expr): { q: Signal; end: Expr } {
  const cw = clog(n);
  const q = w.reg(`${name}_q`, cw, { reset: 0 });
  const end = w.let(`${name}_end`, q.eq(lit(n - 1, cw)));
  w.sync((p) => p.if(fire, () => p.set(q, mux(end, lit(0, cw), q.add(1).trunc(cw)))));
  return { q, end };
}

/** The wrapper module (built, not emitted). */
export function buildWrapper(m: DesignManifest, plan: WrapperPlan = planWrapper(m)): Module {
  const w = new Module(plan.module, {
    doc: `AXI wrapper of ${m.top} for the Vivado block design (module reference); regenerate with accelforge export`,
    config: { top: m.top, hash32: plan.hash32.toString(16), streams: plan.streams.map((s) => [s.bus, s.busWidth]) },
  });
  const info = (s: Signal, kind: 'axis' | 'aximm', bus: string, sig: string) => s.attr('X_INTERFACE_INFO', `xilinx.com:interface:${kind}:1.0 ${bus} ${sig}`);
  const conns: Record<string, Expr | number> = {};
  for (const ws of plan.streams) {
    const { bus, busWidth: W, stream: s } = ws;
    const p = s.name;
    const dw = s.dataWidth;
    if (s.direction === 'in') {
      const b = axisSlave(w, bus, W, { last: true });
      info(b.tdata, 'axis', bus, 'TDATA'); info(b.tvalid, 'axis', bus, 'TVALID'); info(b.tready, 'axis', bus, 'TREADY'); info(b.tlast, 'axis', bus, 'TLAST');
      const fire = b.tvalid.and(b.tready);
      if (dw < W) b.tdata.markUnused();
      conns[`${p}_tdata`] = dw === W ? b.tdata : b.tdata.slice(dw - 1, 0);
      conns[`${p}_tvalid`] = b.tvalid;
      const ready = w.wire(`${bus}_core_tready`, 1);
      w.assign(b.tready, ready);
      conns[`${p}_tready`] = ready;
      let dmaLastUsed = false;
      if (s.last) {
        if (s.lastEvery !== undefined && s.lastEvery > 1) conns[`${p}_tlast`] = beatCounter(w, `${bus}_line`, s.lastEvery, fire).end;
        else if (s.lastEvery === 1) conns[`${p}_tlast`] = lit(1, 1);
        else {
          conns[`${p}_tlast`] = b.tlast;
          dmaLastUsed = true;
        }
      }
      if (s.user) {
        let sof: Expr;
        if (s.beats !== undefined && s.beats > 1) sof = beatCounter(w, `${bus}_frame`, s.beats, fire).q.eq(lit(0, clog(s.beats)));
        else if (s.beats === 1) sof = lit(1, 1);
        else {
          const q = w.reg(`${bus}_sof_q`, 1, { reset: 1 });
          w.sync((pb) => pb.if(fire, () => pb.set(q, b.tlast)));
          sof = q;
          dmaLastUsed = true;
        }
        conns[`${p}_tuser`] = s.user.width === 1 ? sof : cat(lit(0, s.user.width - 1), sof);
      }
      if (!dmaLastUsed) b.tlast.markUnused();
    } else {
      const b = axisMaster(w, bus, W, { last: true, keep: true });
      info(b.tdata, 'axis', bus, 'TDATA'); info(b.tvalid, 'axis', bus, 'TVALID'); info(b.tready, 'axis', bus, 'TREADY');
      info(b.tkeep, 'axis', bus, 'TKEEP'); info(b.tlast, 'axis', bus, 'TLAST');
      const data = w.wire(`${bus}_core_tdata`, dw);
      const valid = w.wire(`${bus}_core_tvalid`, 1);
      w.assign(b.tdata, dw === W ? data : cat(lit(0, W - dw), data));
      w.assign(b.tvalid, valid);
      w.assign(b.tkeep, lit((1n << BigInt(W / 8)) - 1n, W / 8));
      conns[`${p}_tdata`] = data;
      conns[`${p}_tvalid`] = valid;
      conns[`${p}_tready`] = b.tready;
      if (s.last) {
        const last = w.wire(`${bus}_core_tlast`, 1);
        w.assign(b.tlast, last);
        conns[`${p}_tlast`] = last;
      } else {
        w.assign(b.tlast, beatCounter(w, `${bus}_count`, s.beats!, valid.and(b.tready)).end);
      }
    }
  }
  axiLite(w, m, plan, conns);
  for (const c of plan.constants) conns[c.port] = lit(c.value!, c.width);
  w.instance(coreStandIn(m), 'core', conns);
  return w;
}

/** s_axi_ctrl: one outstanding write and one outstanding read; OKAY responses; unmapped reads return 0. */
function axiLite(w: Module, m: DesignManifest, plan: WrapperPlan, conns: Record<string, Expr | number>): void {
  const A = CTRL_ADDR_WIDTH;
  const port = (dir: 'in' | 'out', name: string, width: number): Signal => {
    const s = dir === 'in' ? w.input(`s_axi_ctrl_${name}`, width) : w.output(`s_axi_ctrl_${name}`, width);
    return s.attr('X_INTERFACE_INFO', `xilinx.com:interface:aximm:1.0 s_axi_ctrl ${name.toUpperCase()}`);
  };
  const awaddr = port('in', 'awaddr', A), awvalid = port('in', 'awvalid', 1), awready = port('out', 'awready', 1);
  const wdata = port('in', 'wdata', 32), wstrb = port('in', 'wstrb', 4), wvalid = port('in', 'wvalid', 1), wready = port('out', 'wready', 1);
  const bresp = port('out', 'bresp', 2), bvalid = port('out', 'bvalid', 1), bready = port('in', 'bready', 1);
  const araddr = port('in', 'araddr', A), arvalid = port('in', 'arvalid', 1), arready = port('out', 'arready', 1);
  const rdata = port('out', 'rdata', 32), rresp = port('out', 'rresp', 2), rvalid = port('out', 'rvalid', 1), rready = port('in', 'rready', 1);
  wstrb.markUnused(); // whole-word writes
  const bvalidQ = w.reg('bvalid_q', 1, { reset: 0 });
  const rvalidQ = w.reg('rvalid_q', 1, { reset: 0 });
  const rdataQ = w.reg('rdata_q', 32, { reset: 0 });
  const wrGo = w.let('wr_go', awvalid.and(wvalid).and(bvalidQ.not()));
  const rdGo = w.let('rd_go', arvalid.and(rvalidQ.not()));
  w.assign(awready, wrGo); w.assign(wready, wrGo); w.assign(bresp, lit(0, 2)); w.assign(bvalid, bvalidQ);
  w.assign(arready, rdGo); w.assign(rresp, lit(0, 2)); w.assign(rvalid, rvalidQ); w.assign(rdata, rdataQ);
  araddr.markUnused();
  const rdWord = w.let('rd_word', araddr.slice(A - 1, 2));
  const regs = plan.registers.slice(2);
  const src = new Map<string, Signal>();
  for (const r of regs) {
    const c = m.registers.find((x) => x.port === r.name)!;
    const s = c.direction === 'in' ? w.reg(`${r.name}_q`, r.width, { reset: 0 }) : w.wire(`${r.name}_w`, r.width);
    src.set(r.name, s);
    conns[r.name] = s;
  }
  const rw = regs.filter((r) => r.access === 'rw');
  if (rw.length === 0) { awaddr.markUnused(); wdata.markUnused(); } else if (rw.some((r) => r.width < 32)) wdata.markUnused();
  if (rw.length) awaddr.markUnused();
  const wrWord = rw.length ? w.let('wr_word', awaddr.slice(A - 1, 2)) : null;
  w.sync((p) => {
    p.if(wrGo, () => {
      p.set(bvalidQ, 1);
      if (wrWord) {
        const cases: Record<string, () => void> = {};
        for (const r of rw) cases[String(r.offset / 4)] = () => p.set(src.get(r.name)!, wdata.slice(r.width - 1, 0));
        p.switch(wrWord, { ...cases, default: () => {} });
      }
    }).elif(bready, () => p.set(bvalidQ, 0));
  });
  w.sync((p) => {
    p.if(rdGo, () => {
      p.set(rvalidQ, 1);
      const cases: Record<string, () => void> = {
        0: () => p.set(rdataQ, lit(ID_MAGIC, 32)),
        1: () => p.set(rdataQ, lit(plan.hash32, 32)),
      };
      for (const r of regs) cases[String(r.offset / 4)] = () => p.set(rdataQ, src.get(r.name)!.resize(32));
      p.switch(rdWord, { ...cases, default: () => p.set(rdataQ, lit(0, 32)) });
    }).elif(rready, () => p.set(rvalidQ, 0));
  });
}

/** The wrapper's Verilog text (the wrapper module's file only; the core's files come from the design folder). */
export function wrapperVerilog(m: DesignManifest, plan: WrapperPlan = planWrapper(m)): string {
  const files = emitVerilog(buildWrapper(m, plan));
  const text = files.get(plan.file);
  if (text === undefined) throw new Error(`wrapper emission did not produce ${plan.file}`);
  return text;
}
