/**
 * The core's output records (AXI4-Stream, one record per beat, tdata = outWidth bits, LSB first):
 *
 *  - object record (tlast = 0): bit 0 = 0, then the feature fields in `featFields` order (featureLayout order, then
 *    `first` = raster index y·W + x of the object's first foreground pixel, for the host to sort by).
 *  - end-of-frame record (tlast = 1): bit 0 = 1, then `count` (object records of this frame, countWidth bits),
 *    `overflow` (1 bit: more than N live objects; the frame's records are then undefined), `syncErr` (1 bit: tuser/tlast
 *    did not match the configured frame geometry).
 *
 * Upper bits are zero.
 */
import type { CclObject } from '../features.js';
import type { CclRtlParams } from './params.js';

export interface RtlObject extends CclObject {
  /** Raster index of the first foreground pixel. */
  first: number;
}

export type RtlRecord =
  | { kind: 'object'; object: RtlObject }
  | { kind: 'eof'; count: number; overflow: boolean; syncErr: boolean };

function take(v: bigint, lo: number, w: number): number {
  return Number((v >> BigInt(lo)) & ((1n << BigInt(w)) - 1n));
}

export function decodeRecord(p: CclRtlParams, data: bigint): RtlRecord {
  if ((data & 1n) === 1n) {
    return {
      kind: 'eof',
      count: take(data, 1, p.countWidth),
      overflow: take(data, 1 + p.countWidth, 1) === 1,
      syncErr: take(data, 2 + p.countWidth, 1) === 1,
    };
  }
  const f: Record<string, number> = {};
  let lo = 1;
  for (const fld of p.featFields) {
    f[fld.name] = take(data, lo, fld.width);
    lo += fld.width;
  }
  const o: RtlObject = {
    area: f.area!, sumX: f.sumX!, sumY: f.sumY!, sumXX: f.sumXX!, sumYY: f.sumYY!, sumXY: f.sumXY!,
    bbox: [f.xmin!, f.ymin!, f.xmax!, f.ymax!], cells: f.cells!, first: f.first!,
  };
  if (p.third) Object.assign(o, { sumXXX: f.sumXXX!, sumXXY: f.sumXXY!, sumXYY: f.sumXYY!, sumYYY: f.sumYYY! });
  for (const g of p.histGroups) {
    const h = Array.from({ length: g.bins }, (_, b) => f[`${g.featPrefix}${b}`]!);
    if (g.kind === 'gray') o.hist = h;
    else o.colorHist = h;
  }
  return { kind: 'object', object: o };
}

/** Most objects a frame can hold (no two objects' cells are adjacent): bounds the records of one frame. */
export function maxObjectsPerFrame(p: CclRtlParams): number {
  return p.cfg.connectivity === 8
    ? Math.ceil(p.Wc / 2) * Math.ceil(p.Hc / 2)
    : Math.ceil(p.Wc / 2) * p.Hc;
}

/** A record of the multi-class core: the class tag above the channel record (multi.ts). */
export function decodeMultiRecord(p: CclRtlParams, tagW: number, data: bigint): { cls: number; record: RtlRecord } {
  const cls = take(data, p.outWidth, tagW);
  return { cls, record: decodeRecord(p, data & ((1n << BigInt(p.outWidth)) - 1n)) };
}
