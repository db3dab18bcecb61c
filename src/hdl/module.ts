/**
 * The module DSL: signals, continuous assigns, combinational and clocked processes, memories and submodule
 * instances. Everything here records structure and checks what can be checked at once (widths, signedness,
 * drivers); whole-module checks (loops, latches, undriven and unused signals) run in check.ts before emission.
 */
import { UserError } from '../util/errors.js';
import { Expr, checkWidth, children, lit, minWidth, type Operand } from './expr.js';
import { Memory, type MemoryOptions } from './memory.js';
import { Fsm } from './fsm.js';
import type { ClockInfo, StreamInfo } from './meta.js';

export { Memory, type MemoryOptions, type MemoryStyle, type ReadOptions } from './memory.js';
export { Fsm, namedConst } from './fsm.js';

export type SignalKind = 'input' | 'output' | 'wire' | 'reg';

/** Who drives a signal (at most one driver per signal). */
export type Driver =
  | { kind: 'assign' }
  | { kind: 'comb'; proc: Process }
  | { kind: 'sync'; proc: Process }
  | { kind: 'instance'; inst: Instance; port: string }
  | { kind: 'memory'; mem: Memory };

export interface SignalOptions {
  signed?: boolean;
}

export interface RegOptions extends SignalOptions {
  /** Value loaded by the synchronous active-high reset; `null` = no reset. Default 0. */
  reset?: number | bigint | null;
}

const VERILOG_KEYWORDS = new Set(('always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config ' +
  'deassign default defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule ' +
  'endprimitive endspecify endtable endtask event for force forever fork function generate genvar highz0 highz1 if ' +
  'ifnone incdir include initial inout input instance integer join large liblist library localparam macromodule ' +
  'medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive ' +
  'pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg release repeat rnmos ' +
  'rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam strong0 strong1 supply0 ' +
  'supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait ' +
  'wand weak0 weak1 while wire wor xnor xor bit byte int logic shortint longint string type var void static ' +
  // SystemVerilog keywords: Verilator parses .v files with them reserved (e.g. a wire named `inside` is a syntax error)
  'alias always_comb always_ff always_latch assert assume before bind bins binsof break chandle checker class ' +
  'clocking const constraint context continue cover covergroup coverpoint cross dist do endclass endclocking ' +
  'endgroup endinterface endpackage endprogram endproperty endsequence enum export extends extern final first_match ' +
  'foreach forkjoin iff ignore_bins illegal_bins import inside interface intersect join_any join_none local ' +
  'matches modport new null package packed priority program property protected pure rand randc randcase ' +
  'randsequence ref return sequence shortreal solve struct super tagged this throughout timeprecision timeunit ' +
  'typedef union unique unique0 virtual wait_order wildcard with within ' +
  'clk rst').split(' '));

/** A Verilog-safe identifier from a builder name. */
export function sanitizeName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (s === '' || /^[0-9]/.test(s)) s = `n_${s}`;
  if (VERILOG_KEYWORDS.has(s)) s = `${s}_`;
  return s;
}

/** A named signal of a module. Use it as an expression; drive it with assign, a process, an instance or a memory. */
export class Signal extends Expr {
  /** @internal */ driver: Driver | null = null;
  /** @internal */ unusedOk = false;
  /** @internal */ readonly attrs: [string, string][] = [];

  /** @internal */
  constructor(
    readonly module: Module,
    readonly name: string,
    readonly kind: SignalKind,
    width: number,
    signed: boolean,
    /** Reset value of a reg (null: no reset). */
    readonly reset: bigint | null = null,
  ) {
    super(width, signed, { kind: 'signal' });
  }

  override label(): string {
    return `${this.module.name}.${this.name}`;
  }

  /** Attach a synthesis attribute, emitted as (* key = "value" *) on the declaration. */
  attr(key: string, value: string | number = 1): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UserError(`${this.label()}: attribute name '${key}' is not an identifier`);
    if (/["\\\n]/.test(String(value))) throw new UserError(`attribute ${key}: value must not contain quotes, backslashes or newlines`);
    this.attrs.push([key, String(value)]);
    return this;
  }

  /**
   * Declare that some bits of this signal are deliberately unused. Emits a commented
   * `verilator lint_off UNUSEDSIGNAL` around this one declaration only.
   */
  markUnused(): this {
    this.unusedOk = true;
    return this;
  }
}

export type Stmt =
  | { kind: 'set'; target: Signal; value: Expr }
  | { kind: 'if'; branches: { cond: Expr; body: Stmt[] }[]; otherwise: Stmt[] | null }
  | { kind: 'switch'; sel: Expr; cases: { value: bigint; body: Stmt[] }[]; otherwise: Stmt[] | null };


export class Process {
  readonly body: Stmt[] = [];
  readonly targets: Signal[] = [];
  constructor(readonly module: Module, readonly kind: 'comb' | 'sync', readonly index: number) {}
}

/** Returned by `p.if(...)`: chain `.elif(...)` and `.else(...)`. */
export class IfChain {
  /** @internal */
  constructor(private readonly p: ProcBuilder, private readonly stmt: Extract<Stmt, { kind: 'if' }>) {}

  elif(cond: Expr, body: () => void): IfChain {
    if (this.stmt.otherwise) throw new UserError(`${this.p.where()}: elif after else`);
    this.p.checkLast(this.stmt, 'elif');
    const c = this.p.cond(cond, 'elif');
    const branch = { cond: c, body: [] as Stmt[] };
    this.stmt.branches.push(branch);
    this.p.within(branch.body, body);
    return this;
  }

  else(body: () => void): void {
    if (this.stmt.otherwise) throw new UserError(`${this.p.where()}: two else branches`);
    this.p.checkLast(this.stmt, 'else');
    this.stmt.otherwise = [];
    this.p.within(this.stmt.otherwise, body);
  }
}

/** Case bodies of `p.switch`: keys are the selector values (numbers, or bigint strings), plus optional `default`. */
export type SwitchCases = { [value: string | number]: () => void } & { default?: () => void };

/** The statement builder handed to m.comb / m.sync bodies. */
export class ProcBuilder {
  private block: Stmt[];
  private closed = false;

  /** @internal */
  constructor(private readonly proc: Process) {
    this.block = proc.body;
  }

  /** @internal */
  where(): string {
    return `module ${this.proc.module.name}: ${this.proc.kind} process #${this.proc.index}`;
  }

  /** @internal An .elif/.else must directly follow its if (no statement in between). */
  checkLast(stmt: Stmt, what: string): void {
    if (this.block[this.block.length - 1] !== stmt) {
      throw new UserError(`${this.where()}: .${what}() must be chained directly to its p.if(...) (a statement came in between)`);
    }
  }

  /** @internal */
  close(): void {
    this.closed = true;
  }

  /** @internal */
  within(block: Stmt[], body: () => void): void {
    if (this.closed) throw new UserError(`${this.where()}: statement added after the process body returned`);
    const saved = this.block;
    this.block = block;
    try {
      body();
    } finally {
      this.block = saved;
    }
  }

  /** @internal */
  cond(c: Expr, what: string): Expr {
    this.proc.module.own(c, `${this.where()}: ${what} condition`);
    if (c.width !== 1) throw new UserError(`${this.where()}: ${what} condition ${c.label()} is ${c.width} bits; conditions must be 1 bit (compare, e.g. .ne(0), or .reduceOr())`);
    return c;
  }

  /**
   * target := value. In m.comb targets are wires/outputs (blocking `=`); in m.sync targets are regs (`<=`, read
   * old values). The value may be narrower (extended per its own signedness) but never wider than the target.
   */
  set(target: Signal, value: Operand): void {
    if (this.closed) throw new UserError(`${this.where()}: set(${target.name}) after the process body returned`);
    const m = this.proc.module;
    if (target.module !== m) throw new UserError(`${this.where()}: target ${target.label()} belongs to another module`);
    if (this.proc.kind === 'comb' && target.kind !== 'wire' && target.kind !== 'output') {
      throw new UserError(`${this.where()}: ${target.kind} '${target.name}' cannot be set in a comb process; only wires and outputs (set regs in m.sync)`);
    }
    if (this.proc.kind === 'sync' && target.kind !== 'reg') {
      throw new UserError(`${this.where()}: ${target.kind} '${target.name}' cannot be set in a sync process; declare it with m.reg()`);
    }
    const v = m.coerce(target, value, this.where());
    if (!this.proc.targets.includes(target)) {
      m.claim(target, this.proc.kind === 'comb' ? { kind: 'comb', proc: this.proc } : { kind: 'sync', proc: this.proc }, this.where());
      this.proc.targets.push(target);
    }
    this.block.push({ kind: 'set', target, value: v });
  }

  /** if (cond) body; returns a chain for .elif / .else. cond must be 1 bit. */
  if(cond: Expr, body: () => void): IfChain {
    const c = this.cond(cond, 'if');
    const stmt: Extract<Stmt, { kind: 'if' }> = { kind: 'if', branches: [{ cond: c, body: [] }], otherwise: null };
    this.block.push(stmt);
    this.within(stmt.branches[0]!.body, body);
    return new IfChain(this, stmt);
  }

  /** @internal case on already-validated values (used by Fsm). */
  switchValues(sel: Expr, cases: { value: bigint; body: () => void }[], otherwise: (() => void) | undefined): void {
    this.proc.module.own(sel, `${this.where()}: switch selector`);
    const stmt: Extract<Stmt, { kind: 'switch' }> = { kind: 'switch', sel, cases: [], otherwise: null };
    this.block.push(stmt);
    for (const c of cases) {
      const entry = { value: c.value, body: [] as Stmt[] };
      stmt.cases.push(entry);
      this.within(entry.body, c.body);
    }
    if (otherwise) {
      stmt.otherwise = [];
      this.within(stmt.otherwise, otherwise);
    }
  }

  /** case (sel): one body per value, `default` for the rest. Values must fit sel's width and signedness. */
  switch(sel: Expr, cases: SwitchCases): void {
    this.proc.module.own(sel, `${this.where()}: switch selector`);
    const stmt: Extract<Stmt, { kind: 'switch' }> = { kind: 'switch', sel, cases: [], otherwise: null };
    this.block.push(stmt);
    const keys = Object.keys(cases).filter((k) => k !== 'default');
    const seen = new Set<bigint>();
    for (const k of keys) {
      let v: bigint;
      try {
        v = BigInt(k);
      } catch {
        throw new UserError(`${this.where()}: switch case '${k}' is not an integer`);
      }
      try {
        lit(v, sel.width, sel.signed);
      } catch {
        throw new UserError(`${this.where()}: switch case ${k} does not fit the ${sel.width}-bit ${sel.signed ? 'signed' : 'unsigned'} selector`);
      }
      if (seen.has(v)) throw new UserError(`${this.where()}: switch case ${k} given twice`);
      seen.add(v);
    }
    const sorted = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const v of sorted) {
      const key = keys.find((k) => BigInt(k) === v)!;
      const c = { value: v, body: [] as Stmt[] };
      stmt.cases.push(c);
      this.within(c.body, cases[key]!);
    }
    if (cases.default) {
      stmt.otherwise = [];
      this.within(stmt.otherwise, cases.default);
    }
  }
}


/** A submodule instance: child ports connected to parent expressions (inputs) or parent wires/outputs (outputs). */
export class Instance {
  /** @internal */ readonly attrs: [string, string][] = [];

  /** @internal */
  constructor(
    readonly module: Module,
    readonly child: Module,
    readonly name: string,
    readonly conns: Map<string, Expr>,
  ) {}

  /** Attach a synthesis attribute to the instance, emitted as (* key = "value" *) before it (e.g. keep_hierarchy). */
  attr(key: string, value: string | number = 1): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UserError(`instance ${this.name}: attribute name '${key}' is not an identifier`);
    if (/["\\\n]/.test(String(value))) throw new UserError(`attribute ${key}: value must not contain quotes, backslashes or newlines`);
    this.attrs.push([key, String(value)]);
    return this;
  }
}

export type Item =
  | { kind: 'assign'; target: Signal; value: Expr }
  | { kind: 'process'; proc: Process }
  | { kind: 'instance'; inst: Instance }
  | { kind: 'memory'; mem: Memory };


export interface ModuleOptions {
  /** One-line purpose, printed at the top of the header comment. */
  doc?: string;
  /** The parameters that shaped this module; hashed (configHash) and listed in the header. */
  config?: Record<string, unknown>;
}

/** A hardware module under construction. */
export class Module {
  readonly name: string;
  readonly doc: string;
  readonly config: Record<string, unknown>;
  /** @internal */ readonly signals: Signal[] = [];
  /** @internal */ readonly items: Item[] = [];
  /** @internal */ readonly memories: Memory[] = [];
  /** @internal */ readonly fsms: Fsm<string>[] = [];
  /** The AXI4-Stream bundles of this module, in declaration order (see addStream and src/hdl/lib/axis.ts). */
  readonly streams: StreamInfo[] = [];
  /** Clock and reset: the implicit `clk` and synchronous active-high `rst` (see setClock). */
  readonly clocking: ClockInfo = { clock: 'clk', reset: 'rst', resetActive: 'high', resetSync: true };
  private readonly names = new Set<string>(['clk', 'rst']);
  private procCount = 0;

  constructor(name: string, opts: ModuleOptions = {}) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || VERILOG_KEYWORDS.has(name)) {
      throw new UserError(`module name '${name}' is not a valid Verilog identifier (letters, digits, _; not a keyword)`);
    }
    this.name = name;
    this.doc = opts.doc ?? '';
    this.config = opts.config ?? {};
  }

  /** State the target clock frequency (metadata for the flows; it changes no logic). */
  setClock(opts: { freqMHz: number }): this {
    if (!(opts.freqMHz > 0) || !Number.isFinite(opts.freqMHz)) throw new UserError(`module ${this.name}: clock freqMHz ${opts.freqMHz} must be a positive number`);
    this.clocking.freqMHz = opts.freqMHz;
    return this;
  }

  /**
   * Register an AXI4-Stream bundle whose ports are already declared (axisSlave/axisMaster do this for you). Checks
   * that every port of the bundle exists with the right direction and width, and that the name is not taken.
   */
  addStream(info: StreamInfo): void {
    const where = `module ${this.name}: stream '${info.name}'`;
    if (this.streams.some((s) => s.name === info.name)) throw new UserError(`${where} is declared twice`);
    const fwd = info.dir === 'in' ? 'input' : 'output';
    const back = info.dir === 'in' ? 'output' : 'input';
    const want: [string, SignalKind, number][] = [['tdata', fwd, info.dataWidth], ['tvalid', fwd, 1], ['tready', back, 1]];
    if (info.last) want.push(['tlast', fwd, 1]);
    if (info.userWidth !== undefined) want.push(['tuser', fwd, info.userWidth]);
    if (info.keepWidth !== undefined) want.push(['tkeep', fwd, info.keepWidth]);
    for (const [suffix, kind, width] of want) {
      const s = this.signals.find((x) => x.name === `${info.name}_${suffix}`);
      if (!s) throw new UserError(`${where}: port ${info.name}_${suffix} is not declared`);
      if (s.kind !== kind || s.width !== width) throw new UserError(`${where}: port ${s.name} must be a ${width}-bit ${kind}, is a ${s.width}-bit ${s.kind}`);
    }
    this.streams.push({ ...info });
  }

  /** @internal true when `name` is already used in this module. */
  isTaken(name: string): boolean {
    return this.names.has(name);
  }

  /** @internal a unique, sanitized name */
  uniqueName(name: string): string {
    const base = sanitizeName(name);
    let n = base;
    for (let i = 2; this.names.has(n); i++) n = `${base}_${i}`;
    this.names.add(n);
    return n;
  }

  /** @internal */
  addSignal(name: string, kind: SignalKind, width: number, signed: boolean, reset: bigint | null): Signal {
    checkWidth(width, `module ${this.name}: ${kind} '${name}'`);
    const s = new Signal(this, this.uniqueName(name), kind, width, signed, reset);
    this.signals.push(s);
    return s;
  }

  input(name: string, width: number, opts: SignalOptions = {}): Signal {
    return this.addSignal(name, 'input', width, opts.signed ?? false, null);
  }

  output(name: string, width: number, opts: SignalOptions = {}): Signal {
    return this.addSignal(name, 'output', width, opts.signed ?? false, null);
  }

  wire(name: string, width: number, opts: SignalOptions = {}): Signal {
    return this.addSignal(name, 'wire', width, opts.signed ?? false, null);
  }

  /** A register on the implicit `clk`, with synchronous active-high `rst` to `reset` (default 0; null = none). */
  reg(name: string, width: number, opts: RegOptions = {}): Signal {
    const signed = opts.signed ?? false;
    let reset: bigint | null = 0n;
    if (opts.reset === null) reset = null;
    else if (opts.reset !== undefined) {
      reset = BigInt(opts.reset);
      try {
        lit(reset, width, signed);
      } catch {
        throw new UserError(`module ${this.name}: reg '${name}' reset value ${reset} does not fit ${width}-bit ${signed ? 'signed' : 'unsigned'}`);
      }
    }
    return this.addSignal(name, 'reg', width, signed, reset);
  }

  /** A state register with named states (see Fsm); reset to `reset` (default: the first state). */
  fsm<S extends string>(name: string, states: readonly S[], opts: { reset?: S } = {}): Fsm<S> {
    const f = new Fsm<S>(this, name, states, opts.reset);
    this.fsms.push(f as unknown as Fsm<string>);
    return f;
  }

  /** A wire named `name` continuously driven by `value` (same width and signedness). */
  let(name: string, value: Expr): Signal {
    const w = this.wire(name, value.width, { signed: value.signed });
    this.assign(w, value);
    return w;
  }

  /** Continuous assignment to a wire or output. */
  assign(target: Signal, value: Operand): void {
    const where = `module ${this.name}: assign ${target.name}`;
    if (target.module !== this) throw new UserError(`${where}: target belongs to module ${target.module.name}`);
    if (target.kind !== 'wire' && target.kind !== 'output') throw new UserError(`${where}: cannot assign a ${target.kind}; only wires and outputs`);
    const v = this.coerce(target, value, where);
    this.claim(target, { kind: 'assign' }, where);
    this.items.push({ kind: 'assign', target, value: v });
  }

  /** A combinational process (always @*): every target must be set on every path (set a default first). */
  comb(body: (p: ProcBuilder) => void): void {
    this.process('comb', body);
  }

  /** A clocked process (always @(posedge clk)) setting regs; regs with a reset value are reset by `rst`. */
  sync(body: (p: ProcBuilder) => void): void {
    this.process('sync', body);
  }

  private process(kind: 'comb' | 'sync', body: (p: ProcBuilder) => void): void {
    const proc = new Process(this, kind, this.procCount++);
    const p = new ProcBuilder(proc);
    body(p);
    p.close();
    this.items.push({ kind: 'process', proc });
  }

  /** A read-only memory with init data (required). */
  rom(name: string, opts: MemoryOptions): Memory {
    if (!opts.init) throw new UserError(`module ${this.name}: rom '${name}' needs init data`);
    return this.memory(name, 'rom', opts);
  }

  /** A RAM with 1 write port and 1 synchronous read port. */
  ram(name: string, opts: MemoryOptions): Memory {
    return this.memory(name, 'ram', opts);
  }

  private memory(name: string, kind: 'rom' | 'ram', opts: MemoryOptions): Memory {
    const style = opts.style ?? 'auto';
    if (!['block', 'distributed', 'auto'].includes(style)) throw new UserError(`module ${this.name}: ${kind} '${name}' style '${style}' must be block, distributed or auto`);
    const mem = new Memory(this, this.uniqueName(name), kind, opts.width, opts.depth, style, opts.init ?? null, opts.initFile ?? false, opts.signed ?? false);
    this.memories.push(mem);
    this.items.push({ kind: 'memory', mem });
    return mem;
  }

  /**
   * Instantiate `child` as `name`. Every child port must be connected exactly once: inputs to an expression of the
   * same width and signedness (a number becomes a constant of the port's width), outputs to an undriven wire or
   * output of this module with the same width and signedness. clk/rst are connected implicitly.
   */
  instance(child: Module, name: string, conns: Record<string, Operand>): Instance {
    const where = `module ${this.name}: instance ${sanitizeName(name)} of ${child.name}`;
    if (child === this) throw new UserError(`${where}: a module cannot instantiate itself`);
    const ports = child.signals.filter((s) => s.kind === 'input' || s.kind === 'output');
    for (const k of Object.keys(conns)) {
      if (!ports.some((p) => p.name === k)) {
        throw new UserError(`${where}: no port '${k}' (ports: ${ports.map((p) => p.name).join(', ')})`);
      }
    }
    // validate every connection before changing anything, so a failed call leaves the module untouched
    const map = new Map<string, Expr>();
    const outs: [Signal, string][] = [];
    for (const port of ports) {
      const c = conns[port.name];
      if (c === undefined) throw new UserError(`${where}: port '${port.name}' is not connected`);
      const pw = `${where}: port '${port.name}'`;
      if (port.kind === 'input') {
        const e = c instanceof Expr ? c : lit(BigInt(c), port.width, port.signed);
        this.own(e, pw);
        if (e.width !== port.width) throw new UserError(`${pw} is ${port.width} bits but connected to ${e.width} bits; use .resize(${port.width}) or .trunc(${port.width})`);
        if (e.signed !== port.signed) throw new UserError(`${pw} is ${port.signed ? 'signed' : 'unsigned'} but connected to ${e.signed ? 'signed' : 'unsigned'}; cast with .as${port.signed ? 'Signed' : 'Unsigned'}()`);
        map.set(port.name, e);
      } else {
        if (!(c instanceof Signal) || c.module !== this || (c.kind !== 'wire' && c.kind !== 'output')) {
          throw new UserError(`${pw} is an output: connect it to a wire or output of module ${this.name}`);
        }
        if (c.width !== port.width) throw new UserError(`${pw} is ${port.width} bits but connected to ${c.name} of ${c.width} bits; declare the wire with width ${port.width}`);
        if (c.signed !== port.signed) throw new UserError(`${pw} is ${port.signed ? 'signed' : 'unsigned'} but ${c.name} is not; declare the wire with the same signedness`);
        if (c.driver) throw new UserError(`${pw}: '${c.name}' already driven by ${describeDriver(c.driver)}; a signal has one driver`);
        if (outs.some(([s]) => s === c)) throw new UserError(`${pw}: '${c.name}' is connected to two outputs`);
        outs.push([c, port.name]);
        map.set(port.name, c);
      }
    }
    const inst = new Instance(this, child, this.uniqueName(name), map);
    for (const [c, port] of outs) this.claim(c, { kind: 'instance', inst, port }, where);
    this.items.push({ kind: 'instance', inst });
    return inst;
  }

  /** @internal Check every signal in `e` belongs to this module. */
  own(e: Expr, where: string): void {
    const stack: Expr[] = [e];
    const seen = new Set<Expr>();
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      if (x instanceof Signal && x.module !== this) {
        throw new UserError(`${where}: uses ${x.label()} of another module; connect it through a port`);
      }
      stack.push(...children(x));
    }
  }

  /** @internal Width/signedness check of an assignment; returns the value as an Expr. */
  coerce(target: { width: number; signed: boolean; label(): string }, value: Operand, where: string): Expr {
    if (!(value instanceof Expr)) {
      const v = BigInt(value);
      try {
        return lit(v, target.width, target.signed);
      } catch {
        throw new UserError(`${where}: constant ${v} does not fit ${target.label()} (${target.width}-bit ${target.signed ? 'signed' : 'unsigned'})`);
      }
    }
    this.own(value, where);
    if (value.width > target.width) {
      throw new UserError(`${where}: ${target.label()} is ${target.width} bits but the value is ${value.width} bits; say .trunc(${target.width}) or .resize(${target.width}) if that is intended`);
    }
    return value;
  }

  /** @internal Register a driver; a second driver is an error. */
  claim(target: Signal, driver: Driver, where: string): void {
    if (target.kind === 'input') throw new UserError(`${where}: input '${target.name}' cannot be driven inside its module`);
    if (target.driver) {
      throw new UserError(`${where}: '${target.name}' already driven by ${describeDriver(target.driver)}; a signal has one driver (merge the logic into one process)`);
    }
    target.driver = driver;
  }
}

export function describeDriver(d: Driver): string {
  switch (d.kind) {
    case 'assign': return 'an assign';
    case 'comb': return `comb process #${d.proc.index}`;
    case 'sync': return `sync process #${d.proc.index}`;
    case 'instance': return `instance ${d.inst.name} port ${d.port}`;
    case 'memory': return `memory ${d.mem.name}`;
  }
}

export { minWidth };
