/**
 * A network's job program by the real compiler, for pricing (cycle model) rather than running: compileModel(model,
 * cfg, { weights: false }) as cycle-model jobs, memoized per (model, configuration). `msq plan` (plan/price.ts) prices
 * through it. The sizing search (sizing.ts) still uses plan-shapes.ts (issue 10 item 4 open): wired to the compiler
 * with ResNet-18 built by structure (commit 3724030), it picked the same best XC7Z020 core but took 36.2 s CPU against
 * 3.9 s for 387 candidates (2026-12-07); it needs a per-layer memo first.
 */
import type { QuantModel } from '../model.js';
import { programJobs } from './build.js';
import { compileModel } from './compile.js';
import type { CoreConfig } from './config.js';
import type { ProgramJob } from './cycle-model.js';

const memo = new WeakMap<QuantModel, Map<string, ProgramJob[]>>();

/** The network's job program on `cfg` by the compiler (no weight words), memoized per (network, configuration). */
export function compiledJobs(net: QuantModel, cfg: CoreConfig): ProgramJob[] {
  let byCfg = memo.get(net);
  if (!byCfg) memo.set(net, (byCfg = new Map()));
  const key = JSON.stringify(cfg);
  let jobs = byCfg.get(key);
  if (!jobs) {
    jobs = programJobs(net, compileModel(net, cfg, { weights: false }));
    byCfg.set(key, jobs);
  }
  return jobs;
}
