/**
 * Job descriptor registers of the MSQ core (docs/msq-core.md "Descriptor"): the fields of both banks and the decode
 * of the 24 descriptor items the program loader receives.
 */
import { type Expr, type Signal } from '../../../hdl/index.js';
import { sel2, type CoreCtx } from './context.js';
import { cbits } from './shape.js';
import type { BankFlags } from './banks.js';
import type { LoaderState } from './program-loader.js';

/** Descriptor fields held per bank (docs/msq-core.md "Descriptor"; stored widths in fieldWidth). */
export const FIELD_NAMES = [
  'op', 'actSigned', 'fixed4', 'residual', 'resSigned', 'inH', 'inW', 'outHM1', 'outWM1', 'khM1', 'kwM1', 'sh', 'sw',
  'padT', 'padL', 'cg', 'cgM1', 'passesM1', 'stepsM1', 'pcM1', 'cout', 'coutGroupsM1', 'wplM1', 'actWordsM1',
  'rowStride', 'rowStrideM1', 'rowStep', 'colStep', 'lo', 'hi', 'addLo', 'addHi', 'Ma', 'Mb', 'addS', 'start',
] as const;
export type Field = (typeof FIELD_NAMES)[number];

/** Descriptor registers of both banks (one field per register) and D(field, bank). */
export function descriptorBanks(c: CoreCtx) {
  const { m, cfg, PB } = c;
  const { AW, WAB, CGB } = c.S;
  // ---------------------------------------------------------------- descriptor banks
  const fieldWidth: Record<Field, [number, boolean]> = {
    op: [2, false], actSigned: [1, false], fixed4: [1, false], residual: [1, false], resSigned: [1, false],
    inH: [16, false], inW: [16, false], outHM1: [16, false], outWM1: [16, false], khM1: [16, false], kwM1: [16, false],
    sh: [8, false], sw: [8, false], padT: [8, false], padL: [8, false], cg: [AW, false], cgM1: [16, false],
    passesM1: [PB, false], stepsM1: [16, false], pcM1: [16, false], cout: [cbits(cfg.cDepth), false],
    coutGroupsM1: [CGB, false], wplM1: [WAB, false], actWordsM1: [AW, false], rowStride: [AW, false], rowStrideM1: [AW, false],
    rowStep: [AW, false], colStep: [AW, false], lo: [16, true], hi: [16, true], addLo: [16, true], addHi: [16, true],
    Ma: [31, false], Mb: [31, false], addS: [6, false], start: [AW, false],
  };
  const desc: Record<Field, [Signal, Signal]> = {} as Record<Field, [Signal, Signal]>;
  for (const f of FIELD_NAMES) {
    const [w, s] = fieldWidth[f];
    desc[f] = [0, 1].map((k) => m.reg(`desc${k}_${f}`, w, { signed: s, reset: null })) as [Signal, Signal];
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
  const it = (hi: number, lo: number): Expr => item32.slice(hi, lo);
  const m1 = (e: Expr, w: number): Expr => e.sub(1).trunc(Math.max(w, 1)).resize(w);
  const fieldFromItem: Partial<Record<Field, [number, (w: number) => Expr]>> = {
    op: [0, () => it(1, 0)],
    actSigned: [0, () => it(4, 4)],
    fixed4: [0, () => it(5, 5)],
    residual: [0, () => it(6, 6)],
    resSigned: [0, () => it(7, 7)],
    inH: [1, () => it(15, 0)],
    inW: [1, () => it(31, 16)],
    outHM1: [2, (w) => m1(it(15, 0), w)],
    outWM1: [2, (w) => m1(it(31, 16), w)],
    khM1: [3, (w) => m1(it(15, 0), w)],
    kwM1: [3, (w) => m1(it(31, 16), w)],
    sh: [4, () => it(7, 0)],
    sw: [4, () => it(15, 8)],
    padT: [4, () => it(23, 16)],
    padL: [4, () => it(31, 24)],
    cg: [5, (w) => it(15, 0).resize(24).trunc(w)],
    cgM1: [5, (w) => m1(it(15, 0), w)],
    passesM1: [5, (w) => m1(it(31, 16), 16).trunc(w)],
    stepsM1: [6, (w) => m1(it(15, 0), w)],
    pcM1: [6, (w) => m1(it(31, 16), w)],
    cout: [7, (w) => it(15, 0).trunc(w)],
    coutGroupsM1: [7, (w) => m1(it(31, 16), 16).trunc(w)],
    wplM1: [8, (w) => m1(it(23, 0), 24).trunc(w)],
    actWordsM1: [9, (w) => m1(it(23, 0), 24).trunc(w)],
    rowStride: [10, (w) => it(23, 0).trunc(w)],
    rowStrideM1: [10, (w) => m1(it(23, 0), 24).trunc(w)],
    rowStep: [11, (w) => it(23, 0).trunc(w)],
    colStep: [12, (w) => it(15, 0).resize(24).trunc(w)],
    lo: [13, () => it(15, 0).asSigned()],
    hi: [13, () => it(31, 16).asSigned()],
    addLo: [14, () => it(15, 0).asSigned()],
    addHi: [14, () => it(31, 16).asSigned()],
    Ma: [15, () => it(30, 0)],
    Mb: [16, () => it(30, 0)],
    addS: [17, () => it(5, 0)],
  };
  m.sync((p) => {
    for (const k of [0, 1]) {
      const bk = k === 1 ? wb : wb.not();
      p.if(descWe.and(bk), () => {
        p.switch(di, Object.fromEntries(
          Array.from({ length: 18 }, (_, word) => [word, () => {
            for (const f of FIELD_NAMES) {
              const spec = fieldFromItem[f];
              if (!spec || spec[0] !== word) continue;
              const [w] = fieldWidth[f];
              p.set(desc[f][k]!, spec[1](w));
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
