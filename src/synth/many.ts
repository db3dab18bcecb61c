/**
 * Run several syntheses in parallel worker processes. Each worker is a long-lived child process (node + tsx)
 * that runs one yosys at a time; the WebAssembly yosys is single-threaded, so `workers` ≈ free CPU cores.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { SynthOptions, SynthReport } from './synthesize.js';
import { findYosys } from '../tools/yosys.js';
import { UserError } from '../util/errors.js';

export interface SynthJob extends Omit<SynthOptions, 'tool'> {
  /** Free-form label for progress reporting. */
  name?: string;
}

export type SynthResult =
  | { ok: true; job: SynthJob; report: SynthReport }
  | { ok: false; job: SynthJob; error: string; userError: boolean };

export interface ManyOptions {
  /** Worker processes (default: available cores, at most the number of jobs). */
  workers?: number;
  /** Called after each job finishes (in completion order). */
  onProgress?: (done: number, total: number, result: SynthResult) => void;
}

/** Messages between parent and worker. */
export type ToWorker = { id: number; job: SynthOptions };
export type FromWorker =
  | { id: number; ok: true; report: SynthReport }
  | { id: number; ok: false; error: string; userError: boolean };

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');

/**
 * Synthesize every job; results come back in job order. A failing job (bad Verilog, ...) gives
 * `{ ok: false, error }` and does not stop the others.
 */
export async function synthesizeMany(jobs: SynthJob[], opts: ManyOptions = {}): Promise<SynthResult[]> {
  const results: SynthResult[] = new Array(jobs.length);
  if (jobs.length === 0) return results;
  const tool = await findYosys();
  const nWorkers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), jobs.length));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
  let next = 0;
  let done = 0;
  const children: ChildProcess[] = [];
  try {
    const spawn = () => {
      const child = fork(WORKER, [], {
        execArgv: ['--import', tsx],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      const exited = new Promise<never>((_, reject) =>
        child.on('exit', (code, signal) => reject(new Error(
          `synthesis worker died (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`))));
      exited.catch(() => {});
      return { child, exited };
    };
    await Promise.all(
      Array.from({ length: nWorkers }, async () => {
        let w = spawn();
        while (next < jobs.length) {
          const id = next++;
          const job = jobs[id]!;
          const { name: _name, ...options } = job;
          let reply: FromWorker;
          try {
            reply = await Promise.race([
              new Promise<FromWorker>((resolve) => {
                const on = (m: FromWorker) => {
                  if (m.id === id) {
                    w.child.off('message', on);
                    resolve(m);
                  }
                };
                w.child.on('message', on);
                w.child.send({ id, job: { ...options, tool } } satisfies ToWorker);
              }),
              w.exited,
            ]);
          } catch (e) {
            // The worker died (out of memory, killed): this job fails, a fresh worker takes the next one.
            reply = { id, ok: false, error: (e as Error).message, userError: false };
            w = spawn();
          }
          const result: SynthResult = reply.ok
            ? { ok: true, job, report: reply.report }
            : { ok: false, job, error: reply.error, userError: reply.userError };
          results[id] = result;
          done++;
          opts.onProgress?.(done, jobs.length, result);
        }
        w.child.disconnect();
      }),
    );
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  }
  return results;
}

/** Unwrap results, throwing on the first failure (UserError for bad input). */
export function reportsOrThrow(results: SynthResult[]): SynthReport[] {
  return results.map((r) => {
    if (r.ok) return r.report;
    const what = r.job.name ?? r.job.top;
    throw r.userError ? new UserError(`${what}: ${r.error}`) : new Error(`${what}: ${r.error}`);
  });
}
