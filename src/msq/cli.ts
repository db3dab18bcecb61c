/**
 * `accelforge msq build <model.q.json> --board B -o DIR [--rom] [--n N --pf PF --ps PS --rq RQ ...]`: the MSQ core
 * and the model's job program (src/msq/core/build.ts); with `--rom` the program is held in the core's on-chip ROM.
 * `accelforge msq sweep --board B [--n 16,32,64] [--lut-cap 0.8] ...`: size the MSQ core for a board.
 * `--core` is accepted on both as a no-op (the MSQ core is the only MSQ design).
 */
import { readFileSync } from 'node:fs';
import { loadBoard } from '../board/index.js';
import { parseCommand } from '../util/cli.js';
import { fail, UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { progress } from '../util/progress.js';
import { parseQuantModel } from './model.js';

const USAGE = `usage: accelforge msq build <model.q.json> --board xc7z020|xc7z045 -o DIR [--rom] [--n N --pf PF --ps PS --rq RQ --dsp-pack 1|2] [--act-depth D --w-depth D --c-depth D --max-passes P --k-max K] [--seed S]
       accelforge msq sweep --board xc7z020|xc7z045 [--n 16,32,64] [--sp2-act-bits 4,8] [--slices FILE] [--lut-cap 0.8] [--dsp-cap 1.0] [--bram-cap 1.0] [--workers K] [--json FILE]
       accelforge msq plan <model.onnx> --board B [--calib DIR|mnist|fashion-mnist|none|generate] [--json plan.json] [--max-ms X] [--max-kb Y] [--report DIR]`;

function intOpt(name: string, v: string | undefined, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v.trim())) fail(`--${name}`, `must be a whole number, got '${v}'`);
  const n = Number(v);
  if (n < lo || n > hi) fail(`--${name}`, `must be in ${lo}..${hi}, got ${n}`);
  return n;
}

function numOpt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name}`, `must be a number, got '${v}'`);
  return n;
}

async function build(argv: string[]): Promise<void> {
  const parsed = parseCommand('msq build', argv, {
  board: { type: 'string' },
  out: { type: 'string', short: 'o' },
  n: { type: 'string' },
  pf: { type: 'string' },
  ps: { type: 'string' },
  rq: { type: 'string' },
  'dsp-pack': { type: 'string' },
  seed: { type: 'string' },
  core: { type: 'boolean' },
  rom: { type: 'boolean' },
  'act-depth': { type: 'string' },
  'w-depth': { type: 'string' },
  'c-depth': { type: 'string' },
  'max-passes': { type: 'string' },
  'k-max': { type: 'string' },
  }, USAGE);
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) fail('model', `give exactly one model.q.json\n${USAGE}`);
  if (!values.board) fail('--board', 'is required (xc7z020 or xc7z045 or a board .json)');
  if (!values.out) fail('-o', 'is required: the output folder');
  const board = loadBoard(values.board);
  const path = positionals[0]!;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(path, `cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`);
  }
  const model = parseQuantModel(data);
  const { buildCore } = await import('./core/build.js');
  const { defaultCoreConfig } = await import('./core/presets.js');
  const d = defaultCoreConfig(board);
  const cfg = {
    ...d,
    N: intOpt('n', values.n, d.N, 1, 256),
    Pf: intOpt('pf', values.pf, d.Pf, 0, 4096),
    Ps: intOpt('ps', values.ps, d.Ps, 0, 4096),
    Rq: intOpt('rq', values.rq, d.Rq, 1, 4096),
    dspPack: intOpt('dsp-pack', values['dsp-pack'], d.dspPack, 1, 2) as 1 | 2,
    actDepth: intOpt('act-depth', values['act-depth'], d.actDepth, 1, 2 ** 24 - 1),
    wDepth: intOpt('w-depth', values['w-depth'], d.wDepth, 1, 2 ** 24 - 1),
    cDepth: intOpt('c-depth', values['c-depth'], d.cDepth, 1, 2 ** 15),
    maxPasses: intOpt('max-passes', values['max-passes'], d.maxPasses, 1, 2 ** 16 - 1),
    kMax: intOpt('k-max', values['k-max'], d.kMax, 1, 2 ** 24),
    ...(values.rom ? { rom: true } : {}),
  };
  const seed = intOpt('seed', values.seed, 1, 0, 2 ** 31);
  const b = await buildCore(model, { board, cfg, outDir: values.out, seed });
  const held = values.rom ? ' held in its program ROM' : '';
  process.stdout.write(`wrote MSQ core ${b.top} (N=${cfg.N}, Pf=${cfg.Pf}, Ps=${cfg.Ps}, Rq=${cfg.Rq}, ${b.dsp48e1} DSP48E1) and a ${b.jobs}-job program${held} to ${values.out} (RTL, ${b.testbench}, ${[...b.inputs, 'm_out.expected'].join('/')} hex, program.json, report.md, report.json, summary.html)\n`);
}

async function sweep(argv: string[]): Promise<void> {
  const parsed = parseCommand('msq sweep', argv, {
  board: { type: 'string' },
  n: { type: 'string' },
  'lut-cap': { type: 'string' },
  'dsp-cap': { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'string' },
  core: { type: 'boolean' },
  'sp2-act-bits': { type: 'string' },
  slices: { type: 'string' },
  'bram-cap': { type: 'string' },
  }, USAGE);
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length > 0) fail('msq sweep', `takes no file argument, got '${positionals[0]}'`);
  if (!values.board) fail('--board', 'is required (xc7z020 or xc7z045 or a board .json)');
  return sweepCore(loadBoard(values.board), values);
}

/**
 * `msq sweep`: size the MSQ core for a board. Lane slices (fixed lanes, packed pairs, SP2 lanes per
 * sp2ActBits; 1/2/4 units) and a requantizer unit are synthesized in parallel worker processes (or read from
 * `--slices FILE`, e.g. bench/results/msq-core-slices.json); each family is fitted linearly (checked on the middle
 * point) and EXTRAPOLATED to the board size; the control (loaders, issuer, banks, emitter) comes from the recorded
 * synthesis of whole small cores in bench/results/msq-core-slices.json when present. Picks the configuration with the
 * lowest ResNet-18 latency (cycle model of the compiled program of ResNet-18 by structure) under the DSP / LUT / BRAM36 caps.
 */
async function sweepCore(board: import('../board/index.js').Board, values: Record<string, string | boolean | undefined>): Promise<void> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PROJECT_ROOT } = await import('../version.js');
  const sizing = await import('./core/sizing.js');
  const list = (name: string, v: unknown, dflt: string, lo: number, hi: number): number[] =>
    String(v ?? dflt).split(',').map((x) => intOpt(name, x, 0, lo, hi));
  const Ns = list('n', values.n, '16,32,64', 2, 256);
  const sp2ActBits = list('sp2-act-bits', values['sp2-act-bits'], '4,8', 2, 8);
  const caps = {
    lut: numOpt('lut-cap', values['lut-cap'] as string | undefined, 0.8),
    dsp: numOpt('dsp-cap', values['dsp-cap'] as string | undefined, 1.0),
    bram36: numOpt('bram-cap', values['bram-cap'] as string | undefined, 1.0),
  };
  for (const [k, v] of Object.entries(caps)) if (!(v > 0 && v <= 1)) fail(`--${k === 'bram36' ? 'bram' : k}-cap`, `must be in (0, 1], got ${v}`);
  const recorded = join(PROJECT_ROOT, 'bench', 'results', 'msq-core-slices.json');
  let slices: import('./core/sizing.js').CoreSlices;
  let source: string;
  if (values.slices) {
    const f = String(values.slices);
    if (!existsSync(f)) fail('--slices', `no such file: ${f}`);
    let j: { slices?: import('./core/sizing.js').CoreSlices };
    try {
      j = JSON.parse(readFileSync(f, 'utf8')) as typeof j;
    } catch (e) {
      fail('--slices', `not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (!j.slices?.fits) fail('--slices', `${f} holds no slice fits (write one with bench/msq-core.ts --slices)`);
    slices = sizing.normalizeSlices(j.slices);
    source = `recorded slices (${f})`;
  } else {
    const kinds: import('./core/sizing.js').SliceKind[] = ['fixed', 'pair', 'sp2'];
    const total = Ns.length * (2 + sp2ActBits.length) * sizing.SLICE_UNITS.length + Ns.length;
    const bar = progress(total, 'msq sweep: synthesizing lane slices');
    const fresh = await sizing.synthesizeCoreSlices(Ns, sizing.laneSliceVerilog, {
      kinds,
      sp2ActBits,
      rqaVerilog: sizing.rqaSliceVerilog,
      workers: values.workers ? intOpt('workers', values.workers as string, 2, 1, 64) : undefined,
      onProgress: (_d, _t, label) => bar.tick(1, label),
    });
    bar.stop();
    const rec = existsSync(recorded) ? (JSON.parse(readFileSync(recorded, 'utf8')) as { slices?: import('./core/sizing.js').CoreSlices }).slices : undefined;
    slices = sizing.normalizeSlices({ ...fresh, control: rec?.control ?? fresh.control });
    source = `lane slices synthesized now${rec?.control ? '; control from bench/results/msq-core-slices.json' : ''}`;
  }
  const r = sizing.sizeCore(board, slices, sizing.PLACEHOLDER_OVERHEAD, { Ns, caps, sp2ActBits });
  sizing.checkFits(r.best.cfg, board, { slices, caps, what: `msq sweep --board ${board.id}` });
  const row = (c: import('./core/sizing.js').SizedCore): string => {
    const k = c.cfg;
    return `N=${k.N} Pf=${k.Pf} Ps=${k.Ps} Rq=${k.Rq} pack=${k.dspPack} sp2ActBits=${k.sp2ActBits ?? k.A} | LUT ${(100 * c.resources.util.lut).toFixed(0)}% DSP ${(100 * c.resources.util.dsp).toFixed(0)}% BRAM36 ${(100 * c.resources.util.bram36).toFixed(0)}% | peak ${c.peakGopsAt100.toFixed(1)} GOPS @100 MHz${c.peakGopsAtFmax ? `, ${c.peakGopsAtFmax.toFixed(1)} @ est. ${c.resources.estFmaxMHz} MHz` : ''} | ResNet-18 ${c.latency.ms.toFixed(2)} ms, conv efficiency ${(100 * c.latency.convEfficiency).toFixed(1)}%`;
  };
  const lines = [
    `msq sweep ${board.id}: ${r.evaluated} configurations evaluated (${source}); resources are EXTRAPOLATED estimates (no place and route), ResNet-18 from the cycle model (compiled program of ResNet-18 by structure, DDR at the board's assumed ${board.ddr.deratedGBps} GB/s)`,
    `best:       ${row(r.best)}`,
    ...r.runnersUp.slice(0, 5).map((c) => `runner-up:  ${row(c)}`),
    r.fixedOnly ? `fixed only: ${row(r.fixedOnly)}` : 'fixed only: none fits',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (values.json) {
    const strip = (c: import('./core/sizing.js').SizedCore) => ({ config: c.cfg, ratio: c.ratio, resources: c.resources, peakGopsAt100MHz: c.peakGopsAt100, peakGopsAtEstFmax: c.peakGopsAtFmax, resnet18: { ms: c.latency.ms, convEfficiency: c.latency.convEfficiency, effectiveGops: c.latency.effectiveGops } });
    await writeFileAtomic(String(values.json), JSON.stringify({ kind: 'msq-core-sweep', board: board.id, caps, source, evaluated: r.evaluated, best: strip(r.best), runnersUp: r.runnersUp.map(strip), fixedOnly: r.fixedOnly ? strip(r.fixedOnly) : null }, null, 2) + '\n');
    process.stdout.write(`wrote ${String(values.json)}\n`);
  }
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return build(rest);
  if (sub === 'sweep') return sweep(rest);
  if (sub === 'plan') return (await import('./plan/cli.js')).runPlan(rest);
  throw new UserError(`msq: unknown subcommand '${sub ?? ''}'\n${USAGE}`);
}
