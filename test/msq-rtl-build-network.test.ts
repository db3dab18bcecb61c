/**
 * `msq build --network`: the committed MNIST CNN as one streaming design, written by the CLI with a self-checking
 * testbench (golden vectors of a seeded random model input → logits) that must print PASS in Icarus (one frame,
 * ~25 s of vvp on this machine); bad option mixes are one-line UserErrors that leave nothing behind.
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

describe('msq build --network', () => {
  it('writes the MNIST network whose testbench passes in Icarus, with report and summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-net-'));
    try {
      const out = join(dir, 'net');
      await run(['build', MODEL, '--board', 'xc7z020', '--network', '-o', out]);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
        kind: string; top: string; testbench: string; stages: Array<{ op: string; cycles: number | null }>;
        dsp48e1: { total: number }; goldenOutput: number[]; outputBeats: number;
      };
      expect(report.kind).toBe('msq-network');
      expect(report.stages.map((s) => s.op)).toEqual(['conv2d', 'maxpool', 'conv2d', 'conv2d', 'add', 'maxpool', 'flatten', 'linear', 'linear']);
      expect(report.stages.filter((s) => s.cycles !== null)).toHaveLength(5);
      // N 8, Pf 4, Rq 1: 5 engines x (32 lanes + 4 requant)
      expect(report.dsp48e1.total).toBe(5 * (4 * 8 + 4));
      expect(report.goldenOutput).toHaveLength(10);
      expect(report.outputBeats).toBe(2);
      const files = await readdir(out);
      for (const f of ['report.md', 'summary.html', 'input.hex', 'expected.hex', report.testbench, `${report.top}.v`]) expect(files).toContain(f);

      const vfiles = files.filter((f) => f.endsWith('.v'));
      await execa('iverilog', ['-g2005', '-Wall', '-o', 'tb.vvp', ...vfiles], { cwd: out });
      const sim = await execa('vvp', ['-n', 'tb.vvp'], { cwd: out });
      expect(sim.stdout).toMatch(/PASS: 2 m_out beats/);
      expect(sim.stdout).not.toMatch(/FAIL/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses --network with --layer or --unroll-kx, and a network too big for the board, writing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-net-bad-'));
    try {
      const out = join(dir, 'net');
      const cases: Array<[string[], RegExp]> = [
        [['--network', '--layer', 'conv1_Conv'], /^--network: .*drop --layer/],
        [['--network', '--unroll-kx', 'conv1_Conv'], /^--network: cannot be combined with --unroll-kx/],
        // 5 engines x (16 x 8 lanes + 4) = 660 DSP48E1 > 220
        [['--network', '--pf', '16'], /^--pf: 5 engines .* need 660 DSP48E1, xc7z020 has 220/],
      ];
      for (const [extra, msg] of cases) {
        const e = await run(['build', MODEL, '--board', 'xc7z020', '-o', out, ...extra]).then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(UserError);
        expect((e as Error).message).toMatch(msg);
        expect((e as Error).message).not.toContain('\n');
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
