/**
 * The option parsing `ccl label` (cli.ts) and `ccl gen` (cli-gen.ts) share: whole-number and R,G,B options, and
 * configuration errors renamed to the option the user typed (`minPixels: …` → `--min-pixels: …`).
 */
import type { Rgb } from './config.js';
import { fail, UserError } from '../util/errors.js';

/** Parse a whole decimal integer option (undefined when absent). */
export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) fail(`--${name}`, `must be an integer, got '${value}'`);
  return Number(value);
}

/** Parse an R,G,B option of three values 0..255 (undefined when absent). */
export function rgbOption(name: string, value: string | undefined): Rgb | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) > 255)) {
    fail(`--${name}`, `must be three values 0..255 as R,G,B, got '${value}'`);
  }
  return [Number(parts[0]), Number(parts[1]), Number(parts[2])];
}

/** A configuration error (`field[i]: …`) with the command-line option's name (`optionOf[field]`) instead. */
export function renameField(e: unknown, optionOf: Record<string, string>): unknown {
  if (e instanceof UserError) {
    const m = /^([A-Za-z]+)(\[\d\])?: (.*)$/.exec(e.message);
    if (m && optionOf[m[1]!]) return new UserError(`${optionOf[m[1]!]}${m[2] ?? ''}: ${m[3]}`);
  }
  return e;
}

/** Run `f`, re-throwing a configuration error under the option's name (renameField). */
export function withOptionNames<T>(optionOf: Record<string, string>, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw renameField(e, optionOf);
  }
}
