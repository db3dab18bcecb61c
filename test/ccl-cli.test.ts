/**
 * `accelforge ccl label` end to end (`npx tsx src/cli/main.ts ccl label ...` on temporary PGM P2/P5 and PNG files),
 * plus the error cases (in process through the same `main`, to keep the file fast).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { labelImage, resultToJson } from '../src/ccl/golden.js';
import { encodePgm, encodePng } from '../src/image/io.js';
import type { RasterImage } from '../src/image/io.js';
import * as P from '../src/ccl/patterns.js';
import { PROJECT_ROOT } from '../src/version.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccl-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const r = await execa('npx', ['tsx', 'src/cli/main.ts', 'ccl', 'label', ...args], { cwd: PROJECT_ROOT, reject: false, env: { CI: '1' } });
  // npm may print its own configuration warnings on stderr; keep only our lines
  const stderr = String(r.stderr).split('\n').filter((l) => !l.startsWith('npm warn')).join('\n');
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr };
}

function write(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

describe('ccl label end to end', () => {
  it('P2 PGM, default options: exact JSON (hand-checked objects)', async () => {
    // 4×3: (0,0) | (3,0) | (0,2),(1,2) | (3,2) — pixel 8-connectivity
    const text = 'P2\n4 3\n255\n200 0 0 200\n0 0 0 0\n200 200 0 200\n';
    const f = write('tiny.pgm', new TextEncoder().encode(text));
    const r = await cli([f, '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      '{"width":4,"height":3,"cell":1,"overflow":false,"objects":[' +
        '{"area":1,"sumX":0,"sumY":0,"sumXX":0,"sumYY":0,"sumXY":0,"bbox":[0,0,0,0],"cells":1},' +
        '{"area":1,"sumX":3,"sumY":0,"sumXX":9,"sumYY":0,"sumXY":0,"bbox":[3,0,3,0],"cells":1},' +
        '{"area":2,"sumX":1,"sumY":4,"sumXX":1,"sumYY":8,"sumXY":2,"bbox":[0,2,1,2],"cells":2},' +
        '{"area":1,"sumX":3,"sumY":2,"sumXX":9,"sumYY":4,"sumXY":6,"bbox":[3,2,3,2],"cells":1}]}',
    );
  });

  it('P5 PGM with every option matches the golden model with the same configuration', async () => {
    const img = P.noise(45, 31, 0.07, { seed: 11 });
    const f = write('noise.pgm', encodePgm(img, 'P5'));
    const r = await cli([f, '--cell', '4', '--min-pixels', '2', '--connectivity', '4', '--threshold', '140', '--hist', '8', '--max-objects', '100', '--json']);
    expect(r.exitCode).toBe(0);
    const cfg = makeCclConfig({ width: 45, height: 31, cell: 4, minPixels: 2, connectivity: 4, threshold: 140, histBins: 8, maxObjects: 100 });
    const want = labelImage(img, cfg);
    expect(r.stdout).toBe(resultToJson(want));
    const parsed = JSON.parse(r.stdout) as { objects: Array<{ hist?: number[] }> };
    expect(parsed.objects.length).toBeGreaterThan(1);
    expect(parsed.objects[0]!.hist!.length).toBe(8);
    // the options mattered: the default configuration gives another answer
    expect(resultToJson(labelImage(img, makeCclConfig({ width: 45, height: 31 })))).not.toBe(r.stdout);
  });

  it('PNG gray (P2 and PNG of the same image agree), PNG colour with --rgb-lo/--rgb-hi, overflow flag', async () => {
    const g = P.blobs(40, 30, 10, { seed: 3 });
    const fPng = write('blobs.png', encodePng(g));
    const fP2 = write('blobs.pgm', encodePgm(g, 'P2'));
    const [a, b] = await Promise.all([cli([fPng, '--json', '--cell', '2']), cli([fP2, '--json', '--cell', '2'])]);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toBe(resultToJson(labelImage(g, makeCclConfig({ width: 40, height: 30, cell: 2 }))));

    // colour: red squares on blue; only red is inside the range
    const rgb: RasterImage = { width: 8, height: 4, format: 'rgb24', data: new Uint8Array(96) };
    for (let i = 0; i < 32; i++) rgb.data.set([0, 0, 255], 3 * i);
    for (const [x, y] of [[1, 1], [2, 1], [6, 2]]) rgb.data.set([250, 10, 10], 3 * (y! * 8 + x!));
    const fRgb = write('rgb.png', encodePng(rgb));
    const [c, d] = await Promise.all([
      cli([fRgb, '--rgb-lo', '200,0,0', '--rgb-hi', '255,50,50', '--json']),
      cli([fRgb, '--rgb-lo', '200,0,0', '--rgb-hi', '255,50,50', '--max-objects', '1', '--json']),
    ]);
    expect(c.exitCode).toBe(0);
    const rc = JSON.parse(c.stdout) as { overflow: boolean; objects: Array<{ bbox: number[]; area: number }> };
    expect(rc.overflow).toBe(false);
    expect(rc.objects.map((o) => [o.area, o.bbox])).toEqual([[2, [1, 1, 2, 1]], [1, [6, 2, 6, 2]]]);
    expect((JSON.parse(d.stdout) as { overflow: boolean }).overflow).toBe(true);
  });

  it('errors from the real process: exit 1, one line, nothing on stdout', async () => {
    const f = write('trunc.pgm', new TextEncoder().encode('P5\n8 8\n255\nabc'));
    const [r1, r2] = await Promise.all([cli([f, '--json']), cli([f, '--cell', '3'])]);
    expect(r1.exitCode).toBe(1);
    expect(r1.stdout).toBe('');
    expect(r1.stderr.trim()).toBe(`accelforge: error: ${f}: truncated: 3 of 64 pixel bytes present`);
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr.trim()).toBe('accelforge: error: --cell: must be one of 1, 2, 4, 8, 16, got 3');
  });
});

describe('ccl label errors (in process)', () => {
  async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '', err = '';
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      const code = await main(args);
      return { code, out, err };
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
  }

  let img = '';
  beforeAll(() => {
    img = write('ok.pgm', encodePgm(P.spiral(16, 16), 'P5'));
  });

  it.each([
    [['--cell', '3'], /^accelforge: error: --cell: must be one of 1, 2, 4, 8, 16, got 3$/],
    [['--cell', '2', '--min-pixels', '5'], /^accelforge: error: --min-pixels: 5 exceeds the 4 pixels/],
    [['--min-pixels', '0'], /^accelforge: error: --min-pixels: must be an integer ≥ 1, got 0$/],
    [['--threshold', '256'], /^accelforge: error: --threshold: must be in 0\.\.255, got 256$/],
    [['--threshold=-1'], /^accelforge: error: --threshold: must be in 0\.\.255, got -1$/],
    [['--threshold', '12.5'], /^accelforge: error: --threshold: must be an integer, got '12\.5'$/],
    [['--connectivity', '6'], /^accelforge: error: --connectivity: must be 8 or 4, got 6$/],
    [['--hist', '3'], /^accelforge: error: --hist: must be 0 \(none\) or a power of two 2\.\.256, got 3$/],
    [['--max-objects', '0'], /^accelforge: error: --max-objects: must be an integer in 1\.\./],
    [['--bogus'], /^accelforge: error: --bogus: unknown option for 'ccl label'/],
    [['--ppc', '2'], /^accelforge: error: --ppc: only applies with --rtl$/],
    [['--rtl', '--sim', 'modelsim'], /^accelforge: error: --sim: must be verilator or icarus, got 'modelsim'$/],
    [['--rgb-lo', '1,2'], /^accelforge: error: --rgb-lo: must be three values 0\.\.255 as R,G,B/],
    [['--rgb-lo', '1,2,3'], /^accelforge: error: --rgb-lo\/--rgb-hi: apply to colour images only/],
  ])('%j', async (args, re) => {
    const r = await runMain(['ccl', 'label', img, ...(args as string[])]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trimEnd()).toMatch(re);
    expect(r.err.trimEnd().split('\n').length).toBe(1);
  });

  it('missing image, two images, missing file, unknown subcommand', async () => {
    expect((await runMain(['ccl', 'label'])).err).toMatch(/^accelforge: error: image: missing: give one image file/);
    expect((await runMain(['ccl', 'label', img, img])).err).toMatch(/give exactly one image file, got 2/);
    expect((await runMain(['ccl', 'label', join(dir, 'none.png')])).err).toMatch(/none\.png: no such file/);
    const r = await runMain(['ccl', 'frobnicate']);
    expect([r.code, r.err.trim()]).toEqual([1, "accelforge: error: ccl: unknown subcommand 'frobnicate': use 'ccl label', 'ccl gen', 'ccl track', 'ccl templates' or 'ccl seqgen'"]);
  });

  it('PBM is labeled as binary; a colour PNG without --rgb-lo/--rgb-hi is labeled by its luma', async () => {
    const f = write('b.pbm', new TextEncoder().encode('P1\n4 2\n1 0 0 1\n0 0 1 1\n'));
    const r = await runMain(['ccl', 'label', f, '--json', '--connectivity', '4']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { objects: Array<{ bbox: number[] }> }).objects.map((o) => o.bbox)).toEqual([[0, 0, 0, 0], [2, 0, 3, 1]]);
    // red (luma 76) and white (255) pixels on black: threshold 100 keeps only white, threshold 50 both
    const rgb: RasterImage = { width: 3, height: 1, format: 'rgb24', data: Uint8Array.from([255, 0, 0, 0, 0, 0, 255, 255, 255]) };
    const fp = write('c.png', encodePng(rgb));
    const hi = JSON.parse((await runMain(['ccl', 'label', fp, '--json', '--threshold', '100'])).out) as { objects: Array<{ bbox: number[] }> };
    const lo = JSON.parse((await runMain(['ccl', 'label', fp, '--json', '--threshold', '50', '--hist', '4'])).out) as { objects: Array<{ bbox: number[]; hist: number[] }> };
    expect(hi.objects.map((o) => o.bbox)).toEqual([[2, 0, 2, 0]]);
    expect((await runMain(['ccl', 'label', f, '--threshold', '9'])).err).toMatch(/^accelforge: error: --threshold: does not apply to a binary \(PBM\) image/);
    expect((await runMain(['ccl', 'label', fp, '--threshold', '9', '--rgb-lo', '1,1,1'])).err).toMatch(/^accelforge: error: --threshold: does not apply with --rgb-lo/);
    expect(lo.objects.map((o) => [o.bbox, o.hist])).toEqual([[[0, 0, 0, 0], [0, 1, 0, 0]], [[2, 0, 2, 0], [0, 0, 0, 1]]]);
  });

  it('human summary without --json', async () => {
    const r = await runMain(['ccl', 'label', img]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^16×16, cell 1: 1 object\(s\)\n {2}#0: area \d+, cells \d+, bbox \[0, 0, 15, 15\]/);
  });

  const haveRtl = existsSync(join(PROJECT_ROOT, 'src/ccl/rtl-run.ts'));
  it.skipIf(haveRtl)('--rtl before the RTL runner exists: a clear error', async () => {
    const r = await runMain(['ccl', 'label', img, '--rtl', '--json']);
    expect([r.code, r.err.trim()]).toEqual([1, "accelforge: error: 'ccl label --rtl' is not available in this build yet (src/ccl/rtl-run.ts is missing)"]);
  });
  it.skipIf(!haveRtl)('--rtl equals the golden model on a small image', async () => {
    const small = P.nestedU(16, 12, 1, { seed: 5 });
    const f = write('rtl.pgm', encodePgm(small));
    const r = await runMain(['ccl', 'label', f, '--rtl', '--max-objects', '16', '--json']);
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe(resultToJson(labelImage(small, makeCclConfig({ width: 16, height: 12, maxObjects: 16 }))));
  });
});
