/**
 * `accelforge ccl seqgen` → `ccl templates` → `ccl track` end to end on a small generated sequence (folder of PNG
 * frames and Y4M), checked against the sequence's own ground truth; and the bad-input cases (one line, exit 1,
 * nothing written).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { runCli } from './support/cli.js';
import { evaluate } from '../src/ccl/track/metrics.js';
import { parseMot } from '../src/ccl/track/mot.js';
import { encodePng } from '../src/image/io.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccl-track-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

describe('ccl track end to end', () => {
  it('seqgen, templates on one sequence, track on another: tracks and labels match the ground truth', async () => {
    const a = join(dir, 'a'), b = join(dir, 'b');
    for (const [d, seed] of [[a, 1], [b, 2]] as const) {
      const r = await runMain(['ccl', 'seqgen', '-o', d, '--frames', '40', '--seed', String(seed), '--objects', '8', '--size', '256x192']);
      expect(r.err).toBe('');
    }
    const t = await runMain(['ccl', 'templates', join(a, 'frames'), '--classes', join(a, 'classes.json'), '--labels', join(a, 'labels.json'), '-o', join(dir, 't.json'), '--cell', '4']);
    expect(t.err).toBe('');
    const r = await runCli(['ccl', 'track', join(b, 'frames'), '--classes', join(b, 'classes.json'), '--cell', '4', '--templates', join(dir, 't.json'),
      '--mot', join(dir, 'out.txt'), '--json', join(dir, 'out.json'), '--html', join(dir, 'out.html')]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const gt = parseMot(readFileSync(join(b, 'gt.txt'), 'utf8'));
    const hyp = parseMot(readFileSync(join(dir, 'out.txt'), 'utf8'));
    expect(hyp[0]!.frame).toBeGreaterThanOrEqual(1);
    const m = evaluate(gt, hyp, 40);
    expect(m.idsw).toBe(0);
    expect(m.mota).toBeGreaterThan(0.9);
    // recognition: each track's label is its ground-truth object's label (or refused as unknown)
    const labels = (JSON.parse(readFileSync(join(b, 'labels.json'), 'utf8')) as { labels: Record<string, string> }).labels;
    const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { tracks: { id: number; label: string }[] };
    const lib = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as { templates: { label: string }[] };
    let right = 0;
    for (const tr of out.tracks) {
      const h = hyp.find((x) => x.id === tr.id && x.frame === 20)!;
      const g = gt.filter((x) => x.frame === 20).sort((p, q) => Math.hypot(p.left - h.left, p.top - h.top) - Math.hypot(q.left - h.left, q.top - h.top))[0]!;
      const want = labels[String(g.id)]!;
      if (tr.label === want || (tr.label === 'unknown' && !lib.templates.some((x) => x.label === want))) right++;
    }
    expect(right).toBeGreaterThanOrEqual(out.tracks.length - 2); // 8 objects: at most two shapes confused (bench: accuracy)
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    expect(html).toContain('data:image/png;base64,');
    expect((html.match(/<polyline/g) ?? []).length).toBe(out.tracks.length);
  });

  it('a Y4M input (4:4:4 from seqgen --y4m) gives the tracks of the same frames as PNG files', async () => {
    const outs: string[] = [];
    for (const y4m of [true, false]) {
      const c = join(dir, y4m ? 'cy' : 'cp');
      await runMain(['ccl', 'seqgen', '-o', c, '--frames', '12', '--objects', '3', '--size', '128x128', ...(y4m ? ['--y4m'] : [])]);
      const r = await runMain(['ccl', 'track', join(c, y4m ? 'video.y4m' : 'frames'), '--classes', join(c, 'classes.json'), '--mot', join(c, 'out.txt')]);
      expect(r.err).toBe('');
      outs.push(readFileSync(join(c, 'out.txt'), 'utf8'));
    }
    expect(outs[0]!.split('\n').length).toBeGreaterThan(20);
    expect(outs[0]).toBe(outs[1]);
  });
});

describe('ccl track bad input: one line, nothing written', () => {
  const frames = (name: string, sizes: number[]): string => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    sizes.forEach((s, i) => writeFileSync(join(d, `f${i}.png`), encodePng({ width: s, height: s, format: 'rgb24', data: new Uint8Array(3 * s * s) })));
    return d;
  };
  const classes = (name: string, json: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(json));
    return p;
  };
  const good = { classes: [{ name: 'red', rgbLo: [150, 0, 0], rgbHi: [255, 100, 100] }] };

  it.each([
    ['frames of different sizes', () => [frames('mixed', [16, 16, 12]), classes('c1.json', good)], /f2\.png: frame 3 is 12×12 but frame 1 \(f0\.png\) is 16×16/],
    ['an inverted class range', () => [frames('ok', [16]), classes('c2.json', { classes: [{ name: 'red', rgbLo: [200, 0, 0], rgbHi: [100, 9, 9] }] })], /c2\.json\.classes\[0\]\.rgbLo\[0\]: 200 > rgbHi\[0\] = 100/],
    ['an empty class list', () => [frames('ok2', [16]), classes('c3.json', { classes: [] })], /c3\.json\.classes: must list 1\.\.8 classes, got 0/],
    ['a Y4M with 4:2:2 chroma', () => {
      const p = join(dir, 'v.y4m');
      writeFileSync(p, 'YUV4MPEG2 W4 H4 F30:1 C422\nFRAME\n' + 'x'.repeat(32));
      return [p, classes('c4.json', good)];
    }, /v\.y4m: header: unsupported chroma format C422/],
    ['a truncated Y4M frame', () => {
      const p = join(dir, 't.y4m');
      writeFileSync(p, 'YUV4MPEG2 W4 H4 F30:1 C444\nFRAME\n' + 'x'.repeat(48) + 'FRAME\n' + 'x'.repeat(40));
      return [p, classes('c5.json', good)];
    }, /t\.y4m: frame 2: truncated \(40 of 48 bytes\)/],
  ])('%s', async (_what, make, msg) => {
    const [src, cls] = make();
    const mot = join(dir, `never-${Math.random()}.txt`);
    const r = await runMain(['ccl', 'track', src!, '--classes', cls!, '--mot', mot, '--html', `${mot}.html`]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(msg);
    expect(existsSync(mot) || existsSync(`${mot}.html`)).toBe(false);
  });

  it('missing --mot and unknown options are named', async () => {
    const r = await runMain(['ccl', 'track', join(dir, 'ok'), '--classes', join(dir, 'c1.json')]);
    expect(r.err).toMatch(/--mot: missing \(required\)/);
    const u = await runMain(['ccl', 'track', join(dir, 'ok'), '--bogus']);
    expect(u.err).toMatch(/--bogus: unknown option for 'ccl track'/);
  });
});
