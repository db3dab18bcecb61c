/**
 * Benchmark: synthesis time of small designs with the yosys accelforge selects (normally the embedded
 * WebAssembly yosys 0.55), recorded with date and machine in bench/results/synth-time.json.
 *
 *   npx tsx bench/synth-time.ts [--runs 2] [--many]
 *
 * Figures per design: wall time and CPU time of the whole synthesize() call (yosys synth_xilinx + stat + JSON
 * netlist + parsing + timing estimate). The WebAssembly yosys runs inside this process, so process.cpuUsage()
 * covers it and is the figure to compare on a shared machine; wall time depends on the machine's load, which is
 * recorded too. With --many, also the wall time of synthesizeMany over 4 jobs with 1 and 2 workers.
 */
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { synthesize, synthesizeMany, findYosys, describeYosys } from '../src/synth/index.js';

const FIX = join(PROJECT_ROOT, 'test', 'fixtures', 'yosys');
const DESIGNS = ['adder32', 'mix'];
const files = (top: string) => new Map([[`${top}.v`, readFileSync(join(FIX, `${top}.v`), 'utf8')]]);

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2' }, many: { type: 'boolean', default: false } }, strict: true });
const runs = Math.max(1, Number(values.runs));
const tool = await findYosys();
const rows: Record<string, unknown>[] = [];
for (const top of DESIGNS) {
  for (let i = 0; i < runs; i++) {
    const load = loadavg()[0];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await synthesize({ top, files: files(top) });
    const wallMs = Math.round(performance.now() - t0);
    const c = process.cpuUsage(c0);
    const row = {
      design: top,
      run: i + 1,
      wallMs,
      cpuMs: tool.kind === 'wasm' ? Math.round((c.user + c.system) / 1000) : null,
      loadAvg1mBefore: Math.round(load * 100) / 100,
      cells: Object.values(r.resources.cells).reduce((a, b) => a + b, 0),
      estFmaxMHz: r.timing.estFmaxMHz,
    };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
const many: Record<string, unknown>[] = [];
if (values.many) {
  const jobs = ['adder32', 'lut_chain', 'dsp_mul', 'mix'].map((top) => ({ top, files: files(top) }));
  for (const workers of [1, 2]) {
    const t0 = performance.now();
    await synthesizeMany(jobs, { workers });
    const row = { jobs: jobs.length, workers, wallMs: Math.round(performance.now() - t0), loadAvg1mAfter: Math.round(loadavg()[0] * 100) / 100 };
    many.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
const result = {
  benchmark: 'synth-time',
  date: new Date().toISOString(),
  accelforge: GENERATOR_VERSION,
  machine: { hostname: hostname(), cpu: cpus()[0]?.model, cores: cpus().length, memGB: Math.round(totalmem() / 2 ** 30), node: process.version },
  yosys: describeYosys(tool),
  command: 'npx tsx bench/synth-time.ts' + (values.runs !== '2' ? ` --runs ${values.runs}` : '') + (values.many ? ' --many' : ''),
  note: 'cpuMs is CPU time of this process (the WebAssembly yosys runs in-process); wallMs depends on machine load (loadAvg1mBefore)',
  runs: rows,
  ...(values.many ? { synthesizeMany: many } : {}),
};
await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'synth-time.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`wrote bench/results/synth-time.json\n`);
