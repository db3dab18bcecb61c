/**
 * A small reader of Verilog-2005 module headers: module names, port lists (ANSI and non-ANSI), widths (numbers and
 * parameter expressions with + - * / and parentheses), and which modules a module instantiates. Enough to export a
 * generated design whose folder has no design.json; not a Verilog parser.
 */
import { fail } from '../util/errors.js';

export interface VerilogPort {
  name: string;
  direction: 'input' | 'output' | 'inout';
  width: number;
}

export interface VerilogModule {
  name: string;
  file: string;
  ports: VerilogPort[];
  /** names that appear in instance position (`name [#(...)] inst (`); may include non-module words */
  instantiates: string[];
}

const KEYWORDS = new Set([
  'module', 'endmodule', 'input', 'output', 'inout', 'wire', 'reg', 'integer', 'assign', 'always', 'initial', 'begin',
  'end', 'if', 'else', 'case', 'casez', 'casex', 'endcase', 'for', 'while', 'function', 'endfunction', 'task',
  'endtask', 'generate', 'endgenerate', 'genvar', 'localparam', 'parameter', 'posedge', 'negedge', 'or', 'and', 'not',
  'signed', 'default', 'return',
]);

export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '').replace(/\(\*[\s\S]*?\*\)/g, ' ');
}

/** Evaluate an integer constant expression over numbers and known parameters. */
export function evalConst(expr: string, params: Map<string, number>, where: string): number {
  const toks = expr.match(/\d+'[sS]?[dD]\d+|\d+|[A-Za-z_]\w*|[()+\-*/]/g) ?? [];
  let i = 0;
  const bad = (): never => fail(where, `cannot evaluate width expression '${expr.trim()}': add a design.json`);
  const atom = (): number => {
    const t = toks[i++];
    if (t === undefined) return bad();
    if (t === '(') {
      const v = sum();
      if (toks[i++] !== ')') bad();
      return v;
    }
    if (t === '-') return -atom();
    if (/^\d+'/.test(t)) return Number(t.replace(/^\d+'[sS]?[dD]/, ''));
    if (/^\d+$/.test(t)) return Number(t);
    const p = params.get(t);
    return p === undefined ? bad() : p;
  };
  const prod = (): number => {
    let v = atom();
    while (toks[i] === '*' || toks[i] === '/') {
      const op = toks[i++];
      const r = atom();
      v = op === '*' ? v * r : Math.trunc(v / r);
    }
    return v;
  };
  const sum = (): number => {
    let v = prod();
    while (toks[i] === '+' || toks[i] === '-') {
      const op = toks[i++];
      const r = prod();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (i !== toks.length) bad();
  return v;
}

function rangeWidth(range: string | undefined, params: Map<string, number>, where: string): number {
  if (!range) return 1;
  const m = /^\[\s*([^:]+):([^\]]+)\]$/.exec(range.trim());
  if (!m) fail(where, `cannot read range '${range}'`);
  return Math.abs(evalConst(m[1]!, params, where) - evalConst(m[2]!, params, where)) + 1;
}

/** Port declarations in a text: `input wire signed [7:0] a, b` style (names separated by commas). */
function declarations(text: string, params: Map<string, number>, where: string): VerilogPort[] {
  const out: VerilogPort[] = [];
  const re = /\b(input|output|inout)\b\s*(?:wire|reg|logic)?\s*(?:signed\s*)?(\[[^\]]+\])?\s*([A-Za-z_]\w*(?:\s*,\s*(?!input|output|inout)[A-Za-z_]\w*)*)/g;
  for (const m of text.matchAll(re)) {
    const width = rangeWidth(m[2], params, `${where}: port ${m[3]!.split(',')[0]!.trim()}`);
    for (const n of m[3]!.split(',')) out.push({ name: n.trim(), direction: m[1] as VerilogPort['direction'], width });
  }
  return out;
}

/** Parse every module in a Verilog source. `file` is used in error messages and recorded on each module. */
export function parseVerilogModules(src: string, file: string): VerilogModule[] {
  const text = stripComments(src);
  const mods: VerilogModule[] = [];
  const re = /\bmodule\s+([A-Za-z_]\w*)\s*(#\s*\(([\s\S]*?)\)\s*)?\(([\s\S]*?)\)\s*;([\s\S]*?)\bendmodule\b/g;
  for (const m of text.matchAll(re)) {
    const name = m[1]!;
    const where = `${file} (module ${name})`;
    const params = new Map<string, number>();
    const paramText = `${m[3] ?? ''};${m[5]!}`;
    for (const pm of paramText.matchAll(/\b(?:parameter|localparam)\b\s*(?:integer\s*)?(?:\[[^\]]*\]\s*)?([A-Za-z_]\w*)\s*=\s*([^,;)]+)/g)) {
      try {
        params.set(pm[1]!, evalConst(pm[2]!, params, where));
      } catch {
        /* non-integer parameter: ignored unless a width needs it */
      }
    }
    const header = m[4]!;
    let ports = declarations(header, params, where);
    if (ports.length === 0 && header.trim() !== '') {
      // Non-ANSI: names in the header, declarations in the body.
      const names = header.split(',').map((s) => s.trim()).filter(Boolean);
      const body = declarations(m[5]!.replace(/;/g, ' ; '), params, where);
      ports = names.map((n) => {
        const d = body.find((b) => b.name === n);
        if (!d) fail(where, `port '${n}' has no input/output declaration`);
        return d;
      });
    }
    const inst = new Set<string>();
    for (const im of m[5]!.matchAll(/(?:^|;|\bend\b|\bbegin\b)\s*([A-Za-z_]\w*)\s+(?:#\s*\([\s\S]*?\)\s*)?[A-Za-z_]\w*\s*\(/g)) {
      if (!KEYWORDS.has(im[1]!)) inst.add(im[1]!);
    }
    mods.push({ name, file, ports, instantiates: [...inst] });
  }
  return mods;
}
