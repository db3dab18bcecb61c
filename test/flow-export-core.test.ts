/**
 * accelforge export of an `msq build --core` folder: the MNIST CNN on the small core config. The generated driver.py
 * runs the whole model with a stand-in `pynq` module whose DMAs hand each job's streams to a callback:
 *  (1) the bytes the Python runtime sends for every job equal the TS stream builders (encodeProgram, jobActBeats,
 *      jobResBeats on the golden tensors), byte for byte, on the DMA the export planned for each stream;
 *  (2) fed the golden m_out bytes, its scatter reproduces every golden tensor and the logits (and a corrupted
 *      output beat is caught: negative control);
 *  (3) the streams the runtime produced drive wrapper + core in Icarus in the runtime's schedule (activations of
 *      job j after job j - 1's output, program of job j + 1 during job j; random valid/ready stalls): the output equals the golden beats, and fed back into the runtime gives the
 *      golden logits.
 * Plus the self-checks (tclsh with stubbed Vivado, verilator lint of wrapper + core, driver compiles), the npz
 * format read by numpy, a stuck DMA (DeadlineError naming the job, no hang) and a one-line refusal of a folder
 * whose runtime data is missing. The runtime is the core's (design.json names templates/msq/runtime.py.hbs and
 * the data msq build wrote); the exporter knows nothing of it. Vivado itself is not available here.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { run as msqCli } from '../src/msq/cli.js';
import { exportDesign, type ExportResult } from '../src/export/index.js';
import { npzBytes } from '../src/util/npz.js';
import { compileModel } from '../src/msq/core/compile.js';
import { standInPynq } from './support/pynq.js';
import { parseQuantModel, type QuantModel } from '../src/msq/model.js';
import { runGolden, type Tensor } from '../src/msq/golden.js';
import { actRange } from '../src/msq/conventions.js';
import { jobActBeats, jobExpectedOut, jobResBeats, type Program } from '../src/msq/core/compile.js';
import { encodeProgram, packCodes } from '../src/msq/core/job.js';
import { beatsToBytes } from '../src/msq/core/export-data.js';
import { mulberry32 } from '../src/util/random.js';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';

const MODEL = join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json');
// the small core of test/msq-core-cli.test.ts
const SMALL = ['--n', '16', '--pf', '2', '--ps', '3', '--rq', '2', '--dsp-pack', '1', '--act-depth', '1024', '--w-depth', '256', '--c-depth', '64', '--max-passes', '16', '--k-max', '4096'];

const tmp = mkdtempSync(join(tmpdir(), 'af-export-core-'));
const build = join(tmp, 'core');
const out = join(tmp, 'core-pynq');
let result: ExportResult;
let program: Program;
let model: QuantModel;
let x: Int32Array;
let golden: Map<string, Tensor>;
let goldenOut: Tensor;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const w = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await f();
  } finally {
    process.stdout.write = w;
  }
};

beforeAll(async () => {
  await quiet(() => msqCli(['build', MODEL, '--board', 'xc7z020', '--core', '-o', build, ...SMALL]));
  result = await exportDesign({ designDir: build, board: 'pynq-z2', out });
  model = parseQuantModel(JSON.parse(readFileSync(MODEL, 'utf8')));
  program = compileModel(model, (JSON.parse(readFileSync(join(build, 'report.json'), 'utf8')) as { core: Program['cfg'] }).core);
  const rand = mulberry32(11);
  const [lo, hi] = actRange(model.input.bits, model.input.signed);
  x = new Int32Array(model.input.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = lo + Math.floor(rand() * (hi - lo + 1));
  const g = runGolden(model, x, { dump: true });
  golden = g.tensors!;
  goldenOut = g.output;
}, 120_000);

interface PyRun {
  /** every send per DMA, in order (hex) */
  sends: Record<string, string[]>;
  /** events: 'send dmaK', 'sent dmaK' (wait returned), 'recv dma0', 'out dma0' (receive wait returned) */
  order: string[];
  tensors: Record<string, number[]>;
  y: number[];
  freed: number;
}

/** driver.Accelerator().run_model(x) with the stand-in pynq (test/support/pynq_standin.py: CALLBACK answers receive j with `responses[j]`, job j's m_out bytes in hex). */
async function runRuntime(responses: string[], prefetch = true, folder = out): Promise<PyRun> {
  const dir = standInPynq();
  writeFileSync(join(dir, 'resp.json'), JSON.stringify(responses));
  writeFileSync(join(dir, 'x.json'), JSON.stringify(Array.from(x)));
  const script = [
    'import sys, json, numpy as np',
    `sys.path.insert(0, ${JSON.stringify(dir)})`,
    `sys.path.insert(0, ${JSON.stringify(folder)})`,
    'import pynq, driver',
    'pynq.REGS.update({0: driver.ID_MAGIC, 4: driver.DESIGN_HASH})',
    'pynq.Clocks.fclk0_mhz = driver.CLOCK_MHZ',
    `resp = json.load(open(${JSON.stringify(join(dir, 'resp.json'))}))`,
    'pynq.CALLBACK = lambda j: bytes.fromhex(resp[j])',
    `x = np.array(json.load(open(${JSON.stringify(join(dir, 'x.json'))})))`,
    `y, tensors = driver.Accelerator().run_model(x, prefetch=${prefetch ? 'True' : 'False'})`,
    'assert not pynq.BUSY, "transfers left running: %s" % pynq.BUSY',
    `json.dump({"sends": {k: [b.hex() for b in v] for k, v in pynq.SENDS.items()}, "order": pynq.ORDER, "tensors": {k: [int(v) for v in t] for k, t in tensors.items()}, "y": [int(v) for v in y.reshape(-1)], "freed": pynq.FREED}, open(${JSON.stringify(join(dir, 'out.json'))}, "w"))`,
  ].join('\n');
  await execa('python3', ['-c', script]);
  return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as PyRun;
}

/** Index of the n-th (0-based) occurrence of an event. */
function nth(order: string[], ev: string, n: number): number {
  let k = -1;
  for (let i = 0; i < order.length; i++) if (order[i] === ev && ++k === n) return i;
  return -1;
}

function busBytes(bus: string): number {
  return result.plan.streams.find((s) => s.bus === bus)!.busWidth / 8;
}

function goldenOutHex(): string[] {
  return program.jobs.map((j) => hex(beatsToBytes(jobExpectedOut(program.cfg, j, golden), busBytes('m_axis_out'))));
}

describe('export of an msq build --core folder (MNIST CNN, small core)', () => {
  it('writes the folder; self-checks pass; one DMA per stream group as documented', () => {
    for (const f of ['build.tcl', 'constraints.xdc', 'driver.py', 'README.md', 'design.json', 'export.json', 'program.runtime.json', 'program.npz', 'rtl/msqc_core_zynq.v', 'rtl/msqc_core.v']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // the testbench stays behind; the core's modules are all there
    expect(readdirSync(join(out, 'rtl')).sort()).toEqual(['msqc_core.v', 'msqc_core_zynq.v', 'msqc_lanes.v', 'msqc_out_fifo.v', 'msqc_rqa.v']);
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([['tcl', 'passed'], ['lint', 'passed'], ['driver', 'passed']]);
    const ex = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as { dmas: { name: string; mm2s?: { bus: string }; s2mm?: { bus: string } }[] };
    expect(ex.dmas.map((d) => [d.name, d.mm2s?.bus ?? null, d.s2mm?.bus ?? null])).toEqual([
      ['dma0', 's_axis_wgt', 'm_axis_out'], ['dma1', 's_axis_act', null], ['dma2', 's_axis_res', null],
    ]);
    const tcl = readFileSync(join(out, 'build.tcl'), 'utf8');
    expect(tcl).toContain('[get_bd_intf_pins dma2/M_AXIS_MM2S] [get_bd_intf_pins acc/s_axis_res]');
    // 128-bit streams: the DMAs' memory-map side is as wide (a stream may not be wider than it, PG022)
    expect(tcl).toMatch(/CONFIG\.c_m_axi_mm2s_data_width \{128\} CONFIG\.c_m_axis_mm2s_tdata_width \{128\}/);
    expect(tcl).toMatch(/CONFIG\.c_m_axi_s2mm_data_width \{128\} CONFIG\.c_s_axis_s2mm_tdata_width \{128\}/);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('acc.run_model(x)');
    expect(result.manifest.runtime).toMatchObject({ template: 'msq/runtime.py.hbs', files: ['program.runtime.json', 'program.npz'] });
    expect(readFileSync(join(out, 'program.npz'))).toEqual(readFileSync(join(build, 'program.npz')));
  });

  it('program.npz loads in numpy with the documented arrays; program.runtime.json names every job and tensor', async () => {
    const r = await execa('python3', ['-c', [
      'import sys, json, numpy as np',
      `d = np.load(${JSON.stringify(join(out, 'program.npz'))})`,
      'print(json.dumps({k: [list(d[k].shape), str(d[k].dtype)] for k in d.files}))',
    ].join('\n')]);
    const arrays = JSON.parse(r.stdout) as Record<string, [number[], string]>;
    const pj = JSON.parse(readFileSync(join(out, 'program.runtime.json'), 'utf8')) as {
      jobs: { name: string; act: { tensor: string }; res: { tensor: string } | null; out: { tensor: string } }[];
      tensors: Record<string, { shape: number[] }>; totals: { wgtBeats: number; actBeats: number; resBeats: number; outBeats: number }; wordBytes: number;
    };
    const N = program.cfg.N;
    expect(arrays).toEqual({
      wgt: [[pj.totals.wgtBeats, pj.wordBytes], 'uint8'],
      act_idx: [[pj.totals.actBeats, N], 'int32'],
      res_idx: [[pj.totals.resBeats, N], 'int32'],
      out_idx: [[pj.totals.outBeats, N], 'int32'],
    });
    expect(pj.jobs.map((j) => j.name)).toEqual(program.jobs.map((j) => j.spec.name));
    for (const j of pj.jobs) for (const t of [j.act.tensor, j.out.tensor, ...(j.res ? [j.res.tensor] : [])]) expect(pj.tensors[t], t).toBeDefined();
    expect(pj.totals.resBeats).toBeGreaterThan(0); // the fused residual add streams s_res
    // a tiny npz round trip: values, negative numbers, 1-D shape
    const f = join(tmp, 'tiny.npz');
    writeFileSync(f, npzBytes([{ name: 'a', dtype: 'i4', shape: [2, 3], data: Int32Array.from([1, -1, 2, -2147483648, 0, 7]) }, { name: 'b', dtype: 'u1', shape: [4], data: Uint8Array.from([0, 255, 3, 4]) }]));
    const t = await execa('python3', ['-c', `import numpy as np; d = np.load(${JSON.stringify(f)}); print(d["a"].tolist(), d["b"].tolist(), d["a"].dtype)`]);
    expect(t.stdout.trim()).toBe('[[1, -1, 2], [-2147483648, 0, 7]] [0, 255, 3, 4] int32');
  });

  it('the Python runtime sends the TS beats for every job and its scatter reproduces every golden tensor and the logits', async () => {
    const cfg = program.cfg;
    const J = program.jobs.length;
    // the program exercises every gather: im2col, tiles (pool, 3x3 conv, linear over the flattened map), residual
    expect(program.jobs.some((j) => j.act.kind === 'im2col')).toBe(true);
    expect(program.jobs.some((j) => j.act.kind === 'tile' && j.spec.op === 'maxpool')).toBe(true);
    expect(program.jobs.some((j) => j.res !== undefined)).toBe(true);
    const wantWgt = program.jobs.map((j) => hex(beatsToBytes(encodeProgram(cfg, j.spec), busBytes('s_axis_wgt'))));
    const wantAct = program.jobs.map((j) => hex(beatsToBytes(jobActBeats(cfg, j, golden), busBytes('s_axis_act'))));
    const wantRes = program.jobs.filter((j) => j.res).map((j) => hex(beatsToBytes(jobResBeats(cfg, j, golden), busBytes('s_axis_res'))));
    for (const prefetch of [true, false]) {
      const py = await runRuntime(goldenOutHex(), prefetch);
      // s_wgt on dma0, s_act on dma1, s_res on dma2 (residual jobs only), byte for byte
      expect(py.sends.dma0, `prefetch ${prefetch}`).toEqual(wantWgt);
      expect(py.sends.dma1).toEqual(wantAct);
      expect(py.sends.dma2).toEqual(wantRes);
      // every host tensor the jobs write equals the golden model's, and the logits
      for (const name of program.tensors.keys()) expect(py.tensors[name], name).toEqual(Array.from(golden.get(name)!.data));
      expect(py.y).toEqual(Array.from(goldenOut.data));
      // schedule: job j's receive starts before its activations; its inputs are gathered after job j - 1's output
      // arrived; with prefetch job j + 1's program is sent before job j's output arrives, without it only after
      for (let j = 0; j < J; j++) {
        expect(nth(py.order, 'recv dma0', j)).toBeLessThan(nth(py.order, 'send dma1', j));
        if (j > 0) expect(nth(py.order, 'out dma0', j - 1)).toBeLessThan(nth(py.order, 'send dma1', j));
        if (j + 1 < J) {
          if (prefetch) expect(nth(py.order, 'send dma0', j + 1)).toBeLessThan(nth(py.order, 'out dma0', j));
          else expect(nth(py.order, 'send dma0', j + 1)).toBeGreaterThan(nth(py.order, 'out dma0', j));
        }
      }
      // every buffer is released
      expect(py.freed).toBe(wantWgt.length + wantAct.length + wantRes.length + J);
    }
  }, 60_000);

  it('negative control: one wrong output lane is caught by the tensor comparison', async () => {
    const resp = goldenOutHex();
    // job 0's first beat, lane 0 (lowest byte): flip its low bit
    const b = parseInt(resp[0]!.slice(0, 2), 16) ^ 1;
    resp[0] = b.toString(16).padStart(2, '0') + resp[0]!.slice(2);
    const py = await runRuntime(resp);
    const name = program.jobs[0]!.out.tensor;
    expect(py.tensors[name]).not.toEqual(Array.from(golden.get(name)!.data));
  }, 60_000);

  it('the runtime\'s streams through wrapper + core in Icarus (its schedule: program j + 1 during job j, random stalls) give the golden outputs and logits', async () => {
    const py = await runRuntime(goldenOutHex());
    const res = [...py.sends.dma2!];
    const resPerJob = program.jobs.map((j) => (j.res ? res.shift()! : ''));
    const lines = await simulateCore(py.sends.dma0!, py.sends.dma1!, resPerJob, busBytes('s_axis_wgt'));
    const regs = lines.filter((l) => l[0] === 'R').map((l) => Number.parseInt(l[2]!, 16));
    const ids = JSON.parse((await execa('python3', ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(out)}); import driver; print([driver.ID_MAGIC, driver.DESIGN_HASH])`])).stdout) as number[];
    expect(regs).toEqual(ids);
    // split the output at tlast: one transfer per job, as the S2MM channel sees it
    const ob = busBytes('m_axis_out');
    const jobs: string[] = [];
    let cur = '';
    for (const l of lines.filter((l) => l[0] === 'O')) {
      cur += Buffer.from(l[1]!.padStart(ob * 2, '0'), 'hex').reverse().toString('hex');
      if (l[2] === '1') {
        jobs.push(cur);
        cur = '';
      }
    }
    expect(cur).toBe('');
    expect(jobs).toEqual(goldenOutHex());
    // the overlap happened: when job j's last output beat left, the core had taken beats of job j + 1's program
    const wgtEnds: number[] = [];
    let n = 0;
    for (const w of py.sends.dma0!) wgtEnds.push((n += w.length / (busBytes('s_axis_wgt') * 2)));
    const taken = lines.filter((l) => l[0] === 'J').map((l) => Number(l[2]));
    expect(taken.length).toBe(program.jobs.length);
    expect(taken.slice(0, -1).filter((t, j) => t > wgtEnds[j]!).length).toBeGreaterThan(0);
    // the simulated outputs back into the runtime: the golden logits
    const back = await runRuntime(jobs);
    expect(back.y).toEqual(Array.from(goldenOut.data));
  }, 180_000);

  it('driver pack_beats / unpack_beats equal packCodes for 8-bit and odd lane widths (N * A whole bytes, bus padding)', async () => {
    const rand = mulberry32(3);
    for (const [N, A, busBytes] of [[16, 8, 16], [16, 5, 16], [8, 13, 16], [16, 6, 16]] as const) {
      const rows = Array.from({ length: 7 }, () => Array.from({ length: N }, () => Math.floor(rand() * 2 ** A) - 2 ** (A - 1)));
      const want = rows.map((r) => hex(beatsToBytes([packCodes(r, A)], busBytes))).join('');
      const r = await execa('python3', ['-c', [
        'import sys, json, numpy as np', `sys.path.insert(0, ${JSON.stringify(out)})`, 'import driver',
        `v = np.array(${JSON.stringify(rows)})`,
        `b = driver.pack_beats(v, ${A}, ${busBytes})`,
        `u = driver.unpack_beats(b.tobytes(), ${N}, ${A}, True, ${busBytes})`,
        'print(json.dumps([b.tobytes().hex(), bool((u == v).all())]))',
      ].join('\n')]);
      expect(JSON.parse(r.stdout), `N ${N} A ${A}`).toEqual([want, true]);
    }
  });

  it('the runtime refuses a program of another design, an input out of range or of the wrong size', async () => {
    const py = (code: string) => execa('python3', ['-c', ['import sys, numpy as np', `sys.path.insert(0, ${JSON.stringify(out)})`, 'import driver', code].join('\n')], { reject: false });
    expect((await py('driver.CONFIG_HASH = "other"\ndriver.CoreProgram()')).stderr).toMatch(/ValueError: .*program\.runtime\.json belongs to another design/);
    const [lo, hi] = actRange(model.input.bits, model.input.signed);
    const n = x.length;
    expect((await py(`p = driver.CoreProgram()\np.new_tensors(np.full(${n}, ${hi + 1}))`)).stderr).toMatch(new RegExp(`ValueError: input values outside \\[${lo}, ${hi}\\]`));
    expect((await py(`p = driver.CoreProgram()\np.new_tensors(np.zeros(${n - 1}, dtype=int))`)).stderr).toMatch(/ValueError: input has \d+ values, the model expects \d+/);
  });

  it('a stuck DMA during run_model: DeadlineError naming the job and the stream, no hang', async () => {
    const r = await execa('python3', ['-c', ['import sys, numpy as np', `sys.path.insert(0, ${JSON.stringify(standInPynq())})`, `sys.path.insert(0, ${JSON.stringify(out)})`,
      'import pynq, driver', 'pynq.REGS.update({0: driver.ID_MAGIC, 4: driver.DESIGN_HASH})', 'pynq.Clocks.fclk0_mhz = driver.CLOCK_MHZ',
      'driver.TIMEOUT_S = 0.2', 'pynq.STUCK.add("dma1")', `x = np.zeros(${x.length}, dtype=int)`,
      'try:', '    driver.Accelerator().run_model(x)', 'except driver.DeadlineError as e:', '    print(e)'].join('\n')], { reject: false, timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`job 0 '${program.jobs[0]!.spec.name}' (layer ${program.jobs[0]!.spec.layer}): send on s_axis_act did not finish within 0.2 s (core stalled, or fed the wrong amount of data): call reset()`);
  });

  it('the program-ROM core (msq build --rom): no weight stream, so no weight DMA; run_model sends no program and gives the golden logits', async () => {
    const rom = join(tmp, 'core-rom');
    const romOut = join(tmp, 'core-rom-pynq');
    await quiet(() => msqCli(['build', MODEL, '--board', 'xc7z020', '--rom', '-o', rom, ...SMALL]));
    const r = await exportDesign({ designDir: rom, board: 'pynq-z2', out: romOut });
    expect(r.manifest.streams.map((st) => st.name).sort()).toEqual(['m_out', 's_act', 's_res']);
    const ex = JSON.parse(readFileSync(join(romOut, 'export.json'), 'utf8')) as { dmas: { name: string; mm2s?: { bus: string }; s2mm?: { bus: string } }[] };
    expect(ex.dmas.map((d) => [d.name, d.mm2s?.bus ?? null, d.s2mm?.bus ?? null])).toEqual([['dma0', 's_axis_act', 'm_axis_out'], ['dma1', 's_axis_res', null]]);
    expect(readFileSync(join(romOut, 'build.tcl'), 'utf8')).not.toContain('s_axis_wgt');
    const py = await runRuntime(goldenOutHex(), true, romOut);
    expect(Object.keys(py.sends).sort()).toEqual(['dma0', 'dma1']);
    expect(py.sends.dma0).toEqual(program.jobs.map((j) => hex(beatsToBytes(jobActBeats(program.cfg, j, golden), busBytes('s_axis_act')))));
    expect(py.y).toEqual(Array.from(goldenOut.data));
  }, 120_000);

  it('a design folder whose runtime data is missing is refused in one line, writing nothing', async () => {
    const dir = join(tmp, 'core-no-npz');
    cpSync(build, dir, { recursive: true });
    rmSync(join(dir, 'program.npz'));
    const dest = join(tmp, 'refused');
    const e = await exportDesign({ designDir: dir, board: 'pynq-z2', out: dest, check: false }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/core-no-npz\/design\.json: runtime\.files: 'program\.npz' is listed but missing from the folder: regenerate it with/);
    expect(existsSync(dest)).toBe(false);
  });
});

/**
 * Icarus: wrapper + core; per job the runtime's s_wgt / s_act / s_res bytes (one MM2S transfer each, tlast on its
 * last beat, random valid/ready stalls) in the runtime's schedule: job j's s_act / s_res only after job j - 1's m_out
 * tlast, job j + 1's s_wgt already during job j (prefetch). Returns lines 'R addr data' (ID, HASH reads) and 'O data last'.
 */
async function simulateCore(wgt: string[], act: string[], res: string[], bytes: number): Promise<string[][]> {
  const dir = mkdtempSync(join(tmp, 'sim-'));
  const W = bytes * 8;
  const beatsOf = (h: string): string[] => {
    const b: string[] = [];
    for (let i = 0; i < h.length; i += bytes * 2) b.push(Buffer.from(h.slice(i, i + bytes * 2), 'hex').reverse().toString('hex'));
    return b;
  };
  const J = wgt.length;
  const streams = { wgt, act, res };
  const ends: Record<string, number[]> = {};
  const sizes: Record<string, number> = {};
  for (const [k, per] of Object.entries(streams)) {
    const all = per.flatMap(beatsOf);
    sizes[k] = Math.max(1, all.length);
    writeFileSync(join(dir, `${k}.hex`), (all.length ? all : ['0']).join('\n') + '\n');
    let n = 0;
    ends[k] = per.map((h) => (n += h.length / (bytes * 2)));
  }
  // the runtime's schedule: job j + 1's program may stream while job j computes (prefetch); act / res only for job j
  const ahead: Record<string, number> = { wgt: 1, act: 0, res: 0 };
  const src = (k: string) => `
reg [${W - 1}:0] ${k}_mem [0:${sizes[k]! - 1}];
reg [${W - 1}:0] ${k}_data = 0; reg ${k}_valid = 0; reg ${k}_last = 0; wire ${k}_ready;
integer ${k}_idx = 0;
wire [31:0] ${k}_end = job_end_${k}(job + ${ahead[k]});
always @(posedge aclk) if (go && (!${k}_valid || ${k}_ready)) begin
  if (${k}_idx < ${k}_end && ($random(seed) & 3) != 0) begin
    ${k}_data <= ${k}_mem[${k}_idx]; ${k}_valid <= 1; ${k}_last <= (${k}_idx == ${k}_end - 1); ${k}_idx <= ${k}_idx + 1;
  end else ${k}_valid <= 0;
end
function [31:0] job_end_${k}(input integer j); begin
  case (j)
${ends[k]!.map((e, j) => `    ${j}: job_end_${k} = ${e};`).join('\n')}
    default: job_end_${k} = ${ends[k]!.at(-1) ?? 0};
  endcase
end endfunction`;
  const tb = `\`timescale 1ns/1ps
module tb;
reg aclk = 0; always #5 aclk = ~aclk;
reg aresetn = 0;
integer fd, seed = 3, cycles = 0, job = 0;
reg go = 0;
${src('wgt')}
${src('act')}
${src('res')}
wire [${W - 1}:0] out_data; wire out_valid; reg out_ready = 0; wire out_last; wire [${bytes - 1}:0] out_keep;
reg [11:0] araddr = 0; reg arvalid = 0; wire arready; wire [31:0] rdata; wire [1:0] rresp; wire rvalid; reg rready = 0;
wire awready, wready, bvalid; wire [1:0] bresp;
msqc_core_zynq dut (.clk(aclk), .rst(!aresetn),
  .s_axis_wgt_tdata(wgt_data), .s_axis_wgt_tvalid(wgt_valid), .s_axis_wgt_tready(wgt_ready), .s_axis_wgt_tlast(wgt_last),
  .s_axis_act_tdata(act_data), .s_axis_act_tvalid(act_valid), .s_axis_act_tready(act_ready), .s_axis_act_tlast(act_last),
  .s_axis_res_tdata(res_data), .s_axis_res_tvalid(res_valid), .s_axis_res_tready(res_ready), .s_axis_res_tlast(res_last),
  .m_axis_out_tdata(out_data), .m_axis_out_tvalid(out_valid), .m_axis_out_tready(out_ready), .m_axis_out_tlast(out_last), .m_axis_out_tkeep(out_keep),
  .s_axi_ctrl_awaddr(12'd0), .s_axi_ctrl_awvalid(1'b0), .s_axi_ctrl_awready(awready), .s_axi_ctrl_wdata(32'd0), .s_axi_ctrl_wstrb(4'h0),
  .s_axi_ctrl_wvalid(1'b0), .s_axi_ctrl_wready(wready), .s_axi_ctrl_bresp(bresp), .s_axi_ctrl_bvalid(bvalid), .s_axi_ctrl_bready(1'b1),
  .s_axi_ctrl_araddr(araddr), .s_axi_ctrl_arvalid(arvalid), .s_axi_ctrl_arready(arready), .s_axi_ctrl_rdata(rdata), .s_axi_ctrl_rresp(rresp),
  .s_axi_ctrl_rvalid(rvalid), .s_axi_ctrl_rready(rready));
always @(posedge aclk) if (go) begin
  cycles <= cycles + 1;
  out_ready <= ($random(seed) & 3) != 0;
  if (out_valid && out_ready) begin
    $fdisplay(fd, "O %h %0d", out_data, out_last);
    if (out_keep != {${bytes}{1'b1}}) $display("ERROR tkeep");
    if (out_last) begin job <= job + 1; $fdisplay(fd, "J %0d %0d", job, wgt_idx); end
  end
end
task rd(input [11:0] a); begin
  @(negedge aclk); araddr = a; arvalid = 1; rready = 1;
  @(posedge aclk); #1; arvalid = 0;
  $fdisplay(fd, "R %h %h", a, rdata);
  @(posedge aclk); #1; rready = 0;
end endtask
initial begin
  fd = $fopen("${join(dir, 'out.txt')}", "w");
  $readmemh("${join(dir, 'wgt.hex')}", wgt_mem);
  $readmemh("${join(dir, 'act.hex')}", act_mem);
  $readmemh("${join(dir, 'res.hex')}", res_mem);
  repeat (4) @(posedge aclk); #1 aresetn = 1;
  rd(12'h000); rd(12'h004);
  go = 1;
  wait (job == ${J} || cycles > 2000000);
  if (job != ${J}) $display("ERROR timeout after %0d jobs", job);
  $fclose(fd); $finish;
end
endmodule
`;
  writeFileSync(join(dir, 'tb.v'), tb);
  const rtl = join(out, 'rtl');
  await execa('iverilog', ['-g2005', '-o', join(dir, 'tb.vvp'), '-s', 'tb', join(dir, 'tb.v'), ...readdirSync(rtl).map((f) => join(rtl, f))]);
  const r = await execa('vvp', ['-n', join(dir, 'tb.vvp')]);
  expect(r.stdout).not.toContain('ERROR');
  return readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
}
