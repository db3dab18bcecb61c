/**
 * One descriptor layout (src/msq/core/descriptor.ts) read by the encoder (job.ts), the interpreter (interp.ts) and the
 * RTL's descriptor decode (rtl/descriptor.ts): the table equals the doc's (docs/msq-core.md "Descriptor"); on real
 * compiled jobs every field sits exactly at its table bits in the encoded words (extracted here by hand), the
 * interpreter reads it back, and the RTL's decode expressions (simulated with CycleSim on a one-item test module)
 * give each descriptor register its documented stored form. Any one of them moving a field breaks this test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CycleSim, Module } from '../src/hdl/index.js';
import { parseQuantModel } from '../src/msq/model.js';
import { DESC_WORDS, smallCoreConfig } from '../src/msq/core/config.js';
import { compileModel, type CompiledJob } from '../src/msq/core/compile.js';
import { DESCRIPTOR } from '../src/msq/core/descriptor.js';
import { decodeProgram } from '../src/msq/core/interp.js';
import { descriptorWords, encodeProgram, OP_CODE, type JobSpec } from '../src/msq/core/job.js';
import { descriptorDecode, descriptorWidths, FIELD_NAMES } from '../src/msq/core/rtl/descriptor.js';
import { abits, coreShape } from '../src/msq/core/rtl/shape.js';
import { PROJECT_ROOT } from '../src/version.js';
import { randomLayerModel, type RandomLayerSpec } from './support/random-layer.js';

const cfg = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });

function jobs(): CompiledJob[] {
  const mnist = parseQuantModel(JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'), 'utf8')));
  const base: RandomLayerSpec = { op: 'conv2d', cin: 5, h: 7, w: 6, cout: 7, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.5, inBits: 8, inSigned: true, outBits: 6, outSigned: true, fixedBits: 8, sp2Bits: 4 };
  const models = [
    mnist,
    randomLayerModel({ ...base, stride: [2, 2], pad: [2, 0, 1, 3], cin: 19, cout: 37, h: 20, w: 9 }, 3),
    randomLayerModel({ ...base, sp2Fraction: 0, fixedBits: 4, k: [5, 3], pad: [2, 1, 2, 1] }, 4),
    randomLayerModel({ ...base, op: 'linear', cin: 70, h: 1, w: 1, cout: 23 }, 5),
  ];
  return models.flatMap((m) => compileModel(m, cfg).jobs);
}

/** A JobSpec field as the descriptor holds it (op as its code, flags as 0 / 1). */
function specValue(s: JobSpec, name: (typeof DESCRIPTOR)[number]['name']): number {
  const v = name === 'op' ? OP_CODE[s.op] : s[name];
  return typeof v === 'boolean' ? Number(v) : (v ?? 0);
}

describe('one descriptor layout', () => {
  const all = jobs();

  it('the table is the doc\'s table, fields do not overlap, words 18..23 are reserved', () => {
    const md = readFileSync(join(PROJECT_ROOT, 'docs', 'msq-core.md'), 'utf8');
    const section = md.slice(md.indexOf('### Descriptor'), md.indexOf('Every product the RTL'));
    const doc: { name: string; word: number; lo: number; bits: number }[] = [];
    for (const row of section.split('\n')) {
      const m = /^\| (\d+) \| ([\d: /]+) \| (.+) \|$/.exec(row);
      if (!m) continue;
      const bits = m[2]!.trim().split(' / ');
      const names = m[3]!.split(' / ').slice(0, bits.length).map((p) => /`(\w+)`/.exec(p)![1]!);
      bits.forEach((b, i) => {
        const [hi, lo] = b.includes(':') ? b.split(':').map(Number) : [Number(b), Number(b)];
        doc.push({ name: names[i]!, word: Number(m[1]), lo: lo!, bits: hi! - lo! + 1 });
      });
    }
    expect(doc).toEqual(DESCRIPTOR.map(({ name, word, lo, bits }) => ({ name, word, lo, bits })));
    const used = new Set<string>();
    for (const x of DESCRIPTOR) {
      expect(x.lo + x.bits).toBeLessThanOrEqual(32);
      for (let b = x.lo; b < x.lo + x.bits; b++) {
        expect(used.has(`${x.word}.${b}`), `${x.name} overlaps`).toBe(false);
        used.add(`${x.word}.${b}`);
      }
    }
    expect(Math.max(...DESCRIPTOR.map((x) => x.word))).toBe(17);
  });

  it('encoder: every field of real jobs at its table bits, nothing else set; the interpreter reads each back', () => {
    expect(all.length).toBeGreaterThan(12);
    expect(all.some((j) => j.spec.residual) && all.some((j) => j.spec.lo < 0) && all.some((j) => j.spec.op === 'maxpool')).toBe(true);
    for (const j of all) {
      const w = descriptorWords(j.spec);
      expect(w.length).toBe(DESC_WORDS);
      const left = w.map((x) => BigInt(x));
      for (const x of DESCRIPTOR) {
        const mask = (1n << BigInt(x.bits)) - 1n;
        const raw = (BigInt(w[x.word]!) >> BigInt(x.lo)) & mask;
        const v = x.signed && raw >= 1n << BigInt(x.bits - 1) ? Number(raw) - 2 ** x.bits : Number(raw);
        expect(v, `${j.spec.name}.${x.name}`).toBe(specValue(j.spec, x.name));
        left[x.word] = left[x.word]! & ~(mask << BigInt(x.lo));
      }
      expect(left.every((x) => x === 0n), `${j.spec.name}: bits outside the table`).toBe(true);
      const d = decodeProgram(cfg, encodeProgram(cfg, j.spec)).desc;
      for (const x of DESCRIPTOR) expect(Number(d[x.name]), `interp ${j.spec.name}.${x.name}`).toBe(specValue(j.spec, x.name));
    }
  });

  it('RTL decode: each descriptor register gets its stored form from the encoded item', () => {
    const S = coreShape(cfg);
    const PB = abits(Math.max(cfg.maxPasses, cfg.cDepth / cfg.N));
    const widths = descriptorWidths({ cfg, S, PB });
    const m = new Module('desc_decode_test');
    const item = m.input('item', 32);
    const dec = descriptorDecode(item);
    const outs = new Map<string, { word: number; sig: ReturnType<Module['output']> }>();
    for (const f of FIELD_NAMES) {
      const d = dec[f];
      if (!d) continue;
      const [w, signed] = widths[f];
      const o = m.output(`f_${f}`, w, { signed });
      m.assign(o, d.value(w));
      outs.set(f, { word: d.word, sig: o });
    }
    expect(outs.size).toBe(FIELD_NAMES.length - 1); // every register but `start` (derived by the loader)
    const sim = new CycleSim(m);
    const wrap = (v: number, w: number): bigint => BigInt.asUintN(w, BigInt(v));
    for (const j of all) {
      const s = j.spec;
      const expected: Record<string, number> = {
        op: OP_CODE[s.op], actSigned: +s.actSigned, fixed4: +s.fixed4, residual: +s.residual, resSigned: +s.resSigned,
        inH: s.inH, inW: s.inW, outHM1: s.outH - 1, outWM1: s.outW - 1, khM1: s.kh - 1, kwM1: s.kw - 1,
        sh: s.sh, sw: s.sw, padT: s.padT, padL: s.padL, cg: s.cinGroups, cgM1: s.cinGroups - 1, passesM1: s.passes - 1,
        stepsM1: s.steps - 1, pcM1: s.passCycles - 1, cout: s.cout, coutGroupsM1: s.coutGroups - 1,
        wplM1: s.wordsPerLane - 1, actWordsM1: s.actWords - 1, rowStride: s.rowStride, rowStrideM1: s.rowStride - 1,
        rowStep: s.rowStep, colStep: s.colStep, lo: s.lo, hi: s.hi, addLo: s.addLo, addHi: s.addHi, Ma: s.Ma, Mb: s.Mb, addS: s.addS,
        lut: +(s.lut ?? false), poolAcc: +(s.poolAcc ?? false), noSp2: +(s.noSp2 ?? false),
      };
      const words = descriptorWords(s);
      for (const [f, o] of outs) {
        sim.poke(item, words[o.word]!);
        const [w] = widths[f as keyof typeof widths];
        expect(BigInt.asUintN(w, sim.peek(o.sig)), `${s.name}.${f}`).toBe(wrap(expected[f]!, w));
      }
    }
  });
});
