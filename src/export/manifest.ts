/**
 * The design manifest `design.json`: what a generated design folder holds and how its top level talks to the world.
 * `ccl gen` and `msq build` write it (via writeDesignManifest); `accelforge export` reads it. When a folder has no
 * manifest, deriveManifest() rebuilds one from the top-level Verilog port list (see docs/export.md).
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { fail, UserError } from '../util/errors.js';
import { GENERATOR_VERSION } from '../version.js';
import { parseVerilogModules, type VerilogModule, type VerilogPort } from './verilog-ports.js';

export const MANIFEST_FILE = 'design.json';
export const MANIFEST_SCHEMA_ID = 'accelforge-design/1';

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Verilog identifier (letters, digits, _)');

export const FieldSchema = z.object({ name: ident, width: z.number().int().min(1) }).strict();
export type Field = z.infer<typeof FieldSchema>;

/** One kind of beat on a stream: fields LSB first; `when` picks the kind by a field's value (e.g. kind = 1). */
export const RecordSchema = z.object({
  name: ident,
  when: z.object({ field: ident, value: z.number().int().min(0) }).strict().optional(),
  fields: z.array(FieldSchema).min(1),
}).strict();
export type RecordLayout = z.infer<typeof RecordSchema>;

export const StreamSchema = z.object({
  /** port prefix: ports are <prefix>_tdata, _tvalid, _tready, [_tlast], [_tuser] */
  prefix: ident,
  direction: z.enum(['in', 'out']),
  dataWidth: z.number().int().min(1).max(1024),
  last: z.boolean(),
  /** tuser: width and meaning ('sof' = 1 on the first beat of a frame; the export wrapper generates it) */
  user: z.object({ width: z.number().int().min(1), meaning: z.enum(['sof']) }).strict().optional(),
  /** element packing of tdata (lanes × bits, lane 0 in the low bits), for the driver's pack/unpack */
  lanes: z.object({ count: z.number().int().min(1), bits: z.number().int().min(1), signed: z.boolean() }).strict().optional(),
  /** beats per transfer when fixed (e.g. one input frame), else omitted */
  beats: z.number().int().min(1).optional(),
  /** input streams: the core expects tlast every `lastEvery` beats (e.g. per line); the wrapper counts them */
  lastEvery: z.number().int().min(1).optional(),
  /** upper bound on beats per transfer (output streams of variable length) */
  maxBeats: z.number().int().min(1).optional(),
  records: z.array(RecordSchema).optional(),
  description: z.string().optional(),
}).strict();
export type StreamPort = z.infer<typeof StreamSchema>;

export const ControlSchema = z.object({
  port: ident,
  width: z.number().int().min(1).max(32),
  /** in = written by the host (AXI4-Lite register) or tied to `value`; out = status read by the host */
  direction: z.enum(['in', 'out']),
  source: z.enum(['axilite', 'constant']),
  value: z.number().int().min(0).optional(),
  description: z.string().optional(),
}).strict();
export type ControlPort = z.infer<typeof ControlSchema>;

export const DesignManifestSchema = z.object({
  schema: z.literal(MANIFEST_SCHEMA_ID),
  kind: z.enum(['ccl', 'msq-core', 'custom']),
  top: ident,
  /** Verilog files relative to the folder, all needed by the top */
  files: z.array(z.string().regex(/^[^/\\]+\.s?v$/, 'must be a .v/.sv file name in the design folder')).min(1),
  clock: z.object({ port: ident, mhz: z.number().positive().max(1000) }).strict(),
  reset: z.object({ port: ident, activeLow: z.boolean(), synchronous: z.boolean() }).strict(),
  streams: z.array(StreamSchema),
  controls: z.array(ControlSchema),
  /** board id or name (xc7z020 / pynq-z2 / ...), the one the design was sized for */
  board: z.string().optional(),
  generator: z.string(),
  configHash: z.string().optional(),
  description: z.string().optional(),
  /** free-form core parameters, copied into the export README */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
}).strict();
export type DesignManifest = z.infer<typeof DesignManifestSchema>;

export type DesignManifestInput = Omit<DesignManifest, 'schema' | 'generator'> & { generator?: string };

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/** Validate a manifest object; errors name the file and field. */
export function parseDesignManifest(data: unknown, origin: string): DesignManifest {
  const r = DesignManifestSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    let msg = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(msg)) msg = `missing: add it (expected ${issue.expected})`;
    if (issue.code === 'unrecognized_keys') msg = `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}: remove them`;
    throw new UserError(`${origin}: ${formatPath(issue.path)}: ${msg}`);
  }
  const m = r.data;
  const prefixes = new Set<string>();
  m.streams.forEach((s, i) => {
    if (prefixes.has(s.prefix)) fail(`${origin}: streams[${i}].prefix`, `'${s.prefix}' is used twice: give each stream its own prefix`);
    prefixes.add(s.prefix);
    if (s.lastEvery !== undefined && (s.direction === 'out' || s.beats === undefined || s.beats % s.lastEvery !== 0)) {
      fail(`${origin}: streams[${i}].lastEvery`, 'only for input streams with a fixed beat count that it divides');
    }
    if (s.user && s.direction === 'out') fail(`${origin}: streams[${i}].user`, 'only input streams may carry a generated start-of-frame tuser');
  });
  m.controls.forEach((c, i) => {
    if (c.source === 'constant' && c.value === undefined) fail(`${origin}: controls[${i}].value`, `missing: a constant control needs its value`);
    if (c.direction === 'out' && c.source === 'constant') fail(`${origin}: controls[${i}].source`, 'an output (status) control must be axilite');
    if (c.value !== undefined && c.value >= 2 ** c.width) fail(`${origin}: controls[${i}].value`, `${c.value} does not fit in ${c.width} bits`);
  });
  return m;
}

/** Write `design.json` into a design folder (the cores call this at the end of `ccl gen` / `msq build`). */
export async function writeDesignManifest(dir: string, manifest: DesignManifestInput): Promise<DesignManifest> {
  const full = parseDesignManifest({ schema: MANIFEST_SCHEMA_ID, generator: `accelforge ${GENERATOR_VERSION}`, ...manifest }, MANIFEST_FILE);
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(full, null, 2) + '\n');
  return full;
}

/** JSON Schema of design.json (for editors and other tools). */
export function designManifestJsonSchema(): unknown {
  return z.toJSONSchema(DesignManifestSchema);
}

// ---------------------------------------------------------------------------------------------------------------
// Deriving a manifest from the Verilog when design.json is missing.

const CLOCK_NAMES = ['clk', 'aclk', 'clock', 'ap_clk', 'i_clk'];
const RESET_HIGH = ['rst', 'reset', 'areset', 'i_rst', 'srst'];
const RESET_LOW = ['rst_n', 'rstn', 'resetn', 'reset_n', 'aresetn', 'ap_rst_n', 'i_rst_n'];
const AXIS_SUFFIXES = ['tdata', 'tvalid', 'tready', 'tlast', 'tuser', 'tkeep'] as const;

/** Pick the top module: the one no other module instantiates (ties broken by a preferred name). */
function pickTop(mods: VerilogModule[], preferred: string | undefined, dir: string): VerilogModule {
  if (preferred) {
    const m = mods.find((x) => x.name === preferred);
    if (!m) fail(dir, `top module '${preferred}' is not defined in the folder's Verilog files`);
    return m;
  }
  const used = new Set(mods.flatMap((m) => m.instantiates));
  // Modules without ports are testbenches (e.g. msq build's tb_*.v): never the design's top.
  const roots = mods.filter((m) => !used.has(m.name) && m.ports.length > 0);
  if (roots.length !== 1) {
    fail(dir, `cannot tell the top module (${roots.length === 0 ? 'none' : roots.map((r) => r.name).join(', ')}): add a design.json or pass --top NAME`);
  }
  return roots[0]!;
}

interface CclConfigJson {
  top?: string;
  ppc?: number;
  config?: { width?: number; height?: number; cell?: number; connectivity?: number };
  params?: { recordFields?: Field[]; eofFields?: Field[]; inputWidth?: number; outputWidth?: number; cellCols?: number; cellRows?: number };
}

/** Streams from the port list: every <prefix>_tdata with matching _tvalid/_tready. */
function streamsOf(ports: VerilogPort[], where: string): { streams: StreamPort[]; used: Set<string> } {
  const byName = new Map(ports.map((p) => [p.name, p]));
  const used = new Set<string>();
  const streams: StreamPort[] = [];
  for (const p of ports) {
    const m = /^(.*)_tdata$/.exec(p.name);
    if (!m) continue;
    const prefix = m[1]!;
    const valid = byName.get(`${prefix}_tvalid`);
    const ready = byName.get(`${prefix}_tready`);
    if (!valid || !ready) fail(`${where}: port ${p.name}`, `AXI4-Stream needs ${prefix}_tvalid and ${prefix}_tready too`);
    const dirIn = p.direction === 'input';
    if (valid.direction !== p.direction || ready.direction === p.direction) {
      fail(`${where}: port ${prefix}_tready`, 'directions do not form an AXI4-Stream (tdata/tvalid one way, tready the other)');
    }
    const last = byName.get(`${prefix}_tlast`);
    const user = byName.get(`${prefix}_tuser`);
    const keep = byName.get(`${prefix}_tkeep`);
    if (keep && keep.direction === 'input') fail(`${where}: port ${prefix}_tkeep`, 'tkeep inputs are not supported by the export wrapper: remove the port or tie it inside the core');
    for (const sfx of AXIS_SUFFIXES) if (byName.has(`${prefix}_${sfx}`)) used.add(`${prefix}_${sfx}`);
    const s: StreamPort = { prefix, direction: dirIn ? 'in' : 'out', dataWidth: p.width, last: last !== undefined };
    if (user) {
      if (!dirIn) fail(`${where}: port ${prefix}_tuser`, 'tuser on an output stream is not supported by the export wrapper');
      s.user = { width: user.width, meaning: 'sof' };
    }
    streams.push(s);
  }
  return { streams, used };
}

/**
 * Build a manifest from the Verilog in `dir`: top module (the uninstantiated one, or `top`), clock and reset by
 * name, AXI4-Stream ports by the _tdata/_tvalid/_tready convention, every other input as an AXI4-Lite register and
 * every other output as a status register. ccl-config.json, when present, adds the CCL record layout.
 */
export function deriveManifest(dir: string, opts: { top?: string; clockMHz?: number } = {}): DesignManifest {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => /\.s?v$/.test(f)).sort();
  } catch (e) {
    fail(dir, `cannot read the design folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (names.length === 0) {
    fail(dir, 'no design.json and no Verilog (.v) files: give a folder written by ccl gen / msq build');
  }
  const mods: VerilogModule[] = [];
  for (const n of names) mods.push(...parseVerilogModules(readFileSync(join(dir, n), 'utf8'), n));
  let ccl: CclConfigJson | undefined;
  const cclPath = join(dir, 'ccl-config.json');
  if (existsSync(cclPath)) {
    try {
      ccl = JSON.parse(readFileSync(cclPath, 'utf8')) as CclConfigJson;
    } catch (e) {
      fail(cclPath, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const top = pickTop(mods, opts.top ?? ccl?.top, dir);
  const where = `${top.file} (module ${top.name})`;
  const clock = top.ports.find((p) => CLOCK_NAMES.includes(p.name) && p.direction === 'input');
  if (!clock) fail(where, `no clock port (looked for ${CLOCK_NAMES.join(', ')}): add a design.json naming it`);
  const rstHigh = top.ports.find((p) => RESET_HIGH.includes(p.name) && p.direction === 'input');
  const rstLow = top.ports.find((p) => RESET_LOW.includes(p.name) && p.direction === 'input');
  const reset = rstHigh ?? rstLow;
  if (!reset) fail(where, `no reset port (looked for ${[...RESET_HIGH, ...RESET_LOW].join(', ')}): add a design.json naming it`);
  const { streams, used } = streamsOf(top.ports, where);
  if (streams.length === 0) fail(where, 'no AXI4-Stream port (<prefix>_tdata/_tvalid/_tready): nothing to connect to a DMA');
  const controls: ControlPort[] = [];
  for (const p of top.ports) {
    if (p === clock || p === reset || used.has(p.name)) continue;
    if (p.width > 32) fail(`${where}: port ${p.name}`, `${p.width} bits: control ports must be ≤ 32 bits (or describe it in design.json)`);
    if (p.direction === 'inout') fail(`${where}: port ${p.name}`, 'inout ports cannot be exported');
    controls.push({ port: p.name, width: p.width, direction: p.direction === 'input' ? 'in' : 'out', source: 'axilite' });
  }
  // Only the files the top needs (transitively).
  const byName = new Map(mods.map((m) => [m.name, m]));
  const need = new Set<string>();
  const visit = (m: VerilogModule) => {
    if (need.has(m.name)) return;
    need.add(m.name);
    for (const c of m.instantiates) {
      const cm = byName.get(c);
      if (cm) visit(cm);
    }
  };
  visit(top);
  const files = [...new Set(mods.filter((m) => need.has(m.name)).map((m) => m.file))].sort();
  const kind: DesignManifest['kind'] = ccl ? 'ccl' : 'custom';
  if (ccl?.params?.recordFields && ccl.params.eofFields) {
    const out = streams.find((s) => s.direction === 'out');
    const wc = ccl.params.cellCols, hc = ccl.params.cellRows;
    if (out && wc && hc) {
      // most object records in a frame (no two objects' cells adjacent; as maxObjectsPerFrame in src/ccl/rtl/record.ts) + the end-of-frame record
      out.maxBeats = (ccl.config?.connectivity === 4 ? Math.ceil(wc / 2) * hc : Math.ceil(wc / 2) * Math.ceil(hc / 2)) + 1;
    }
    if (out) {
      out.records = [
        { name: 'object', when: { field: 'kind', value: 0 }, fields: ccl.params.recordFields },
        { name: 'eof', when: { field: 'kind', value: 1 }, fields: ccl.params.eofFields },
      ];
    }
    const inp = streams.find((s) => s.direction === 'in');
    const w = ccl.config?.width, h = ccl.config?.height, ppc = ccl.ppc;
    if (inp && w && h && ppc) {
      inp.beats = Math.ceil(w / ppc) * h;
      inp.lastEvery = Math.ceil(w / ppc);
      inp.lanes = { count: ppc, bits: Math.floor(inp.dataWidth / ppc), signed: false };
    }
  }
  return parseDesignManifest({
    schema: MANIFEST_SCHEMA_ID,
    kind,
    top: top.name,
    files,
    clock: { port: clock.name, mhz: opts.clockMHz ?? 100 },
    reset: { port: reset.name, activeLow: reset === rstLow, synchronous: true },
    streams,
    controls,
    generator: `derived by accelforge ${GENERATOR_VERSION} from the Verilog port list (no design.json)`,
  }, `${dir} (derived)`);
}

/** Read `design.json` from `dir`, or derive the manifest from its Verilog when there is none. */
export function loadDesign(dir: string, opts: { top?: string; clockMHz?: number } = {}): { manifest: DesignManifest; derived: boolean } {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(dir)) fail(dir, 'design folder does not exist: run ccl gen / msq build first (or check the path)');
  if (!existsSync(path)) return { manifest: deriveManifest(dir, opts), derived: true };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(path, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const manifest = parseDesignManifest(data, path);
  if (opts.clockMHz !== undefined) manifest.clock.mhz = opts.clockMHz;
  return { manifest, derived: false };
}
