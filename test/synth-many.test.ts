/**
 * synthesizeMany plumbing with a fake system "yosys" (a shell script), so no real synthesis runs: results in job
 * order, progress, and a worker that dies mid-job failing only that job.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeMany, reportsOrThrow } from '../src/synth/many.js';
import { resetYosysCache } from '../src/tools/yosys.js';
import { UserError } from '../src/util/errors.js';

const saved = process.env.ACCELFORGE_YOSYS;
afterAll(() => {
  if (saved === undefined) delete process.env.ACCELFORGE_YOSYS;
  else process.env.ACCELFORGE_YOSYS = saved;
  resetYosysCache();
});

// Answers -V like yosys 0.50; otherwise "synthesizes": a design containing CRASH kills the worker that runs it,
// one containing BAD fails like a syntax error, anything else gets one LUT per source line.
const FAKE = `#!/bin/sh
if [ "$1" = "-V" ]; then echo "Yosys 0.50 (git sha1 fake)"; exit 0; fi
if grep -q CRASH src/*; then kill -9 $PPID; sleep 5; exit 1; fi
if grep -q BAD src/*; then echo "src/000_bad.v:1: ERROR: syntax error, unexpected BAD" > yosys.log; exit 1; fi
n=$(cat src/* | wc -l)
echo "{\\"design\\": {\\"num_cells_by_type\\": {\\"LUT2\\": \\"$n\\"}}}" > stat.json
echo '{"modules": {"t": {"ports": {}, "cells": {}, "netnames": {}}}}' > netlist.json
`;

describe('synthesizeMany', () => {
  it('returns results in job order, survives a dying worker, and reports user errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-many-'));
    const fake = join(dir, 'yosys');
    writeFileSync(fake, FAKE);
    chmodSync(fake, 0o755);
    process.env.ACCELFORGE_YOSYS = fake;
    resetYosysCache();
    const src = (lines: number, extra = '') => new Map([['t.v', `${'// x\n'.repeat(lines - 1)}module t; endmodule ${extra}\n`]]);
    const jobs = [
      { top: 't', name: 'one', files: src(1) },
      { top: 't', name: 'crash', files: src(2, '// CRASH') },
      { top: 't', name: 'three', files: src(3) },
      { top: 't', name: 'bad', files: new Map([['bad.v', 'BAD\n']]) },
      { top: 't', name: 'five', files: src(5) },
    ];
    const seen: string[] = [];
    const results = await synthesizeMany(jobs, { workers: 2, onProgress: (done, total, r) => seen.push(`${done}/${total}:${r.job.name}`) });
    expect(results.map((r) => r.job.name)).toEqual(['one', 'crash', 'three', 'bad', 'five']);
    expect(seen).toHaveLength(5);
    expect(seen.map((s) => s.split(':')[0])).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    const luts = results.map((r) => (r.ok ? r.report.resources.lut.total : null));
    expect(luts).toEqual([1, null, 3, null, 5]);
    const crash = results[1]!;
    expect(crash.ok).toBe(false);
    if (!crash.ok) {
      expect(crash.userError).toBe(false);
      expect(crash.error).toMatch(/synthesis worker died \(SIGKILL\)/);
    }
    const bad = results[3]!;
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.userError).toBe(true);
      expect(bad.error).toMatch(/yosys 0\.50 \(.*\): bad\.v:1: ERROR: syntax error/);
    }
    expect(results.every((r) => !r.ok || r.report.yosys.kind === 'system')).toBe(true);
    expect(() => reportsOrThrow(results)).toThrow(Error);
    expect(() => reportsOrThrow([results[3]!])).toThrow(UserError);
    expect(reportsOrThrow([results[0]!])[0]!.resources.lut.total).toBe(1);
  }, 120_000);

  it('does nothing for no jobs', async () => {
    expect(await synthesizeMany([])).toEqual([]);
  });
});
