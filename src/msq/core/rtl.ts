/**
 * The MSQ core top (docs/msq-core.md is the contract, docs/msq-core-rtl.md the block diagram and exact schedule):
 * ONE design generated from a CoreConfig that runs a sequence of run-time jobs (GEMM / MAXPOOL / AVGPOOL), built with
 * the HDL builder. Blocks:
 *
 *  - program loader (s_wgt): parses the five sections of a job program into the job's bank (descriptor registers,
 *    per-lane weight RAMs, per-requantizer channel-map RAMs, per-requantizer parameter RAMs), one item per clock;
 *    derives the tile's start address (-(padT * rowStride + padL * cinGroups), adders only) after the descriptor.
 *  - activation loader (s_act): actWords beats into the job's activation bank (jobs in order); the job may start
 *    while its tile streams in (a pixel waits for the input rows of its window).
 *  - residual loader (s_res): per output pixel coutGroups beats into one of two residual slots.
 *  - issuer: pixel -> pass -> step (ky, kx, group) with adders only; each pass is passCycles cycles, idle cycles
 *    FIRST, then `steps` issue cycles, so consecutive pass ends are exactly passCycles apart, also across jobs.
 *  - coreLanes (src/msq/core/lanes.ts) for GEMM, an N-wide reducer for MAXPOOL / AVGPOOL.
 *  - result path: the pass's results are snapshotted and serialized through Rq coreRqa units (rqa.ts), channel map
 *    -> channel -> parameters / residual lane; unit u writes its results into its own per-lane output RAMs (no write
 *    conflicts); MAXPOOL writes whole words into unit 0's RAMs.
 *  - emitter (m_out): pixelBanks (4, or 2) output pixel banks; a pixel's coutGroups words leave when the pixel is
 *    complete, each lane taken from the unit that produced its channel; lanes >= cout 0, tlast on the job's last
 *    beat; a 4-word FIFO drives m_out. Pixel i + pixelBanks claims pixel i's bank only after it has been read out.
 *
 * Jobs follow each other with no reset; the banks of job j + 1 load while job j computes (bank = job index mod 2).
 */
import { fail } from '../../util/errors.js';
import { configHash } from '../../util/hash.js';
import { cat, emitVerilog, lit, mux, rep, Module, type Expr, type Signal } from '../../hdl/index.js';
import { syncFifo } from '../../hdl/lib/index.js';
import type { Beat, SimDesign } from '../../sim/index.js';
import { accBits, checkCoreConfig, lanes, streamWidth, type CoreConfig } from './config.js';
import { coreLaneLatency, coreLanes } from './lanes.js';
import { coreRqa, coreRqaLatency } from './rqa.js';
import { programRomSource, type RomProgram, type WgtSource } from './rtl/program-rom.js';

/** Bits to address 0..n-1 (at least 1). */
function abits(n: number): number {
  let b = 1;
  while (2 ** b < n) b++;
  return b;
}

/** Bits to hold 0..n (at least 1). */
function cbits(n: number): number {
  return abits(n + 1);
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** Derived sizes of one core (all generation-time constants). */
export interface CoreShape {
  W: number;
  L: number;
  /** accumulator lanes served per requantizer unit (GEMM) */
  G: number;
  /** pool lanes served per requantizer unit (AVGPOOL) */
  GP: number;
  accBits: number;
  laneLatency: number;
  rqaLatency: number;
  /** activation / weight / channel-map / parameter / residual / output-word address bits (one bank) */
  AW: number;
  WAB: number;
  CMA: number;
  CB: number;
  CGB: number;
  /** log2 N */
  LN: number;
}

export function coreShape(cfg: CoreConfig): CoreShape {
  const L = lanes(cfg);
  const LN = Math.log2(cfg.N);
  return {
    W: streamWidth(cfg),
    L,
    G: ceilDiv(L, cfg.Rq),
    GP: ceilDiv(cfg.N, cfg.Rq),
    accBits: accBits(cfg),
    laneLatency: coreLaneLatency(cfg),
    rqaLatency: coreRqaLatency(cfg),
    AW: abits(cfg.actDepth),
    WAB: abits(cfg.wDepth),
    CMA: abits(cfg.maxPasses * ceilDiv(L, cfg.Rq)),
    CB: Math.max(1, abits(cfg.cDepth)),
    CGB: abits(cfg.cDepth / cfg.N),
    LN,
  };
}

/**
 * Cycle constants of the schedule (docs/msq-core-rtl.md), for the cycle model. `complete`: from the cycle that issues
 * a pixel's last step to the first cycle in which the pixel is complete (all its results written); `emit`: from
 * that cycle to its first m_out beat (output FIFO empty, m_out ready).
 */
export interface CoreRtlTiming {
  laneLatency: number;
  rqaLatency: number;
  G: number;
  GP: number;
  pixelBanks: number;
  complete: { gemm: number; avgpool: number; maxpool: number };
  emit: number;
  /** idle issue cycles between two jobs whose banks are loaded (IDLE + SETUP) */
  jobGap: number;
  /** program loader: descriptor section cycles; every other section costs items + 1 */
  descCycles: number;
  /** a job whose op differs from the previous (non-MAXPOOL) job waits until no step was issued for this many cycles */
  quiet: number;
}

export function coreRtlTiming(cfg: CoreConfig, pixelBanks: number = DEFAULT_PIXEL_BANKS): CoreRtlTiming {
  const S = coreShape(cfg);
  return {
    laneLatency: S.laneLatency,
    rqaLatency: S.rqaLatency,
    G: S.G,
    GP: S.GP,
    pixelBanks,
    complete: {
      gemm: 1 + S.laneLatency + S.G + 3 + S.rqaLatency + 1,
      avgpool: 2 + S.GP + 3 + S.rqaLatency + 1,
      maxpool: 3,
    },
    emit: 3,
    jobGap: 2,
    descCycles: 25,
    quiet: quietCycles(S),
  };
}

/** Items the program loader writes per clock in a weight section: k when the section packs k items per beat and its
 *  lane count is a multiple of k (whole-beat writes), else 1. */
export function weightItemsPerClock(cfg: CoreConfig, section: 'fixed' | 'fixed4' | 'sp2'): number {
  const W = streamWidth(cfg);
  const [k, P] = section === 'sp2' ? [Math.floor(W / (cfg.N * cfg.m)), cfg.Ps] : [Math.floor(W / (cfg.N * (section === 'fixed4' ? 4 : cfg.WF))), cfg.Pf];
  return k > 1 && P > 0 && P % k === 0 ? k : 1;
}

/** Descriptor fields that fix the program loader's time (docs/msq-core-rtl.md "Program loader"). */
export interface ProgramFields {
  op: 'gemm' | 'maxpool' | 'avgpool';
  fixed4: boolean;
  padT: number;
  padL: number;
  wordsPerLane: number;
  passes: number;
  cout: number;
}

/**
 * Cycles of the program loader for one job with s_wgt always valid: from the DESC state's first cycle to the cycle
 * after the program's last item (prog_ok visible), i.e. descriptor + DERIVE + each non-empty section (items / items
 * per clock + 1). `descValid` is the offset at which the descriptor (and the start address) is valid.
 */
export function coreProgramCycles(cfg: CoreConfig, f: ProgramFields): { descValid: number; total: number } {
  const L = cfg.Pf + cfg.Ps;
  const descValid = 25 + f.padT + f.padL + 1;
  let total = descValid;
  if (f.op === 'gemm') {
    if (cfg.Pf > 0) total += (f.wordsPerLane * cfg.Pf) / weightItemsPerClock(cfg, f.fixed4 ? 'fixed4' : 'fixed') + 1;
    if (cfg.Ps > 0) total += (f.wordsPerLane * cfg.Ps) / weightItemsPerClock(cfg, 'sp2') + 1;
    total += f.passes * L + 1;
  }
  if (f.op !== 'maxpool') total += f.cout + 1;
  return { descValid, total };
}

function quietCycles(S: CoreShape): number {
  return S.laneLatency + Math.max(S.G, S.GP) + S.rqaLatency + 10;
}

/** Generation limits of this RTL beyond checkCoreConfig (one-line UserErrors naming the field). */
export function checkCoreRtl(cfg: CoreConfig): void {
  checkCoreConfig(cfg);
  if (!isPow2(cfg.N) || cfg.N < 2) fail('core.N', `the core RTL needs N a power of two >= 2 (channel -> lane / word by bit slicing), got ${cfg.N}`);
  if (!isPow2(cfg.cDepth)) fail('core.cDepth', `the core RTL needs cDepth a power of two, got ${cfg.cDepth}`);
  if (cfg.A > 16) fail('core.A', `the core RTL supports A <= 16 (16-bit clamps), got ${cfg.A}`);
}

export interface CoreRtl {
  top: string;
  files: Map<string, string>;
  hash: string;
  cfg: CoreConfig;
  shape: CoreShape;
  pixelBanks: number;
  /** the input streams the design has: s_wgt is absent with a program ROM, s_res when no ROM job reads it */
  inputs: ('s_wgt' | 's_act' | 's_res')[];
}

/** The stream set of the core (for src/sim). */
export function coreSimDesign(rtl: CoreRtl): SimDesign {
  const W = rtl.shape.W;
  return {
    top: rtl.top,
    files: rtl.files,
    streams: [
      ...rtl.inputs.map((name) => ({ name, dir: 'in' as const, dataWidth: W })),
      { name: 'm_out', dir: 'out', dataWidth: W, last: true },
    ],
  };
}

/** The streams of `inputs` the design has (a program-ROM core takes no s_wgt, and no s_res without residual jobs). */
export function coreInputs(rtl: CoreRtl, inputs: Record<'s_wgt' | 's_act' | 's_res', Beat[]>): Record<string, Beat[]> {
  return Object.fromEntries(rtl.inputs.map((name) => [name, inputs[name]]));
}

/** Generate the core: `<prefix>_core` top plus the lanes and requantizer modules. */
export interface CoreRtlOptions {
  /** output pixel banks: 2 or 4 (default 4: pixel i + 4 reuses pixel i's bank; see docs/msq-core-rtl.md "Throughput") */
  pixelBanks?: 2 | 4;
  /** the program a `cfg.rom` core holds (programRom in src/msq/core/rom.ts) */
  rom?: RomProgram;
}

export function generateCore(cfg: CoreConfig, prefix = 'msqc', opts: CoreRtlOptions = {}): CoreRtl {
  checkCoreRtl(cfg);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) fail('prefix', `must be a Verilog identifier, got '${prefix}'`);
  const pixelBanks = opts.pixelBanks ?? DEFAULT_PIXEL_BANKS;
  if (pixelBanks !== 2 && pixelBanks !== 4) fail('pixelBanks', `must be 2 or 4, got ${String(pixelBanks)}`);
  if (cfg.rom && !opts.rom) fail('core.rom', 'a program-ROM core needs the compiled program (CoreRtlOptions.rom)');
  if (!cfg.rom && opts.rom) fail('core.rom', 'a program was given for the ROM, but core.rom is not set');
  const rom = cfg.rom ? opts.rom : undefined;
  const top = buildCoreTop(cfg, prefix, { pixelBanks, rom });
  const files = emitVerilog(top);
  const inputs: CoreRtl['inputs'] = rom ? (rom.residual ? ['s_act', 's_res'] : ['s_act']) : ['s_wgt', 's_act', 's_res'];
  const romHash = rom ? configHash({ beats: rom.beats.map((b) => b.toString(16)), residual: rom.residual }) : undefined;
  return { top: top.name, files, hash: configHash({ cfg, prefix, pixelBanks, kind: 'msq-core', ...(romHash ? { rom: romHash } : {}) }), cfg, shape: coreShape(cfg), pixelBanks, inputs };
}

/** Output pixel banks unless CoreRtlOptions says otherwise. */
export const DEFAULT_PIXEL_BANKS = 4;

/** Descriptor fields held per bank: [name, stored width, signed]. */
const FIELD_NAMES = [
  'op', 'actSigned', 'fixed4', 'residual', 'resSigned', 'inH', 'inW', 'outHM1', 'outWM1', 'khM1', 'kwM1', 'sh', 'sw',
  'padT', 'padL', 'cg', 'cgM1', 'passesM1', 'stepsM1', 'pcM1', 'cout', 'coutGroupsM1', 'wplM1', 'actWordsM1',
  'rowStride', 'rowStrideM1', 'rowStep', 'colStep', 'lo', 'hi', 'addLo', 'addHi', 'Ma', 'Mb', 'addS', 'start',
] as const;
type Field = (typeof FIELD_NAMES)[number];

export function buildCoreTop(cfg: CoreConfig, prefix: string, opts: CoreRtlOptions = {}): Module {
  checkCoreRtl(cfg);
  const NB = opts.pixelBanks ?? DEFAULT_PIXEL_BANKS;
  const PBB = Math.log2(NB);
  const S = coreShape(cfg);
  const { N, A, Pf, Ps, Rq, WF } = cfg;
  const { W, L, G, GP, AW, WAB, CMA, CB, CGB, LN } = S;
  const AB = S.accBits;
  const GM = Math.max(G, GP);
  const PB = abits(Math.max(cfg.maxPasses, cfg.cDepth / N)); // pass counter (pools: passes = cinGroups <= cDepth/N)
  const CW = 18; // signed pixel coordinates (16-bit fields + kernel offsets)
  const SB = A + 2 + abits(cfg.kMax / N); // pool reducer value
  if (SB > AB) fail('core.kMax', `internal: pool sums (${SB} bits) wider than the accumulators (${AB})`);

  const m = new Module(`${prefix}_core`, {
    doc: opts.rom
      ? `MSQ core with its job program in on-chip ROM (${opts.rom.beats.length} beats): activations on s_act${opts.rom.residual ? ', residuals on s_res' : ''}, results on m_out`
      : 'MSQ core: one run-time programmed design for every layer (job programs on s_wgt, activations on s_act, residuals on s_res, results on m_out)',
    config: { ...cfg, prefix, pixelBanks: NB, accBits: AB, laneLatency: S.laneLatency, rqaLatency: S.rqaLatency },
  });

  // ---------------------------------------------------------------- ports
  const wgt: WgtSource = opts.rom
    ? programRomSource(m, W, opts.rom)
    : { data: m.input('s_wgt_tdata', W), valid: m.input('s_wgt_tvalid', 1), ready: m.output('s_wgt_tready', 1) };
  const { data: wgtData, valid: wgtValid, ready: wgtReady } = wgt;
  const actData = m.input('s_act_tdata', W);
  const actValid = m.input('s_act_tvalid', 1);
  const actReady = m.output('s_act_tready', 1);
  // a ROM program without fused residual adds has no s_res port (the residual loader never starts)
  const noRes = opts.rom !== undefined && !opts.rom.residual;
  const resData: Expr = noRes ? lit(0, W) : m.input('s_res_tdata', W);
  const resValid: Expr = noRes ? lit(0, 1) : m.input('s_res_tvalid', 1);
  const resReady: Signal = noRes ? m.wire('rl_ready_unused', 1) : m.output('s_res_tready', 1);
  if (noRes) resReady.markUnused();
  const outData = m.output('m_out_tdata', W);
  const outValid = m.output('m_out_tvalid', 1);
  const outReady = m.input('m_out_tready', 1);
  const outLast = m.output('m_out_tlast', 1);

  const flag = (name: string): Signal => m.reg(name, 1, { reset: 0 });
  const sel2 = (b: Expr, x1: Expr, x0: Expr): Expr => mux(b, x1, x0);

  // ---------------------------------------------------------------- descriptor banks
  const fieldWidth: Record<Field, [number, boolean]> = {
    op: [2, false], actSigned: [1, false], fixed4: [1, false], residual: [1, false], resSigned: [1, false],
    inH: [16, false], inW: [16, false], outHM1: [16, false], outWM1: [16, false], khM1: [16, false], kwM1: [16, false],
    sh: [8, false], sw: [8, false], padT: [8, false], padL: [8, false], cg: [AW, false], cgM1: [16, false],
    passesM1: [PB, false], stepsM1: [16, false], pcM1: [16, false], cout: [cbits(cfg.cDepth), false],
    coutGroupsM1: [CGB, false], wplM1: [WAB, false], actWordsM1: [AW, false], rowStride: [AW, false], rowStrideM1: [AW, false],
    rowStep: [AW, false], colStep: [AW, false], lo: [16, true], hi: [16, true], addLo: [16, true], addHi: [16, true],
    Ma: [31, false], Mb: [31, false], addS: [6, false], start: [AW, false],
  };
  const desc: Record<Field, [Signal, Signal]> = {} as Record<Field, [Signal, Signal]>;
  for (const f of FIELD_NAMES) {
    const [w, s] = fieldWidth[f];
    desc[f] = [0, 1].map((k) => m.reg(`desc${k}_${f}`, w, { signed: s, reset: null })) as [Signal, Signal];
  }
  /** field of bank `b` (1-bit expression) */
  const D = (f: Field, b: Expr): Expr => sel2(b, desc[f][1], desc[f][0]);

  // bank flags (one process drives them all: see the end)
  const descOk = [flag('desc_ok0_q'), flag('desc_ok1_q')];
  const progOk = [flag('prog_ok0_q'), flag('prog_ok1_q')];
  const roundQ = [flag('round0_q'), flag('round1_q')];
  const actOk = [flag('act_ok0_q'), flag('act_ok1_q')];
  const resFull = [flag('res_full0_q'), flag('res_full1_q')];
  // generation of the residual pixel held in slot k (flips every second residual pixel): res_full alone cannot tell
  // the slot's previous pixel (two residual pixels earlier, still being read) from the one the issuer claims for
  const resGen = [flag('res_gen0_q'), flag('res_gen1_q')];
  const busyQ = Array.from({ length: NB }, (_, k) => flag(`busy${k}_q`));
  const fullQ = Array.from({ length: NB }, (_, k) => flag(`full${k}_q`));
  const pick = (arr: Signal[], b: Expr): Expr => sel2(b, arr[1]!, arr[0]!);
  /** arr[sel] for a power-of-two array (mux tree on sel's bits) */
  const pickAny = (arr: Expr[], sel: Expr): Expr => {
    let level = arr;
    for (let i = 0; level.length > 1; i++) {
      const next: Expr[] = [];
      for (let k = 0; k < level.length; k += 2) next.push(mux(sel.bit(i), level[k + 1]!, level[k]!));
      level = next;
    }
    return level[0]!;
  };

  // ---------------------------------------------------------------- memories
  const actMem = m.ram('act_mem', { width: W, depth: 2 * 2 ** AW, style: 'block' });
  const fixedMem = Array.from({ length: Pf }, (_, l) => m.ram(`fixed_mem${l}`, { width: N * WF, depth: 2 * 2 ** WAB, style: 'block' }));
  const sp2Mem = Array.from({ length: Ps }, (_, l) => m.ram(`sp2_mem${l}`, { width: N * cfg.m, depth: 2 * 2 ** WAB, style: 'block' }));
  const cntG = Array.from({ length: Rq }, (_, u) => Math.max(0, Math.min(G, L - u * G)));
  const cntA = Array.from({ length: Rq }, (_, u) => Math.max(0, Math.min(GP, N - u * GP)));
  const cmMem = cntG.map((c, u) => (c > 0 ? m.ram(`chan_map${u}`, { width: CB + 1, depth: 2 * 2 ** CMA, style: 'distributed' }) : undefined));
  const parMem = Array.from({ length: Rq }, (_, u) => m.ram(`params${u}`, { width: 69, depth: 2 * 2 ** CB, style: cfg.cDepth > 64 ? 'block' : 'distributed' }));
  const resMem = Array.from({ length: Rq }, (_, u) => m.ram(`res_mem${u}`, { width: W, depth: 2 * 2 ** CGB, style: 'distributed' }));

  // ================================================================ program loader (s_wgt)
  const secs = ['WAIT', 'DESC', 'DERIVE', 'FIXED', 'SP2', 'CMAP', 'PARAM'] as const;
  const wst = m.fsm('wl_state', secs);
  const wj = m.reg('wl_job_q', 2, { reset: 0 }); // job counter mod 4: bank = bit 0, round = bit 1
  const wb = m.let('wl_bank', wj.bit(0));
  const kDesc = Math.floor(W / 32);
  const kFix8 = Math.floor(W / (N * WF));
  const kFix4 = Math.floor(W / (N * 4));
  const kSp2 = Math.floor(W / (N * cfg.m));
  const kCmap = Math.floor(W / 16);
  const kPar = Math.floor(W / 96);
  const KB = cbits(Math.max(kDesc, kFix8, kFix4, kSp2, kCmap, kPar));
  // Whole-beat weight writes: when a weight section packs k > 1 items per beat and its lane count is a multiple of
  // k, lane l always finds its item in slot l mod k of the beat, so one beat (k lanes, k RAMs) is written per clock.
  const fast = (k: number, P: number): boolean => k > 1 && P > 0 && P % k === 0;
  const fastF8 = fast(kFix8, Pf);
  const fastF4 = fast(kFix4, Pf);
  const fastS = fast(kSp2, Ps);
  const stepF8 = fastF8 ? kFix8 : 1; // lanes written per processed item
  const stepF4 = fastF4 ? kFix4 : 1;
  const stepS = fastS ? kSp2 : 1;
  const wbuf = m.reg('wl_buf_q', W, { reset: null });
  const wk = m.reg('wl_items_q', KB, { reset: 0 }); // items left in wl_buf_q
  const di = m.reg('wl_desc_i_q', 5, { reset: 0 });
  const fa = m.reg('wl_addr_q', WAB, { reset: 0 }); // weight address a
  const fl = m.reg('wl_lane_q', cbits(Math.max(Pf, Ps, 1)), { reset: 0 }); // lane l within the section (0..P: lane-group steps fit)
  const cp = m.reg('wl_pass_q', PB, { reset: 0 });
  const cj = m.reg('wl_j_q', abits(L), { reset: 0 });
  const cu = m.reg('wl_unit_q', abits(Rq), { reset: 0 });
  const ck = m.reg('wl_k_q', abits(G), { reset: 0 });
  const cbase = m.reg('wl_cbase_q', CMA, { reset: 0 });
  const pc = m.reg('wl_chan_q', CB, { reset: 0 });
  const dvAcc = m.reg('wl_start_q', AW, { reset: 0 });
  const dvT = m.reg('wl_padt_q', 8, { reset: 0 });
  const dvL = m.reg('wl_padl_q', 8, { reset: 0 });

  const inSec = m.let('wl_in_sec', wst.is('DESC').or(wst.is('FIXED')).or(wst.is('SP2')).or(wst.is('CMAP')).or(wst.is('PARAM')));
  const itemGo = m.let('wl_item', inSec.and(wk.ne(0)));
  const wOp = D('op', wb);
  const wGemm = m.let('wl_gemm', wOp.eq(0));
  const wAvg = m.let('wl_avg', wOp.eq(2));
  const wF4 = D('fixed4', wb);
  const secLast = m.wire('wl_sec_last', 1);
  // the item processed is the last lane group of a weight address
  const fixedLaneEnd = Pf > 0 ? m.let('wl_fixed_lane_end', mux(wF4, fl.eq(Pf - stepF4), fl.eq(Pf - stepF8))) : lit(0, 1);
  m.comb((p) => {
    p.set(secLast, 0);
    wst.switch(p, {
      DESC: () => p.set(secLast, di.eq(23)),
      ...(Pf > 0 ? { FIXED: () => p.set(secLast, fa.eq(D('wplM1', wb)).and(fixedLaneEnd)) } : {}),
      ...(Ps > 0 ? { SP2: () => p.set(secLast, fa.eq(D('wplM1', wb)).and(fl.eq(Ps - stepS))) } : {}),
      CMAP: () => p.set(secLast, cp.eq(D('passesM1', wb)).and(cj.eq(L - 1))),
      PARAM: () => p.set(secLast, pc.eq(D('cout', wb).sub(1).trunc(CB))),
      default: () => {},
    });
  });
  const wReady = m.let('wl_ready', inSec.and(wk.eq(0).or(wk.eq(1).and(secLast.not()))));
  m.assign(wgtReady, wReady);
  const wFire = m.let('wl_fire', wReady.and(wgtValid));
  // items per beat of the current section
  const kNow = m.wire('wl_k_now', KB);
  m.comb((p) => {
    p.set(kNow, kDesc);
    wst.switch(p, {
      FIXED: () => p.set(kNow, mux(wF4, lit(fastF4 ? 1 : kFix4, KB), lit(fastF8 ? 1 : kFix8, KB))),
      SP2: () => p.set(kNow, fastS ? 1 : kSp2),
      CMAP: () => p.set(kNow, kCmap),
      PARAM: () => p.set(kNow, kPar),
      default: () => {},
    });
  });
  // the buffer after one item: shift by the item width
  const wShift = m.wire('wl_shifted', W);
  m.comb((p) => {
    p.set(wShift, wbuf.shr(32));
    wst.switch(p, {
      FIXED: () => p.set(wShift, mux(wF4, wbuf.shr(N * 4), wbuf.shr(N * WF))),
      SP2: () => p.set(wShift, wbuf.shr(N * cfg.m)),
      CMAP: () => p.set(wShift, wbuf.shr(16)),
      PARAM: () => p.set(wShift, wbuf.shr(96)),
      default: () => {},
    });
  });
  const item32 = wbuf.slice(31, 0);
  // fixed item of beat slot (s4 in fixed4 mode, s8 otherwise), sign-extended from 4 bits in fixed4 mode
  const fixedItems = new Map<string, Signal>();
  const fixedItem = (s4: number, s8: number): Signal => {
    const key = `${s4}_${s8}`;
    let v = fixedItems.get(key);
    if (!v) {
      const b4 = s4 * N * 4;
      const b8 = s8 * N * WF;
      v = m.let(
        `wl_fixed_item${fixedItems.size}`,
        mux(
          wF4,
          cat(...Array.from({ length: N }, (_, n) => wbuf.slice(b4 + n * 4 + 3, b4 + n * 4).asSigned().resize(WF).asUnsigned()).reverse()),
          wbuf.slice(b8 + N * WF - 1, b8),
        ),
      );
      fixedItems.set(key, v);
    }
    return v;
  };
  const descDone = m.wire('wl_desc_done', 1); // DERIVE finished: descriptor + start address valid
  const progDone = m.wire('wl_prog_done', 1); // last item of the program
  const wStart = m.let('wl_start', wst.is('WAIT').and(pick(descOk, wb).not()).and(pick(progOk, wb).not()));
  const deriveEnd = m.let('wl_derive_end', wst.is('DERIVE').and(dvT.eq(0)).and(dvL.eq(0)));

  // next section after DERIVE / FIXED / SP2 / CMAP (skipping empty ones); PARAM and MAXPOOL end the program
  type Sec = (typeof secs)[number];
  const afterDerive: Sec = Pf > 0 ? 'FIXED' : Ps > 0 ? 'SP2' : 'CMAP';
  m.assign(descDone, deriveEnd);
  const endAfterDerive = m.let('wl_end_after_derive', wGemm.not().and(wAvg.not()));
  const secEnd = m.let('wl_sec_end', itemGo.and(secLast));
  m.assign(progDone, deriveEnd.and(endAfterDerive).or(secEnd.and(wst.is('PARAM'))));

  m.sync((p) => {
    // beat buffer
    p.if(wFire, () => {
      p.set(wbuf, wgtData);
      p.set(wk, kNow);
    }).elif(itemGo, () => {
      p.set(wbuf, wShift);
      p.set(wk, mux(secLast, lit(0, KB), wk.sub(1).trunc(KB)));
    });
    p.if(secEnd, () => p.set(wk, 0));
    wst.switch(p, {
      WAIT: () =>
        p.if(wStart, () => {
          wst.goto(p, 'DESC');
          p.set(di, 0);
        }),
      DESC: () =>
        p.if(itemGo, () => {
          p.set(di, di.add(1).trunc(5));
          p.if(secLast, () => {
            wst.goto(p, 'DERIVE');
            p.set(dvAcc, 0);
            p.set(dvT, D('padT', wb));
            p.set(dvL, D('padL', wb));
          });
        }),
      DERIVE: () => {
        p.if(dvT.ne(0), () => {
          p.set(dvT, dvT.sub(1).trunc(8));
          p.set(dvAcc, dvAcc.sub(D('rowStride', wb)).trunc(AW));
        }).elif(dvL.ne(0), () => {
          p.set(dvL, dvL.sub(1).trunc(8));
          p.set(dvAcc, dvAcc.sub(D('cg', wb)).trunc(AW));
        }).else(() => {
          p.set(fa, 0);
          p.set(fl, 0);
          p.set(cp, 0);
          p.set(cj, 0);
          p.set(cu, 0);
          p.set(ck, 0);
          p.set(cbase, 0);
          p.set(pc, 0);
          p.if(wGemm, () => wst.goto(p, afterDerive))
            .elif(wAvg, () => wst.goto(p, 'PARAM'))
            .else(() => {
              wst.goto(p, 'WAIT');
              p.set(wj, wj.add(1).trunc(2));
            });
        });
      },
      FIXED: () => {
        if (Pf === 0) return;
        p.if(itemGo, () => {
          p.if(fixedLaneEnd, () => {
            p.set(fl, 0);
            p.set(fa, fa.add(1).trunc(WAB));
          }).else(() => p.set(fl, fl.add(mux(wF4, lit(stepF4, fl.width), lit(stepF8, fl.width))).trunc(fl.width)));
          p.if(secLast, () => {
            p.set(fa, 0);
            p.set(fl, 0);
            wst.goto(p, Ps > 0 ? 'SP2' : 'CMAP');
          });
        });
      },
      SP2: () => {
        if (Ps === 0) return;
        p.if(itemGo, () => {
          p.if(fl.eq(Ps - stepS), () => {
            p.set(fl, 0);
            p.set(fa, fa.add(1).trunc(WAB));
          }).else(() => p.set(fl, fl.add(stepS).trunc(fl.width)));
          p.if(secLast, () => wst.goto(p, 'CMAP'));
        });
      },
      CMAP: () =>
        p.if(itemGo, () => {
          p.if(cj.eq(L - 1), () => {
            p.set(cj, 0);
            p.set(cu, 0);
            p.set(ck, 0);
            p.set(cp, cp.add(1).trunc(PB));
            p.set(cbase, cbase.add(G).trunc(CMA));
          }).else(() => {
            p.set(cj, cj.add(1).trunc(cj.width));
            p.if(ck.eq(G - 1), () => {
              p.set(ck, 0);
              p.set(cu, cu.add(1).trunc(cu.width));
            }).else(() => p.set(ck, ck.add(1).trunc(ck.width)));
          });
          p.if(secLast, () => wst.goto(p, 'PARAM'));
        }),
      PARAM: () =>
        p.if(itemGo, () => {
          p.set(pc, pc.add(1).trunc(CB));
          p.if(secLast, () => {
            wst.goto(p, 'WAIT');
            p.set(wj, wj.add(1).trunc(2));
          });
        }),
    });
  });
  // descriptor fields: written from the item in DESC (bank wl_bank), start address at the end of DERIVE
  const descWe = m.let('wl_desc_we', wst.is('DESC').and(itemGo));
  const it = (hi: number, lo: number): Expr => item32.slice(hi, lo);
  const m1 = (e: Expr, w: number): Expr => e.sub(1).trunc(Math.max(w, 1)).resize(w);
  const fieldFromItem: Partial<Record<Field, [number, (w: number) => Expr]>> = {
    op: [0, () => it(1, 0)],
    actSigned: [0, () => it(4, 4)],
    fixed4: [0, () => it(5, 5)],
    residual: [0, () => it(6, 6)],
    resSigned: [0, () => it(7, 7)],
    inH: [1, () => it(15, 0)],
    inW: [1, () => it(31, 16)],
    outHM1: [2, (w) => m1(it(15, 0), w)],
    outWM1: [2, (w) => m1(it(31, 16), w)],
    khM1: [3, (w) => m1(it(15, 0), w)],
    kwM1: [3, (w) => m1(it(31, 16), w)],
    sh: [4, () => it(7, 0)],
    sw: [4, () => it(15, 8)],
    padT: [4, () => it(23, 16)],
    padL: [4, () => it(31, 24)],
    cg: [5, (w) => it(15, 0).resize(24).trunc(w)],
    cgM1: [5, (w) => m1(it(15, 0), w)],
    passesM1: [5, (w) => m1(it(31, 16), 16).trunc(w)],
    stepsM1: [6, (w) => m1(it(15, 0), w)],
    pcM1: [6, (w) => m1(it(31, 16), w)],
    cout: [7, (w) => it(15, 0).trunc(w)],
    coutGroupsM1: [7, (w) => m1(it(31, 16), 16).trunc(w)],
    wplM1: [8, (w) => m1(it(23, 0), 24).trunc(w)],
    actWordsM1: [9, (w) => m1(it(23, 0), 24).trunc(w)],
    rowStride: [10, (w) => it(23, 0).trunc(w)],
    rowStrideM1: [10, (w) => m1(it(23, 0), 24).trunc(w)],
    rowStep: [11, (w) => it(23, 0).trunc(w)],
    colStep: [12, (w) => it(15, 0).resize(24).trunc(w)],
    lo: [13, () => it(15, 0).asSigned()],
    hi: [13, () => it(31, 16).asSigned()],
    addLo: [14, () => it(15, 0).asSigned()],
    addHi: [14, () => it(31, 16).asSigned()],
    Ma: [15, () => it(30, 0)],
    Mb: [16, () => it(30, 0)],
    addS: [17, () => it(5, 0)],
  };
  m.sync((p) => {
    for (const k of [0, 1]) {
      const bk = k === 1 ? wb : wb.not();
      p.if(descWe.and(bk), () => {
        p.switch(di, Object.fromEntries(
          Array.from({ length: 18 }, (_, word) => [word, () => {
            for (const f of FIELD_NAMES) {
              const spec = fieldFromItem[f];
              if (!spec || spec[0] !== word) continue;
              const [w] = fieldWidth[f];
              p.set(desc[f][k]!, spec[1](w));
            }
          }]),
        ));
      });
      p.if(deriveEnd.and(bk), () => p.set(desc.start[k]!, dvAcc));
    }
  });
  // bank round: written when the loader starts a job's program
  m.sync((p) => {
    for (const k of [0, 1]) p.if(wStart.and(k === 1 ? wb : wb.not()), () => p.set(roundQ[k]!, wj.bit(1)));
  });
  // weight, channel-map and parameter writes (registered item data and counters)
  if (Pf > 0) {
    const fixedWe = m.let('wl_fixed_we', wst.is('FIXED').and(itemGo));
    fixedMem.forEach((mem, l) => {
      const s4 = fastF4 ? l % kFix4 : 0;
      const s8 = fastF8 ? l % kFix8 : 0;
      const mine = mux(wF4, fl.eq(l - s4), fl.eq(l - s8));
      mem.write(fixedWe.and(mine), cat(wb, fa), fixedItem(s4, s8));
    });
  }
  if (Ps > 0) {
    const sp2We = m.let('wl_sp2_we', wst.is('SP2').and(itemGo));
    sp2Mem.forEach((mem, l) => {
      const s = fastS ? l % kSp2 : 0;
      mem.write(sp2We.and(fl.eq(l - s)), cat(wb, fa), wbuf.slice((s + 1) * N * cfg.m - 1, s * N * cfg.m));
    });
  }
  const cmWe = m.let('wl_cmap_we', wst.is('CMAP').and(itemGo));
  const cmAddr = m.let('wl_cmap_addr', cbase.add(ck.resize(CMA)).trunc(CMA));
  cmMem.forEach((mem, u) => mem?.write(cmWe.and(cu.eq(u)), cat(wb, cmAddr), cat(wbuf.bit(15), wbuf.slice(CB - 1, 0))));
  const parWe = m.let('wl_param_we', wst.is('PARAM').and(itemGo));
  const parItem = m.let('wl_param_item', cat(wbuf.slice(69, 64), wbuf.slice(62, 32), wbuf.slice(31, 0)));
  parMem.forEach((mem) => mem.write(parWe, cat(wb, pc), parItem));

  // ================================================================ activation loader (s_act)
  const aj = m.reg('al_job_q', 2, { reset: 0 });
  const ab = m.let('al_bank', aj.bit(0));
  const aLoad = flag('al_load_q');
  const aCnt = m.reg('al_addr_q', AW, { reset: 0 });
  // complete input rows of the job being loaded: the issuer may start a pixel once its window's rows are in
  const aCol = m.reg('al_col_q', AW, { reset: 0 });
  const aRows = m.reg('al_rows_q', 16, { reset: 0 });
  m.assign(actReady, aLoad);
  const aFire = m.let('al_fire', aLoad.and(actValid));
  const aLast = m.let('al_last', aFire.and(aCnt.eq(D('actWordsM1', ab))));
  const aStart = m.let(
    'al_start',
    aLoad.not().and(pick(descOk, ab)).and(pick(roundQ, ab).eq(aj.bit(1))).and(pick(actOk, ab).not()),
  );
  actMem.write(aFire, cat(ab, aCnt), actData);
  m.sync((p) => {
    p.if(aStart, () => {
      p.set(aLoad, 1);
      p.set(aCnt, 0);
      p.set(aCol, 0);
      p.set(aRows, 0);
    });
    p.if(aFire, () => {
      p.set(aCnt, aCnt.add(1).trunc(AW));
      p.if(aCol.eq(D('rowStrideM1', ab)), () => {
        p.set(aCol, 0);
        p.set(aRows, aRows.add(1).trunc(16));
      }).else(() => p.set(aCol, aCol.add(1).trunc(AW)));
    });
    p.if(aLast, () => {
      p.set(aLoad, 0);
      p.set(aj, aj.add(1).trunc(2));
    });
  });

  // ================================================================ residual loader (s_res)
  const rj = m.reg('rl_job_q', 2, { reset: 0 });
  const rb = m.let('rl_bank', rj.bit(0));
  const rLoad = flag('rl_load_q');
  const rSlot = flag('rl_slot_q');
  const rGen = flag('rl_gen_q');
  const rg = m.reg('rl_group_q', CGB, { reset: 0 });
  const rox = m.reg('rl_x_q', 16, { reset: 0 });
  const roy = m.reg('rl_y_q', 16, { reset: 0 });
  const rDescReady = m.let('rl_desc_ready', rLoad.not().and(pick(descOk, rb)).and(pick(roundQ, rb).eq(rj.bit(1))));
  const rReady = m.let('rl_ready', rLoad.and(pick(resFull, rSlot).not()));
  m.assign(resReady, rReady);
  const rFire = m.let('rl_fire', rReady.and(resValid));
  const rPixEnd = m.let('rl_pix_end', rFire.and(rg.eq(D('coutGroupsM1', rb))));
  const rLastX = m.let('rl_last_x', rox.eq(D('outWM1', rb)));
  const rLastY = m.let('rl_last_y', roy.eq(D('outHM1', rb)));
  resMem.forEach((mem) => mem.write(rFire, cat(rSlot, rg), resData));
  m.sync((p) => {
    p.if(rDescReady, () => {
      p.if(D('residual', rb), () => {
        p.set(rLoad, 1);
        p.set(rg, 0);
        p.set(rox, 0);
        p.set(roy, 0);
      }).else(() => p.set(rj, rj.add(1).trunc(2)));
    });
    p.if(rFire, () => p.set(rg, rg.add(1).trunc(CGB)));
    p.if(rPixEnd, () => {
      p.set(rg, 0);
      p.set(rSlot, rSlot.not());
      p.if(rSlot, () => p.set(rGen, rGen.not()));
      p.if(rLastX, () => {
        p.set(rox, 0);
        p.if(rLastY, () => {
          p.set(rLoad, 0);
          p.set(rj, rj.add(1).trunc(2));
        }).else(() => p.set(roy, roy.add(1).trunc(16)));
      }).else(() => p.set(rox, rox.add(1).trunc(16)));
    });
  });

  // ================================================================ issuer
  const ist = m.fsm('is_state', ['IDLE', 'SETUP', 'RUN'] as const);
  const ij = m.reg('is_job_q', 2, { reset: 0 });
  const ib = m.let('is_bank', ij.bit(0));
  // job class of the unit path: a GEMM job after an AVGPOOL job (or the reverse) waits until the units are quiet
  // A job whose op differs from the previous job's waits until the result path is quiet (no step issued for QMAX
  // cycles), unless the previous job was a MAXPOOL: pool results reach the units earlier than lane results, and
  // MAXPOOL words share unit 0's output RAM write port.
  const lastOp = m.reg('is_last_op_q', 2, { reset: 0 });
  const QMAX = quietCycles(S);
  const quiet = m.reg('is_quiet_q', cbits(QMAX), { reset: QMAX });
  const nOp = D('op', ib);
  const classOk = m.let('is_class_ok', nOp.eq(lastOp).or(lastOp.eq(1)).or(quiet.eq(QMAX)));
  // the activation loader is loading this job's tile (rows arrive while the job runs)
  const actHere = m.let('is_act_here', aLoad.and(aj.eq(ij)));
  const jobReady = m.let(
    'is_job_ready',
    ist.is('IDLE').and(pick(progOk, ib)).and(pick(roundQ, ib).eq(ij.bit(1))).and(pick(actOk, ib).or(actHere)).and(classOk),
  );
  // per-job working registers (copied from the bank in SETUP)
  const jr = (name: string, w: number, signed = false): Signal => m.reg(`is_${name}_q`, w, { signed, reset: null });
  const jGemm = jr('gemm', 1);
  const jMax = jr('max', 1);
  const jRes = jr('residual', 1);
  const jAs = jr('act_signed', 1);
  const jInH = jr('in_h', CW, true);
  const jInW = jr('in_w', CW, true);
  const jOutHM1 = jr('out_h_m1', 16);
  const jOutWM1 = jr('out_w_m1', 16);
  const jKhM1 = jr('kh_m1', 16);
  const jKwM1 = jr('kw_m1', 16);
  const jCgM1 = jr('cg_m1', 16);
  const jKxInc = jr('kx_inc', AW);
  const jSh = jr('sh', CW, true);
  const jSw = jr('sw', CW, true);
  const jPadL = jr('pad_l', CW, true);
  const jStepsM1 = jr('steps_m1', 16);
  const jPassesM1 = jr('passes_m1', PB);
  const jPcM1 = jr('pc_m1', 16);
  const jRowStride = jr('row_stride', AW);
  const jRowStep = jr('row_step', AW);
  const jColStep = jr('col_step', AW);
  // counters
  const ox = m.reg('is_ox_q', 16, { reset: null });
  const needRows = m.reg('is_need_rows_q', CW, { signed: true, reset: null }); // iy0 + kh
  const oy = m.reg('is_oy_q', 16, { reset: null });
  const iy0 = m.reg('is_iy0_q', CW, { signed: true, reset: null });
  const ix0 = m.reg('is_ix0_q', CW, { signed: true, reset: null });
  const kiy = m.reg('is_iy_q', CW, { signed: true, reset: null });
  const kix = m.reg('is_ix_q', CW, { signed: true, reset: null });
  const ky = m.reg('is_ky_q', 16, { reset: null });
  const kx = m.reg('is_kx_q', 16, { reset: null });
  const cg = m.reg('is_cg_q', 16, { reset: null });
  const kstep = m.reg('is_kstep_q', 16, { reset: null });
  const pass = m.reg('is_pass_q', PB, { reset: null });
  const rowAddr = m.reg('is_row_addr_q', AW, { reset: null });
  const pixAddr = m.reg('is_pix_addr_q', AW, { reset: null });
  const pBase = m.reg('is_pass_addr_q', AW, { reset: null });
  const aRow = m.reg('is_krow_addr_q', AW, { reset: null });
  const rdAddr = m.reg('is_rd_addr_q', AW, { reset: null });
  const wAddr = m.reg('is_w_addr_q', WAB, { reset: null });
  const cmBase = m.reg('is_cm_base_q', CMA, { reset: null });
  const ibank = m.reg('is_pix_bank_q', PBB, { reset: 0 });
  const islot = flag('is_res_slot_q');
  const iGen = flag('is_res_gen_q');
  const pmJb = Array.from({ length: NB }, (_, k) => flag(`pm_job${k}_q`));
  const pmLast = Array.from({ length: NB }, (_, k) => flag(`pm_last${k}_q`));

  const run = ist.is('RUN');
  // The pixel claims its output bank (and residual slot) at the LAST step of its FIRST pass: its first result is
  // written laneLatency + 4 + rqaLatency cycles later, so the bank's previous pixel has one more pass to leave.
  const lastX = m.let('is_last_x', ox.eq(jOutWM1));
  const lastY = m.let('is_last_y', oy.eq(jOutHM1));
  const claim = m.let('is_claim', pass.eq(0).and(kstep.eq(0)));
  // A pixel starts once the input rows of its window are loaded (rows 0 .. iy0 + kh - 1); the job's last pixel waits
  // for the whole tile, so the activation bank is complete before the job releases it.
  const pixFirst = m.let('is_pix_first', pass.eq(0).and(kstep.eq(jPcM1)));
  const rowsIn = m.let('is_rows_in', actHere.and(lastX.and(lastY).not()).and(cat(lit(0, CW - 16), aRows).asSigned().ge(needRows)));
  const rowsOk = m.let('is_rows_ok', pick(actOk, ib).or(rowsIn));
  const stall = m.let(
    'is_stall',
    claim
      .and(pickAny(busyQ, ibank).or(jRes.and(pick(resFull, islot).and(pick(resGen, islot).eq(iGen)).not())))
      .or(pixFirst.and(rowsOk.not())),
  );
  const go = m.let('is_go', run.and(stall.not()));
  const issue = m.let('is_issue', go.and(kstep.le(jStepsM1)));
  const stepLast = m.let('is_step_last', kstep.eq(0));
  const passLast = m.let('is_pass_last', pass.eq(jPassesM1));
  const pixEnd = m.let('is_pix_end', go.and(stepLast).and(passLast));
  const jobEnd = m.let('is_job_end', pixEnd.and(lastX).and(lastY));
  const cgEnd = m.let('is_cg_end', cg.eq(jCgM1));
  const kxEnd = m.let('is_kx_end', kx.eq(jKwM1));
  const kyEnd = m.let('is_ky_end', ky.eq(jKhM1));
  const inside = m.let(
    'is_inside',
    kiy.ge(lit(0, CW, true)).and(kiy.lt(jInH)).and(kix.ge(lit(0, CW, true))).and(kix.lt(jInW)),
  );
  const nextRow = m.let('is_next_row_addr', rowAddr.add(jRowStep).trunc(AW));
  const nextPixX = m.let('is_next_pix_addr', pixAddr.add(jColStep).trunc(AW));
  const ext = (e: Expr): Expr => cat(lit(0, CW - e.width), e).asSigned();
  m.sync((p) => {
    ist.switch(p, {
      IDLE: () =>
        p.if(jobReady, () => {
          ist.goto(p, 'SETUP');
        }),
      SETUP: () => {
        const op = D('op', ib);
        const isMax = op.eq(1);
        const isAvg = op.eq(2);
        const pool = isMax.or(isAvg);
        p.set(jGemm, op.eq(0));
        p.set(jMax, isMax);
        p.set(jRes, D('residual', ib));
        p.set(jAs, D('actSigned', ib));
        p.set(jInH, ext(D('inH', ib)));
        p.set(jInW, ext(D('inW', ib)));
        p.set(jOutHM1, D('outHM1', ib));
        p.set(jOutWM1, D('outWM1', ib));
        p.set(jKhM1, D('khM1', ib));
        p.set(jKwM1, D('kwM1', ib));
        p.set(jCgM1, mux(pool, lit(0, 16), D('cgM1', ib)));
        p.set(jKxInc, mux(pool, D('cg', ib), lit(1, AW)));
        p.set(jSh, ext(D('sh', ib)));
        p.set(jSw, ext(D('sw', ib)));
        p.set(jPadL, ext(D('padL', ib)));
        p.set(jStepsM1, D('stepsM1', ib));
        p.set(jPassesM1, D('passesM1', ib));
        p.set(jPcM1, D('pcM1', ib));
        p.set(jRowStride, D('rowStride', ib));
        p.set(jRowStep, D('rowStep', ib));
        p.set(jColStep, D('colStep', ib));
        const py = ext(D('padT', ib)).neg().trunc(CW);
        const px = ext(D('padL', ib)).neg().trunc(CW);
        p.set(ox, 0);
        p.set(oy, 0);
        p.set(iy0, py);
        p.set(needRows, py.add(ext(D('khM1', ib))).add(1).trunc(CW));
        p.set(ix0, px);
        p.set(kiy, py);
        p.set(kix, px);
        p.set(ky, 0);
        p.set(kx, 0);
        p.set(cg, 0);
        p.set(kstep, D('pcM1', ib));
        p.set(pass, 0);
        const st = D('start', ib);
        p.set(rowAddr, st);
        p.set(pixAddr, st);
        p.set(pBase, st);
        p.set(aRow, st);
        p.set(rdAddr, st);
        p.set(wAddr, 0);
        p.set(cmBase, 0);
        p.set(lastOp, op);
        ist.goto(p, 'RUN');
      },
      RUN: () => {
        p.if(go, () => {
          p.set(kstep, mux(stepLast, jPcM1, kstep.sub(1).trunc(16)));
        });
        p.if(go.and(claim), () => {
          for (let k = 0; k < NB; k++) {
            p.if(ibank.eq(k), () => {
              p.set(pmJb[k]!, ib);
              p.set(pmLast[k]!, lastX.and(lastY));
            });
          }
        });
        p.if(issue, () => {
          p.set(wAddr, wAddr.add(1).trunc(WAB));
          p.if(cgEnd.not(), () => {
            p.set(cg, cg.add(1).trunc(16));
            p.set(rdAddr, rdAddr.add(1).trunc(AW));
          }).else(() => {
            p.set(cg, 0);
            p.if(kxEnd.not(), () => {
              p.set(kx, kx.add(1).trunc(16));
              p.set(kix, kix.add(1).trunc(CW));
              p.set(rdAddr, rdAddr.add(jKxInc).trunc(AW));
            }).else(() => {
              p.set(kx, 0);
              p.set(kix, ix0);
              p.if(kyEnd.not(), () => {
                p.set(ky, ky.add(1).trunc(16));
                p.set(kiy, kiy.add(1).trunc(CW));
                p.set(aRow, aRow.add(jRowStride).trunc(AW));
                p.set(rdAddr, aRow.add(jRowStride).trunc(AW));
              }).else(() => {
                // last step of the pass: the next pass of this pixel (pools: the next channel group)
                p.set(ky, 0);
                p.set(kiy, iy0);
                const nb = mux(jGemm, pBase, pBase.add(1).trunc(AW));
                p.set(pBase, nb);
                p.set(aRow, nb);
                p.set(rdAddr, nb);
              });
            });
          });
        });
        p.if(go.and(stepLast), () => {
          p.set(pass, mux(passLast, lit(0, PB), pass.add(1).trunc(PB)));
          p.set(cmBase, mux(passLast, lit(0, CMA), cmBase.add(G).trunc(CMA)));
        });
        p.if(pixEnd, () => {
          p.set(wAddr, 0);
          p.set(ibank, ibank.add(1).trunc(PBB));
          p.if(jRes, () => {
            p.set(islot, islot.not());
            p.if(islot, () => p.set(iGen, iGen.not()));
          });
          p.if(lastX.not(), () => {
            p.set(ox, ox.add(1).trunc(16));
            const nx = ix0.add(jSw).trunc(CW);
            p.set(ix0, nx);
            p.set(kix, nx);
            p.set(pixAddr, nextPixX);
            p.set(pBase, nextPixX);
            p.set(aRow, nextPixX);
            p.set(rdAddr, nextPixX);
          }).else(() => {
            p.set(ox, 0);
            const px = jPadL.neg().trunc(CW);
            p.set(ix0, px);
            p.set(kix, px);
            p.set(oy, oy.add(1).trunc(16));
            const ny = iy0.add(jSh).trunc(CW);
            p.set(iy0, ny);
            p.set(needRows, needRows.add(jSh).trunc(CW));
            p.set(kiy, ny);
            p.set(rowAddr, nextRow);
            p.set(pixAddr, nextRow);
            p.set(pBase, nextRow);
            p.set(aRow, nextRow);
            p.set(rdAddr, nextRow);
          });
        });
        p.if(jobEnd, () => {
          p.set(ij, ij.add(1).trunc(2));
          ist.goto(p, 'IDLE');
        });
      },
    });
    p.set(quiet, mux(issue, lit(0, quiet.width), mux(quiet.eq(QMAX), quiet, quiet.add(1).trunc(quiet.width))));
  });

  // ---- S1: bank reads (registered) and the step's control
  const actQ = actMem.read(cat(ib, rdAddr), { name: 'act_q' });
  const fwQ = fixedMem.map((mem, l) => mem.read(cat(ib, wAddr), { name: `fw${l}_q` }));
  const swQ = sp2Mem.map((mem, l) => mem.read(cat(ib, wAddr), { name: `sw${l}_q` }));
  const v1 = flag('s1_valid_q');
  const first1 = m.reg('s1_first_q', 1, { reset: null });
  const last1 = m.reg('s1_last_q', 1, { reset: null });
  const in1 = m.reg('s1_inside_q', 1, { reset: null });
  const gemm1 = m.reg('s1_gemm_q', 1, { reset: null });
  const max1 = m.reg('s1_max_q', 1, { reset: null });
  const as1 = m.reg('s1_act_signed_q', 1, { reset: null });
  // pass metadata: job bank, pixel bank, residual slot, last pass of the pixel, pass index, channel-map base
  const metaW = 3 + PBB + PB + CMA;
  const meta1 = m.reg('s1_meta_q', metaW, { reset: null });
  m.sync((p) => {
    p.set(v1, issue);
    p.set(first1, kstep.eq(jStepsM1));
    p.set(last1, stepLast);
    p.set(in1, inside);
    p.set(gemm1, jGemm);
    p.set(max1, jMax);
    p.set(as1, jAs);
    p.set(meta1, cat(cmBase, pass, passLast, islot, ibank, ib));
  });
  const actX = m.let('s1_act', actQ.and(rep(in1, W)));

  // ---- GEMM lanes
  const lanesMod = coreLanes(cfg, `${prefix}_lanes`);
  const accValid = m.wire('acc_valid', 1);
  const accAll = m.wire('acc', L * AB);
  const laneConns: Record<string, Expr> = {
    act: actX,
    act_signed: as1,
    in_valid: v1.and(gemm1),
    in_first: first1,
    in_last: last1,
    acc_valid: accValid,
    acc: accAll,
  };
  if (Pf > 0) laneConns.fw = cat(...[...fwQ].reverse());
  if (Ps > 0) laneConns.sw = cat(...[...swQ].reverse());
  m.instance(lanesMod, 'u_lanes', laneConns);
  // the pass metadata delayed to acc_valid
  let metaD: Expr = meta1;
  for (let d = 0; d < S.laneLatency; d++) {
    const r = m.reg(`gm_meta${d}_q`, metaW, { reset: null });
    const src = metaD;
    m.sync((p) => p.set(r, src));
    metaD = r;
  }

  // ---- pool reducer (N lanes): MAXPOOL max over inside positions, AVGPOOL sum
  const poolV = m.let('pool_step', v1.and(gemm1.not()));
  const have = m.reg('pool_have_q', 1, { reset: null });
  const poolR: Signal[] = [];
  for (let n = 0; n < N; n++) {
    const raw = actQ.slice(n * A + A - 1, n * A);
    const x = m.let(`pool_x${n}`, cat(as1.and(raw.bit(A - 1)), raw).asSigned());
    const r = m.reg(`pool_r${n}_q`, SB, { signed: true, reset: null });
    const xs = x.resize(SB);
    m.sync((p) => {
      p.if(poolV, () => {
        p.if(first1, () => p.set(r, mux(in1, xs, lit(0, SB, true))))
          .elif(max1, () => p.if(in1.and(have.not().or(xs.gt(r))), () => p.set(r, xs)))
          .else(() => p.set(r, r.add(mux(in1, xs, lit(0, SB, true))).trunc(SB)));
      });
    });
    poolR.push(r);
  }
  m.sync((p) => p.if(poolV, () => p.set(have, mux(first1, in1, have.or(in1)))));
  const poolEv = flag('pool_ev_q');
  const poolMax2 = m.reg('pool_max_q', 1, { reset: null });
  const meta2 = m.reg('pool_meta_q', metaW, { reset: null });
  m.sync((p) => {
    p.set(poolEv, poolV.and(last1));
    p.set(poolMax2, max1);
    p.set(meta2, meta1);
  });
  // meta = {channel-map base, pass, pass last, residual slot, pixel bank, job bank}
  const mJb = (e: Expr): Expr => e.bit(0);
  const mPb = (e: Expr): Expr => e.slice(PBB, 1);
  const mRs = (e: Expr): Expr => e.bit(PBB + 1);
  const mPl = (e: Expr): Expr => e.bit(PBB + 2);
  const mPass = (e: Expr): Expr => e.slice(PBB + 2 + PB, PBB + 3);
  const mCm = (e: Expr): Expr => e.slice(metaW - 1, PBB + 3 + PB);
  const maxWe = m.let('max_we', poolEv.and(poolMax2));
  const avgEv = m.let('avg_ev', poolEv.and(poolMax2.not()));

  // ---- serializer: at a pass event every unit snapshots its lanes and serves one per clock
  const ev = m.let('ser_ev', accValid.or(avgEv));
  const sBusy = flag('ser_busy_q');
  const sk = m.reg('ser_k_q', abits(GM), { reset: 0 });
  const sAvg = m.reg('ser_avg_q', 1, { reset: null });
  const sJb = m.reg('ser_job_q', 1, { reset: null });
  const sPb = m.reg('ser_pix_q', PBB, { reset: null });
  const sRs = m.reg('ser_slot_q', 1, { reset: null });
  const sPl = m.reg('ser_pass_last_q', 1, { reset: null });
  const PAB = CB - LN; // pass bits of an AVGPOOL channel p*N + n
  const sPass = PAB > 0 ? m.reg('ser_pass_q', PAB, { reset: null }) : undefined;
  const sCm = m.reg('ser_cm_q', CMA, { reset: null });
  const sLast = m.let('ser_last', sk.eq(mux(sAvg, lit(GP - 1, sk.width), lit(G - 1, sk.width))));
  const evMeta = m.let('ser_ev_meta', mux(avgEv, meta2, metaD));
  if (PB > Math.max(PAB, 0)) evMeta.markUnused(); // high pass bits: only MAXPOOL words use them
  m.sync((p) => {
    p.if(sBusy, () => {
      p.set(sk, sk.add(1).trunc(sk.width));
      p.set(sCm, sCm.add(1).trunc(CMA));
      p.if(sLast, () => p.set(sBusy, 0));
    });
    p.if(ev, () => {
      p.set(sBusy, 1);
      p.set(sk, 0);
      p.set(sAvg, avgEv);
      p.set(sJb, mJb(evMeta));
      p.set(sPb, mPb(evMeta));
      p.set(sRs, mRs(evMeta));
      p.set(sPl, mPl(evMeta));
      if (sPass) p.set(sPass, mPass(evMeta).trunc(PAB));
      p.set(sCm, mCm(evMeta));
    });
  });
  const snaps: Signal[][] = [];
  for (let u = 0; u < Rq; u++) {
    const row: Signal[] = [];
    for (let k = 0; k < GM; k++) row.push(m.reg(`snap${u}_${k}_q`, AB, { signed: true, reset: null }));
    snaps.push(row);
    m.sync((p) => {
      p.if(ev, () => {
        for (let k = 0; k < GM; k++) {
          const j = u * G + k;
          const n = u * GP + k;
          const g = k < cntG[u]! ? accAll.slice(j * AB + AB - 1, j * AB).asSigned() : lit(0, AB, true);
          const a = k < cntA[u]! ? poolR[n]!.resize(AB) : lit(0, AB, true);
          p.set(row[k]!, mux(avgEv, a, g));
        }
      }).else(() => {
        for (let k = 0; k + 1 < GM; k++) p.set(row[k]!, row[k + 1]!);
      });
    });
  }

  // ---- R1: channel map read; R2: parameters / residual word; R3: residual lane, job fields -> requantizer
  const r1Jb = m.reg('r1_job_q', 1, { reset: null });
  const r1Pb = m.reg('r1_pix_q', PBB, { reset: null });
  const r1Rs = m.reg('r1_slot_q', 1, { reset: null });
  const r1End = flag('r1_end_q');
  const r1Avg = m.reg('r1_avg_q', 1, { reset: null });
  m.sync((p) => {
    p.set(r1Jb, sJb);
    p.set(r1Pb, sPb);
    p.set(r1Rs, sRs);
    p.set(r1End, sBusy.and(sPl).and(sLast));
    p.set(r1Avg, sAvg);
  });
  const r2Jb = m.reg('r2_job_q', 1, { reset: null });
  const r2Pb = m.reg('r2_pix_q', PBB, { reset: null });
  const r2End = flag('r2_end_q');
  m.sync((p) => {
    p.set(r2Jb, r1Jb);
    p.set(r2Pb, r1Pb);
    p.set(r2End, r1End);
  });
  const resClear = m.let('res_clear', r2End.and(D('residual', r2Jb)));
  const r2Slot = m.reg('r2_slot_q', 1, { reset: null });
  m.sync((p) => p.set(r2Slot, r1Rs));
  // job fields of the requantizer, registered at R3
  const r3 = (name: string, e: Expr): Signal => {
    const r = m.reg(`r3_${name}_q`, e.width, { signed: e.signed, reset: null });
    m.sync((p) => p.set(r, e));
    return r;
  };
  const qLo = r3('lo', D('lo', r2Jb));
  const qHi = r3('hi', D('hi', r2Jb));
  const qResEn = r3('res_en', D('residual', r2Jb));
  const qResSigned = r3('res_signed', D('resSigned', r2Jb));
  const qMa = r3('ma', D('Ma', r2Jb));
  const qMb = r3('mb', D('Mb', r2Jb));
  const qAddS = r3('add_shift', D('addS', r2Jb));
  const qAddLo = r3('add_lo', D('addLo', r2Jb));
  const qAddHi = r3('add_hi', D('addHi', r2Jb));
  const r3Pb = r3('pix', r2Pb);
  const r3End = m.reg('r3_end_q', 1, { reset: 0 });
  m.sync((p) => p.set(r3End, r2End));

  const TB = CB + PBB + 2; // {write, pixel end, pixel bank, channel}: the end marker travels even when the lane is idle
  const rqaMod = coreRqa(cfg, `${prefix}_rqa`, TB);
  const port = (name: string): Signal => {
    const s = rqaMod.signals.find((x) => x.name === name && (x.kind === 'input' || x.kind === 'output'));
    if (!s) throw new Error(`coreRqa has no port ${name}`);
    return s;
  };
  const as = (e: Expr, name: string): Expr => {
    const s = port(name);
    const v = e.width === s.width ? e : e.resize(s.width);
    return s.signed ? v.asSigned() : v.asUnsigned();
  };
  const outWr: { v: Expr; pb: Expr; ch: Expr; y: Expr }[] = [];
  let fullSetUnit: Expr = lit(0, 1);
  let fullSetPb: Expr = lit(0, PBB);
  for (let u = 0; u < Rq; u++) {
    const cm = cmMem[u]?.read(cat(sJb, sCm), { name: `cm${u}_q` });
    const v0 = sBusy.and(sk.lt(mux(sAvg, lit(cntA[u]!, sk.width + 1), lit(cntG[u]!, sk.width + 1))));
    const val1 = m.reg(`r1_val${u}_q`, AB, { signed: true, reset: null });
    const ok1 = flag(`r1_ok${u}_q`);
    const achan = m.reg(`r1_achan${u}_q`, CB, { reset: null });
    const laneN = lit(u * GP, LN + 1).add(sk.resize(LN + 1)).trunc(LN);
    const achanE = sPass ? cat(sPass, laneN) : laneN;
    m.sync((p) => {
      p.set(val1, snaps[u]![0]!);
      p.set(ok1, v0);
      p.set(achan, achanE);
    });
    const ch1 = m.let(`r1_chan${u}`, cm ? mux(r1Avg, achan, cm.slice(CB - 1, 0)) : achan);
    const okv1 = m.let(`r1_valid${u}`, cm ? ok1.and(r1Avg.or(cm.bit(CB))) : ok1.and(r1Avg));
    const par = parMem[u]!.read(cat(r1Jb, ch1), { name: `par${u}_q` });
    const resW = resMem[u]!.read(cat(r1Rs, CB > LN ? ch1.slice(CB - 1, LN).resize(CGB) : lit(0, CGB)), { name: `resw${u}_q` });
    const val2 = m.reg(`r2_val${u}_q`, AB, { signed: true, reset: null });
    const ok2 = flag(`r2_ok${u}_q`);
    const ch2 = m.reg(`r2_chan${u}_q`, CB, { reset: null });
    m.sync((p) => {
      p.set(val2, val1);
      p.set(ok2, okv1);
      p.set(ch2, ch1);
    });
    // R3
    const val3 = r3(`val${u}`, val2);
    const ok3 = m.reg(`r3_ok${u}_q`, 1, { reset: 0 });
    m.sync((p) => p.set(ok3, ok2));
    const bias3 = r3(`bias${u}`, par.slice(31, 0).asSigned());
    const mul3 = r3(`mul${u}`, par.slice(62, 32));
    const sh3 = r3(`shift${u}`, par.slice(68, 63));
    const resLane = m.wire(`r2_res_lane${u}`, A);
    m.comb((p) => {
      p.set(resLane, resW.slice(A - 1, 0));
      p.switch(ch2.slice(LN - 1, 0), Object.fromEntries(
        Array.from({ length: N }, (_, n) => [n, () => p.set(resLane, resW.slice(n * A + A - 1, n * A))]),
      ));
    });
    const res3 = r3(`res${u}`, resLane);
    const ch3 = r3(`chan${u}`, ch2);
    const tag3 = cat(ok3, u === 0 ? r3End : lit(0, 1), r3Pb, ch3);
    const oValid = m.wire(`q${u}_valid`, 1);
    const oY = m.wire(`q${u}_y`, A, { signed: port('y').signed });
    const oTag = m.wire(`q${u}_tag`, TB, { signed: port('tag_out').signed });
    if (u !== 0) oTag.markUnused();
    m.instance(rqaMod, `u_rqa${u}`, {
      in_valid: u === 0 ? ok3.or(r3End) : ok3,
      acc: as(val3, 'acc'),
      bias: as(bias3, 'bias'),
      mul: as(mul3, 'mul'),
      shift: as(sh3, 'shift'),
      lo: as(qLo, 'lo'),
      hi: as(qHi, 'hi'),
      res_en: qResEn,
      res: as(res3, 'res'),
      res_signed: qResSigned,
      ma: as(qMa, 'ma'),
      mb: as(qMb, 'mb'),
      add_shift: as(qAddS, 'add_shift'),
      add_lo: as(qAddLo, 'add_lo'),
      add_hi: as(qAddHi, 'add_hi'),
      tag_in: as(tag3, 'tag_in'),
      out_valid: oValid,
      y: oY,
      tag_out: oTag,
    });
    const tagU = oTag.asUnsigned();
    outWr.push({ v: oValid.and(tagU.bit(CB + PBB + 1)), pb: tagU.slice(CB + PBB - 1, CB), ch: tagU.slice(CB - 1, 0), y: oY.asUnsigned() });
    if (u === 0) {
      fullSetUnit = m.let('q_pix_done', oValid.and(tagU.bit(CB + PBB)));
      fullSetPb = tagU.slice(CB + PBB - 1, CB);
    }
  }

  // ---- output pixel banks: per requantizer unit u and output lane n a small RAM ob<u>_<n> of NB pixel banks x
  //      cDepth/N words of A bits, so every unit writes its one result per clock without a write conflict. Channel c
  //      goes to lane c mod N, word c / N. MAXPOOL words go to unit 0's RAMs. The emitter reads all units' RAMs and
  //      picks per lane the unit that produced the channel: GEMM from the job's `inv` table (written by the program
  //      loader from the channel map), AVGPOOL lane n from unit n / GP, MAXPOOL unit 0.
  const maxPb = mPb(meta2);
  const maxWord = mPass(meta2).resize(Math.max(PB, CGB)).trunc(CGB);
  const gOf = (ch: Expr): Expr => (CB > LN ? ch.slice(CB - 1, LN).resize(CGB) : lit(0, CGB));
  const eBank = m.reg('em_bank_q', PBB, { reset: 0 });
  const eG = m.reg('em_group_q', CGB, { reset: 0 });
  const eIssue = m.wire('em_issue', 1);
  const eJb = m.let('em_job', pickAny(pmJb, eBank));
  const obq: Signal[][] = [];
  for (let u = 0; u < Rq; u++) {
    const w = outWr[u]!;
    const row: Signal[] = [];
    for (let n = 0; n < N; n++) {
      const ram = m.ram(`ob${u}_${n}`, { width: A, depth: NB * 2 ** CGB, style: 'distributed' });
      const we = w.v.and(w.ch.slice(LN - 1, 0).eq(n));
      const addr = cat(w.pb, gOf(w.ch));
      if (u === 0) {
        ram.write(maxWe.or(we), mux(maxWe, cat(maxPb, maxWord), addr), mux(maxWe, poolR[n]!.slice(A - 1, 0), w.y));
      } else {
        ram.write(we, addr, w.y);
      }
      row.push(ram.read(cat(eBank, eG), { en: eIssue, name: `obq${u}_${n}` }));
    }
    obq.push(row);
  }
  const UB = abits(Rq);
  const invq: Signal[] = [];
  if (Rq > 1) {
    const cmItemCh = wbuf.slice(CB - 1, 0);
    for (let n = 0; n < N; n++) {
      const ram = m.ram(`inv${n}`, { width: UB, depth: 2 * 2 ** CGB, style: 'distributed' });
      ram.write(cmWe.and(wbuf.bit(15)).and(cmItemCh.slice(LN - 1, 0).eq(n)), cat(wb, gOf(cmItemCh)), cu.resize(UB));
      invq.push(ram.read(cat(eJb, eG), { en: eIssue, name: `invq${n}` }));
    }
  }
  const maxDone = m.let('max_pix_done', maxWe.and(mPl(meta2)));

  // ---- emitter: E0 reads word eG of pixel bank eBank (when the pixel is complete and the output FIFO has room),
  //      E1 picks the units, zeroes lanes >= cout and pushes {tlast, word} into a 4-word FIFO driving m_out.
  const FD = 4;
  const fifo = syncFifo({ width: W + 1, depth: FD, level: true, name: `${prefix}_out_fifo` });
  const fLevel = m.wire('out_fifo_level', cbits(FD));
  const fReady = m.wire('out_fifo_ready', 1);
  fReady.markUnused(); // never full: E0 issues only with room for the word in flight
  const e1v = flag('em1_valid_q');
  const e1Last = m.reg('em1_last_q', 1, { reset: null });
  // which unit made a lane (GEMM: inv table, AVGPOOL: n / GP, MAXPOOL: 0): only with several units
  const e1Gemm = Rq > 1 ? m.reg('em1_gemm_q', 1, { reset: null }) : undefined;
  const e1Avg = Rq > 1 ? m.reg('em1_avg_q', 1, { reset: null }) : undefined;
  const CW1 = cbits(cfg.cDepth) + 1;
  const e1Rem = m.reg('em1_rem_q', CW1, { signed: true, reset: null });
  const eAvail = m.let('em_avail', pickAny(fullQ, eBank));
  m.assign(eIssue, eAvail.and(fLevel.resize(cbits(FD) + 1).add(e1v.resize(cbits(FD) + 1)).lt(FD)));
  const eGLast = m.let('em_group_last', eG.eq(D('coutGroupsM1', eJb)));
  const eDone = m.let('em_pix_done', eIssue.and(eGLast));
  const jobDone = m.let('em_job_done', eDone.and(pickAny(pmLast, eBank)));
  const eOp = D('op', eJb);
  m.sync((p) => {
    p.set(e1v, eIssue);
    p.set(e1Last, eGLast.and(pickAny(pmLast, eBank)));
    if (e1Gemm && e1Avg) {
      p.set(e1Gemm, eOp.eq(0));
      p.set(e1Avg, eOp.eq(2));
    }
    // lanes with channel >= cout are 0: rem = cout - g*N
    p.set(e1Rem, D('cout', eJb).resize(CW1).sub(cat(eG, lit(0, LN)).resize(CW1)).trunc(CW1).asSigned());
    p.if(eIssue, () => {
      p.if(eGLast, () => {
        p.set(eG, 0);
        p.set(eBank, eBank.add(1).trunc(PBB));
      }).else(() => p.set(eG, eG.add(1).trunc(CGB)));
    });
  });
  const lanesOut: Expr[] = [];
  for (let n = 0; n < N; n++) {
    let v: Expr = obq[0]![n]!;
    if (Rq > 1) {
      const avgU = Math.floor(n / GP);
      const sel = mux(e1Gemm!, invq[n]!, mux(e1Avg!, lit(avgU, UB), lit(0, UB)));
      const units = Array.from({ length: 2 ** UB }, (_, u) => obq[Math.min(u, Rq - 1)]![n]! as Expr);
      v = pickAny(units, sel);
    }
    lanesOut.push(mux(e1Rem.gt(lit(n, CW1, true)), v, lit(0, A)));
  }
  const e1Word = m.let('em1_word', cat(...[...lanesOut].reverse()));
  const mData = m.wire('m_fifo_data', W + 1);
  m.instance(fifo, 'u_out_fifo', {
    s_tdata: cat(e1Last, e1Word),
    s_tvalid: e1v,
    s_tready: fReady,
    m_tdata: mData,
    m_tvalid: outValid,
    m_tready: outReady,
    level: fLevel,
  });
  m.assign(outData, mData.slice(W - 1, 0));
  m.assign(outLast, mData.bit(W));

  // ================================================================ bank flags
  m.sync((p) => {
    for (const k of [0, 1]) {
      const is = (b: Expr): Expr => (k === 1 ? b : b.not());
      // program / descriptor bank k: set by the loader, freed when the job's last output beat is loaded
      p.if(jobDone.and(is(eJb)), () => {
        p.set(descOk[k]!, 0);
        p.set(progOk[k]!, 0);
      });
      p.if(descDone.and(is(wb)), () => p.set(descOk[k]!, 1));
      p.if(progDone.and(is(wb)), () => p.set(progOk[k]!, 1));
      // activation bank k: set by the loader, freed after the job's last issued step
      p.if(jobEnd.and(is(ib)), () => p.set(actOk[k]!, 0));
      p.if(aLast.and(is(ab)), () => p.set(actOk[k]!, 1));
      // residual slot k
      p.if(resClear.and(is(r2Slot)), () => p.set(resFull[k]!, 0));
      p.if(rPixEnd.and(is(rSlot)), () => {
        p.set(resFull[k]!, 1);
        p.set(resGen[k]!, rGen);
      });
    }
    for (let k = 0; k < NB; k++) {
      // output pixel bank k: claimed by the issuer, complete after its last result, freed when its last word is read
      p.if(eDone.and(eBank.eq(k)), () => {
        p.set(busyQ[k]!, 0);
        p.set(fullQ[k]!, 0);
      });
      p.if(go.and(claim).and(ibank.eq(k)), () => p.set(busyQ[k]!, 1));
      p.if(fullSetUnit.and(fullSetPb.eq(k)).or(maxDone.and(maxPb.eq(k))), () => p.set(fullQ[k]!, 1));
    }
  });
  return m;
}
