/** Synthesis report as Markdown and as JSON. */
import type { Board } from '../board/schema.js';
import type { SynthReport } from './synthesize.js';
import { utilization, fmt, type Utilization } from './utilization.js';
import { describeYosys } from '../tools/yosys.js';
import { DELAY_MODEL } from './timing.js';

/** JSON form of a synthesis report (netlist and log left out), with the utilization against `board`. */
export function synthReportJson(report: SynthReport, board?: Board): Record<string, unknown> {
  const { netlist: _n, log: _l, ...rest } = report;
  const util: Utilization | undefined = board ? utilization(report.resources, board) : undefined;
  return {
    ...rest,
    yosysDescription: describeYosys(report.yosys),
    ...(util ? { utilization: util } : {}),
  };
}

/** Markdown report: resources (with utilization when a board is given), timing estimate, warnings. */
export function formatSynthReport(report: SynthReport, board?: Board): string {
  const r = report.resources;
  const t = report.timing;
  const out: string[] = [];
  out.push(`## Synthesis: \`${report.top}\``);
  out.push('');
  out.push(`- tool: ${describeYosys(report.yosys)}, \`${report.command}\``);
  if (board) out.push(`- board: ${board.board} (${board.part})`);
  out.push(`- synthesis wall time: ${(report.wallTimeMs / 1000).toFixed(1)} s${report.cached ? ' (yosys outputs reused from the synthesis cache; figure of the original run)' : ''}`);
  out.push('');
  if (board) {
    const u = utilization(r, board);
    out.push('| Resource | Used | Available | Util % |');
    out.push('|---|---:|---:|---:|');
    for (const row of u.rows) {
      out.push(`| ${row.resource} | ${fmt(row.used)} | ${fmt(row.available)} | ${pct(row.used, row.percent)}${row.over ? ' **OVER**' : ''} |`);
    }
    out.push('');
    for (const w of u.warnings) out.push(`> **${w}**`);
    if (u.warnings.length) out.push('');
  }
  out.push('| Cell class | Count |');
  out.push('|---|---:|');
  const b = r.lut.byInputs;
  out.push(`| LUT (logic) | ${fmt(r.lut.total)} (LUT1 ${b[1]}, LUT2 ${b[2]}, LUT3 ${b[3]}, LUT4 ${b[4]}, LUT5 ${b[5]}, LUT6 ${b[6]}) |`);
  out.push(`| FF | ${fmt(r.ff)} |`);
  out.push(`| CARRY4 | ${fmt(r.carry4)} |`);
  out.push(`| MUXF7 / MUXF8 | ${fmt(r.muxf7)} / ${fmt(r.muxf8)} |`);
  out.push(`| LUTRAM (LUTs) / SRL | ${fmt(r.lutram)} / ${fmt(r.srl)} |`);
  out.push(`| DSP48E1 | ${fmt(r.dsp48e1)} |`);
  out.push(`| RAMB18E1 / RAMB36E1 (BRAM36 eq.) | ${fmt(r.ramb18e1)} / ${fmt(r.ramb36e1)} (${fmt(r.bram36Equivalent)}) |`);
  out.push('');
  out.push(`### Timing — ${t.label}`);
  out.push('');
  if (t.estFmaxMHz === null) {
    out.push('No register-to-register path: no fmax estimate.');
  } else {
    const bd = t.breakdown;
    out.push(`- estimated fmax: **${t.estFmaxMHz} MHz** (critical path ≈ ${t.estPeriodNs} ns; ${t.model})`);
    if (board && board.speedGrade !== DELAY_MODEL.speedGrade) {
      out.push(`- the board's part is speed grade ${board.speedGrade}; the ${DELAY_MODEL.speedGrade} delay model is conservative for it`);
    }
    out.push(`- logic levels: ${t.levels} (LUT ${bd.lut}, CARRY4 ${bd.carry4}, MUXF ${bd.muxf}, LUTRAM ${bd.lutram}, DSP ${bd.dsp}); ` +
      `${t.startType} → ${t.endType}`);
    if (board) {
      const ok = 1000 / board.defaultClockMHz >= (t.estPeriodNs ?? 0);
      out.push(`- board default clock ${board.defaultClockMHz} MHz: ${ok ? 'estimate meets it' : '**estimate misses it**'} (estimate only, not timing closure)`);
    }
    out.push('');
    out.push('| Step | Cell type | Net | Arrival (ns, est.) |');
    out.push('|---:|---|---|---:|');
    t.steps.forEach((s, i) => out.push(`| ${i} | ${s.type}${s.config ? ` (${s.config})` : ''} | ${s.net ? `\`${s.net}\`` : ''} | ${s.at} |`));
  }
  for (const n of t.notes) out.push(`- note: ${n}`);
  if (report.warnings.length) {
    out.push('');
    out.push('### Warnings');
    for (const w of report.warnings) out.push(`- ${w}`);
  }
  return `${out.join('\n')}\n`;
}

function pct(used: number, percent: number): string {
  if (used > 0 && percent < 0.1) return '<0.1%';
  return `${percent}%`;
}
