/**
 * The simulation harness catches what it must: protocol violations, data mismatches, extra beats, X values,
 * timeouts and port mismatches; it stalls as configured (identically on both simulators); it never rebuilds an
 * unchanged design; VCDs on request; bad options are one-line UserErrors before any build.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portDirs } from './support/verilog.js';
import { UserError } from '../src/util/errors.js';
import {
  compareRuns,
  compareStreams,
  runBoth,
  runStreams,
  SimError,
  SimMismatch,
  type Beat,
  type RunResult,
  type SimDesign,
  type TimedBeat,
} from '../src/sim/index.js';

/**
 * One-entry AXI4-Stream register slice with deliberate faults selected by the `mode` config input:
 * 0 correct · 1 drops tvalid after 2 stalled cycles · 2 changes tdata while stalled · 3 corrupts beat 100 ·
 * 4 repeats the tlast beat once · 5 outputs a never-written register (X in Icarus) · 6 never outputs.
 * In every mode it also checks the harness's source: if a_tdata/a_tuser/a_tlast change or a_tvalid drops while
 * a_tvalid && !a_tready, a sticky flag flips y_tdata[15] from then on, so the data check catches it.
 * `busy` is an output the harness does not watch (allowed).
 */
const FAULTY = `\`default_nettype none
module faulty (
  input  wire        clk,
  input  wire        rst,
  input  wire [15:0] a_tdata,
  input  wire        a_tvalid,
  output wire        a_tready,
  input  wire        a_tlast,
  input  wire [3:0]  a_tuser,
  output wire [15:0] y_tdata,
  output wire        y_tvalid,
  input  wire        y_tready,
  output wire        y_tlast,
  output wire [3:0]  y_tuser,
  input  wire [2:0]  mode,
  output wire        busy
);
  reg [15:0] d_q;
  reg [3:0]  u_q;
  reg        l_q;
  reg        v_q;
  reg        dup_q;
  reg [1:0]  stall_q;
  reg [15:0] count_q;
  reg [15:0] junk_q;
  reg        held_q;
  reg [20:0] prev_q;
  reg        src_err_q;
  wire repeat_last = mode == 3'd4 && l_q && !dup_q;
  assign a_tready = !v_q || (y_tready && y_tvalid && !repeat_last);
  assign y_tvalid = v_q && !(mode == 3'd1 && stall_q == 2'd2) && mode != 3'd6;
  assign y_tdata  = (mode == 3'd5 ? junk_q : (mode == 3'd2 && stall_q != 2'd0) ? d_q + 16'd1 : d_q)
                    ^ {src_err_q, 15'd0};
  assign y_tlast  = l_q;
  assign y_tuser  = u_q;
  assign busy     = v_q;
  always @(posedge clk) begin
    if (v_q && !y_tready) stall_q <= stall_q == 2'd3 ? 2'd3 : stall_q + 2'd1;
    else stall_q <= 2'd0;
    if (a_tvalid && a_tready) begin
      d_q <= mode == 3'd3 && count_q == 16'd100 ? a_tdata ^ 16'h0100 : a_tdata;
      u_q <= a_tuser;
      l_q <= a_tlast;
      v_q <= 1'b1;
      count_q <= count_q + 16'd1;
    end else if (y_tready && y_tvalid) begin
      if (repeat_last) dup_q <= 1'b1;
      else begin
        v_q <= 1'b0;
        dup_q <= 1'b0;
      end
    end
    held_q <= a_tvalid && !a_tready;
    prev_q <= {a_tlast, a_tuser, a_tdata};
    if (held_q && (!a_tvalid || prev_q != {a_tlast, a_tuser, a_tdata})) src_err_q <= 1'b1;
    if (rst) begin
      v_q <= 1'b0;
      dup_q <= 1'b0;
      stall_q <= 2'd0;
      count_q <= 16'd0;
      held_q <= 1'b0;
      src_err_q <= 1'b0;
    end
  end
endmodule
\`default_nettype wire
`;

const faulty: SimDesign = {
  top: 'faulty',
  files: new Map([['faulty.v', FAULTY]]),
  streams: [
    { name: 'a', dir: 'in', dataWidth: 16, last: true, userWidth: 4 },
    { name: 'y', dir: 'out', dataWidth: 16, last: true, userWidth: 4 },
  ],
  constInputs: { mode: { width: 3 } },
  ports: portDirs('clk rst a_tdata a_tvalid a_tlast a_tuser y_tready mode', 'a_tready y_tdata y_tvalid y_tlast y_tuser busy'),
};

/**
 * Join + fork: a and b are consumed together; s = a + b (17 bits, tlast from a) and d = a - b (16 bits,
 * tuser = b's tuser) leave on two output streams with independent back-pressure.
 */
const ZIP = `\`default_nettype none
module zip (
  input  wire        clk,
  input  wire        rst,
  input  wire [15:0] a_tdata,
  input  wire        a_tvalid,
  output wire        a_tready,
  input  wire        a_tlast,
  input  wire [15:0] b_tdata,
  input  wire        b_tvalid,
  output wire        b_tready,
  input  wire [2:0]  b_tuser,
  output wire [16:0] s_tdata,
  output wire        s_tvalid,
  input  wire        s_tready,
  output wire        s_tlast,
  output wire [15:0] d_tdata,
  output wire        d_tvalid,
  input  wire        d_tready,
  output wire [2:0]  d_tuser
);
  reg [16:0] s_q;
  reg        sl_q;
  reg        sv_q;
  reg [15:0] d_q;
  reg [2:0]  du_q;
  reg        dv_q;
  wire free = (!sv_q || s_tready) && (!dv_q || d_tready);
  wire fire = free && a_tvalid && b_tvalid;
  assign a_tready = free && b_tvalid;
  assign b_tready = free && a_tvalid;
  assign s_tdata = s_q;
  assign s_tvalid = sv_q;
  assign s_tlast = sl_q;
  assign d_tdata = d_q;
  assign d_tvalid = dv_q;
  assign d_tuser = du_q;
  always @(posedge clk) begin
    if (fire) begin
      s_q <= {1'b0, a_tdata} + {1'b0, b_tdata};
      sl_q <= a_tlast;
      sv_q <= 1'b1;
      d_q <= a_tdata - b_tdata;
      du_q <= b_tuser;
      dv_q <= 1'b1;
    end else begin
      if (s_tready) sv_q <= 1'b0;
      if (d_tready) dv_q <= 1'b0;
    end
    if (rst) begin
      sv_q <= 1'b0;
      dv_q <= 1'b0;
    end
  end
endmodule
\`default_nettype wire
`;

const zip: SimDesign = {
  top: 'zip',
  files: new Map([['zip.v', ZIP]]),
  streams: [
    { name: 'a', dir: 'in', dataWidth: 16, last: true },
    { name: 'b', dir: 'in', dataWidth: 16, userWidth: 3 },
    { name: 's', dir: 'out', dataWidth: 17, last: true },
    { name: 'd', dir: 'out', dataWidth: 16, userWidth: 3 },
  ],
  ports: portDirs('clk rst a_tdata a_tvalid a_tlast b_tdata b_tvalid b_tuser s_tready d_tready', 'a_tready b_tready s_tdata s_tvalid s_tlast d_tdata d_tvalid d_tuser'),
};

function beats(n: number, seed: number): Beat[] {
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return { data: BigInt(x >>> 16), user: BigInt(x & 15), last: i === n - 1 };
  });
}

const N = 400;
const input = beats(N, 11);

async function caught(p: Promise<unknown>): Promise<SimError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SimError) return e;
    throw e;
  }
  throw new Error('expected a SimError, the run succeeded');
}

describe('sim harness', () => {
  it('builds once, then reuses the cached binary whatever the data, seed, stalls or config values', async () => {
    // Start from an empty cache (ACCELFORGE_CACHE), so the first run must build and the second must not.
    const saved = process.env.ACCELFORGE_CACHE;
    const cacheDir = await mkdtemp(join(tmpdir(), 'afsim-cache-test-'));
    process.env.ACCELFORGE_CACHE = cacheDir;
    try {
      await buildsOnce(cacheDir);
    } finally {
      if (saved === undefined) delete process.env.ACCELFORGE_CACHE;
      else process.env.ACCELFORGE_CACHE = saved;
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  async function buildsOnce(cacheDir: string): Promise<void> {
    for (const sim of ['verilator', 'icarus'] as const) {
      const first = await runStreams(faulty, { sim, inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n } });
      expect(first.cached).toBe(false);
      expect(first.buildMs).toBeGreaterThan(0);
      const binDir = join(cacheDir, sim);
      const before = (await stat(binDir)).mtimeMs;
      const other = beats(50, 3);
      const second = await runStreams(faulty, {
        sim,
        inputs: { a: other },
        expected: { y: other },
        constValues: { mode: 0n },
        seed: 1234,
        validProb: 0.3,
        readyProb: 0.4,
      });
      expect(second.cached).toBe(true);
      expect(second.buildMs).toBe(0);
      expect((await stat(binDir)).mtimeMs).toBe(before);
    }
  }

  it('stalls: same seed -> identical cycle stamps on both simulators; the seed changes timing, not data', async () => {
    const opts = { inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n }, validProb: 0.5, readyProb: 0.5 };
    const r1 = await runBoth(faulty, { ...opts, seed: 1 });
    const r2 = await runBoth(faulty, { ...opts, seed: 2 });
    const c1 = r1.outputs.y!.map((b) => b.cycle);
    const c2 = r2.outputs.y!.map((b) => b.cycle);
    expect(c1).not.toEqual(c2);
    expect(r1.icarus.outputs.y!.map((b) => b.cycle)).toEqual(c1);
    // Both sides stalled: throughput ~ min-ish of 0.5 and 0.5 for a one-entry slice, well below 1 beat/cycle.
    expect(r1.cycleCount).toBeGreaterThan(N * 1.8);
    // Beats come out in strictly increasing cycles.
    expect(c1.every((c, i) => i === 0 || c > c1[i - 1]!)).toBe(true);
    // Input beats were accepted late too.
    expect(r1.verilator.lastInputCycle.a).toBeGreaterThan(N * 1.5);
  });

  it('stall probabilities mean what they say: readyProb 0.25 gives ~1 beat per 4 cycles, 1 gives 1 per cycle', async () => {
    const slow = await runStreams(faulty, { inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n }, readyProb: 0.25, seed: 9 });
    expect(slow.cycleCount / N).toBeGreaterThan(3.4);
    expect(slow.cycleCount / N).toBeLessThan(4.6);
    const fast = await runStreams(faulty, { inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n } });
    // Register slice: beat i accepted at cycle i, handed over at cycle i+1.
    expect(fast.outputs.y!.map((b) => b.cycle)).toEqual(input.map((_, i) => i + 1));
    expect(fast.cycleCount).toBe(N + 1);
    expect(fast.cycles).toBe(N + 1 + 32);
    // Per-stream probabilities: only the sink stalls.
    const perStream = await runStreams(faulty, {
      inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n }, validProb: { a: 1 }, readyProb: { y: 0.5 }, seed: 4,
    });
    expect(perStream.cycleCount / N).toBeGreaterThan(1.7);
    expect(perStream.cycleCount / N).toBeLessThan(2.3);
  });

  it('validProb means what it says: 0.25 offers a beat ~1 cycle in 4 on both simulators, geometric gaps; per stream 0.5 ~1 in 2', async () => {
    const r = await runBoth(faulty, { inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n }, validProb: 0.25, seed: 6 });
    // the sink never stalls, so the slice takes every offered beat: the source's gaps are the only stalls
    expect((r.verilator.lastInputCycle.a! + 1) / N).toBeGreaterThan(3.4);
    expect((r.verilator.lastInputCycle.a! + 1) / N).toBeLessThan(4.6);
    expect(r.icarus.lastInputCycle.a).toBe(r.verilator.lastInputCycle.a);
    const stamps = r.outputs.y!.map((b) => b.cycle);
    const gaps = stamps.slice(1).map((c, i) => c - stamps[i]!);
    // a beat is offered on each cycle with probability 0.25: P(next beat on the very next cycle) = 0.25
    const next = gaps.filter((g) => g === 1).length / gaps.length;
    expect(next).toBeGreaterThan(0.18);
    expect(next).toBeLessThan(0.32);
    expect(Math.max(...gaps)).toBeGreaterThan(8);
    // validProb stalls the source only: mode 1 (drops tvalid after 2 stalled cycles of its sink) is never provoked
    await expect(runStreams(faulty, { inputs: { a: input }, expected: { y: input }, constValues: { mode: 1n }, validProb: 0.25, seed: 6 })).resolves.toBeDefined();
    const half = await runStreams(faulty, { inputs: { a: input }, expected: { y: input }, constValues: { mode: 0n }, validProb: { a: 0.5 }, readyProb: { y: 1 }, seed: 2 });
    expect(half.cycleCount / N).toBeGreaterThan(1.7);
    expect(half.cycleCount / N).toBeLessThan(2.3);
  });

  it('catches tvalid dropped during a stall, on both simulators at the same cycle', async () => {
    const opts = { inputs: { a: input }, expect: { y: N }, constValues: { mode: 1n }, readyProb: 0.4, seed: 3 };
    const v = await caught(runStreams(faulty, { ...opts, sim: 'verilator' }));
    const i = await caught(runStreams(faulty, { ...opts, sim: 'icarus' }));
    expect(v.kind).toBe('protocol');
    expect(v.message).toMatch(/output stream y at cycle \d+: tvalid dropped/);
    expect(i.message.replace(/^icarus/, 'verilator')).toBe(v.message);
  });

  it('catches tdata changing during a stall', async () => {
    const e = await caught(runBoth(faulty, { inputs: { a: input }, expect: { y: N }, constValues: { mode: 2n }, readyProb: 0.5 }));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/stream y at cycle \d+: tdata changed while tvalid && !tready/);
  });

  it('catches a data mismatch: stream, index, cycle, expected and got (hex)', async () => {
    for (const sim of ['verilator', 'icarus'] as const) {
      const e = await caught(runStreams(faulty, { sim, inputs: { a: input }, expected: { y: input }, constValues: { mode: 3n }, validProb: 0.8, readyProb: 0.7 }));
      expect(e).toBeInstanceOf(SimMismatch);
      const m = e as SimMismatch;
      expect(m.kind).toBe('mismatch');
      expect(m.stream).toBe('y');
      expect(m.index).toBe(100);
      expect(m.cycle).toBeGreaterThan(100);
      expect(m.got!.data).toBe(input[100]!.data ^ 0x100n);
      expect(m.message).toContain(`${sim}: stream y beat 100 at cycle ${m.cycle}: mismatch: expected data=0x${input[100]!.data.toString(16)}`);
      // The simulator compares as it goes and stops at the first differing beat.
      expect(m.message).toMatch(/\(simulation stopped there\)$/);
    }
  });

  it('stops at a differing tlast or tuser too, on both simulators at the same beat', async () => {
    const wrongLast = input.map((b, i) => (i === 250 ? { ...b, last: true } : b));
    const e1 = await caught(runBoth(faulty, { inputs: { a: input }, expected: { y: wrongLast }, constValues: { mode: 0n }, readyProb: 0.5 }));
    expect(e1).toBeInstanceOf(SimMismatch);
    expect((e1 as SimMismatch).index).toBe(250);
    expect(e1.message).toMatch(/^verilator: stream y beat 250 at cycle \d+: mismatch: expected data=0x[0-9a-f]+ last=1 user=0x[0-9a-f], got data=0x[0-9a-f]+ last=0/);
    const wrongUser = input.map((b, i) => (i === 7 ? { ...b, user: (b.user! + 1n) & 15n } : b));
    for (const sim of ['verilator', 'icarus'] as const) {
      const e2 = await caught(runStreams(faulty, { sim, inputs: { a: input }, expected: { y: wrongUser }, constValues: { mode: 0n } }));
      expect((e2 as SimMismatch).index).toBe(7);
      expect((e2 as SimMismatch).cycle).toBe(8);
      expect(e2.message).toMatch(/stopped there/);
    }
    // Without last/user in the expectation they are not compared.
    const dataOnly = input.map((b) => ({ data: b.data }));
    await runBoth(faulty, { inputs: { a: input }, expected: { y: dataOnly }, constValues: { mode: 0n } });
  });

  it('catches an extra beat during the drain cycles', async () => {
    const e = await caught(runBoth(faulty, { inputs: { a: input }, expected: { y: input }, constValues: { mode: 4n }, readyProb: 0.6 }));
    expect(e.kind).toBe('extra');
    expect(e.message).toMatch(/stream y produced 401 beats, expected 400; first extra beat at cycle \d+: data=0x/);
  });

  it('Icarus reports X on a transferred beat (Verilator, 2-state, sees a mismatch instead)', async () => {
    const opts = { inputs: { a: input }, expected: { y: input }, constValues: { mode: 5n } };
    const i = await caught(runStreams(faulty, { ...opts, sim: 'icarus' }));
    expect(i.kind).toBe('xvalue');
    expect(i.message).toMatch(/X\/Z on y_tdata at cycle 1 of a transferred beat/);
    const v = await caught(runStreams(faulty, { ...opts, sim: 'verilator' }));
    expect(v.kind).toBe('mismatch');
  });

  it('times out with the short streams and input progress named', async () => {
    const e = await caught(runBoth(faulty, { inputs: { a: input }, expect: { y: N }, constValues: { mode: 6n }, maxCycles: 500 }));
    expect(e.kind).toBe('timeout');
    expect(e.message).toContain('no result after maxCycles=500 cycles: y got 0 of 400 beats (inputs: a consumed 1 of 400)');
  });

  it('expectLast: ends a data-dependent stream after its n-th tlast beat; later beats are extra', async () => {
    const framed = input.map((b, i) => ({ ...b, last: i % 10 === 9 }));
    const r = await runBoth(faulty, { inputs: { a: framed }, expectLast: { y: 40 }, constValues: { mode: 0n }, readyProb: 0.7, seed: 8 });
    expect(r.outputs.y!.map((b) => b.data)).toEqual(framed.map((b) => b.data));
    expect(r.cycleCount).toBe(r.outputs.y![N - 1]!.cycle + 1);
    const e = await caught(runStreams(faulty, { inputs: { a: framed }, expectLast: { y: 20 }, constValues: { mode: 0n } }));
    expect(e.kind).toBe('extra');
    expect(e.message).toMatch(/stream y produced \d+ beats after its tlast beat number 20; first extra beat at cycle 201:/);
    const t = await caught(runStreams(faulty, { inputs: { a: framed }, expectLast: { y: 40 }, constValues: { mode: 6n }, maxCycles: 300 }));
    expect(t.message).toContain('y got 0 of 40 tlast beats (0 beats)');
    await expect(runStreams(faulty, { inputs: { a: framed }, expectLast: { y: 1 }, expect: { y: 3 }, constValues: { mode: 0n } })).rejects.toThrow(
      /^expectLast\.y: stream y is also in expect/,
    );
  });

  it('drives several streams with independent stalls (join + fork)', async () => {
    const a = beats(1500, 21).map((b) => ({ data: b.data, last: b.last }));
    const b = beats(1500, 22).map((x) => ({ data: x.data, user: x.user! & 7n }));
    const s = a.map((x, k) => ({ data: x.data + b[k]!.data, last: x.last }));
    const d = a.map((x, k) => ({ data: (x.data - b[k]!.data) & 0xffffn, user: b[k]!.user }));
    const r = await runBoth(zip, {
      inputs: { a, b },
      expected: { s, d },
      validProb: { a: 0.6, b: 0.8 },
      readyProb: { s: 0.7, d: 0.5 },
      seed: 77,
    });
    expect(r.verilator.consumed).toEqual({ a: 1500, b: 1500 });
    // Different back-pressure on s and d: their handshakes happen on different cycles.
    expect(r.outputs.s!.map((x) => x.cycle)).not.toEqual(r.outputs.d!.map((x) => x.cycle));
  });

  it('copies data files of the design next to the simulation, so $readmemh("lut.hex") works', async () => {
    const table = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);
    const lut: SimDesign = {
      top: 'lut',
      files: new Map([
        [
          'lut.v',
          `\`default_nettype none
module lut (
  input  wire       clk,
  input  wire       rst,
  input  wire [3:0] q_tdata,
  input  wire       q_tvalid,
  output wire       q_tready,
  output wire [7:0] r_tdata,
  output wire       r_tvalid,
  input  wire       r_tready
);
  reg [7:0] mem [0:15];
  reg [7:0] d_q;
  reg       v_q;
  initial $readmemh("lut.hex", mem);
  assign q_tready = !v_q || r_tready;
  assign r_tdata = d_q;
  assign r_tvalid = v_q;
  always @(posedge clk) begin
    if (q_tready) begin
      d_q <= mem[q_tdata];
      v_q <= q_tvalid;
    end
    if (rst) v_q <= 1'b0;
  end
endmodule
\`default_nettype wire
`,
        ],
        ['lut.hex', `${table.map((v) => v.toString(16).padStart(2, '0')).join('\n')}\n`],
      ]),
      streams: [
        { name: 'q', dir: 'in', dataWidth: 4 },
        { name: 'r', dir: 'out', dataWidth: 8 },
      ],
      ports: portDirs('clk rst q_tdata q_tvalid r_tready', 'q_tready r_tdata r_tvalid'),
    };
    const addrs = Array.from({ length: 200 }, (_, i) => BigInt((i * 7) % 16));
    await runBoth(lut, {
      inputs: { q: addrs.map((data) => ({ data })) },
      expected: { r: addrs.map((a) => ({ data: BigInt(table[Number(a)]!) })) },
      validProb: 0.6,
      readyProb: 0.6,
    });
  });

  it('writes a VCD on request (Verilator trace build, Icarus $dumpvars)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'afsim-vcd-'));
    try {
      const few = input.slice(0, 20);
      for (const sim of ['verilator', 'icarus'] as const) {
        const path = join(dir, `${sim}.vcd`);
        const r = await runStreams(faulty, { sim, inputs: { a: few }, expected: { y: few }, constValues: { mode: 0n }, vcd: path });
        const vcd = await readFile(path, 'utf8');
        expect(vcd).toContain('$enddefinitions');
        expect(vcd).toMatch(/y_tdata/);
        expect(r.outputs.y).toHaveLength(20);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a design whose ports differ from the declaration (width, missing port)', async () => {
    const wrongWidth: SimDesign = { ...faulty, streams: [{ ...faulty.streams[0]!, dataWidth: 17 }, faulty.streams[1]!] };
    for (const sim of ['verilator', 'icarus'] as const) {
      const e = await caught(runStreams(wrongWidth, { sim, inputs: { a: [] }, expect: { y: 0 }, constValues: { mode: 0n } }));
      expect(e.kind).toBe('build');
      expect(e.message).toMatch(/does not match its declared ports/);
      expect(e.message).toMatch(/a_tdata/);
    }
    const missing: SimDesign = { ...faulty, streams: [...faulty.streams, { name: 'z', dir: 'out', dataWidth: 8 }] };
    for (const sim of ['verilator', 'icarus'] as const) {
      const e = await caught(runStreams(missing, { sim, inputs: { a: [] }, expect: { y: 0, z: 0 }, constValues: { mode: 0n } }));
      expect(e.kind).toBe('build');
      expect(e.message).toBe('faulty: the design declares port z_tdata, but module faulty has no such port; fix design.streams / design.constInputs');
    }
    const undriven: SimDesign = { ...faulty, constInputs: {} };
    const u = await caught(runStreams(undriven, { inputs: { a: [] }, expect: { y: 0 } }));
    expect(u.message).toBe('faulty: input mode of module faulty would be left undriven; declare it as part of a stream or in design.constInputs');
    const flipped: SimDesign = { ...faulty, streams: [faulty.streams[0]!, { ...faulty.streams[1]!, dir: 'in' }] };
    const f = await caught(runStreams(flipped, { inputs: { a: [], y: [] }, expect: {}, constValues: { mode: 0n } }));
    expect(f.message).toMatch(/^faulty: port y_tdata is an output of module faulty, but the declared streams make it an input/);
  });

  it('rejects bad options with one-line errors naming the field, before any build', async () => {
    const bad = async (opts: Parameters<typeof runStreams>[1], re: RegExp) => {
      const p = runStreams({ ...faulty, top: 'faulty' }, opts);
      await expect(p).rejects.toBeInstanceOf(UserError);
      await expect(p).rejects.toThrow(re);
    };
    const base = { inputs: { a: input }, expect: { y: N }, constValues: { mode: 0n } };
    await bad({ ...base, inputs: { a: input, q: [] } }, /^inputs\.q: no such stream/);
    await bad({ ...base, inputs: {} }, /^inputs\.a: missing/);
    await bad({ ...base, expect: {} }, /^expect\.y: missing/);
    await bad({ ...base, inputs: { a: [{ data: 1n << 16n }] } }, /^inputs\.a\[0\]\.data: 0x10000 does not fit in 16 bits/);
    await bad({ ...base, inputs: { a: [{ data: -1n }] } }, /^inputs\.a\[0\]\.data: is negative/);
    await bad({ ...base, inputs: { a: [{ data: 1n, user: 16n }] } }, /^inputs\.a\[0\]\.user: 0x10 does not fit in 4 bits/);
    await bad({ ...base, readyProb: 0 }, /^readyProb: must be a probability in \(0, 1\]/);
    await bad({ ...base, validProb: { a: 1.5 } }, /^validProb\.a: must be a probability/);
    await bad({ ...base, constValues: {} }, /^constValues\.mode: missing/);
    await bad({ ...base, constValues: { mode: 8n } }, /^constValues\.mode: 0x8 does not fit in 3 bits/);
    await bad({ ...base, maxCycles: 0 }, /^maxCycles: must be an integer/);
    await expect(runStreams({ ...faulty, top: 'bad name' }, base)).rejects.toThrow(/^design\.top: 'bad name' is not a Verilog identifier/);
    await expect(runStreams({ ...faulty, streams: [...faulty.streams, faulty.streams[0]!] }, base)).rejects.toThrow(/declared twice/);
  });
});

describe('compareStreams', () => {
  const got = (xs: [number, bigint, boolean?][]): TimedBeat[] => xs.map(([cycle, data, last]) => ({ cycle, data, last }));
  it('accepts equal streams and ignores last/user where the expectation does not set them', () => {
    expect(() => compareStreams({ y: [{ data: 1n }, { data: 2n, last: true }] }, { y: got([[3, 1n, true], [5, 2n, true]]) })).not.toThrow();
  });
  it('names stream, index, cycle, expected and got in hex', () => {
    expect(() => compareStreams({ y: [{ data: 1n }, { data: 0xabn }] }, { y: got([[3, 1n], [7, 0xacn]]) })).toThrow(
      'stream y beat 1 at cycle 7: mismatch: expected data=0xab, got data=0xac',
    );
    expect(() => compareStreams({ y: [{ data: 1n, last: true }] }, { y: got([[3, 1n, false]]) })).toThrow(/expected data=0x1 last=1, got data=0x1 last=0/);
  });
  it('reports missing and extra beats', () => {
    expect(() => compareStreams({ y: [{ data: 1n }, { data: 2n }] }, { y: got([[3, 1n]]) })).toThrow(/beat 1: missing beat \(got 1 of 2\)/);
    expect(() => compareStreams({ y: [{ data: 1n }] }, { y: got([[3, 1n], [4, 9n]]) })).toThrow(/beat 1 at cycle 4: extra beat/);
    try {
      compareStreams({ y: [{ data: 5n }] }, { y: got([[2, 6n]]) });
    } catch (e) {
      expect(e).toBeInstanceOf(SimMismatch);
      expect((e as SimMismatch).index).toBe(0);
      expect((e as SimMismatch).cycle).toBe(2);
    }
  });
});

describe('compareRuns (the runBoth agreement check)', () => {
  const run = (sim: 'verilator' | 'icarus', beatsOut: TimedBeat[], extra: Partial<RunResult> = {}): RunResult => ({
    outputs: { y: beatsOut },
    cycles: 40,
    cycleCount: 8,
    consumed: { a: 2 },
    lastInputCycle: { a: 5 },
    sim,
    buildMs: 0,
    runMs: 1,
    simMs: 1,
    cached: true,
    ...extra,
  });
  const ys: TimedBeat[] = [
    { cycle: 3, data: 1n, last: false, user: 2n },
    { cycle: 7, data: 5n, last: true, user: 0n },
  ];
  it('accepts identical runs', () => {
    expect(() => compareRuns(faulty, run('verilator', ys), run('icarus', ys.map((b) => ({ ...b }))))).not.toThrow();
  });
  it('rejects a beat one cycle apart, a different tuser, a missing beat, run length and input acceptance', () => {
    const shifted = [ys[0]!, { ...ys[1]!, cycle: 8 }];
    expect(() => compareRuns(faulty, run('verilator', ys), run('icarus', shifted))).toThrow(
      'faulty: simulators disagree on stream y beat 1: verilator cycle 7 data=0x5 last=1 user=0x0, icarus cycle 8 data=0x5 last=1 user=0x0',
    );
    const user = [{ ...ys[0]!, user: 3n }, ys[1]!];
    expect(() => compareRuns(faulty, run('verilator', ys), run('icarus', user))).toThrow(/beat 0: verilator cycle 3 data=0x1 last=0 user=0x2, icarus cycle 3 data=0x1 last=0 user=0x3/);
    expect(() => compareRuns(faulty, run('verilator', ys), run('icarus', ys.slice(0, 1)))).toThrow(/beat 1: verilator cycle 7 .*, icarus nothing/);
    expect(() => compareRuns(faulty, run('verilator', ys), run('icarus', ys, { cycles: 41 }))).toThrow(/run length: verilator 40 cycles, icarus 41/);
    expect(() => compareRuns(faulty, run('verilator', ys), run('icarus', ys, { lastInputCycle: { a: 6 } }))).toThrow(
      /input stream a: verilator consumed 2 \(last at cycle 5\), icarus 2 \(last at cycle 6\)/,
    );
  });
});
