/**
 * AXI4-Stream port bundles. `axisSlave(m, 's_act', 64, { last: true })` declares the ports `s_act_tdata[63:0]`,
 * `s_act_tvalid`, `s_act_tready` (an output) and `s_act_tlast` on module m, registers the bundle in `m.streams` (name,
 * direction, widths, sidebands, role) and returns the signals. `axisMaster` is the producing side. The flows read
 * `m.streams` (simulation streams, the design manifest) instead of parsing the emitted Verilog.
 */
import { UserError } from '../../util/errors.js';
import type { Expr } from '../expr.js';
import type { StreamInfo } from '../meta.js';
import type { Module, Signal } from '../module.js';

export interface AxisOptions {
  /** Add `<name>_tlast`. */
  last?: boolean;
  /** Add `<name>_tuser` of this width. */
  user?: number;
  /** Add `<name>_tkeep` (one bit per tdata byte; tdata width must be a multiple of 8). */
  keep?: boolean;
  /** What the stream carries (free text, copied to the design manifest). */
  role?: string;
}

type Sidebands<O> = (O extends { last: true } ? { tlast: Signal } : { tlast?: Signal }) &
  (O extends { user: number } ? { tuser: Signal } : { tuser?: Signal }) &
  (O extends { keep: true } ? { tkeep: Signal } : { tkeep?: Signal });

/** The signals of one bundle (as seen inside the module), and its registered metadata. */
export type AxisBundle<O extends AxisOptions = AxisOptions> = {
  name: string;
  tdata: Signal;
  tvalid: Signal;
  tready: Signal;
  info: StreamInfo;
} & Sidebands<O>;

function declare<O extends AxisOptions>(m: Module, dir: 'in' | 'out', name: string, width: number, opts: O): AxisBundle<O> {
  const where = `module ${m.name}: ${dir === 'in' ? 'axisSlave' : 'axisMaster'} '${name}'`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`${where}: the stream name must be a Verilog identifier`);
  if (!Number.isInteger(width) || width < 1) throw new UserError(`${where}: tdata width ${width} must be a positive integer`);
  if (opts.user !== undefined && (!Number.isInteger(opts.user) || opts.user < 1)) throw new UserError(`${where}: user width ${opts.user} must be a positive integer`);
  if (opts.keep && width % 8 !== 0) throw new UserError(`${where}: tkeep needs a tdata width that is a multiple of 8, got ${width}`);
  const suffixes = ['tdata', 'tvalid', 'tready', ...(opts.last ? ['tlast'] : []), ...(opts.user !== undefined ? ['tuser'] : []), ...(opts.keep ? ['tkeep'] : [])];
  for (const s of suffixes) if (m.isTaken(`${name}_${s}`)) throw new UserError(`${where}: the name ${name}_${s} is already used in the module`);
  const fwd = (n: string, w: number): Signal => (dir === 'in' ? m.input(n, w) : m.output(n, w));
  const back = (n: string): Signal => (dir === 'in' ? m.output(n, 1) : m.input(n, 1));
  const b: Record<string, unknown> = { name };
  b.tdata = fwd(`${name}_tdata`, width);
  b.tvalid = fwd(`${name}_tvalid`, 1);
  b.tready = back(`${name}_tready`);
  if (opts.last) b.tlast = fwd(`${name}_tlast`, 1);
  if (opts.user !== undefined) b.tuser = fwd(`${name}_tuser`, opts.user);
  if (opts.keep) b.tkeep = fwd(`${name}_tkeep`, width / 8);
  const info: StreamInfo = { name, dir, dataWidth: width, last: Boolean(opts.last) };
  if (opts.user !== undefined) info.userWidth = opts.user;
  if (opts.keep) info.keepWidth = width / 8;
  if (opts.role !== undefined) info.role = opts.role;
  m.addStream(info);
  b.info = m.streams[m.streams.length - 1];
  return b as AxisBundle<O>;
}

/** A consumed stream: tdata, tvalid (and tlast/tuser/tkeep) are inputs of m, tready is an output. */
export function axisSlave<const O extends AxisOptions = Record<never, never>>(m: Module, name: string, width: number, opts?: O): AxisBundle<O> {
  return declare(m, 'in', name, width, opts ?? ({} as O));
}

/** A produced stream: tdata, tvalid (and tlast/tuser/tkeep) are outputs of m, tready is an input. */
export function axisMaster<const O extends AxisOptions = Record<never, never>>(m: Module, name: string, width: number, opts?: O): AxisBundle<O> {
  return declare(m, 'out', name, width, opts ?? ({} as O));
}

/** tvalid && tready: the handshake of a bundle in this cycle. */
export function axisFire(b: { tvalid: Expr; tready: Expr }): Expr {
  return b.tvalid.and(b.tready);
}

/**
 * The output register of a produced stream: `<prefix>_valid_q`, `<prefix>_data_q` and (with tlast) `<prefix>_last_q`
 * (reset 0), driving the bundle's tvalid / tdata / tlast. The caller sets them in its sync block and clears valid
 * on axisFire(b).
 */
export function axisOutputRegs<O extends AxisOptions>(
  m: Module, b: AxisBundle<O>, prefix = 'out',
): { valid: Signal; data: Signal } & (O extends { last: true } ? { last: Signal } : { last?: Signal }) {
  const valid = m.reg(`${prefix}_valid_q`, 1);
  const data = m.reg(`${prefix}_data_q`, b.info.dataWidth);
  const last = b.tlast ? m.reg(`${prefix}_last_q`, 1) : undefined;
  m.assign(b.tvalid, valid);
  m.assign(b.tdata, data);
  if (b.tlast && last) m.assign(b.tlast, last);
  return { valid, data, ...(last ? { last } : {}) } as { valid: Signal; data: Signal } & (O extends { last: true } ? { last: Signal } : { last?: Signal });
}
