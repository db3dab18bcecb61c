/**
 * Job descriptor registers of the MSQ core (docs/msq-core.md "Descriptor"): the fields of both banks and the decode
 * of the 24 descriptor items the program loader receives.
 */
import { type Expr, type Signal } from '../../../hdl/index.js';
import { sel2, type CoreCtx } from './context.js';
import { cbits } from './shape.js';
import { DESC_USED_WORDS, descField, type DescName } from '../descriptor.js';
import type { BankFlags } from './banks.js';
import type { LoaderState } from './program-loader.js';

/** Descriptor fields held per bank (docs/msq-core.md "Descriptor"; stored widths in fieldWidth). */
export const FIELD_NAMES = [
  'op', 'actSigned', 'fixed4', 'residual', 'resSigned', 'inH', 'inW', 'outHM1', 'outWM1', 'khM1', 'kwM1', 'sh', 'sw',
  'padT', 'padL', 'cg', 'cgM1', 'passesM1', 'stepsM1', 'pcM1', 'cout', 'coutGroupsM1', 'wplM1', 'actWordsM1',
  'rowStride', 'rowStrideM1', 'rowStep', 'colStep', 'lo', 'hi', 'addLo', 'addHi', 'Ma', 'Mb', 'addS', 'lut', 'poolAcc', 'noSp2', 'start',
] as const;
export type Field = (typeof FIELD_NAMES)[number];

/**
 * How each descriptor register is decoded from a descriptor item: the descriptor field it comes from (its word and
 * bits from the one layout, src/msq/core/descriptor.ts) and the stored form — the value, the value minus one (`M1`
 * registers, what the counters compare with), or the value resized to the register. `take` keeps only the low bits
 * of a field (op: the core has three ops).
 */
const DECODE: Partial<Record<Field, { from: DescName; value: (x: Expr, w: number) => Expr; take?: number }>> = {
  op: { from: 'op', value: (x) => x, take: 2 },
  actSigned: { from: 'actSigned', value: (x) => x },
  fixed4: { from: 'fixed4', value: (x) => x },
  residual: { from: 'residual', value: (x) => x },
  resSigned: { from: 'resSigned', value: (x) => x },
  inH: { from: 'inH', value: (x) => x },
  inW: { from: 'inW', value: (x) => x },
  outHM1: { from: 'outH', value: (x, w) => m1(x, w) },
  outWM1: { from: 'outW', value: (x, w) => m1(x, w) },
  khM1: { from: 'kh', value: (x, w) => m1(x, w) },
  kwM1: { from: 'kw', value: (x, w) => m1(x, w) },
  sh: { from: 'sh', value: (x) => x },
  sw: { from: 'sw', value: (x) => x },
  padT: { from: 'padT', value: (x) => x },
  padL: { from: 'padL', value: (x) => x },
  cg: { from: 'cinGroups', value: (x, w) => x.resize(24).trunc(w) },
  cgM1: { from: 'cinGroups', value: (x, w) => m1(x, w) },
  passesM1: { from: 'passes', value: (x, w) => m1(x, x.width).trunc(w) },
  stepsM1: { from: 'steps', value: (x, w) => m1(x, w) },
  pcM1: { from: 'passCycles', value: (x, w) => m1(x, w) },
  cout: { from: 'cout', value: (x, w) => x.trunc(w) },
  coutGroupsM1: { from: 'coutGroups', value: (x, w) => m1(x, x.width).trunc(w) },
  wplM1: { from: 'wordsPerLane', value: (x, w) => m1(x, x.width).trunc(w) },
  actWordsM1: { from: 'actWords', value: (x, w) => m1(x, x.width).trunc(w) },
  rowStride: { from: 'rowStride', value: (x, w) => x.trunc(w) },
  rowStrideM1: { from: 'rowStride', value: (x, w) => m1(x, x.width).trunc(w) },
  rowStep: { from: 'rowStep', value: (x, w) => x.trunc(w) },
  colStep: { from: 'colStep', value: (x, w) => x.resize(24).trunc(w) },
  lo: { from: 'lo', value: (x) => x.asSigned() },
  hi: { from: 'hi', value: (x) => x.asSigned() },
  addLo: { from: 'addLo', value: (x) => x.asSigned() },
  addHi: { from: 'addHi', value: (x) => x.asSigned() },
  Ma: { from: 'Ma', value: (x) => x },
  Mb: { from: 'Mb', value: (x) => x },
  addS: { from: 'addS', value: (x) => x },
  lut: { from: 'lut', value: (x) => x },
  poolAcc: { from: 'poolAcc', value: (x) => x },
  noSp2: { from: 'noSp2', value: (x) => x },
};

/** `e - 1` in `w` bits. */
function m1(e: Expr, w: number): Expr {
  return e.sub(1).trunc(Math.max(w, 1)).resize(w);
}

/** Per descriptor register: the descriptor word it is written from and its value from that word's item. */
export function descriptorDecode(item32: Expr): Partial<Record<Field, { word: number; value: (w: number) => Expr }>> {
  const out: Partial<Record<Field, { word: number; value: (w: number) => Expr }>> = {};
  for (const f of FIELD_NAMES) {
    const d = DECODE[f];
    if (!d) continue;
    const x = descField(d.from);
    const field = item32.slice(x.lo + (d.take ?? x.bits) - 1, x.lo);
    out[f] = { word: x.word, value: (w) => d.value(field, w) };
  }
  return out;
}

/** Stored widths of the descriptor registers: [bits, signed]. */
export function descriptorWidths(c: Pick<CoreCtx, 'cfg' | 'S' | 'PB'>): Record<Field, [number, boolean]> {
  const { cfg, PB } = c;
  const { AW, WAB, CGB } = c.S;
  return {
    op: [2, false], actSigned: [1, false], fixed4: [1, false], residual: [1, false], resSigned: [1, false],
    inH: [16, false], inW: [16, false], outHM1: [16, false], outWM1: [16, false], khM1: [16, false], kwM1: [16, false],
    sh: [8, false], sw: [8, false], padT: [8, false], padL: [8, false], cg: [AW, false], cgM1: [16, false],
    passesM1: [PB, false], stepsM1: [16, false], pcM1: [16, false], cout: [cbits(cfg.cDepth), false],
    coutGroupsM1: [CGB, false], wplM1: [WAB, false], actWordsM1: [AW, false], rowStride: [AW, false], rowStrideM1: [AW, false],
    rowStep: [AW, false], colStep: [AW, false], lo: [16, true], hi: [16, true], addLo: [16, true], addHi: [16, true],
    Ma: [31, false], Mb: [31, false], addS: [6, false], lut: [1, false], poolAcc: [1, false], noSp2: [1, false], start: [AW, false],
  };
}

/** Descriptor registers of both banks (one field per register) and D(field, bank). */
export function descriptorBanks(c: CoreCtx) {
  const { m } = c;
  const fieldWidth = descriptorWidths(c);
  const desc: Record<Field, [Signal, Signal]> = {} as Record<Field, [Signal, Signal]>;
  for (const f of FIELD_NAMES) {
    const [w, s] = fieldWidth[f];
    desc[f] = [0, 1].map((k) => m.reg(`desc${k}_${f}_q`, w, { signed: s, reset: null })) as [Signal, Signal];
  }
  /** field of bank `b` (1-bit expression) */
  const D = (f: Field, b: Expr): Expr => sel2(b, desc[f][1], desc[f][0]);
  return { fieldWidth, desc, D };
}
export type DescriptorBanks = ReturnType<typeof descriptorBanks>;

/** Descriptor decode: each descriptor item written into its fields (bank wl_bank), the start address at the end of DERIVE; the bank round. */
export function descriptorWrites(c: CoreCtx, dsc: DescriptorBanks, bkf: BankFlags, wl: LoaderState) {
  const { m } = c;
  const { fieldWidth, desc } = dsc;
  const { roundQ } = bkf;
  const { wst, wj, wb, di, dvAcc, itemGo, item32, wStart, deriveEnd } = wl;
  // descriptor fields: written from the item in DESC (bank wl_bank), start address at the end of DERIVE
  const descWe = m.let('wl_desc_we', wst.is('DESC').and(itemGo));
  const fieldFromItem = descriptorDecode(item32);
  m.sync((p) => {
    for (const k of [0, 1]) {
      const bk = k === 1 ? wb : wb.not();
      p.if(descWe.and(bk), () => {
        p.switch(di, Object.fromEntries(
          Array.from({ length: DESC_USED_WORDS }, (_, word) => [word, () => {
            for (const f of FIELD_NAMES) {
              const spec = fieldFromItem[f];
              if (!spec || spec.word !== word) continue;
              const [w] = fieldWidth[f];
              p.set(desc[f][k]!, spec.value(w));
            }
          }]),
        ));
      });
      p.if(deriveEnd.and(bk), () => p.set(desc.start[k]!, dvAcc));
    }
  });
  // bank round: written when the loader starts a job's program
  m.sync((p) => {
    for (const k of [0, 1]) p.if(wStart.and(k === 1 ? wb : wb.not()), () => p.set(roundQ[k]!, wj.bit(1)));
  });
}
export type DescriptorWrites = ReturnType<typeof descriptorWrites>;
