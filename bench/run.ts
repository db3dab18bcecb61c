/**
 * `npm run bench` — run the benchmark set in bench/ and summarize it.
 *
 *   npm run bench                         run every benchmark (long: synthesis sweeps and the accuracy run take
 *                                         tens of minutes on 2 cores), then summarize
 *   npm run bench -- --only ccl-fps,sim   run only benchmarks whose name starts with one of these
 *   npm run bench -- --skip msq-accuracy  run all but these
 *   npm run bench -- --summarize          run nothing: summarize the existing bench/results/*.json
 *   npm run bench -- --list               print the plan
 *   npm run bench -- --screenshot         also save docs/img/bench-report.png (headless Chromium)
 *
 * Each benchmark is its own script (bench/<name>.ts) writing bench/results/<name>.json with its date and machine.
 * This runner then writes
 *   bench/results.json   every headline figure with its kind (measured / estimate / model), reference, ratio,
 *                        source file, date and machine;
 *   bench/RESULTS.md     the same as a table, against the paper's 132 / 624 GOPS and 47.1 / 10.1 ms and the CCL
 *                        2000 fps target where those figures exist;
 *   bench/report.{json,md,html}  the charts (src/report): sweep, ResNet-18 layers, CCL, accuracy.
 * Compare ratios between runs, not absolute times: the machine is shared and its load is recorded.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { join, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { makeCclConfig, type CellSize } from '../src/ccl/config.js';
import { cclCycleModel, cclRtlParams } from '../src/ccl/rtl/index.js';
import { loadBoard } from '../src/board/index.js';
import { utilization } from '../src/synth/index.js';
import {
  makeReport, writeReport, mdTable, cclFpsSection, utilizationSection, type CclFpsPoint, layersSection, accuracySection, type Section, type Table, type AccuracyRow,
} from '../src/report/index.js';

const BENCH = join(PROJECT_ROOT, 'bench');
const RESULTS = join(BENCH, 'results');

interface Step {
  name: string;
  file: string;
  args: string[];
  what: string;
}

/** Known benchmarks in a sensible order. */
const KNOWN: Step[] = [
  { name: 'msq-golden-speed', file: 'msq-golden-speed.ts', args: [], what: 'golden model on a ResNet-18 4-bit image' },
  { name: 'ccl-golden', file: 'ccl-golden.ts', args: [], what: 'CCL golden model on 512×512 frames' },
  { name: 'sim-speed', file: 'sim-speed.ts', args: [], what: 'Verilator / Icarus cycles per second' },
  { name: 'synth-time', file: 'synth-time.ts', args: [], what: 'yosys synthesis time of small designs' },
  { name: 'ccl-fps', file: 'ccl-fps.ts', args: [], what: 'CCL core at 512×512: resources, fps estimate, memory, Verilator time' },
  { name: 'ccl-track', file: 'ccl-track.ts', args: [], what: 'tracking on generated 512×512 sequences: MOTA, IDF1, crossings, recognition, host tracker frames/s' },
  { name: 'msq-core', file: 'msq-core.ts', args: [], what: 'MSQ core per board: sizing, ResNet-18 latency/efficiency (cycle model), per layer' },
  { name: 'msq-core-sim', file: 'msq-core-sim.ts', args: [], what: 'Verilator clock rate of the MSQ core (board preset and small core)' },
  { name: 'msq-core-resnet18-rtl-xc7z020', file: 'msq-core-resnet18-rtl.ts', args: ['--board', 'xc7z020'], what: 'synthetic ResNet-18 on the XC7Z020 core in one Verilator run (~1 min)' },
  { name: 'msq-core-resnet18-rtl-xc7z045', file: 'msq-core-resnet18-rtl.ts', args: ['--board', 'xc7z045'], what: 'synthetic ResNet-18 on the XC7Z045 core in one Verilator run (long: ~25 min with the build)' },
  { name: 'msq-accuracy', file: 'msq-accuracy.ts', args: [], what: 'MNIST accuracy table (long)' },
];

function plan(): Step[] {
  const files = readdirSync(BENCH).filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort();
  const steps = KNOWN.filter((s) => files.includes(s.file));
  for (const f of files) {
    if (!KNOWN.some((s) => s.file === f)) steps.push({ name: basename(f, '.ts'), file: f, args: [], what: '(discovered)' });
  }
  return steps;
}

function machine() {
  return { host: hostname(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg1m: Math.round(loadavg()[0]! * 100) / 100 };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading results defensively: benchmark owners may change their files; a missing field drops a figure, never
// crashes the summary.

type Json = Record<string, unknown>;

let resultsDir = RESULTS;

function load(name: string): Json | undefined {
  const p = join(resultsDir, `${name}.json`);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

function get(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function describeMachine(j: Json): string {
  const m = j.machine;
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object') {
    const o = m as Record<string, unknown>;
    const cores = o.cores ?? o.cpus;
    const load = o.loadavg1m ?? o.loadavg1 ?? j.loadavg1m;
    return `${o.cpu ?? '?'} ×${cores ?? '?'}${load !== undefined ? `, load ${typeof load === 'number' ? load.toFixed(1) : String(load)}` : ''}`;
  }
  return 'not recorded';
}

export type Kind = 'measured' | 'estimate' | 'model' | 'design';

export interface Figure {
  group: string;
  label: string;
  value: number;
  unit: string;
  kind: Kind;
  better: 'higher' | 'lower';
  reference?: { value: number; label: string };
  /** value / reference */
  ratio?: number;
  /** meets the reference in the "better" direction */
  meets?: boolean;
  source: string;
  date: string;
  machine: string;
  note?: string;
}

function figure(j: Json, source: string, f: Omit<Figure, 'source' | 'date' | 'machine' | 'ratio' | 'meets'>): Figure {
  const out: Figure = { ...f, source: `bench/results/${source}.json`, date: String(j.date ?? 'not recorded'), machine: describeMachine(j) };
  if (f.reference) {
    out.ratio = Math.round((f.value / f.reference.value) * 1000) / 1000;
    out.meets = f.better === 'higher' ? f.value >= f.reference.value : f.value <= f.reference.value;
  }
  return out;
}

const PAPER: Record<string, { gops: number; ms: number; board: string }> = {
  xc7z020: { gops: 132, ms: 47.1, board: 'PYNQ-Z2 / XC7Z020' },
  xc7z045: { gops: 624, ms: 10.1, board: 'ZC706 / XC7Z045' },
};
const CCL_FPS_TARGET = 2000;

/** Headline figures from the result files in `dir` (default bench/results); absent files are listed in `missing`. */
export function collectFigures(dir = RESULTS): { figures: Figure[]; missing: string[] } {
  resultsDir = dir;
  const figs: Figure[] = [];
  const missing: string[] = [];
  const push = (f: Figure | undefined) => f && figs.push(f);

  const gs = load('msq-golden-speed');
  if (gs && num(gs.bestCpuSeconds) !== undefined) {
    push(figure(gs, 'msq-golden-speed', { group: 'Golden model', label: 'MSQ golden model, ResNet-18 4-bit, one 224×224 image (CPU s, 1 thread)', value: num(gs.bestCpuSeconds)!, unit: 's', kind: 'measured', better: 'lower', ...(num(gs.targetSeconds) ? { reference: { value: num(gs.targetSeconds)!, label: 'project target' } } : {}), ...(num(gs.bestWallSeconds) ? { note: `wall ${num(gs.bestWallSeconds)} s on the loaded machine` } : {}) }));
  } else missing.push('msq-golden-speed (golden-model speed)');

  const cg = load('ccl-golden');
  const cgRows = (cg?.results as Json[] | undefined)?.filter((r) => num(r.framesPerSecondCpu) !== undefined) ?? [];
  if (cg && cgRows.length) {
    const worst = cgRows.reduce((a, b) => (num(b.framesPerSecondCpu)! < num(a.framesPerSecondCpu)! ? b : a));
    push(figure(cg, 'ccl-golden', { group: 'Golden model', label: `CCL golden model, 512×512, slowest case (cell ${worst.cell}, ${worst.pattern}) frames per CPU s`, value: num(worst.framesPerSecondCpu)!, unit: 'fps', kind: 'measured', better: 'higher' }));
  } else missing.push('ccl-golden (CCL golden-model speed)');

  const ss = load('sim-speed');
  const ssRow = (ss?.results as Json[] | undefined)?.find((r) => r.sim === 'verilator' && num(r.mCyclesPerCpuSecond) !== undefined);
  if (ss && ssRow) {
    push(figure(ss, 'sim-speed', { group: 'Simulation', label: `Verilator, streaming MAC example (${ssRow.case}), driver loop`, value: num(ssRow.mCyclesPerCpuSecond)!, unit: 'M cycles / CPU s', kind: 'measured', better: 'higher' }));
  } else missing.push('sim-speed (Verilator cycles/s)');

  const mc = load('msq-core');
  if (mc) {
    for (const id of Object.keys(PAPER)) {
      const b = get(mc, `boards.${id}`) as Json | undefined;
      if (!b) continue;
      const cfg = get(b, 'best.config') as Json | undefined;
      const cfgText = cfg ? `N=${cfg.N} Pf=${cfg.Pf} Ps=${cfg.Ps} Rq=${cfg.Rq}${cfg.dspPack === 2 ? ' packed' : ''}` : '';
      const peak = num(get(b, 'best.peakGopsAt100MHz'));
      if (peak !== undefined) push(figure(mc, 'msq-core', { group: 'MSQ core (one run-time programmed design)', label: `${PAPER[id]!.board}: peak GOPS at 100 MHz (${cfgText})`, value: peak, unit: 'GOPS', kind: 'estimate', better: 'higher', reference: { value: PAPER[id]!.gops, label: 'paper' }, note: 'configuration sized from synthesized slices (extrapolated), no place & route' }));
      const ms = num(get(b, 'resnet18.compiled.ms'));
      if (ms !== undefined) push(figure(mc, 'msq-core', { group: 'MSQ core (one run-time programmed design)', label: `${PAPER[id]!.board}: ResNet-18 latency at 100 MHz (${cfgText})`, value: ms, unit: 'ms', kind: 'model', better: 'lower', reference: { value: PAPER[id]!.ms, label: 'paper' }, note: `cycle model of the compiled job program with the board's derated DDR bandwidth (an assumption); ${num(get(b, 'resnet18.compiled.msAtEstFmax'))} ms at the estimated fmax` }));
      const eff = num(get(b, 'resnet18.compiled.convEfficiency'));
      if (eff !== undefined) push(figure(mc, 'msq-core', { group: 'MSQ core (one run-time programmed design)', label: `${PAPER[id]!.board}: compute efficiency on ResNet-18 convolutions (useful MACs / lane slots)`, value: Math.round(eff * 1000) / 10, unit: '%', kind: 'model', better: 'higher', reference: { value: 85, label: 'target' } }));
    }
  } else missing.push('msq-core (MSQ core sizing, ResNet-18 latency and efficiency)');

  const cs = load('msq-core-sim');
  // the latest row of the preset as generated (rows are kept per configuration: the preset moved during development)
  const csRow = ((cs?.results as Json[] | undefined) ?? [])
    .filter((r) => r.core === 'xc7z020 preset' && r.rtl === 'generated (generateCore)' && num(r.kCyclesPerCpuSecond) !== undefined)
    .sort((a, b) => String(b.date ?? '').localeCompare(String(a.date ?? '')))[0];
  if (cs && csRow) {
    const c = csRow.cfg as Json | undefined;
    push(figure(cs, 'msq-core-sim', { group: 'Simulation', label: `Verilator, MSQ core XC7Z020 preset${c ? ` (N=${c.N} Pf=${c.Pf} Ps=${c.Ps}: ${Number(c.N) * (Number(c.Pf) + Number(c.Ps))} MACs/clock)` : ''}, ResNet-like 3x3 conv jobs, clock loop`, value: Math.round(num(csRow.kCyclesPerCpuSecond)!) / 1000, unit: 'M cycles / CPU s', kind: 'measured', better: 'higher', reference: { value: 1, label: 'issue target' }, note: `lane use ${(100 * (num(csRow.laneUtilization) ?? 0)).toFixed(1)} %; measured ${String(csRow.date ?? '').slice(0, 16)}` }));
  }

  for (const id of Object.keys(PAPER)) {
    const rr = load(`msq-core-resnet18-rtl-${id}`);
    if (!rr || num(get(rr, 'measured.cycles')) === undefined || rr.allJobs !== true) continue;
    push(figure(rr, `msq-core-resnet18-rtl-${id}`, { group: 'MSQ core (one run-time programmed design)', label: `${PAPER[id]!.board} core: synthetic ResNet-18 in Verilator, all ${rr.jobs} jobs bit-exact — latency at an assumed 100 MHz`, value: num(get(rr, 'measured.msAt100MHz'))!, unit: 'ms', kind: 'measured', better: 'lower', reference: { value: PAPER[id]!.ms, label: 'paper' }, note: `RTL cycles with streams always ready (no DDR limit), ${(100 * num(get(rr, 'measured.efficiency'))!).toFixed(1)} % lane use; cycle model error ${(100 * num(get(rr, 'model.errorVsRtl'))!).toFixed(2)} %` }));
  }

  const cf = load('ccl-fps');
  const cfRows = (cf?.results as Json[] | undefined) ?? [];
  if (cf && cfRows.length) {
    for (const r of cfRows) {
      const tag = `C=${r.cell}, P=${r.ppc}`;
      const fpsEst = num(r.fpsEstimateMeasuredPeriod);
      const periods = (r.measuredFramePeriodCycles as unknown[] | undefined)?.map(num).filter((x): x is number => x !== undefined) ?? [];
      if (fpsEst !== undefined) {
        push(figure(cf, 'ccl-fps', { group: 'CCL core', label: `512×512 frames/s (${tag}) at the yosys fmax estimate`, value: fpsEst, unit: 'fps', kind: 'estimate', better: 'higher', reference: { value: CCL_FPS_TARGET, label: 'target' }, note: 'measured frame period (Verilator) × estimated fmax (no place & route)' }));
      } else if (periods.length) {
        const worst = Math.max(...periods);
        push(figure(cf, 'ccl-fps', { group: 'CCL core', label: `512×512 frames/s (${tag}) at an assumed 100 MHz`, value: Math.floor(100e6 / worst), unit: 'fps', kind: 'estimate', better: 'higher', reference: { value: CCL_FPS_TARGET, label: 'target' }, note: 'measured frame period in Verilator; the clock is assumed (synthesis skipped in this run)' }));
      }
      const pct = num(get(r, 'memory.percentOfFullFrame'));
      if (pct !== undefined) push(figure(cf, 'ccl-fps', { group: 'CCL core', label: `on-chip memory vs a 512×512 full-frame label buffer (${tag})`, value: pct, unit: '%', kind: 'design', better: 'lower', reference: { value: 5, label: 'target' }, note: `${num(get(r, 'memory.totalBits'))?.toLocaleString('en-US')} of ${num(get(r, 'memory.fullFrameLabelBits'))?.toLocaleString('en-US')} bits` }));
      const ms = num(get(r, 'verilator.runMsPerFrame'));
      if (ms !== undefined) push(figure(cf, 'ccl-fps', { group: 'Simulation', label: `Verilator, CCL core 512×512 (${tag}), wall ms per frame`, value: ms, unit: 'ms', kind: 'measured', better: 'lower' }));
    }
  } else missing.push('ccl-fps (CCL fps at 512×512, memory)');

  const st = load('synth-time');
  const stRuns = (st?.runs as Json[] | undefined) ?? [];
  if (st && stRuns.length) {
    const designs = [...new Set(stRuns.map((r) => String(r.design)))];
    for (const d of designs) {
      const cpu = stRuns.filter((r) => r.design === d).map((r) => num(r.cpuMs) ?? num(r.wallMs)).filter((x): x is number => x !== undefined);
      if (cpu.length) push(figure(st, 'synth-time', { group: 'Synthesis', label: `yosys synth_xilinx of '${d}' (best CPU s)`, value: Math.min(...cpu) / 1000, unit: 's', kind: 'measured', better: 'lower', note: String(st.yosys ?? '') }));
    }
  } else missing.push('synth-time (synthesis time)');

  const acc = load('msq-accuracy');
  if (acc && num(acc.qatGapPoints) !== undefined) {
    push(figure(acc, 'msq-accuracy', { group: 'Accuracy', label: 'MNIST: float − QAT MSQ (as trained), top-1 points', value: num(acc.qatGapPoints)!, unit: 'points', kind: 'measured', better: 'lower', reference: { value: 1.5, label: 'target' } }));
  } else missing.push('msq-accuracy (accuracy table)');

  return { figures: figs, missing };
}

function fmtValue(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 1000) / 1000);
}

export function resultsMarkdown(figs: Figure[], missing: string[], runs: RunRecord[], now: string): string {
  const L: string[] = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts, accelforge ${GENERATOR_VERSION}) on ${now}. Each figure keeps the date and machine of the`,
    'benchmark run that produced it (bench/results/<name>.json). The machine is a shared 2-core VM: compare **ratios** between',
    'runs, not absolute times.',
    '',
    'Kinds: **measured** = timed or simulated here; **estimate** = yosys synthesis without place & route, or resources',
    'extrapolated from synthesized slices, or an assumed clock; **model** = cycle model (not a board run); **design** = a',
    'property of the generated design (e.g. memory bits). Nothing here was measured on an FPGA board.',
    '',
  ];
  const groups = [...new Set(figs.map((f) => f.group))];
  for (const g of groups) {
    L.push(`## ${g}`, '');
    const t: Table = {
      headers: ['Figure', 'Value', 'Reference', 'Ratio', 'Kind', 'Source (date, machine)'],
      rows: figs.filter((f) => f.group === g).map((f) => [
        f.label + (f.note ? ` — ${f.note}` : ''),
        `${fmtValue(f.value)} ${f.unit}`,
        f.reference ? `${fmtValue(f.reference.value)} ${f.unit} (${f.reference.label})` : '—',
        f.ratio !== undefined ? `${f.ratio}×${f.meets ? ' ✓' : ' ✗'}` : '—',
        f.kind.toUpperCase(),
        `${f.source.replace('bench/results/', '')} (${f.date.slice(0, 16).replace('T', ' ')}, ${f.machine})`,
      ]),
      numeric: [false, true, true, true, false, false],
    };
    L.push(mdTable(t), '');
  }
  const acc = load('msq-accuracy');
  if (acc && typeof acc.markdown === 'string') L.push('## Accuracy table (bench/results/msq-accuracy.json)', '', acc.markdown.trim(), '');
  if (missing.length) {
    L.push('## Not available', '', 'No (readable) result file for:', '', ...missing.map((m) => `- ${m}`), '');
  }
  if (runs.length) {
    L.push('## This run', '', mdTable({ headers: ['Benchmark', 'Command', 'Exit', 'Wall s'], rows: runs.map((r) => [r.name, `\`${r.command}\``, r.exitCode, r.wallSeconds]) }), '');
  }
  L.push('✓ / ✗: meets / misses the reference in the better direction (higher GOPS and fps, lower ms, memory and error).', '');
  return L.join('\n');
}

interface RunRecord {
  name: string;
  command: string;
  exitCode: number;
  wallSeconds: number;
}

async function runStep(s: Step, i: number, n: number): Promise<RunRecord> {
  const command = `npx tsx bench/${s.file}${s.args.length ? ' ' + s.args.join(' ') : ''}`;
  process.stdout.write(`\n[${i}/${n}] ${s.name}: ${s.what}\n      ${command}\n`);
  const t0 = performance.now();
  const r = await execa(process.execPath, ['--import', 'tsx', join(BENCH, s.file), ...s.args], { cwd: PROJECT_ROOT, stdio: 'inherit', reject: false });
  const rec = { name: s.name, command, exitCode: r.exitCode ?? -1, wallSeconds: Math.round((performance.now() - t0) / 100) / 10 };
  process.stdout.write(`[${i}/${n}] ${s.name}: ${rec.exitCode === 0 ? 'ok' : `FAILED (exit ${rec.exitCode})`} in ${rec.wallSeconds} s\n`);
  return rec;
}

function reportSections(): Section[] {
  const sections: Section[] = [];
  const mcore = load('msq-core');
  for (const id of Object.keys(PAPER)) {
    const rows = get(mcore, `boards.${id}.resnet18.compiled.perLayer`) as Array<{ layer: string; cycles: number }> | undefined;
    if (Array.isArray(rows) && rows.length && rows.every((l) => typeof l.layer === 'string' && num(l.cycles) !== undefined)) {
      sections.push(layersSection(rows.map((l) => ({ name: l.layer, cycles: l.cycles })), 100, `ResNet-18 on the MSQ core, ${PAPER[id]!.board}`, { estimate: 'Cycle model of the compiled job program with the board\'s derated DDR bandwidth (an assumption); 100 MHz nominal clock.' }));
    }
  }
  // CCL: frames/s vs resolution and cell size from the cycle model, at the yosys fmax estimate of the ccl-fps run
  // when it synthesized, else at an assumed 100 MHz; plus the utilization of the synthesized 512×512 cores.
  const cf = load('ccl-fps');
  const cfRows = (cf?.results as Json[] | undefined) ?? [];
  const ppc = num(cfRows[0]?.ppc) ?? 4;
  const fmax = cfRows.map((r) => num(get(r, 'synth.fmaxMHzEstimate'))).find((x) => x !== undefined);
  const clock = fmax ?? 100;
  const points: CclFpsPoint[] = [];
  for (const size of [128, 256, 512, 1024, 2048]) {
    for (const cell of [4, 8, 16]) {
      try {
        const p = cclRtlParams(makeCclConfig({ width: size, height: size, cell: cell as CellSize, maxObjects: 1024 }), { ppc });
        points.push({ width: size, height: size, cell, fps: (clock * 1e6) / cclCycleModel(p).framePeriodWorst });
      } catch {
        /* a geometry the core does not support: no point */
      }
    }
  }
  if (points.length) {
    sections.push(cclFpsSection(points, {
      target: 2000,
      basis: `MODEL: guaranteed frames/s for any image (cclCycleModel worst-case frame period, frames back to back), P = ${ppc} pixels per clock, at ${fmax !== undefined ? `the yosys fmax ESTIMATE of the 512×512 core (${fmax} MHz, no place & route)` : 'an ASSUMED 100 MHz clock (no synthesis result in bench/results/ccl-fps.json)'}.`,
    }));
  }
  const board = loadBoard('xc7z020');
  for (const r of cfRows) {
    const sy = obj(r.synth);
    if (!sy || [sy.lut, sy.ff, sy.dsp, sy.bram36].some((v) => num(v) === undefined)) continue;
    const res = { lut: { total: num(sy.lut)! }, lutram: num(sy.lutram) ?? 0, srl: 0, ff: num(sy.ff)!, dsp48e1: num(sy.dsp)!, bram36Equivalent: num(sy.bram36)! };
    sections.push(utilizationSection(utilization(res as Parameters<typeof utilization>[0], board), `CCL core 512×512 C=${r.cell} P=${r.ppc}`, { id: `ccl-util-${r.cell}x${r.ppc}` }));
  }

  const acc = load('msq-accuracy');
  const rows = acc?.rows as Array<{ model: string } & Record<string, unknown>> | undefined;
  if (Array.isArray(rows) && rows.length) {
    const ar: AccuracyRow[] = rows.map((r) => ({ model: r.model, float: num(r.float) ?? null, fixed: num(r.fixed) ?? null, sp2: num(r.sp2) ?? null, msq: num(r.msqOutput) ?? null }));
    sections.push(accuracySection(ar, `${String(acc!.n ?? 1000)} held-out test images per model (bench/results/msq-accuracy.json). MSQ = the output-error split (default), post-training.`));
  }
  return sections;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' }, skip: { type: 'string' }, summarize: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false }, screenshot: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const all = plan();
  const pick = (spec: string | undefined) => (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const only = pick(values.only), skip = pick(values.skip);
  const steps = all.filter((s) => (only.length === 0 || only.some((o) => s.name.startsWith(o))) && !skip.some((o) => s.name.startsWith(o)));
  if (values.list) {
    for (const s of all) process.stdout.write(`${steps.includes(s) ? '*' : ' '} ${s.name.padEnd(20)} bench/${s.file} ${s.args.join(' ')}  — ${s.what}\n`);
    return;
  }
  if (only.length && steps.length === 0) {
    process.stderr.write(`bench: --only ${values.only}: no benchmark matches (see --list)\n`);
    process.exit(1);
  }
  const runs: RunRecord[] = [];
  if (!values.summarize) {
    let i = 0;
    for (const s of steps) runs.push(await runStep(s, ++i, steps.length));
  }
  const now = new Date().toISOString();
  const { figures, missing } = collectFigures();
  const results = {
    generator: `accelforge ${GENERATOR_VERSION}`,
    date: now,
    machine: machine(),
    note: 'Each figure carries the date and machine of the benchmark that produced it. Compare ratios between runs, not absolute times. kind: measured | estimate (yosys without P&R, extrapolation, assumed clock) | model (cycle model) | design.',
    runs,
    figures,
    missing,
  };
  await writeFileAtomic(join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  await writeFileAtomic(join(BENCH, 'RESULTS.md'), resultsMarkdown(figures, missing, runs, now));
  const summary: Section = {
    heading: 'Headline figures',
    notes: ['Nothing here was measured on an FPGA board: ESTIMATE = yosys without place & route / extrapolation / assumed clock; MODEL = cycle model.'],
    tables: [{
      headers: ['Figure', 'Value', 'Reference', 'Ratio', 'Kind'],
      rows: figures.map((f) => [f.label, `${fmtValue(f.value)} ${f.unit}`, f.reference ? `${fmtValue(f.reference.value)} (${f.reference.label})` : null, f.ratio ?? null, f.kind]),
    }],
  };
  const doc = makeReport('accelforge benchmarks', [summary, ...reportSections()], 'Summary of bench/results/*.json (npm run bench).', now);
  const paths = await writeReport(BENCH, 'report', doc);
  if (values.screenshot) {
    const { checkPage } = await import('../src/report/browser.js');
    const r = await checkPage(paths[2]!, { screenshot: join(PROJECT_ROOT, 'docs', 'img', 'bench-report.png'), fullPage: false });
    if (r.consoleErrors.length) process.stderr.write(`bench: report page console errors: ${r.consoleErrors.join('; ')}\n`);
  }
  process.stdout.write(`\nwrote bench/results.json, bench/RESULTS.md, bench/report.{json,md,html} (${figures.length} figures${missing.length ? `, ${missing.length} benchmark(s) without results` : ''})\n`);
  if (runs.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

if (process.argv[1] && /bench[\\/]run\.ts$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  });
}
