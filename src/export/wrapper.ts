/**
 * The Zynq wrapper `<top>_zynq` (Verilog-2005) that the Vivado block design instantiates as a module reference:
 *  - one clock `aclk` and an active-low `aresetn` (from proc_sys_reset), converted to the core's reset polarity;
 *  - each core stream as an AXI4-Stream interface whose tdata is padded to a width the AXI DMA supports
 *    (8·2^k bits), tkeep all ones on outputs, tlast passed through (or counted when the core has none), and a
 *    generated start-of-frame tuser (1 on the first beat after reset or after a tlast);
 *  - an AXI4-Lite slave `s_axi_ctrl`: ID and hash registers, then one 32-bit register per control port.
 * Interfaces are declared with X_INTERFACE_INFO attributes, so Vivado infers them without IP packaging.
 */
import { fail } from '../util/errors.js';
import { configHash } from '../util/hash.js';
import { GENERATOR_VERSION } from '../version.js';
import type { ControlPort, DesignManifest, StreamPort } from './manifest.js';

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
  /** constant controls (tied inside the wrapper) */
  constants: ControlPort[];
}

function dmaWidth(w: number): number {
  let b = 8;
  while (b < w) b *= 2;
  if (b > 1024) fail('streams.dataWidth', `${w} bits is wider than the AXI DMA's 1024-bit stream`);
  return b;
}

function stemOf(s: StreamPort): string {
  const stem = s.prefix.replace(/^(s|m)(_|$)/, '');
  return stem || (s.direction === 'in' ? 'in' : 'out');
}

/** Interface names, widths and the register map of the wrapper for a manifest. */
export function planWrapper(m: DesignManifest): WrapperPlan {
  const used = new Set<string>();
  const streams = m.streams.map((s, i): WrapperStream => {
    const bus = `${s.direction === 'in' ? 's_axis' : 'm_axis'}_${stemOf(s)}`;
    if (used.has(bus)) fail(`streams[${i}].prefix`, `'${s.prefix}' gives the interface name ${bus} twice: rename a stream`);
    used.add(bus);
    if (s.direction === 'out' && !s.last && s.beats === undefined) {
      fail(`streams[${i}]`, `output stream '${s.prefix}' has no tlast and no fixed beat count: the DMA needs one of them to end a transfer`);
    }
    return { stream: s, bus, busWidth: dmaWidth(s.dataWidth) };
  });
  const registers: RegisterEntry[] = [
    { name: 'ID', offset: 0x00, width: 32, access: 'ro', description: `constant 0x${ID_MAGIC.toString(16)} ('AFRG')` },
    { name: 'HASH', offset: 0x04, width: 32, access: 'ro', description: 'low 32 bits of the design hash: the driver checks it' },
  ];
  let off = 0x08;
  for (const c of m.controls.filter((x) => x.source === 'axilite')) {
    registers.push({ name: c.port, offset: off, width: c.width, access: c.direction === 'in' ? 'rw' : 'ro', description: c.description ?? `core port ${c.port}` });
    off += 4;
  }
  if (off > 2 ** CTRL_ADDR_WIDTH) fail('controls', `${registers.length} registers do not fit the 4 KB control window`);
  const hash32 = parseInt(configHash({ top: m.top, files: m.files, streams: m.streams, controls: m.controls, hash: m.configHash ?? null }).slice(0, 8), 16);
  return { module: `${m.top}_zynq`, file: `${m.top}_zynq.v`, streams, registers, hash32, constants: m.controls.filter((c) => c.source === 'constant') };
}

const hex32 = (v: number) => `32'h${(v >>> 0).toString(16).padStart(8, '0')}`;
const rng = (w: number) => (w === 1 ? '' : `[${w - 1}:0] `);

/** The wrapper's Verilog text. */
export function wrapperVerilog(m: DesignManifest, plan: WrapperPlan = planWrapper(m)): string {
  const L: string[] = [];
  const ports: string[] = [];
  const busifs = plan.streams.map((s) => s.bus).concat(['s_axi_ctrl']).join(':');
  const unused: string[] = [];
  const ifInfo = (bus: string, kind: 'axis' | 'aximm', sig: string) => `(* X_INTERFACE_INFO = "xilinx.com:interface:${kind}:1.0 ${bus} ${sig}" *)`;

  ports.push(`  (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 aclk CLK" *)\n  (* X_INTERFACE_PARAMETER = "ASSOCIATED_BUSIF ${busifs}, ASSOCIATED_RESET aresetn, FREQ_HZ ${Math.round(m.clock.mhz * 1e6)}" *)\n  input  wire aclk`);
  ports.push(`  (* X_INTERFACE_INFO = "xilinx.com:signal:reset:1.0 aresetn RST" *)\n  (* X_INTERFACE_PARAMETER = "POLARITY ACTIVE_LOW" *)\n  input  wire aresetn`);
  for (const ws of plan.streams) {
    const { bus, busWidth: W, stream: s } = ws;
    const inp = s.direction === 'in';
    const d = inp ? 'input ' : 'output';
    const r = inp ? 'output' : 'input ';
    ports.push(`  ${ifInfo(bus, 'axis', 'TDATA')}\n  ${d} wire [${W - 1}:0] ${bus}_tdata`);
    ports.push(`  ${ifInfo(bus, 'axis', 'TVALID')}\n  ${d} wire ${bus}_tvalid`);
    ports.push(`  ${ifInfo(bus, 'axis', 'TREADY')}\n  ${r} wire ${bus}_tready`);
    if (!inp) ports.push(`  ${ifInfo(bus, 'axis', 'TKEEP')}\n  output wire [${W / 8 - 1}:0] ${bus}_tkeep`);
    ports.push(`  ${ifInfo(bus, 'axis', 'TLAST')}\n  ${d} wire ${bus}_tlast`);
  }
  const A = CTRL_ADDR_WIDTH;
  const lite: Array<[string, string, string]> = [
    ['input ', `[${A - 1}:0] `, 'awaddr'], ['input ', '', 'awvalid'], ['output', '', 'awready'],
    ['input ', '[31:0] ', 'wdata'], ['input ', '[3:0] ', 'wstrb'], ['input ', '', 'wvalid'], ['output', '', 'wready'],
    ['output', '[1:0] ', 'bresp'], ['output', '', 'bvalid'], ['input ', '', 'bready'],
    ['input ', `[${A - 1}:0] `, 'araddr'], ['input ', '', 'arvalid'], ['output', '', 'arready'],
    ['output', '[31:0] ', 'rdata'], ['output', '[1:0] ', 'rresp'], ['output', '', 'rvalid'], ['input ', '', 'rready'],
  ];
  for (const [d, w, n] of lite) ports.push(`  ${ifInfo('s_axi_ctrl', 'aximm', n.toUpperCase())}\n  ${d} wire ${w}s_axi_ctrl_${n}`);

  L.push(`// ${plan.module}: AXI wrapper of ${m.top} for the Vivado block design (module reference).`);
  L.push(`// Generated by accelforge ${GENERATOR_VERSION} (src/export). Do not edit; regenerate with 'accelforge export'.`);
  L.push(`// Design hash (HASH register): 0x${plan.hash32.toString(16).padStart(8, '0')}`);
  L.push('// Registers on s_axi_ctrl (32-bit words; writes take effect whole-word, wstrb is not used):');
  for (const r of plan.registers) L.push(`//   0x${r.offset.toString(16).padStart(2, '0')} ${r.name.padEnd(12)} ${r.access} ${String(r.width).padStart(2)} bit  ${r.description}`);
  L.push('`default_nettype none');
  L.push('');
  L.push(`module ${plan.module} (`);
  L.push(ports.join(',\n'));
  L.push(');');
  L.push('');
  const coreRst = m.reset.activeLow ? 'aresetn' : '~aresetn';
  L.push(`wire core_rst = ${coreRst};`);
  const conns: string[] = [`    .${m.clock.port}(aclk)`, `    .${m.reset.port}(core_rst)`];

  for (const ws of plan.streams) {
    const { bus, busWidth: W, stream: s } = ws;
    const p = s.prefix;
    const dw = s.dataWidth;
    if (s.direction === 'in') {
      L.push('');
      L.push(`// ${bus} -> core ${p}: low ${dw} of ${W} bits${s.user ? ', tuser = start of frame' : ''}`);
      conns.push(`    .${p}_tdata(${bus}_tdata${dw === W ? '' : `[${dw - 1}:0]`})`, `    .${p}_tvalid(${bus}_tvalid)`, `    .${p}_tready(${bus}_tready)`);
      if (dw < W) unused.push(`${bus}_tdata[${W - 1}:${dw}]`);
      const clog = (n: number) => Math.max(1, Math.ceil(Math.log2(n)));
      const counter = (name: string, n: number, what: string): string => {
        const cw = clog(n);
        L.push(`// ${what}: count ${n} beats`);
        L.push(`reg [${cw - 1}:0] ${name}_q;`);
        L.push(`wire ${name}_end = (${name}_q == ${cw}'d${n - 1});`);
        L.push('always @(posedge aclk) begin');
        L.push(`  if (!aresetn) ${name}_q <= ${cw}'d0;`);
        L.push(`  else if (${bus}_tvalid && ${bus}_tready) ${name}_q <= ${name}_end ? ${cw}'d0 : ${name}_q + ${cw}'d1;`);
        L.push('end');
        return `${name}_q`;
      };
      let dmaLastUsed = false;
      if (s.last) {
        if (s.lastEvery !== undefined && s.lastEvery > 1) {
          counter(`${bus}_line`, s.lastEvery, `the core wants tlast every ${s.lastEvery} beats (the DMA's tlast ends a whole transfer)`);
          conns.push(`    .${p}_tlast(${bus}_line_end)`);
        } else if (s.lastEvery === 1) {
          conns.push(`    .${p}_tlast(1'b1)`);
        } else {
          conns.push(`    .${p}_tlast(${bus}_tlast)`);
          dmaLastUsed = true;
        }
      }
      if (s.user) {
        const uw = s.user.width;
        let sof: string;
        if (s.beats !== undefined && s.beats > 1) {
          const q = counter(`${bus}_frame`, s.beats, `start of frame every ${s.beats} beats`);
          sof = `(${q} == ${clog(s.beats)}'d0)`;
        } else if (s.beats === 1) {
          sof = "1'b1";
        } else {
          L.push(`// start of frame: the first beat after reset or after a DMA transfer's tlast`);
          L.push(`reg ${bus}_sof_q;`);
          L.push('always @(posedge aclk) begin');
          L.push(`  if (!aresetn) ${bus}_sof_q <= 1'b1;`);
          L.push(`  else if (${bus}_tvalid && ${bus}_tready) ${bus}_sof_q <= ${bus}_tlast;`);
          L.push('end');
          sof = `${bus}_sof_q`;
          dmaLastUsed = true;
        }
        conns.push(`    .${p}_tuser(${uw === 1 ? sof : `{${uw - 1}'d0, ${sof}}`})`);
      }
      if (!dmaLastUsed) unused.push(`${bus}_tlast`);
    } else {
      L.push('');
      L.push(`// core ${p} -> ${bus}: zero-padded to ${W} bits, every byte kept`);
      L.push(`wire [${dw - 1}:0] ${bus}_core_tdata;`);
      L.push(`assign ${bus}_tdata = ${dw === W ? `${bus}_core_tdata` : `{${W - dw}'d0, ${bus}_core_tdata}`};`);
      L.push(`assign ${bus}_tkeep = {${W / 8}{1'b1}};`);
      conns.push(`    .${p}_tdata(${bus}_core_tdata)`, `    .${p}_tvalid(${bus}_tvalid)`, `    .${p}_tready(${bus}_tready)`);
      if (s.last) {
        conns.push(`    .${p}_tlast(${bus}_tlast)`);
      } else {
        const beats = s.beats!;
        const cw = Math.max(1, Math.ceil(Math.log2(beats)));
        L.push(`// the core has no tlast: count ${beats} beats per transfer`);
        L.push(`reg [${cw - 1}:0] ${bus}_count_q;`);
        L.push(`assign ${bus}_tlast = (${bus}_count_q == ${cw}'d${beats - 1});`);
        L.push('always @(posedge aclk) begin');
        L.push(`  if (!aresetn) ${bus}_count_q <= ${cw}'d0;`);
        L.push(`  else if (${bus}_tvalid && ${bus}_tready) ${bus}_count_q <= ${bus}_tlast ? ${cw}'d0 : ${bus}_count_q + ${cw}'d1;`);
        L.push('end');
      }
    }
  }

  // AXI4-Lite register file.
  const regs = plan.registers.slice(2);
  L.push('');
  L.push('// s_axi_ctrl: one outstanding write and one outstanding read; OKAY responses; unmapped reads return 0');
  L.push('reg bvalid_q;');
  L.push('reg rvalid_q;');
  L.push('reg [31:0] rdata_q;');
  L.push('wire wr_go = s_axi_ctrl_awvalid && s_axi_ctrl_wvalid && !bvalid_q;');
  L.push('wire rd_go = s_axi_ctrl_arvalid && !rvalid_q;');
  L.push(`wire [${A - 3}:0] rd_word = s_axi_ctrl_araddr[${A - 1}:2];`);
  L.push('assign s_axi_ctrl_awready = wr_go;');
  L.push('assign s_axi_ctrl_wready = wr_go;');
  L.push("assign s_axi_ctrl_bresp = 2'b00;");
  L.push('assign s_axi_ctrl_bvalid = bvalid_q;');
  L.push('assign s_axi_ctrl_arready = rd_go;');
  L.push("assign s_axi_ctrl_rresp = 2'b00;");
  L.push('assign s_axi_ctrl_rvalid = rvalid_q;');
  L.push('assign s_axi_ctrl_rdata = rdata_q;');
  unused.push(`s_axi_ctrl_araddr[1:0]`, 's_axi_ctrl_wstrb');
  for (const r of regs) {
    const c = m.controls.find((x) => x.port === r.name)!;
    if (c.direction === 'in') {
      L.push(`reg ${rng(r.width)}${r.name}_q;`);
      conns.push(`    .${r.name}(${r.name}_q)`);
    } else {
      L.push(`wire ${rng(r.width)}${r.name}_w;`);
      conns.push(`    .${r.name}(${r.name}_w)`);
    }
  }
  const rwRegs = regs.filter((r) => r.access === 'rw');
  if (rwRegs.some((r) => r.width < 32)) unused.push(`s_axi_ctrl_wdata[31:${Math.min(...rwRegs.map((r) => r.width))}]`);
  if (rwRegs.length === 0) unused.push('s_axi_ctrl_wdata', 's_axi_ctrl_awaddr');
  else {
    L.push(`wire [${A - 3}:0] wr_word = s_axi_ctrl_awaddr[${A - 1}:2];`);
    unused.push('s_axi_ctrl_awaddr[1:0]');
  }
  L.push('always @(posedge aclk) begin');
  L.push('  if (!aresetn) begin');
  L.push("    bvalid_q <= 1'b0;");
  for (const r of rwRegs) L.push(`    ${r.name}_q <= ${r.width}'d0;`);
  L.push('  end else if (wr_go) begin');
  L.push("    bvalid_q <= 1'b1;");
  if (rwRegs.length > 0) {
    L.push('    case (wr_word)');
    for (const r of rwRegs) L.push(`      ${A - 2}'d${r.offset / 4}: ${r.name}_q <= s_axi_ctrl_wdata[${r.width - 1}:0];`);
    L.push('      default: ;');
    L.push('    endcase');
  }
  L.push('  end else if (s_axi_ctrl_bready) begin');
  L.push("    bvalid_q <= 1'b0;");
  L.push('  end');
  L.push('end');
  L.push('always @(posedge aclk) begin');
  L.push('  if (!aresetn) begin');
  L.push("    rvalid_q <= 1'b0;");
  L.push("    rdata_q <= 32'd0;");
  L.push('  end else if (rd_go) begin');
  L.push("    rvalid_q <= 1'b1;");
  L.push('    case (rd_word)');
  L.push(`      ${A - 2}'d0: rdata_q <= ${hex32(ID_MAGIC)};`);
  L.push(`      ${A - 2}'d1: rdata_q <= ${hex32(plan.hash32)};`);
  for (const r of regs) {
    const src = r.access === 'rw' ? `${r.name}_q` : `${r.name}_w`;
    L.push(`      ${A - 2}'d${r.offset / 4}: rdata_q <= ${r.width === 32 ? src : `{${32 - r.width}'d0, ${src}}`};`);
  }
  L.push("      default: rdata_q <= 32'd0;");
  L.push('    endcase');
  L.push('  end else if (s_axi_ctrl_rready) begin');
  L.push("    rvalid_q <= 1'b0;");
  L.push('  end');
  L.push('end');
  for (const c of plan.constants) conns.push(`    .${c.port}(${c.width}'d${c.value})`);
  L.push('');
  L.push('// bits the core does not use (padding, byte strobes, word-address low bits)');
  L.push(`wire unused_ok = &{1'b0, ${unused.join(', ')}};`);
  L.push('');
  L.push(`${m.top} core (`);
  L.push(conns.join(',\n'));
  L.push(');');
  L.push('');
  L.push('endmodule');
  L.push('');
  L.push('`default_nettype wire');
  return L.join('\n') + '\n';
}
