/**
 * `accelforge ccl gen` — generate the streaming CCL core and its synthesis report.
 *
 *   npx accelforge ccl gen --width 512 --height 512 --cell 8 --ppc 4 --max-objects 1024 --board xc7z020 -o rtl-out/ccl
 *
 * Writes (atomically: the folder appears complete or not at all):
 *   <top>.v            the core (Verilog-2005)
 *   ccl-config.json    configuration, derived parameters, record layout, cycle and memory model
 *   report.md / report.json   resources, utilization on the board, on-chip memory beside a full-frame label buffer,
 *                      ESTIMATED fmax (yosys, no place & route) and ESTIMATED frames per second
 * `--no-synth` skips yosys (report without resources / fmax).
 * `--classes classes.json` (classes.ts) generates the multi-class core (rtl/multi.ts): rgb24 pixels, one labeling
 * channel per class, every record tagged with its class; `--color-bits q` adds the 2^(3q)-bin colour histogram.
 */
import { parseCommand } from '../util/cli.js';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { makeCclConfig, type CellSize, type Connectivity, type PixelFormat } from './config.js';
import { runQueueSlots } from './rtl/runlab.js';
import { generateCclRtl, generateCclMultiRtl, cclCycleModel, cclMemoryModel, maxObjectsPerFrame, type CclRtl, type CclMultiParams } from './rtl/index.js';
import { readClasses } from './classes.js';
import { intOption, rgbOption, withOptionNames } from './cli-options.js';
import { fail } from '../util/errors.js';
import { writeDirAtomic } from '../util/fsx.js';
import { writeFolderReport } from '../report/from-folder.js';
import { writeCclDesign } from './design.js';
import { configHash } from '../util/hash.js';
import { GENERATOR_VERSION } from '../version.js';
import { loadBoard, type Board } from '../board/index.js';
import { synthesize, formatSynthReport, synthReportJson, utilization, type SynthReport } from '../synth/index.js';

const USAGE = `usage: accelforge ccl gen --width W --height H [--cell C] [--ppc P] [--max-objects N] [--min-pixels T]
       [--connectivity 8|4] [--format gray8|rgb24|binary] [--threshold V] [--rgb-lo R,G,B --rgb-hi R,G,B]
       [--hist B] [--color-bits 0|1|2] [--third-moments] [--classes classes.json] [--board xc7z020|xc7z045|file.json] [--name TOP]
       [--no-synth] -o DIR`;

const FIELD_TO_OPTION: Record<string, string> = {
  width: '--width', height: '--height', cell: '--cell', minPixels: '--min-pixels', connectivity: '--connectivity',
  pixelFormat: '--format', threshold: '--threshold', rgbLo: '--rgb-lo', rgbHi: '--rgb-hi', histBins: '--hist',
  maxObjects: '--max-objects', ppc: '--ppc', name: '--name', colorBits: '--color-bits', classes: '--classes',
  thirdMoments: '--third-moments',
};

function mhzFps(fmaxMHz: number, cycles: number): number {
  return Math.floor((fmaxMHz * 1e6) / cycles);
}

/** The CCL-specific part of the report (Markdown). `multi`: the multi-class core (K channels of rtl.params). */
export function cclReportMarkdown(rtl: CclRtl, synth: SynthReport | null, board: Board, multi?: CclMultiParams): string {
  const p = rtl.params;
  const cyc = cclCycleModel(p);
  const mem = cclMemoryModel(p);
  const out: string[] = [];
  out.push(`# CCL core \`${rtl.top}\``);
  out.push('');
  out.push(`accelforge ${GENERATOR_VERSION}, config hash ${configHash({ cfg: p.cfg, ppc: p.P, name: p.name })}`);
  out.push('');
  out.push(`- frame ${p.W}×${p.H}, ${p.cfg.pixelFormat}, cell C = ${p.C} (grid ${p.Wc}×${p.Hc}), T = ${p.cfg.minPixels}, ${p.cfg.connectivity}-connectivity, histogram ${p.cfg.histBins || 'none'}`);
  out.push(`- P = ${p.P} pixels per clock (input tdata ${p.inWidth} bits), N = ${p.N} live objects${p.cfg.maxObjects === undefined ? ' (default: no frame can overflow)' : ''}`);
  out.push(`- label table: ${p.Nt} entries (min(N, ${p.liveBound}) — no more labels can be live at once in this geometry), labels ${p.LW} bits`);
  out.push(`- record: ${p.outWidth}-bit beats, ${p.featWidth} feature bits; at most ${maxObjectsPerFrame(p)} objects per frame`);
  if (multi) {
    out.push(`- **${multi.K} colour classes** in one pass (one labeling channel each, sharing the pixel stream): `
      + multi.classes.map((c, k) => `${k} = ${c.name} (${c.space} ${c.lo.join(',')}..${c.hi.join(',')})`).join(', '));
    out.push(`- output: ${multi.outWidth}-bit beats = the channel record + a ${multi.tagW}-bit class tag at bit ${p.outWidth}; every class's end-of-frame record, tlast on the last of the frame's ${multi.K}`);
  }
  out.push('');
  out.push('## On-chip memory');
  out.push('');
  out.push('| Structure | Bits |');
  out.push('|---|---:|');
  if (!p.pixelExact) out.push(`| cell accumulators (2 banks × ${Math.max(2, p.Wc)} × ${p.cellWidth}) | ${mem.cellBanksBits.toLocaleString('en-US')} |`);
  out.push(`| feature table (${Math.max(2, p.Nt + 1)} × ${p.featWidth}) | ${mem.featureTableBits.toLocaleString('en-US')} |`);
  out.push(`| free-label stack (${Math.max(2, p.Nt)} × ${p.LW}) | ${mem.freeStackBits.toLocaleString('en-US')} |`);
  out.push(p.pixelExact
    ? `| run queue (${runQueueSlots(p.W)} × (label ${p.LW} + xs, xe ${2 * p.xW} + valid), registers) | ${mem.labelRingBits.toLocaleString('en-US')} |`
    : `| label ring (${p.Wc} × ${p.LW}, registers) | ${mem.labelRingBits.toLocaleString('en-US')} |`);
  out.push(`| **total${multi ? ' per class channel' : ''}** | **${mem.totalBits.toLocaleString('en-US')}** |`);
  if (multi) out.push(`| **all ${multi.K} channels** | **${(multi.K * mem.totalBits).toLocaleString('en-US')}** |`);
  out.push(`| full-frame label buffer (${p.W}×${p.H}×${mem.labelBitsFullFrame}), for comparison | ${mem.fullFrameLabelBits.toLocaleString('en-US')} |`);
  out.push('');
  out.push(`The core stores **${mem.percentOfFullFrame}%** of a full-frame label buffer${multi ? ' per class channel' : ''} (target ≤ 5%).`);
  if (synth) {
    const r = synth.resources;
    out.push(`Physically yosys maps it to ${r.ramb18e1} RAMB18 + ${r.ramb36e1} RAMB36 (${r.bram36Equivalent} BRAM36 equivalents, `
      + `${(r.bram36Equivalent * 36864).toLocaleString('en-US')} bits of block RAM allocated) and ${r.lutram} LUTs as RAM.`);
  }
  out.push('');
  out.push('## Throughput (cycle model, frames back to back)');
  out.push('');
  out.push(`- input: ${cyc.pixelCyclesPerFrame.toLocaleString('en-US')} cycles per frame (${p.WP} words per line, ${cyc.pixelCyclesPerCellRow} per cell row)`);
  out.push(`- labeler: ${cyc.labelRowBest}..${cyc.labelRowWorst} cycles per ${p.pixelExact ? 'line (run labeler, bound)' : 'cell row'} (≤ ${cyc.worstCellCycles} per ${p.pixelExact ? 'run' : 'cell'}), flush ${cyc.flushBest}..${cyc.flushWorst}; per frame ${cyc.labelFrameBest.toLocaleString('en-US')}..${cyc.labelFrameWorst.toLocaleString('en-US')}`);
  out.push(`- frame period: ${cyc.framePeriodBest.toLocaleString('en-US')} cycles when the labeler keeps up, ≤ ${cyc.framePeriodWorst.toLocaleString('en-US')} for the worst-case image`
    + (cyc.framePeriodWorst <= cyc.pixelCyclesPerFrame ? ' (input-bound for every image)'
      : p.pixelExact ? ' (labeler-bound: the run extractor lowers s_tready while the run labeler is behind, and on words that end more than one run)'
        : ' (labeler-bound: the core lowers s_tready while a cell row waits for its bank)'));
  out.push(p.pixelExact
    ? '- inter-frame gap: none needed; the run extractor takes the next frame while the run labeler flushes the last one (the virtual empty line).'
    : '- inter-frame gap: none needed; the end-of-frame flush overlaps the next frame\'s first cell row. s_tready drops only when a cell row is complete while the labeler still holds the other bank.');
  out.push('');
  if (synth && synth.timing.estFmaxMHz !== null) {
    const f = synth.timing.estFmaxMHz;
    out.push(`**ESTIMATED** at the yosys fmax estimate of ${f} MHz (no place & route): `
      + `${mhzFps(f, cyc.framePeriodBest).toLocaleString('en-US')} frames/s when the labeler keeps up, `
      + `≥ ${mhzFps(f, cyc.framePeriodWorst).toLocaleString('en-US')} frames/s for any image.`);
    out.push('');
  } else if (!synth) {
    out.push('(synthesis skipped: no fmax / fps estimate)');
    out.push('');
  }
  if (synth) {
    out.push(formatSynthReport(synth, board));
  }
  return out.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseCommand('ccl gen', argv, {
    width: { type: 'string' }, height: { type: 'string' }, cell: { type: 'string' }, ppc: { type: 'string' },
    'max-objects': { type: 'string' }, 'min-pixels': { type: 'string' }, connectivity: { type: 'string' },
    format: { type: 'string' }, threshold: { type: 'string' }, 'rgb-lo': { type: 'string' }, 'rgb-hi': { type: 'string' },
    hist: { type: 'string' }, 'color-bits': { type: 'string' }, 'third-moments': { type: 'boolean' }, classes: { type: 'string' }, board: { type: 'string' }, name: { type: 'string' }, 'no-synth': { type: 'boolean' },
    out: { type: 'string', short: 'o' },
  }, USAGE);
  if (!parsed) return;
  if (parsed.positionals.length > 0) fail('ccl gen', `takes no file argument, got '${parsed.positionals[0]}'`);
  const v = parsed.values;
  const width = intOption('width', v.width);
  const height = intOption('height', v.height);
  if (width === undefined) fail('--width', 'missing: give the frame width in pixels');
  if (height === undefined) fail('--height', 'missing: give the frame height in pixels');
  if (!v.out) fail('-o', 'missing: give the output folder (-o DIR)');
  const classes = v.classes ? readClasses(v.classes) : null;
  if (classes) {
    if (v.format !== undefined && v.format !== 'rgb24') fail('--format', `--classes labels rgb24 pixels; drop --format ${v.format}`);
    for (const o of ['threshold', 'rgb-lo', 'rgb-hi'] as const) if (v[o] !== undefined) fail(`--${o}`, 'has no meaning with --classes (the class file defines the foreground)');
  }
  const format = (classes ? 'rgb24' : v.format) as PixelFormat | undefined;
  const cfg = withOptionNames(FIELD_TO_OPTION, () => makeCclConfig({
    width, height,
    cell: intOption('cell', v.cell) as CellSize | undefined,
    minPixels: intOption('min-pixels', v['min-pixels']),
    connectivity: intOption('connectivity', v.connectivity) as Connectivity | undefined,
    pixelFormat: format,
    threshold: intOption('threshold', v.threshold),
    rgbLo: rgbOption('rgb-lo', v['rgb-lo']),
    rgbHi: rgbOption('rgb-hi', v['rgb-hi']),
    histBins: intOption('hist', v.hist),
    colorBits: intOption('color-bits', v['color-bits']),
    thirdMoments: v['third-moments'],
    maxObjects: intOption('max-objects', v['max-objects']),
  }));
  const ppc = intOption('ppc', v.ppc) ?? 1;
  const board = loadBoard(v.board ?? 'xc7z020');
  const opts = { ppc, ...(v.name ? { name: v.name } : {}) };
  const multi = classes ? withOptionNames(FIELD_TO_OPTION, () => generateCclMultiRtl(cfg, classes, opts)) : null;
  const rtl: CclRtl = multi ? { params: multi.params.ch, top: multi.top, files: multi.files, module: multi.module } : withOptionNames(FIELD_TO_OPTION, () => generateCclRtl(cfg, opts));
  const synth = v['no-synth'] ? null : await synthesize({ files: rtl.files, top: rtl.top });
  const p = rtl.params;
  const report = cclReportMarkdown(rtl, synth, board, multi?.params);
  const cyc = cclCycleModel(p);
  const mem = cclMemoryModel(p);
  const fmax = synth?.timing.estFmaxMHz ?? null;
  const json = {
    generator: `accelforge ${GENERATOR_VERSION}`,
    top: rtl.top,
    config: p.cfg,
    ppc: p.P,
    params: {
      N: p.N, labelTable: p.Nt, liveBound: p.liveBound, labelWidth: p.LW, cellCols: p.Wc, cellRows: p.Hc,
      inputWidth: p.inWidth, outputWidth: p.outWidth, countWidth: p.countWidth,
      cellFields: p.cellFields, recordFields: [{ name: 'kind', width: 1 }, ...p.featFields],
      eofFields: [{ name: 'kind', width: 1 }, { name: 'count', width: p.countWidth }, { name: 'overflow', width: 1 }, { name: 'syncErr', width: 1 }],
      ...(multi ? { classTag: { offset: p.outWidth, width: multi.params.tagW }, taggedOutputWidth: multi.params.outWidth } : {}),
    },
    ...(classes ? { classes } : {}),
    cycles: cyc,
    memory: mem,
    estimate: fmax === null ? null : {
      note: 'ESTIMATE: yosys synthesis without place & route',
      fmaxMHz: fmax,
      fpsWhenLabelerKeepsUp: mhzFps(fmax, cyc.framePeriodBest),
      fpsWorstCaseImage: mhzFps(fmax, cyc.framePeriodWorst),
    },
  };
  await writeDirAtomic(v.out, async (dir) => {
    for (const [name, text] of rtl.files) await writeFile(join(dir, name), text);
    await writeFile(join(dir, 'ccl-config.json'), JSON.stringify(json, null, 2) + '\n');
    await writeFile(join(dir, 'report.md'), report);
    await writeFile(join(dir, 'report.json'), JSON.stringify({ ...json, synthesis: synth ? synthReportJson(synth, board) : null }, null, 2) + '\n');
    await writeCclDesign(dir, {
      module: rtl.module, files: rtl.files.keys(), params: p, recordFields: json.params.recordFields, eofFields: json.params.eofFields,
      cycles: cyc, memory: mem, estimate: json.estimate, utilization: synth ? utilization(synth.resources, board) : null,
      board: board.id, configHash: configHash({ cfg: p.cfg, ppc: p.P, name: p.name, ...(classes ? { classes } : {}) }),
      ...(multi ? { classes: { count: multi.params.K, tagWidth: multi.params.tagW } } : {}),
    });
    // summary.{json,md,html}: the self-contained HTML page with charts (src/report)
    await writeFolderReport(dir);
  });
  process.stdout.write(report);
  process.stdout.write(`\nwrote ${[...rtl.files.keys(), 'ccl-config.json', 'report.md', 'report.json', 'summary.html'].join(', ')} to ${v.out}\n`);
}
