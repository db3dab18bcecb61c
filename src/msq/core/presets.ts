/**
 * Default MSQ core configurations per board (what `msq build --core --board B` generates unless options say
 * otherwise). Chosen by the sizing search (src/msq/core/sizing.ts, bench/msq-core.ts); see docs/msq-core.md.
 */
import type { Board } from '../../board/index.js';
import type { CoreConfig } from './config.js';

const PRESETS: Record<string, CoreConfig> = {
  xc7z020: { N: 16, Pf: 24, Ps: 40, Rq: 2, dspPack: 2, A: 8, WF: 8, m: 4, actDepth: 8192, wDepth: 1024, maxPasses: 16, cDepth: 1024, kMax: 8192 },
  xc7z045: { N: 64, Pf: 24, Ps: 40, Rq: 8, dspPack: 2, A: 8, WF: 8, m: 4, actDepth: 4096, wDepth: 512, maxPasses: 16, cDepth: 1024, kMax: 8192 },
};

/** The preset for a board (by id), or the XC7Z020 one scaled to the board's DSP count for an unknown board. */
export function defaultCoreConfig(board: Board): CoreConfig {
  const p = PRESETS[board.id];
  if (p) return { ...p };
  return { ...PRESETS.xc7z020! };
}
