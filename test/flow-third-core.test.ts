/**
 * A third core registered only through its design manifest (test/support/scaler-core.ts: a trivial stream module
 * built with the HDL builder, written as Verilog + design.json). Simulation (Icarus, random stalls, against a
 * reference computed here), synthesis (yosys), the report page and the Vivado/PYNQ export all handle it from the
 * folder — and src/sim, src/synth, src/export and src/report never name it (nor branch on any core's name).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { designFromFolder, simDesignOf, type DesignFolder } from '../src/design/index.js';
import { modulePorts, runStreams } from '../src/sim/index.js';
import { synthesize } from '../src/synth/index.js';
import { writeFolderReport } from '../src/report/index.js';
import { exportDesign } from '../src/export/index.js';
import { PROJECT_ROOT } from '../src/version.js';
import { buildScaler, writeScalerDesign } from './support/scaler-core.js';

const tmp = mkdtempSync(join(tmpdir(), 'af-third-'));
const dir = join(tmp, 'scaler');
let design: DesignFolder;

beforeAll(async () => {
  await writeScalerDesign(dir);
  design = designFromFolder(dir);
});

function sourcesOf(folder: string): string {
  return readdirSync(join(PROJECT_ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')).join('\n');
}

describe('a third core through the manifest only', () => {
  it('simulates from the folder (Icarus, random valid/ready stalls) and matches x * gain with tlast', async () => {
    const xs = Array.from({ length: 40 }, (_, i) => (i * 911 + 3) % 4096);
    const gain = 201;
    const r = await runStreams(simDesignOf(design), {
      sim: 'icarus', seed: 5, validProb: 0.6, readyProb: 0.5,
      inputs: { s_x: xs.map((x, i) => ({ data: BigInt(x), last: i === xs.length - 1 })) },
      constValues: { gain: BigInt(gain) },
      expected: { m_y: xs.map((x, i) => ({ data: BigInt((x * gain) % 2 ** 20), last: i === xs.length - 1 })) },
    });
    expect(r.outputs.m_y!.length).toBe(xs.length);
    // negative control: a wrong expectation is caught
    await expect(runStreams(simDesignOf(design), {
      sim: 'icarus', inputs: { s_x: [{ data: 5n, last: true }] }, constValues: { gain: 2n }, expected: { m_y: [{ data: 11n, last: true }] },
    })).rejects.toThrow();
  }, 120_000);

  it('the simulation view takes its port list from the manifest (the ports of the module), never from the Verilog', () => {
    expect(simDesignOf(design).ports).toEqual(modulePorts(buildScaler()));
    // a folder whose Verilog text is unreadable to a parser still gives the same view: nothing reads it
    const view = simDesignOf({ ...design, files: new Map([...design.files.keys()].map((k) => [k, '/* opaque */'])) });
    expect(view.ports).toEqual(modulePorts(buildScaler()));
  });

  it('synthesizes from the folder (yosys resources: the counter and valid registers)', async () => {
    const s = await synthesize({ files: design.files, top: design.manifest.top });
    expect(s.top).toBe('scaler');
    expect(s.resources.ff).toBeGreaterThanOrEqual(16 + 1); // the counter and tvalid at least (the product register may sit in a DSP48E1)
  }, 120_000);

  it('gets a report page from the manifest (design section: streams and registers)', async () => {
    const paths = await writeFolderReport(dir);
    const md = readFileSync(paths[1]!, 'utf8');
    expect(md).toContain('Design `scaler`');
    expect(md).toMatch(/\| s_x \| in \| 12 \| 1 × 12-bit \|/);
    expect(md).toMatch(/\| count \| out \| 16 \| AXI4-Lite \|/);
  });

  it('exports from the folder with every self-check passing', async () => {
    const r = await exportDesign({ designDir: dir, board: 'pynq-z2', out: join(tmp, 'scaler-pynq') });
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([['tcl', 'passed'], ['lint', 'passed'], ['driver', 'passed']]);
    expect(r.plan.registers.map((x) => x.name)).toEqual(['ID', 'HASH', 'gain', 'count']);
  }, 60_000);

  it('src/sim, src/synth, src/export and src/report name no core and branch on no core kind', () => {
    for (const f of ['src/sim', 'src/synth', 'src/export', 'src/report']) {
      const text = sourcesOf(f);
      expect(text, f).not.toMatch(/scaler/i);
      expect(text, f).not.toMatch(/kind\s*===?\s*'(msq|msq-core|ccl)'/);
      expect(text, f).not.toMatch(/from '\.\.\/(msq|ccl)\//);
    }
  });
});
