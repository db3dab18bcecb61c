/**
 * The two GEMM cores of the MSQ engine and their lanes.
 *
 *  fixedLane: N two's-complement weights x N activations per clock on N multipliers that map to DSP48E1
 *             (`use_dsp = "yes"`), registered like the DSP's A/B, M and P registers, then a registered adder tree
 *             and an accumulator.
 *  sp2Lane:   N SP2 codes x N activations per clock: each code decodes to a sign and up to two shift amounts,
 *             a*w = ±((a << s1) + (a << s2)), built from multiplexers and adders (`use_dsp = "no"`), then the same
 *             adder tree and accumulator.
 *  fixedCore / sp2Core: P lanes sharing the activation word, plus the control delay line that tells the
 *             accumulators when to start (first step of a pass) and when a pass is done.
 *
 * Both lanes have the same latency: 3 register stages to the product, ceil(log2 N) tree stages, 1 accumulator
 * stage. `laneLatency(N)` is used by the cycle model.
 */
import { clog2, lit, sext, zext } from './verilog.js';

export interface LaneWidths {
  N: number;
  /** activation width as stored (bits of the stream) */
  actBits: number;
  actSigned: boolean;
  /** accumulator width */
  accBits: number;
}

/** Adder-tree depth for N products. */
export function treeDepth(N: number): number {
  return N <= 1 ? 0 : clog2(N);
}

/** Cycles from a lane's inputs being presented to the final tree node holding their sum (3 product stages + tree). */
export function laneLatency(N: number): number {
  return 3 + treeDepth(N);
}

/** Extended (always signed) activation width: unsigned activations get a 0 sign bit. */
export function actExt(w: LaneWidths): number {
  return w.actBits + (w.actSigned ? 0 : 1);
}

function actSlice(w: LaneWidths, n: number): string {
  const hiBit = (n + 1) * w.actBits - 1;
  const s = `act[${hiBit}:${n * w.actBits}]`;
  return w.actSigned ? s : `{1'b0, ${s}}`;
}

/** Registered adder tree over `terms` (each `width` bits signed) -> returns lines and the final node name/width. */
function adderTree(prefix: string, terms: string[], width: number): { lines: string[]; decl: string[]; out: string; outWidth: number } {
  const lines: string[] = [];
  const decl: string[] = [];
  let level = terms;
  let w = width;
  let depth = 0;
  while (level.length > 1) {
    depth++;
    const next: string[] = [];
    const nw = w + 1;
    for (let i = 0; i < level.length; i += 2) {
      const name = `${prefix}t${depth}_${i / 2}`;
      decl.push(`  reg signed [${nw - 1}:0] ${name};`);
      if (i + 1 < level.length) {
        lines.push(`    ${name} <= ${sext(level[i]!, w, nw)} + ${sext(level[i + 1]!, w, nw)};`);
      } else {
        lines.push(`    ${name} <= ${sext(level[i]!, w, nw)};`);
      }
      next.push(name);
    }
    level = next;
    w = nw;
  }
  return { lines, decl, out: level[0]!, outWidth: w };
}

/** The accumulator: `acc <= first ? sum : acc + sum` when enabled. */
function accumulator(sum: string, sumWidth: number, accBits: number): string[] {
  if (accBits < sumWidth) throw new Error(`accumulator ${accBits} bits narrower than the tree sum ${sumWidth}`);
  const s = sext(sum, sumWidth, accBits);
  return [
    '  always @(posedge clk) begin',
    '    if (acc_en) begin',
    `      if (acc_first) acc <= ${s};`,
    `      else acc <= acc + ${s};`,
    '    end',
    '  end',
  ];
}

/** fixedLane module text. */
export function fixedLaneModule(name: string, w: LaneWidths, weightBits: number): string {
  const { N } = w;
  const ae = actExt(w);
  const pw = ae + weightBits;
  const decl: string[] = [];
  const seq: string[] = [];
  const prods: string[] = [];
  for (let n = 0; n < N; n++) {
    decl.push(`  reg signed [${ae - 1}:0] a_q_${n};`);
    decl.push(`  reg signed [${weightBits - 1}:0] w_q_${n};`);
    decl.push(`  (* use_dsp = "yes" *) reg signed [${pw - 1}:0] m_q_${n};`);
    decl.push(`  reg signed [${pw - 1}:0] p_q_${n};`);
    seq.push(`    a_q_${n} <= ${actSlice(w, n)};`);
    seq.push(`    w_q_${n} <= wgt[${(n + 1) * weightBits - 1}:${n * weightBits}];`);
    seq.push(`    m_q_${n} <= $signed(${sext(`a_q_${n}`, ae, pw)}) * $signed(${sext(`w_q_${n}`, weightBits, pw)});`);
    seq.push(`    p_q_${n} <= m_q_${n};`);
    prods.push(`p_q_${n}`);
  }
  const tree = adderTree('', prods, pw);
  return [
    `// fixedLane: ${N} multipliers (DSP48E1) + registered adder tree + accumulator.`,
    `(* use_dsp = "yes" *)`,
    `module ${name} (`,
    '  input wire clk,',
    `  input wire [${N * w.actBits - 1}:0] act,`,
    `  input wire [${N * weightBits - 1}:0] wgt,`,
    '  input wire acc_en,',
    '  input wire acc_first,',
    `  output reg signed [${w.accBits - 1}:0] acc`,
    ');',
    ...decl,
    ...tree.decl,
    '  always @(posedge clk) begin',
    ...seq,
    ...tree.lines,
    '  end',
    ...accumulator(tree.out, tree.outWidth, w.accBits),
    'endmodule',
  ].join('\n');
}

/**
 * fixedLanePair (`--dsp-pack 2`): two fixed filters share each DSP48E1. For activation a and weights wa, wb:
 *   P = a * (wa + wb * 2^K),  K = ae + wbits - 1 (guard: |a * wa| < 2^(K-1), fixed codes are in [-Q, Q])
 *   a * wa = P[K-1:0] as a signed K-bit number (exact),  a * wb = (P >>> K) + P[K-1] (floor correction, exact).
 * The packed weight is formed in the lane (one adder per product), so the weight ROM is unchanged.
 */
export function fixedLanePairModule(name: string, w: LaneWidths, weightBits: number): string {
  const { N } = w;
  const ae = actExt(w);
  const K = ae + weightBits - 1;
  const cw = weightBits + K; // packed weight width
  const mw = ae + cw; // packed product width
  const pw = ae + weightBits; // single product width (as in fixedLane)
  const decl: string[] = [];
  const seq: string[] = [];
  const prodsA: string[] = [];
  const prodsB: string[] = [];
  for (let n = 0; n < N; n++) {
    const wa = `wgt_a[${(n + 1) * weightBits - 1}:${n * weightBits}]`;
    const wb = `wgt_b[${(n + 1) * weightBits - 1}:${n * weightBits}]`;
    decl.push(`  reg signed [${ae - 1}:0] a_q_${n};`);
    decl.push(`  reg signed [${cw - 1}:0] c_q_${n};`);
    decl.push(`  (* use_dsp = "yes" *) reg signed [${mw - 1}:0] m_q_${n};`);
    decl.push(`  reg signed [${pw - 1}:0] pa_q_${n}, pb_q_${n};`);
    decl.push(`  wire signed [${pw - 1}:0] hi_${n} = m_q_${n}[${mw - 1}:${K}];`);
    seq.push(`    a_q_${n} <= ${actSlice(w, n)};`);
    seq.push(`    c_q_${n} <= {${wb}, ${lit(K, 0)}} + {{${cw - weightBits}{wgt_a[${(n + 1) * weightBits - 1}]}}, ${wa}};`);
    seq.push(`    m_q_${n} <= $signed(${sext(`a_q_${n}`, ae, mw)}) * $signed(${sext(`c_q_${n}`, cw, mw)});`);
    seq.push(`    pa_q_${n} <= {{${pw - K}{m_q_${n}[${K - 1}]}}, m_q_${n}[${K - 1}:0]};`);
    seq.push(`    pb_q_${n} <= hi_${n} + ${zext(`m_q_${n}[${K - 1}]`, 1, pw)};`);
    prodsA.push(`pa_q_${n}`);
    prodsB.push(`pb_q_${n}`);
  }
  if (mw - K !== pw) throw new Error(`fixedLanePair: high part ${mw - K} bits != product ${pw} bits`);
  const ta = adderTree('a_', prodsA, pw);
  const tb = adderTree('b_', prodsB, pw);
  const accA = accumulator(ta.out, ta.outWidth, w.accBits).map((l) => l.replace(/\bacc\b/g, 'acc_a'));
  const accB = accumulator(tb.out, tb.outWidth, w.accBits).map((l) => l.replace(/\bacc\b/g, 'acc_b'));
  return [
    `// fixedLanePair: two fixed filters on ${N} DSP48E1 (packed weights wa + wb * 2^${K}) + two adder trees and accumulators.`,
    `(* use_dsp = "yes" *)`,
    `module ${name} (`,
    '  input wire clk,',
    `  input wire [${N * w.actBits - 1}:0] act,`,
    `  input wire [${N * weightBits - 1}:0] wgt_a,`,
    `  input wire [${N * weightBits - 1}:0] wgt_b,`,
    '  input wire acc_en,',
    '  input wire acc_first,',
    `  output reg signed [${w.accBits - 1}:0] acc_a,`,
    `  output reg signed [${w.accBits - 1}:0] acc_b`,
    ');',
    ...decl,
    ...ta.decl,
    ...tb.decl,
    '  always @(posedge clk) begin',
    ...seq,
    ...ta.lines,
    ...tb.lines,
    '  end',
    ...accA,
    ...accB,
    'endmodule',
  ].join('\n');
}

/** sp2Lane module text: m-bit codes [sign | e1 (m1) | e2 (m2)], shift s = P - e = ~e in m1 bits (P = 2^m1 - 1). */
export function sp2LaneModule(name: string, w: LaneWidths, m: number, m1: number, m2: number, P: number): string {
  const { N } = w;
  const ae = actExt(w);
  const tw = ae + P - 1; // one shifted term: |a| << (P-1) at most
  const pw = ae + P + 1; // ±(t1 + t2)
  const decl: string[] = [];
  const seq: string[] = [];
  const comb: string[] = [];
  const prods: string[] = [];
  for (let n = 0; n < N; n++) {
    const base = n * m;
    decl.push(`  reg signed [${ae - 1}:0] a_q_${n};`);
    decl.push(`  reg neg_q_${n}, neg2_q_${n}, en1_q_${n}, en2_q_${n};`);
    decl.push(`  reg [${m1 - 1}:0] s1_q_${n}, s2_q_${n};`);
    decl.push(`  reg signed [${tw - 1}:0] t1_q_${n}, t2_q_${n};`);
    decl.push(`  reg signed [${pw - 1}:0] p_q_${n};`);
    decl.push(`  wire signed [${tw - 1}:0] ax_${n} = ${sext(`a_q_${n}`, ae, tw)};`);
    decl.push(`  wire signed [${pw - 1}:0] sum_${n} = ${sext(`t1_q_${n}`, tw, pw)} + ${sext(`t2_q_${n}`, tw, pw)};`);
    const e1 = `wgt[${base + m - 2}:${base + m2}]`;
    const e2 = m2 === 1 ? `wgt[${base}]` : `wgt[${base + m2 - 1}:${base}]`;
    // stage a: register the activation, decode the code: sign, term enables, shift amounts ~e (P - e)
    seq.push(`    a_q_${n} <= ${actSlice(w, n)};`);
    seq.push(`    neg_q_${n} <= wgt[${base + m - 1}];`);
    seq.push(`    en1_q_${n} <= |${e1};`);
    seq.push(`    en2_q_${n} <= |${e2};`);
    seq.push(`    s1_q_${n} <= ~${e1};`);
    seq.push(m1 === m2 ? `    s2_q_${n} <= ~${e2};` : `    s2_q_${n} <= ~{${lit(m1 - m2, 0)}, ${e2}};`);
    // stage b: the two shifted terms
    seq.push(`    t1_q_${n} <= en1_q_${n} ? (ax_${n} <<< s1_q_${n}) : ${lit(tw, 0)};`);
    seq.push(`    t2_q_${n} <= en2_q_${n} ? (ax_${n} <<< s2_q_${n}) : ${lit(tw, 0)};`);
    seq.push(`    neg2_q_${n} <= neg_q_${n};`);
    // stage c: signed sum
    seq.push(`    p_q_${n} <= neg2_q_${n} ? -sum_${n} : sum_${n};`);
    prods.push(`p_q_${n}`);
  }
  const tree = adderTree('', prods, pw);
  return [
    `// sp2Lane: ${N} SP2 shift-add products (LUTs, no DSP) + registered adder tree + accumulator.`,
    `// code = [sign | e1 (${m1} bits) | e2 (${m2} bits)], a*w = ±((a << (${P}-e1)) + (a << (${P}-e2))), e = 0: no term.`,
    `(* use_dsp = "no" *)`,
    `module ${name} (`,
    '  input wire clk,',
    `  input wire [${N * w.actBits - 1}:0] act,`,
    `  input wire [${N * m - 1}:0] wgt,`,
    '  input wire acc_en,',
    '  input wire acc_first,',
    `  output reg signed [${w.accBits - 1}:0] acc`,
    ');',
    ...decl,
    ...tree.decl,
    ...comb,
    '  always @(posedge clk) begin',
    ...seq,
    ...tree.lines,
    '  end',
    ...accumulator(tree.out, tree.outWidth, w.accBits),
    'endmodule',
  ].join('\n');
}

/**
 * A core: `lanes` lane instances sharing `act`, lane l taking wgt[l*N*wb +: N*wb]. The control delay line turns
 * in_valid/in_first/in_last (presented with act/wgt) into the accumulators' enable, and raises `done` for one
 * cycle when every lane's `acc` holds a finished pass.
 */
export function coreModule(
  name: string,
  laneName: string,
  lanes: number,
  w: LaneWidths,
  weightBits: number,
  kind: 'fixed' | 'sp2',
  pairName?: string,
): string {
  const { N } = w;
  const lat = laneLatency(N);
  const lines: string[] = [];
  lines.push(`// ${kind === 'fixed' ? 'fixedCore' : 'sp2Core'}: ${lanes} ${kind === 'fixed' ? 'fixedLane' : 'sp2Lane'}s x ${N} activations per clock.`);
  lines.push(`module ${name} (`);
  lines.push('  input wire clk,');
  lines.push('  input wire rst,');
  lines.push('  input wire in_valid,');
  lines.push('  input wire in_first,');
  lines.push('  input wire in_last,');
  lines.push(`  input wire [${N * w.actBits - 1}:0] act,`);
  lines.push(`  input wire [${lanes * N * weightBits - 1}:0] wgt,`);
  lines.push('  output reg done,');
  lines.push(`  output wire [${lanes * w.accBits - 1}:0] acc`);
  lines.push(');');
  lines.push(`  // control delay line: ${lat} stages to the final adder-tree node`);
  lines.push(`  reg [${lat - 1}:0] v_d, f_d, l_d;`);
  lines.push('  wire acc_en = v_d[' + (lat - 1) + '];');
  lines.push('  wire acc_first = f_d[' + (lat - 1) + '];');
  if (lat === 1) {
    lines.push('  always @(posedge clk) begin');
    lines.push('    if (rst) begin v_d <= 1\'b0; done <= 1\'b0; end');
    lines.push('    else begin v_d <= in_valid; done <= acc_en & l_d[0]; end');
    lines.push('    f_d <= in_first;');
    lines.push('    l_d <= in_last;');
    lines.push('  end');
  } else {
    lines.push('  always @(posedge clk) begin');
    lines.push(`    if (rst) begin v_d <= ${lit(lat, 0)}; done <= 1'b0; end`);
    lines.push(`    else begin v_d <= {v_d[${lat - 2}:0], in_valid}; done <= acc_en & l_d[${lat - 1}]; end`);
    lines.push(`    f_d <= {f_d[${lat - 2}:0], in_first};`);
    lines.push(`    l_d <= {l_d[${lat - 2}:0], in_last};`);
    lines.push('  end');
  }
  const lw = N * weightBits;
  const slice = (l: number): string => `wgt[${(l + 1) * lw - 1}:${l * lw}]`;
  const accSlice = (l: number): string => `acc[${(l + 1) * w.accBits - 1}:${l * w.accBits}]`;
  let first = 0;
  if (pairName) {
    // --dsp-pack 2: lanes 2k and 2k+1 share DSPs; an odd last lane stays a plain fixedLane
    for (let l = 0; l + 1 < lanes; l += 2) {
      lines.push(`  ${pairName} pair_${l / 2} (`);
      lines.push('    .clk(clk),');
      lines.push('    .act(act),');
      lines.push(`    .wgt_a(${slice(l)}),`);
      lines.push(`    .wgt_b(${slice(l + 1)}),`);
      lines.push('    .acc_en(acc_en),');
      lines.push('    .acc_first(acc_first),');
      lines.push(`    .acc_a(${accSlice(l)}),`);
      lines.push(`    .acc_b(${accSlice(l + 1)})`);
      lines.push('  );');
    }
    first = lanes - (lanes % 2);
  }
  for (let l = first; l < lanes; l++) {
    lines.push(`  ${laneName} lane_${l} (`);
    lines.push('    .clk(clk),');
    lines.push('    .act(act),');
    lines.push(`    .wgt(wgt[${(l + 1) * lw - 1}:${l * lw}]),`);
    lines.push('    .acc_en(acc_en),');
    lines.push('    .acc_first(acc_first),');
    lines.push(`    .acc(acc[${(l + 1) * w.accBits - 1}:${l * w.accBits}])`);
    lines.push('  );');
  }
  lines.push('endmodule');
  return lines.join('\n');
}
