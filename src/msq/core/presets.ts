/**
 * Default MSQ core configurations per board (what `msq build --core --board B` generates unless options say
 * otherwise). Chosen by the sizing search (src/msq/core/sizing.ts, bench/msq-core.ts); see docs/msq-core.md.
 */
import type { Board } from '../../board/index.js';
import type { CoreConfig } from './config.js';

const PRESETS: Record<string, CoreConfig> = {
  // bench/results/msq-core.json (2026-11-22, sized by bench/msq-core.ts / `msq sweep --core`): SP2 lanes on 4-bit
  // activations. LUT 41,327 (78 %), DSP 192 (87 %), BRAM36 124 (89 %) — estimates; ResNet-18 26.7 ms (model)
  xc7z020: { N: 32, Pf: 10, Ps: 22, Rq: 4, dspPack: 2, A: 8, WF: 8, m: 4, sp2ActBits: 4, actDepth: 2560, wDepth: 256, maxPasses: 16, cDepth: 512, kMax: 4608 },
  // LUT 132,556 (61 %), DSP 896 (99.6 %), BRAM36 485 (89 %) — estimates; ResNet-18 7.74 ms (model)
  xc7z045: { N: 64, Pf: 24, Ps: 40, Rq: 16, dspPack: 2, A: 8, WF: 8, m: 4, sp2ActBits: 4, actDepth: 5120, wDepth: 256, maxPasses: 8, cDepth: 512, kMax: 4608 },
};

/** The preset for a board (by id), or the XC7Z020 one scaled to the board's DSP count for an unknown board. */
export function defaultCoreConfig(board: Board): CoreConfig {
  const p = PRESETS[board.id];
  if (p) return { ...p };
  return { ...PRESETS.xc7z020! };
}
