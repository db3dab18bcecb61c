/**
 * Pixel classifier of the multi-class CCL core (combinational): P rgb24 pixels → one foreground word per class
 * (`px_fg<k>`, classes.ts `inClass`) and the shared histogram bins; it also fans the pixel stream's handshake out
 * to the K channels: `s_tready` = every channel ready, `ch_valid` = s_tvalid && s_tready (each channel's ready
 * depends only on its registers, so all K accept the same word in the same clock).
 *
 * RGB classes are three range tests. HSV classes (classes.ts convention) are tested without a divider:
 * V = max; S = ⌊255·d/max⌋ ≥ lo ⇔ 255·d ≥ lo·max and ≤ hi ⇔ 255·d < (hi+1)·max (d = max − min); the hue offset
 * f = ⌊60·num/d⌋ ∈ −60..60 of the pixel's sector (num = G−B, B−R or R−G for a largest R, G or B) lies in a
 * generation-time interval [a, b] ⇔ 60·t ≥ (a+60)·d and 60·t < (b+61)·d with t = num + d ≥ 0; the hue range,
 * wrapping or not, becomes up to two such intervals per sector; d = 0 (gray) has H = 0.
 */
import { Module, Expr, lit, cat, mux } from '../../hdl/index.js';
import type { ColorClass } from '../classes.js';
import type { CclRtlParams } from './params.js';
import { binPorts, driveBins, rgbBox } from './decode.js';

const TRUE = (): Expr => lit(1, 1);
const and = (xs: Expr[]): Expr => (xs.length ? xs.reduce((a, b) => a.and(b)) : TRUE());
const or = (xs: Expr[]): Expr => (xs.length ? xs.reduce((a, b) => a.or(b)) : lit(0, 1));

/** Is hue h (0..359) in the class's hue range (wrapping when lo > hi)? */
function hueIn(c: ColorClass, h: number): boolean {
  return c.lo[0] <= c.hi[0] ? h >= c.lo[0] && h <= c.hi[0] : h >= c.lo[0] || h <= c.hi[0];
}

/** The intervals of f ∈ −60..60 whose hue base + f (mod 360) is in the class's range. */
export function hueIntervals(c: ColorClass, base: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let f = -60; f <= 60; f++) {
    if (!hueIn(c, (base + f + 360) % 360)) continue;
    const last = out[out.length - 1];
    if (last && last[1] === f - 1) last[1] = f;
    else out.push([f, f]);
  }
  return out;
}

function hsvTest(c: ColorClass, pix: Expr): Expr {
  const r = pix.slice(7, 0), g = pix.slice(15, 8), b = pix.slice(23, 16);
  const isR = r.ge(g).and(r.ge(b));
  const isG = isR.not().and(g.ge(b));
  const mx = mux(isR, r, mux(isG, g, b));
  const mn = mux(r.le(g).and(r.le(b)), r, mux(g.le(b), g, b));
  const d = mx.sub(mn).trunc(8); // max ≥ min
  const tests: Expr[] = [];
  const [, sLo, vLo] = c.lo, [, sHi, vHi] = c.hi;
  if (vLo > 0) tests.push(mx.ge(lit(vLo, 8)));
  if (vHi < 255) tests.push(mx.le(lit(vHi, 8)));
  const d255 = d.mul(lit(255, 8)); // 16 bits
  if (sLo > 0) tests.push(mx.ne(0).and(d255.ge(mx.mul(lit(sLo, 8)))));
  if (sHi < 255) tests.push(mx.eq(0).or(d255.lt(mx.mul(lit(sHi + 1, 9)))));
  const full = c.lo[0] === 0 && c.hi[0] === 359;
  if (!full) {
    // t = num + d per sector: R: g + d − b, G: b + d − r, B: r + d − g (each in 0..2d)
    const t = (p: Expr, q: Expr): Expr => p.add(d).sub(q).trunc(9);
    const sectors: Array<[Expr, Expr, number]> = [[isR, t(g, b), 0], [isG, t(b, r), 120], [isR.not().and(isG.not()), t(r, g), 240]];
    const t60 = (e: Expr): Expr => e.mul(lit(60, 6)); // ≤ 60·510 < 2^15
    const hue = sectors.map(([sel, tv, base]) => {
      const iv = hueIntervals(c, base).map(([a, bb]) => and([
        ...(a > -60 ? [t60(tv).ge(d.mul(lit(a + 60, 7)))] : []),
        ...(bb < 60 ? [t60(tv).lt(d.mul(lit(bb + 61, 7)))] : []),
      ]));
      return sel.and(or(iv));
    });
    tests.push(mux(d.eq(0), lit(hueIn(c, 0) ? 1 : 0, 1), or(hue)));
  }
  return and(tests);
}

/** Is the pixel in class c? */
export function classTest(c: ColorClass, pix: Expr): Expr {
  return c.space === 'rgb' ? rgbBox(pix, c.lo, c.hi) : hsvTest(c, pix);
}

/**
 * `masks`: the pixels come from the lookup-table stage (classifier-lut.ts m_cls: {pixels, masks}, pixel j's class
 * mask in bits Kj+K−1..Kj, the pixels above) instead of the raw stream, and class k's foreground is bit k of each
 * pixel's mask rather than a test of the class's range.
 */
export function buildCclClassify(p: CclRtlParams, classes: readonly ColorClass[], opts: { masks?: boolean } = {}): Module {
  const K = classes.length, KP = opts.masks ? K * p.P : 0;
  const m = new Module(`${p.name}_classify${opts.masks ? '_lut' : ''}`, {
    doc: opts.masks
      ? `CCL class fan-out: ${K} class masks from the lookup-table stage over ${p.P} rgb24 pixels, handshake fan-out`
      : `CCL pixel classifier: ${K} colour classes over ${p.P} rgb24 pixels, handshake fan-out`,
    config: Object.fromEntries(classes.map((c, k) => [`class${k}`, `${c.name} ${opts.masks ? 'lut' : `${c.space} ${c.lo.join(',')}..${c.hi.join(',')}`}`])),
  });
  const data = m.input('s_tdata', p.inWidth + KP);
  const sValid = m.input('s_tvalid', 1);
  const chReady = m.input('ch_ready', K);
  const sReady = m.output('s_tready', 1);
  const chValid = m.output('ch_valid', 1);
  const fg = classes.map((_, k) => m.output(`px_fg${k}`, p.P));
  const bins = binPorts(m, p, 'output');
  const pixels = Array.from({ length: p.P }, (_, i) => data.slice(KP + (i + 1) * p.PB - 1, KP + i * p.PB));
  data.markUnused(); // classes with full-range channels and no histogram leave pixel bits unread
  const all = m.let('ch_all_ready', chReady.reduceAnd());
  m.assign(sReady, all);
  m.assign(chValid, sValid.and(all));
  classes.forEach((c, k) => {
    const bit = (pix: Expr, j: number): Expr => (opts.masks ? data.bit(j * K + k) : classTest(c, pix));
    m.assign(fg[k]!, cat(...pixels.map(bit).reverse()));
  });
  driveBins(m, p, pixels, bins);
  return m;
}
