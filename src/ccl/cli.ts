/**
 * `accelforge ccl gen ...`   → src/ccl/cli-gen.ts (the RTL generator's CLI, loaded on demand)
 * `accelforge ccl label <image> [options] [--json]` → golden model, or the simulated core with --rtl.
 */
import { parseOptions } from '../util/cli.js';
import type { CclConfig, CellSize, Connectivity } from './config.js';
import { makeCclConfig } from './config.js';
import type { CclResult } from './golden.js';
import { labelImage, resultToJson } from './golden.js';
import type { RasterImage } from '../image/io.js';
import { readImage, toGray } from '../image/io.js';
import { UserError, fail } from '../util/errors.js';
import { intOption, renameField, rgbOption, withOptionNames } from './cli-options.js';

const USAGE = `usage: accelforge ccl label <image.pgm|.pbm|.png> [--cell C] [--min-pixels T] [--connectivity 8|4]
         [--threshold V] [--rgb-lo R,G,B --rgb-hi R,G,B] [--hist B] [--max-objects N]
         [--rtl [--ppc P (default 1)] [--sim verilator|icarus]] [--json]
       accelforge ccl gen --width W --height H --cell C ... -o DIR   (RTL generator)
       accelforge ccl track <frames-dir | video.y4m> --classes classes.json --mot out.txt ...   (tracking)
       accelforge ccl templates <frames-dir | video.y4m> --classes c.json --labels labels.json -o t.json
       accelforge ccl seqgen -o DIR [--frames N] [--seed S] [--y4m]   (test sequences with ground truth)`;

interface RtlRunModule {
  labelWithRtl(image: RasterImage, cfg: CclConfig, opts: { ppc: number; sim?: 'verilator' | 'icarus' }): Promise<CclResult> | CclResult;
}

interface SubcommandModule {
  run(argv: string[]): Promise<void>;
}

/** Import a sibling module that another engineer owns; a clear error when it is not in this build. */
async function loadOptional<T>(file: string, what: string): Promise<T> {
  const spec = `./${file}`;
  try {
    return (await import(spec)) as T;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    // only when the module itself is missing (not something it imports): the first quoted name is the missing one
    const missing = /'([^']+)'/.exec(err.message ?? '')?.[1] ?? '';
    if (err.code === 'ERR_MODULE_NOT_FOUND' && missing.includes(file.replace(/\.js$/, ''))) {
      throw new UserError(`${what} is not available in this build yet (src/ccl/${file.replace(/\.js$/, '.ts')} is missing)`);
    }
    throw e;
  }
}

/** Map configuration-field errors to the CLI option names. */
const OPTION_OF_FIELD: Record<string, string> = {
  cell: '--cell', minPixels: '--min-pixels', connectivity: '--connectivity', threshold: '--threshold',
  histBins: '--hist', maxObjects: '--max-objects', rgbLo: '--rgb-lo', rgbHi: '--rgb-hi', width: 'image width',
  height: 'image height', ppc: '--ppc', sim: '--sim',
};

function summary(result: CclResult): string {
  const lines = [
    `${result.width}×${result.height}, cell ${result.cell}: ${result.objects.length} object(s)${result.overflow ? ', OVERFLOW (more live objects than --max-objects)' : ''}`,
  ];
  result.objects.forEach((o, k) => {
    const cx = (o.sumX / o.area).toFixed(2), cy = (o.sumY / o.area).toFixed(2);
    lines.push(`  #${k}: area ${o.area}, cells ${o.cells}, bbox [${o.bbox.join(', ')}], centroid (${cx}, ${cy})${o.hist ? `, hist [${o.hist.join(' ')}]` : ''}`);
  });
  return lines.join('\n') + '\n';
}

function parseLabelArgs(argv: string[]) {
  return parseOptions('ccl label', argv, {
    cell: { type: 'string' },
    'min-pixels': { type: 'string' },
    connectivity: { type: 'string' },
    threshold: { type: 'string' },
    'rgb-lo': { type: 'string' },
    'rgb-hi': { type: 'string' },
    hist: { type: 'string' },
    'max-objects': { type: 'string' },
    rtl: { type: 'boolean' },
    ppc: { type: 'string' },
    sim: { type: 'string' },
    json: { type: 'boolean' },
  });
}

async function label(argv: string[]): Promise<void> {
  const { values, positionals } = parseLabelArgs(argv);
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length !== 1) fail('image', positionals.length === 0 ? 'missing: give one image file (PGM, PBM or PNG)' : `give exactly one image file, got ${positionals.length}`);

  const cell = intOption('cell', values.cell);
  const minPixels = intOption('min-pixels', values['min-pixels']);
  const connectivity = intOption('connectivity', values.connectivity);
  const threshold = intOption('threshold', values.threshold);
  const histBins = intOption('hist', values.hist);
  const maxObjects = intOption('max-objects', values['max-objects']);
  const rgbLo = rgbOption('rgb-lo', values['rgb-lo']);
  const rgbHi = rgbOption('rgb-hi', values['rgb-hi']);
  const ppc = intOption('ppc', values.ppc);
  const sim = values.sim;
  if (!values.rtl && (ppc !== undefined || sim !== undefined)) fail(values.ppc !== undefined ? '--ppc' : '--sim', 'only applies with --rtl');
  if (sim !== undefined && sim !== 'verilator' && sim !== 'icarus') fail('--sim', `must be verilator or icarus, got '${sim}'`);
  if (ppc !== undefined && ppc < 1) fail('--ppc', `must be ≥ 1, got ${ppc}`);
  if (connectivity !== undefined && connectivity !== 4 && connectivity !== 8) fail('--connectivity', `must be 8 or 4, got ${connectivity}`);
  if (threshold !== undefined && (threshold < 0 || threshold > 255)) fail('--threshold', `must be in 0..255, got ${threshold}`);

  // Check the options that do not depend on the image before reading it (so errors come in option order).
  withOptionNames(OPTION_OF_FIELD, () => makeCclConfig({ width: 16, height: 16, cell: cell as CellSize | undefined, minPixels, histBins, maxObjects }));

  let image = readImage(positionals[0]!);
  const useRgb = rgbLo !== undefined || rgbHi !== undefined;
  if (image.format === 'rgb24' && !useRgb) image = toGray(image);
  if (useRgb && image.format !== 'rgb24') fail('--rgb-lo/--rgb-hi', `apply to colour images only; ${positionals[0]} is ${image.format}`);
  if (threshold !== undefined && image.format !== 'gray8') {
    fail('--threshold', image.format === 'binary' ? 'does not apply to a binary (PBM) image: its foreground is 1' : 'does not apply with --rgb-lo/--rgb-hi (the range decides the foreground)');
  }
  const cfg = withOptionNames(OPTION_OF_FIELD, () =>
    makeCclConfig({
      width: image.width,
      height: image.height,
      cell: cell as CellSize | undefined,
      minPixels,
      connectivity: connectivity as Connectivity | undefined,
      pixelFormat: image.format,
      threshold,
      rgbLo,
      rgbHi,
      histBins,
      maxObjects,
    }),
  );

  let result: CclResult;
  if (values.rtl) {
    const mod = await loadOptional<RtlRunModule>('rtl-run.js', "'ccl label --rtl'");
    const opts: { ppc: number; sim?: 'verilator' | 'icarus' } = { ppc: ppc ?? 1 };
    if (sim !== undefined) opts.sim = sim;
    try {
      result = await mod.labelWithRtl(image, cfg, opts);
    } catch (e) {
      throw renameField(e, OPTION_OF_FIELD);
    }
  } else {
    result = labelImage(image, cfg);
  }
  process.stdout.write(values.json ? resultToJson(result) + '\n' : summary(result));
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'label':
      return label(rest);
    case 'track':
      return (await import('./track/cli.js')).runTrack(rest);
    case 'templates':
      return (await import('./track/cli.js')).runTemplates(rest);
    case 'seqgen':
      return (await import('./track/cli.js')).runSeqgen(rest);
    case 'gen': {
      const mod = await loadOptional<SubcommandModule>('cli-gen.js', "'ccl gen'");
      return mod.run(rest);
    }
    case undefined:
      throw new UserError("ccl: missing subcommand: use 'ccl label', 'ccl gen', 'ccl track', 'ccl templates' or 'ccl seqgen' (see 'accelforge ccl --help')");
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new UserError(`ccl: unknown subcommand '${sub}': use 'ccl label', 'ccl gen', 'ccl track', 'ccl templates' or 'ccl seqgen'`);
  }
}
