/**
 * Detections: the per-frame object records the tracker consumes — one CCL record of one colour class (golden
 * model or simulated core), in the order the labeler produced them (class by class, then raster order of the
 * object's first pixel). The records file (`ccl track --json` "records", input of templates/ccl/tracker.py):
 *
 *   {"width": W, "height": H, "classes": ["red", …], "params": {…tracker parameters…},
 *    "frames": [[{"class": k, "area": …, "sumX": …, "sumY": …, "sumXX": …, "sumYY": …, "sumXY": …,
 *                 "bbox": [xmin, ymin, xmax, ymax], "cells": …, "hist": [...]?, "colorHist": [...]?}, …], …]}
 *
 * x, y are pixel indices (0-based, x to the right, y down); bbox is inclusive.
 */
import type { CclObject } from '../features.js';

export interface Detection extends CclObject {
  /** Colour class index k (0-based, class file order). */
  class: number;
}

export interface RecordsFile {
  width: number;
  height: number;
  classes: string[];
  frames: Detection[][];
}

/** Centroid of a record. */
export function centroid(d: Pick<CclObject, 'area' | 'sumX' | 'sumY'>): [number, number] {
  return [d.sumX / d.area, d.sumY / d.area];
}

/** The histogram the tracker and recognition compare: the colour histogram when the core gives one, else the gray one. */
export function histOf(d: Detection): number[] | undefined {
  return d.colorHist ?? d.hist;
}

/** One record made of several (fragments of one object): moments and histograms add, boxes unite. */
export function mergeDetections(parts: readonly Detection[]): Detection {
  const first = parts[0]!;
  const out: Detection = {
    class: first.class, area: 0, sumX: 0, sumY: 0, sumXX: 0, sumYY: 0, sumXY: 0,
    bbox: [first.bbox[0], first.bbox[1], first.bbox[2], first.bbox[3]], cells: 0,
  };
  const addArr = (key: 'hist' | 'colorHist', d: Detection): void => {
    const src = d[key];
    if (!src) return;
    const dst = out[key] ?? (out[key] = new Array<number>(src.length).fill(0));
    for (let i = 0; i < src.length; i++) dst[i] = dst[i]! + src[i]!;
  };
  for (const d of parts) {
    out.area += d.area;
    out.sumX += d.sumX;
    out.sumY += d.sumY;
    out.sumXX += d.sumXX;
    out.sumYY += d.sumYY;
    out.sumXY += d.sumXY;
    out.cells += d.cells;
    out.bbox = [Math.min(out.bbox[0], d.bbox[0]), Math.min(out.bbox[1], d.bbox[1]), Math.max(out.bbox[2], d.bbox[2]), Math.max(out.bbox[3], d.bbox[3])];
    addArr('hist', d);
    addArr('colorHist', d);
    for (const k of ['sumXXX', 'sumXXY', 'sumXYY', 'sumYYY'] as const) if (d[k] !== undefined) out[k] = (out[k] ?? 0) + d[k]!;
  }
  return out;
}
