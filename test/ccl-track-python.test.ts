/**
 * The PYNQ runtime's tracker (templates/ccl/tracker.py, run with /usr/bin/python3) against the host tracker on the
 * same records: every row of every frame identical (IDs, status, and the floating-point state to the last bit).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseClasses } from '../src/ccl/classes.js';
import { labelFrame, trackConfig } from '../src/ccl/track/detect.js';
import { plainRows } from '../src/ccl/track/pipeline.js';
import { makeScene, renderFrame, sceneClassFile } from '../src/ccl/track/seqgen.js';
import { trackSequence, TRACKER_DEFAULTS } from '../src/ccl/track/tracker.js';
import type { Detection } from '../src/ccl/track/records.js';
import { PROJECT_ROOT } from '../src/version.js';

const PY = '/usr/bin/python3';

describe.skipIf(!existsSync(PY))('Python tracker (skipped: /usr/bin/python3 is missing)', () => {
  it('gives the same tracks as the host tracker on a generated sequence with crossings and occluders', async () => {
    const scene = makeScene({ width: 256, height: 256, frames: 120, objects: 10, seed: 7, speed: [3000, 8000] });
    const classes = parseClasses(sceneClassFile(scene));
    const cfg = trackConfig(256, 256, { cell: 8, histBins: 0, colorBits: 2 });
    const frames: Detection[][] = [];
    for (let t = 0; t < scene.opts.frames; t++) frames.push(labelFrame(renderFrame(scene, t).image, classes, cfg));
    const params = { ...TRACKER_DEFAULTS, gate: 25 };
    const ts = plainRows(trackSequence(frames, params));
    const statuses = new Set(ts.map((r) => r.status));
    expect(statuses.has('partial') && statuses.has('measured')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'ccl-py-'));
    try {
      writeFileSync(join(dir, 'records.json'), JSON.stringify({ params, frames }));
      const r = await execa(PY, [join(PROJECT_ROOT, 'templates/ccl/tracker.py'), join(dir, 'records.json')]);
      const py = JSON.parse(String(r.stdout)) as typeof ts;
      expect(py.length).toBe(ts.length);
      expect(py).toEqual(ts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
