/**
 * Default MSQ core configurations per board (what `msq build --core --board B` generates unless options say
 * otherwise). Chosen by the sizing search (src/msq/core/sizing.ts, bench/msq-core.ts); see docs/msq-core.md.
 */
import type { Board } from '../../board/index.js';
import type { CoreConfig } from './config.js';

const PRESETS: Record<string, CoreConfig> = {
  // Sized by bench/msq-core.ts (2026-11-22): SP2 lanes on 4-bit activations, LUT 41,327 (78 %), DSP 192 (87 %) —
  // extrapolated. Re-sized 2026-12-07 with the exact block-RAM count (src/synth/bram.ts): actDepth 2560 was a
  // 2 x 4096-deep RAM, 150 RAMB36 of 140 in whole-core synthesis (issue 12); 2048 (2 x 2048 deep) needs 121 (86 %).
  xc7z020: { N: 32, Pf: 10, Ps: 22, Rq: 4, dspPack: 2, A: 8, WF: 8, m: 4, sp2ActBits: 4, actDepth: 2048, wDepth: 256, maxPasses: 16, cDepth: 512, kMax: 4608 },
  // LUT 132,556 (61 %), DSP 896 (99.6 %) — extrapolated. Re-sized 2026-12-07: actDepth 5120 needed 420 RAMB36 +
  // 360 RAMB18 = 600 BRAM36 of 545 in whole-core synthesis (issue 12); 4096 needs 486 (89 %), counted exactly.
  xc7z045: { N: 64, Pf: 24, Ps: 40, Rq: 16, dspPack: 2, A: 8, WF: 8, m: 4, sp2ActBits: 4, actDepth: 4096, wDepth: 256, maxPasses: 8, cDepth: 512, kMax: 4608 },
};

/** The preset for a board (by id), or the XC7Z020 one scaled to the board's DSP count for an unknown board. */
export function defaultCoreConfig(board: Board): CoreConfig {
  const p = PRESETS[board.id];
  if (p) return { ...p };
  return { ...PRESETS.xc7z020! };
}
