import type { Board } from '../board/index.js';

/** One step of `accelforge demo`: writes its files into `outDir` and returns summary lines. */
export interface DemoStep {
  name: string;
  title: string;
  run(outDir: string, board: Board): Promise<string[]>;
}
