// The standalone self-checking testbench folder (src/sim/testbench.ts, the harness's own Icarus testbench with its own
// file names): passes a correct design with random valid/ready stalls on every stream, and fails on a wrong beat, a
// wrong tlast, a design that drops a beat (timeout) and one that sends an extra beat (the checks can fail).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testbenchFolder } from '../src/sim/testbench.js';
import type { Beat, SimDesign } from '../src/sim/index.js';
import { withTempDir } from './support/cli.js';
import { portDirs, runIcarusFolder } from './support/verilog.js';

// a registered AXI4-Stream pass-through that adds 3 to every beat; tlast on every 4th output beat; beat `drop` is
// dropped
const dut = (drop: number): string => `\`default_nettype none
module add3 (
  input wire clk, input wire rst,
  input wire [15:0] s_in_tdata, input wire s_in_tvalid, output wire s_in_tready,
  output reg [15:0] m_out_tdata, output reg m_out_tvalid, input wire m_out_tready, output reg m_out_tlast
);
  reg [7:0] n;
  assign s_in_tready = !m_out_tvalid || m_out_tready;
  always @(posedge clk) begin
    if (rst) begin m_out_tvalid <= 1'b0; m_out_tdata <= 16'd0; m_out_tlast <= 1'b0; n <= 8'd0; end
    else if (s_in_tready) begin
      m_out_tvalid <= s_in_tvalid && (n != ${drop});
      m_out_tdata <= s_in_tdata + 16'd3;
      m_out_tlast <= n[1:0] == 2'd3;
      if (s_in_tvalid) n <= n + 8'd1;
    end
  end
endmodule
\`default_nettype wire
`;

const design = (drop = 255): SimDesign => ({
  top: 'add3',
  files: new Map([['add3.v', dut(drop)]]),
  streams: [
    { name: 's_in', dir: 'in', dataWidth: 16 },
    { name: 'm_out', dir: 'out', dataWidth: 16, last: true },
  ],
  ports: portDirs('clk rst s_in_tdata s_in_tvalid m_out_tready', 's_in_tready m_out_tdata m_out_tvalid m_out_tlast'),
});

const ins = Array.from({ length: 12 }, (_, i) => ({ data: BigInt(i * 1000 + 7) }));
const good = (): Beat[] => ins.map((b, i) => ({ data: b.data + 3n, last: i % 4 === 3 }));

async function run(expected: Beat[], d = design()): Promise<{ stdout: string; files: string[] }> {
  return withTempDir('tb', async (dir) => {
    const tb = testbenchFolder(d, { inputs: { s_in: ins }, expected: { m_out: expected }, validProb: 0.6, readyProb: 0.6, seed: 5, maxCycles: 2000 });
    for (const [f, t] of [...d.files, ...tb.files]) await writeFile(join(dir, f), t);
    const files = [...d.files.keys(), ...tb.files.keys()].sort();
    return { stdout: await runIcarusFolder(dir, { flags: ['-Wall'] }), files };
  });
}

describe('testbenchFolder', () => {
  it('writes the testbench, wrapper, configuration and beat files; passes a correct design under random stalls', async () => {
    const r = await run(good());
    expect(r.files).toEqual(['add3.v', 'afsim_top.v', 'm_out.expected.hex', 's_in.hex', 'tb_add3.cfg', 'tb_add3.v']);
    expect(r.stdout).toMatch(/^PASS: 12 m_out beats, \d+ cycles$/m);
  });

  it('fails on a wrong beat, a wrong tlast, a dropped beat (timeout) and an extra beat', async () => {
    const bad = good();
    bad[5] = { ...bad[5]!, data: bad[5]!.data + 1n };
    expect((await run(bad)).stdout).toMatch(/^FAIL: mismatch on m_out \(data\) at cycle \d+$/m);
    const badLast = good();
    badLast[7] = { ...badLast[7]!, last: false };
    expect((await run(badLast)).stdout).toMatch(/^FAIL: mismatch on m_out/m);
    const dropped = [...good().filter((_, i) => i !== 4), { data: 1n, last: true }];
    expect((await run(dropped, design(4))).stdout).toMatch(/^FAIL: timeout after 2000 cycles \(m_out 11\/12 beats\)$/m);
    expect((await run(good().slice(0, 11))).stdout).toMatch(/^FAIL: m_out sent 12 beats, 11 expected$/m);
  });

  it('refuses an output stream without expected beats, with one line', () => {
    expect(() => testbenchFolder(design(), { inputs: { s_in: ins }, expect: { m_out: 12 } })).toThrow(/^expected\.m_out: missing: a standalone testbench checks every output stream/);
  });
});
