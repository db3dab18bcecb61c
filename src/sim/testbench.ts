/**
 * Self-checking Verilog-2005 testbench for a streaming design, written next to generated RTL so a user can re-run the
 * proof with nothing but Icarus: `iverilog -g2005 -o tb.vvp *.v && vvp tb.vvp` prints PASS or FAIL.
 *
 * Every input stream is fed from `<name>.hex` (one beat per line) and every output stream is compared with
 * `<name>.expected.hex`, beat by beat (and `tlast` on the last beat of each output when the stream has one).
 * Random valid/ready stalls: each stream has its own xorshift32 generator; a source drops `tvalid` and a sink drops
 * `tready` on a cycle with probability `stallPercent` %. AXI4-Stream rule kept: once `tvalid` is high it stays high
 * and `tdata` stays put until the handshake.
 */
import { GENERATOR_VERSION } from '../version.js';
import { fail } from '../util/errors.js';

export interface TbStream {
  /** port prefix, e.g. 's_act' (ports <name>_tdata, _tvalid, _tready[, _tlast]) */
  name: string;
  width: number;
  beats: number;
  /** output streams: compare tlast too */
  tlast?: boolean;
  /** beat indices that carry tlast (e.g. the last beat of every job); default: only the final beat */
  lastAt?: number[];
  /** hex file name (default `<name>.hex` for inputs, `<name>.expected.hex` for outputs) */
  file?: string;
}

export interface TestbenchOptions {
  top: string;
  inputs: TbStream[];
  outputs: TbStream[];
  maxCycles: number;
  /** 0..90: probability in percent that a stream stalls on a cycle (default 25) */
  stallPercent?: number;
  seed?: number;
}

const ident = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** File name of an input stream's beats / an output stream's expected beats. */
export const tbInputFile = (s: TbStream): string => s.file ?? `${s.name}.hex`;
export const tbExpectedFile = (s: TbStream): string => s.file ?? `${s.name}.expected.hex`;

/** Beats as a $readmemh file (hex, one per line, zero padded to the width). */
export function hexBeats(beats: readonly { data: bigint }[], width: number): string {
  const digits = Math.ceil(width / 4);
  return beats.map((b) => b.data.toString(16).padStart(digits, '0')).join('\n') + '\n';
}

export function streamTestbench(o: TestbenchOptions): string {
  const stall = o.stallPercent ?? 25;
  if (!Number.isInteger(stall) || stall < 0 || stall > 90) fail('testbench.stallPercent', `must be an integer in 0..90, got ${stall}`);
  if (!ident.test(o.top)) fail('testbench.top', `'${o.top}' is not a Verilog identifier`);
  for (const s of [...o.inputs, ...o.outputs]) {
    if (!ident.test(s.name)) fail('testbench.stream', `'${s.name}' is not a Verilog identifier`);
    if (!Number.isInteger(s.beats) || s.beats < 0) fail(`testbench.${s.name}`, `beats must be a whole number, got ${s.beats}`);
  }
  if (!o.outputs.some((s) => s.beats > 0)) fail('testbench.outputs', 'at least one output stream must expect a beat');
  // threshold on 8 random bits: stall when r[7:0] < thr
  const thr = Math.round((stall / 100) * 256);
  let seed = (o.seed ?? 1) >>> 0 || 1;
  const nextSeed = (): string => {
    seed = (Math.imul(seed, 2654435761) + 0x9e3779b9) >>> 0 || 1;
    return `32'h${seed.toString(16).padStart(8, '0')}`;
  };
  const L: string[] = [];
  L.push(`// Self-checking testbench for ${o.top} (accelforge ${GENERATOR_VERSION}). Expected beats: golden model.`);
  L.push('// Run in this folder: iverilog -g2005 -o tb.vvp *.v && vvp tb.vvp   (prints PASS or FAIL)');
  L.push(`// Random valid/ready stalls: ${stall} % per stream per cycle (xorshift32, AXI4-Stream hold rule kept).`);
  L.push('`timescale 1ns/1ps', '`default_nettype none', `module tb_${o.top};`);
  L.push("  reg clk = 1'b0;", "  reg rst = 1'b1;", '  always #5 clk = ~clk;', '  integer cycles = 0, errors = 0;');
  L.push('  function [31:0] xs32(input [31:0] x);', '    reg [31:0] a;', '    begin', '      a = x ^ (x << 13);', '      a = a ^ (a >> 17);', '      xs32 = a ^ (a << 5);', '    end', '  endfunction');
  for (const s of o.inputs) {
    const n = s.name;
    L.push(`  // input ${n}: ${s.beats} beats${s.beats ? '' : ' (tvalid stays low)'}`);
    L.push(`  reg [${s.width - 1}:0] ${n}_mem [0:${Math.max(s.beats, 1) - 1}];`);
    L.push(`  reg ${n}_tvalid;`, `  reg [31:0] ${n}_i, ${n}_r;`, `  wire ${n}_tready;`);
    L.push(`  wire [${s.width - 1}:0] ${n}_tdata = (${n}_i < ${s.beats}) ? ${n}_mem[${n}_i] : ${s.width}'d0;`);
    L.push(`  always @(posedge clk) begin`);
    L.push(`    if (rst) begin ${n}_tvalid <= 1'b0; ${n}_i <= 0; ${n}_r <= ${nextSeed()}; end`);
    L.push(`    else begin`);
    L.push(`      ${n}_r <= xs32(${n}_r);`);
    L.push(`      if (${n}_tvalid && ${n}_tready) begin`);
    L.push(`        ${n}_i <= ${n}_i + 1;`);
    L.push(`        ${n}_tvalid <= (${n}_i + 1 < ${s.beats}) && (${n}_r[7:0] >= 8'd${thr});`);
    L.push(`      end else if (!${n}_tvalid) ${n}_tvalid <= (${n}_i < ${s.beats}) && (${n}_r[7:0] >= 8'd${thr});`);
    L.push(`    end`);
    L.push(`  end`);
  }
  for (const s of o.outputs) {
    const n = s.name;
    L.push(`  // output ${n}: ${s.beats} beats expected`);
    L.push(`  reg [${s.width - 1}:0] ${n}_exp [0:${Math.max(s.beats, 1) - 1}];`);
    L.push(`  reg ${n}_tready;`, `  reg [31:0] ${n}_r;`, `  integer ${n}_i = 0;`, `  wire ${n}_tvalid;`, `  wire [${s.width - 1}:0] ${n}_tdata;`);
    if (s.tlast) {
      L.push(`  wire ${n}_tlast;`);
      const at = s.lastAt ?? [s.beats - 1];
      L.push(`  reg [0:${Math.max(s.beats, 1) - 1}] ${n}_lastexp;`);
      L.push(`  integer ${n}_k;`);
      L.push(`  initial begin`, `    for (${n}_k = 0; ${n}_k < ${s.beats}; ${n}_k = ${n}_k + 1) ${n}_lastexp[${n}_k] = 1'b0;`);
      for (const a of at) L.push(`    ${n}_lastexp[${a}] = 1'b1;`);
      L.push(`  end`);
    }
    L.push(`  always @(posedge clk) begin`);
    L.push(`    if (rst) begin ${n}_tready <= 1'b0; ${n}_r <= ${nextSeed()}; end`);
    L.push(`    else begin ${n}_r <= xs32(${n}_r); ${n}_tready <= (${n}_r[7:0] >= 8'd${thr}); end`);
    L.push(`  end`);
  }
  const ports: string[] = [];
  for (const s of o.inputs) ports.push(`.${s.name}_tdata(${s.name}_tdata), .${s.name}_tvalid(${s.name}_tvalid), .${s.name}_tready(${s.name}_tready)`);
  for (const s of o.outputs) {
    ports.push(`.${s.name}_tdata(${s.name}_tdata), .${s.name}_tvalid(${s.name}_tvalid), .${s.name}_tready(${s.name}_tready)` + (s.tlast ? `, .${s.name}_tlast(${s.name}_tlast)` : ''));
  }
  L.push(`  ${o.top} dut (`, `    .clk(clk), .rst(rst),`, ports.map((p) => `    ${p}`).join(',\n'), '  );');
  L.push('  initial begin');
  for (const s of o.inputs) if (s.beats) L.push(`    $readmemh("${tbInputFile(s)}", ${s.name}_mem);`);
  for (const s of o.outputs) if (s.beats) L.push(`    $readmemh("${tbExpectedFile(s)}", ${s.name}_exp);`);
  L.push('    repeat (4) @(posedge clk);', "    rst = 1'b0;", '  end');
  const done = o.outputs.map((s) => `${s.name}_i == ${s.beats}`).join(' && ');
  L.push('  always @(posedge clk) begin', '    if (!rst) begin', '      cycles = cycles + 1;');
  for (const s of o.outputs) {
    const n = s.name;
    const lastCheck = s.tlast ? ` || ${n}_tlast !== ${n}_lastexp[${n}_i]` : '';
    L.push(`      if (${n}_tvalid && ${n}_tready) begin`);
    L.push(`        if (${n}_i >= ${s.beats}) begin errors = errors + 1; $display("${n}: extra beat %h", ${n}_tdata); end`);
    L.push(`        else if (${n}_tdata !== ${n}_exp[${n}_i]${lastCheck}) begin`);
    L.push(`          errors = errors + 1;`);
    L.push(`          if (errors <= 5) $display("${n} beat %0d: got %h, expected %h", ${n}_i, ${n}_tdata, ${n}_exp[${n}_i]);`);
    L.push(`        end`);
    L.push(`        ${n}_i = ${n}_i + 1;`);
    L.push(`      end`);
  }
  L.push(`      if (${done}) begin`);
  L.push(`        if (errors == 0) $display("PASS: ${o.outputs.map((s) => `${s.beats} ${s.name}`).join(', ')} beats, %0d cycles (random stalls ${stall} %%)", cycles);`);
  L.push(`        else $display("FAIL: %0d beats differ", errors);`);
  L.push('        $finish;', '      end');
  L.push(`      if (cycles > ${o.maxCycles}) begin`);
  L.push(`        $display("FAIL: timeout after %0d cycles (${o.outputs.map((s) => `${s.name} %0d/${s.beats}`).join(', ')})", cycles${o.outputs.map((s) => `, ${s.name}_i`).join('')});`);
  L.push('        $finish;', '      end');
  L.push('    end', '  end', 'endmodule', '`default_nettype wire', '');
  return L.join('\n');
}
