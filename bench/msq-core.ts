/**
 * Benchmark: the MSQ core per board — sizing (config, resources, peak GOPS), ResNet-18 latency and compute
 * efficiency from the core cycle model, per-layer table, comparison with the paper and the old per-layer engine.
 *
 *   npx tsx bench/msq-core.ts --slices [--n 16,32,64] [--kinds fixed,pair,sp2] [--sp2-act-bits 8,4] [--workers 2]
 *                                                                     synthesize the lane slices (yosys) into
 *                                                                     bench/results/msq-core-slices.json (merged
 *                                                                     with the recorded ones; SP2 per sp2ActBits)
 *   npx tsx bench/msq-core.ts [--sp2-act-bits 8,4] [--ratio R]      size both boards from the recorded slices, once
 *                                                                     per sp2ActBits (default: every value with SP2
 *                                                                     slices), and write bench/results/msq-core.json
 *                                                                     (--ratio: both boards at split ratio R, written
 *                                                                     to msq-core-ratio-R.json instead)
 *
 * Kinds: lane resources are ESTIMATES (yosys synthesis of 1/2/4-unit slices, EXTRAPOLATED linearly to the board
 * size); fmax is a yosys ESTIMATE (no place and route); latency, GOPS and efficiency are MODEL figures (core cycle
 * model, DDR at the board file's derated bandwidth, an assumption); nothing is measured on a board.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  PAPER, PLACEHOLDER_OVERHEAD, laneSliceVerilog, normalizeSlices, rqaSliceVerilog, resnet18Net, sizeCore, compiledJobs, sliceSp2ActBits, synthesizeCoreSlices, type CoreOverhead, type CoreSlices, type SizedCore, type SliceKind,
} from '../src/msq/core/sizing.js';
import { layerTable, programLatency, type ProgramJob, type ProgramLatency } from '../src/msq/core/cycle-model.js';
import type { CoreConfig } from '../src/msq/core/config.js';
import { loadBoard } from '../src/board/index.js';
import { RESNET18_RATIO } from '../scripts/make-resnet18.js';
import type { Board } from '../src/board/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const SLICES = join(RESULTS, 'msq-core-slices.json');

const machine = () => ({ host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] });

async function slices(Ns: number[], workers: number | undefined, kinds: SliceKind[], rqa: boolean, sp2ActBits: number[]): Promise<void> {
  const t0 = Date.now();
  const s = await synthesizeCoreSlices(Ns, laneSliceVerilog, {
    workers,
    kinds,
    sp2ActBits,
    rqaVerilog: rqa ? rqaSliceVerilog : undefined,
    onProgress: (d, t, label) => process.stderr.write(`  ${d}/${t} ${label}\n`),
  });
  const prevJson = readJson(SLICES);
  const prev = prevJson ? normalizeSlices(prevJson.slices as CoreSlices) : undefined;
  const merged: CoreSlices = { fits: { ...(prev?.fits ?? {}), ...s.fits }, rqa: { ...(prev?.rqa ?? {}), ...(s.rqa ?? {}) }, ...(prev?.control ? { control: prev.control } : {}), basis: s.basis };
  // when each fit was synthesized (the merge keeps older fits)
  const dates: Record<string, string> = { ...((prevJson?.fitDates as Record<string, string> | undefined) ?? {}) };
  if (prev) for (const k of Object.keys(prev.fits)) dates[k] ??= String(prevJson!.date);
  const now = new Date().toISOString();
  for (const k of Object.keys(s.fits)) dates[k] = now;
  await writeFileAtomic(SLICES, JSON.stringify({
    ...(prevJson ?? {}), bench: 'msq-core-slices', kind: 'estimate (yosys synth_xilinx, no place and route)', date: now, machine: machine(), generator: GENERATOR_VERSION,
    wallSeconds: Math.round((Date.now() - t0) / 1000), run: { n: Ns, kinds, sp2ActBits, rqa }, fitDates: dates, slices: merged,
  }, null, 2) + '\n');
  for (const [k, f] of Object.entries(s.fits)) console.log(k, JSON.stringify(f.b), 'lin err', f.linearityError.toFixed(3), 'fmax', f.estFmaxMHz);
}

type Json = Record<string, unknown>;

function readJson(path: string): Json | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : undefined;
}

/** The ResNet-18 job program of the real example through the compiler (src/msq/core/compile.ts), when it exists. */
async function compiledProgram(cfg: CoreConfig): Promise<{ jobs: ProgramJob[]; source: string } | { error: string }> {
  const path = join(PROJECT_ROOT, 'src', 'msq', 'core', 'compile.ts');
  if (!existsSync(path)) return { error: 'src/msq/core/compile.ts not present' };
  try {
    const mod = (await import('../src/msq/core/compile.js')) as unknown as Record<string, unknown>;
    const { loadOrMakeResnet18 } = await import('../scripts/make-resnet18.js');
    const model = await loadOrMakeResnet18();
    const compile = mod.compileModel as (m: unknown, c: CoreConfig) => unknown;
    const compiled = compile(model, cfg) as { jobs?: unknown[] } | unknown[];
    const list = (Array.isArray(compiled) ? compiled : (compiled.jobs ?? [])) as Json[];
    const convLayers = new Set(model.layers.filter((l) => l.op === 'conv2d').map((l) => l.name));
    const jobs = list.map((raw): ProgramJob => {
      const j = (raw.spec ?? raw.job ?? raw) as Json;
      const layer = String(j.layer ?? raw.layer ?? '');
      return {
        name: String(j.name ?? raw.name ?? layer),
        layer,
        fields: j as unknown as ProgramJob['fields'],
        macs: Number(raw.macs ?? j.macs ?? 0),
        ddrBytes: typeof raw.ddrBytes === 'number' ? raw.ddrBytes : undefined,
        conv: convLayers.has(layer),
      };
    });
    return { jobs, source: 'compileModel (src/msq/core/compile.ts) on examples/resnet18.json.gz' };
  } catch (e) {
    return { error: `compileModel failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Conv efficiency (no DDR bound) over the conv jobs of layers other than `except` (conv1: the 8-bit input layer,
 *  which runs on the fixed lanes only when sp2ActBits < 8). */
function convEfficiencyExcept(p: ProgramLatency, jobs: ProgramJob[], cfg: CoreConfig, except: string): number {
  let macs = 0, cyc = 0;
  p.jobs.forEach((j, i) => {
    if (!jobs[i]!.conv || j.layer === except) return;
    macs += j.macs;
    cyc += j.coreCycles;
  });
  return cyc ? macs / (cyc * cfg.N * (cfg.Pf + cfg.Ps)) : 0;
}

function latencyRecord(p: ProgramLatency, jobs: ProgramJob[], cfg: CoreConfig, fmaxMs: number | null): Json {
  return {
    kind: 'model',
    ms: r3(p.ms),
    msAtEstFmax: fmaxMs === null ? null : r3(fmaxMs),
    cycles: p.cycles,
    coreCyclesNoDdr: p.coreCycles,
    effectiveGops: r1(p.effectiveGops),
    convEfficiency: r3(p.convEfficiency),
    convEfficiencyWithDdr: r3(p.convEfficiencyWithDdr),
    convEfficiencyWithoutConv1: r3(convEfficiencyExcept(p, jobs, cfg, 'conv1')),
    overallEfficiency: r3(p.overallEfficiency),
    ddrAssumptionGBps: p.ddrGBps,
    jobs: p.jobs.length,
    ddrBoundJobs: p.jobs.filter((j) => j.bound === 'ddr').length,
    perLayer: layerTable(p, cfg).map((r) => ({ ...r, efficiency: r3(r.efficiency), ms: r3(r.cycles / (p.clockMHz * 1e3)) })),
  };
}

function configRecord(c: SizedCore): Json {
  return {
    config: c.cfg,
    ratio: r3(c.ratio),
    resources: { kind: 'estimate', lut: c.resources.lut, ff: c.resources.ff, dsp48e1: c.resources.dsp, bram36: c.resources.bram36, util: Object.fromEntries(Object.entries(c.resources.util).map(([k, v]) => [k, r3(v)])), labels: c.resources.labels },
    estFmaxMHz: c.resources.estFmaxMHz,
    peakGopsAt100MHz: r1(c.peakGopsAt100),
    peakGopsAtEstFmax: c.peakGopsAtFmax === null ? null : r1(c.peakGopsAtFmax),
  };
}

function oldEngine(board: string): Json | null {
  const j = readJson(join(RESULTS, 'msq-engine.json'));
  const b = (j?.boards as Json | undefined)?.[board] as Json | undefined;
  if (!b) return null;
  const out: Json = { source: `bench/results/msq-engine.json (${String(j!.date)})` };
  for (const [k, v] of Object.entries(b)) {
    const x = v as Json;
    const r = x.resnet18 as Json | undefined;
    out[k] = { config: x.config, peakGopsAt100MHz: x.peakGopsAt100MHz, resnet18Ms: r?.ms, efficiency: r?.efficiency };
  }
  return out;
}

/**
 * XC7Z020 is sized with each candidate's own split ratio (Ps / Pf): the chosen variant's ratio is the shipped example's
 * (RESNET18_RATIO, checked in main). Other boards run that same example, so they are sized at RESNET18_RATIO; the
 * compiled figures always run the shipped example.
 */
async function sizeBoard(board: Board, slicesData: CoreSlices, overhead: CoreOverhead, sp2ActBits: number, fixedRatio?: number): Promise<{ record: Json; text: string[]; ms: number }> {
  const t0 = Date.now();
  const exampleRatio = fixedRatio ?? RESNET18_RATIO;
  const ownRatio = board.id === 'xc7z020' && fixedRatio === undefined;
  const sized = sizeCore(board, slicesData, overhead, { sp2ActBits: [sp2ActBits], ...(ownRatio ? {} : { network: () => resnet18Net(exampleRatio) }) });
  const best = sized.best;
  const ratio = ownRatio ? best.ratio : exampleRatio;
  const fm = best.resources.estFmaxMHz;
  const planned = compiledJobs(resnet18Net(ratio), best.cfg);
  const atFmax = fm ? programLatency(planned, best.cfg, board, { clockMHz: fm }) : null;
  const shapeRec = latencyRecord(best.latency, planned, best.cfg, atFmax ? atFmax.ms : null);
  // the real example through the compiler
  const comp = await compiledProgram(best.cfg);
  let compiledRec: Json | null = null;
  if ('jobs' in comp) {
    const p = programLatency(comp.jobs, best.cfg, board, { clockMHz: 100 });
    const pf = fm ? programLatency(comp.jobs, best.cfg, board, { clockMHz: fm }) : null;
    compiledRec = { source: comp.source, ...latencyRecord(p, comp.jobs, best.cfg, pf ? pf.ms : null) };
  }
  const paper = PAPER[board.id]!;
  const headline = (compiledRec ?? shapeRec) as Json;
  const record: Json = {
    board: board.id,
    part: board.part,
    sp2ActBits,
    sizing: { kind: 'estimate + model', splitRatio: ownRatio ? 'each candidate at its own Ps/Pf' : fixedRatio === undefined ? `the shipped example's ${RESNET18_RATIO}` : `${fixedRatio} (--ratio)`, exampleRatio: RESNET18_RATIO, evaluated: sized.evaluated, seconds: Math.round((Date.now() - t0) / 100) / 10, caps: { dsp: 1, lut: 0.8, bram36: 0.9 } },
    best: configRecord(best),
    resnet18: {
      headline: compiledRec ? 'compiled' : 'compiled by structure',
      shapeLevel: shapeRec,
      compiled: compiledRec ?? { unavailable: 'error' in comp ? comp.error : '' },
    },
    paper: { peakGops: paper.peakGops, resnet18Ms: paper.resnet18Ms, peakRatio: r3(best.peakGopsAt100 / paper.peakGops), latencyRatio: r3(Number(headline.ms) / paper.resnet18Ms) },
    fixedOnly: sized.fixedOnly ? { ...configRecord(sized.fixedOnly), resnet18Ms: r3(sized.fixedOnly.latency.ms), convEfficiency: r3(sized.fixedOnly.latency.convEfficiency) } : null,
    runnersUp: sized.runnersUp.map((c) => ({ ...configRecord(c), resnet18Ms: r3(c.latency.ms), convEfficiency: r3(c.latency.convEfficiency) })),
    oldEngine: oldEngine(board.id),
  };
  const c = best.cfg;
  const text = [
    `${board.id} (sp2ActBits ${sp2ActBits}): N=${c.N} Pf=${c.Pf} Ps=${c.Ps} Rq=${c.Rq} dspPack=${c.dspPack} actDepth=${c.actDepth} wDepth=${c.wDepth} maxPasses=${c.maxPasses} cDepth=${c.cDepth} kMax=${c.kMax} (ratio ${best.ratio.toFixed(3)})`,
    `  resources (estimate): LUT ${best.resources.lut} (${(100 * best.resources.util.lut).toFixed(0)}%), FF ${best.resources.ff}, DSP ${best.resources.dsp} (${(100 * best.resources.util.dsp).toFixed(0)}%), BRAM36 ${best.resources.bram36.total} (${(100 * best.resources.util.bram36).toFixed(0)}%: act ${best.resources.bram36.act}, weights ${best.resources.bram36.weights}, map ${best.resources.bram36.chanMap}, params ${best.resources.bram36.params})`,
    `  peak ${best.peakGopsAt100.toFixed(1)} GOPS @100 MHz (paper ${paper.peakGops}), ${best.peakGopsAtFmax?.toFixed(1) ?? 'n/a'} @ est. fmax ${fm ?? 'n/a'} MHz`,
    `  ResNet-18 (model, compiled by structure): ${best.latency.ms.toFixed(2)} ms @100 MHz (paper ${paper.resnet18Ms}), ${atFmax ? atFmax.ms.toFixed(2) : 'n/a'} ms @ est. fmax; conv efficiency ${(100 * best.latency.convEfficiency).toFixed(1)}% (${(100 * best.latency.convEfficiencyWithDdr).toFixed(1)}% with DDR waits), ${best.latency.effectiveGops.toFixed(1)} GOPS effective`,
    compiledRec ? `  ResNet-18 (model, compiled example): ${String(compiledRec.ms)} ms @100 MHz, ${String(compiledRec.msAtEstFmax)} ms @ est. fmax, conv efficiency ${(100 * Number(compiledRec.convEfficiency)).toFixed(1)}% (${(100 * Number(compiledRec.convEfficiencyWithDdr)).toFixed(1)}% with DDR waits, ${(100 * Number(compiledRec.convEfficiencyWithoutConv1)).toFixed(1)}% without conv1), ${String(compiledRec.effectiveGops)} GOPS effective` : `  compiled example: ${'error' in comp ? comp.error : ''}`,
    `  per layer (${compiledRec ? 'compiled example' : 'compiled by structure'}, cycles at 100 MHz; efficiency = MACs / (cycles * N * L)):`,
    ...((headline.perLayer as Json[]) ?? []).map((r) =>
      `    ${String(r.layer).padEnd(20)} jobs ${String(r.jobs).padStart(3)}  cycles ${String(r.cycles).padStart(8)}  (core ${String(r.compute).padStart(8)}, DDR ${String(r.ddrCycles).padStart(7)})  ${String(r.ms).padStart(6)} ms  eff ${(100 * Number(r.efficiency)).toFixed(1).padStart(5)}%  ${String(r.bound)}`),
    sized.fixedOnly ? `  fixed-only baseline (Ps = 0): N=${sized.fixedOnly.cfg.N} Pf=${sized.fixedOnly.cfg.Pf} peak ${sized.fixedOnly.peakGopsAt100.toFixed(1)} GOPS, ResNet-18 ${sized.fixedOnly.latency.ms.toFixed(2)} ms` : '',
  ];
  return { record, text, ms: Number(headline.ms) };
}

/**
 * Control of the core: synthesize a small whole core (Pf 2, Ps 2, Rq 2, dspPack 2) per N and subtract its lanes (slice
 * fits) and requantizers (rqa slice); what remains is the issuer, loaders, serializer, pixel banks and emitter.
 */
async function control(Ns: number[], workers: number | undefined): Promise<void> {
  const { generateCore } = await import('../src/msq/core/rtl/index.js');
  const { smallCoreConfig } = await import('../src/msq/core/config.js');
  const { synthesizeMany } = await import('../src/synth/index.js');
  const { sliceFor } = await import('../src/msq/core/sizing.js');
  const sj = readJson(SLICES);
  if (!sj) throw new Error(`no ${SLICES}: run with --slices first`);
  const sl = normalizeSlices(sj.slices as CoreSlices);
  const cfgs = Ns.map((N) => smallCoreConfig({ N, Pf: 2, Ps: 2, Rq: 2, dspPack: 2, actDepth: 512, wDepth: 256, maxPasses: 16, cDepth: 512, kMax: 4608 }));
  const res = await synthesizeMany(cfgs.map((cfg) => { const r = generateCore(cfg, 'ctl'); return { name: `core:${cfg.N}`, files: r.files, top: r.top }; }), {
    workers, onProgress: (d, t, r) => process.stderr.write(`  ${d}/${t} ${r.job.name ?? ''}\n`),
  });
  const ctl: NonNullable<CoreSlices['control']> = { ...(sl.control ?? {}) };
  res.forEach((r, i) => {
    if (!r.ok) throw new Error(`synthesis of ${r.job.name} failed: ${r.error.split('\n')[0]}`);
    const cfg = cfgs[i]!;
    const pair = sliceFor(sl, 'pair', cfg.N).fit, sp2 = sliceFor(sl, 'sp2', cfg.N).fit;
    const rq = sl.rqa?.[`rqa:${cfg.N}`] ?? Object.values(sl.rqa ?? {})[0];
    if (!rq) throw new Error('no requantizer slice: run --slices --rqa first');
    const t = r.report.resources;
    const lanesCost = (k: 'lut' | 'ff' | 'dsp'): number => pair.a[k] + pair.b[k] + sp2.a[k] + 2 * sp2.b[k];
    const cost = {
      lut: Math.max(0, Math.round(t.lut.total - lanesCost('lut') - 2 * rq.cost.lut)),
      ff: Math.max(0, Math.round(t.ff - lanesCost('ff') - 2 * rq.cost.ff)),
      dsp: Math.max(0, Math.round(t.dsp48e1 - lanesCost('dsp') - 2 * rq.cost.dsp)),
    };
    ctl[`control:${cfg.N}`] = { cost, estFmaxMHz: r.report.timing.estFmaxMHz, from: `core N=${cfg.N} Pf 2 Ps 2 Rq 2: LUT ${t.lut.total}, FF ${t.ff}, DSP ${t.dsp48e1}, LUTRAM ${t.lutram}, BRAM36 eq. ${t.bram36Equivalent}` };
    console.log(`control:${cfg.N}`, JSON.stringify(cost), r.report.timing.estFmaxMHz);
  });
  await writeFileAtomic(SLICES, JSON.stringify({ ...sj, controlDate: new Date().toISOString(), slices: { ...sl, control: ctl } }, null, 2) + '\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      slices: { type: 'boolean' }, n: { type: 'string', default: '16,32,64' }, workers: { type: 'string' }, board: { type: 'string' }, control: { type: 'boolean' },
      kinds: { type: 'string', default: 'fixed,pair,sp2' }, rqa: { type: 'boolean' }, 'sp2-act-bits': { type: 'string', default: 'recorded' }, ratio: { type: 'string' },
    },
    strict: true,
  });
  if (values.slices) {
    const kinds = values.kinds ? (values.kinds.split(',').filter(Boolean) as SliceKind[]) : [];
    const bits = values['sp2-act-bits'] === 'recorded' ? [8] : values['sp2-act-bits'].split(',').map(Number);
    if (bits.some((b) => !Number.isInteger(b) || b < 2 || b > 8)) throw new Error(`--sp2-act-bits: integers in 2..8, got '${values['sp2-act-bits']}'`);
    return slices(values.n.split(',').map(Number), values.workers ? Number(values.workers) : undefined, kinds, values.rqa ?? false, bits);
  }
  if (values.control) return control(values.n.split(',').map(Number), values.workers ? Number(values.workers) : undefined);
  const sj = readJson(SLICES);
  if (!sj) throw new Error(`no ${SLICES}: run with --slices first`);
  const slicesData = normalizeSlices(sj.slices as CoreSlices);
  const overhead = PLACEHOLDER_OVERHEAD;
  const boards = values.board ? [values.board] : ['xc7z020', 'xc7z045'];
  const bitsList = values['sp2-act-bits'] === 'recorded' ? sliceSp2ActBits(slicesData) : values['sp2-act-bits'].split(',').map(Number);
  const fixedRatio = values.ratio === undefined ? undefined : Number(values.ratio);
  if (fixedRatio !== undefined && !(fixedRatio > 0)) throw new Error(`--ratio: a positive number, got '${values.ratio}'`);
  const out: Json = {
    bench: 'msq-core',
    date: new Date().toISOString(),
    machine: machine(),
    generator: GENERATOR_VERSION,
    kinds: {
      resources: 'estimate: yosys synth_xilinx of 1/2/4-unit lane slices, EXTRAPOLATED linearly; BRAM36 counted from the bank sizes',
      fmax: 'estimate: yosys post-synthesis timing, no place and route',
      latency: 'model: core cycle model (src/msq/core/cycle-model.ts) with the board file DDR bandwidth assumption',
    },
    slices: { source: 'bench/results/msq-core-slices.json', date: sj.date, basis: slicesData.basis },
    overhead,
    boards: {} as Json,
  };
  // per board: one sizing per sp2ActBits; the board's record is the variant with the lowest ResNet-18 latency
  // (compiled example when available), every variant is kept under bySp2ActBits
  for (const id of boards) {
    const variants: { bits: number; record: Json; ms: number }[] = [];
    for (const bits of bitsList) {
      const { record, text, ms } = await sizeBoard(loadBoard(id), slicesData, overhead, bits, fixedRatio);
      variants.push({ bits, record, ms });
      console.log(text.join('\n'));
    }
    const chosen = variants.reduce((a, b) => (b.ms < a.ms ? b : a));
    (out.boards as Json)[id] = {
      ...chosen.record,
      chosen: `sp2ActBits ${chosen.bits}: the lowest ResNet-18 latency of sp2ActBits ${bitsList.join(', ')}`,
      bySp2ActBits: Object.fromEntries(variants.map((v) => [String(v.bits), v.record])),
    };
    console.log(`${id}: chosen sp2ActBits ${chosen.bits}`);
    const r = Number((chosen.record.best as Json).ratio);
    if (id === 'xc7z020' && fixedRatio === undefined && Math.abs(r - RESNET18_RATIO) > 1e-3) {
      process.stderr.write(`WARNING: the chosen XC7Z020 core's ratio Ps/Pf = ${r} differs from the shipped example's RESNET18_RATIO = ${RESNET18_RATIO}: regenerate the example (scripts/make-resnet18.ts)\n`);
    }
  }
  const name = values.board ? `msq-core-${values.board}` : fixedRatio !== undefined ? `msq-core-ratio-${fixedRatio}` : 'msq-core';
  await writeFileAtomic(join(RESULTS, `${name}.json`), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
