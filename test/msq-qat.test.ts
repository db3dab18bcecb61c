/**
 * scripts/qat.py: a float zoo ONNX rebuilt in torch (BN folded) and exported as a QAT ONNX whose weights the quantizer
 * keeps with exactly their codes (every filter on its trained levels, at the board's fixed:SP2 split) and whose
 * activation clips arrive as range hints. The fine-tuning itself runs in bench/msq-accuracy-free.ts; here
 * --epochs 0 (the quantized starting point, exported the same way) keeps the test fast.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/msq/onnx.js';
import { quantizeImported } from '../src/msq/cli-quantize.js';
import { fixedCount, boardRatio } from '../src/msq/scheme.js';
import { PROJECT_ROOT } from '../src/version.js';
import { expectCodesExact } from './support/qat-codes.js';
import { withTempDir } from './support/cli.js';

const PY = '/usr/bin/python3';
const torchOk = existsSync(PY) && spawnSync(PY, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;

async function checkQat(file: string): Promise<void> {
  const imp = await loadOnnx(file);
  expect(imp.bnStats.size).toBe(0);
  expect(imp.rangeHints.size).toBeGreaterThanOrEqual(3);
  const { model, report } = await quantizeImported(imp, { board: 'xc7z020', scheme: 'msq', rule: 'variance', calib: { kind: 'none' }, cle: 'off' });
  const { filters, sp2 } = expectCodesExact(imp.model, model);
  expect(sp2).toBeGreaterThan(0);
  expect(report.layers.reduce((s, l) => s + l.onLevels, 0)).toBe(filters);
  // the 4-bit layers carry the board's split
  for (const l of report.layers) if (l.weightBits === 4) expect(l.fixed).toBe(fixedCount(l.fixed + l.sp2, boardRatio('xc7z020'), l.name));
}

describe.skipIf(!torchOk)('scripts/qat.py (skipped without python3-torch / python3-onnx)', () => {
  it('writes a QAT ONNX of a residual zoo model whose codes the quantizer keeps exactly', async () => {
    await withTempDir('qat', async (dir) => {
      const out = join(dir, 'resgap-qat.onnx');
      execFileSync(PY, [join(PROJECT_ROOT, 'scripts', 'qat.py'), join(PROJECT_ROOT, 'models', 'zoo', 'resgap-fashion-mnist.onnx'), '--data', 'fashion-mnist', '--epochs', '0', '--train-n', '256', '-o', out], { stdio: 'pipe' });
      await checkQat(out);
    });
  }, 120_000);

  it('the fine-tuned QAT models of the benchmark (models/qat/) keep their codes exactly', async () => {
    const dir = join(PROJECT_ROOT, 'models', 'qat');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('-qat.onnx')) : [];
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) await checkQat(join(dir, f));
  });
});
