/**
 * Program ROM (CoreConfig.rom, docs/msq-core-rtl.md "Program ROM"): the job program of one compiled model — every
 * job's s_wgt beats, back to back — in an initialized on-chip memory (BRAM), replayed for ever: after the last beat
 * of the last job the first job's descriptor follows, so every input the host streams runs the whole program. The
 * ROM stands in for the s_wgt stream: it presents one beat per clock (valid from the second cycle after reset, held
 * while the program loader is not ready), exactly as an s_wgt source that is always valid.
 */
import { fail } from '../../../util/errors.js';
import { lit, mux, type Expr, type Module, type Signal } from '../../../hdl/index.js';

/** The program the ROM holds: the s_wgt beats of every job, and whether any job reads s_res (fused residual add). */
export interface RomProgram {
  beats: readonly bigint[];
  residual: boolean;
}

/** The stream the program loader reads (s_wgt's tdata / tvalid / tready, or the ROM's). */
export interface WgtSource {
  data: Expr;
  valid: Expr;
  ready: Signal;
}

/** Largest ROM the generator builds (beats): the address counter and the memory's depth limit. */
export const ROM_MAX_BEATS = 1 << 20;

/** The ROM and its read-out registers in `m`: a WgtSource whose `ready` the program loader drives. */
export function programRomSource(m: Module, W: number, program: RomProgram): WgtSource {
  const P = program.beats.length;
  if (P < 1) fail('rom', 'the program has no beats');
  if (P > ROM_MAX_BEATS) fail('rom', `the program has ${P} beats, the ROM holds at most ${ROM_MAX_BEATS}`);
  const depth = Math.max(2, P);
  const AB = Math.ceil(Math.log2(depth));
  const rom = m.rom('prog_rom', { width: W, depth, init: program.beats, style: 'block' });
  const ready = m.wire('pr_ready', 1);
  const addr = m.reg('pr_addr_q', AB, { reset: 0 });
  const valid = m.reg('pr_valid_q', 1, { reset: 0 });
  // read the next beat when the register is empty (after reset) or its beat is taken this clock
  const take = m.let('pr_take', valid.not().or(ready));
  const data = rom.read(addr, { en: take, name: 'pr_data_q' });
  m.sync((p) => {
    p.if(take, () => {
      p.set(valid, 1);
      p.set(addr, mux(addr.eq(P - 1), lit(0, AB), addr.add(1).trunc(AB)));
    });
  });
  return { data, valid, ready };
}
