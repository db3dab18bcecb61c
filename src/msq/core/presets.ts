/**
 * Default MSQ core configurations per board (what `msq build --core --board B` generates unless options say
 * otherwise). Chosen by the sizing search (src/msq/core/sizing.ts, bench/msq-core.ts); see docs/msq-core.md.
 */
import type { Board } from '../../board/index.js';
import type { CoreConfig } from './config.js';

const PRESETS: Record<string, CoreConfig> = {
  // bench/results/msq-core.json (2026-11-22): LUT 78 %, DSP 87 %, BRAM36 89 % (estimates); ResNet-18 29.1 ms (model)
  xc7z020: { N: 32, Pf: 10, Ps: 12, Rq: 4, dspPack: 2, A: 8, WF: 8, m: 4, actDepth: 4096, wDepth: 256, maxPasses: 24, cDepth: 512, kMax: 4608 },
  // LUT 71 %, DSP 100 %, BRAM36 89 % (estimates); ResNet-18 9.18 ms (model)
  xc7z045: { N: 64, Pf: 24, Ps: 28, Rq: 16, dspPack: 2, A: 8, WF: 8, m: 4, actDepth: 6656, wDepth: 256, maxPasses: 10, cDepth: 512, kMax: 4608 },
};

/** The preset for a board (by id), or the XC7Z020 one scaled to the board's DSP count for an unknown board. */
export function defaultCoreConfig(board: Board): CoreConfig {
  const p = PRESETS[board.id];
  if (p) return { ...p };
  return { ...PRESETS.xc7z020! };
}
