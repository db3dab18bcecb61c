import { hex } from './bits.js';
import { SimMismatch, type Beat, type TimedBeat } from './types.js';

function describe(b: Beat | undefined): string {
  if (!b) return 'nothing';
  let s = `data=${hex(b.data)}`;
  if (b.last !== undefined) s += ` last=${b.last ? 1 : 0}`;
  if (b.user !== undefined) s += ` user=${hex(b.user)}`;
  return s;
}

/**
 * Check received beats against expected ones, stream by stream, and throw a SimMismatch at the first difference
 * (stream, index, cycle, expected, got — in hex). `last` and `user` are compared only where the expected beat sets them.
 * Streams in `got` that `expected` does not name are not checked.
 */
export function compareStreams(expected: Record<string, Beat[]>, got: Record<string, TimedBeat[]>): void {
  for (const [stream, exp] of Object.entries(expected)) {
    const recv = got[stream];
    if (!recv) throw new SimMismatch(stream, 0, undefined, exp[0], undefined, `stream ${stream}: no output recorded`);
    const n = Math.max(exp.length, recv.length);
    for (let i = 0; i < n; i++) {
      const e = exp[i];
      const g = recv[i];
      const ok =
        e !== undefined &&
        g !== undefined &&
        e.data === g.data &&
        (e.last === undefined || e.last === Boolean(g.last)) &&
        (e.user === undefined || e.user === (g.user ?? 0n));
      if (!ok) {
        const at = g ? ` at cycle ${g.cycle}` : '';
        const why =
          e === undefined
            ? `extra beat (expected ${exp.length} beats)`
            : g === undefined
              ? `missing beat (got ${recv.length} of ${exp.length})`
              : 'mismatch';
        throw new SimMismatch(
          stream,
          i,
          g?.cycle,
          e,
          g,
          `stream ${stream} beat ${i}${at}: ${why}: expected ${describe(e)}, got ${describe(g)}`,
        );
      }
    }
  }
}
