/**
 * The layer engine top: activation buffer (loaded over AXI4-Stream `s_act`), weight ROMs (baked), the issue
 * counters that walk the GEMM schedule of a LayerPlan, the fixed and SP2 cores, the shared requantizer
 * (conventions.ts: y = clamp((acc * M + 2^(S-1)) >>> S, lo, hi), acc = bias + Σ a*w) and the output pixel buffer
 * drained over AXI4-Stream `m_out`. See docs/msq-engine.md for the block diagram and the schedule.
 *
 * Stream formats (one beat = N channels of one pixel, channel g*N + n in bits [n*b +: b], two's complement when
 * signed, lanes past the channel count are ignored on input and zero on output):
 *   s_act: pixels in row-major order (y, x), ceil(cin/N) beats per pixel.
 *   m_out: same for the output, ceil(cout/N) beats per pixel; tlast on the frame's final beat.
 */
import { configHash } from '../../util/hash.js';
import { signedBitsFor, sp2Split } from '../conventions.js';
import { coreModule, fixedLaneModule, fixedLanePairModule, sp2LaneModule, type LaneWidths } from './lanes.js';
import { requantGroupLanes, type LayerPlan } from './plan.js';
import { checkIdent, clog2, header, lit, litS, litTc, moduleFile, sext, zext } from './verilog.js';

export interface EngineRtl {
  top: string;
  /** file name -> Verilog text, one module per file */
  files: Map<string, string>;
  /** module names of the two cores (for the synthesis split check) */
  fixedCore: string;
  sp2Core: string;
  /** stream widths */
  actWidth: number;
  outWidth: number;
  hash: string;
  weights: 'rom' | 'stream';
}

/** Register stages of the requantizer between the serializer and the output-buffer write (q0..q7): cycle model. */
export const REQUANT_STAGES = 8;

/** Width of the weight stream `s_wgt` in weight-streaming mode. */
export const WGT_STREAM_BITS = 32;

export interface EngineOptions {
  /**
   * 'rom' (default): weights, channel map and requantization parameters baked into ROMs.
   * 'stream': they arrive as weight sets over AXI4-Stream `s_wgt` (32-bit beats, weightSetBeats) into two banks:
   * every frame consumes one set, and the next set loads while a frame computes (double buffering).
   */
  weights?: 'rom' | 'stream';
}

/** Entries of requantizer unit g's channel map: [pass * G + k] -> {valid, channel} (valid in bit CHB). */
export function chanMapEntries(plan: LayerPlan, g: number): bigint[] {
  const { Pf, Ps } = plan.shape;
  const R = Pf + Ps;
  const G = requantGroupLanes(plan.shape);
  const CHB = clog2(plan.cout);
  const out: bigint[] = [];
  for (let p = 0; p < plan.passes; p++) {
    for (let k = 0; k < G; k++) {
      const i = g * G + k;
      const ch = i >= R ? undefined : i < Pf ? plan.fixedFilters[p * Pf + i] : plan.sp2Filters[p * Ps + (i - Pf)];
      out.push(ch === undefined ? 0n : (1n << BigInt(CHB)) | BigInt(ch));
    }
  }
  return out;
}

/** The segments of a weight set, in stream order: (item width, items). */
function weightSegments(plan: LayerPlan): Array<{ name: string; width: number; items: bigint[] }> {
  const { N, Pf, Ps } = plan.shape;
  const RQ = Math.ceil((Pf + Ps) / requantGroupLanes(plan.shape));
  const CHB = clog2(plan.cout);
  const segs = [
    { name: 'fixed', width: Pf * N * plan.fixedBits, items: plan.fixedRom },
    { name: 'sp2', width: Ps * N * plan.sp2Bits, items: plan.sp2Rom },
  ];
  for (let g = 0; g < RQ; g++) segs.push({ name: `chan_map_${g}`, width: CHB + 1, items: chanMapEntries(plan, g) });
  const params = plan.bias.map((b, c) => (BigInt(plan.shift[c]!) << 63n) | (BigInt(plan.mul[c]!) << 32n) | (BigInt(b) & 0xffffffffn));
  segs.push({ name: 'params', width: 69, items: params });
  return segs;
}

/**
 * A weight set as s_wgt beats: every item (fixed ROM word, SP2 ROM word, channel-map entry per requantizer unit,
 * then {S, M, bias} per output channel) is split into 32-bit beats, least significant first.
 */
export function weightSetBeats(plan: LayerPlan): { data: bigint }[] {
  const beats: { data: bigint }[] = [];
  for (const seg of weightSegments(plan)) {
    const chunks = Math.ceil(seg.width / WGT_STREAM_BITS);
    for (const item of seg.items) {
      for (let k = 0; k < chunks; k++) beats.push({ data: (item >> BigInt(k * WGT_STREAM_BITS)) & 0xffffffffn });
    }
  }
  return beats;
}

/** Generate the Verilog of a layer engine for `plan`. `prefix` starts every module name. */
export function generateLayerEngine(plan: LayerPlan, prefix = 'msq', opts: EngineOptions = {}): EngineRtl {
  checkIdent(prefix, 'prefix');
  const stream = opts.weights === 'stream';
  const hash = configHash({ plan: stream ? { ...plan, fixedRom: [], sp2Rom: [], bias: [], mul: [], shift: [] } : plan, prefix, stream, kind: 'msq-layer-engine' });
  const { N, Pf, Ps } = plan.shape;
  const R = Pf + Ps;
  const top = `${prefix}_engine`;
  const files = new Map<string, string>();
  const params = {
    layer: plan.name,
    'N, Pf, Ps': `${N}, ${Pf}, ${Ps}`,
    'input [C,H,W]': `[${plan.cin}, ${plan.inH}, ${plan.inW}] ${plan.inBits}-bit ${plan.inSigned ? 'signed' : 'unsigned'}`,
    'output [C,H,W]': `[${plan.cout}, ${plan.outH}, ${plan.outW}] ${plan.outBits}-bit ${plan.outSigned ? 'signed' : 'unsigned'}`,
    'kernel, stride, pad': `${plan.kh}x${plan.kw}, ${plan.sh}x${plan.sw}, [${plan.pad.join(', ')}]`,
    'fixed / sp2 filters': `${plan.fixedFilters.length} (${plan.fixedBits}-bit) / ${plan.sp2Filters.length} (${plan.sp2Bits}-bit)`,
    'passes x cycles': `${plan.passes} x ${plan.passCycles} (steps ${plan.steps})`,
    'requantizer units': plan.shape.Rq ?? 1,
    'fixed products per DSP48E1': plan.shape.dspPack ?? 1,
    weights: stream ? `streamed over s_wgt (${WGT_STREAM_BITS}-bit), two banks` : 'baked ROM',
  };
  const fw: LaneWidths = { N, actBits: plan.inBits, actSigned: plan.inSigned, accBits: plan.fixedAccBits };
  const sw: LaneWidths = { ...fw, accBits: plan.sp2AccBits };
  const { m1, m2 } = sp2Split(plan.sp2Bits);
  const put = (name: string, what: string, body: string): void => {
    files.set(`${name}.v`, moduleFile(header(what, hash, params), body));
  };
  put(`${prefix}_sp2_lane`, 'MSQ sp2Lane', sp2LaneModule(`${prefix}_sp2_lane`, sw, plan.sp2Bits, m1, m2, plan.sp2P));
  const pack = plan.shape.dspPack === 2 && Pf >= 2;
  if (pack) put(`${prefix}_fixed_lane_pair`, 'MSQ fixedLanePair (--dsp-pack 2)', fixedLanePairModule(`${prefix}_fixed_lane_pair`, fw, plan.fixedBits));
  if (!pack || Pf % 2 === 1) put(`${prefix}_fixed_lane`, 'MSQ fixedLane', fixedLaneModule(`${prefix}_fixed_lane`, fw, plan.fixedBits));
  put(`${prefix}_fixed_core`, 'MSQ fixedCore', coreModule(`${prefix}_fixed_core`, `${prefix}_fixed_lane`, Pf, fw, plan.fixedBits, 'fixed', pack ? `${prefix}_fixed_lane_pair` : undefined));
  put(`${prefix}_sp2_core`, 'MSQ sp2Core', coreModule(`${prefix}_sp2_core`, `${prefix}_sp2_lane`, Ps, sw, plan.sp2Bits, 'sp2'));
  put(top, 'MSQ layer engine (top)', engineTop(plan, prefix, top, stream));
  return {
    top,
    files,
    fixedCore: `${prefix}_fixed_core`,
    sp2Core: `${prefix}_sp2_core`,
    actWidth: N * plan.inBits,
    outWidth: N * plan.outBits,
    hash,
    weights: stream ? 'stream' : 'rom',
  };
}

function engineTop(plan: LayerPlan, prefix: string, top: string, stream: boolean): string {
  const { N, Pf, Ps } = plan.shape;
  const R = Pf + Ps;
  const AB = plan.inBits;
  const OB = plan.outBits;
  const CG = plan.cinGroups;
  const depth = plan.inH * plan.inW * CG;
  const AW = clog2(depth);
  const modA = (v: number): bigint => BigInt(((v % 2 ** AW) + 2 ** AW) % 2 ** AW);
  const [PT, PL] = plan.pad;
  const { kh: KH, kw: KW, sh: SH, sw: SW, outH: OH, outW: OW, inH: H, inW: W } = plan;
  const P = plan.passes;
  const STEPS = plan.steps;
  const L = plan.passCycles;
  const romDepth = P * STEPS;
  const WA = clog2(romDepth);
  const KSB = clog2(L);
  const PB = clog2(P);
  const CGB = clog2(CG);
  const KYB = clog2(KH);
  const KXB = clog2(KW);
  const OYB = clog2(OH);
  const OXB = clog2(OW);
  const EB = clog2(plan.coutGroups);
  // signed coordinate width: row/col bases range over [-pad, (out-1)*stride - pad], plus kernel offsets
  const CW = signedBitsFor(-Math.max(PT, PL) - 1, Math.max(OH * SH + KH + H, OW * SW + KW + W)) + 1;
  const FW = Pf * N * plan.fixedBits;
  const SWD = Ps * N * plan.sp2Bits;
  const FA = plan.fixedAccBits;
  const SA = plan.sp2AccBits;
  const RW0 = Math.max(FA, SA);
  const RW = Math.max(RW0, 32) + 1; // acc + bias
  const PRW = RW + 32; // (acc + bias) * M, M < 2^31
  const CHB = clog2(plan.cout);
  const CMD = P * requantGroupLanes(plan.shape);
  const CMB = clog2(CMD);

  const outLit = (v: number): string => (plan.outSigned ? litTc(OB, v) : lit(OB, v));
  const o: string[] = [];
  const ln = (s = ''): void => {
    o.push(s);
  };
  const PIX = OH * OW;
  const PXB = clog2(PIX);
  ln(`module ${top} (`);
  ln('  input wire clk,');
  ln('  input wire rst,');
  ln(`  input wire [${N * AB - 1}:0] s_act_tdata,`);
  ln('  input wire s_act_tvalid,');
  ln('  output wire s_act_tready,');
  if (stream) {
    ln(`  input wire [${WGT_STREAM_BITS - 1}:0] s_wgt_tdata,`);
    ln('  input wire s_wgt_tvalid,');
    ln('  output wire s_wgt_tready,');
  }
  ln(`  output reg [${N * OB - 1}:0] m_out_tdata,`);
  ln('  output reg m_out_tvalid,');
  ln('  input wire m_out_tready,');
  ln('  output reg m_out_tlast');
  ln(');');
  ln('  // ST_LOAD: fill the activation buffer; ST_RUN: issue every pixel; ST_WAIT: issued, outputs still draining');
  if (stream) ln('  // ST_WSET: frame loaded, waiting for its weight set');
  ln(`  localparam [1:0] ST_LOAD = 2'd0, ST_RUN = 2'd1, ST_WAIT = 2'd2${stream ? ", ST_WSET = 2'd3" : ''};`);
  ln('  reg [1:0] st;');
  ln();
  ln(`  // ---- activation buffer: ${depth} words of ${N} x ${AB} bits, address ((y * ${W}) + x) * ${CG} + group`);
  ln(`  reg [${N * AB - 1}:0] act_mem [0:${depth - 1}];`);
  ln(`  reg [${AW - 1}:0] ld_addr;`);
  ln('  assign s_act_tready = (st == ST_LOAD);');
  ln('  wire ld_fire = s_act_tvalid && (st == ST_LOAD);');
  ln('  always @(posedge clk) begin');
  ln('    if (ld_fire) act_mem[ld_addr] <= s_act_tdata;');
  ln('  end');
  ln();
  const RQn = Math.ceil(R / requantGroupLanes(plan.shape));
  const CHBn = clog2(plan.cout);
  const CMBn = clog2(P * requantGroupLanes(plan.shape));
  if (!stream) {
    ln('  // ---- weight ROMs: word [pass * steps + step], lane-major');
    ln(`  reg [${FW - 1}:0] fixed_rom [0:${romDepth - 1}];`);
    ln(`  reg [${SWD - 1}:0] sp2_rom [0:${romDepth - 1}];`);
    ln('  initial begin');
    plan.fixedRom.forEach((v, i) => ln(`    fixed_rom[${i}] = ${lit(FW, v)};`));
    plan.sp2Rom.forEach((v, i) => ln(`    sp2_rom[${i}] = ${lit(SWD, v)};`));
    ln('  end');
  } else {
    // two banks of every weight-set memory, addressed {bank, index}
    const segs = weightSegments(plan);
    const addrBits = [WA, WA, ...Array.from({ length: RQn }, () => CMBn), CHBn];
    const mems = ['fixed_rom', 'sp2_rom', ...Array.from({ length: RQn }, (_, g) => `chan_map_${g}`), 'params'];
    ln('  // ---- weight sets over s_wgt into two banks: each frame consumes one set; the next loads meanwhile');
    ln(`  reg [${FW - 1}:0] fixed_rom [0:${2 * 2 ** WA - 1}];`);
    ln(`  reg [${SWD - 1}:0] sp2_rom [0:${2 * 2 ** WA - 1}];`);
    for (let g = 0; g < RQn; g++) ln(`  reg [${CHBn}:0] chan_map_${g} [0:${2 * 2 ** CMBn - 1}];`);
    for (let g = 0; g < RQn; g++) {
      ln(`  reg [31:0] bias_rom_${g} [0:${2 * 2 ** CHBn - 1}];`);
      ln(`  reg [30:0] mul_rom_${g} [0:${2 * 2 ** CHBn - 1}];`);
      ln(`  reg [5:0] shift_rom_${g} [0:${2 * 2 ** CHBn - 1}];`);
    }
    const chunksOf = segs.map((sg) => Math.ceil(sg.width / WGT_STREAM_BITS));
    const MAXC = Math.max(...chunksOf);
    const MAXW = MAXC * WGT_STREAM_BITS;
    const SEGB = clog2(segs.length);
    const ITB = Math.max(...addrBits);
    const CKB = clog2(MAXC);
    ln('  reg [1:0] set_ready; // bank holds a complete weight set not yet consumed');
    ln("  reg ld_bank, c_bank;");
    ln(`  reg [${SEGB - 1}:0] wseg;`);
    ln(`  reg [${ITB - 1}:0] witem;`);
    ln(`  reg [${CKB - 1}:0] wchunk;`);
    if (MAXW > WGT_STREAM_BITS) ln(`  reg [${MAXW - WGT_STREAM_BITS - 1}:0] wbuf; // earlier chunks of the item being assembled`);
    ln('  assign s_wgt_tready = !set_ready[ld_bank];');
    ln('  wire w_fire = s_wgt_tvalid && !set_ready[ld_bank];');
    ln(`  wire [${MAXW - 1}:0] wnext = ${MAXW === WGT_STREAM_BITS ? 's_wgt_tdata' : '{s_wgt_tdata, wbuf}'};`);
    ln('  reg w_item_last, w_seg_last;');
    ln('  always @* begin');
    ln("    w_item_last = 1'b0;");
    ln("    w_seg_last = 1'b0;");
    ln('    case (wseg)');
    segs.forEach((sg, i) => {
      ln(`      ${lit(SEGB, i)}: begin`);
      ln(`        w_item_last = (wchunk == ${lit(CKB, chunksOf[i]! - 1)});`);
      ln(`        w_seg_last = (witem == ${lit(ITB, sg.items.length - 1)});`);
      ln('      end');
    });
    ln('      default: ;');
    ln('    endcase');
    ln('  end');
    ln(`  wire w_set_last = w_item_last && w_seg_last && (wseg == ${lit(SEGB, segs.length - 1)});`);
    ln('  always @(posedge clk) begin');
    ln('    if (w_fire) begin');
    if (MAXW > WGT_STREAM_BITS) ln(`      wbuf <= wnext[${MAXW - 1}:${WGT_STREAM_BITS}];`);
    ln('      if (w_item_last) begin');
    ln('        case (wseg)');
    segs.forEach((sg, i) => {
      const lo = MAXW - chunksOf[i]! * WGT_STREAM_BITS;
      const item = `wnext[${lo + sg.width - 1}:${lo}]`;
      const ab = addrBits[i]!;
      const addr = `{ld_bank, witem[${ab - 1}:0]}`;
      ln(`          ${lit(SEGB, i)}: begin`);
      if (mems[i] === 'params') {
        for (let g = 0; g < RQn; g++) {
          ln(`            bias_rom_${g}[${addr}] <= wnext[${lo + 31}:${lo}];`);
          ln(`            mul_rom_${g}[${addr}] <= wnext[${lo + 62}:${lo + 32}];`);
          ln(`            shift_rom_${g}[${addr}] <= wnext[${lo + 68}:${lo + 63}];`);
        }
      } else {
        ln(`            ${mems[i]}[${addr}] <= ${item};`);
      }
      ln('          end');
    });
    ln('          default: ;');
    ln('        endcase');
    ln('      end');
    ln('    end');
    ln('    if (rst) begin');
    ln("      set_ready <= 2'b00;");
    ln("      ld_bank <= 1'b0;");
    ln("      c_bank <= 1'b0;");
    ln(`      wseg <= ${lit(SEGB, 0)};`);
    ln(`      witem <= ${lit(ITB, 0)};`);
    ln(`      wchunk <= ${lit(CKB, 0)};`);
    ln('    end else begin');
    ln('      if (w_fire) begin');
    ln(`        wchunk <= w_item_last ? ${lit(CKB, 0)} : wchunk + ${lit(CKB, 1)};`);
    ln('        if (w_item_last) begin');
    ln(`          witem <= w_seg_last ? ${lit(ITB, 0)} : witem + ${lit(ITB, 1)};`);
    ln(`          if (w_seg_last) wseg <= (wseg == ${lit(SEGB, segs.length - 1)}) ? ${lit(SEGB, 0)} : wseg + ${lit(SEGB, 1)};`);
    ln('        end');
    ln('        if (w_set_last) begin');
    ln("          set_ready[ld_bank] <= 1'b1;");
    ln('          ld_bank <= ~ld_bank;');
    ln('        end');
    ln('      end');
    ln('      if (frame_done) begin');
    ln("        set_ready[c_bank] <= 1'b0;");
    ln('        c_bank <= ~c_bank;');
    ln('      end');
    ln('    end');
    ln('  end');
  }
  ln();
  ln(`  // ---- issuer: pixel (oy, ox), pass, step (ky, kx, group); every pass lasts ${L} cycles (${STEPS} issue + gap)`);
  ln('  // A pixel writes output bank ibank; it starts only when that bank has been emitted (busy_q clear).');
  ln(`  reg [${OYB - 1}:0] oy;`);
  ln(`  reg [${OXB - 1}:0] ox;`);
  ln(`  reg signed [${CW - 1}:0] row_base, col_base;`);
  ln(`  reg [${AW - 1}:0] row_addr, pix_addr, k_off;`);
  ln(`  reg [${KYB - 1}:0] ky;`);
  ln(`  reg [${KXB - 1}:0] kx;`);
  ln(`  reg [${CGB - 1}:0] cg;`);
  ln(`  reg [${KSB - 1}:0] kstep;`);
  ln(`  reg [${PB - 1}:0] pass;`);
  ln(`  reg [${WA - 1}:0] w_addr;`);
  ln('  reg ibank;');
  ln('  reg [1:0] busy_q; // bank holds a pixel not yet fully emitted');
  ln(`  wire signed [${CW - 1}:0] iy = row_base + $signed(${zext('ky', KYB, CW)});`);
  ln(`  wire signed [${CW - 1}:0] ix = col_base + $signed(${zext('kx', KXB, CW)});`);
  ln(`  wire inb = (iy >= ${litS(CW, 0)}) && (iy < ${litS(CW, H)}) && (ix >= ${litS(CW, 0)}) && (ix < ${litS(CW, W)});`);
  ln(`  wire [${AW - 1}:0] rd_addr = pix_addr + k_off;`);
  ln(`  wire pix_start = (pass == ${lit(PB, 0)}) && (kstep == ${lit(KSB, 0)});`);
  ln('  wire go = (st == ST_RUN) && !(pix_start && busy_q[ibank]);');
  ln(STEPS === L ? '  wire issue = go;' : `  wire issue = go && (kstep < ${lit(KSB, STEPS)});`);
  ln(`  wire step_last = (kstep == ${lit(KSB, STEPS - 1)});`);
  ln(`  wire pass_end = (kstep == ${lit(KSB, L - 1)});`);
  ln(`  wire pass_final = (pass == ${lit(PB, P - 1)});`);
  ln('  wire pix_end = go && pass_end && pass_final;');
  ln(`  wire last_x = (ox == ${lit(OXB, OW - 1)});`);
  ln(`  wire last_y = (oy == ${lit(OYB, OH - 1)});`);
  ln('  wire frame_done; // the emitter accepted the frame\'s final beat');
  ln();
  const startRow = -(PT * W + PL) * CG;
  ln('  always @(posedge clk) begin');
  ln('    if (rst) begin');
  ln('      st <= ST_LOAD;');
  ln(`      ld_addr <= ${lit(AW, 0)};`);
  ln('    end else begin');
  ln('      case (st)');
  ln('        ST_LOAD: if (ld_fire) begin');
  ln(`          if (ld_addr == ${lit(AW, depth - 1)}) begin`);
  ln(`            ld_addr <= ${lit(AW, 0)};`);
  ln(stream ? '            st <= set_ready[c_bank] ? ST_RUN : ST_WSET;' : '            st <= ST_RUN;');
  ln('          end else begin');
  ln(`            ld_addr <= ld_addr + ${lit(AW, 1)};`);
  ln('          end');
  ln('        end');
  ln('        ST_RUN: if (pix_end && last_x && last_y) st <= ST_WAIT;');
  ln('        ST_WAIT: if (frame_done) st <= ST_LOAD;');
  if (stream) ln('        ST_WSET: if (set_ready[c_bank]) st <= ST_RUN;');
  if (!stream) ln('        default: st <= ST_LOAD;');
  ln('      endcase');
  ln('    end');
  ln('  end');
  ln();
  ln('  // issue counters: (re)initialised while a frame loads');
  ln('  always @(posedge clk) begin');
  ln('    if (st == ST_LOAD) begin');
  ln(`      oy <= ${lit(OYB, 0)};`);
  ln(`      ox <= ${lit(OXB, 0)};`);
  ln(`      row_base <= ${litS(CW, -PT)};`);
  ln(`      col_base <= ${litS(CW, -PL)};`);
  ln(`      row_addr <= ${lit(AW, modA(startRow))};`);
  ln(`      pix_addr <= ${lit(AW, modA(startRow))};`);
  ln(`      ky <= ${lit(KYB, 0)};`);
  ln(`      kx <= ${lit(KXB, 0)};`);
  ln(`      cg <= ${lit(CGB, 0)};`);
  ln(`      kstep <= ${lit(KSB, 0)};`);
  ln(`      pass <= ${lit(PB, 0)};`);
  ln(`      k_off <= ${lit(AW, 0)};`);
  ln(`      w_addr <= ${lit(WA, 0)};`);
  ln("      ibank <= 1'b0;");
  ln('    end else if (go) begin');
  ln('      if (issue) begin');
  ln(`        w_addr <= w_addr + ${lit(WA, 1)};`);
  ln(`        if (cg != ${lit(CGB, CG - 1)}) begin`);
  ln(`          cg <= cg + ${lit(CGB, 1)};`);
  ln(`          k_off <= k_off + ${lit(AW, 1)};`);
  ln('        end else begin');
  ln(`          cg <= ${lit(CGB, 0)};`);
  ln(`          if (kx != ${lit(KXB, KW - 1)}) begin`);
  ln(`            kx <= kx + ${lit(KXB, 1)};`);
  ln(`            k_off <= k_off + ${lit(AW, 1)};`);
  ln('          end else begin');
  ln(`            kx <= ${lit(KXB, 0)};`);
  ln(`            if (ky != ${lit(KYB, KH - 1)}) begin`);
  ln(`              ky <= ky + ${lit(KYB, 1)};`);
  ln(`              k_off <= k_off + ${lit(AW, modA((W - KW) * CG + 1))};`);
  ln('            end else begin');
  ln(`              ky <= ${lit(KYB, 0)};`);
  ln(`              k_off <= ${lit(AW, 0)};`);
  ln('            end');
  ln('          end');
  ln('        end');
  ln('      end');
  ln('      if (pass_end) begin');
  ln(`        kstep <= ${lit(KSB, 0)};`);
  ln(`        pass <= pass_final ? ${lit(PB, 0)} : pass + ${lit(PB, 1)};`);
  ln('      end else begin');
  ln(`        kstep <= kstep + ${lit(KSB, 1)};`);
  ln('      end');
  ln('      if (pix_end) begin');
  ln(`        w_addr <= ${lit(WA, 0)};`);
  ln('        ibank <= ~ibank;');
  ln('        if (!last_x) begin');
  ln(`          ox <= ox + ${lit(OXB, 1)};`);
  ln(`          col_base <= col_base + ${litS(CW, SW)};`);
  ln(`          pix_addr <= pix_addr + ${lit(AW, modA(SW * CG))};`);
  ln('        end else begin');
  ln(`          ox <= ${lit(OXB, 0)};`);
  ln(`          col_base <= ${litS(CW, -PL)};`);
  ln(`          oy <= oy + ${lit(OYB, 1)};`);
  ln(`          row_base <= row_base + ${litS(CW, SH)};`);
  ln(`          row_addr <= row_addr + ${lit(AW, modA(SH * W * CG))};`);
  ln(`          pix_addr <= row_addr + ${lit(AW, modA(SH * W * CG))};`);
  ln('        end');
  ln('      end');
  ln('    end');
  ln('  end');
  ln();
  ln('  // ---- S1: buffer and ROM reads, registered');
  ln(`  reg [${N * AB - 1}:0] act_q;`);
  ln(`  reg [${FW - 1}:0] wf_q;`);
  ln(`  reg [${SWD - 1}:0] ws_q;`);
  const tail = plan.cin - (CG - 1) * N; // valid lanes in the last group, 1..N
  ln(`  reg v1, first1, last1, inb1${tail < N ? ', lastcg1' : ''};`);
  ln('  always @(posedge clk) begin');
  ln('    act_q <= act_mem[rd_addr];');
  ln(stream ? '    wf_q <= fixed_rom[{c_bank, w_addr}];' : '    wf_q <= fixed_rom[w_addr];');
  ln(stream ? '    ws_q <= sp2_rom[{c_bank, w_addr}];' : '    ws_q <= sp2_rom[w_addr];');
  ln(`    first1 <= (kstep == ${lit(KSB, 0)});`);
  ln('    last1 <= step_last;');
  ln('    inb1 <= inb;');
  if (tail < N) ln(`    lastcg1 <= (cg == ${lit(CGB, CG - 1)});`);
  ln('    if (rst) v1 <= 1\'b0;');
  ln('    else v1 <= issue;');
  ln('  end');
  // activation mask: out-of-image (padding) -> 0; lanes past cin in the last group -> 0
  const laneMask: string[] = [];
  for (let n = N - 1; n >= 0; n--) {
    const keep = n < tail ? 'inb1' : '(inb1 && !lastcg1)';
    laneMask.push(`(act_q[${(n + 1) * AB - 1}:${n * AB}] & {${AB}{${keep}}})`);
  }
  ln(`  wire [${N * AB - 1}:0] act_x = {${laneMask.join(',\n      ')}};`);
  ln();
  ln('  // ---- the two cores share the activation word');
  ln('  wire f_done, s_done;');
  ln(`  wire [${Pf * FA - 1}:0] f_acc;`);
  ln(`  wire [${Ps * SA - 1}:0] s_acc;`);
  ln(`  ${prefix}_fixed_core fixed_core (.clk(clk), .rst(rst), .in_valid(v1), .in_first(first1), .in_last(last1),`);
  ln('    .act(act_x), .wgt(wf_q), .done(f_done), .acc(f_acc));');
  ln(`  ${prefix}_sp2_core sp2_core (.clk(clk), .rst(rst), .in_valid(v1), .in_first(first1), .in_last(last1),`);
  ln('    .act(act_x), .wgt(ws_q), .done(s_done), .acc(s_acc));');
  ln('  wire pass_done = f_done & s_done; // equal by construction: both cores have the same latency');
  ln();
  const G = requantGroupLanes(plan.shape);
  const RQ = Math.ceil(R / G);
  const GB = clog2(G) + 1;
  // global lane i (fixed lanes first, then SP2) -> its accumulator slice
  const laneAcc = (i: number): string => {
    const [vec, lane, w] = i < Pf ? ['f_acc', i, FA] : ['s_acc', i - Pf, SA];
    const hiBit = (lane + 1) * w - 1;
    const src = `${vec}[${hiBit}:${lane * w}]`;
    return w === RW0 ? src : `{{${RW0 - w}{${vec}[${hiBit}]}}, ${src}}`;
  };
  const laneChan = (p: number, i: number): number | undefined =>
    i >= R ? undefined : i < Pf ? plan.fixedFilters[p * Pf + i] : plan.sp2Filters[p * Ps + (i - Pf)];
  ln(`  // ---- requantizer: ${RQ} unit(s); at the end of a pass each snapshots ${G} lane results and serializes them,`);
  ln(`  //      one per clock (passes are >= ${G} cycles apart)`);
  for (let g = 0; g < RQ; g++) {
    const n = Math.min(G, R - g * G);
    for (let j = 0; j < n; j++) ln(`  reg signed [${RW0 - 1}:0] snap${g}_${j};`);
  }
  ln(`  reg [${GB - 1}:0] rq_cnt;`);
  ln('  reg rq_busy;');
  ln('  reg rq_bank;');
  ln(`  reg [${CMB - 1}:0] cm_addr;`);
  ln(`  wire cm_wrap = (cm_addr == ${lit(CMB, CMD - 1)});`);
  ln('  always @(posedge clk) begin');
  ln('    if (pass_done) begin');
  for (let g = 0; g < RQ; g++) {
    const n = Math.min(G, R - g * G);
    for (let j = 0; j < n; j++) ln(`      snap${g}_${j} <= ${laneAcc(g * G + j)};`);
  }
  ln('    end else if (rq_busy) begin');
  for (let g = 0; g < RQ; g++) {
    const n = Math.min(G, R - g * G);
    for (let j = 0; j + 1 < n; j++) ln(`      snap${g}_${j} <= snap${g}_${j + 1};`);
  }
  ln('    end');
  ln('    if (rst || st == ST_LOAD) begin');
  ln('      rq_busy <= 1\'b0;');
  ln('      rq_bank <= 1\'b0;');
  ln(`      rq_cnt <= ${lit(GB, 0)};`);
  ln(`      cm_addr <= ${lit(CMB, 0)};`);
  ln('    end else begin');
  ln('      if (rq_busy) begin');
  ln(`        cm_addr <= cm_wrap ? ${lit(CMB, 0)} : cm_addr + ${lit(CMB, 1)};`);
  ln('        if (cm_wrap) rq_bank <= ~rq_bank;');
  ln('      end');
  ln('      if (pass_done) begin');
  ln('        rq_busy <= 1\'b1;');
  ln(`        rq_cnt <= ${lit(GB, 0)};`);
  ln('      end else if (rq_busy) begin');
  ln(`        rq_cnt <= rq_cnt + ${lit(GB, 1)};`);
  ln(`        if (rq_cnt == ${lit(GB, G - 1)}) rq_busy <= 1'b0;`);
  ln('      end');
  ln('    end');
  ln('  end');
  ln('  reg qv0;');
  ln('  reg [7:0] qb, qe; // per stage: output bank, last result of a pixel');
  ln('  always @(posedge clk) begin');
  ln('    if (rst) begin');
  ln("      qv0 <= 1'b0;");
  ln("      qe <= 8'd0;");
  ln('    end else begin');
  ln('      qv0 <= rq_busy;');
  ln('      qe <= {qe[6:0], rq_busy && cm_wrap};');
  ln('    end');
  ln('    qb <= {qb[6:0], rq_bank};');
  ln('  end');
  ln(`  reg [${OB - 1}:0] out_buf0 [0:${plan.cout - 1}];`);
  ln(`  reg [${OB - 1}:0] out_buf1 [0:${plan.cout - 1}];`);
  for (let g = 0; g < RQ; g++) {
    const u = `_${g}`;
    ln();
    ln(`  // requantizer unit ${g}: channel map [pass * ${G} + k] -> {valid, output channel}; parameters per channel`);
    if (!stream) {
    ln(`  reg [${CHB}:0] chan_map${u} [0:${CMD - 1}];`);
    ln(`  reg [31:0] bias_rom${u} [0:${plan.cout - 1}];`);
    ln(`  reg [30:0] mul_rom${u} [0:${plan.cout - 1}];`);
    ln(`  reg [5:0] shift_rom${u} [0:${plan.cout - 1}];`);
    ln('  initial begin');
    for (let p = 0; p < P; p++) {
      for (let k = 0; k < G; k++) {
        const ch = laneChan(p, g * G + k);
        const v = ch === undefined ? 0n : (1n << BigInt(CHB)) | BigInt(ch);
        ln(`    chan_map${u}[${p * G + k}] = ${lit(CHB + 1, v)};`);
      }
    }
    for (let c = 0; c < plan.cout; c++) {
      ln(`    bias_rom${u}[${c}] = ${litTc(32, plan.bias[c]!)}; mul_rom${u}[${c}] = ${lit(31, plan.mul[c]!)}; shift_rom${u}[${c}] = ${lit(6, plan.shift[c]!)};`);
    }
    ln('  end');
    }
    const bk = (a: string): string => (stream ? `{c_bank, ${a}}` : a);
    ln('  // q0: channel lookup; q1: parameters; q2: + bias; q3..q5: * M; q6: + 2^(S-1); q7: >>> S; then clamp and write');
    ln(`  reg signed [${RW0 - 1}:0] val0${u}, val1${u};`);
    ln(`  reg [${CHB}:0] cm0${u};`);
    ln(`  reg [${CHB - 1}:0] ch1${u}, ch2${u}, ch3${u}, ch4${u}, ch5${u}, ch6${u}, ch7${u};`);
    ln(`  reg ok1${u}, ok2${u}, ok3${u}, ok4${u}, ok5${u}, ok6${u}, ok7${u};`);
    ln(`  reg signed [31:0] bias1${u};`);
    ln(`  reg [30:0] mul1${u}, mul2${u};`);
    ln(`  reg [5:0] sh1${u}, sh2${u}, sh3${u}, sh4${u}, sh5${u}, sh6${u};`);
    ln(`  reg signed [${RW - 1}:0] sum2${u};`);
    // (acc + bias) * M as four DSP-sized partial products: sum = hi * 2^17 + lo (lo unsigned), M = mh * 2^17 + ml
    const HW = RW - 17;
    const PHL = HW + 18;
    const PHH = HW + 15;
    ln(`  // (acc + bias) * M = lo*ml + (lo*mh + hi*ml) * 2^17 + hi*mh * 2^34: four DSP48E1-sized products, registered`);
    ln(`  wire [16:0] lo2${u} = sum2${u}[16:0];`);
    ln(`  wire [${HW - 1}:0] hi2${u} = sum2${u}[${RW - 1}:17];`);
    ln(`  wire [16:0] ml2${u} = mul2${u}[16:0];`);
    ln(`  wire [13:0] mh2${u} = mul2${u}[30:17];`);
    ln(`  (* use_dsp = "yes" *) reg [33:0] pll3${u};`);
    ln(`  (* use_dsp = "yes" *) reg [30:0] plh3${u};`);
    ln(`  (* use_dsp = "yes" *) reg signed [${PHL - 1}:0] phl3${u};`);
    ln(`  (* use_dsp = "yes" *) reg signed [${PHH - 1}:0] phh3${u};`);
    ln(`  reg [${PRW - 1}:0] s4a${u}, s4b${u};`);
    ln(`  reg signed [${PRW - 1}:0] prod5${u}, rnd6${u}, shr7${u};`);
    ln(`  wire [${PRW - 1}:0] half5${u} = ${lit(PRW, 1)} << (sh5${u} - 6'd1);`);
    ln(`  wire [${OB - 1}:0] y7${u} = (shr7${u} < ${litS(PRW, plan.outLo)}) ? ${outLit(plan.outLo)} :`);
    ln(`                 (shr7${u} > ${litS(PRW, plan.outHi)}) ? ${outLit(plan.outHi)} : shr7${u}[${OB - 1}:0];`);
    ln('  always @(posedge clk) begin');
    ln(`    val0${u} <= snap${g}_0;`);
    ln(`    cm0${u} <= chan_map${u}[${bk('cm_addr')}];`);
    ln(`    val1${u} <= val0${u};`);
    ln(`    ch1${u} <= cm0${u}[${CHB - 1}:0];`);
    ln(`    ok1${u} <= qv0 & cm0${u}[${CHB}];`);
    ln(`    bias1${u} <= bias_rom${u}[${bk(`cm0${u}[${CHB - 1}:0]`)}];`);
    ln(`    mul1${u} <= mul_rom${u}[${bk(`cm0${u}[${CHB - 1}:0]`)}];`);
    ln(`    sh1${u} <= shift_rom${u}[${bk(`cm0${u}[${CHB - 1}:0]`)}];`);
    ln(`    sum2${u} <= ${sext(`val1${u}`, RW0, RW)} + ${sext(`bias1${u}`, 32, RW)};`);
    ln(`    mul2${u} <= mul1${u}; sh2${u} <= sh1${u}; ch2${u} <= ch1${u}; ok2${u} <= ok1${u};`);
    ln(`    pll3${u} <= ${zext(`lo2${u}`, 17, 34)} * ${zext(`ml2${u}`, 17, 34)};`);
    ln(`    plh3${u} <= ${zext(`lo2${u}`, 17, 31)} * ${zext(`mh2${u}`, 14, 31)};`);
    ln(`    phl3${u} <= $signed(${sext(`hi2${u}`, HW, PHL)}) * $signed(${zext(`ml2${u}`, 17, PHL)});`);
    ln(`    phh3${u} <= $signed(${sext(`hi2${u}`, HW, PHH)}) * $signed(${zext(`mh2${u}`, 14, PHH)});`);
    ln(`    sh3${u} <= sh2${u}; ch3${u} <= ch2${u}; ok3${u} <= ok2${u};`);
    ln(`    s4a${u} <= ${zext(`pll3${u}`, 34, PRW)} + {${zext(`plh3${u}`, 31, PRW - 17)}, 17'h0};`);
    ln(`    s4b${u} <= {${sext(`phl3${u}`, PHL, PRW - 17)}, 17'h0} + {${sext(`phh3${u}`, PHH, PRW - 34)}, 34'h0};`);
    ln(`    sh4${u} <= sh3${u}; ch4${u} <= ch3${u}; ok4${u} <= ok3${u};`);
    ln(`    prod5${u} <= s4a${u} + s4b${u};`);
    ln(`    sh5${u} <= sh4${u}; ch5${u} <= ch4${u}; ok5${u} <= ok4${u};`);
    ln(`    rnd6${u} <= prod5${u} + $signed(half5${u});`);
    ln(`    sh6${u} <= sh5${u}; ch6${u} <= ch5${u}; ok6${u} <= ok5${u};`);
    ln(`    shr7${u} <= rnd6${u} >>> sh6${u};`);
    ln(`    ch7${u} <= ch6${u}; ok7${u} <= ok6${u};`);
    ln(`    if (ok7${u} && !qb[7]) out_buf0[ch7${u}] <= y7${u};`);
    ln(`    if (ok7${u} && qb[7]) out_buf1[ch7${u}] <= y7${u};`);
    ln('  end');
  }
  ln('  wire bank_written = qe[7]; // the last result of a pixel is written this cycle, into bank qb[7]');
  ln();
  ln(`  // ---- emitter: ${plan.coutGroups} beat(s) of ${N} channels per pixel from the full bank; the other bank fills meanwhile`);
  ln('  reg [1:0] full_q;');
  ln('  reg e_bank;');
  ln(`  reg [${EB - 1}:0] e_cnt;`);
  ln(`  reg [${PXB - 1}:0] e_pix;`);
  ln('  wire m_fire = m_out_tvalid && m_out_tready;');
  ln(`  wire e_last = (e_cnt == ${lit(EB, plan.coutGroups - 1)});`);
  ln('  wire fin = m_fire && e_last;');
  ln('  wire nb = fin ? ~e_bank : e_bank;');
  ln('  wire load_next = (!m_out_tvalid || fin) && full_q[nb];');
  if (plan.coutGroups === 1) ln(`  wire next_pix_last = fin ? ${PIX >= 2 ? `(e_pix == ${lit(PXB, PIX - 2)})` : "1'b0"} : (e_pix == ${lit(PXB, PIX - 1)});`);
  ln('  assign frame_done = fin && m_out_tlast;');
  const beat = (bank: number, e: number): string => {
    const parts: string[] = [];
    for (let n = N - 1; n >= 0; n--) {
      const ch = e * N + n;
      parts.push(ch < plan.cout ? `out_buf${bank}[${ch}]` : lit(OB, 0));
    }
    return `{${parts.join(', ')}}`;
  };
  ln('  always @(posedge clk) begin');
  ln('    if (rst || st == ST_LOAD) begin');
  ln("      m_out_tvalid <= 1'b0;");
  ln("      m_out_tlast <= 1'b0;");
  ln("      full_q <= 2'b00;");
  ln("      busy_q <= 2'b00;");
  ln("      e_bank <= 1'b0;");
  ln(`      e_cnt <= ${lit(EB, 0)};`);
  ln(`      e_pix <= ${lit(PXB, 0)};`);
  ln('    end else begin');
  ln('      if (go && pix_start) busy_q[ibank] <= 1\'b1;');
  ln('      if (fin) begin');
  ln('        busy_q[e_bank] <= 1\'b0;');
  ln('        e_bank <= ~e_bank;');
  ln(`        e_pix <= e_pix + ${lit(PXB, PIX > 1 ? 1 : 0)};`);
  ln('      end');
  ln('      if (bank_written) full_q[qb[7]] <= 1\'b1;');
  ln('      if (m_fire && !e_last) begin');
  ln(`        e_cnt <= e_cnt + ${lit(EB, 1)};`);
  ln(`        m_out_tlast <= ${plan.coutGroups >= 2 ? `(e_cnt == ${lit(EB, plan.coutGroups - 2)})` : "1'b1"} && (e_pix == ${lit(PXB, PIX - 1)});`);
  ln('      end else if (load_next) begin');
  ln(`        e_cnt <= ${lit(EB, 0)};`);
  ln("        m_out_tvalid <= 1'b1;");
  ln(`        m_out_tlast <= ${plan.coutGroups === 1 ? 'next_pix_last' : "1'b0"};`);
  ln("        full_q[nb] <= 1'b0;");
  ln('      end else if (fin) begin');
  ln("        m_out_tvalid <= 1'b0;");
  ln("        m_out_tlast <= 1'b0;");
  ln('      end');
  ln('    end');
  ln('  end');
  ln('  // beat data: beat e_cnt + 1 of the current bank, or beat 0 of the next bank');
  ln('  always @(posedge clk) begin');
  ln('    if (m_fire && !e_last) begin');
  if (plan.coutGroups > 1) {
    ln('      case ({e_bank, e_cnt})');
    for (const b of [0, 1]) {
      for (let e = 0; e + 1 < plan.coutGroups; e++) ln(`        ${lit(EB + 1, (b << EB) | e)}: m_out_tdata <= ${beat(b, e + 1)};`);
    }
    ln(`        default: m_out_tdata <= ${lit(N * OB, 0)};`);
    ln('      endcase');
  } else {
    ln(`      m_out_tdata <= ${lit(N * OB, 0)}; // never: one beat per pixel`);
  }
  ln('    end else if (load_next) begin');
  ln(`      m_out_tdata <= nb ? ${beat(1, 0)} : ${beat(0, 0)};`);
  ln('    end');
  ln('  end');
  ln('endmodule');
  return o.join('\n');
}
