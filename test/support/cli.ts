/**
 * Shared test helpers: run the accelforge CLI as a user does (a child process through tsx, so exit codes and
 * stderr are real), and temporary folders that are removed after use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/version.js';

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** `accelforge <args>` in a child process (cwd: the project root unless given; CI=1; extra env merged in). */
export async function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const r = await execa(tsx, [join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    reject: false,
    env: { CI: '1', ...opts.env },
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** Run fn with a fresh temporary folder, removed afterwards (also when fn throws). */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `af-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
