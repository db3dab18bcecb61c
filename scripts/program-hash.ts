/**
 * Prints a content hash of the compiled job programs of a few models on both board presets, one line each: every
 * CompiledJob field (the JobSpec with its weight words, channel map, parameters; act / res / out regions; DDR bytes,
 * work, MACs). Run it before and after a change to the compiler that must not change its programs, and diff:
 *   npx tsx scripts/program-hash.ts [model.q.json | model.json.gz ...] > /tmp/before.txt
 * Default models: examples/resnet18.json.gz and models/mnist-cnn.q.json. Each line also hashes the weight-free
 * compile (CompileOptions.weights false, what the sizing search and `msq plan` compile) and says whether it is the
 * full program without its data (weight words, GEMM parameters).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadBoard } from '../src/board/index.js';
import { parseQuantModel } from '../src/msq/model.js';
import { compileModel, type Program } from '../src/msq/core/compile.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { PROJECT_ROOT } from '../src/version.js';

const files = process.argv.slice(2);
if (!files.length) files.push(join(PROJECT_ROOT, 'examples', 'resnet18.json.gz'), join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'));

const text = (p: Program): string =>
  JSON.stringify(p.jobs, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v));
const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

for (const f of files) {
  const raw = readFileSync(f);
  const model = parseQuantModel(JSON.parse((f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')));
  for (const b of ['xc7z020', 'xc7z045']) {
    const cfg = defaultCoreConfig(loadBoard(b));
    const full = compileModel(model, cfg);
    const bare = compileModel(model, cfg, { weights: false });
    // the weight-free compile must be the full one without the program's data
    const data = new Set(['fixedWords', 'sp2Words', 'params']);
    const stripped = full.jobs.map((j) => ({ ...j, spec: Object.fromEntries(Object.entries(j.spec).map(([k, v]) => [k, data.has(k) && (k !== 'params' || j.spec.op === 'gemm') ? [] : v])) }));
    const same = text({ ...full, jobs: stripped as Program['jobs'] }) === text(bare) ? 'weight-free = full minus data' : 'WEIGHT-FREE DIFFERS';
    process.stdout.write(`${hash(text(full))} ${hash(text(bare))} ${full.jobs.length} jobs ${b} ${f.replace(`${PROJECT_ROOT}/`, '')} (${same})\n`);
  }
}
