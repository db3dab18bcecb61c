/**
 * `msq sweep --core`: board sizing of the MSQ core from recorded lane slices (bench/results/msq-core-slices.json,
 * no synthesis here): the chosen configuration fits the caps the command was given, beats the paper's peak, and the
 * JSON says what it is; bad options are one-line UserErrors.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/msq/cli.js';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';

const SLICES = join(PROJECT_ROOT, 'bench', 'results', 'msq-core-slices.json');

interface Pick {
  config: { N: number; Pf: number; Ps: number };
  resources: { util: { lut: number; dsp: number; bram36: number } };
  peakGopsAt100MHz: number;
  resnet18: { ms: number };
}

describe('msq sweep --core', () => {
  it('sizes the XC7Z020 core under the given caps from recorded slices', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-sweep-core-'));
    try {
      const json = join(dir, 'sweep.json');
      const out: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
      try {
        await run(['sweep', '--core', '--board', 'xc7z020', '--n', '32', '--slices', SLICES, '--lut-cap', '0.7', '--json', json]);
      } finally {
        process.stdout.write = write;
      }
      const r = JSON.parse(await readFile(json, 'utf8')) as { kind: string; caps: { lut: number }; best: Pick; runnersUp: Pick[]; fixedOnly: Pick | null };
      expect(r.kind).toBe('msq-core-sweep');
      expect(r.caps.lut).toBe(0.7);
      for (const c of [r.best, ...r.runnersUp]) {
        expect(c.config.N).toBe(32);
        expect(c.resources.util.lut).toBeLessThanOrEqual(0.7);
        expect(c.resources.util.dsp).toBeLessThanOrEqual(1);
        expect(c.resources.util.bram36).toBeLessThanOrEqual(1);
        expect(c.peakGopsAt100MHz).toBeGreaterThanOrEqual(132);
        // sorted by the ResNet-18 latency of the cycle model
        expect(c.resnet18.ms).toBeGreaterThanOrEqual(r.best.resnet18.ms);
      }
      expect(r.fixedOnly?.config.Ps).toBe(0);
      expect(out.join('')).toMatch(/EXTRAPOLATED estimates/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses bad options with one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--lut-cap', '1.5'], /^--lut-cap: must be in \(0, 1\]/],
      [['--slices', '/nonexistent.json'], /^--slices: no such file/],
      [['--n', 'x'], /^--n: must be a whole number/],
    ];
    for (const [extra, msg] of cases) {
      const e = await run(['sweep', '--core', '--board', 'xc7z020', ...extra]).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(msg);
      expect((e as Error).message).not.toContain('\n');
    }
    // the per-layer engines' sweep is gone: its options are unknown
    const e = await run(['sweep', '--board', 'xc7z020', '--dsp-pack', '2']).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/^--dsp-pack: unknown option for 'msq sweep'/);
  });
});
