/**
 * Helpers for the hdl tests: a seeded PRNG and a runner that simulates a Verilog testbench with Icarus and with
 * Verilator (--binary --timing), returning the text the testbench wrote to out.txt.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** Small deterministic PRNG (xorshift128+ style on bigint-free 32-bit ops). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  bits(width: number): bigint {
    let v = 0n;
    for (let i = 0; i < width; i += 32) v = (v << 32n) | BigInt(this.u32());
    return v & ((1n << BigInt(width)) - 1n);
  }
}

export type Simulator = 'icarus' | 'verilator';

/** Run testbench module `tb` (in files) with one simulator in a temp dir holding `data` files; returns out.txt. */
export async function simulate(sim: Simulator, files: Map<string, string>, data: Map<string, string>, tb = 'tb'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `accelforge-hdl-${sim}-`));
  try {
    for (const [k, v] of [...files, ...data]) await writeFile(join(dir, k), v);
    const vfiles = [...files.keys()].filter((f) => f.endsWith('.v')).sort();
    if (sim === 'icarus') {
      await execa('iverilog', ['-g2005', '-s', tb, '-o', 'sim.vvp', ...vfiles], { cwd: dir });
      await execa('vvp', ['-n', 'sim.vvp'], { cwd: dir });
    } else {
      await execa('verilator', ['--binary', '--timing', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--top-module', tb, '-o', 'simv',
        '-CFLAGS', '-O0', ...vfiles], { cwd: dir });
      await execa(join(dir, 'obj_dir', 'simv'), [], { cwd: dir });
    }
    return await readFile(join(dir, 'out.txt'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
