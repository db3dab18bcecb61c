/**
 * Filters on lanes (docs/msq-core.md "Lanes"): fixed filters on fixed lanes, SP2 filters on SP2 lanes, SP2 filters
 * whose integer values fit WF bits also on spare fixed lanes; a GEMM whose input activations are wider than
 * core.sp2ActBits puts every filter on the fixed lanes. Also the packing of one lane's weight word.
 */
import { fail } from '../../util/errors.js';
import { levels, weightValue } from '../conventions.js';
import type { Filter } from '../model.js';
import { sp2ActBitsOf, type CoreConfig } from './config.js';
import { packCodes } from './job.js';
import { type HostTensor } from './program.js';
import { ceilDiv } from '../../util/math.js';

/** Lane class of a filter: F = fixed lanes only, S = SP2 lanes only, X = either (SP2 whose integers fit WF bits). */
export type LaneClass = 'F' | 'S' | 'X';

export interface FilterLanes {
  cls: LaneClass;
  /** integer weights (fixed-lane values) by fan-in index, or undefined when the filter cannot use a fixed lane (or
   *  when classified without codes) */
  fixedValues?: Int32Array;
  /** m-bit SP2 codes by fan-in index, or undefined when the filter cannot use an SP2 lane (or without codes) */
  sp2Codes?: Int32Array;
  /** every fixed-lane value fits [-8, 7] (4-bit fixed items) */
  fits4: boolean;
}

/**
 * Whether a GEMM job reading `input` may put filters on the SP2 lanes: an SP2 lane multiplies only the low
 * `sp2ActBits` bits of each activation lane (sign-extended when actSigned, docs/msq-core.md "Semantics"), which is
 * the activation itself exactly when its `bits <= sp2ActBits` (signed or not).
 */
export function sp2LanesFit(cfg: CoreConfig, input: Pick<HostTensor, 'bits' | 'signed'>): boolean {
  return input.bits <= sp2ActBitsOf(cfg);
}

/** The GEMM's input when its activations are too wide for the SP2 lanes (every filter then needs a fixed lane). */
export interface WideInput {
  tensor: string;
  bits: number;
}

export function wideInput(cfg: CoreConfig, input: HostTensor): WideInput | undefined {
  return sp2LanesFit(cfg, input) ? undefined : { tensor: input.name, bits: input.bits };
}

/**
 * Per filter: which lanes it can run on, with its codes re-expressed for them (`codes` false: the class and fits4
 * only, no value arrays: a compile without weight words). With `wide` (input activations wider than
 * core.sp2ActBits) no filter may use an SP2 lane.
 */
export function classifyFilters(cfg: CoreConfig, layer: string, filters: Filter[], wide?: WideInput, o: { codes?: boolean } = {}): FilterLanes[] {
  const keep = o.codes !== false;
  const wfLo = -(2 ** (cfg.WF - 1));
  const wfHi = 2 ** (cfg.WF - 1) - 1;
  const sp2ByValue = new Map<number, number>();
  for (const lv of levels('sp2', cfg.m)) sp2ByValue.set(lv.value, lv.code);
  // filters sharing one code array (the sizing search's stand-in networks) are classified once
  const seen = new Map<ArrayLike<number>, { scheme: string; bits: number; lanes: FilterLanes }>();
  return filters.map((f, j) => {
    const hit = seen.get(f.weights);
    if (hit && hit.scheme === f.scheme && hit.bits === f.bits) return hit.lanes;
    const n = f.weights.length;
    const vals = keep ? new Int32Array(n) : undefined;
    // SP2 filters: every value an m-bit SP2 value (the codes themselves when bits = m)
    const recode = f.scheme === 'sp2' && f.bits !== cfg.m;
    let sp2Codes = recode && keep ? new Int32Array(n) : undefined;
    let sp2Ok = f.scheme === 'sp2';
    let fitsWF = true;
    let fits4 = true;
    for (let k = 0; k < n; k++) {
      const v = weightValue(f.scheme, f.bits, f.weights[k]!);
      if (vals) vals[k] = v;
      if (v < wfLo || v > wfHi) fitsWF = false;
      if (v < -8 || v > 7) fits4 = false;
      if (recode && sp2Ok) {
        const c = sp2ByValue.get(v);
        if (c === undefined) sp2Ok = false;
        else if (sp2Codes) sp2Codes[k] = c;
      }
    }
    if (sp2Ok && !recode && keep) sp2Codes = Int32Array.from(f.weights);
    if (!sp2Ok) sp2Codes = undefined;
    const canF = fitsWF && cfg.Pf > 0;
    const canS = sp2Ok && cfg.Ps > 0 && !wide;
    if (!canF && !canS) {
      const why = wide
        ? `its input '${wide.tensor}' has ${wide.bits}-bit activations, more than core.sp2ActBits = ${sp2ActBitsOf(cfg)} (the SP2 lanes' width), so it needs a fixed lane, and ${
            cfg.Pf === 0 ? 'the core has none (core.Pf = 0)' : `its weights do not fit core.WF = ${cfg.WF} bits`
          }`
        :
        f.scheme === 'fixed'
          ? cfg.Pf === 0
            ? 'the core has no fixed lanes (core.Pf = 0)'
            : `its weights do not fit core.WF = ${cfg.WF} bits`
          : `its ${f.bits}-bit SP2 values are not ${cfg.m}-bit SP2 values (core.m) and do not fit core.WF = ${cfg.WF} bits${cfg.Pf ? '' : ' (no fixed lanes)'}`;
      fail(`layer '${layer}'.filters[${j}]`, `cannot run on the core: ${why}`);
    }
    const cls: LaneClass = canF && canS ? 'X' : canF ? 'F' : 'S';
    const lanes: FilterLanes = { cls, fixedValues: canF ? vals : undefined, sp2Codes: canS ? sp2Codes : undefined, fits4 };
    seen.set(f.weights, { scheme: f.scheme, bits: f.bits, lanes });
    return lanes;
  });
}

/** What a successful classifyFilters result depends on besides the filters: the lane kinds present, WF, m, whether
 *  the input is too wide for the SP2 lanes, and whether codes are kept (compile.ts CompileMemo's key). */
export function lanesKey(cfg: CoreConfig, wide: WideInput | undefined, codes: boolean): string {
  return `${cfg.Pf > 0},${cfg.Ps > 0},${cfg.WF},${cfg.m},${wide !== undefined},${codes}`;
}

/** Smallest passes for F fixed-only, S SP2-only and X either filters on Pf : Ps lanes. */
export function passesFor(cfg: Pick<CoreConfig, 'Pf' | 'Ps'>, F: number, S: number, X: number): number {
  const Pf = cfg.Pf, Ps = cfg.Ps;
  let p = ceilDiv(F + S + X, Pf + Ps);
  if (Pf) p = Math.max(p, ceilDiv(F, Pf));
  if (Ps) p = Math.max(p, ceilDiv(S, Ps));
  return Math.max(1, p);
}

/** Lane lists of filter group c0 .. c0+count-1: fixed lane slots (pass-major) and SP2 lane slots, with filter
 *  indices or -1. */
export function assignLanes(cfg: CoreConfig, cls: LaneClass[], c0: number, count: number, passes: number): { fixed: number[]; sp2: number[] } {
  const fixed: number[] = [];
  const sp2: number[] = [];
  const X: number[] = [];
  for (let j = c0; j < c0 + count; j++) (cls[j] === 'F' ? fixed : cls[j] === 'S' ? sp2 : X).push(j);
  // SP2 filters stay on SP2 lanes; only the excess spills onto spare fixed lanes (after the fixed ones)
  const sp2Room = Math.max(0, passes * cfg.Ps - sp2.length);
  for (let k = 0; k < X.length; k++) (k < sp2Room ? sp2 : fixed).push(X[k]!);
  if (fixed.length > passes * cfg.Pf || sp2.length > passes * cfg.Ps) throw new Error('assignLanes: passes too small');
  while (fixed.length < passes * cfg.Pf) fixed.push(-1);
  while (sp2.length < passes * cfg.Ps) sp2.push(-1);
  return { fixed, sp2 };
}

/** Pack N values of `bits` bits (two's complement / patterns) into one word; fast path for 4- and 8-bit codes. */
export function packWord(vals: ArrayLike<number>, bits: number): bigint {
  if (bits === 4 || bits === 8) {
    const digits = bits / 4;
    let s = '';
    for (let n = vals.length - 1; n >= 0; n--) {
      const v = vals[n]! & ((1 << bits) - 1);
      s += v.toString(16).padStart(digits, '0');
    }
    return BigInt('0x' + (s || '0'));
  }
  return packCodes(vals, bits);
}
