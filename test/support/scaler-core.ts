/**
 * A third core for the flow tests, registered only through its design manifest: `scaler` multiplies each 12-bit
 * sample of stream s_x by an 8-bit `gain` register into the 20-bit stream m_y (tlast passed through) and counts the
 * samples in the 16-bit status register `count`. Built with the HDL builder (axisSlave / axisMaster), written as a
 * design folder (Verilog + design.json) by writeScalerDesign — simulation, synthesis, report and export then handle
 * it without any change in src/sim, src/synth, src/report or src/export.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { emitVerilog, Module } from '../../src/hdl/index.js';
import { axisMaster, axisSlave } from '../../src/hdl/lib/index.js';
import { manifestFromModule, writeDesignManifest, type DesignManifest } from '../../src/design/index.js';

export function buildScaler(): Module {
  const m = new Module('scaler', { doc: 'test core: m_y = s_x * gain, count = samples seen', config: { core: 'scaler' } });
  const x = axisSlave(m, 's_x', 12, { last: true, role: 'samples' });
  const y = axisMaster(m, 'm_y', 20, { last: true, role: 'scaled samples' });
  const gain = m.input('gain', 8);
  const count = m.output('count', 16);
  const yData = m.reg('y_data_q', 20, { reset: 0 });
  const yValid = m.reg('y_valid_q', 1, { reset: 0 });
  const yLast = m.reg('y_last_q', 1, { reset: 0 });
  const n = m.reg('count_q', 16, { reset: 0 });
  const ready = m.let('x_ready', yValid.not().or(y.tready));
  const fire = m.let('x_fire', x.tvalid.and(ready));
  m.sync((p) => {
    p.if(fire, () => {
      p.set(yData, x.tdata.mul(gain));
      p.set(yLast, x.tlast);
      p.set(yValid, 1);
      p.set(n, n.add(1).trunc(16));
    }).elif(y.tready, () => p.set(yValid, 0));
  });
  m.assign(x.tready, ready);
  m.assign(y.tdata, yData);
  m.assign(y.tvalid, yValid);
  m.assign(y.tlast, yLast);
  m.assign(count, n);
  return m;
}

/** Write the scaler's design folder; returns its manifest. */
export async function writeScalerDesign(dir: string): Promise<DesignManifest> {
  const m = buildScaler();
  const files = emitVerilog(m);
  await mkdir(dir, { recursive: true });
  for (const [f, t] of files) await writeFile(join(dir, f), t);
  const manifest = manifestFromModule(m, {
    files: files.keys(), clockMHz: 125, registerNotes: { gain: 'multiplier', count: 'samples seen' },
    streams: { s_x: { lanes: { count: 1, bits: 12, signed: false } }, m_y: { maxBeats: 4096 } },
    description: 'scaler test core',
  });
  await writeDesignManifest(dir, manifest);
  return manifest;
}
