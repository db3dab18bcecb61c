/**
 * Reports: SVG chart functions (ticks, refusals, escaping), Markdown/JSON renderings, and the HTML page checked in
 * Debian's headless Chromium via playwright-core: loads without console errors or network requests, every chart is
 * laid out and has drawn marks. Negative controls: a page with a script error / an external image is caught.
 * AF_UPDATE_SCREENSHOT=1 also refreshes docs/img/report-example.png.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  barChart, lineChart, groupedBarChart, niceTicks, makeReport, toHtml, toMarkdown, writeReport, mdTable,
  utilizationSection, sweepSection, layersSection, cclFpsSection, accuracySection, type SweepCandidateLike,
} from '../src/report/index.js';
import { checkPage, CHROMIUM, CHROMIUM_INSTALL } from '../src/report/browser.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { cclRtlParams, cclCycleModel } from '../src/ccl/rtl/index.js';
import { PROJECT_ROOT } from '../src/version.js';
import { writeFolderReport, folderReport } from '../src/report/index.js';
import { main } from '../src/cli/main.js';

async function quietCli(args: string[]): Promise<number> {
  const o = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await main(args);
  } finally {
    process.stdout.write = o;
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'af-report-'));

describe('chart functions', () => {
  it('nice ticks cover the range with 1/2/5 steps', () => {
    for (const [lo, hi] of [[0, 1], [0, 97], [0, 132.4], [-3, 7], [0, 12345], [0.2, 0.9]] as const) {
      const t = niceTicks(lo, hi);
      expect(t[0]).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
      const step = t[1]! - t[0]!;
      const m = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 5].some((x) => Math.abs(m - x) < 1e-9)).toBe(true);
      expect(t.length).toBeLessThanOrEqual(12);
    }
  });

  it('refuses empty and non-finite data with a one-line error naming the chart', () => {
    expect(() => barChart({ id: 'u', title: 't', bars: [] })).toThrow(/^chart u: has no data/);
    expect(() => barChart({ id: 'u', title: 't', bars: [{ label: 'a', value: NaN }] })).toThrow(/chart u: has a non-finite value/);
    expect(() => lineChart({ id: 'l', title: 't', xLabel: 'x', yLabel: 'y', xLog: true, series: [{ name: 's', points: [[0, 1]] }] })).toThrow(/log axis needs positive/);
    expect(() => groupedBarChart({ id: 'g', title: 't', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 's', values: [1] }] })).toThrow(/has 1 values for 2 categories/);
  });

  it('bar lengths are proportional to the values; over-capacity bars are red; labels are escaped', () => {
    const svg = barChart({ id: 'u', title: '<b>&', bars: [{ label: 'LUT <x>', value: 50 }, { label: 'DSP', value: 100 }, { label: 'BRAM', value: 120 }], refLine: { value: 100, label: '100%' } });
    const widths = [...svg.matchAll(/<rect class="bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    expect(widths[1]! / widths[0]!).toBeCloseTo(2, 1);
    expect(widths[2]! / widths[0]!).toBeCloseTo(2.4, 1);
    expect(svg.match(/fill="#dc3912"><title>BRAM/)).not.toBeNull();
    expect(svg).toContain('LUT &lt;x&gt;');
    expect(svg).not.toContain('<b>');
  });

  it('line chart places points monotonically on a log axis', () => {
    const svg = lineChart({ id: 'l', title: 't', xLabel: 'x', yLabel: 'y', xLog: true, yLog: true, series: [{ name: 's', points: [[10, 100], [1000, 10], [100, 1000]] }] });
    const cx = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(cx).toHaveLength(3);
    expect(cx[1]![0]! - cx[0]![0]!).toBeCloseTo(cx[2]![0]! - cx[1]![0]!, 0); // sorted by x, decades equally spaced
    expect(cx[1]![1]).toBeLessThan(cx[0]![1]!); // 1000 above 100
  });

  it('markdown tables align numeric columns and escape pipes', () => {
    const md = mdTable({ headers: ['a|b', 'n'], rows: [['x|y', 1234.5], ['z', null]] });
    expect(md.split('\n')).toEqual(['| a\\|b | n |', '|---|---:|', '| x\\|y | 1,234.5 |', '| z | — |']);
  });
});

function sampleDoc() {
  const cand = (N: number, Pf: number, Ps: number): SweepCandidateLike => {
    const dsp = Pf * N + 4, lut = 2000 + Pf * N * 60 + Ps * N * 180;
    return { N, Pf, Ps, lut, dsp, util: { lut: lut / 53200, dsp: dsp / 220 }, peakGopsAt100: (2 * N * (Pf + Ps) * 100) / 1000, resnet18Ms: 4000 / (N * (Pf + Ps)) };
  };
  const candidates = [8, 16].flatMap((N) => [[24, 0], [20, 8], [16, 16], [12, 24], [8, 32]].map(([pf, ps]) => cand(N, pf! / (N / 8), ps! / (N / 8))));
  candidates.sort((a, b) => b.peakGopsAt100 - a.peakGopsAt100);
  // CCL: the real cycle model at an assumed 100 MHz
  const fps = [128, 256, 512, 1024].flatMap((s) => [4, 8, 16].map((cell) => {
    const p = cclRtlParams(makeCclConfig({ width: s, height: s, cell: cell as 4 | 8 | 16 }), { ppc: 4 });
    return { width: s, height: s, cell, fps: 100e6 / cclCycleModel(p).framePeriodBest };
  }));
  return makeReport('accelforge report example <all sections>', [
    utilizationSection({ board: 'pynq-z2', part: 'xc7z020clg400-1', warnings: ['OVER CAPACITY: BRAM36 150 of 140'], rows: [
      { resource: 'Slice LUTs', used: 30123, available: 53200, percent: 56.6, over: false },
      { resource: 'FFs', used: 41000, available: 106400, percent: 38.5, over: false },
      { resource: 'DSP48E1', used: 196, available: 220, percent: 89.1, over: false },
      { resource: 'BRAM36', used: 150, available: 140, percent: 107.1, over: true },
    ] }, 'msq_engine'),
    sweepSection({ board: 'pynq-z2', part: 'xc7z020clg400-1', clockMHz: 100, best: candidates[0]!, fixedOnly: candidates.find((c) => c.Ps === 0)!, candidates }, { paperGops: 132 }),
    layersSection([{ name: 'conv1', cycles: 118_000 }, { name: 'layer1.0.conv1', cycles: 231_000 }, { name: 'fc', cycles: 4_100 }], 100, 'ResNet-18 (excerpt)'),
    cclFpsSection(fps, { target: 2000, basis: 'Cycle model (cclCycleModel) at an assumed 100 MHz, P = 4 pixels per clock; not measured.' }),
    accuracySection([{ model: 'mnist-cnn', float: 98.9, fixed: 98.7, sp2: 98.1, msq: 98.6 }, { model: 'mnist-cnn-qat', float: 99.0, fixed: 98.9, sp2: 98.8, msq: 98.9 }], '200 held-out MNIST digits.'),
  ], 'Sample data for the rendering test.', '2026-01-01T00:00:00.000Z');
}

describe('report renderings', () => {
  it('JSON, Markdown and HTML are written together, deterministic, and self-contained', async () => {
    const doc = sampleDoc();
    const paths = await writeReport(tmp, 'example', doc);
    expect(paths.map((p) => existsSync(p))).toEqual([true, true, true]);
    expect(JSON.parse(readFileSync(paths[0]!, 'utf8'))).toEqual(doc);
    const md = readFileSync(paths[1]!, 'utf8');
    expect(md).toContain('## MSQ fixed:SP2 sweep on pynq-z2');
    expect(md).toMatch(/> ESTIMATE: resources extrapolated/);
    expect(md).toContain('| BRAM36 | 150 | 140 | 107.1 |');
    const html = readFileSync(paths[2]!, 'utf8');
    expect(html).toBe(toHtml(sampleDoc()));
    expect(toMarkdown(sampleDoc())).toBe(md);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('accelforge report example &lt;all sections&gt;');
    expect((html.match(/<svg class="chart"/g) ?? []).length).toBe(6);
  });

  it('a bad chart fails before any file is written', async () => {
    const doc = makeReport('bad', [{ heading: 'h', charts: [{ kind: 'bar', id: 'x', title: 't', bars: [{ label: 'a', value: Infinity }] }] }]);
    await expect(writeReport(tmp, 'bad', doc)).rejects.toThrow(/chart x: has a non-finite value/);
    expect(existsSync(join(tmp, 'bad.json'))).toBe(false);
  });
});

describe('headless Chromium', () => {
  it(`${CHROMIUM} is installed (else: ${CHROMIUM_INSTALL})`, () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with '${CHROMIUM_INSTALL}'`).toBe(true);
  });

  it('the page loads without errors or requests and every chart is laid out with marks', async () => {
    const html = join(tmp, 'page.html');
    writeFileSync(html, toHtml(sampleDoc()));
    const shot = join(tmp, 'page.png');
    const r = await checkPage(html, { screenshot: shot });
    expect(r.consoleErrors).toEqual([]);
    expect(r.requests).toEqual([]);
    expect(r.title).toBe('accelforge report example <all sections>');
    expect(r.charts.map((c) => c.id)).toEqual(['utilization', 'sweep-gops', 'sweep-resources', 'layers', 'ccl-fps', 'accuracy']);
    for (const c of r.charts) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.drawn, c.id).toBeGreaterThan(2);
    }
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    if (process.env.AF_UPDATE_SCREENSHOT === '1') copyFileSync(shot, join(PROJECT_ROOT, 'docs', 'img', 'report-example.png'));
  }, 60_000);

  it('negative controls: a script error and an external request are reported', async () => {
    const bad = join(tmp, 'bad.html');
    writeFileSync(bad, '<!DOCTYPE html><html><head><title>bad</title></head><body><img src="http://127.0.0.1:9/x.png"><script>throw new Error("boom")</script></body></html>');
    const r = await checkPage(bad);
    expect(r.consoleErrors.join(' ')).toMatch(/boom/);
    expect(r.requests).toEqual(['http://127.0.0.1:9/x.png']);
    expect(r.charts).toEqual([]);
  }, 60_000);
});

describe('reports of generated folders', () => {
  it('ccl gen and msq build folders and an msq sweep file get a summary page that loads cleanly with its charts', async () => {
    const ccl = join(tmp, 'ccl');
    expect(await quietCli(['ccl', 'gen', '--width', '32', '--height', '16', '--cell', '4', '--no-synth', '-o', ccl])).toBe(0);
    const cclPaths = await writeFolderReport(ccl);
    expect(cclPaths.map((p) => p.split('/').pop())).toEqual(['summary.json', 'summary.md', 'summary.html']);
    const cclMd = readFileSync(cclPaths[1]!, 'utf8');
    const cclJson = JSON.parse(readFileSync(join(ccl, 'report.json'), 'utf8')) as { memory: { totalBits: number; fullFrameLabelBits: number } };
    expect(cclMd).toContain(`| total (this core) | ${cclJson.memory.totalBits.toLocaleString('en-US')} |`);
    expect(cclMd).toContain('No synthesis in this run');

    const { randomLayerModel } = await import('./support/random-layer.js');
    const model = randomLayerModel({ op: 'conv2d', cin: 3, h: 4, w: 4, cout: 4, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.5,
      inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4 }, 3);
    writeFileSync(join(tmp, 'm.q.json'), JSON.stringify(model));
    const msq = join(tmp, 'msq');
    expect(await quietCli(['msq', 'build', join(tmp, 'm.q.json'), '--board', 'xc7z020', '-o', msq, '--n', '16', '--pf', '2', '--ps', '3', '--rq', '2', '--dsp-pack', '1', '--act-depth', '1024', '--w-depth', '256', '--c-depth', '64', '--max-passes', '16', '--k-max', '4096'])).toBe(0);
    const msqDoc = folderReport(msq);
    const built = JSON.parse(readFileSync(join(msq, 'report.json'), 'utf8')) as { layers: { cycles: number }[] };
    expect(JSON.stringify(msqDoc)).toContain(`"value":${built.layers[0]!.cycles}`);
    const msqPaths = await writeFolderReport(msq);

    const sweepFile = join(tmp, 'sweep.json');
    const c = (N: number, Pf: number, Ps: number) => ({ N, Pf, Ps, lut: 1000 * (Pf + 3 * Ps), dsp: Pf * N, util: { lut: (1000 * (Pf + 3 * Ps)) / 53200, dsp: (Pf * N) / 220 }, peakGopsAt100: (2 * N * (Pf + Ps) * 100) / 1000 });
    writeFileSync(sweepFile, JSON.stringify({ result: { board: 'pynq-z2', part: 'xc7z020clg400-1', clockMHz: 100, best: c(8, 10, 12), fixedOnly: c(8, 24, 0), candidates: [c(8, 10, 12), c(8, 24, 0), c(8, 16, 6), c(16, 6, 6)] } }));
    const sweepPaths = await writeFolderReport(sweepFile);
    expect(sweepPaths[2]).toBe(join(tmp, 'sweep.summary.html'));
    expect(() => folderReport(join(tmp, 'nothing-here'))).toThrow(/nothing-here: design folder does not exist/);
    expect(msqDoc.sections[0]!.heading).toMatch(/^Design `msqc_core`/);

    for (const [paths, ids] of [[cclPaths, ['ccl-memory']], [msqPaths, ['layers']], [sweepPaths, ['sweep-gops', 'sweep-resources']]] as const) {
      const r = await checkPage(paths[2]!);
      expect(r.consoleErrors).toEqual([]);
      expect(r.requests).toEqual([]);
      expect(r.charts.map((x) => x.id)).toEqual(ids);
      for (const ch of r.charts) expect(ch.drawn, ch.id).toBeGreaterThan(0);
    }
  }, 120_000);
});
