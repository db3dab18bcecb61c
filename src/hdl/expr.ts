/**
 * Expression values of the HDL builder: every value has an exact width and a signedness, and every operator states
 * the width of its result (see docs/hdl.md, "Width rules"). Width or signedness mistakes throw a UserError at the
 * line that builds the expression, never later in a simulator.
 */
import { UserError } from '../util/errors.js';

/** Something usable where an expression is expected: an Expr, or a JS number/bigint that becomes a constant. */
export type Operand = Expr | number | bigint;

export type BinOp = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type UnOp = 'neg' | 'not' | 'reduceAnd' | 'reduceOr' | 'reduceXor';

/** The node kinds of the expression tree (read by the emitter, the checker and the evaluator). */
export type ExprNode =
  | { kind: 'const'; value: bigint; name?: string }
  | { kind: 'signal' }
  | { kind: 'bin'; op: BinOp; a: Expr; b: Expr }
  | { kind: 'un'; op: UnOp; a: Expr }
  | { kind: 'shl' | 'shr'; a: Expr; by: number | Expr }
  | { kind: 'slice'; a: Expr; hi: number; lo: number }
  | { kind: 'trunc' | 'resize'; a: Expr }
  | { kind: 'cast'; a: Expr }
  | { kind: 'cat'; parts: Expr[] }
  | { kind: 'mux'; cond: Expr; a: Expr; b: Expr };

// Verilator accepts vectors up to 65,536 bits by default (--max-num-width); board-size cores have 10k+-bit ports.
const MAX_WIDTH = 65536;

export function checkWidth(width: number, what: string): void {
  if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) {
    throw new UserError(`${what}: width ${width} is not an integer in 1..${MAX_WIDTH}; give a positive bit width`);
  }
}

/** Minimal width holding `v` (two's complement when signed). */
export function minWidth(v: bigint, signed: boolean): number {
  if (!signed) {
    if (v < 0n) throw new UserError(`constant ${v}: negative value used with an unsigned operand; cast with .asSigned() or use a non-negative value`);
    let w = 1;
    while (v >> BigInt(w) !== 0n) w++;
    return w;
  }
  let w = 1;
  while (!(v >= -(1n << BigInt(w - 1)) && v < 1n << BigInt(w - 1))) w++;
  return w;
}

/** Reduce `v` to `width` bits and read it back as signed or unsigned. */
export function wrap(v: bigint, width: number, signed: boolean): bigint {
  const m = 1n << BigInt(width);
  let r = ((v % m) + m) % m;
  if (signed && r >= m >> 1n) r -= m;
  return r;
}

function describe(e: Expr): string {
  return `${e.label()} (${e.width}-bit ${e.signed ? 'signed' : 'unsigned'})`;
}

/** A hardware value: exact width, signedness, and the node that computes it. Immutable. */
export class Expr {
  /** @internal */
  constructor(
    readonly width: number,
    readonly signed: boolean,
    /** @internal */ readonly node: ExprNode,
  ) {}

  /** Short human description used in error messages. */
  label(): string {
    switch (this.node.kind) {
      case 'const': return `constant ${this.node.value}`;
      case 'bin': case 'un': return `${this.node.op}(...)`;
      default: return `${this.node.kind}(...)`;
    }
  }

  private operand(b: Operand, op: string): Expr {
    if (b instanceof Expr) {
      if (b.signed !== this.signed) {
        throw new UserError(`${op}: mixes ${describe(this)} with ${describe(b)}; cast one side with .asSigned() or .asUnsigned()`);
      }
      return b;
    }
    const v = BigInt(b);
    if (!this.signed && v < 0n) throw new UserError(`${op}: negative constant ${v} with unsigned ${describe(this)}; cast with .asSigned() first`);
    return lit(v, minWidth(v, this.signed), this.signed);
  }

  private bin(op: BinOp, b: Operand): Expr {
    const o = this.operand(b, op);
    const cmp = op === 'eq' || op === 'ne' || op === 'lt' || op === 'le' || op === 'gt' || op === 'ge';
    const res = op === 'add' || op === 'sub' ? Math.max(this.width, o.width) + 1
      : op === 'mul' ? this.width + o.width
      : cmp ? 1 : Math.max(this.width, o.width);
    checkWidth(res, op);
    if (!this.signed && cmp) {
      const zero = (e: Expr): boolean => e.node.kind === 'const' && e.node.value === 0n;
      if ((zero(o) && (op === 'lt' || op === 'ge')) || (zero(this) && (op === 'gt' || op === 'le'))) {
        throw new UserError(`${op}: comparing unsigned ${describe(zero(o) ? this : o)} with 0 is constant (always ${op === 'ge' || op === 'le' ? 'true' : 'false'}); remove the comparison`);
      }
    }
    return new Expr(res, cmp ? false : this.signed, { kind: 'bin', op, a: this, b: o });
  }

  /** a + b, width max(wa, wb) + 1 (never overflows). */
  add(b: Operand): Expr { return this.bin('add', b); }
  /** a - b, width max(wa, wb) + 1 (never overflows; unsigned results wrap mod 2^width when b > a). */
  sub(b: Operand): Expr { return this.bin('sub', b); }
  /** a * b, width wa + wb (exact). */
  mul(b: Operand): Expr { return this.bin('mul', b); }
  /** Bitwise and, width max(wa, wb); the narrower side is extended per signedness first. */
  and(b: Operand): Expr { return this.bin('and', b); }
  or(b: Operand): Expr { return this.bin('or', b); }
  xor(b: Operand): Expr { return this.bin('xor', b); }
  /** Comparisons: 1-bit unsigned result; signed compare when both sides are signed. */
  eq(b: Operand): Expr { return this.bin('eq', b); }
  ne(b: Operand): Expr { return this.bin('ne', b); }
  lt(b: Operand): Expr { return this.bin('lt', b); }
  le(b: Operand): Expr { return this.bin('le', b); }
  gt(b: Operand): Expr { return this.bin('gt', b); }
  ge(b: Operand): Expr { return this.bin('ge', b); }

  /** -a, width wa + 1 (exact); result keeps the signedness (unsigned: wraps mod 2^(wa+1)). */
  neg(): Expr { return new Expr(this.width + 1, this.signed, { kind: 'un', op: 'neg', a: this }); }
  /** Bitwise not, same width and signedness. */
  not(): Expr { return new Expr(this.width, this.signed, { kind: 'un', op: 'not', a: this }); }
  /** Reductions: 1-bit unsigned. */
  reduceAnd(): Expr { return new Expr(1, false, { kind: 'un', op: 'reduceAnd', a: this }); }
  reduceOr(): Expr { return new Expr(1, false, { kind: 'un', op: 'reduceOr', a: this }); }
  reduceXor(): Expr { return new Expr(1, false, { kind: 'un', op: 'reduceXor', a: this }); }

  /**
   * Shift left. By a constant n: width grows by n (exact). By an unsigned expression: width is kept (bits shifted
   * out are lost).
   */
  shl(by: number | Expr): Expr {
    if (typeof by === 'number') {
      if (!Number.isInteger(by) || by < 0) throw new UserError(`shl: shift amount ${by} must be a non-negative integer`);
      checkWidth(this.width + by, 'shl');
      return new Expr(this.width + by, this.signed, { kind: 'shl', a: this, by });
    }
    if (by.signed) throw new UserError(`shl: shift amount ${describe(by)} must be unsigned; use .asUnsigned()`);
    return new Expr(this.width, this.signed, { kind: 'shl', a: this, by });
  }

  /**
   * Shift right, width kept. Arithmetic (sign-filling) when this is signed, logical when unsigned. By a constant or
   * an unsigned expression.
   */
  shr(by: number | Expr): Expr {
    if (typeof by === 'number') {
      if (!Number.isInteger(by) || by < 0) throw new UserError(`shr: shift amount ${by} must be a non-negative integer`);
    } else if (by.signed) {
      throw new UserError(`shr: shift amount ${describe(by)} must be unsigned; use .asUnsigned()`);
    }
    return new Expr(this.width, this.signed, { kind: 'shr', a: this, by });
  }

  /** Bits [hi:lo], unsigned, width hi - lo + 1. */
  slice(hi: number, lo: number): Expr {
    if (!Number.isInteger(hi) || !Number.isInteger(lo) || lo < 0 || hi < lo || hi >= this.width) {
      throw new UserError(`slice(${hi}, ${lo}) of ${describe(this)}: need width > hi >= lo >= 0`);
    }
    return new Expr(hi - lo + 1, false, { kind: 'slice', a: this, hi, lo });
  }

  /** Bit i, unsigned 1-bit. */
  bit(i: number): Expr { return this.slice(i, i); }

  /** The low n bits, same signedness (n <= width). */
  trunc(n: number): Expr {
    checkWidth(n, 'trunc');
    if (n > this.width) throw new UserError(`trunc(${n}) of ${describe(this)}: cannot truncate to a wider width; use .resize(${n})`);
    if (n === this.width) return this;
    return new Expr(n, this.signed, { kind: 'trunc', a: this });
  }

  /** Width n, same signedness: sign-/zero-extends per signedness when wider, keeps the low bits when narrower. */
  resize(n: number): Expr {
    checkWidth(n, 'resize');
    if (n === this.width) return this;
    return new Expr(n, this.signed, { kind: 'resize', a: this });
  }

  /** Same bits read as signed. */
  asSigned(): Expr { return this.signed ? this : new Expr(this.width, true, { kind: 'cast', a: this }); }
  /** Same bits read as unsigned. */
  asUnsigned(): Expr { return this.signed ? new Expr(this.width, false, { kind: 'cast', a: this }) : this; }
}

/** A constant of `width` bits. The value must fit (signed: two's complement range). */
export function lit(value: number | bigint, width: number, signed = false): Expr {
  checkWidth(width, 'lit');
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new UserError(`lit(${value}): not a safe integer; pass a bigint for values beyond 2^53`);
  }
  const v = BigInt(value);
  const lo = signed ? -(1n << BigInt(width - 1)) : 0n;
  const hi = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
  if (v < lo || v > hi) {
    throw new UserError(`lit(${v}, ${width}${signed ? ', signed' : ''}): value outside ${lo}..${hi}; widen the constant`);
  }
  return new Expr(width, signed, { kind: 'const', value: v });
}

/** Concatenation, first argument most significant (like Verilog {a, b}); unsigned, width = sum of widths. */
export function cat(...parts: Expr[]): Expr {
  if (parts.length === 0) throw new UserError('cat(): needs at least one part');
  const width = parts.reduce((s, p) => s + p.width, 0);
  checkWidth(width, 'cat');
  if (parts.length === 1) return parts[0]!.asUnsigned();
  return new Expr(width, false, { kind: 'cat', parts });
}

/** n copies of e concatenated (Verilog {n{e}}); unsigned. */
export function rep(e: Expr, n: number): Expr {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`rep(): count ${n} must be a positive integer`);
  return cat(...Array.from({ length: n }, () => e));
}

/**
 * cond ? ifTrue : ifFalse. cond must be 1 bit. Width max of the two; both must have the same signedness (a number
 * becomes a constant of the other side's signedness).
 */
export function mux(cond: Expr, ifTrue: Operand, ifFalse: Operand): Expr {
  if (cond.width !== 1) throw new UserError(`mux: condition ${describe(cond)} must be 1 bit; compare it (e.g. .ne(0)) or use .reduceOr()`);
  let a: Expr;
  let b: Expr;
  if (ifTrue instanceof Expr) {
    a = ifTrue;
    b = ifFalse instanceof Expr ? ifFalse : toConst(ifFalse, a.signed, 'mux');
  } else if (ifFalse instanceof Expr) {
    b = ifFalse;
    a = toConst(ifTrue, b.signed, 'mux');
  } else {
    const s = BigInt(ifTrue) < 0n || BigInt(ifFalse) < 0n;
    a = toConst(ifTrue, s, 'mux');
    b = toConst(ifFalse, s, 'mux');
  }
  if (a.signed !== b.signed) throw new UserError(`mux: mixes ${describe(a)} with ${describe(b)}; cast one side with .asSigned() or .asUnsigned()`);
  return new Expr(Math.max(a.width, b.width), a.signed, { kind: 'mux', cond, a, b });
}

/** A number as a minimal-width constant of the given signedness. */
export function toConst(v: number | bigint, signed: boolean, what: string): Expr {
  const b = BigInt(v);
  if (!signed && b < 0n) throw new UserError(`${what}: negative constant ${b} with an unsigned operand; cast with .asSigned() first`);
  return lit(b, minWidth(b, signed), signed);
}

/** Whether low n bits of the result depend only on the low n bits of the operands (lets trunc push inward). */
export function lowBitPreserving(e: Expr): boolean {
  const n = e.node;
  switch (n.kind) {
    case 'bin': return n.op === 'add' || n.op === 'sub' || n.op === 'mul' || n.op === 'and' || n.op === 'or' || n.op === 'xor';
    case 'un': return n.op === 'neg' || n.op === 'not';
    case 'shl': return true;
    case 'mux': return true;
    default: return false;
  }
}

/** Direct operand expressions of a node. */
export function children(e: Expr): Expr[] {
  const n = e.node;
  switch (n.kind) {
    case 'const': case 'signal': return [];
    case 'bin': return [n.a, n.b];
    case 'un': case 'slice': case 'trunc': case 'resize': case 'cast': return [n.a];
    case 'shl': case 'shr': return typeof n.by === 'number' ? [n.a] : [n.a, n.by];
    case 'cat': return n.parts;
    case 'mux': return [n.cond, n.a, n.b];
  }
}
