/**
 * A packed struct: named fields laid out LSB first in declaration order, one table read by the hardware
 * (`pack` / `unpack` on expressions, width-checked when the module is built) and by TypeScript models
 * (`packValues` / `unpackValues` on bigints), so encoder, golden model and RTL share one layout.
 */
import { UserError } from '../../util/errors.js';
import { cat, lit, type Expr } from '../expr.js';

export interface FieldSpec {
  name: string;
  width: number;
  /** unpack reads it as signed; packValues accepts negative values (two's complement). */
  signed?: boolean;
}

export interface FieldLayout extends Required<FieldSpec> {
  /** Bit offset of the field's LSB. */
  offset: number;
}

export class Struct {
  readonly fields: readonly FieldLayout[];
  /** Total width in bits. */
  readonly width: number;
  private readonly byName = new Map<string, FieldLayout>();

  constructor(readonly name: string, fields: readonly FieldSpec[]) {
    if (fields.length === 0) throw new UserError(`struct ${name}: needs at least one field`);
    let offset = 0;
    const out: FieldLayout[] = [];
    for (const f of fields) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new UserError(`struct ${name}: field name '${f.name}' is not an identifier`);
      if (this.byName.has(f.name)) throw new UserError(`struct ${name}: field '${f.name}' declared twice`);
      if (!Number.isInteger(f.width) || f.width < 1) throw new UserError(`struct ${name}.${f.name}: width ${f.width} must be a positive integer`);
      const l = { name: f.name, width: f.width, signed: f.signed ?? false, offset };
      out.push(l);
      this.byName.set(f.name, l);
      offset += f.width;
    }
    this.fields = out;
    this.width = offset;
  }

  /** The layout of one field. */
  field(name: string): FieldLayout {
    const f = this.byName.get(name);
    if (!f) throw new UserError(`struct ${this.name}: no field '${name}' (fields: ${this.fields.map((x) => x.name).join(', ')})`);
    return f;
  }

  private checkKeys(keys: string[], what: string): void {
    for (const k of keys) this.field(k);
    const missing = this.fields.filter((f) => !keys.includes(f.name)).map((f) => f.name);
    if (missing.length) throw new UserError(`struct ${this.name}: ${what} misses field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }

  /**
   * One vector of `width` bits from every field's expression (exactly the field's width; a number becomes a
   * constant of the field's width). Signedness is not checked: the bits are packed as they are.
   */
  pack(vals: Record<string, Expr | number | bigint>): Expr {
    this.checkKeys(Object.keys(vals), 'pack');
    const parts = this.fields.map((f) => {
      const v = vals[f.name]!;
      if (typeof v === 'number' || typeof v === 'bigint') {
        try {
          return lit(v, f.width, f.signed);
        } catch {
          throw new UserError(`struct ${this.name}.${f.name}: constant ${v} does not fit ${f.width} ${f.signed ? 'signed' : 'unsigned'} bits`);
        }
      }
      if (v.width !== f.width) throw new UserError(`struct ${this.name}.${f.name}: is ${f.width} bits but the value is ${v.width} bits; .resize(${f.width}) or .trunc(${f.width}) it first`);
      return v;
    });
    return cat(...parts.reverse());
  }

  /** Every field of a `width`-bit vector, as slices (signed fields read as signed). */
  unpack(v: Expr): Record<string, Expr> {
    if (v.width !== this.width) throw new UserError(`struct ${this.name}: unpack of a ${v.width}-bit value; the struct is ${this.width} bits`);
    const out: Record<string, Expr> = {};
    for (const f of this.fields) {
      const s = v.slice(f.offset + f.width - 1, f.offset);
      out[f.name] = f.signed ? s.asSigned() : s;
    }
    return out;
  }

  /** The same packing on numbers: every field present and in range (signed fields: two's-complement range). */
  packValues(vals: Record<string, number | bigint>): bigint {
    this.checkKeys(Object.keys(vals), 'packValues');
    let word = 0n;
    for (const f of this.fields) {
      const v = BigInt(vals[f.name]!);
      const lo = f.signed ? -(1n << BigInt(f.width - 1)) : 0n;
      const hi = f.signed ? (1n << BigInt(f.width - 1)) - 1n : (1n << BigInt(f.width)) - 1n;
      if (v < lo || v > hi) throw new UserError(`struct ${this.name}.${f.name}: ${v} outside ${lo}..${hi}`);
      word |= (v & ((1n << BigInt(f.width)) - 1n)) << BigInt(f.offset);
    }
    return word;
  }

  /** Fields of a packed word (signed fields sign-extended). */
  unpackValues(word: bigint): Record<string, bigint> {
    if (word < 0n || word >> BigInt(this.width) !== 0n) throw new UserError(`struct ${this.name}: ${word} is not a ${this.width}-bit word`);
    const out: Record<string, bigint> = {};
    for (const f of this.fields) {
      let v = (word >> BigInt(f.offset)) & ((1n << BigInt(f.width)) - 1n);
      if (f.signed && v >> BigInt(f.width - 1)) v -= 1n << BigInt(f.width);
      out[f.name] = v;
    }
    return out;
  }
}
