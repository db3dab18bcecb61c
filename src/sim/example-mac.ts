/**
 * A small example design for the simulation harness (used by its tests, the speed benchmark and the demo): a
 * streaming signed multiply-accumulate, hand-written (macVerilog) and described with the HDL builder
 * (buildStreamingMac), with one TypeScript golden function (macGolden) for both.
 */
import { Module, mux } from '../hdl/index.js';
import { axisMaster, axisSlave } from '../hdl/lib/index.js';
import { moduleDesign } from './design.js';
import { fail } from '../util/errors.js';
import { toSigned, toUnsigned } from './bits.js';
import type { SimDesign } from './types.js';

/**
 * Hand-written Verilog: x stream carries {b, a} (two signed w-bit operands) with tlast closing a dot-product
 * group; y emits init + sum(a*b) of the group, wrapped to accW bits. Two pipeline stages (product register, then
 * accumulator/output register) sharing one advance enable.
 */
export function macVerilog(w: number, accW: number): string {
  const name = `smac_w${w}_a${accW}`;
  return `\`default_nettype none
// Streaming signed multiply-accumulate (test DUT for the simulation harness).
module ${name} (
  input  wire              clk,
  input  wire              rst,
  input  wire [${2 * w - 1}:0]      x_tdata,
  input  wire              x_tvalid,
  output wire              x_tready,
  input  wire              x_tlast,
  output wire [${accW - 1}:0]      y_tdata,
  output wire              y_tvalid,
  input  wire              y_tready,
  input  wire [${accW - 1}:0]      init
);
  wire signed [${w - 1}:0] a = x_tdata[${w - 1}:0];
  wire signed [${w - 1}:0] b = x_tdata[${2 * w - 1}:${w}];
  reg signed [${2 * w - 1}:0] prod_q;
  reg prod_valid_q;
  reg prod_last_q;
  reg [${accW - 1}:0] acc_q;
  reg [${accW - 1}:0] y_data_q;
  reg y_valid_q;
  wire adv = !y_valid_q || y_tready;
  wire [${accW - 1}:0] prod_ext = {{${accW - 2 * w}{prod_q[${2 * w - 1}]}}, prod_q};
  wire [${accW - 1}:0] sum = acc_q + prod_ext;
  assign x_tready = adv;
  assign y_tdata = y_data_q;
  assign y_tvalid = y_valid_q;
  always @(posedge clk) begin
    if (adv) begin
      prod_q <= a * b;
      prod_last_q <= x_tlast;
      if (prod_valid_q) begin
        if (prod_last_q) begin
          y_data_q <= sum;
          acc_q <= init;
        end else begin
          acc_q <= sum;
        end
      end
      prod_valid_q <= x_tvalid;
      y_valid_q <= prod_valid_q && prod_last_q;
    end
    if (rst) begin
      prod_valid_q <= 1'b0;
      y_valid_q <= 1'b0;
      acc_q <= init;
    end
  end
endmodule
\`default_nettype wire
`;
}

export function macDesign(w: number, accW: number): SimDesign {
  const top = `smac_w${w}_a${accW}`;
  return {
    top,
    files: new Map([[`${top}.v`, macVerilog(w, accW)]]),
    streams: [
      { name: 'x', dir: 'in', dataWidth: 2 * w, last: true },
      { name: 'y', dir: 'out', dataWidth: accW },
    ],
    constInputs: { init: { width: accW } },
    ports: {
      clk: 'input', rst: 'input', x_tdata: 'input', x_tvalid: 'input', x_tready: 'output', x_tlast: 'input',
      y_tdata: 'output', y_tvalid: 'output', y_tready: 'input', init: 'input',
    },
  };
}

/** TS golden model: per tlast-closed group, init + sum(a*b) wrapped to accW bits (two's complement). */
export function macGolden(pairs: [bigint, bigint][], lasts: boolean[], init: bigint, accW: number): bigint[] {
  const out: bigint[] = [];
  let acc = toSigned(init, accW);
  pairs.forEach(([a, b], i) => {
    acc += a * b;
    if (lasts[i]) {
      out.push(toUnsigned(acc, accW));
      acc = toSigned(init, accW);
    }
  });
  return out;
}


/**
 * The same streaming MAC described with the HDL builder (src/hdl). Identical cycle behaviour to macVerilog:
 * a product register, then an accumulator/output register, one advance enable `adv = !y_valid_q || y_tready`.
 * Instead of loading `init` at reset, an `open_q` flag selects `init` as the base of a new group.
 */
export function buildStreamingMac(w: number, accW: number): Module {
  if (!Number.isInteger(w) || w < 2) fail('w', `must be an integer >= 2, got ${w}`);
  if (!Number.isInteger(accW) || accW < 2 * w) fail('accW', `must be an integer >= 2*w = ${2 * w}, got ${accW}`);
  const m = new Module(`smac_hdl_w${w}_a${accW}`, {
    doc: 'streaming signed multiply-accumulate: y = init + sum(a*b) over each tlast-closed group, wrapped to accW bits',
    config: { w, accW },
  });
  const { tdata: xData, tvalid: xValid, tready: xReady, tlast: xLast } = axisSlave(m, 'x', 2 * w, { last: true, role: '{b, a} operand pairs' });
  const { tdata: yData, tvalid: yValid, tready: yReady } = axisMaster(m, 'y', accW, { role: 'dot products' });
  const init = m.input('init', accW);

  const prod = m.reg('prod_q', 2 * w, { signed: true, reset: null });
  const prodValid = m.reg('prod_valid_q', 1);
  const prodLast = m.reg('prod_last_q', 1);
  const acc = m.reg('acc_q', accW, { reset: null });
  const open = m.reg('open_q', 1);
  const yDataQ = m.reg('y_data_q', accW, { reset: null });
  const yValidQ = m.reg('y_valid_q', 1);

  const a = m.let('a', xData.slice(w - 1, 0).asSigned());
  const b = m.let('b', xData.slice(2 * w - 1, w).asSigned());
  const adv = m.let('adv', yValidQ.not().or(yReady));
  const base = m.let('base', mux(open, acc, init));
  const sum = m.let('sum', base.add(prod.resize(accW).asUnsigned()).trunc(accW));

  m.assign(xReady, adv);
  m.assign(yData, yDataQ);
  m.assign(yValid, yValidQ);
  m.sync((p) => {
    p.if(adv, () => {
      p.set(prod, a.mul(b));
      p.set(prodLast, xLast);
      p.set(prodValid, xValid);
      p.set(yValidQ, prodValid.and(prodLast));
      p.if(prodValid, () => {
        p.if(prodLast, () => {
          p.set(yDataQ, sum);
          p.set(open, 0);
        }).else(() => {
          p.set(acc, sum);
          p.set(open, 1);
        });
      });
    });
  });
  return m;
}

/** SimDesign of the builder-generated MAC (emitted with emitVerilog). */
export function macHdlDesign(w: number, accW: number): SimDesign {
  return moduleDesign(buildStreamingMac(w, accW));
}
