/**
 * `ccl track --rtl`: the records of every class channel come from the simulated core (Verilator, one channel per
 * colour class, frames back to back) and must equal the golden model's — hence identical tracks.
 */
import { describe, expect, it } from 'vitest';
import { parseClasses } from '../src/ccl/classes.js';
import { recordSequence, trackRecords, plainRows } from '../src/ccl/track/pipeline.js';
import { makeScene, renderFrame, sceneClassFile } from '../src/ccl/track/seqgen.js';
import { memorySequence } from '../src/ccl/track/frames.js';

describe('tracking from the simulated core', () => {
  it('records and tracks equal the golden path (multi-class core, 2 classes, P = 2, 10 frames 64×48)', async () => {
    const scene = makeScene({ width: 64, height: 48, frames: 10, objects: 4, classes: 2, seed: 3, radius: [5, 8], occluders: 1, speed: [4000, 8000] });
    const classes = parseClasses(sceneClassFile(scene));
    const images = Array.from({ length: 10 }, (_, t) => renderFrame(scene, t).image);
    const seq = memorySequence('gen', images);
    const golden = await recordSequence(seq, classes, { cell: 4, coreFeatures: true });
    const rtl = await recordSequence(seq, classes, { cell: 4, rtl: { ppc: 2 } });
    expect(golden.frames.flat().length).toBeGreaterThan(20);
    expect(rtl.frames).toEqual(golden.frames);
    const a = plainRows(trackRecords(golden, null).rows), b = plainRows(trackRecords(rtl, null).rows);
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });
});
