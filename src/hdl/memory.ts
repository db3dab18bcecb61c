/**
 * Memories of the module DSL: a ROM or a simple dual-port RAM (1 write port, registered synchronous read ports).
 */
import { UserError } from '../util/errors.js';
import { Expr, checkWidth, lit, type Operand } from './expr.js';
import type { Module, Signal } from './module.js';
export type MemoryStyle = 'block' | 'distributed' | 'auto';

export interface MemoryOptions {
  width: number;
  depth: number;
  /** 'block' → BRAM, 'distributed' → LUTRAM, 'auto' → let yosys choose (no attribute). Default 'auto'. */
  style?: MemoryStyle;
  /** Initial contents (ROM: required), at most `depth` words; missing words are 0. */
  init?: readonly (number | bigint)[];
  /** Emit the contents as a `$readmemh` file (<module>_<memory>.hex) instead of an inline initial block. */
  initFile?: boolean;
  /** Read data is signed. */
  signed?: boolean;
}

export interface ReadOptions {
  /** Read enable (1 bit); when low the read data register holds. */
  en?: Expr;
  /** Name of the read-data register (default <memory>_rdata). */
  name?: string;
}

/** A ROM or a simple dual-port RAM (1 write port, synchronous read ports with a registered output). */
export class Memory {
  /** @internal */ readonly reads: { addr: Expr; en: Expr | null; data: Signal }[] = [];
  /** @internal */ write_: { en: Expr; addr: Expr; data: Expr } | null = null;
  /** @internal */ readonly attrs: [string, string][] = [];
  readonly addrWidth: number;
  readonly init: bigint[] | null;

  /** @internal */
  constructor(
    readonly module: Module,
    readonly name: string,
    readonly kind: 'rom' | 'ram',
    readonly width: number,
    readonly depth: number,
    readonly style: MemoryStyle,
    init: readonly (number | bigint)[] | null,
    readonly initFile: boolean,
    readonly signed: boolean,
  ) {
    const where = `module ${module.name}: ${kind} '${name}'`;
    checkWidth(width, where);
    if (!Number.isInteger(depth) || depth < 2 || depth > 1 << 24) throw new UserError(`${where}: depth ${depth} must be an integer in 2..16777216`);
    this.addrWidth = Math.ceil(Math.log2(depth));
    if (init) {
      if (init.length > depth) throw new UserError(`${where}: init has ${init.length} words but depth is ${depth}`);
      this.init = init.map((v, i) => {
        const b = BigInt(v);
        const lo = signed ? -(1n << BigInt(width - 1)) : 0n;
        const hi = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
        if (b < lo || b > hi) throw new UserError(`${where}: init[${i}] = ${b} does not fit ${width}-bit ${signed ? 'signed' : 'unsigned'} words`);
        return b;
      });
    } else {
      this.init = null;
    }
  }

  private where(): string {
    return `module ${this.module.name}: ${this.kind} '${this.name}'`;
  }

  /** Attach a synthesis attribute to the memory array (ram_style/rom_style come from `style`). */
  attr(key: string, value: string | number = 1): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UserError(`${this.where()}: attribute name '${key}' is not an identifier`);
    if (/["\\\n]/.test(String(value))) throw new UserError(`attribute ${key}: value must not contain quotes, backslashes or newlines`);
    this.attrs.push([key, String(value)]);
    return this;
  }

  private addr(a: Operand, what: string): Expr {
    const e = a instanceof Expr ? a : lit(BigInt(a), this.addrWidth);
    this.module.own(e, `${this.where()}: ${what}`);
    if (e.signed) throw new UserError(`${this.where()}: ${what} must be unsigned; use .asUnsigned()`);
    if (e.width > this.addrWidth) throw new UserError(`${this.where()}: ${what} is ${e.width} bits but depth ${this.depth} needs ${this.addrWidth}; use .trunc(${this.addrWidth})`);
    return e.resize(this.addrWidth);
  }

  /**
   * A synchronous read port: returns the register holding mem[addr] one clock after (read-before-write when the
   * RAM writes the same address in that cycle). ROMs allow 2 read ports, RAMs 1. Reads past `depth` are undefined.
   */
  read(addr: Operand, opts: ReadOptions = {}): Signal {
    const max = this.kind === 'rom' ? 2 : 1;
    if (this.reads.length >= max) throw new UserError(`${this.where()}: at most ${max} read port(s)`);
    const a = this.addr(addr, 'read address');
    let en: Expr | null = null;
    if (opts.en) {
      this.module.own(opts.en, `${this.where()}: read enable`);
      if (opts.en.width !== 1) throw new UserError(`${this.where()}: read enable must be 1 bit`);
      en = opts.en;
    }
    const data = this.module.addSignal(opts.name ?? `${this.name.replace(/_$/, '')}_rdata${this.reads.length ? this.reads.length + 1 : ''}`, 'reg', this.width, this.signed, null);
    data.driver = { kind: 'memory', mem: this };
    this.reads.push({ addr: a, en, data });
    return data;
  }

  /** The RAM write port: mem[addr] <= data on the clock edge when en is high. */
  write(en: Expr, addr: Operand, data: Operand): void {
    if (this.kind === 'rom') throw new UserError(`${this.where()}: a ROM cannot be written`);
    if (this.write_) throw new UserError(`${this.where()}: only one write port`);
    this.module.own(en, `${this.where()}: write enable`);
    if (en.width !== 1) throw new UserError(`${this.where()}: write enable must be 1 bit`);
    const a = this.addr(addr, 'write address');
    const target = { width: this.width, signed: this.signed, label: () => `${this.module.name}.${this.name}` };
    const d = this.module.coerce(target, data, `${this.where()}: write data`);
    this.write_ = { en, addr: a, data: d };
  }
}
