/**
 * The program-ROM variant of the MSQ core (CoreConfig.rom): the ROM contents of a compiled program and the size
 * check `msq build --rom` applies (docs/msq-core-rtl.md "Program ROM").
 */
import type { Board } from '../../board/index.js';
import { fail } from '../../util/errors.js';
import { streamWidth } from './config.js';
import type { Program } from './compile.js';
import { encodeProgram } from './job.js';
import type { RomProgram } from './rtl/index.js';
import { ROM_MAX_BEATS } from './rtl/index.js';

/** Bits of one BRAM36 block. */
const BRAM36_BITS = 36 * 1024;

/** Every job's s_wgt beats back to back (the ROM words), and whether a job reads s_res. */
export function programRom(program: Program): RomProgram {
  const se = program.jobs.find((j) => j.se);
  if (se) fail('--rom', `layer '${se.spec.layer}' (squeeze-excite) takes its weights from a tensor computed at run time, which a program ROM cannot hold: drop --rom`);
  return {
    beats: program.jobs.flatMap((j) => encodeProgram(program.cfg, j.spec)),
    residual: program.jobs.some((j) => j.spec.residual),
  };
}

/** The ROM budget on a board: half its block RAM (the other half holds the core's banks). */
export function romLimitBits(board: Board): number {
  return Math.floor(board.resources.bram36 / 2) * BRAM36_BITS;
}

/** Refuse a program the ROM cannot hold: one line naming the size and the limit. */
export function checkRomFits(rom: RomProgram, program: Program, board: Board): void {
  const W = streamWidth(program.cfg);
  const bits = rom.beats.length * W;
  const limit = romLimitBits(board);
  if (bits > limit || rom.beats.length > ROM_MAX_BEATS) {
    fail('--rom', `the job program needs ${bits.toLocaleString('en-US')} bits of ROM (${rom.beats.length} beats of ${W} bits), the limit on ${board.id} is ${limit.toLocaleString('en-US')} bits (half its block RAM, at most ${ROM_MAX_BEATS} beats): drop --rom to stream the program on s_wgt`);
  }
}
