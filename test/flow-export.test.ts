/**
 * accelforge export: the design manifest (zod; missing / malformed), wrapper lint and simulation (Icarus: AXI4-Lite registers and
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
import { exportDesign, runTclStubbed, checkTclNames, ID_MAGIC, type WrapperPorts } from '../src/export/index.js';
import { designManifestJsonSchema, parseDesignManifest, readDesignManifest, type DesignManifest } from '../src/design/index.js';
import { writeScalerDesign } from './support/scaler-core.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { labelImage } from '../src/ccl/golden.js';
import { makeImage } from '../src/image/io.js';
import { standInPynq } from './support/pynq.js';
import { PROJECT_ROOT } from '../src/version.js';

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
  const ex = JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8')) as { clock: { mhz: number } };
  return runTclStubbed(dir, tclText ?? readFileSync(join(dir, 'build.tcl'), 'utf8'), { periodNs: (1000 / ex.clock.mhz).toFixed(3) });
}

/** The wrapper's block-design names as export.json and the wrapper ports state them (for checkTclNames). */
function wrapperPortsOf(dir: string, module: string): WrapperPorts {
  const ex = JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8')) as { streams: { bus: string }[] };
  const text = readFileSync(join(dir, 'rtl', `${module}.v`), 'utf8');
  const interfaces = new Set([...ex.streams.map((s) => s.bus), 's_axi_ctrl']);
  const pins = new Set([...text.matchAll(/^\s*(?:input|output)\s+wire\s+(?:\[\d+:0\]\s+)?(\w+)/gm)].map((m) => m[1]!).filter((n) => ![...interfaces].some((i) => n.startsWith(`${i}_`))));
  return { module, pins, interfaces };
}

describe('design manifest', () => {
  const good = {
    schema: 'accelforge-design/2', top: 't', files: ['t.v'], clock: { port: 'clk', mhz: 100 },
    reset: { port: 'rst', activeLow: false, synchronous: true }, streams: [], registers: [], generator: 'x',
  };

  it('the writer derives it from the built module; readDesignManifest reads it back; JSON Schema lists the fields', async () => {
    const dir = join(tmp, 'manifest');
    const m = await writeScalerDesign(dir);
    expect(m.schema).toBe('accelforge-design/2');
    expect(m.streams.map((s) => [s.name, s.direction, s.dataWidth, s.last])).toEqual([['s_x', 'in', 12, true], ['m_y', 'out', 20, true]]);
    expect(m.registers.map((r) => [r.port, r.direction, r.width])).toEqual([['gain', 'in', 8], ['count', 'out', 16]]);
    expect(m.clock).toEqual({ port: 'clk', mhz: 125 });
    expect(readDesignManifest(dir)).toEqual(m);
    const schema = designManifestJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['schema', 'top', 'files', 'clock', 'reset', 'streams', 'registers', 'runtime', 'report']));
    expect(schema.required).toEqual(expect.arrayContaining(['top', 'streams', 'clock']));
  });

  it('rejects bad manifests with one line naming the field', () => {
    expect(() => parseDesignManifest({ ...good, top: '1bad' }, 'd.json')).toThrow(/^d\.json: top: must be a Verilog identifier/);
    expect(() => parseDesignManifest({ ...good, clock: {} }, 'd.json')).toThrow(/clock\.port: missing/);
    expect(() => parseDesignManifest({ ...good, kind: 'ccl' }, 'd.json')).toThrow(/unknown field\(s\) 'kind'/);
    const s = { name: 's', direction: 'in', dataWidth: 8, last: true };
    expect(() => parseDesignManifest({ ...good, streams: [s, s] }, 'd.json')).toThrow(/streams\[1\]\.name: 's' is used twice/);
    expect(() => parseDesignManifest({ ...good, registers: [{ port: 'g', width: 4, direction: 'in', source: 'constant', value: 16 }] }, 'd.json'))
      .toThrow(/registers\[0\]\.value: 16 does not fit in 4 bits/);
    expect(() => parseDesignManifest({ ...good, streams: [{ ...s, lanes: { count: 3, bits: 3, signed: false } }] }, 'd.json')).toThrow(/lanes: 3 × 3 bits do not fit in 8-bit tdata/);
    for (const bad of [{ ...good, top: '1bad' }, { ...good, extra: 1 }]) expect(() => parseDesignManifest(bad, 'd.json')).toThrow(/^[^\n]+$/);
  });

  it('a folder without a manifest, or with a malformed one: one line naming the folder and the command that writes it', () => {
    const none = join(tmp, 'no-manifest');
    mkdirSync(none);
    writeFileSync(join(none, 'a.v'), 'module a; endmodule\n');
    expect(() => readDesignManifest(none)).toThrow(new RegExp(`^${none}: no design\\.json in the design folder: regenerate the folder with 'accelforge ccl gen' or 'accelforge msq build'`));
    const broken = join(tmp, 'bad-manifest');
    mkdirSync(broken);
    writeFileSync(join(broken, 'design.json'), '{"schema": "accelforge-design/2", ');
    expect(() => readDesignManifest(broken)).toThrow(/bad-manifest\/design\.json: not valid JSON .*regenerate the folder with 'accelforge ccl gen'/);
    writeFileSync(join(broken, 'design.json'), JSON.stringify({ ...good, streams: 3 }));
    expect(() => readDesignManifest(broken)).toThrow(/bad-manifest\/design\.json: streams: .*\(regenerate the folder with 'accelforge ccl gen' or 'accelforge msq build'\)$/);
  });
});

describe('export of a CCL core (ccl gen writes design.json)', () => {
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
    expect(manifest.runtime?.template).toBe('ccl/runtime.py.hbs');
    const { cclRtlParams, maxObjectsPerFrame } = await import('../src/ccl/rtl/index.js');
    const p = cclRtlParams(makeCclConfig({ width: 16, height: 8, cell: 2 }), { ppc: 2 });
    expect(manifest.streams[1]!.maxBeats).toBe(maxObjectsPerFrame(p) + 1);
    expect(manifest.streams[0]).toMatchObject({ dataWidth: p.inWidth, beats: 8 * 8, lastEvery: 8, lanes: { count: 2, bits: 8 } });
    expect(readFileSync(join(out, 'driver.py'), 'utf8')).toContain(`MAX_RECORDS = ${maxObjectsPerFrame(p) + 1}\n`);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/Unverified step/);
    for (const c of ['tcl', 'lint', 'driver']) expect(readme).toContain(`> - ${c}: **passed**`);
    expect(existsSync(join(out, '.under-test.tcl'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'build.tcl', 'constraints.xdc', 'design.json', 'driver.py', 'export.json', 'rtl', 'tracker.py']);
    // the CCL runtime ships the Python tracker because the core's design.json lists it (runtime.extras), not by name
    expect(manifest.runtime?.extras).toEqual(['ccl/tracker.py']);
    expect(readFileSync(join(out, 'tracker.py'), 'utf8')).toBe(readFileSync(join(PROJECT_ROOT, 'templates', 'ccl', 'tracker.py'), 'utf8'));
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
    expect(checkTclNames(calls, wrapperPortsOf(out, 'ccl_core_zynq'), out)).toEqual([]);
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
    const portWidths = (text: string) => new Map([...text.matchAll(/^\s*(?:input|output)\s+wire\s+(?:\[(\d+):0\]\s+)?(\w+)/gm)].map((m) => [m[2]!, m[1] ? Number(m[1]) + 1 : 1]));
    const ports = portWidths(readFileSync(join(out, 'rtl', 'ccl_core_zynq.v'), 'utf8'));
    const streams = JSON.parse((await execa('python3', ['-c', `import sys, json; sys.path.insert(0, ${JSON.stringify(out)}); import driver; print(json.dumps(driver.STREAMS))`])).stdout) as Record<string, { bus_width: number; data_width: number; dma: string; direction: string }>;
    const tcl = readFileSync(join(out, 'build.tcl'), 'utf8');
    const core = portWidths(readFileSync(join(out, 'rtl', 'ccl_core.v'), 'utf8'));
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
    const calls = await runTcl(out, tcl.replace('[get_bd_pins acc/clk]', '[get_bd_pins acc/aclk]'));
    expect(checkTclNames(calls, wrapperPortsOf(out, 'ccl_core_zynq'), out)).toEqual(['get_bd_pins acc/aclk: not in ccl_core_zynq']);
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
    const fake = standInPynq();
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
    expect(run.stderr).toBe('');
    // a wrong HASH register is refused
    const bad = await execa('python3', ['-c', ['import sys', `sys.path.insert(0, ${JSON.stringify(fake)})`, `sys.path.insert(0, ${JSON.stringify(out)})`,
      'import pynq, driver', 'pynq.REGS.update({0: driver.ID_MAGIC, 4: driver.DESIGN_HASH ^ 1})', 'driver.Accelerator()'].join('\n')], { reject: false });
    expect(bad.stderr).toMatch(/RuntimeError: overlay mismatch/);
  }, 60_000);
});

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
${top} dut (.clk(aclk), .rst(!aresetn),
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

describe('export of the scaler test core (AXI4-Lite registers, padding, an inexact clock)', () => {
  const design = join(tmp, 'scaler');
  const out = join(tmp, 'scaler-export');
  beforeAll(async () => {
    await writeScalerDesign(design);
    await exportDesign({ designDir: design, board: 'zc706', out, clockMHz: 150 });
  });

  it('--clock 150 is rounded to 142.857143 MHz (1000 / 7) and that clock is in every artifact', async () => {
    const tcl = readFileSync(join(out, 'build.tcl'), 'utf8');
    expect(tcl).toMatch(/set clock_mhz 142\.857143\n[\s\S]*CONFIG\.PCW_FPGA0_PERIPHERAL_FREQMHZ \$clock_mhz/);
    expect(tcl).toContain('requested 150 MHz');
    expect(tcl).toContain('abs($fclk_period - 7.000)');
    const w = readFileSync(join(out, 'rtl', 'scaler_zynq.v'), 'utf8');
    expect(w).not.toMatch(/FREQ_HZ/); // left to IP integrator: it propagates FCLK_CLK0's achieved rate
    const xdc = readFileSync(join(out, 'constraints.xdc'), 'utf8');
    expect(xdc).toContain('142.857143 MHz (period 7.000 ns)');
    expect(xdc).not.toMatch(/^\s*create_clock/m);
    expect(tcl).toContain('set_property USED_IN_SYNTHESIS false [get_files constraints.xdc]');
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('**Fabric clock: 142.857143 MHz**');
    expect(readme).toContain('You asked for 150 MHz');
    const ex = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as { clock: { mhz: number; hz: number; requestedMHz: number; divisors: number[] } };
    expect(ex.clock).toEqual({ mhz: 142.857143, hz: 142857143, divisors: [1, 7], ioPllMHz: 1000, requestedMHz: 150 });
    expect(readDesignManifest(out).clock.mhz).toBe(142.857143);
    const py = await execa('python3', ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(out)}); import driver; print(driver.CLOCK_MHZ)`]);
    expect(py.stdout.trim()).toBe('142.857143');
    // a wrong period stops the Tcl (negative control of its clk_fpga_0 check)
    await expect(runTclStubbed(out, tcl, { periodNs: '6.667' })).rejects.toThrow(/clk_fpga_0 has period 6\.667 ns, the design was exported for 7\.000 ns/);
  });

  it('without board files the PS7 gets the board settings; Vivado versions are stated and checked', () => {
    const tcl = readFileSync(join(out, 'build.tcl'), 'utf8');
    expect(tcl).toContain('CONFIG.PCW_CRYSTAL_PERIPHERAL_FREQMHZ {33.333333}');
    expect(tcl).toContain('Written for Vivado 2020.2 to 2023.2');
    expect(tcl).toContain('[version -short]');
  });

  it('register map: driver, README and RTL agree; writes take effect; status reads back', async () => {
    const reg = JSON.parse((await execa('python3', ['-c', `import sys, json; sys.path.insert(0, ${JSON.stringify(out)}); import driver; print(json.dumps(driver.REGISTERS))`])).stdout) as Record<string, [number, number, string]>;
    expect(reg).toEqual({ ID: [0, 32, 'ro'], HASH: [4, 32, 'ro'], gain: [8, 8, 'rw'], count: [12, 16, 'ro'] });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('| 0x08 | gain | rw | 8 | multiplier |');
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
    expect(checkTclNames(calls, wrapperPortsOf(out, 'scaler_zynq'), out)).toEqual([]);
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
    writeFileSync(join(design, 'design.json'), JSON.stringify({
      schema: 'accelforge-design/2', top: 'unclean', files: ['unclean.v'], clock: { port: 'clk' }, reset: { port: 'rst', activeLow: false, synchronous: true },
      streams: [{ name: 's', direction: 'in', dataWidth: 8, last: false }, { name: 'm', direction: 'out', dataWidth: 8, last: true }],
      registers: [{ port: 'spare', width: 4, direction: 'in', source: 'axilite' }], generator: 'hand-written',
    }));
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
      [['export', join(tmp, 'scaler'), '--board', 'pynq-z2', '--clock', '300', '-o', dest], /--clock: 300 MHz is outside what the PS7's FCLK0 can make .*nearest achievable clocks are 250 MHz, 200 MHz, 166\.666667 MHz/],
      [['export', join(tmp, 'scaler'), '--board', 'pynq-z2', '--clock', '5', '-o', dest], /--clock: 5 MHz is outside .*nearest achievable clocks are 10 MHz, 10\.10101 MHz, 10\.204082 MHz/],
      [['export', join(tmp, 'no-manifest'), '--board', 'pynq-z2', '-o', dest], /no-manifest: no design\.json in the design folder: regenerate the folder with/],
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

describe('the PYNQ driver under the stand-in pynq module: frame checks, deadlines, reset, RGB, versions (issue 16)', () => {
  const gray = join(tmp, 'ccl-export');
  const rgbDesign = join(tmp, 'ccl-rgb');
  const rgbOut = join(tmp, 'ccl-rgb-export');
  beforeAll(async () => {
    expect((await cli(['ccl', 'gen', '--width', '8', '--height', '4', '--cell', '2', '--ppc', '2', '--format', 'rgb24', '--max-objects', '8', '--no-synth', '-o', rgbDesign])).code).toBe(0);
    expect((await cli(['export', rgbDesign, '--board', 'pynq-z2', '-o', rgbOut])).code).toBe(0);
  }, 60_000);

  const py = (out: string, code: string[]) => execa('python3', ['-c', ['import sys, json, time, numpy as np', `sys.path.insert(0, ${JSON.stringify(standInPynq())})`,
    `sys.path.insert(0, ${JSON.stringify(out)})`, 'import pynq, driver', 'pynq.REGS.update({0: driver.ID_MAGIC, 4: driver.DESIGN_HASH})',
    'pynq.Clocks.fclk0_mhz = driver.CLOCK_MHZ', ...code].join('\n')], { reject: false });

  it('a frame of the wrong shape or format is refused naming the expected shape; nothing is sent', async () => {
    const r = await py(gray, ['acc = driver.Accelerator()',
      'for f in [np.zeros((4, 8), np.uint8), np.zeros((8, 16, 3), np.uint8), np.full((8, 16), 300)]:',
      '    try:', '        acc.label(f)', '    except ValueError as e:', '        print(e)', 'print(json.dumps(sorted(pynq.SENT)))']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('frame has shape (4, 8), the core takes gray8 16x8 frames of shape (8, 16)');
    expect(lines[1]).toBe('frame has shape (8, 16, 3), the core takes gray8 16x8 frames of shape (8, 16)');
    expect(lines[2]).toMatch(/frame has dtype int64: the core takes uint8 pixels/);
    expect(lines[3]).toBe('[]');
  });

  it('a stuck DMA gives a DeadlineError naming the transfer (no hang); reset() pulses FPGA0_OUT_RST and restarts the channels', async () => {
    const t0 = Date.now();
    const r = await py(gray, ['driver.TIMEOUT_S = 0.2', 'acc = driver.Accelerator()', 'pynq.STUCK.add("dma0")',
      't = time.monotonic()', 'try:', '    acc.label(np.zeros((8, 16), np.uint8))', 'except driver.DeadlineError as e:', '    print("deadline", round(time.monotonic() - t, 1), e)',
      'pynq.STUCK.clear()', 'acc.reset()', 'print(json.dumps({"slcr": [[hex(a), v] for a, v in pynq.SLCR_WRITES], "starts": sorted(pynq.STARTS)}))']);
    expect(r.stderr).toBe('');
    expect(Date.now() - t0).toBeLessThan(20_000);
    const [first, json] = r.stdout.trim().split('\n');
    expect(first).toMatch(/^deadline 0\.2 send on s_axis_in did not finish within 0\.2 s \(core stalled, or fed the wrong amount of data\): call reset\(\)$/);
    const j = JSON.parse(json!) as { slcr: [string, number][]; starts: string[][] };
    expect(j.slcr).toEqual([['0xf8000008', 0xdf0d], ['0xf8000240', 1], ['0xf8000240', 0], ['0xf8000004', 0x767b]]);
    expect(j.starts).toEqual([['dma0', 'recv'], ['dma0', 'send']]);
  });

  it('pynq older than 2.7 and a wrong FCLK0 after loading are refused', async () => {
    const old = await py(gray, ['pynq.__version__ = "2.6.1"', 'driver.Accelerator()']);
    expect(old.stderr).toMatch(/RuntimeError: pynq 2\.6\.1 is too old: this driver needs pynq >= 2\.7/);
    const clk = await py(gray, ['pynq.Clocks.fclk0_mhz = 125.0', 'driver.Accelerator()']);
    expect(clk.stderr).toMatch(/RuntimeError: FCLK0 runs at 125\.000 MHz, the design was exported for 100\.000 MHz/);
  });

  it('an rgb24 core: driver packs R | G << 8 | B << 16 exactly as the TS testbench (frameBeats); a gray frame is refused', async () => {
    const { frameBeats } = await import('../src/ccl/rtl-run.js');
    const { cclRtlParams } = await import('../src/ccl/rtl/index.js');
    const img = makeImage(8, 4, 'rgb24');
    for (let k = 0; k < img.data.length; k++) img.data[k] = (k * 53 + 7) % 256;
    const ts = frameBeats(img, cclRtlParams(makeCclConfig({ width: 8, height: 4, cell: 2, pixelFormat: 'rgb24', maxObjects: 8 }), { ppc: 2 })).map((b) => b.data.toString());
    const r = await py(rgbOut, [`f = np.array(${JSON.stringify(Array.from(img.data))}, dtype=np.uint8).reshape(4, 8, 3)`,
      'print(json.dumps([str(b) for b in driver.frame_beats(f)]))', 'try:', '    driver.frame_beats(np.zeros((4, 8), np.uint8))', 'except ValueError as e:', '    print(e)']);
    const [beats, err] = r.stdout.trim().split('\n');
    expect(JSON.parse(beats!)).toEqual(ts);
    expect(err).toBe('frame has shape (4, 8), the core takes rgb24 8x4 frames of shape (4, 8, 3)');
  });

  it('a transfer over the DMA limit (2^26 − 1 bytes) is refused at export naming it; nothing written', async () => {
    const big = join(tmp, 'ccl-big');
    expect((await cli(['ccl', 'gen', '--width', '8192', '--height', '8192', '--cell', '8', '--ppc', '1', '--max-objects', '8', '--no-synth', '-o', big])).code).toBe(0);
    const dest = join(tmp, 'ccl-big-export');
    const r = await cli(['export', big, '--board', 'pynq-z2', '-o', dest]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^accelforge: error: stream s: one 8192×8192 gray8 frame is 67,108,864 bytes \(67108864 beats of 1\), over the AXI DMA's limit of 2\^26 − 1 = 67,108,863 bytes per transfer/);
    expect(existsSync(dest)).toBe(false);
  }, 60_000);
});

describe('export of a multi-class CCL core (ccl gen --classes)', () => {
  it('self-checks pass; the driver reads the class tag above the channel record and waits for every class\'s end-of-frame', async () => {
    const design = join(tmp, 'ccl-multi');
    const out = join(tmp, 'ccl-multi-export');
    const classes = join(tmp, 'classes.json');
    writeFileSync(classes, JSON.stringify({ classes: [{ name: 'red', rgbLo: [150, 0, 0], rgbHi: [255, 90, 90] }, { name: 'green', rgbLo: [0, 140, 0], rgbHi: [110, 255, 110] }] }));
    expect((await cli(['ccl', 'gen', '--width', '16', '--height', '8', '--cell', '2', '--ppc', '2', '--classes', classes, '--max-objects', '8', '--no-synth', '-o', design])).code).toBe(0);
    expect((await cli(['export', design, '--board', 'pynq-z2', '-o', out])).code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(design, 'ccl-config.json'), 'utf8')) as { params: { classTag: { offset: number; width: number } } };
    const { offset } = cfg.params.classTag;
    const eof = (c: number, count: number) => (BigInt(c) << BigInt(offset)) | (BigInt(count) << 1n) | 1n;
    const r = await execa('python3', ['-c', ['import sys, json', `sys.path.insert(0, ${JSON.stringify(out)})`, 'import driver',
      `print(json.dumps(driver.frame_objects([${eof(0, 0)}, ${eof(1, 0)}])))`, 'print(driver.CLASSES)',
      'try:', `    driver.frame_objects([${eof(1, 0)}])`, 'except RuntimeError as e:', '    print(e)',
      'try:', `    driver.frame_objects([${eof(1, 1)}, ${eof(0, 0)}])`, 'except RuntimeError as e:', '    print(e)'].join('\n')]);
    expect(r.stdout.trim().split('\n')).toEqual(['[]', '2', '1 of 2 end-of-frame records received', 'end-of-frame (class 1) counts 1 records, received 0']);
  }, 60_000);
});
