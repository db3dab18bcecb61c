/**
 * accelforge export: manifest (zod, derived from ports), wrapper lint and simulation (Icarus: AXI4-Lite registers and
 * a whole frame through wrapper + CCL core vs the golden model, decoded by the generated Python driver), Tcl run
 * under tclsh with stub Vivado commands (only known commands; every acc/ pin and interface exists in the wrapper),
 * driver compile, CLI errors. Vivado itself is not available here.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { main } from '../src/cli/main.js';
import {
  exportDesign, deriveManifest, writeDesignManifest, designManifestJsonSchema, parseDesignManifest, loadDesign, runTclStubbed, checkTclNames, ID_MAGIC,
  type DesignManifest,
} from '../src/export/index.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { labelImage } from '../src/ccl/golden.js';
import { makeImage } from '../src/image/io.js';

const tmp = mkdtempSync(join(tmpdir(), 'af-export-'));

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const errs: string[] = [];
  const origErr = process.stderr.write.bind(process.stderr);
  const origOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await main(args);
    return { code, err: errs.join('') };
  } finally {
    process.stderr.write = origErr;
    process.stdout.write = origOut;
  }
}

/** build.tcl (or a variant) under tclsh with stub Vivado commands (src/export/check.ts). */
async function runTcl(dir: string, tclText?: string): Promise<string[][]> {
  return runTclStubbed(dir, tclText ?? readFileSync(join(dir, 'build.tcl'), 'utf8'));
}

describe('design manifest', () => {
  it('writeDesignManifest round-trips and loadDesign reads it', async () => {
    const dir = join(tmp, 'manifest');
    mkdirSync(dir);
    const m = await writeDesignManifest(dir, {
      kind: 'custom', top: 'msq_engine', files: ['msq_engine.v'], clock: { port: 'clk', mhz: 150 },
      reset: { port: 'rst', activeLow: false, synchronous: true },
      streams: [{ prefix: 's_act', direction: 'in', dataWidth: 32, last: false, lanes: { count: 4, bits: 8, signed: true } },
        { prefix: 'm_out', direction: 'out', dataWidth: 32, last: true }],
      controls: [],
    });
    expect(m.schema).toBe('accelforge-design/1');
    const back = loadDesign(dir).manifest;
    expect(back).toEqual(m);
    const schema = designManifestJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['schema', 'kind', 'top', 'files', 'clock', 'reset', 'streams', 'controls']));
    expect(schema.required).toEqual(expect.arrayContaining(['top', 'streams', 'clock']));
  });

  it('rejects bad manifests with one line naming the field', () => {
    const good = {
      schema: 'accelforge-design/1', kind: 'custom', top: 't', files: ['t.v'], clock: { port: 'clk', mhz: 100 },
      reset: { port: 'rst', activeLow: false, synchronous: true }, streams: [], controls: [], generator: 'x',
    };
    expect(() => parseDesignManifest({ ...good, top: '1bad' }, 'd.json')).toThrow(/^d\.json: top: must be a Verilog identifier/);
    expect(() => parseDesignManifest({ ...good, clock: { port: 'clk' } }, 'd.json')).toThrow(/clock\.mhz: missing/);
    expect(() => parseDesignManifest({ ...good, extra: 1 }, 'd.json')).toThrow(/unknown field\(s\) 'extra'/);
    const s = { prefix: 's', direction: 'in', dataWidth: 8, last: true };
    expect(() => parseDesignManifest({ ...good, streams: [s, s] }, 'd.json')).toThrow(/streams\[1\]\.prefix: 's' is used twice/);
    expect(() => parseDesignManifest({ ...good, controls: [{ port: 'g', width: 4, direction: 'in', source: 'constant', value: 16 }] }, 'd.json'))
      .toThrow(/controls\[0\]\.value: 16 does not fit in 4 bits/);
    for (const bad of [{ ...good, top: '1bad' }, { ...good, extra: 1 }]) {
      try {
        parseDesignManifest(bad, 'd.json');
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });

  it('derives ports, widths from parameters, non-ANSI headers and the top module', () => {
    const dir = join(tmp, 'derive');
    mkdirSync(dir);
    writeFileSync(join(dir, 'sub.v'), 'module sub(input wire a, output wire b); assign b = a; endmodule\n');
    writeFileSync(join(dir, 'top.v'), [
      'module top #(parameter W = 12) (aclk, aresetn, s_x_tdata, s_x_tvalid, s_x_tready, m_y_tdata, m_y_tvalid, m_y_tready, m_y_tlast, gain);',
      '  input aclk; input aresetn;',
      '  input [W-1:0] s_x_tdata; input s_x_tvalid; output s_x_tready;',
      '  output [2*W-1:0] m_y_tdata; output m_y_tvalid; input m_y_tready; output m_y_tlast;',
      '  input [7:0] gain;',
      '  // sub u_fake (  in a comment: ignored',
      '  wire t; sub u0 (.a(aclk), .b(t));',
      'endmodule',
    ].join('\n'));
    const m = deriveManifest(dir);
    expect(m.top).toBe('top');
    expect(m.files).toEqual(['sub.v', 'top.v']);
    expect(m.reset).toEqual({ port: 'aresetn', activeLow: true, synchronous: true });
    expect(m.streams.map((s) => [s.prefix, s.direction, s.dataWidth, s.last])).toEqual([['s_x', 'in', 12, false], ['m_y', 'out', 24, true]]);
    expect(m.controls).toEqual([{ port: 'gain', width: 8, direction: 'in', source: 'axilite' }]);
  });

  it('derive errors are one line and say what to do', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expect(() => deriveManifest(empty)).toThrow(/no design\.json and no Verilog/);
    const noclk = join(tmp, 'noclk');
    mkdirSync(noclk);
    writeFileSync(join(noclk, 'a.v'), 'module a(input wire go, input wire [7:0] s_tdata, input wire s_tvalid, output wire s_tready); endmodule\n');
    expect(() => deriveManifest(noclk)).toThrow(/no clock port .*add a design\.json/);
    const two = join(tmp, 'two');
    mkdirSync(two);
    writeFileSync(join(two, 'a.v'), 'module a(input wire clk); endmodule\nmodule b(input wire clk); endmodule\n');
    expect(() => deriveManifest(two)).toThrow(/cannot tell the top module \(a, b\).*--top/);
  });
});

describe('export of a CCL core (derived manifest) ', () => {
  const design = join(tmp, 'ccl');
  const out = join(tmp, 'ccl-export');
  let manifest: DesignManifest;

  beforeAll(async () => {
    const r = await cli(['ccl', 'gen', '--width', '16', '--height', '8', '--cell', '2', '--ppc', '2', '--no-synth', '-o', design]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const e = await cli(['export', design, '--board', 'pynq-z2', '-o', out]);
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
    manifest = JSON.parse(readFileSync(join(out, 'design.json'), 'utf8')) as DesignManifest;
  }, 60_000);

  it('writes the folder', async () => {
    for (const f of ['build.tcl', 'constraints.xdc', 'driver.py', 'README.md', 'design.json', 'export.json', 'rtl/ccl_core.v', 'rtl/ccl_core_zynq.v']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(manifest.kind).toBe('ccl');
    const { cclRtlParams, maxObjectsPerFrame } = await import('../src/ccl/rtl/index.js');
    const p = cclRtlParams(makeCclConfig({ width: 16, height: 8, cell: 2 }), { ppc: 2 });
    expect(manifest.streams[1]!.maxBeats).toBe(maxObjectsPerFrame(p) + 1);
    expect(manifest.streams[0]).toMatchObject({ dataWidth: p.inWidth, beats: 8 * 8, lastEvery: 8, lanes: { count: 2, bits: 8 } });
    expect(readFileSync(join(out, 'driver.py'), 'utf8')).toContain(`MAX_RECORDS = ${maxObjectsPerFrame(p) + 1}  # output buffer`);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/Unverified step/);
    for (const c of ['tcl', 'lint', 'driver']) expect(readme).toContain(`> - ${c}: **passed**`);
    expect(existsSync(join(out, '.under-test.tcl'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'build.tcl', 'constraints.xdc', 'design.json', 'driver.py', 'export.json', 'rtl']);
    expect(readFileSync(join(out, 'build.tcl'), 'utf8')).toContain('xc7z020clg400-1');
  });

  it('the wrapper lints clean with the core (verilator -Wall) and compiles in Icarus', async () => {
    const files = readdirSync(join(out, 'rtl')).map((f) => join(out, 'rtl', f));
    const r = await execa('verilator', ['--lint-only', '-Wall', '--top-module', 'ccl_core_zynq', ...files], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const i = await execa('iverilog', ['-g2005', '-o', join(tmp, 'ccl.vvp'), '-s', 'ccl_core_zynq', ...files], { reject: false });
    expect(i.stderr).toBe('');
  });

  it('build.tcl runs under tclsh with stub Vivado commands and names only real wrapper ports', async () => {
    const calls = await runTcl(out);
    const wrapper = readFileSync(join(out, 'rtl', 'ccl_core_zynq.v'), 'utf8');
    expect(checkTclNames(calls, wrapper, out)).toEqual([]);
    const names = calls.map((c) => c[0]);
    for (const c of ['create_project', 'create_bd_design', 'launch_runs', 'report_utilization', 'report_timing_summary']) expect(names).toContain(c);
    expect(calls.some((c) => c.join(' ').includes('acc/s_axis_in'))).toBe(true);
    expect(calls.some((c) => c.join(' ').includes('acc/m_axis_out'))).toBe(true);
    const ex = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as { streams: { bus: string; dataWidth: number; busWidth: number }[] };
    const o = ex.streams.find((s) => s.bus === 'm_axis_out')!;
    expect(o.busWidth).toBeGreaterThanOrEqual(o.dataWidth);
    expect(o.busWidth / 2).toBeLessThan(o.dataWidth);
    expect(calls.some((c) => c[0] === 'set_property' && c.join(' ').includes(`CONFIG.c_s_axis_s2mm_tdata_width ${o.busWidth} `))).toBe(true);
    expect(calls.filter((c) => c[0] === 'file_copy').length).toBe(2);
  });

  it('stream widths agree: wrapper ports, DMA settings in build.tcl, driver.py STREAMS', async () => {
    const { parseVerilogModules } = await import('../src/export/verilog-ports.js');
    const ports = new Map(parseVerilogModules(readFileSync(join(out, 'rtl', 'ccl_core_zynq.v'), 'utf8'), 'w')[0]!.ports.map((p) => [p.name, p.width]));
    const streams = JSON.parse((await execa('python3', ['-c', `import sys, json; sys.path.insert(0, ${JSON.stringify(out)}); import driver; print(json.dumps(driver.STREAMS))`])).stdout) as Record<string, { bus_width: number; data_width: number; dma: string; direction: string }>;
    const tcl = readFileSync(join(out, 'build.tcl'), 'utf8');
    const core = new Map(parseVerilogModules(readFileSync(join(out, 'rtl', 'ccl_core.v'), 'utf8'), 'c')[0]!.ports.map((p) => [p.name, p.width]));
    expect(Object.keys(streams).sort()).toEqual(['m_axis_out', 's_axis_in']);
    for (const [bus, st] of Object.entries(streams)) {
      expect(ports.get(`${bus}_tdata`), bus).toBe(st.bus_width);
      expect(core.get(`${st.direction === 'in' ? 's' : 'm'}_tdata`), bus).toBe(st.data_width);
      const key = st.direction === 'in' ? 'c_m_axis_mm2s_tdata_width' : 'c_s_axis_s2mm_tdata_width';
      expect(tcl).toMatch(new RegExp(`CONFIG\\.${key} \\{${st.bus_width}\\}[^\\n]*\\] \\$${st.dma}\\n`));
    }
    if (ports.has('m_axis_out_tkeep')) expect(ports.get('m_axis_out_tkeep')).toBe(streams.m_axis_out!.bus_width / 8);
  });

  it('the name check catches a wrong pin and tclsh catches broken Tcl (negative controls)', async () => {
    const tcl = readFileSync(join(out, 'build.tcl'), 'utf8');
    const wrapper = readFileSync(join(out, 'rtl', 'ccl_core_zynq.v'), 'utf8');
    const calls = await runTcl(out, tcl.replace('[get_bd_pins acc/aclk]', '[get_bd_pins acc/clk]'));
    expect(checkTclNames(calls, wrapper, out)).toEqual(['get_bd_pins acc/clk: not in ccl_core_zynq']);
    await expect(runTcl(out, tcl.replace('create_bd_design system', 'create_bd_design {system'))).rejects.toThrow();
    await expect(runTcl(out, tcl.replace('validate_bd_design', 'validate_bd_desgn'))).rejects.toThrow(/not a Vivado command/);
  });

  it('driver.py compiles, and its frame packing equals the TS testbench beats (frameBeats)', async () => {
    await execa('python3', ['-m', 'py_compile', join(out, 'driver.py')]);
    const { frameBeats } = await import('../src/ccl/rtl-run.js');
    const { cclRtlParams } = await import('../src/ccl/rtl/index.js');
    const cfg = makeCclConfig({ width: 16, height: 8, cell: 2 });
    const img = makeImage(16, 8);
    for (let k = 0; k < img.data.length; k++) img.data[k] = (k * 37 + 11) % 256;
    const ts = frameBeats(img, cclRtlParams(cfg, { ppc: 2 })).map((b) => b.data.toString());
    const r = await execa('python3', ['-c', [
      'import sys, json, numpy as np', `sys.path.insert(0, ${JSON.stringify(out)})`, 'import driver',
      `f = np.array(${JSON.stringify(Array.from(img.data))}, dtype=np.uint8).reshape(8, 16)`,
      'print(json.dumps([str(b) for b in driver.frame_beats(f)]))',
    ].join('\n')]);
    expect(JSON.parse(r.stdout)).toEqual(ts);
  });

  it('a frame through wrapper + core in Icarus (one DMA-like transfer, random stalls) decodes in driver.py to the golden objects', async () => {
    const W = 16, H = 8;
    const img = makeImage(W, H);
    const blobs = [[1, 1, 3, 2], [8, 0, 2, 6], [12, 5, 4, 3], [0, 6, 2, 2]];
    for (const [x0, y0, w, h] of blobs) for (let y = y0!; y < y0! + h!; y++) for (let x = x0!; x < x0! + w!; x++) img.data[y * W + x] = 200;
    const golden = labelImage(img, makeCclConfig({ width: W, height: H, cell: 2 }));
    const py = (code: string[]) => execa('python3', ['-c', ['import sys, json, numpy as np', `sys.path.insert(0, ${JSON.stringify(out)})`, 'import driver', ...code].join('\n')]);
    const beats = JSON.parse((await py([`f = np.array(${JSON.stringify(Array.from(img.data))}, dtype=np.uint8).reshape(${H}, ${W})`, 'print(json.dumps([int(b) for b in driver.frame_beats(f)]))'])).stdout) as number[];
    const lines = await simulateWrapper(join(out, 'rtl'), 'ccl_core_zynq', { inBus: 's_axis_in', inWidth: 16, outBus: 'm_axis_out', outWidth: busWidthOf(out, 'm_axis_out') }, beats, [0x00, 0x04], []);
    const regs = lines.filter((l) => l[0] === 'R');
    expect(Number.parseInt(regs[0]![2]!, 16)).toBe(ID_MAGIC);
    const exportJson = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as { registers: { name: string }[] };
    expect(exportJson.registers.map((r) => r.name)).toEqual(['ID', 'HASH']);
    const hashPy = (await py(['print(driver.DESIGN_HASH)'])).stdout.trim();
    expect(Number.parseInt(regs[1]![2]!, 16)).toBe(Number(hashPy));
    const outBeats = lines.filter((l) => l[0] === 'O').map((l) => BigInt(`0x${l[1]}`).toString());
    expect(lines.filter((l) => l[0] === 'O').at(-1)![2]).toBe('1');
    const objs = JSON.parse((await py([`print(json.dumps(driver.frame_objects([int(x) for x in ${JSON.stringify(outBeats)}])))`])).stdout) as Record<string, number>[];
    const key = (o: { area: number; bbox: number[] }) => `${o.area}@${o.bbox.join(',')}`;
    expect(objs.map((o) => key({ area: o.area!, bbox: [o.xmin!, o.ymin!, o.xmax!, o.ymax!] })).sort())
      .toEqual(golden.objects.map((o) => key(o)).sort());
    expect(objs.length).toBe(4);

    // The same through Accelerator.label() with a fake pynq module: the DMA "receives" the Icarus output bytes.
    const fake = mkdtempSync(join(tmp, 'fakepynq-'));
    writeFileSync(join(fake, 'pynq.py'), FAKE_PYNQ);
    const outBus = busWidthOf(out, 'm_axis_out');
    const respHex = outBeats.map((b) => BigInt(b).toString(16).padStart(outBus / 4, '0').match(/../g)!.reverse().join('')).join('');
    const run = await execa('python3', ['-c', ['import sys, json, numpy as np', `sys.path.insert(0, ${JSON.stringify(fake)})`, `sys.path.insert(0, ${JSON.stringify(out)})`,
      'import pynq, driver',
      `pynq.REGS.update({0: driver.ID_MAGIC, 4: driver.DESIGN_HASH})`,
      `pynq.RESPONSE["dma0"] = bytes.fromhex(${JSON.stringify(respHex)})`,
      `f = np.array(${JSON.stringify(Array.from(img.data))}, dtype=np.uint8).reshape(${H}, ${W})`,
      'objs = driver.Accelerator().label(f)',
      'print(json.dumps({"objs": objs, "sent": pynq.SENT["dma0"].hex(), "expect": driver.beats_to_bytes(driver.frame_beats(f), driver.STREAMS["s_axis_in"]["bus_width"]).hex(), "freed": pynq.FREED}))'].join('\n')]);
    const fr = JSON.parse(run.stdout) as { objs: Record<string, number>[]; sent: string; expect: string; freed: number };
    expect(fr.objs).toEqual(objs);
    expect(fr.sent).toBe(fr.expect);
    const inBus = busWidthOf(out, 's_axis_in');
    expect(fr.sent).toBe(beats.map((b) => BigInt(b).toString(16).padStart(inBus / 4, '0').match(/../g)!.reverse().join('')).join(''));
    expect(fr.sent.length).toBe(2 * (beats.length * busWidthOf(out, 's_axis_in')) / 8);
    expect(fr.freed).toBe(2);
    // a wrong HASH register is refused
    const bad = await execa('python3', ['-c', ['import sys', `sys.path.insert(0, ${JSON.stringify(fake)})`, `sys.path.insert(0, ${JSON.stringify(out)})`,
      'import pynq, driver', 'pynq.REGS.update({0: driver.ID_MAGIC, 4: driver.DESIGN_HASH ^ 1})', 'driver.Accelerator()'].join('\n')], { reject: false });
    expect(bad.stderr).toMatch(/RuntimeError: overlay mismatch/);
  }, 60_000);
});

/** A stand-in for the pynq package: register reads from REGS, DMA sends recorded, receives filled from RESPONSE. */
const FAKE_PYNQ = `import numpy as np
REGS = {}
RESPONSE = {}
SENT = {}
FREED = 0

class _Buf(np.ndarray):
    def freebuffer(self):
        global FREED
        FREED += 1

def allocate(shape, dtype):
    return np.zeros(shape, dtype=dtype).view(_Buf)

class _Mmio:
    def __init__(self, dma):
        self.dma = dma
    def read(self, off):
        assert off == 0x58, off
        return len(RESPONSE[self.dma.name])

class _Send:
    def __init__(self, dma):
        self.dma = dma
    def transfer(self, buf):
        SENT[self.dma.name] = bytes(np.asarray(buf))
    def wait(self):
        pass

class _Recv:
    def __init__(self, dma):
        self.dma = dma
        self.buf = None
    def transfer(self, buf):
        self.buf = buf
    def wait(self):
        data = RESPONSE[self.dma.name]
        assert len(data) <= len(self.buf), "response longer than the receive buffer"
        self.buf[:len(data)] = np.frombuffer(data, dtype=np.uint8)

class _Dma:
    def __init__(self, name):
        self.name = name
        self.sendchannel = _Send(self)
        self.recvchannel = _Recv(self)
        self.mmio = _Mmio(self)

class _Ctrl:
    def read(self, off):
        return REGS.get(off, 0)
    def write(self, off, value):
        REGS[off] = value

class Overlay:
    def __init__(self, bitfile, download=True):
        self.acc = _Ctrl()
        self.dma0 = _Dma("dma0")
`;

function busWidthOf(dir: string, bus: string): number {
  const ex = JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8')) as { streams: { bus: string; busWidth: number }[] };
  return ex.streams.find((s) => s.bus === bus)!.busWidth;
}

/** Icarus testbench: AXI4-Lite writes then reads, then one input transfer (tlast on the last beat only) with random
 * valid/ready stalls; returns lines 'R addr data' and 'O data last'. */
async function simulateWrapper(rtlDir: string, top: string, s: { inBus: string; inWidth: number; outBus: string; outWidth: number },
  beats: (number | bigint)[], reads: number[], writes: [number, number][], extraFiles: string[] = []): Promise<string[][]> {
  const dir = mkdtempSync(join(tmp, 'sim-'));
  writeFileSync(join(dir, 'in.hex'), beats.map((b) => BigInt(b).toString(16)).join('\n') + '\n');
  const N = beats.length;
  const tb = `\`timescale 1ns/1ps
module tb;
reg aclk = 0; always #5 aclk = ~aclk;
reg aresetn = 0;
reg [${s.inWidth - 1}:0] in_data = 0; reg in_valid = 0; wire in_ready; reg in_last = 0;
wire [${s.outWidth - 1}:0] out_data; wire out_valid; reg out_ready = 0; wire out_last; wire [${s.outWidth / 8 - 1}:0] out_keep;
reg [11:0] awaddr = 0; reg awvalid = 0; wire awready; reg [31:0] wdata = 0; reg wvalid = 0; wire wready; wire [1:0] bresp; wire bvalid; reg bready = 0;
reg [11:0] araddr = 0; reg arvalid = 0; wire arready; wire [31:0] rdata; wire [1:0] rresp; wire rvalid; reg rready = 0;
${top} dut (.aclk(aclk), .aresetn(aresetn),
  .${s.inBus}_tdata(in_data), .${s.inBus}_tvalid(in_valid), .${s.inBus}_tready(in_ready), .${s.inBus}_tlast(in_last),
  .${s.outBus}_tdata(out_data), .${s.outBus}_tvalid(out_valid), .${s.outBus}_tready(out_ready), .${s.outBus}_tlast(out_last), .${s.outBus}_tkeep(out_keep),
  .s_axi_ctrl_awaddr(awaddr), .s_axi_ctrl_awvalid(awvalid), .s_axi_ctrl_awready(awready), .s_axi_ctrl_wdata(wdata), .s_axi_ctrl_wstrb(4'hf),
  .s_axi_ctrl_wvalid(wvalid), .s_axi_ctrl_wready(wready), .s_axi_ctrl_bresp(bresp), .s_axi_ctrl_bvalid(bvalid), .s_axi_ctrl_bready(bready),
  .s_axi_ctrl_araddr(araddr), .s_axi_ctrl_arvalid(arvalid), .s_axi_ctrl_arready(arready), .s_axi_ctrl_rdata(rdata), .s_axi_ctrl_rresp(rresp),
  .s_axi_ctrl_rvalid(rvalid), .s_axi_ctrl_rready(rready));
reg [${s.inWidth - 1}:0] mem [0:${N - 1}];
integer fd, idx = 0, seed = 7, cycles = 0;
reg go = 0, done = 0;
task wr(input [11:0] a, input [31:0] d); begin
  @(negedge aclk); awaddr = a; wdata = d; awvalid = 1; wvalid = 1; bready = 1;
  #1; if (!awready || !wready) $display("ERROR awready/wready low with bvalid clear");
  @(posedge aclk); #1; awvalid = 0; wvalid = 0;
  @(posedge aclk); #1; bready = 0;
end endtask
task rd(input [11:0] a); begin
  @(negedge aclk); araddr = a; arvalid = 1; rready = 1;
  #1; if (!arready) $display("ERROR arready low with rvalid clear");
  @(posedge aclk); #1; arvalid = 0; if (!rvalid) $display("ERROR rvalid low after the address handshake");
  $fdisplay(fd, "R %h %h", a, rdata);
  @(posedge aclk); #1; rready = 0;
end endtask
always @(posedge aclk) if (go) begin
  cycles <= cycles + 1;
  if (!in_valid || in_ready) begin
    if (idx < ${N} && ($random(seed) & 3) != 0) begin in_data <= mem[idx]; in_valid <= 1; in_last <= (idx == ${N - 1}); idx <= idx + 1; end
    else in_valid <= 0;
  end
  out_ready <= ($random(seed) & 3) != 0;
  if (out_valid && out_ready) begin $fdisplay(fd, "O %h %0d", out_data, out_last); if (out_last) done <= 1; end
end
initial begin
  fd = $fopen("${join(dir, 'out.txt')}", "w");
  $readmemh("${join(dir, 'in.hex')}", mem);
  repeat (4) @(posedge aclk); #1 aresetn = 1;
${writes.map(([a, d]) => `  wr(12'h${a.toString(16)}, 32'h${d.toString(16)});`).join('\n')}
${reads.map((a) => `  rd(12'h${a.toString(16)});`).join('\n')}
  go = 1;
  wait (done || cycles > 200000);
  repeat (2) @(posedge aclk);
${reads.map((a) => `  rd(12'h${a.toString(16)});`).join('\n')}
  $fclose(fd); $finish;
end
endmodule
`;
  writeFileSync(join(dir, 'tb.v'), tb);
  const files = [...readdirSync(rtlDir).map((f) => join(rtlDir, f)), ...extraFiles];
  await execa('iverilog', ['-g2005', '-o', join(dir, 'tb.vvp'), '-s', 'tb', join(dir, 'tb.v'), ...files]);
  const r = await execa('vvp', ['-n', join(dir, 'tb.vvp')]);
  expect(r.stdout).not.toContain('ERROR');
  return readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
}

describe('export of a custom core with controls (AXI4-Lite registers, active-low reset, padding)', () => {
  const design = join(tmp, 'scaler');
  const out = join(tmp, 'scaler-export');
  beforeAll(async () => {
    mkdirSync(design);
    writeFileSync(join(design, 'scaler.v'), `\`default_nettype none
module scaler (
  input  wire clk, input wire rst_n,
  input  wire [11:0] s_x_tdata, input wire s_x_tvalid, output wire s_x_tready, input wire s_x_tlast,
  output reg  [19:0] m_y_tdata, output reg m_y_tvalid, input wire m_y_tready, output reg m_y_tlast,
  input  wire [7:0] gain, output reg [15:0] count
);
assign s_x_tready = !m_y_tvalid || m_y_tready;
always @(posedge clk) begin
  if (!rst_n) begin m_y_tvalid <= 1'b0; m_y_tdata <= 20'd0; m_y_tlast <= 1'b0; count <= 16'd0; end
  else begin
    if (s_x_tvalid && s_x_tready) begin m_y_tdata <= s_x_tdata * gain; m_y_tlast <= s_x_tlast; m_y_tvalid <= 1'b1; count <= count + 16'd1; end
    else if (m_y_tready) m_y_tvalid <= 1'b0;
  end
end
endmodule
\`default_nettype wire
`);
    await exportDesign({ designDir: design, board: 'zc706', out, clockMHz: 125 });
  });

  it('--clock reaches the PS7 setting, the wrapper clock parameter and the XDC period', () => {
    expect(readFileSync(join(out, 'build.tcl'), 'utf8')).toMatch(/set clock_mhz 125\n[\s\S]*CONFIG\.PCW_FPGA0_PERIPHERAL_FREQMHZ \$clock_mhz/);
    expect(readFileSync(join(out, 'rtl', 'scaler_zynq.v'), 'utf8')).toContain('FREQ_HZ 125000000');
    expect(readFileSync(join(out, 'constraints.xdc'), 'utf8')).toMatch(/^create_clock -period 8\.000 -name clk_fpga_0 /m);
  });

  it('register map: driver, README and RTL agree; writes take effect; status reads back', async () => {
    const reg = JSON.parse((await execa('python3', ['-c', `import sys, json; sys.path.insert(0, ${JSON.stringify(out)}); import driver; print(json.dumps(driver.REGISTERS))`])).stdout) as Record<string, [number, number, string]>;
    expect(reg).toEqual({ ID: [0, 32, 'ro'], HASH: [4, 32, 'ro'], gain: [8, 8, 'rw'], count: [12, 16, 'ro'] });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('| 0x08 | gain | rw | 8 |');
    const xs = Array.from({ length: 10 }, (_, i) => (i * 397 + 5) % 4096);
    const lines = await simulateWrapper(join(out, 'rtl'), 'scaler_zynq', { inBus: 's_axis_x', inWidth: 16, outBus: 'm_axis_y', outWidth: 32 },
      xs, [reg.gain![0], reg.count![0]], [[reg.gain![0], 3]]);
    const r = lines.filter((l) => l[0] === 'R').map((l) => Number.parseInt(l[2]!, 16));
    expect(r).toEqual([3, 0, 3, 10]);
    const o = lines.filter((l) => l[0] === 'O');
    expect(o.map((l) => Number.parseInt(l[1]!, 16))).toEqual(xs.map((x) => (x * 3) % 2 ** 20));
    expect(o.map((l) => l[2])).toEqual([...Array(9).fill('0'), '1']);
  }, 60_000);

  it('lint clean; Tcl for zc706 names the part and only real ports', async () => {
    const files = readdirSync(join(out, 'rtl')).map((f) => join(out, 'rtl', f));
    const r = await execa('verilator', ['--lint-only', '-Wall', '--top-module', 'scaler_zynq', ...files], { reject: false });
    expect(r.stderr).toBe('');
    const calls = await runTcl(out);
    expect(checkTclNames(calls, readFileSync(join(out, 'rtl', 'scaler_zynq.v'), 'utf8'), out)).toEqual([]);
    expect(readFileSync(join(out, 'build.tcl'), 'utf8')).toContain('set part xc7z045ffg900-2');
  });
});

describe('export self-checks', () => {
  it('a core that does not lint clean stops the export (nothing written) unless --no-check', async () => {
    const design = join(tmp, 'unclean');
    mkdirSync(design);
    writeFileSync(join(design, 'unclean.v'), [
      '`default_nettype none',
      'module unclean (input wire clk, input wire rst, input wire [7:0] s_tdata, input wire s_tvalid, output wire s_tready,',
      '  output wire [7:0] m_tdata, output wire m_tvalid, input wire m_tready, output wire m_tlast, input wire [3:0] spare);',
      "  assign m_tdata = s_tdata; assign m_tvalid = s_tvalid; assign s_tready = m_tready; assign m_tlast = 1'b1;",
      'endmodule',
      '`default_nettype wire',
      '',
    ].join('\n'));
    const dest = join(tmp, 'unclean-export');
    const r = await cli(['export', design, '--board', 'pynq-z2', '-o', dest]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/export self-check 'lint' failed: %Warning-UNUSEDSIGNAL: .*unclean-export\/rtl\/unclean\.v:.*Signal is not used/);
    expect(existsSync(dest)).toBe(false);
    const r2 = await cli(['export', design, '--board', 'pynq-z2', '-o', dest, '--no-check']);
    expect(r2.code).toBe(0);
    expect(readFileSync(join(dest, 'README.md'), 'utf8')).toContain('> - none (`--no-check`)');
  }, 60_000);
});

describe('export CLI errors', () => {
  it('bad board, missing folder, missing options: one line, exit 1, nothing written', async () => {
    const dest = join(tmp, 'never');
    const cases: [string[], RegExp][] = [
      [['export', join(tmp, 'nope'), '--board', 'pynq-z2', '-o', dest], /design folder does not exist/],
      [['export', join(tmp, 'scaler'), '--board', 'arty', '-o', dest], /unknown board 'arty'/],
      [['export', join(tmp, 'scaler'), '-o', dest], /--board: missing/],
      [['export', join(tmp, 'scaler'), '--board', 'pynq-z2'], /-o: missing/],
      [['export', join(tmp, 'scaler'), '--board', 'pynq-z2', '--clock', 'fast', '-o', dest], /--clock: must be a frequency/],
      [['export', join(tmp, 'empty'), '--board', 'pynq-z2', '-o', dest], /no design\.json and no Verilog/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n').length).toBe(1);
      expect(existsSync(dest)).toBe(false);
    }
  });
});
