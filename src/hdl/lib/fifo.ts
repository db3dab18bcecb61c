/**
 * Synchronous first-word-fall-through FIFO with AXI4-Stream style ports, built on the builder's RAM (1 write port,
 * 1 registered read port). The RAM's read-data register is the output register: a word is read out of the RAM
 * exactly when the output register is empty or being popped, so the FIFO streams one word per cycle. Capacity is
 * exactly `depth` words (RAM + output register); s_tready = level < depth comes from registers only.
 * Latency: a word pushed in cycle t is on m_tdata in cycle t+2. Full throughput needs depth >= 3 (depth 2 streams
 * 2 words per 3 cycles, because s_tready does not look at m_tready).
 */
import { UserError } from '../../util/errors.js';
import { axisMaster, axisSlave } from './axis.js';
import { lit, mux } from '../expr.js';
import { Module, type MemoryStyle } from '../module.js';

export interface FifoOptions {
  /** Word width in bits. */
  width: number;
  /** Capacity in words (>= 2). */
  depth: number;
  /** RAM style: 'block' (BRAM), 'distributed' (LUTRAM) or 'auto' (default). */
  style?: MemoryStyle;
  /** Add an output `level` (words held, ceil(log2(depth+1)) bits). */
  level?: boolean;
  /** Module name (default fifo_w<width>_d<depth>[_<style>][_lvl]). */
  name?: string;
}

function bitsFor(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1)));
}

export function syncFifo(opts: FifoOptions): Module {
  const { width: w, depth: d } = opts;
  const style = opts.style ?? 'auto';
  if (!Number.isInteger(w) || w < 1) throw new UserError(`syncFifo.width: ${w} must be a positive integer`);
  if (!Number.isInteger(d) || d < 2) throw new UserError(`syncFifo.depth: ${d} must be an integer >= 2`);
  const name = opts.name ?? `fifo_w${w}_d${d}${style === 'auto' ? '' : `_${style}`}${opts.level ? '_lvl' : ''}`;
  const m = new Module(name, {
    doc: 'synchronous first-word-fall-through FIFO, AXI4-Stream style ports, full throughput',
    config: { block: 'syncFifo', width: w, depth: d, style, level: opts.level ?? false },
  });
  const { tdata: sData, tvalid: sValid, tready: sReady } = axisSlave(m, 's', w);
  const { tdata: mData, tvalid: mValid, tready: mReady } = axisMaster(m, 'm', w);

  const aw = Math.ceil(Math.log2(d));
  const lw = bitsFor(d);
  const wptr = m.reg('wptr_q', aw, { reset: 0 });
  const rptr = m.reg('rptr_q', aw, { reset: 0 });
  const ramCount = m.reg('ram_count_q', lw, { reset: 0 }); // words in the RAM not yet read out
  const level = m.reg('level_q', lw, { reset: 0 }); // words held in total
  const outValid = m.reg('out_valid_q', 1, { reset: 0 });

  const ready = m.let('ready', level.ne(lit(d, lw)));
  const push = m.let('push', sValid.and(ready));
  const pop = m.let('pop', outValid.and(mReady));
  const issue = m.let('issue', ramCount.ne(0).and(outValid.not().or(mReady)));

  const mem = m.ram('mem', { width: w, depth: d, style });
  mem.write(push, wptr, sData);
  const rdata = mem.read(rptr, { en: issue, name: 'out_data_q' });

  const next = (p: typeof wptr) => (d === 1 << aw ? p.add(1).trunc(aw) : mux(p.eq(d - 1), lit(0, aw), p.add(1).trunc(aw)));
  m.sync((p) => {
    p.if(push, () => p.set(wptr, next(wptr)));
    p.if(issue, () => p.set(rptr, next(rptr)));
    p.switch(mux(push, lit(2, 2), lit(0, 2)).or(issue.resize(2)), {
      2: () => p.set(ramCount, ramCount.add(1).trunc(lw)),
      1: () => p.set(ramCount, ramCount.sub(1).trunc(lw)),
      default: () => {},
    });
    p.switch(mux(push, lit(2, 2), lit(0, 2)).or(pop.resize(2)), {
      2: () => p.set(level, level.add(1).trunc(lw)),
      1: () => p.set(level, level.sub(1).trunc(lw)),
      default: () => {},
    });
    p.if(issue, () => p.set(outValid, 1)).elif(pop, () => p.set(outValid, 0));
  });
  m.assign(sReady, ready);
  m.assign(mValid, outValid);
  m.assign(mData, rdata);
  if (opts.level) m.assign(m.output('level', lw), level);
  return m;
}
