import { describe, expect, it } from 'vitest';
import { loadBoard } from '../src/board/index.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { boardRatio } from '../src/msq/scheme.js';

// The preset core is what gets synthesized, so its lanes are the truth: the quantizer's SP2:fixed filter split
// (boards/<id>.json msq.sp2PerFixedRatio, read by boardRatio) must be the preset's Ps / Pf, else a layer's filters
// need more passes than its lanes (docs/msq-zoo.md).
describe('board SP2:fixed ratio = the preset core lanes', () => {
  for (const id of ['xc7z020', 'xc7z045']) {
    it(id, () => {
      const cfg = defaultCoreConfig(loadBoard(id));
      expect(boardRatio(id)).toBe(cfg.Ps / cfg.Pf);
    });
  }
});
