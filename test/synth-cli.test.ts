import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, declaredModules } from '../src/synth/cli.js';
import { main } from '../src/cli/main.js';
import { UserError } from '../src/util/errors.js';

const FIX = join(import.meta.dirname, 'fixtures', 'yosys');

async function capture(fn: () => Promise<unknown>): Promise<{ out: string; err: string; value: unknown }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const value = await fn();
    return { out: out.join(''), err: err.join(''), value };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('accelforge synth CLI', () => {
  it('finds module declarations, ignoring comments', () => {
    expect(declaredModules('// module fake\nmodule a (input wire x);\nendmodule\n/* module b */ module c; endmodule')).toEqual(['a', 'c']);
  });

  it('rejects bad input with one-line errors before running yosys', async () => {
    await expect(run([])).rejects.toThrow(/no Verilog files given/);
    await expect(run([join(FIX, 'adder32.v')])).rejects.toThrow(/--top: missing/);
    await expect(run([join(FIX, 'adder32.v'), '--top', 'nope'])).rejects.toThrow(/module 'nope' is not declared .*found: adder32/);
    await expect(run([join(FIX, 'adder32.v'), '--top', 'adder32', '--board', 'zedboard'])).rejects.toThrow(/unknown board 'zedboard'.*xc7z020 \(pynq-z2\)/);
    await expect(run(['/nonexistent/x.v', '--top', 'x'])).rejects.toThrow(UserError);
    await expect(run([join(FIX, 'mix.stat.yosys-0.55.json'), '--top', 'mix'])).rejects.toThrow(/not a Verilog file/);
    await expect(run([join(FIX, 'adder32.v'), '--top', 'adder32', '--bogus'])).rejects.toThrow(/bogus/);
    const bad = join(mkdtempSync(join(tmpdir(), 'af-synth-cli-')), 'bad-board.json');
    writeFileSync(bad, JSON.stringify({ id: 'x' }));
    await expect(run([join(FIX, 'adder32.v'), '--top', 'adder32', '--board', bad])).rejects.toThrow(/bad-board\.json: board: /);
  });

  it('through the dispatcher: exit 1 and one line on stderr for an unknown board', async () => {
    const { err, value } = await capture(() => main(['synth', join(FIX, 'adder32.v'), '--top', 'adder32', '--board', 'nope']));
    expect(value).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^accelforge: error: board: unknown board 'nope'/);
  });

  it('synthesizes a file, prints the Markdown report and writes JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-synth-cli-'));
    const json = join(dir, 'out', 'report.json');
    const netlist = join(dir, 'net.json');
    const { out, value } = await capture(() =>
      main(['synth', join(FIX, 'lut_chain.v'), '--top', 'lut_chain', '--board', 'zc706', '--json', json, '--netlist', netlist, '--no-cache']));
    expect(value).toBe(0);
    expect(out).toContain('## Synthesis: `lut_chain`');
    expect(out).toContain('board: zc706 (xc7z045ffg900-2)');
    expect(out).toMatch(/\| FFs \| 27 \| 437,200 \| <0\.1% \|/);
    expect(out).toContain('### Timing — estimate (post-synthesis, no P&R)');
    expect(out).toMatch(/logic levels: 5 \(LUT 5,/);
    expect(out).toMatch(/speed grade -2; the -1 delay model is conservative/);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as { top: string; resources: { ff: number }; timing: { levels: number }; utilization: { board: string } };
    expect(rep.top).toBe('lut_chain');
    expect(rep.resources.ff).toBe(27);
    expect(rep.timing.levels).toBe(5);
    expect(rep.utilization.board).toBe('zc706');
    expect(existsSync(netlist)).toBe(true);
    expect(Object.keys((JSON.parse(readFileSync(netlist, 'utf8')) as { modules: object }).modules)).toContain('lut_chain');
  }, 300_000);
});
