/**
 * Find and run yosys: a `yosys` on PATH when it is new enough (≥ 0.40), else the embedded WebAssembly build
 * from @yowasp/yosys, so synthesis works after `npm install` with nothing else installed.
 *
 * Override with ACCELFORGE_YOSYS: `wasm` forces the embedded build, a path forces that binary (still version-checked).
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { TOOLS, parseVersion, probeTool, runBinary } from './find.js';

export const MIN_SYSTEM_YOSYS: readonly [number, number] = TOOLS.yosys.min!;

export interface YosysTool {
  kind: 'system' | 'wasm';
  /** Version as yosys reports it, e.g. "0.55" or "0.45+148". */
  version: string;
  /** Binary path for a system yosys. */
  path?: string;
}

export interface YosysInfo {
  selected: YosysTool;
  /** Why a system yosys was not used (missing, too old, failed to start), for `accelforge doctor`. */
  systemNote: string;
}

/** Parse "Yosys 0.23 (git sha1 ...)" or "Yosys 0.45+148 (...)" into its version text and [major, minor]. */
export function parseYosysVersion(text: string): { version: string; major: number; minor: number } | null {
  const m = TOOLS.yosys.version.exec(text);
  const v = m ? parseVersion(m[1]!) : undefined;
  if (!m || !v) return null;
  return { version: m[1]!, major: v[0], minor: v[1] };
}

async function wasmTool(): Promise<YosysTool> {
  const mod = await import('@yowasp/yosys');
  const parsed = parseYosysVersion(`Yosys ${mod.version}`);
  // The npm package version is X.Y.build: report the yosys release it embeds.
  return { kind: 'wasm', version: parsed ? `${parsed.major}.${parsed.minor}` : mod.version };
}

async function probeSystem(bin: string): Promise<{ tool?: YosysTool; note: string }> {
  const p = await probeTool('yosys', bin);
  if (!p.ok) return { note: p.reason.replace(/^yosys not found/, 'no yosys on PATH').replace(/older than (\S+)$/, 'older than $1: not used') };
  return { tool: { kind: 'system', version: p.tool.version, path: p.tool.path }, note: `using ${p.tool.path}` };
}

let cached: Promise<YosysInfo> | null = null;

/** Which yosys will run, and why (cached for the process). */
export function yosysInfo(): Promise<YosysInfo> {
  cached ??= (async () => {
    const override = process.env.ACCELFORGE_YOSYS?.trim();
    if (override === 'wasm') return { selected: await wasmTool(), systemNote: 'ACCELFORGE_YOSYS=wasm: embedded yosys forced' };
    const probe = await probeSystem(override || 'yosys');
    if (probe.tool) return { selected: probe.tool, systemNote: probe.note };
    if (override) throw new UserError(`ACCELFORGE_YOSYS: ${probe.note}; unset it or point it at yosys ≥ ${MIN_SYSTEM_YOSYS.join('.')}`);
    return { selected: await wasmTool(), systemNote: `${probe.note}; using the embedded WebAssembly yosys` };
  })();
  return cached;
}

/** The yosys that synthesis will use: { kind: 'system'|'wasm', version, path? }. */
export async function findYosys(): Promise<YosysTool> {
  return (await yosysInfo()).selected;
}

/** Forget the cached choice (tests that change ACCELFORGE_YOSYS). */
export function resetYosysCache(): void {
  cached = null;
}

/** One-line description for reports: "yosys 0.55 (embedded WebAssembly)" / "yosys 0.45 (/usr/bin/yosys)". */
export function describeYosys(tool: YosysTool): string {
  return tool.kind === 'wasm' ? `yosys ${tool.version} (embedded WebAssembly, @yowasp/yosys)` : `yosys ${tool.version} (${tool.path})`;
}

export interface YosysRun {
  /** Output files requested by the caller, by name. */
  outputs: Map<string, string>;
  /** Full yosys log (written with -l). */
  log: string;
  tool: YosysTool;
}

/** The first ERROR line of a yosys log/stderr, trimmed to one line. */
export function yosysError(text: string): string {
  const line = text.split('\n').find((l) => /\bERROR:/.test(l));
  return (line ?? text.trim().split('\n').pop() ?? 'yosys failed').trim();
}

/**
 * Run a yosys script over in-memory input files and return the named output files and the log. Input names
 * must be plain relative paths. A yosys ERROR becomes a UserError naming the first error line.
 */
export async function runYosysScript(
  inputs: Map<string, string>,
  script: string,
  outputNames: string[],
  tool?: YosysTool,
): Promise<YosysRun> {
  const t = tool ?? (await findYosys());
  for (const name of inputs.keys()) {
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`runYosysScript: input name '${name}' must be relative`);
  }
  const args = ['-q', '-l', 'yosys.log', '-s', 'run.ys'];
  if (t.kind === 'wasm') {
    const { runYosys } = await import('@yowasp/yosys');
    const tree: Record<string, string> = { 'run.ys': script };
    for (const [n, c] of inputs) setTree(tree, n, c);
    let stderr = '';
    const dec = new TextDecoder();
    const collect = (b: Uint8Array | null) => {
      if (b) stderr += dec.decode(b);
    };
    let files: Record<string, unknown>;
    try {
      files = ((await runYosys(args, tree as never, { stdout: collect, stderr: collect })) ?? {}) as Record<string, unknown>;
    } catch (e) {
      const exitFiles = (e as { files?: Record<string, unknown> }).files;
      const log = exitFiles ? treeText(exitFiles, 'yosys.log') : '';
      throw new UserError(`${describeYosys(t)}: ${yosysError(`${log}\n${stderr}`)}`);
    }
    const outputs = new Map<string, string>();
    for (const n of outputNames) {
      const text = treeText(files, n);
      if (text === undefined) throw new Error(`yosys did not write ${n}`);
      outputs.set(n, text);
    }
    return { outputs, log: treeText(files, 'yosys.log') ?? '', tool: t };
  }
  const dir = await mkdtemp(join(tmpdir(), 'accelforge-yosys-'));
  try {
    await writeFile(join(dir, 'run.ys'), script);
    for (const [n, c] of inputs) {
      await mkdir(dirname(join(dir, n)), { recursive: true });
      await writeFile(join(dir, n), c);
    }
    const r = await runBinary(t.path ?? 'yosys', args, { cwd: dir });
    if (r.exitCode === undefined) throw new UserError(`${describeYosys(t)}: cannot run it (${r.failure})`);
    const log = await readFile(join(dir, 'yosys.log'), 'utf8').catch(() => '');
    if (r.exitCode !== 0) throw new UserError(`${describeYosys(t)}: ${yosysError(`${log}\n${r.all}`)}`);
    const outputs = new Map<string, string>();
    for (const n of outputNames) outputs.set(n, await readFile(join(dir, n), 'utf8'));
    return { outputs, log, tool: t };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function setTree(tree: Record<string, unknown>, path: string, content: string): void {
  const parts = path.split('/');
  let node = tree;
  for (const p of parts.slice(0, -1)) {
    node[p] ??= {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = content;
}

function treeText(tree: Record<string, unknown>, path: string): string | undefined {
  let node: unknown = tree;
  for (const p of path.split('/')) {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  if (typeof node === 'string') return node;
  if (node instanceof Uint8Array) return new TextDecoder().decode(node);
  return undefined;
}
