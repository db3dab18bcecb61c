// The generated self-checking testbench (src/sim/testbench.ts): passes a correct design with random stalls, and
// fails on a wrong beat, a wrong tlast and a design that drops a beat (the checks can fail).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { hexBeats, streamTestbench } from '../src/sim/testbench.js';

// a registered AXI4-Stream pass-through that adds 3 to every beat; tlast on every 4th output beat
const dut = (dropBeat: number): string => `\`default_nettype none
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
      m_out_tvalid <= s_in_tvalid && (n != ${dropBeat});
      m_out_tdata <= s_in_tdata + 16'd3;
      m_out_tlast <= n[1:0] == 2'd3;
      if (s_in_tvalid) n <= n + 8'd1;
    end
  end
endmodule
\`default_nettype wire
`;

async function run(expected: bigint[], dropBeat = 255, lastAt = [3, 7, 11]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'af-tb-'));
  try {
    const ins = Array.from({ length: 12 }, (_, i) => ({ data: BigInt(i * 1000 + 7) }));
    await writeFile(join(dir, 'add3.v'), dut(dropBeat));
    await writeFile(join(dir, 's_in.hex'), hexBeats(ins, 16));
    await writeFile(join(dir, 'm_out.expected.hex'), hexBeats(expected.map((d) => ({ data: d })), 16));
    const tb = streamTestbench({
      top: 'add3',
      inputs: [{ name: 's_in', width: 16, beats: 12 }],
      outputs: [{ name: 'm_out', width: 16, beats: 12, tlast: true, lastAt }],
      maxCycles: 2000,
      stallPercent: 40,
      seed: 5,
    });
    await writeFile(join(dir, 'tb.v'), tb);
    await execa('iverilog', ['-g2005', '-Wall', '-o', 'tb.vvp', 'tb.v', 'add3.v'], { cwd: dir });
    return (await execa('vvp', ['-n', 'tb.vvp'], { cwd: dir })).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('streamTestbench', () => {
  const good = Array.from({ length: 12 }, (_, i) => BigInt(i * 1000 + 10));
  it('passes a correct design under random stalls', async () => {
    expect(await run(good)).toMatch(/PASS: 12 m_out beats/);
  });
  it('fails on a wrong beat, a wrong tlast, and a dropped beat (timeout)', async () => {
    const bad = [...good];
    bad[5] = bad[5]! + 1n;
    expect(await run(bad)).toMatch(/FAIL: 1 beats differ/);
    expect(await run(good, 255, [3, 7])).toMatch(/FAIL: 1 beats differ/);
    expect(await run(good, 4)).toMatch(/FAIL: timeout/);
  });
});
