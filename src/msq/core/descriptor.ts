/**
 * The job descriptor's layout (docs/msq-core.md "Descriptor"), written once: every field's word, bit offset and
 * width. The encoder (job.ts descriptorWords), the reference interpreter (interp.ts decodeProgram) and the RTL's
 * descriptor decode (rtl/descriptor.ts) all read this table; test/msq-core-descriptor.test.ts checks the three and
 * the doc's table against each other.
 */
import { DESC_WORDS } from './config.js';

export type DescName =
  | 'op' | 'actSigned' | 'fixed4' | 'residual' | 'resSigned' | 'inH' | 'inW' | 'outH' | 'outW' | 'kh' | 'kw'
  | 'sh' | 'sw' | 'padT' | 'padL' | 'cinGroups' | 'passes' | 'steps' | 'passCycles' | 'cout' | 'coutGroups'
  | 'wordsPerLane' | 'actWords' | 'rowStride' | 'rowStep' | 'colStep' | 'lo' | 'hi' | 'addLo' | 'addHi'
  | 'Ma' | 'Mb' | 'addS' | 'lut' | 'poolAcc' | 'noSp2';

export interface DescField {
  name: DescName;
  /** descriptor word (item of section 1) */
  word: number;
  /** lowest bit within the 32-bit word */
  lo: number;
  bits: number;
  /** two's complement (else unsigned) */
  signed: boolean;
}

const f = (name: DescName, word: number, lo: number, bits: number, signed = false): DescField => ({ name, word, lo, bits, signed });

/** Every descriptor field, in word / bit order; words 18..23 are reserved (0). */
export const DESCRIPTOR: readonly DescField[] = [
  f('op', 0, 0, 4), f('actSigned', 0, 4, 1), f('fixed4', 0, 5, 1), f('residual', 0, 6, 1), f('resSigned', 0, 7, 1),
  f('lut', 0, 8, 1), f('poolAcc', 0, 9, 1), f('noSp2', 0, 10, 1),
  f('inH', 1, 0, 16), f('inW', 1, 16, 16),
  f('outH', 2, 0, 16), f('outW', 2, 16, 16),
  f('kh', 3, 0, 16), f('kw', 3, 16, 16),
  f('sh', 4, 0, 8), f('sw', 4, 8, 8), f('padT', 4, 16, 8), f('padL', 4, 24, 8),
  f('cinGroups', 5, 0, 16), f('passes', 5, 16, 16),
  f('steps', 6, 0, 16), f('passCycles', 6, 16, 16),
  f('cout', 7, 0, 16), f('coutGroups', 7, 16, 16),
  f('wordsPerLane', 8, 0, 24),
  f('actWords', 9, 0, 24),
  f('rowStride', 10, 0, 24),
  f('rowStep', 11, 0, 24),
  f('colStep', 12, 0, 16),
  f('lo', 13, 0, 16, true), f('hi', 13, 16, 16, true),
  f('addLo', 14, 0, 16, true), f('addHi', 14, 16, 16, true),
  f('Ma', 15, 0, 31),
  f('Mb', 16, 0, 31),
  f('addS', 17, 0, 6),
];

/** Words that carry fields (the rest up to DESC_WORDS are reserved 0). */
export const DESC_USED_WORDS = Math.max(...DESCRIPTOR.map((x) => x.word)) + 1;

const BY_NAME = new Map(DESCRIPTOR.map((x) => [x.name, x]));

/** The layout of one field. */
export function descField(name: DescName): DescField {
  return BY_NAME.get(name)!;
}

export type DescValues = Record<DescName, number>;

/** The DESC_WORDS descriptor words (unsigned 32-bit numbers) of `v`; a value that does not fit its field throws. */
export function packDescriptor(v: DescValues): number[] {
  const w = new Array<number>(DESC_WORDS).fill(0);
  for (const x of DESCRIPTOR) {
    const val = v[x.name];
    const [lo, hi] = x.signed ? [-(2 ** (x.bits - 1)), 2 ** (x.bits - 1) - 1] : [0, 2 ** x.bits - 1];
    if (!Number.isInteger(val) || val < lo || val > hi) throw new Error(`descriptor field ${x.name} = ${val} does not fit ${x.bits} ${x.signed ? 'signed' : 'unsigned'} bits`);
    const u = val < 0 ? val + 2 ** x.bits : val;
    w[x.word] = (w[x.word]! + u * 2 ** x.lo) >>> 0;
  }
  return w;
}

/** The fields of descriptor words (signed fields sign-extended). */
export function unpackDescriptor(words: readonly (number | bigint)[]): DescValues {
  const out = {} as DescValues;
  for (const x of DESCRIPTOR) {
    const u = Number((BigInt(words[x.word] ?? 0) >> BigInt(x.lo)) & ((1n << BigInt(x.bits)) - 1n));
    out[x.name] = x.signed && u >= 2 ** (x.bits - 1) ? u - 2 ** x.bits : u;
  }
  return out;
}
