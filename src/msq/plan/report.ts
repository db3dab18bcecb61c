/**
 * The planner's report section: the 3-D front as its three 2-D projections (inline SVG scatter charts of
 * src/report, markers only) with the pick marked, and the pick's per-layer table.
 */
import { makeReport, writeReport, type Section } from '../../report/index.js';
import type { PlanJson, PlanPoint } from './index.js';

const kb = (p: PlanPoint): number => p.sizeBytes / 1024;

export function planSection(plan: PlanJson, what: string): Section {
  const pairs: [string, string, (p: PlanPoint) => number, (p: PlanPoint) => number][] = [
    ['latency (ms)', 'perturbation', (p) => p.ms, (p) => p.perturbation],
    ['weights (kB)', 'perturbation', kb, (p) => p.perturbation],
    ['latency (ms)', 'weights (kB)', (p) => p.ms, kb],
  ];
  const charts = pairs.map(([xl, yl, fx, fy], i) => ({
    kind: 'line' as const,
    id: `plan-front-${i}`,
    title: `${what}: ${yl} vs ${xl}`,
    xLabel: xl,
    yLabel: yl,
    series: [
      { name: 'front', connect: false, points: plan.front.map((p) => [fx(p), fy(p)] as [number, number]) },
      { name: 'pick', connect: false, points: [[fx(plan.pick), fy(plan.pick)] as [number, number]] },
    ],
  }));
  const p = plan.pick;
  return {
    heading: `Mixed-precision plan: ${what}`,
    text: [
      `Front of ${plan.front.length} points (perturbation, weight size, latency); the pick is the knee. Pick: ${p.ms.toFixed(3)} ms, ` +
        `${kb(p).toFixed(1)} kB, ${(p.bops / 1e9).toFixed(3)} GBOPs, perturbation ${p.perturbation.toPrecision(3)}.`,
    ],
    notes: ['ESTIMATE: latency is the cycle model of the compiled program with the board file\'s assumed DDR bandwidth, not a measurement.'],
    charts,
    tables: [{ headers: ['layer', 'weight bits', 'scheme', 'activation bits'], rows: Object.entries(p.layers).map(([n, c]) => [n, c.w, c.scheme, c.a]) }],
  };
}

/** plan-report.json / .md / .html under `dir`. */
export async function writePlanReport(dir: string, plan: PlanJson, what: string): Promise<string[]> {
  return writeReport(dir, 'plan-report', makeReport('accelforge msq plan', [planSection(plan, what)]));
}
