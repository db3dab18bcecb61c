/**
 * The layers of docs/architecture.md "What may import what", checked on the sources: every relative import of a
 * file under src/<layer>/ must land in a layer that table allows. A new import that crosses a line (a flow
 * importing a core, a core importing the other core, the floor importing a flow) fails here with file and target.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/version.js';

const SRC = join(PROJECT_ROOT, 'src');
const FLOOR = ['util', 'version'];
/** layer → the layers it may import (besides itself); undefined = anything but the layers in `never` */
const MAY: Record<string, string[]> = {
  util: ['version'],
  tools: FLOOR,
  board: FLOOR,
  image: FLOOR,
  hdl: FLOOR,
  data: [...FLOOR, 'image'],
  sim: [...FLOOR, 'hdl', 'tools'],
  synth: [...FLOOR, 'hdl', 'board', 'tools'],
  design: [...FLOOR, 'hdl', 'sim'],
  export: [...FLOOR, 'design', 'hdl', 'board', 'tools'],
  report: [...FLOOR, 'design', 'tools'],
};
const TOP = ['cli', 'demo', 'generators'];
const NEVER: Record<string, string[]> = { msq: ['ccl', ...TOP], ccl: ['msq', ...TOP] };

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The layer of a path under src/: its first folder, or the file name without .ts / .js for top-level files. */
const layerOf = (p: string): string => relative(SRC, p).split('/')[0]!.replace(/\.(ts|js)$/, '');

/** The imports of `files` (path → text) that their layer may not make, as "file imports spec (from → to)". */
function violations(files: [string, string][]): { bad: string[]; imports: number } {
  const bad: string[] = [];
  let imports = 0;
  for (const [file, text] of files) {
    const from = layerOf(file);
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
      const to = layerOf(join(dirname(file), m[1]!));
      imports++;
      if (to === from) continue;
      const ok = MAY[from] ? MAY[from].includes(to) : !(NEVER[from] ?? []).includes(to);
      if (!ok) bad.push(`${relative(PROJECT_ROOT, file)} imports ${m[1]} (${from} → ${to})`);
    }
  }
  return { bad, imports };
}

describe('layers: what may import what (docs/architecture.md)', () => {
  it('every relative import of src/ stays inside what its layer may import', () => {
    const { bad, imports } = violations(sources(SRC).map((f) => [f, readFileSync(f, 'utf8')]));
    expect(imports).toBeGreaterThan(500);
    expect(bad).toEqual([]);
  });

  it('the check bites: a flow importing a core, a core importing the other, the floor importing a flow', () => {
    const { bad } = violations([
      [join(SRC, 'sim', 'x.ts'), "import { runGolden } from '../msq/golden.js';"],
      [join(SRC, 'ccl', 'rtl', 'y.ts'), "import type { QuantModel } from '../../msq/model.js';"],
      [join(SRC, 'hdl', 'z.ts'), "export { runStreams } from '../sim/index.js';\nimport { fail } from '../util/errors.js';"],
      [join(SRC, 'msq', 'w.ts'), "import { synthesize } from '../synth/index.js';"],
    ]);
    expect(bad).toEqual([
      'src/sim/x.ts imports ../msq/golden.js (sim → msq)',
      'src/ccl/rtl/y.ts imports ../../msq/model.js (ccl → msq)',
      'src/hdl/z.ts imports ../sim/index.js (hdl → sim)',
    ]);
  });
});
