/**
 * Verilog-2005 emitter. Each operator is emitted with every operand explicitly extended (or cut) to the operator's
 * width, so Verilog's context-determined sizing can never differ from the builder's width rules; sub-expressions
 * that Verilog cannot slice or size are materialized into named wires of exact width. The emitter also records
 * which bits of each signal the text references: unused bits are a build error (Verilator -Wall would warn).
 */
import { UserError } from '../util/errors.js';
import { canonicalJson, configHash } from '../util/hash.js';
import { GENERATOR_VERSION } from '../version.js';
import { checkModule, signalsOf } from './check.js';
import { evalExpr } from './eval.js';
import { lowBitPreserving, wrap, type Expr } from './expr.js';
import { Signal, type Memory, type Module, type Stmt } from './module.js';
import { makeNeeds } from './meta.js';

/** A named value the text can select bits of: a builder signal or an emitter temporary. */
interface Named {
  name: string;
  width: number;
  signed: boolean;
  used: boolean[];
}

interface Temp extends Named {
  rhs: string;
}

type Atom =
  | { k: 'const'; bits: bigint; width: number; signed: boolean; name?: string }
  | { k: 'sel'; base: Named; hi: number; lo: number; signed: boolean };

function range(width: number): string {
  return width === 1 ? '' : `[${width - 1}:0] `;
}

/** A sized Verilog literal of exactly `width` bits. */
export function constText(bits: bigint, width: number, signed: boolean): string {
  const u = wrap(bits, width, false);
  if (width === 1) return signed ? `1'sb${u}` : `1'b${u}`;
  if (!signed) return u < 1n << 32n ? `${width}'d${u}` : `${width}'h${u.toString(16)}`;
  const v = wrap(bits, width, true);
  if (v >= 0n) return v < 1n << 32n ? `${width}'sd${v}` : `${width}'sh${u.toString(16)}`;
  if (v > -(1n << BigInt(width - 1)) && -v < 1n << 32n) return `(-${width}'sd${-v})`;
  return `${width}'sh${u.toString(16)}`;
}

const OPS: Record<string, string> = {
  add: '+', sub: '-', mul: '*', and: '&', or: '|', xor: '^', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=',
};

class ModuleEmitter {
  private readonly named = new Map<Signal, Named>();
  private readonly temps: Temp[] = [];
  private readonly memo = new Map<Expr, Map<number, Temp>>();
  private readonly taken = new Set<string>();
  private pending: Temp[] = [];
  private tempCount = 0;
  private marks = 0;
  private readonly params = new Set<string>();
  /** Body chunks: text lines, or temps (rendered at the end, when their bit usage is known). */
  private readonly body: (string | Temp)[] = [];
  readonly files = new Map<string, string>();

  constructor(readonly m: Module, private readonly needs: (m: Module) => { clk: boolean; rst: boolean }) {
    for (const s of m.signals) {
      this.named.set(s, { name: s.name, width: s.width, signed: s.signed, used: new Array<boolean>(s.width).fill(false) });
      this.taken.add(s.name);
    }
    for (const mem of m.memories) this.taken.add(mem.name);
    for (const it of m.items) if (it.kind === 'instance') this.taken.add(it.inst.name);
    this.taken.add('clk');
    this.taken.add('rst');
  }

  // ---- atoms and operands -------------------------------------------------------------------------------------

  private sig(s: Signal): Named {
    return this.named.get(s)!;
  }

  private mark(b: Named, hi: number, lo: number): void {
    this.marks++;
    for (let i = lo; i <= hi; i++) b.used[i] = true;
  }

  /** Bits [hi:lo] of b as text (no cast). */
  private selRaw(a: Extract<Atom, { k: 'sel' }>): string {
    this.mark(a.base, a.hi, a.lo);
    if (a.lo === 0 && a.hi === a.base.width - 1) return a.base.name;
    return a.hi === a.lo ? `${a.base.name}[${a.hi}]` : `${a.base.name}[${a.hi}:${a.lo}]`;
  }

  private atomText(a: Atom): string {
    if (a.k === 'const') {
      if (a.name) {
        this.params.add(a.name);
        this.marks++;
        return a.name;
      }
      return constText(a.bits, a.width, a.signed);
    }
    const raw = this.selRaw(a);
    const full = a.lo === 0 && a.hi === a.base.width - 1;
    const natural = full ? a.base.signed : false;
    if (a.signed === natural) return raw;
    return a.signed ? `$signed(${raw})` : `$unsigned(${raw})`;
  }

  /** Text of atom `a` resized to w bits per a's signedness (Verilog self-determined width exactly w). */
  private ext(a: Atom, w: number): string {
    if (a.k === 'const') {
      if (w === a.width) return this.atomText(a);
      const v = a.signed ? wrap(a.bits, a.width, true) : a.bits;
      return constText(v, w, a.signed);
    }
    const aw = a.hi - a.lo + 1;
    if (w <= aw) return this.atomText({ ...a, hi: a.lo + w - 1 });
    const k = w - aw;
    const raw = this.selRaw(a);
    if (!a.signed) return `{${k}'d0, ${raw}}`;
    const msb = this.selRaw({ ...a, lo: a.hi });
    return `$signed({${k === 1 ? msb : `{${k}{${msb}}}`}, ${raw}})`;
  }

  /** The low d bits of e (d <= e.width), as a constant or a bit-select of a named value; signedness of e. */
  private atom(e: Expr, d: number): Atom {
    const n = e.node;
    switch (n.kind) {
      case 'const': {
        const a: Atom = { k: 'const', bits: wrap(n.value, d, false), width: d, signed: e.signed };
        if (n.name && d === e.width) a.name = n.name;
        return a;
      }
      case 'signal': return { k: 'sel', base: this.sig(e as Signal), hi: d - 1, lo: 0, signed: e.signed };
      case 'slice': {
        const x = this.atom(n.a, n.lo + d);
        if (x.k === 'const') return { k: 'const', bits: x.bits >> BigInt(n.lo), width: d, signed: false };
        return { k: 'sel', base: x.base, hi: x.lo + n.lo + d - 1, lo: x.lo + n.lo, signed: false };
      }
      case 'trunc': return this.atom(n.a, d);
      case 'resize':
        if (d <= n.a.width) return this.atom(n.a, d);
        return this.full(this.materialize(e, d));
      case 'cast': {
        const a = { ...this.atom(n.a, d), signed: e.signed };
        if (a.k === 'const') delete a.name; // a localparam keeps its own signedness: print the literal instead
        return a;
      }
      case 'cat': {
        const last = n.parts[n.parts.length - 1]!;
        if (d <= last.width) return { ...this.atom(last, d), signed: false };
        return this.full(this.materialize(e, d));
      }
      default:
        if (lowBitPreserving(e) || d === e.width) return this.full(this.materialize(e, d));
        return { k: 'sel', base: this.materialize(e, e.width), hi: d - 1, lo: 0, signed: e.signed };
    }
  }

  private full(t: Named): Atom {
    return { k: 'sel', base: t, hi: t.width - 1, lo: 0, signed: t.signed };
  }

  /** e resized to w bits (per e's signedness) as an operand text of self-determined width w. */
  private operand(e: Expr, w: number): string {
    if (w <= e.width) return this.atomText(this.atom(e, w));
    return this.ext(this.atom(e, e.width), w);
  }

  private materialize(e: Expr, w: number): Temp {
    let byW = this.memo.get(e);
    if (!byW) this.memo.set(e, (byW = new Map()));
    const hit = byW.get(w);
    if (hit) return hit;
    const n = e.node;
    const op = n.kind === 'bin' || n.kind === 'un' ? n.op : n.kind;
    let name: string;
    do name = `${op.replace(/^reduce/, 'red').toLowerCase()}_t${this.tempCount++}`; while (this.taken.has(name));
    this.taken.add(name);
    const t: Temp = { name, width: w, signed: e.signed, used: new Array<boolean>(w).fill(false), rhs: '' };
    byW.set(w, t);
    t.rhs = this.opText(e, w);
    this.temps.push(t);
    this.pending.push(t);
    return t;
  }

  /** Text computing e at width w: w <= e.width for low-bit-preserving operators, w = e.width otherwise. */
  private opText(e: Expr, w: number): string {
    const n = e.node;
    switch (n.kind) {
      case 'bin': {
        const o = OPS[n.op]!;
        if (e.width === 1 && !['and', 'or', 'xor'].includes(n.op)) {
          const m = Math.max(n.a.width, n.b.width);
          // unsigned x < 0 / x >= 0 built from constant sub-trees: fold (Verilator warns UNSIGNED on the literal form)
          const zero = (x: Expr): boolean => signalsOf(x).size === 0 && evalExpr(x, new Map()) === 0n;
          if (!n.a.signed && ((['lt', 'ge'].includes(n.op) && zero(n.b)) || (['gt', 'le'].includes(n.op) && zero(n.a)))) {
            return constText(n.op === 'ge' || n.op === 'le' ? 1n : 0n, 1, false);
          }
          return `${this.operand(n.a, m)} ${o} ${this.operand(n.b, m)}`;
        }
        return `${this.operand(n.a, w)} ${o} ${this.operand(n.b, w)}`;
      }
      case 'un':
        switch (n.op) {
          case 'neg': {
            const t = this.operand(n.a, w);
            return t.startsWith('-') ? `-(${t})` : `-${t}`;
          }
          case 'not': return `~${this.operand(n.a, w)}`;
          case 'reduceAnd': return `&${this.operand(n.a, n.a.width)}`;
          case 'reduceOr': return `|${this.operand(n.a, n.a.width)}`;
          case 'reduceXor': return `^${this.operand(n.a, n.a.width)}`;
        }
        break;
      case 'shl':
        if (typeof n.by === 'number') {
          if (n.by === 0) return this.operand(n.a, w);
          if (w <= n.by) return constText(0n, w, e.signed);
          const t = `{${this.operand(n.a, w - n.by)}, ${n.by}'d0}`;
          return e.signed ? `$signed(${t})` : t;
        }
        return `${this.operand(n.a, w)} ${e.signed ? '<<<' : '<<'} ${this.operand(n.by, n.by.width)}`;
      case 'shr':
        if (typeof n.by === 'number') {
          if (n.by === 0) return this.operand(n.a, w);
          if (n.by >= w) {
            if (!e.signed) return constText(0n, w, false);
            const msb = this.atom(n.a.bit(n.a.width - 1), 1);
            return `$signed({${w}{${this.atomText(msb)}}})`;
          }
          return `${this.operand(n.a, w)} ${e.signed ? '>>>' : '>>'} ${n.by}`;
        }
        return `${this.operand(n.a, w)} ${e.signed ? '>>>' : '>>'} ${this.operand(n.by, n.by.width)}`;
      case 'mux':
        return `${this.operand(n.cond, 1)} ? ${this.operand(n.a, w)} : ${this.operand(n.b, w)}`;
      case 'cat': {
        const texts: string[] = [];
        let left = w;
        for (let i = n.parts.length - 1; i >= 0 && left > 0; i--) {
          const p = n.parts[i]!;
          const take = Math.min(left, p.width);
          const a = this.atom(p, take);
          texts.unshift(a.k === 'sel' ? this.selRaw(a) : constText(a.bits, take, false));
          left -= take;
        }
        const groups: [string, number][] = [];
        for (const t of texts) {
          const g = groups[groups.length - 1];
          if (g && g[0] === t) g[1]++;
          else groups.push([t, 1]);
        }
        if (groups.length === 1 && groups[0]![1] > 1) return `{${groups[0]![1]}{${groups[0]![0]}}}`;
        return `{${groups.map(([t, c]) => (c > 1 ? `{${c}{${t}}}` : t)).join(', ')}}`;
      }
      case 'resize':
        if (w > n.a.width) return this.ext(this.atom(n.a, n.a.width), w);
        return this.atomText(this.atom(n.a, w));
      default:
        return this.atomText(this.atom(e, w));
    }
    throw new Error('unreachable');
  }

  /** Text of e for a target of width w >= e.width (extended per e's signedness). */
  private rhs(e: Expr, w: number): string {
    if (w > e.width) return this.operand(e, w);
    return this.demand(e, w);
  }

  /** e's low w bits, inline where Verilog sizes the operator to exactly w. */
  private demand(e: Expr, w: number): string {
    const n = e.node;
    switch (n.kind) {
      case 'trunc': return this.demand(n.a, w);
      case 'resize': return w <= n.a.width ? this.demand(n.a, w) : this.opText(e, w);
      case 'bin': case 'un': case 'shl': case 'shr': case 'mux':
        if (lowBitPreserving(e) || w === e.width) return this.opText(e, w);
        return this.atomText(this.atom(e, w));
      case 'cat': return w === e.width ? this.opText(e, w) : this.atomText(this.atom(e, w));
      default: return this.atomText(this.atom(e, w));
    }
  }

  // ---- items ------------------------------------------------------------------------------------------------

  private flushTemps(): void {
    for (const t of this.pending) this.body.push(t);
    this.pending = [];
  }

  /** Emit `make()`'s lines after the temporaries they need. */
  private item(make: () => string[]): void {
    const lines = make();
    this.flushTemps();
    for (const l of lines) this.body.push(l);
    this.body.push('');
  }

  private stmts(body: Stmt[], ind: string, op: '=' | '<=', out: string[]): void {
    for (const s of body) {
      if (s.kind === 'set') {
        out.push(`${ind}${s.target.name} ${op} ${this.rhs(s.value, s.target.width)};`);
      } else if (s.kind === 'if') {
        let open = false;
        let taken = false;
        for (const b of s.branches) {
          const c = this.rhs(b.cond, 1);
          if (c === "1'b0") continue; // constant conditions: emit only the live branches
          if (c === "1'b1") {
            if (open) out.push(`${ind}end else begin`);
            this.stmts(b.body, open ? `${ind}  ` : ind, op, out);
            taken = true;
            break;
          }
          out.push(`${ind}${open ? 'end else ' : ''}if (${c}) begin`);
          this.stmts(b.body, `${ind}  `, op, out);
          open = true;
        }
        if (!taken && s.otherwise && s.otherwise.length) {
          if (open) out.push(`${ind}end else begin`);
          this.stmts(s.otherwise, open ? `${ind}  ` : ind, op, out);
        }
        if (open) out.push(`${ind}end`);
      } else {
        out.push(`${ind}case (${this.operand(s.sel, s.sel.width)})`);
        const fsm = this.m.fsms.find((f) => f.state === s.sel);
        for (const c of s.cases) {
          let label = constText(c.value, s.sel.width, s.sel.signed);
          if (fsm) {
            const code = fsm.codes.get(fsm.states[Number(c.value)]!)!;
            label = this.atomText(this.atom(code, code.width));
          }
          out.push(`${ind}  ${label}: begin`);
          this.stmts(c.body, `${ind}    `, op, out);
          out.push(`${ind}  end`);
        }
        const full = s.sel.width < 31 && s.cases.length === 2 ** s.sel.width;
        if (s.otherwise && s.otherwise.length) {
          out.push(`${ind}  default: begin`);
          this.stmts(s.otherwise, `${ind}    `, op, out);
          out.push(`${ind}  end`);
        } else if (!full) {
          out.push(`${ind}  default: begin`, `${ind}  end`);
        }
        out.push(`${ind}endcase`);
      }
    }
  }

  private memory(mem: Memory, base: string): string[] {
    const lines: string[] = [];
    if (mem.init) {
      if (mem.initFile) {
        const file = `${base}_${mem.name}.hex`;
        const digits = Math.ceil(mem.width / 4);
        const words = Array.from({ length: mem.depth }, (_, i) => wrap(mem.init![i] ?? 0n, mem.width, false).toString(16).padStart(digits, '0'));
        this.files.set(file, `${words.join('\n')}\n`);
        lines.push('initial begin', `  $readmemh("${file}", ${mem.name});`, 'end');
      } else {
        lines.push('initial begin');
        for (let i = 0; i < mem.depth; i++) {
          lines.push(`  ${mem.name}[${i}] = ${constText(wrap(mem.init[i] ?? 0n, mem.width, false), mem.width, false)};`);
        }
        lines.push('end');
      }
    }
    if (mem.write_) {
      const w = mem.write_;
      lines.push('always @(posedge clk) begin');
      lines.push(`  if (${this.rhs(w.en, 1)}) begin`);
      lines.push(`    ${mem.name}[${this.operand(w.addr, mem.addrWidth)}] <= ${this.rhs(w.data, mem.width)};`);
      lines.push('  end', 'end');
    }
    for (const r of mem.reads) {
      lines.push('always @(posedge clk) begin');
      const rd = `${r.data.name} <= ${mem.name}[${this.operand(r.addr, mem.addrWidth)}];`;
      if (r.en) lines.push(`  if (${this.rhs(r.en, 1)}) begin`, `    ${rd}`, '  end');
      else lines.push(`  ${rd}`);
      lines.push('end');
    }
    return lines;
  }

  // ---- module -----------------------------------------------------------------------------------------------

  emit(): string {
    const m = this.m;
    const needs = this.needs(m);
    for (const it of m.items) {
      if (it.kind === 'assign') {
        this.item(() => [`assign ${it.target.name} = ${this.rhs(it.value, it.target.width)};`]);
      } else if (it.kind === 'process') {
        const p = it.proc;
        this.item(() => {
          const out: string[] = [];
          if (p.kind === 'comb') {
            out.push('always @* begin');
            const before = this.marks;
            this.stmts(p.body, '  ', '=', out);
            if (this.marks === before) {
              throw new UserError(`module ${m.name}: comb process #${p.index} reads no signal (its outputs are constants; an always @* would never trigger in simulation); use m.assign(${p.targets[0]?.name ?? 'target'}, value)`);
            }
          } else {
            out.push('always @(posedge clk) begin');
            this.stmts(p.body, '  ', '<=', out);
            const rs = p.targets.filter((t) => t.reset !== null);
            if (rs.length) {
              out.push('  if (rst) begin');
              for (const t of rs) out.push(`    ${t.name} <= ${constText(t.reset!, t.width, t.signed)};`);
              out.push('  end');
            }
          }
          out.push('end');
          return out;
        });
      } else if (it.kind === 'memory') {
        this.item(() => this.memory(it.mem, m.name));
      } else {
        const inst = it.inst;
        this.item(() => {
          const cn = this.needs(inst.child);
          const conns: string[] = [];
          if (cn.clk) conns.push('.clk(clk)');
          if (cn.rst) conns.push('.rst(rst)');
          for (const port of inst.child.signals) {
            if (port.kind !== 'input' && port.kind !== 'output') continue;
            const e = inst.conns.get(port.name)!;
            if (port.kind === 'input') conns.push(`.${port.name}(${this.operand(e, port.width)})`);
            else conns.push(`.${port.name}(${(e as Signal).name})`);
          }
          return [...inst.attrs.map(([k, v]) => `(* ${k} = "${v}" *)`), `${inst.child.name} ${inst.name} (`, ...conns.map((c, i) => `  ${c}${i < conns.length - 1 ? ',' : ''}`), ');'];
        });
      }
    }
    this.checkUnused();

    // ---- assemble
    const out: string[] = [];
    const cfg = Object.keys(m.config).sort().map((k) => `${k}=${canonicalJson(m.config[k])}`);
    out.push(`// ${m.name}${m.doc ? `: ${m.doc}` : ''}`);
    out.push(`// Generated by accelforge ${GENERATOR_VERSION} (src/hdl). Do not edit; regenerate instead.`);
    out.push(`// Config hash: ${configHash(m.config)}`);
    if (cfg.length) out.push(`// Parameters: ${cfg.join(', ')}`);
    out.push('`default_nettype none', '');
    const combDriven = (s: Signal): boolean => s.driver?.kind === 'comb';
    const ports: string[][] = [];
    if (needs.clk) ports.push(['input  wire clk']);
    if (needs.rst) ports.push(['input  wire rst']);
    for (const s of m.signals) {
      if (s.kind === 'input') ports.push(this.decl(s, `input  wire ${s.signed ? 'signed ' : ''}${range(s.width)}${s.name}`));
      else if (s.kind === 'output') ports.push(this.decl(s, `output ${combDriven(s) ? 'reg ' : 'wire'} ${s.signed ? 'signed ' : ''}${range(s.width)}${s.name}`));
    }
    if (ports.length === 0) out.push(`module ${m.name};`);
    else {
      out.push(`module ${m.name} (`);
      ports.forEach((p, i) => {
        const last = i === ports.length - 1;
        const lines = [...p];
        // the port line is the first one not a comment/attribute
        const at = lines.findIndex((l) => !l.startsWith('/*') && !l.startsWith('(*'));
        if (!last) lines[at] = `${lines[at]},`;
        for (const l of lines) out.push(`  ${l}`);
      });
      out.push(');');
    }
    out.push('');
    let any = false;
    for (const s of m.signals) {
      if (s.kind === 'input' || s.kind === 'output') continue;
      const kw = s.kind === 'reg' || combDriven(s) ? 'reg ' : 'wire';
      for (const l of this.decl(s, `${kw} ${s.signed ? 'signed ' : ''}${range(s.width)}${s.name};`)) out.push(l);
      any = true;
    }
    for (const mem of m.memories) {
      const attrs: [string, string][] = [];
      // a ROM cannot live in LUTRAM (no write port): yosys maps 'distributed' ROMs with rom_style = "logic" (LUTs)
      if (mem.style !== 'auto') attrs.push(mem.kind === 'rom' ? ['rom_style', mem.style === 'block' ? 'block' : 'logic'] : ['ram_style', mem.style]);
      attrs.push(...mem.attrs);
      for (const [k, v] of attrs) out.push(`(* ${k} = "${v}" *)`);
      out.push(`reg ${mem.signed ? 'signed ' : ''}${range(mem.width)}${mem.name} [0:${mem.depth - 1}];`);
      any = true;
    }
    if (any) out.push('');
    const params: string[] = [];
    for (const f of m.fsms) {
      for (const code of f.codes.values()) {
        const n = code.node;
        if (n.kind === 'const' && n.name && this.params.has(n.name)) {
          params.push(`localparam ${range(code.width)}${n.name} = ${constText(n.value, code.width, false)};`);
        }
      }
    }
    if (params.length) out.push(...params, '');
    for (const c of this.body) {
      if (typeof c === 'string') {
        out.push(c);
        continue;
      }
      const unused = c.used.map((u, i) => (u ? -1 : i)).filter((i) => i >= 0);
      const declLine = `wire ${c.signed ? 'signed ' : ''}${range(c.width)}${c.name} = ${c.rhs};`;
      if (unused.length) {
        out.push(`/* verilator lint_off UNUSEDSIGNAL */ // bits ${bitList(unused)} deliberately unused: the builder selects only part of this expression`);
        out.push(declLine);
        out.push('/* verilator lint_on UNUSEDSIGNAL */');
      } else {
        out.push(declLine);
      }
    }
    while (out[out.length - 1] === '') out.pop();
    out.push('', 'endmodule', '', '`default_nettype wire', '');
    return out.join('\n');
  }

  /** Declaration lines of a signal: attributes, and the markUnused lint wrapper when needed. */
  private decl(s: Signal, line: string): string[] {
    const lines: string[] = [];
    const n = this.sig(s);
    const unused = s.kind !== 'output' && n.used.some((u) => !u);
    for (const [k, v] of s.attrs) lines.push(`(* ${k} = "${v}" *)`);
    if (unused && s.unusedOk) {
      lines.unshift('/* verilator lint_off UNUSEDSIGNAL */ // deliberately unused (markUnused)');
      lines.push(line, '/* verilator lint_on UNUSEDSIGNAL */');
    } else {
      lines.push(line);
    }
    return lines;
  }

  private checkUnused(): void {
    for (const s of this.m.signals) {
      if (s.kind === 'output' || s.unusedOk) continue;
      const n = this.sig(s);
      const unused = n.used.map((u, i) => (u ? -1 : i)).filter((i) => i >= 0);
      if (unused.length === 0) continue;
      const what = unused.length === s.width ? 'is never used' : `bits ${bitList(unused)} are never used`;
      throw new UserError(`module ${this.m.name}: ${s.kind} '${s.name}' ${what}; use them or call ${s.name}.markUnused()`);
    }
  }
}

function bitList(bits: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < bits.length) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === bits[j]! + 1) j++;
    parts.push(i === j ? `[${bits[i]}]` : `[${bits[j]}:${bits[i]}]`);
    i = j + 1;
  }
  return parts.reverse().join(', ');
}

/** Verilog text of one module (no submodules), plus any memory files it needs. Runs checkModule first. */
export function emitModule(m: Module): { text: string; files: Map<string, string> } {
  checkModule(m);
  const e = new ModuleEmitter(m, makeNeeds());
  const text = e.emit();
  return { text, files: e.files };
}

/** Verilog for `top` and every submodule: Map<fileName, text> (<module>.v, plus <module>_<memory>.hex files). */
export function emitVerilog(top: Module): Map<string, string> {
  const files = new Map<string, string>();
  const needs = makeNeeds();
  const order: Module[] = [];
  const visit = (m: Module, stack: Module[]): void => {
    if (stack.includes(m)) throw new UserError(`module ${m.name}: instantiates itself through ${stack.map((s) => s.name).join(' -> ')}`);
    if (order.includes(m)) return;
    for (const it of m.items) if (it.kind === 'instance') visit(it.inst.child, [...stack, m]);
    order.push(m);
  };
  visit(top, []);
  const byName = new Map<string, string>();
  for (const m of [top, ...order.filter((x) => x !== top)]) {
    checkModule(m);
    const e = new ModuleEmitter(m, needs);
    const text = e.emit();
    const prev = byName.get(m.name);
    if (prev !== undefined) {
      if (prev !== text) throw new UserError(`module name '${m.name}' is used by two different modules; include the distinguishing parameters in the name`);
      continue;
    }
    byName.set(m.name, text);
    files.set(`${m.name}.v`, text);
    for (const [k, v] of e.files) files.set(k, v);
  }
  return files;
}
