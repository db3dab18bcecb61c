/**
 * The design manifest `design.json`: the one seam between a core's generator and the flows. A generator writes it
 * (src/design/from-module.ts, from the built HDL module); simulation, synthesis, reports and export read it and
 * nothing else of the core — no core names, no parsing of the emitted Verilog. docs/architecture.md "The seam".
 *
 *   top, files            the top module and the Verilog files it needs (all in the design folder)
 *   clock, reset          port names, polarity; the clock the generator targeted (optional)
 *   streams               AXI4-Stream bundles: name (port prefix), direction, widths, role, and the runtime packing
 *                         (lanes per beat, beats per transfer, record layouts of output beats)
 *   registers             every other top-level input / output: an AXI4-Lite register or a tied constant
 *   runtime               core-owned host runtime: a template under templates/ and data files in the folder
 *   report                core-owned report sections (src/report renders them with the generic design section)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fail, UserError } from '../util/errors.js';

export const MANIFEST_FILE = 'design.json';
export const MANIFEST_SCHEMA_ID = 'accelforge-design/2';
/** The commands that write a design folder's manifest (named by the missing-manifest error). */
export const MANIFEST_WRITERS = "'accelforge ccl gen' or 'accelforge msq build'";

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Verilog identifier (letters, digits, _)');
const fileName = z.string().regex(/^[^/\\]+$/, 'must be a file name in the design folder (no folders)');

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
  /** port prefix: ports are <name>_tdata, _tvalid, _tready, [_tlast], [_tuser] */
  name: ident,
  direction: z.enum(['in', 'out']),
  dataWidth: z.number().int().min(1).max(1024),
  last: z.boolean(),
  /** tuser: width and meaning ('sof' = 1 on the first beat of a frame; the export wrapper generates it) */
  user: z.object({ width: z.number().int().min(1), meaning: z.enum(['sof']) }).strict().optional(),
  /** what the stream carries, in the generator's words */
  role: z.string().optional(),
  /** element packing of tdata (lanes × bits, lane 0 in the low bits) */
  lanes: z.object({ count: z.number().int().min(1), bits: z.number().int().min(1), signed: z.boolean() }).strict().optional(),
  /** beats per transfer when fixed (e.g. one input frame), else omitted */
  beats: z.number().int().min(1).optional(),
  /** input streams: the core expects tlast every `lastEvery` beats (e.g. per line); the wrapper counts them */
  lastEvery: z.number().int().min(1).optional(),
  /** upper bound on beats per transfer (variable-length streams) */
  maxBeats: z.number().int().min(1).optional(),
  /** which transfer has the most beats (e.g. "job 3 'conv2'", "one 640×480 frame"): named by size errors */
  largest: z.string().optional(),
  records: z.array(RecordSchema).optional(),
}).strict();
export type StreamPort = z.infer<typeof StreamSchema>;

export const RegisterSchema = z.object({
  port: ident,
  width: z.number().int().min(1).max(32),
  /** in = written by the host (AXI4-Lite register) or tied to `value`; out = status read by the host */
  direction: z.enum(['in', 'out']),
  source: z.enum(['axilite', 'constant']),
  value: z.number().int().min(0).optional(),
  description: z.string().optional(),
}).strict();
export type RegisterPort = z.infer<typeof RegisterSchema>;

/** Core-owned host runtime: Python from templates/<template>, data files copied next to the driver. */
export const RuntimeSchema = z.object({
  /** a Handlebars template under templates/ (e.g. 'msq/runtime.py.hbs'), rendered into driver.py with `params` */
  template: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*\.hbs$/, 'must be a .hbs path under templates/'),
  /** data files in the design folder the runtime reads (copied into the export folder) */
  files: z.array(fileName),
  /** further files shipped with the runtime, as paths under templates/ copied verbatim (e.g. 'ccl/tracker.py') */
  extras: z.array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, 'must be a path under templates/')).optional(),
  /** Python lines showing how to call it (driver docstring and export README) */
  usage: z.array(z.string()).min(1),
  /** values the template is filled with */
  params: z.record(z.string(), z.unknown()),
}).strict();
export type Runtime = z.infer<typeof RuntimeSchema>;

export const DesignManifestSchema = z.object({
  schema: z.literal(MANIFEST_SCHEMA_ID),
  top: ident,
  /** Verilog files relative to the folder, all needed by the top */
  files: z.array(z.string().regex(/^[^/\\]+\.s?v$/, 'must be a .v/.sv file name in the design folder')).min(1),
  clock: z.object({ port: ident, mhz: z.number().positive().max(1000).optional() }).strict(),
  reset: z.object({ port: ident, activeLow: z.boolean(), synchronous: z.boolean() }).strict(),
  streams: z.array(StreamSchema),
  registers: z.array(RegisterSchema),
  runtime: RuntimeSchema.optional(),
  report: z.object({ title: z.string(), sections: z.array(z.record(z.string(), z.unknown())) }).strict().optional(),
  /** board id the design was sized for */
  board: z.string().optional(),
  generator: z.string(),
  configHash: z.string().optional(),
  description: z.string().optional(),
  /** free-form core parameters, listed in the export README */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
}).strict();
export type DesignManifest = z.infer<typeof DesignManifestSchema>;

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/** Validate a manifest object; errors name the origin and field on one line. */
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
  const names = new Set<string>();
  m.streams.forEach((s, i) => {
    if (names.has(s.name)) fail(`${origin}: streams[${i}].name`, `'${s.name}' is used twice: give each stream its own name`);
    names.add(s.name);
    if (s.lastEvery !== undefined && (s.direction === 'out' || s.beats === undefined || s.beats % s.lastEvery !== 0)) {
      fail(`${origin}: streams[${i}].lastEvery`, 'only for input streams with a fixed beat count that it divides');
    }
    if (s.user && s.direction === 'out') fail(`${origin}: streams[${i}].user`, 'only input streams may carry a generated start-of-frame tuser');
    if (s.lanes && s.lanes.count * s.lanes.bits > s.dataWidth) fail(`${origin}: streams[${i}].lanes`, `${s.lanes.count} × ${s.lanes.bits} bits do not fit in ${s.dataWidth}-bit tdata`);
  });
  m.registers.forEach((c, i) => {
    if (c.source === 'constant' && c.value === undefined) fail(`${origin}: registers[${i}].value`, 'missing: a constant register needs its value');
    if (c.direction === 'out' && c.source === 'constant') fail(`${origin}: registers[${i}].source`, 'an output (status) register must be axilite');
    if (c.value !== undefined && c.value >= 2 ** c.width) fail(`${origin}: registers[${i}].value`, `${c.value} does not fit in ${c.width} bits`);
  });
  return m;
}

/**
 * Read and validate `<dir>/design.json`. A missing folder, a folder without a manifest and a malformed manifest are
 * one-line errors naming the folder and the command that writes the manifest.
 */
export function readDesignManifest(dir: string): DesignManifest {
  if (!existsSync(dir)) fail(dir, `design folder does not exist: write one with ${MANIFEST_WRITERS} (or check the path)`);
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) fail(dir, `no ${MANIFEST_FILE} in the design folder: regenerate the folder with ${MANIFEST_WRITERS}, which write it`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(path, `not valid JSON (${(e as Error).message.split('\n')[0]}): regenerate the folder with ${MANIFEST_WRITERS}`);
  }
  try {
    return parseDesignManifest(data, path);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${e.message} (regenerate the folder with ${MANIFEST_WRITERS})`);
    throw e;
  }
}

/** JSON Schema of design.json (for editors and other tools). */
export function designManifestJsonSchema(): unknown {
  return z.toJSONSchema(DesignManifestSchema);
}
