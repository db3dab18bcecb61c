/**
 * `accelforge ccl gen` end to end (--no-synth keeps it fast; synthesis is covered by bench/ccl-fps.ts) and
 * `ccl label --rtl` against the golden model through the CLI; bad input gives one line, exit 1, nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/version.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { labelImage, resultToJson } from '../src/ccl/golden.js';
import { encodePgm } from '../src/image/io.js';
import { spiral } from '../src/ccl/patterns.js';
import { lintVerilog } from '../src/tools/lint.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccl-gen-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const r = await execa('npx', ['tsx', 'src/cli/main.ts', 'ccl', ...args], { cwd: PROJECT_ROOT, reject: false, env: { CI: '1' } });
  const stderr = String(r.stderr).split('\n').filter((l) => !l.startsWith('npm warn') && l.trim() !== '').join('\n');
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr };
}

describe('ccl gen', () => {
  it('writes the core, its configuration and a report', async () => {
    const out = join(dir, 'core');
    const r = await cli(['gen', '--width', '64', '--height', '48', '--cell', '8', '--ppc', '4', '--max-objects', '100', '--hist', '4', '--no-synth', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const vfiles = readdirSync(out).filter((f) => f.endsWith('.v'));
    expect(vfiles).toContain('ccl_core_labeler.v'); // one module per file
    await lintVerilog(new Map(vfiles.map((f) => [f, readFileSync(join(out, f), 'utf8')])), 'ccl_core');
    const cfg = JSON.parse(readFileSync(join(out, 'ccl-config.json'), 'utf8')) as { ppc: number; params: { labelTable: number }; memory: { totalBits: number; fullFrameLabelBits: number } };
    expect(cfg.ppc).toBe(4);
    expect(cfg.params.labelTable).toBe(6); // min(100, ⌈(8+1)/2⌉ + 1)
    expect(cfg.memory.fullFrameLabelBits).toBe(64 * 48 * 7);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/full-frame label buffer/);
    expect(report).toMatch(/synthesis skipped/);
  }, 60_000);

  for (const [args, msg] of [
    [['--cell', '3'], /^accelforge: error: --cell: must be one of 1, 2, 4, 8, 16/],
    [['--cell', '4', '--ppc', '8'], /^accelforge: error: --ppc: 8 pixels per clock needs cells at least 8 wide/],
    [['--cell', '4', '--ppc', '4', '--width', '62'], /^accelforge: error: --ppc: width 62 is not a multiple of 4/],
    [['--cell', '8', '--min-pixels', '65'], /^accelforge: error: --min-pixels: 65 exceeds the 64 pixels/],
  ] as [string[], RegExp][]) {
    it(`bad input ${args.join(' ')}: one line, exit 1, nothing written`, async () => {
      const out = join(dir, `bad-${args.join('_')}`);
      const base = ['gen', '--width', '64', '--height', '48', '--no-synth', '-o', out];
      const r = await cli([...base, ...args]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }, 60_000);
  }
});

describe('ccl gen --classes', () => {
  const classesFile = (): string => {
    const f = join(dir, 'classes.json');
    writeFileSync(f, JSON.stringify({ classes: [{ name: 'red', hsvLo: [340, 100, 80], hsvHi: [20, 255, 255] }, { name: 'green', rgbLo: [0, 140, 0], rgbHi: [110, 255, 110] }] }));
    return f;
  };
  it('writes the multi-class core: class-tagged records, per-channel memory, the classes in the configuration', async () => {
    const out = join(dir, 'multi');
    const r = await cli(['gen', '--width', '64', '--height', '32', '--cell', '8', '--ppc', '4', '--classes', classesFile(), '--color-bits', '1', '--hist', '4', '--no-synth', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const vfiles = readdirSync(out).filter((f) => f.endsWith('.v'));
    expect(vfiles).toEqual(expect.arrayContaining(['ccl_core.v', 'ccl_core_classify.v', 'ccl_core_channel.v', 'ccl_core_merge.v']));
    const cfg = JSON.parse(readFileSync(join(out, 'ccl-config.json'), 'utf8'));
    expect(cfg.classes.map((c: { name: string }) => c.name)).toEqual(['red', 'green']);
    expect(cfg.config.pixelFormat).toBe('rgb24');
    expect(cfg.params.classTag).toEqual({ offset: cfg.params.outputWidth, width: 1 });
    expect(cfg.params.recordFields.map((f: { name: string }) => f.name)).toContain('color7');
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\*\*2 colour classes\*\*/);
    expect(report).toMatch(/all 2 channels/);
  }, 60_000);
  it('bad class file or options: one line naming the field, nothing written', async () => {
    const bad = join(dir, 'bad-classes.json');
    writeFileSync(bad, JSON.stringify({ classes: [{ name: 'red', rgbLo: [200, 0, 0], rgbHi: [100, 255, 255] }] }));
    for (const [args, msg] of [
      [['--classes', bad], /^accelforge: error: .*bad-classes\.json\.classes\[0\]\.rgbLo\[0\]: 200 > rgbHi\[0\] = 100: inverted/],
      [['--classes', classesFile(), '--threshold', '9'], /^accelforge: error: --threshold: has no meaning with --classes/],
      [['--classes', classesFile(), '--format', 'gray8'], /^accelforge: error: --format: --classes labels rgb24 pixels/],
    ] as [string[], RegExp][]) {
      const out = join(dir, 'bad-multi');
      const r = await cli(['gen', '--width', '64', '--height', '32', '--no-synth', '-o', out, ...args]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  }, 60_000);
});

describe('ccl label --rtl', () => {
  it('prints the same JSON as the golden model (P5 PGM, C=2, P=2, Icarus)', async () => {
    const img = spiral(40, 30, 2);
    const file = join(dir, 'spiral.pgm');
    writeFileSync(file, encodePgm(img, 'P5'));
    const r = await cli(['label', file, '--cell', '2', '--rtl', '--ppc', '2', '--sim', 'icarus', '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const golden = resultToJson(labelImage(img, makeCclConfig({ width: 40, height: 30, cell: 2 })));
    expect(r.stdout.trim()).toBe(golden);
  }, 120_000);
  it('pixel-exact at P = 4 (C = 1, the run labeler): the same JSON as the golden model (Icarus)', async () => {
    const img = spiral(24, 12, 1);
    const file = join(dir, 'spiral1.pgm');
    writeFileSync(file, encodePgm(img, 'P5'));
    const r = await cli(['label', file, '--rtl', '--ppc', '4', '--sim', 'icarus', '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(resultToJson(labelImage(img, makeCclConfig({ width: 24, height: 12 }))));
  }, 120_000);
});
