/**
 * Tracking metrics from their definitions (docs/ccl-track.md "Metrics").
 *
 * CLEAR MOT (Bernardin & Stiefelhagen 2008): frame by frame, a ground-truth object and a hypothesis correspond when
 * their boxes overlap with IoU ≥ threshold (0.5). Correspondences of the previous frame are kept while still valid;
 * the remaining objects and hypotheses are matched by the Hungarian method on 1 − IoU. A mismatch (identity switch)
 * is counted when an object's hypothesis differs from the one it last corresponded to. FN = unmatched objects,
 * FP = unmatched hypotheses; MOTA = 1 − (FN + FP + IDSW) / GT; MOTP = mean IoU of the correspondences.
 *
 * IDF1 (Ristani et al. 2016): one-to-one matching of whole ground-truth trajectories to hypothesis trajectories
 * maximising IDTP, the number of frames where a matched pair's boxes overlap with IoU ≥ threshold (Hungarian method
 * on −IDTP). IDF1 = 2·IDTP / (GT detections + hypothesis detections).
 */
import { assign } from './hungarian.js';
import { byFrame, iou, type GtRow } from './mot.js';

export interface MotMetrics {
  frames: number;
  gt: number;
  hyp: number;
  matches: number;
  fn: number;
  fp: number;
  idsw: number;
  mota: number;
  motp: number;
  idtp: number;
  idf1: number;
  /** Frames (1-based) and GT id of every identity switch. */
  switches: { frame: number; gtId: number; from: number; to: number }[];
  /** Every error row: the unmatched ground-truth objects (FN) and hypotheses (FP) of each frame. */
  errors: { kind: 'fn' | 'fp'; row: GtRow }[];
}

export interface MetricOptions {
  /** IoU threshold (default 0.5). */
  iou?: number;
  /** Ground-truth rows with visibility below this are ignored, with the hypotheses they match (default 0: none). */
  minVisibility?: number;
}

/** CLEAR MOT and IDF1 of hypotheses against ground truth over frames 1..n. */
export function evaluate(gtRows: readonly GtRow[], hypRows: readonly GtRow[], n: number, opts: MetricOptions = {}): MotMetrics {
  const thr = opts.iou ?? 0.5;
  const minVis = opts.minVisibility ?? 0;
  const gtF = byFrame(gtRows, n), hypF = byFrame(hypRows, n);
  let gt = 0, hyp = 0, matches = 0, fn = 0, fp = 0, idsw = 0, iouSum = 0;
  const last = new Map<number, number>(); // gt id → hyp id it last corresponded to
  const prev = new Map<number, number>(); // correspondences of the previous frame
  const switches: MotMetrics['switches'] = [];
  const errors: MotMetrics['errors'] = [];
  const pairCount = new Map<string, number>(); // IDTP candidates "g,h" → frames
  const gtCount = new Map<number, number>(), hypCount = new Map<number, number>();
  for (let f = 0; f < n; f++) {
    const ignored = new Set(gtF[f]!.filter((g) => g.visibility >= 0 && g.visibility < minVis));
    const G = gtF[f]!.filter((g) => !ignored.has(g));
    let Hs = hypF[f]!;
    if (ignored.size) Hs = Hs.filter((h) => ![...ignored].some((g) => iou(g, h) >= thr));
    gt += G.length;
    hyp += Hs.length;
    for (const g of G) gtCount.set(g.id, (gtCount.get(g.id) ?? 0) + 1);
    for (const h of Hs) hypCount.set(h.id, (hypCount.get(h.id) ?? 0) + 1);
    for (const g of G) for (const h of Hs) if (iou(g, h) >= thr) pairCount.set(`${g.id},${h.id}`, (pairCount.get(`${g.id},${h.id}`) ?? 0) + 1);

    const cur = new Map<number, GtRow>(); // gt index → hyp row
    const usedH = new Set<number>();
    G.forEach((g, i) => {
      const hid = prev.get(g.id);
      if (hid === undefined) return;
      const j = Hs.findIndex((h, jj) => h.id === hid && !usedH.has(jj));
      if (j >= 0 && iou(g, Hs[j]!) >= thr) {
        cur.set(i, Hs[j]!);
        usedH.add(j);
      }
    });
    const gi = G.map((_, i) => i).filter((i) => !cur.has(i));
    const hj = Hs.map((_, j) => j).filter((j) => !usedH.has(j));
    const pick = assign(gi.map((i) => hj.map((j) => {
      const o = iou(G[i]!, Hs[j]!);
      return o >= thr ? 1 - o : Infinity;
    })));
    gi.forEach((i, k) => {
      if (pick[k]! >= 0) {
        cur.set(i, Hs[hj[pick[k]!]!]!);
        usedH.add(hj[pick[k]!]!);
      }
    });
    prev.clear();
    for (const [i, h] of cur) {
      const g = G[i]!;
      const before = last.get(g.id);
      if (before !== undefined && before !== h.id) {
        idsw++;
        switches.push({ frame: f + 1, gtId: g.id, from: before, to: h.id });
      }
      last.set(g.id, h.id);
      prev.set(g.id, h.id);
      iouSum += iou(g, h);
    }
    G.forEach((g, i) => { if (!cur.has(i)) errors.push({ kind: 'fn', row: g }); });
    Hs.forEach((h, j) => { if (!usedH.has(j)) errors.push({ kind: 'fp', row: h }); });
    matches += cur.size;
    fn += G.length - cur.size;
    fp += Hs.length - cur.size;
  }
  const idtp = idMatch(gtCount, hypCount, pairCount);
  return {
    frames: n, gt, hyp, matches, fn, fp, idsw,
    mota: gt > 0 ? 1 - (fn + fp + idsw) / gt : 0,
    motp: matches > 0 ? iouSum / matches : 0,
    idtp,
    idf1: gt + hyp > 0 ? (2 * idtp) / (gt + hyp) : 0,
    switches,
    errors,
  };
}

/** Optimal one-to-one trajectory matching maximising Σ IDTP; returns that sum. */
function idMatch(gtCount: Map<number, number>, hypCount: Map<number, number>, pairs: Map<string, number>): number {
  const gIds = [...gtCount.keys()].sort((a, b) => a - b);
  const hIds = [...hypCount.keys()].sort((a, b) => a - b);
  const cost = gIds.map((g) => hIds.map((h) => {
    // a pair that never overlaps costs 0 (same as leaving both unmatched), so the optimum maximises Σ IDTP alone
    return -(pairs.get(`${g},${h}`) ?? 0);
  }));
  const pick = assign(cost);
  let idtp = 0;
  pick.forEach((j, i) => {
    if (j >= 0) idtp -= cost[i]![j]!;
  });
  return idtp;
}
