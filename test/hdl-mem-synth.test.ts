/**
 * Memories: the emitted RAM/ROM pattern is what yosys maps to block RAM (RAMB18E1/RAMB36E1) with style 'block' and
 * to LUTRAM (RAM) / LUTs (ROM) with style 'distributed' (synth_xilinx -family xc7 in the embedded yosys, run up to and
 * including memory mapping). One module holds all four memories so the test costs one (partial) synthesis run.
 */
import { describe, expect, it } from 'vitest';
import { Module, emitVerilog, type Signal } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';

function build(): Module {
  const m = new Module('mem_styles');
  const wa = m.input('waddr', 6);
  const ra = m.input('raddr', 6);
  const we = m.input('we', 1);
  const wd = m.input('wdata', 16);
  const q: Signal[] = [];
  for (const style of ['block', 'distributed'] as const) {
    const ram = m.ram(`ram_${style}`, { width: 16, depth: 64, style });
    ram.write(we, wa, wd);
    q.push(ram.read(ra, { en: we.not() }));
    const rom = m.rom(`rom_${style}`, { width: 16, depth: 64, style, init: Array.from({ length: 64 }, (_, i) => (i * 40503) % 65536) });
    q.push(rom.read(ra.xor(wa), { en: we }));
  }
  q.forEach((s, i) => m.assign(m.output(`q${i}`, 16), s));
  return m;
}

async function cells(m: Module): Promise<Record<string, number>> {
  const { runYosys } = await import('@yowasp/yosys');
  const files = emitVerilog(m);
  let log = '';
  try {
    await runYosys(['-p', `read_verilog ${m.name}.v; synth_xilinx -family xc7 -noiopad -top ${m.name} -run begin:map_ffram; stat`], Object.fromEntries(files), {
      stdout: (b: Uint8Array | null) => { if (b) log += Buffer.from(b).toString(); },
      stderr: (b: Uint8Array | null) => { if (b) log += Buffer.from(b).toString(); },
    });
  } catch {
    throw new Error(`yosys failed on ${m.name}: ${log.split('\n').slice(-15).join('\n')}`);
  }
  const out: Record<string, number> = {};
  const stat = log.slice(log.lastIndexOf('Number of cells'));
  for (const c of stat.matchAll(/^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$/gm)) out[c[1]!] = Number(c[2]);
  for (const c of stat.matchAll(/^\s+(\d+)\s+(\$?[A-Za-z_][\w$]*)\s*$/gm)) out[c[2]!] = Number(c[1]);
  return out;
}

const sum = (c: Record<string, number>, re: RegExp) => Object.entries(c).filter(([k]) => re.test(k)).reduce((s, [, v]) => s + v, 0);

describe('hdl memories map to the requested primitive', () => {
  it('block RAM + block ROM -> 2 RAMB; distributed RAM -> LUTRAM; lints clean', async () => {
    const m = build();
    await lintVerilog(emitVerilog(m), m.name);
    const c = await cells(m);
    expect(sum(c, /^RAMB18E1$|^RAMB36E1$/)).toBe(2);
    expect(sum(c, /^RAM(32|64|128|256)X1[SD]$|^RAM(32|64)M$/)).toBeGreaterThan(0);
  });
});
