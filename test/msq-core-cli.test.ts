/**
 * `msq build --core`: the committed MNIST CNN compiled to a job program for ONE run-time programmed MSQ core; the
 * folder's self-checking testbench (all jobs back to back, random stalls on all four streams, every output beat
 * against the golden model) must print PASS in Icarus. Bad option mixes and a core too big for the board are
 * one-line UserErrors that leave nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { run } from '../src/msq/cli.js';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';

const MODEL = join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json');
// a small core (fast in Icarus); the board presets are for synthesis
const SMALL = ['--n', '16', '--pf', '2', '--ps', '3', '--rq', '2', '--dsp-pack', '1', '--act-depth', '1024', '--w-depth', '256', '--c-depth', '64', '--max-passes', '16', '--k-max', '4096'];

describe('msq build --core', () => {
  it('writes the core and the MNIST job program; the testbench passes in Icarus', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-core-'));
    try {
      const out = join(dir, 'core');
      await run(['build', MODEL, '--board', 'xc7z020', '--core', '-o', out, ...SMALL]);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
        kind: string; top: string; testbench: string; jobs: number; beats: { out: number; res: number };
        lowering: Array<{ layer: string; how: string }>; dsp48e1: { total: number };
      };
      expect(report.kind).toBe('msq-core');
      expect(report.jobs).toBeGreaterThanOrEqual(6);
      // the residual add is fused into a GEMM job: residual beats are streamed
      expect(report.beats.res).toBeGreaterThan(0);
      expect(report.dsp48e1.total).toBe(2 * 16 + 2 * 8);
      const files = await readdir(out);
      for (const f of ['report.md', 'summary.html', 'program.json', 's_wgt.hex', 's_act.hex', 's_res.hex', 'm_out.expected.hex', report.testbench]) expect(files).toContain(f);
      const vfiles = files.filter((f) => f.endsWith('.v'));
      await execa('iverilog', ['-g2005', '-o', 'tb.vvp', ...vfiles], { cwd: out });
      const sim = await execa('vvp', ['-n', 'tb.vvp'], { cwd: out });
      expect(sim.stdout).toMatch(new RegExp(`PASS: ${report.beats.out} m_out beats`));
      expect(sim.stdout).not.toMatch(/FAIL/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('refuses option mixes and a core that does not fit the board, writing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-core-bad-'));
    try {
      const out = join(dir, 'core');
      const cases: Array<[string[], RegExp]> = [
        [['--core', ...SMALL, '--pf', '200'], /^--pf: the core needs \d+ DSP48E1 .* xc7z020 has 220/],
        [['--core', ...SMALL, '--n', '4'], /^core\.N: N \* A must be >= 96/],
      ];
      for (const [extra, msg] of cases) {
        const e = await run(['build', MODEL, '--board', 'xc7z020', '-o', out, ...extra]).then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(UserError);
        expect((e as Error).message).toMatch(msg);
        expect((e as Error).message).not.toContain('\n');
        expect(existsSync(out)).toBe(false);
      }
      // the per-layer engines are gone: their options are unknown (the CLI prints one line for these too)
      for (const extra of [['--network'], ['--layer', 'conv1'], ['--unroll-kx', 'conv1']]) {
        const e = await run(['build', MODEL, '--board', 'xc7z020', '-o', out, ...extra]).then(() => undefined, (err: unknown) => err);
        expect(e, extra[0]).toBeInstanceOf(UserError);
        expect((e as Error).message).toMatch(new RegExp(`^${extra[0]}: unknown option for 'msq build'`));
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
