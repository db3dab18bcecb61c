/**
 * `accelforge quantize` on a vision transformer ONNX: the I-ViT quantizer behind the CNN command (src/msq/vit/cli-quantize.ts).
 * The written model is a valid QuantModel whose golden run agrees with torch's logits on the reference images; CNN-only
 * options, --calib none and --scheme sp2 are one-line errors with nothing written; rows longer than the nonlinear
 * unit's row buffer are refused naming the layer and the limit.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';
import { loadEvalSet } from '../src/data/datasets.js';
import { argmax, prepareModel, runGolden } from '../src/msq/golden.js';
import { parseQuantModel } from '../src/msq/model.js';
import { run } from '../src/msq/cli-quantize.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { lowerVit } from '../src/msq/vit/lower.js';

const onnx = join(PROJECT_ROOT, 'models', 'vit', 'vit-fashion.op13.onnx');
const dir = mkdtempSync(join(tmpdir(), 'vit-q-'));

async function fails(args: string[]): Promise<string> {
  try {
    await run(args);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('accelforge quantize <vit.onnx>', () => {
  it('quantizes the small ViT (MSQ-4 linears) to a model the golden model runs, agreeing with torch', async () => {
    const out = join(dir, 'vit.q.json');
    await run([onnx, '--board', 'xc7z020', '--scheme', 'msq', '--calib', 'fashion-mnist', '--calib-n', '4', '-o', out]);
    const qm = parseQuantModel(JSON.parse(readFileSync(out, "utf8")));
    expect(qm.layers.some((l) => l.op === 'softmax')).toBe(true);
    const conv = qm.layers.filter((l) => l.op === 'conv2d');
    expect(conv.some((l) => l.filters.some((f) => f.scheme === 'sp2' && f.bits === 4))).toBe(true);
    const ref = JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'vit', 'vit-fashion.ref.json'), 'utf8')) as { logits: number[][] };
    const ev = loadEvalSet('fashion-mnist', undefined, ref.logits.length);
    const pm = prepareModel(qm);
    const agree = ev.images.filter((im, i) => argmax(runGolden(pm, Int32Array.from(im)).output.data) === argmax(ref.logits[i]!)).length;
    expect(agree).toBeGreaterThanOrEqual(ref.logits.length - 2);
  });

  it('refuses CNN-only options, data-free calibration and the sp2 scheme in one line, writing nothing', async () => {
    const out = join(dir, 'bad.q.json');
    const base = [onnx, '--board', 'xc7z020', '-o', out];
    expect(await fails([...base, '--calib', 'fashion-mnist', '--calib-n', '4', '--cle', 'off', '--scheme', 'fixed'])).toMatch(/^--cle: does not apply to a vision transformer/);
    expect(await fails([...base, '--calib', 'none'])).toMatch(/^--calib: a vision transformer needs calibration images/);
    expect(await fails([...base, '--calib', 'fashion-mnist', '--calib-n', '4', '--scheme', 'sp2'])).toMatch(/^--scheme: /);
    expect(existsSync(out)).toBe(false);
  });

  it('a row longer than the nonlinear unit holds is refused naming the layer and the limit', async () => {
    const out = join(dir, 'vit.q.json'); // written by the first test
    const qm = parseQuantModel(JSON.parse(readFileSync(out, "utf8")));
    const cfg = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });
    let msg = '';
    try {
      lowerVit(qm, cfg, { inBits: 16, maxLen: 32 });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^layer '[^']+': does not fit the core: rows of 64 features, the nonlinear unit's row buffer holds 32/);
    expect(msg).not.toContain('\n');
  });
});
