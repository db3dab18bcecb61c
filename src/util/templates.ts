/**
 * Text artifacts that are not builder Verilog (C++ drivers, testbenches, Tcl, Python, READMEs) are Handlebars
 * templates under templates/ at the project root, filled from code. `renderTemplate('sim/afsim_tb.v.hbs', ctx)`
 * compiles once per process, in strict mode (a missing field is an error, not an empty string) and without HTML
 * escaping.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { PROJECT_ROOT } from '../version.js';

export const TEMPLATES_DIR = join(PROJECT_ROOT, 'templates');

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Render templates/<path> with `context`. */
export function renderTemplate(path: string, context: object): string {
  let t = compiled.get(path);
  if (!t) {
    t = Handlebars.compile(readFileSync(join(TEMPLATES_DIR, path), 'utf8'), { noEscape: true, strict: true });
    compiled.set(path, t);
  }
  return t(context);
}
