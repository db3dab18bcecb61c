/**
 * Synthesize Verilog for a 7-series FPGA with yosys `synth_xilinx` and report resources and a timing ESTIMATE.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fail, UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { cacheRoot } from '../util/cache.js';
import { withActivity } from '../util/progress.js';
import { parseStatJson, unmappedCells, type Resources } from './stat.js';
import { estimateTiming, type TimingEstimate } from './timing.js';
import { findYosys, runYosysScript, type YosysRun, type YosysTool } from '../tools/yosys.js';

export interface SynthOptions {
  /** Verilog sources: file name → text. Names are used inside the yosys run (only the base name matters). */
  files: Map<string, string>;
  top: string;
  family?: 'xc7';
  /** Extra yosys commands run after synth_xilinx, before the reports are written. */
  extraScript?: string;
  /** Keep the synthesized netlist (yosys JSON text) and the yosys log in the report. */
  keepNetlist?: boolean;
  /** Keep the design hierarchy (default: flatten, as Vivado's default `-flatten_hierarchy rebuilt` optimizes across it). */
  noFlatten?: boolean;
  /** Use this yosys instead of the one findYosys() picks. */
  tool?: YosysTool;
  /**
   * Reuse yosys outputs of an identical earlier run (same sources, script and yosys version): `true` uses
   * `<cacheRoot()>/synth/` (src/util/cache.ts), a string names another folder. Parsing and the timing estimate always rerun.
   */
  cache?: boolean | string;
}

/** Default synthesis cache folder (git-ignored). */
export const SYNTH_CACHE_DIR = join(cacheRoot(), 'synth');
const CACHE_FORMAT = 2;

export interface SynthReport {
  top: string;
  family: 'xc7';
  yosys: YosysTool;
  /** The synth_xilinx command line used. */
  command: string;
  resources: Resources;
  timing: TimingEstimate;
  /** Problems worth a look: unmapped cells, yosys warnings (first few). */
  warnings: string[];
  /** Wall time of the yosys run (of the original run when `cached`). */
  wallTimeMs: number;
  /** True when the yosys outputs came from the synthesis cache. */
  cached: boolean;
  netlist?: string;
  log?: string;
}

const SAFE_TOP = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The synth_xilinx command accelforge runs (documented in docs/synth.md). */
export function synthCommand(top: string, flatten = true): string {
  return `synth_xilinx -family xc7 -noiopad -noclkbuf${flatten ? ' -flatten' : ''} -top ${top}`;
}

export async function synthesize(opts: SynthOptions): Promise<SynthReport> {
  const family = opts.family ?? 'xc7';
  if (family !== 'xc7') fail('family', `'${String(family)}' is not supported: only xc7 (7-series / Zynq-7000)`);
  if (!SAFE_TOP.test(opts.top)) fail('top', `'${opts.top}' is not a Verilog module name`);
  if (opts.files.size === 0) fail('files', 'no Verilog files given');
  const inputs = new Map<string, string>();
  const reads: string[] = [];
  const localNames = new Map<string, string>();
  let n = 0;
  for (const [name, text] of opts.files) {
    // Unique, shell-safe names inside the run; keep the extension so .sv is read as SystemVerilog.
    const base = basename(name).replace(/[^A-Za-z0-9_.-]/g, '_');
    const local = `src/${String(n++).padStart(3, '0')}_${base}`;
    inputs.set(local, text);
    localNames.set(local, name);
    reads.push(`read_verilog${/\.sv$/i.test(base) ? ' -sv' : ''} ${local}`);
  }
  const command = synthCommand(opts.top, !opts.noFlatten);
  const script = [
    ...reads,
    command,
    ...(opts.extraScript ? [opts.extraScript] : []),
    'tee -q -o stat.json stat -json',
    // Only the design's own modules: without the selection write_json adds every Xilinx cell library blackbox (~9 MB).
    'select *',
    'write_json -selected netlist.json',
    '',
  ].join('\n');
  const tool = opts.tool ?? (await findYosys());
  const cacheDir = opts.cache === true ? SYNTH_CACHE_DIR : typeof opts.cache === 'string' ? opts.cache : null;
  const cacheKey = sha256(canonicalJson({ f: CACHE_FORMAT, inputs: [...inputs], script, tool: [tool.kind, tool.version] }));
  const cacheFile = cacheDir ? join(cacheDir, `${cacheKey}.json.gz`) : null;
  let run: YosysRun | null = null;
  let wallTimeMs = 0;
  let cached = false;
  if (cacheFile) {
    try {
      const hit = JSON.parse(gunzipSync(await readFile(cacheFile)).toString('utf8')) as
        { stat: string; netlist: string; log: string; wallTimeMs: number };
      run = { outputs: new Map([['stat.json', hit.stat], ['netlist.json', hit.netlist]]), log: hit.log, tool };
      wallTimeMs = hit.wallTimeMs;
      cached = true;
    } catch {
      run = null; // miss or unreadable entry: synthesize
    }
  }
  if (!run) {
    const t0 = Date.now();
    try {
      run = await withActivity(`yosys: synthesizing ${opts.top}`, () => runYosysScript(inputs, script, ['stat.json', 'netlist.json'], tool));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      // Speak of the user's file names, not the names inside the yosys run.
      let msg = e.message;
      for (const [local, original] of localNames) msg = msg.split(local).join(original);
      throw new UserError(msg);
    }
    wallTimeMs = Date.now() - t0;
    if (cacheFile) {
      const entry = { stat: run.outputs.get('stat.json'), netlist: run.outputs.get('netlist.json'), log: run.log, wallTimeMs };
      await writeFileAtomic(cacheFile, gzipSync(JSON.stringify(entry)));
    }
  }
  const resources = parseStatJson(run.outputs.get('stat.json')!, opts.top);
  const netlistText = run.outputs.get('netlist.json')!;
  const netlist = JSON.parse(netlistText) as { modules: Record<string, unknown> };
  const warnings: string[] = [];
  const unmapped = unmappedCells(resources.cells);
  if (unmapped.length) warnings.push(`unmapped yosys cells left after synthesis: ${unmapped.join(', ')}`);
  // "Resizing cell port" comes with every block RAM synth_xilinx maps (unused wide ports): not worth a report line.
  const yosysWarnings = run.log.split('\n').filter((l) => /^Warning:/.test(l) && !/Resizing cell port/.test(l));
  for (const w of yosysWarnings.slice(0, 5)) warnings.push(`yosys ${w.trim()}`);
  if (yosysWarnings.length > 5) warnings.push(`... and ${yosysWarnings.length - 5} more yosys warnings (see the log)`);
  const timing: TimingEstimate = estimateTiming(netlist, opts.top);
  if (opts.noFlatten) timing.notes.push('hierarchy kept (noFlatten): paths through submodules are not followed');
  return {
    top: opts.top,
    family,
    yosys: run.tool,
    command,
    resources,
    timing,
    warnings,
    wallTimeMs,
    cached,
    ...(opts.keepNetlist ? { netlist: netlistText, log: run.log } : {}),
  };
}
