/**
 * bench/run.ts summary: headline figures from result files (fixtures here, not the real ones): ratios against the
 * paper and targets, kinds, robustness to missing fields / files, and the Markdown table.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectFigures, resultsMarkdown } from '../bench/run.js';

const dir = mkdtempSync(join(tmpdir(), 'af-bench-'));
const put = (name: string, o: unknown) => writeFileSync(join(dir, `${name}.json`), JSON.stringify(o));
const machine = { cpu: 'Test CPU', cores: 2, loadavg1m: 3.5 };

put('msq-core', {
  date: '2026-01-02T03:04:05.000Z', machine: { host: 'h', cpus: 2, cpu: 'Test CPU', loadavg1: 1 },
  boards: {
    xc7z020: { best: { config: { N: 16, Pf: 13, Ps: 40, Rq: 2 }, peakGopsAt100MHz: 169.6 }, resnet18: { compiled: { ms: 52.3, convEfficiency: 0.8765 } } },
    xc7z045: { best: { config: { N: 16, Pf: 54, Ps: 150, Rq: 4, dspPack: 2 }, peakGopsAt100MHz: 652.8 }, resnet18: { compiled: { ms: 9.9 } } },
  },
});
put('ccl-fps', { date: '2026-01-02T00:00:00.000Z', machine, results: [
  { cell: 8, ppc: 4, fpsEstimateMeasuredPeriod: 2650, measuredFramePeriodCycles: [65600], memory: { percentOfFullFrame: 0.69, totalBits: 18018, fullFrameLabelBits: 2621440 } },
  { cell: 1, ppc: 1, fpsEstimateMeasuredPeriod: null, measuredFramePeriodCycles: [262144, 300000], memory: {} },
] });
put('msq-accuracy', { date: 'd', machine: 'AMD (2 cores)', qatGapPoints: 0.25, markdown: '| a | b |\n|---|---|\n| 1 | 2 |' });
put('synth-time', { date: 'd', machine, runs: [{ design: 'x', cpuMs: 9000 }, { design: 'x', cpuMs: 7500 }, { design: 'y', wallMs: 4000 }] });
writeFileSync(join(dir, 'sim-speed.json'), '{ not json');

describe('bench summary', () => {
  const { figures, missing } = collectFigures(dir);
  const find = (re: RegExp) => figures.find((f) => re.test(f.label));

  it('peak GOPS and ResNet-18 latency against the paper, labelled estimate / model', () => {
    const g020 = find(/XC7Z020: peak GOPS/)!;
    expect(g020).toMatchObject({ value: 169.6, kind: 'estimate', reference: { value: 132 }, meets: true });
    expect(g020.ratio).toBeCloseTo(169.6 / 132, 3);
    const l020 = find(/XC7Z020: ResNet-18 latency/)!;
    expect(l020).toMatchObject({ value: 52.3, kind: 'model', reference: { value: 47.1 }, meets: false });
    expect(find(/XC7Z045: ResNet-18 latency/)).toMatchObject({ reference: { value: 10.1 }, meets: true });
    expect(find(/XC7Z045: ResNet-18 latency at 100 MHz \(N=16 Pf=54 Ps=150 Rq=4 packed\)/)).toBeDefined();
    expect(find(/XC7Z020: compute efficiency/)).toMatchObject({ value: 87.7, kind: 'model', reference: { value: 85 }, meets: true });
    expect(find(/XC7Z045: compute efficiency/)).toBeUndefined();
  });

  it('CCL fps against 2000 (estimate at fmax, else at an assumed clock from the worst period), memory against 5%', () => {
    expect(find(/\(C=8, P=4\) at the yosys fmax estimate/)).toMatchObject({ value: 2650, kind: 'estimate', meets: true });
    expect(find(/\(C=1, P=1\) at an assumed 100 MHz/)).toMatchObject({ value: Math.floor(100e6 / 300000), meets: false });
    expect(find(/memory .*\(C=8, P=4\)/)).toMatchObject({ value: 0.69, kind: 'design', meets: true });
    expect(find(/memory .*\(C=1, P=1\)/)).toBeUndefined();
  });

  it('best CPU time per synthesized design; unreadable or absent files are listed, not fatal', () => {
    expect(find(/'x'/)).toMatchObject({ value: 7.5 });
    expect(find(/'y'/)).toMatchObject({ value: 4 });
    expect(missing.some((m) => m.startsWith('sim-speed'))).toBe(true);
    expect(missing.some((m) => m.startsWith('msq-golden-speed'))).toBe(true);
    expect(figures.every((f) => f.date && f.machine && f.source.startsWith('bench/results/'))).toBe(true);
    expect(find(/XC7Z020: peak/)!.machine).toBe('Test CPU ×2, load 1.0');
  });

  it('the Markdown table shows value, reference, ratio with ✓/✗, kind and source', () => {
    const md = resultsMarkdown(figures, missing, [], '2026-01-03T00:00:00.000Z');
    expect(md).toMatch(/\| PYNQ-Z2 \/ XC7Z020: ResNet-18 latency at 100 MHz \(N=16 Pf=13 Ps=40 Rq=2\).* \| 52\.3 ms \| 47\.1 ms \(paper\) \| 1\.11× ✗ \| MODEL \| msq-core\.json \(2026-01-02 03:04, Test CPU ×2, load 1\.0\) \|/);
    expect(md).toContain('| a | b |');
    expect(md).toContain('## Not available');
    expect(md).toMatch(/compare \*\*ratios\*\*/);
  });
});
