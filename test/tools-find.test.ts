/**
 * The tool runner (src/tools/find.ts): version parsing, the minimum-version check on fake binaries, a missing tool
 * as a one-line error naming it and the apt-get command (from the API, from the simulation harness and from
 * `accelforge doctor`), and the real tools of this machine found with their versions.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findTool, parseVersion, probeTool, requireTool, resetTools, runTool, versionAtLeast } from '../src/tools/find.js';
import { runStreams } from '../src/sim/index.js';
import { macDesign } from '../src/sim/example-mac.js';
import { UserError } from '../src/util/errors.js';
import { runCli, withTempDir } from './support/cli.js';

const fake = (dir: string, name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\necho "${text}"\n`);
  chmodSync(p, 0o755);
  return p;
};

afterEach(() => {
  delete process.env.ACCELFORGE_VERILATOR;
  delete process.env.ACCELFORGE_IVERILOG;
  resetTools();
});

describe('tool runner', () => {
  it('parses versions and compares them', () => {
    expect(parseVersion('5.006')).toEqual([5, 6]);
    expect(parseVersion('0.45+148')).toEqual([0, 45]);
    expect(parseVersion('stable')).toBeUndefined();
    expect(versionAtLeast([5, 6], [5, 0])).toBe(true);
    expect(versionAtLeast([4, 228], [5, 0])).toBe(false);
    expect(versionAtLeast([0, 39], [0, 40])).toBe(false);
  });

  it('reads the version line of each tool and refuses one older than its minimum', async () => {
    await withTempDir('tools', async (dir) => {
      const v = await probeTool('verilator', fake(dir, 'verilator', 'Verilator 5.020 2024-01-01 rev v5.020'));
      expect(v).toMatchObject({ ok: true, tool: { version: '5.020', line: 'Verilator 5.020 2024-01-01 rev v5.020' } });
      expect(await probeTool('verilator', fake(dir, 'old', 'Verilator 4.038 2020-07-11'))).toEqual({ ok: false, reason: expect.stringMatching(/is verilator 4\.038, older than 5\.0$/) });
      expect(await probeTool('iverilog', fake(dir, 'iv', 'Icarus Verilog version 12.0 (stable) ()'))).toMatchObject({ ok: true, tool: { version: '12.0' } });
      expect(await probeTool('iverilog', fake(dir, 'junk', 'hello'))).toEqual({ ok: false, reason: expect.stringMatching(/printed no iverilog version/) });
      expect(await probeTool('verilator', join(dir, 'nope'))).toEqual({ ok: false, reason: `verilator not found (${join(dir, 'nope')})` });
    });
  });

  it('a missing tool is one line naming it and the apt-get command, from requireTool, runTool and the harness', async () => {
    process.env.ACCELFORGE_VERILATOR = '/nonexistent/verilator';
    resetTools();
    const e = await requireTool('verilator').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toBe("verilator not found (/nonexistent/verilator): verilator is needed for lint and fast simulation; install it with 'apt-get install -y verilator' (or run 'npm run setup' as root)");
    await expect(runTool('verilator', ['--version'])).rejects.toThrow(/^verilator not found .*apt-get install -y verilator/);
    await expect(runStreams(macDesign(4, 12), { inputs: { x: [] }, expect: { y: 0 }, constValues: { init: 0n } })).rejects.toMatchObject({ kind: 'tool', message: expect.stringMatching(/^verilator not found .*'apt-get install -y verilator'/) });
    expect(await findTool('verilator')).toBeUndefined();
  });

  it('finds the real verilator, iverilog, vvp and tclsh of this machine', async () => {
    for (const name of ['verilator', 'iverilog', 'vvp', 'tclsh'] as const) {
      const t = await requireTool(name);
      expect(t.path.startsWith('/')).toBe(true);
      expect(parseVersion(t.version)).toBeDefined();
    }
    const r = await runTool('tclsh', [], { input: 'puts [expr {6 * 7}]\n' });
    expect(r).toMatchObject({ exitCode: 0, stdout: '42' });
  });

  it('accelforge doctor lists the tools and fails with one line when a simulator is missing', async () => {
    const ok = await runCli(['doctor']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^verilator +Verilator \d+\.\d+/m);
    expect(ok.stdout).toMatch(/^yosys used +yosys \d+\.\d+/m);
    const bad = await runCli(['doctor'], { env: { ACCELFORGE_IVERILOG: '/nonexistent/iverilog' } });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout).toMatch(/^iverilog +NOT FOUND: iverilog not found \(\/nonexistent\/iverilog\)/m);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/iverilog not found: run 'apt-get update && apt-get install -y iverilog'/);
  });
});
