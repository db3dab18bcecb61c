#!/usr/bin/env python3
"""Multi-object tracker over CCL records, for the PYNQ runtime (accelforge, docs/ccl-track.md "Tracker").

Self-contained (standard library only). The same algorithm, operation for operation, as the host tracker
src/ccl/track/tracker.ts (+ kalman.ts, hungarian.ts, records.ts): a test runs both on the same records and demands
identical tracks.

Usage as a program:  python3 tracker.py records.json > rows.json
  records.json: {"params": {...optional overrides...}, "frames": [[record, ...], ...]} where a record is a CCL
  object record tagged with its class: {"class": k, "area", "sumX", "sumY", "sumXX", "sumYY", "sumXY",
  "bbox": [xmin, ymin, xmax, ymax], "cells", "hist"?, "colorHist"?} (the "records" of `ccl track --json`).
  Output: a JSON list of rows {"frame" (0-based), "id", "class", "cx", "cy", "left", "top", "width", "height",
  "status", "area"} for every confirmed track alive in every frame.
Usage as a module:  t = Tracker(); rows = t.step(records_of_one_frame)
"""
import json
import math
import sys

DEFAULTS = {
    "minArea": 6, "gate": 30, "gateGrowth": 2, "histWeight": 1, "confirmHits": 3, "reportBirth": True, "maxMisses": 40, "partialRatio": 0.9,
    "oversizeRatio": 1.3, "partialNoise": 64, "edgeNoise": 4, "mergeEdgeNoise": 16, "mergeAreaRatio": 0, "mergeEdgeOverlap": 0.7, "mergeCover": 0.5, "relearnAfter": 60, "relearnSpread": 1.15, "fragMargin": 8, "fragMaxRatio": 1.25, "accelVar": 0.05,
    "measVar": 0.25, "initVelVar": 16, "areaAlpha": 0.05, "sizeAlpha": 0.3, "histAlpha": 0.1,
}

INF = float("inf")


# --- Hungarian method (hungarian.ts) -------------------------------------------------------------------------
def _solve_dense(a, n, m):
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    p = [0] * (m + 1)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [INF] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = INF
            j1 = 0
            for j in range(1, m + 1):
                if used[j]:
                    continue
                cur = a[i0 - 1][j - 1] - u[i0] - v[j]
                if cur < minv[j]:
                    minv[j] = cur
                    way[j] = j0
                if minv[j] < delta:
                    delta = minv[j]
                    j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] = u[p[j]] + delta
                    v[j] = v[j] - delta
                else:
                    minv[j] = minv[j] - delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    col_of = [-1] * n
    for j in range(1, m + 1):
        if p[j] != 0:
            col_of[p[j] - 1] = j - 1
    return col_of


def assign(cost):
    """Rows -> assigned column or -1; non-finite entries are forbidden."""
    r = len(cost)
    if r == 0:
        return []
    c = len(cost[0])
    if c == 0:
        return [-1] * r
    big = 1
    for row in cost:
        for x in row:
            if math.isfinite(x):
                big += abs(x)
    big *= 2
    transpose = r > c
    n, m = (c, r) if transpose else (r, c)
    a = []
    for i in range(n):
        row = []
        for j in range(m):
            x = cost[j][i] if transpose else cost[i][j]
            row.append(x if math.isfinite(x) else big)
        a.append(row)
    col_of = _solve_dense(a, n, m)
    out = [-1] * r
    for i in range(n):
        j = col_of[i]
        if j < 0:
            continue
        row, col = (j, i) if transpose else (i, j)
        if math.isfinite(cost[row][col]):
            out[row] = col
    return out


def assign_gated(r, c, allowed, cost):
    """assign() on the connected components of the allowed pairs (hungarian.ts assignGated)."""
    parent = list(range(r + c))

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    ok = [False] * (r * c)
    edges = [0] * (r + c)
    for i in range(r):
        for j in range(c):
            ok[i * c + j] = allowed(i, j)
            if not ok[i * c + j]:
                continue
            edges[i] += 1
            a = root(i)
            b = root(r + j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    out = [-1] * r
    done = [False] * r
    for i in range(r):
        if done[i] or edges[i] == 0:
            continue
        g = root(i)
        rows = []
        cols = []
        for k in range(i, r):
            if root(k) == g:
                rows.append(k)
                done[k] = True
        for j in range(c):
            if root(r + j) == g:
                cols.append(j)
        if len(rows) == 1 and len(cols) == 1:
            out[i] = cols[0]
            continue
        pick = assign([[cost(a, b) if ok[a * c + b] else INF for b in cols] for a in rows])
        for k, a in enumerate(rows):
            if pick[k] >= 0:
                out[a] = cols[pick[k]]
    return out


# --- constant-velocity Kalman filter, one axis (kalman.ts) ---------------------------------------------------
class Axis:
    __slots__ = ("p", "v", "p00", "p01", "p11")

    def __init__(self, z, pos_var, vel_var):
        self.p = z
        self.v = 0
        self.p00 = pos_var
        self.p01 = 0
        self.p11 = vel_var

    def predict(self, q):
        self.p = self.p + self.v
        p00 = self.p00 + 2 * self.p01 + self.p11
        p01 = self.p01 + self.p11
        p11 = self.p11
        self.p00 = p00 + q * 0.25
        self.p01 = p01 + q * 0.5
        self.p11 = p11 + q

    def update(self, z, r):
        s = self.p00 + r
        k0 = self.p00 / s
        k1 = self.p01 / s
        e = z - self.p
        self.p = self.p + k0 * e
        self.v = self.v + k1 * e
        p00 = (1 - k0) * self.p00
        p01 = (1 - k0) * self.p01
        p11 = self.p11 - k1 * self.p01
        self.p00 = p00
        self.p01 = p01
        self.p11 = p11


# --- records (records.ts) ------------------------------------------------------------------------------------
def centroid(d):
    return d["sumX"] / d["area"], d["sumY"] / d["area"]


def hist_of(d):
    h = d.get("colorHist")
    return h if h is not None else d.get("hist")


def merge_detections(parts):
    first = parts[0]
    out = {"class": first["class"], "area": 0, "sumX": 0, "sumY": 0, "sumXX": 0, "sumYY": 0, "sumXY": 0,
           "bbox": list(first["bbox"]), "cells": 0}
    for d in parts:
        for k in ("area", "sumX", "sumY", "sumXX", "sumYY", "sumXY", "cells"):
            out[k] = out[k] + d[k]
        b = out["bbox"]
        out["bbox"] = [min(b[0], d["bbox"][0]), min(b[1], d["bbox"][1]), max(b[2], d["bbox"][2]), max(b[3], d["bbox"][3])]
        for key in ("hist", "colorHist"):
            src = d.get(key)
            if src is None:
                continue
            dst = out.get(key)
            if dst is None:
                dst = [0] * len(src)
                out[key] = dst
            for i in range(len(src)):
                dst[i] = dst[i] + src[i]
        for k in ("sumXXX", "sumXXY", "sumXYY", "sumYYY"):
            if d.get(k) is not None:
                out[k] = out.get(k, 0) + d[k]
    return out


def normalized(h):
    if h is None:
        return None
    s = 0
    for v in h:
        s += v
    if s <= 0:
        return None
    return [v / s for v in h]


def bhattacharyya(p, q):
    if p is None or q is None or len(p) != len(q):
        return 0
    bc = 0
    for i in range(len(p)):
        bc += math.sqrt(p[i] * q[i])
    return math.sqrt(max(0, 1 - bc))


# --- tracker (tracker.ts) ------------------------------------------------------------------------------------
class Track:
    __slots__ = ("seq", "id", "cls", "x", "y", "area", "w", "h", "ox", "oy", "hist", "hits", "misses", "hidden_run", "run_min", "run_max", "status", "det", "early")


def _bbox_center(d):
    b = d["bbox"]
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _in_box(t, px, py, m):
    cx = t.x.p + t.ox
    cy = t.y.p + t.oy
    return abs(px - cx) <= t.w / 2 + m and abs(py - cy) <= t.h / 2 + m


def _piece_margin(P, t):
    """Margin around a track's box within which a record may be a piece of its object (tracker.ts pieceMargin)."""
    return P["fragMargin"] if t.status == "measured" else P["fragMargin"] + max(t.w, t.h) / 2


def _edge_centre(lo, hi, pred, size):
    if hi - lo >= size - 1.5:
        return (lo + hi) / 2
    return lo + size / 2 if abs(lo - (pred - size / 2)) <= abs(hi - (pred + size / 2)) else hi - size / 2


def _blob_edges(ts, lo, hi, r, ov):
    if hi - lo < max(t[2] for t in ts) + 3:
        return
    a = ts[0]
    z = ts[0]
    for t in ts:
        if t[0].p + t[1] < a[0].p + a[1]:
            a = t
        if t[0].p + t[1] > z[0].p + z[1]:
            z = t
    if a is z:
        return
    if a[2] + z[2] - (hi - lo) > min(a[2], z[2]) * ov:
        return
    a[0].update(lo + a[2] / 2 - a[1], r)
    z[0].update(hi - z[2] / 2 - z[1], r)


def _box_cover(t, b):
    cx = t.x.p + t.ox
    cy = t.y.p + t.oy
    ix = min(cx + t.w / 2, b[2] + 0.5) - max(cx - t.w / 2, b[0] - 0.5)
    iy = min(cy + t.h / 2, b[3] + 0.5) - max(cy - t.h / 2, b[1] - 0.5)
    return 0 if ix <= 0 or iy <= 0 else (ix * iy) / (t.w * t.h)


def _clamp_into(a, lo, hi):
    if lo > hi:
        return
    if a.p < lo:
        a.p = lo
    elif a.p > hi:
        a.p = hi


def _gate_of(P, t):
    return min(2 * P["gate"], P["gate"] + P["gateGrowth"] * t.misses)


def _dist(t, d):
    dx, dy = centroid(d)
    ex = dx - t.x.p
    ey = dy - t.y.p
    return math.sqrt(ex * ex + ey * ey)


class Tracker:
    def __init__(self, params=None):
        self.P = dict(DEFAULTS)
        if params:
            self.P.update(params)
        self.tracks = []
        self.next_seq = 1
        self.next_id = 1
        self.frame = 0

    def step(self, records):
        P = self.P
        dets = [d for d in records if d["area"] >= P["minArea"]]
        for t in self.tracks:
            t.x.predict(P["accelVar"])
            t.y.predict(P["accelVar"])
            t.det = None
        confirmed = [t for t in self.tracks if t.id > 0]
        self._unite_fragments(confirmed, dets)
        merged = self._find_merges(confirmed, dets)
        free = [t for t in confirmed if t not in merged]
        self._match(free, dets)
        self._match([t for t in self.tracks if t.id == 0], dets)
        for t in merged:
            t.status = "merged"
        self._births(dets)
        self.tracks = [t for t in self.tracks if (t.misses == 0 if t.id == 0 else t.misses <= P["maxMisses"])]
        rows = []
        for t in self.tracks:
            if t.id != 0:
                continue
            if t.hits >= P["confirmHits"]:
                t.id = self.next_id
                self.next_id += 1
                for r in t.early:
                    rows.append(dict(r, id=t.id))
                t.early = []
            elif P["reportBirth"]:
                t.early.append(self._row(t))
        rows.extend(self._row(t) for t in self.tracks if t.id > 0)
        self.frame += 1
        return rows

    def _row(self, t):
        cx = t.x.p
        cy = t.y.p
        return {"frame": self.frame, "id": t.id, "class": t.cls, "cx": cx, "cy": cy,
                "left": cx + t.ox - t.w / 2, "top": cy + t.oy - t.h / 2, "width": t.w, "height": t.h,
                "status": t.status, "area": t.area}

    def _unite_fragments(self, confirmed, dets):
        P = self.P
        for t in confirmed:
            mine = []
            for j in range(len(dets)):
                d = dets[j]
                if d is None or d["class"] != t.cls:
                    continue
                px, py = centroid(d)
                if not _in_box(t, px, py, _piece_margin(P, t)):
                    continue
                dt = _dist(t, d)
                nearest = True
                for u in confirmed:
                    if u is not t and u.cls == t.cls and _dist(u, d) < dt:
                        nearest = False
                if nearest:
                    mine.append(j)
            if len(mine) < 2:
                continue
            s = 0
            for j in mine:
                s += dets[j]["area"]
            if s > P["fragMaxRatio"] * t.area:
                continue
            u = merge_detections([dets[j] for j in mine])
            b = u["bbox"]
            if b[2] - b[0] + 1 > t.w + 2 * P["fragMargin"] or b[3] - b[1] + 1 > t.h + 2 * P["fragMargin"]:
                continue
            dets[mine[0]] = u
            for k in range(1, len(mine)):
                dets[mine[k]] = None

    def _find_merges(self, confirmed, dets):
        P = self.P
        claim = {}
        for t in confirmed:
            best = -1
            best_d = INF
            for j in range(len(dets)):
                d = dets[j]
                if d is None or d["class"] != t.cls:
                    continue
                b = d["bbox"]
                m = P["fragMargin"]
                if t.x.p < b[0] - m or t.x.p > b[2] + m or t.y.p < b[1] - m or t.y.p > b[3] + m:
                    continue
                if P["mergeCover"] > 0 and _box_cover(t, b) < P["mergeCover"]:
                    continue
                dd = _dist(t, d)
                if dd < best_d:
                    best = j
                    best_d = dd
            if best < 0:
                continue
            claim.setdefault(best, []).append(t)
        merged = []
        for j in range(len(dets)):
            lst = claim.get(j)
            if lst is None or len(lst) < 2:
                continue
            b = dets[j]["bbox"]
            dets_area = dets[j]["area"]
            dets[j] = None
            for t in lst:
                if t not in merged:
                    merged.append(t)
                _clamp_into(t.x, b[0] + (t.w - 1) / 2 - t.ox - 2, b[2] - (t.w - 1) / 2 - t.ox + 2)
                _clamp_into(t.y, b[1] + (t.h - 1) / 2 - t.oy - 2, b[3] - (t.h - 1) / 2 - t.oy + 2)
            if P["mergeEdgeNoise"] > 0 and dets_area >= P["mergeAreaRatio"] * sum(t.area for t in lst):
                r = P["measVar"] * P["mergeEdgeNoise"]
                _blob_edges([(t.x, t.ox, t.w) for t in lst], b[0] - 0.5, b[2] + 0.5, r, P["mergeEdgeOverlap"])
                _blob_edges([(t.y, t.oy, t.h) for t in lst], b[1] - 0.5, b[3] + 0.5, r, P["mergeEdgeOverlap"])
        return merged

    def _match(self, group, dets):
        P = self.P
        cols = [j for j in range(len(dets)) if dets[j] is not None]

        def allowed(i, c):
            t = group[i]
            d = dets[cols[c]]
            return d["class"] == t.cls and _dist(t, d) <= _gate_of(P, t)

        def cost(i, c):
            t = group[i]
            d = dets[cols[c]]
            g = _dist(t, d) / _gate_of(P, t)
            return g * g + P["histWeight"] * bhattacharyya(t.hist, normalized(hist_of(d)))

        pick = assign_gated(len(group), len(cols), allowed, cost)
        for i, t in enumerate(group):
            c = pick[i]
            if c < 0:
                t.misses += 1
                t.status = "missed"
                continue
            j = cols[c]
            self._update(t, dets[j])
            dets[j] = None

    def _update(self, t, d):
        P = self.P
        zx, zy = centroid(d)
        b = d["bbox"]
        touching = (d["area"] > P["oversizeRatio"] * t.area
                    or b[2] - b[0] + 1 > t.w + P["fragMargin"] or b[3] - b[1] + 1 > t.h + P["fragMargin"])
        hidden = d["area"] < P["partialRatio"] * t.area
        t.hidden_run = t.hidden_run + 1 if hidden and not touching else 0
        if t.hidden_run == 1:
            t.run_min = d["area"]
            t.run_max = d["area"]
        t.run_min = min(t.run_min, d["area"])
        t.run_max = max(t.run_max, d["area"])
        if P["relearnAfter"] > 0 and t.hidden_run > P["relearnAfter"] and t.run_max <= P["relearnSpread"] * t.run_min:
            hidden = False
            t.area = d["area"]
        partial = hidden or touching
        r = P["measVar"] * P["partialNoise"] if partial else P["measVar"]
        if hidden and not touching and P["edgeNoise"] > 0:
            zx = _edge_centre(b[0] - 0.5, b[2] + 0.5, t.x.p + t.ox, t.w) - t.ox
            zy = _edge_centre(b[1] - 0.5, b[3] + 0.5, t.y.p + t.oy, t.h) - t.oy
            r = P["measVar"] * P["edgeNoise"]
        t.x.update(zx, r)
        t.y.update(zy, r)
        t.hits += 1
        t.misses = 0
        t.status = "partial" if partial else "measured"
        t.det = d
        if d["area"] >= P["partialRatio"] * t.area:
            t.area = t.area + P["areaAlpha"] * (d["area"] - t.area)
        if partial:
            return
        a = P["sizeAlpha"]
        bx, by = _bbox_center(d)
        b = d["bbox"]
        t.w = t.w + a * (b[2] - b[0] + 1 - t.w)
        t.h = t.h + a * (b[3] - b[1] + 1 - t.h)
        t.ox = t.ox + a * (bx - zx - t.ox)
        t.oy = t.oy + a * (by - zy - t.oy)
        h = normalized(hist_of(d))
        if h is not None and t.hist is not None:
            hb = P["histAlpha"]
            t.hist = [v + hb * (h[i] - v) for i, v in enumerate(t.hist)]
        elif h is not None:
            t.hist = h

    def _births(self, dets):
        P = self.P
        confirmed = [t for t in self.tracks if t.id > 0]
        for d in dets:
            if d is None:
                continue
            zx, zy = centroid(d)
            if any(t.cls == d["class"] and (_in_box(t, zx, zy, _piece_margin(P, t)) or (t.misses > 0 and _dist(t, d) <= _gate_of(P, t)))
                   for t in confirmed):
                continue
            bx, by = _bbox_center(d)
            b = d["bbox"]
            t = Track()
            t.seq = self.next_seq
            self.next_seq += 1
            t.id = 0
            t.cls = d["class"]
            t.x = Axis(zx, P["measVar"], P["initVelVar"])
            t.y = Axis(zy, P["measVar"], P["initVelVar"])
            t.area = d["area"]
            t.w = b[2] - b[0] + 1
            t.h = b[3] - b[1] + 1
            t.ox = bx - zx
            t.oy = by - zy
            t.hist = normalized(hist_of(d))
            t.hits = 1
            t.misses = 0
            t.hidden_run = 0
            t.run_min = 0
            t.run_max = 0
            t.status = "measured"
            t.det = d
            t.early = []
            self.tracks.append(t)


def track_sequence(frames, params=None):
    tr = Tracker(params)
    rows = []
    for f in frames:
        rows.extend(tr.step(f))
    rows.sort(key=lambda r: r["frame"])
    return rows


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: python3 tracker.py records.json > rows.json\n")
        return 2
    with open(argv[1]) as f:
        data = json.load(f)
    if "records" in data:
        data = dict(data["records"], params=data.get("params"))
    rows = track_sequence(data["frames"], data.get("params"))
    json.dump(rows, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
