/**
 * `msq build`: writes one engine per weighted layer with a self-checking testbench whose golden vectors pass in
 * Icarus; bad input (configuration too big for the board, unsupported layer, bad option) is a one-line UserError
 * and leaves nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { run } from '../src/msq/cli.js';
import { UserError } from '../src/util/errors.js';
import { randomLayerModel } from '../src/msq/rtl/random-layer.js';

describe('msq build', () => {
  it('builds a layer engine whose testbench passes in Icarus; refuses bad input cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-'));
    try {
      const model = randomLayerModel(
        { op: 'conv2d', cin: 3, h: 5, w: 6, cout: 5, k: [3, 3], stride: [2, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.6,
          inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4 },
        42,
      );
      const path = join(dir, 'm.q.json');
      await writeFile(path, JSON.stringify(model));
      const out = join(dir, 'out');
      await run(['build', path, '--board', 'xc7z020', '-o', out, '--n', '2', '--pf', '2', '--ps', '2']);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { layers: Array<{ dir: string; top: string }> };
      expect(report.layers).toHaveLength(1);
      const ld = join(out, report.layers[0]!.dir);
      const vfiles = (await readdir(ld)).filter((f) => f.endsWith('.v'));
      await execa('iverilog', ['-g2005', '-o', 'tb.vvp', ...vfiles], { cwd: ld });
      const sim = await execa('vvp', ['-n', 'tb.vvp'], { cwd: ld });
      expect(sim.stdout).toMatch(/PASS/);
      expect(sim.stdout).not.toMatch(/FAIL/);

      // the same layer built kx-unrolled: packed input vectors, testbench passes too
      const outU = join(dir, 'outU');
      await run(['build', path, '--board', 'xc7z020', '-o', outU, '--n', '4', '--pf', '2', '--ps', '2', '--unroll-kx', 'layer0']);
      const ldU = join(outU, report.layers[0]!.dir);
      await execa('iverilog', ['-g2005', '-o', 'tb.vvp', ...(await readdir(ldU)).filter((f) => f.endsWith('.v'))], { cwd: ldU });
      expect((await execa('vvp', ['-n', 'tb.vvp'], { cwd: ldU })).stdout).toMatch(/PASS/);
      await expect(run(['build', path, '--board', 'xc7z020', '-o', join(dir, 'outX'), '--unroll-kx', 'nope'])).rejects.toThrow(/--unroll-kx: 'nope'/);

      // corrupt one expected beat: the testbench must say FAIL
      const exp = (await readFile(join(ld, 'expected.hex'), 'utf8')).split('\n');
      exp[0] = exp[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      await writeFile(join(ld, 'expected.hex'), exp.join('\n'));
      const bad = await execa('vvp', ['-n', 'tb.vvp'], { cwd: ld });
      expect(bad.stdout).toMatch(/FAIL/);

      // too many DSPs for the board: one-line error naming the option, no output folder
      const out2 = join(dir, 'out2');
      await expect(run(['build', path, '--board', 'xc7z020', '-o', out2, '--n', '16', '--pf', '20'])).rejects.toThrow(UserError);
      await expect(run(['build', path, '--board', 'xc7z020', '-o', out2, '--n', '16', '--pf', '20'])).rejects.toThrow(/--pf: .*DSP48E1/);
      expect(existsSync(out2)).toBe(false);
      // a layer the engine cannot run
      const pooled = { ...model, layers: [...model.layers, { name: 'pool', op: 'maxpool', input: 'layer0', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }] };
      const path2 = join(dir, 'p.q.json');
      await writeFile(path2, JSON.stringify(pooled));
      await expect(run(['build', path2, '--board', 'xc7z020', '-o', out2])).rejects.toThrow(/layers\[1\]\.op: layer 'pool' \(maxpool\)/);
      expect(existsSync(out2)).toBe(false);
      await expect(run(['build', path, '--board', 'xc7z020', '-o', out2, '--n', 'x'])).rejects.toThrow(/--n: must be a whole number/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
