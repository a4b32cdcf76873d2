"""Snapping points to their nearest street segment, remembered per street index (issue 14).

:class:`SnapMemo` keeps the nearest segment of every point a
:class:`geo_outreach.coverage.matrix.StreetIndex` has snapped, so the walking channels of a
plan (which share their demand points) snap them once. :func:`nearest_segments` is the snap
itself: a shapely ``STRtree.query_nearest`` per point, with an optional search distance.
Points that cannot be within that distance of any street are found first on a KD-tree of
points every :data:`SAMPLE_STEP_M` metres along the streets and not searched (at 1M alerts
most of the snap was the nearest-segment search of points far from every street).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo_outreach.coverage._arrays import BoolArray, FloatArray, IntArray, LabelArray

if TYPE_CHECKING:
    import shapely

#: metres between the street points of the "far from every street" pre-test
SAMPLE_STEP_M = 25.0
#: point arrays :meth:`SnapMemo.remember` keeps, and the fewest points worth keeping
RECALL_KEEP = 2
RECALL_MIN = 10_000
#: hash indexes :class:`SnapMemo` keeps before it merges them
MAX_CHUNKS = 16
#: issue 14: samples looked at per point to find its nearest segment without the tree search,
#: points per block (memory), and the gap (relative + metres) below which two segments tie
NEAR_SAMPLES = 12
SNAP_BLOCK = 50_000
TIE_TOLERANCE = 1e-9
TIE_FLOOR_M = 1e-6
#: issue 14: grid cell of the "far from every street" pre-test, and the fewest points for it
FAR_CELL_M = 250.0
FAR_GRID_MIN = 10_000


def _no_lengths() -> FloatArray:
    return np.zeros(0)


@dataclass
class SnapMemo:
    """The nearest segment of every point a street index has snapped.

    ``bound`` is the search distance each point was snapped with (``inf``: unbounded); a
    point with no segment within its bound (``seg`` -1) is snapped again for a larger one.
    ``samples`` is the KD-tree of points along the streets (built on first use).
    """

    keys: npt.NDArray[np.complex128] = field(default_factory=lambda: np.zeros(0, dtype=complex))
    #: issue 14: ``keys`` as hash indexes, one per :meth:`add`; a new one does not re-hash
    #: the points already held (1M points: ~0.2 s per walking channel)
    chunks: list[pd.Index] = field(default_factory=list)
    seg: FloatArray = field(default_factory=_no_lengths)
    perp: FloatArray = field(default_factory=_no_lengths)
    frac: FloatArray = field(default_factory=_no_lengths)
    bound: FloatArray = field(default_factory=_no_lengths)
    samples: cKDTree | None = None
    sample_seg: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: issue 14: the last large point arrays looked up and their slots (the walking channels
    #: of a plan share one demand array, so its lookup is done once)
    recent: list[tuple[FloatArray, IntArray]] = field(default_factory=list)
    #: issue 14: new points are searched at least this far (the plan's largest walking
    #: radius: its channels then snap their shared demand once, not again per larger radius)
    floor: float = 0.0

    def recall(self, pts: FloatArray) -> IntArray | None:
        """Slots of ``pts`` when the same array (equal values) was looked up last."""
        for old, slots in self.recent:
            if old.shape == pts.shape and np.array_equal(old, pts):
                return slots.copy()
        return None

    def remember(self, pts: FloatArray, slots: IntArray) -> None:
        """Keep ``pts`` and its slots (arrays of at least :data:`RECALL_MIN` points)."""
        if len(pts) >= RECALL_MIN:
            self.recent = [(pts.copy(), slots.copy())] + self.recent[: RECALL_KEEP - 1]

    def lookup(self, keys: npt.NDArray[np.complex128]) -> IntArray:
        """Slot of each key (``x + 1j * y``) among the points held (-1: new)."""
        out = np.full(len(keys), -1, dtype=np.int64)
        base = 0
        for chunk in self.chunks:
            at = chunk.get_indexer(keys)
            hit = at >= 0
            out[hit] = base + at[hit]
            base += len(chunk)
        return out

    def add(self, keys: npt.NDArray[np.complex128], *values: FloatArray) -> None:
        """Append new points (their keys, then segment, distance, position and bound)."""
        self.keys = np.concatenate([self.keys, keys])
        self.chunks.append(pd.Index(keys))
        if len(self.chunks) > MAX_CHUNKS:  # many small ones: one index again
            self.chunks = [pd.Index(self.keys)]
        self.seg, self.perp, self.frac, self.bound = (
            np.concatenate([old, v])
            for old, v in zip((self.seg, self.perp, self.frac, self.bound), values)
        )

    def put(self, slots: IntArray, *values: FloatArray) -> None:
        """Overwrite known points (segment, distance, position and bound) at ``slots``."""
        for old, v in zip((self.seg, self.perp, self.frac, self.bound), values):
            old[slots] = v

    def reset(self) -> None:
        """Forget every point (the street samples stay)."""
        fresh = SnapMemo()
        self.keys, self.seg, self.perp, self.frac = fresh.keys, fresh.seg, fresh.perp, fresh.frac
        self.bound, self.chunks = fresh.bound, []
        self.recent = []


def _sample_points(edge_geoms: LabelArray, step: float) -> tuple[FloatArray, IntArray]:
    """Points at most ``step`` metres apart along every segment, and each one's segment."""
    import shapely

    coords = shapely.get_coordinates(edge_geoms)  # two per straight segment
    a, b = coords[0::2], coords[1::2]
    parts = np.maximum(np.ceil(np.hypot(*(b - a).T) / step), 1).astype(np.int64)
    seg = np.repeat(np.arange(len(a)), parts + 1)
    start = np.repeat(np.cumsum(parts + 1) - (parts + 1), parts + 1)
    t = (np.arange(len(seg)) - start) / np.repeat(parts, parts + 1)
    return a[seg] + t[:, None] * (b[seg] - a[seg]), seg


def street_samples(edge_geoms: LabelArray, step: float = SAMPLE_STEP_M) -> cKDTree:
    """KD-tree of points at most ``step`` metres apart along every segment (both ends included).

    Every point of a segment is then within ``step / 2`` of a sample, so a point farther
    than ``d + step / 2`` from every sample is farther than ``d`` from every segment.
    """
    return cKDTree(_sample_points(edge_geoms, step)[0])


def _maybe_near(samples: cKDTree, pts: FloatArray, reach: float) -> BoolArray:
    """Return False for points surely farther than ``reach`` from every sample (grid test).

    Issue 14: most alerts of a large study lie far from the streets, and their bounded
    KD-tree search is the slow one. A grid cell whose centre is farther than ``reach`` + half
    its diagonal from every sample holds only such points.
    """
    if not np.isfinite(reach) or len(pts) < FAR_GRID_MIN:
        return np.ones(len(pts), dtype=bool)
    lo = pts.min(axis=0)
    ij = np.floor((pts - lo) / FAR_CELL_M).astype(np.int64)
    ni, nj = int(ij[:, 0].max()) + 1, int(ij[:, 1].max()) + 1
    if ni * nj > len(pts):  # points spread too thin for the grid to pay
        return np.ones(len(pts), dtype=bool)
    gi, gj = np.divmod(np.arange(ni * nj), nj)
    centres = lo + (np.column_stack([gi, gj]) + 0.5) * FAR_CELL_M
    margin = FAR_CELL_M * math.sqrt(0.5) + 1.0
    d_cell, _ = samples.query(centres, distance_upper_bound=reach + margin)
    near_cell: BoolArray = np.isfinite(d_cell)
    out: BoolArray = near_cell[ij[:, 0] * nj + ij[:, 1]]
    return out


def _clear_winners(
    memo: SnapMemo, edge_geoms: LabelArray, pts: FloatArray, reach: float
) -> tuple[BoolArray, IntArray]:
    """Whether each point is near the streets, and its nearest segment where it is clear.

    Issue 14: the segments of the :data:`NEAR_SAMPLES` samples nearest to a point hold its
    nearest segment when the last of them is farther than the first + half a sample step
    (every segment within the nearest distance has a sample that near). The nearest of
    those, measured here, is the answer when no other segment is within a relative
    :data:`TIE_TOLERANCE` (+ :data:`TIE_FLOOR_M`) of it: then the search over all segments
    finds the same one.
    Ties (points nearest to a street node shared by several segments) are left to that
    search, which breaks them its own way.

    Returns
    -------
    tuple
        Whether a sample is within ``reach``, and the clear nearest segment (-1: not clear
        or not near), per point.
    """
    import shapely

    coords = shapely.get_coordinates(edge_geoms)
    a_end, b_end = coords[0::2], coords[1::2]
    best = np.full(len(pts), -1, dtype=np.int64)
    assert memo.samples is not None
    n_samples = memo.samples.n
    k = min(NEAR_SAMPLES, n_samples)
    near = _maybe_near(memo.samples, pts, reach)
    # issue 14: one k-nearest query per block; the nearest sample (finite within ``reach``)
    # says whether the point is near, as a query of the nearest alone did
    sub = np.flatnonzero(near)
    for lo in range(0, len(sub), SNAP_BLOCK):
        at = sub[lo : lo + SNAP_BLOCK]
        p = pts[at]
        dk, ik = memo.samples.query(p, k=k, distance_upper_bound=reach)
        dk, ik = dk.reshape(len(p), k), ik.reshape(len(p), k)
        near[at] = np.isfinite(dk[:, 0])
        thr = dk[:, 0] + SAMPLE_STEP_M / 2 + 1e-6
        covered = (dk[:, -1] > thr) & (thr < reach) & np.isfinite(dk[:, 0])
        cand = memo.sample_seg[np.minimum(ik, n_samples - 1)]
        ax, ay = a_end[cand, 0], a_end[cand, 1]
        abx, aby = b_end[cand, 0] - ax, b_end[cand, 1] - ay
        apx, apy = p[:, 0, None] - ax, p[:, 1, None] - ay
        ll = abx * abx + aby * aby
        t = np.clip((apx * abx + apy * aby) / np.where(ll > 0, ll, 1.0), 0.0, 1.0)
        dd = np.where(np.isfinite(dk), np.hypot(apx - t * abx, apy - t * aby), np.inf)
        rows = np.arange(len(p))
        j = np.argmin(dd, axis=1)
        d_best, s_best = dd[rows, j], cand[rows, j]
        tol = TIE_TOLERANCE * d_best + TIE_FLOOR_M  # measuring errors are ~1e-9 m here
        tie = ((cand != s_best[:, None]) & (dd <= (d_best + tol)[:, None])).any(axis=1)
        best[at] = np.where(covered & ~tie, s_best, -1)
    return near, best


def segment_distance(p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Distance of each point to its segment ``a``-``b``, as GEOS computes it (bit for bit).

    Issue 14: ``shapely.distance(point, segment)`` without making the points: GEOS's
    ``Distance::pointToSegment`` (endpoint distance outside the segment, else the
    perpendicular), the same operations in the same order (tests/coverage/test_snap.py).
    """
    dxa, dya = p[:, 0] - a[:, 0], p[:, 1] - a[:, 1]
    dxb, dyb = p[:, 0] - b[:, 0], p[:, 1] - b[:, 1]
    ux, uy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    len2 = ux * ux + uy * uy
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (dxa * ux + dya * uy) / len2
        s = ((a[:, 1] - p[:, 1]) * ux - (a[:, 0] - p[:, 0]) * uy) / len2
    to_a = np.sqrt(dxa * dxa + dya * dya)
    out = np.where(r <= 0.0, to_a, np.where(r >= 1.0, np.sqrt(dxb * dxb + dyb * dyb),
                                            np.abs(s) * np.sqrt(len2)))  # fmt: skip
    same = (a[:, 0] == b[:, 0]) & (a[:, 1] == b[:, 1])
    res: FloatArray = np.where(same, to_a, out)
    return res


def segment_fraction(p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Position (0-1) of each point's nearest place on its segment, as GEOS computes it.

    Issue 14: ``shapely.line_locate_point(segment, point, normalized=True)`` without making
    the points: GEOS's projection factor, times the length, over the length (0 for a
    segment of length 0, as shapely).
    """
    ux, uy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    len2 = ux * ux + uy * uy
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((p[:, 0] - a[:, 0]) * ux + (p[:, 1] - a[:, 1]) * uy) / len2
    on_a = (p[:, 0] == a[:, 0]) & (p[:, 1] == a[:, 1])
    on_b = (p[:, 0] == b[:, 0]) & (p[:, 1] == b[:, 1])
    r = np.where(on_a, 0.0, np.where(on_b, 1.0, r))
    length = np.sqrt(len2)
    along = np.where(r <= 0.0, 0.0, np.where(r <= 1.0, 0.0 + r * length, 0.0 + length))
    with np.errstate(divide="ignore", invalid="ignore"):
        res: FloatArray = np.where(length > 0, along / length, 0.0)
    return res


def nearest_segments(
    tree: shapely.STRtree,
    edge_geoms: LabelArray,
    pts: FloatArray,
    bound: float,
    memo: SnapMemo,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Snap points to their nearest segment: segment index, distance and position (0-1).

    Points with no segment within ``bound`` metres (``inf``: no limit) get segment -1 and
    distance ``inf``. The others get the segment of ``STRtree.query_nearest`` (ties broken
    its way) and its distance; a point whose nearest segment is clear (issue 14,
    :func:`_clear_winners`) gets it without that search, with the distance and position of
    :func:`segment_distance` and :func:`segment_fraction` (GEOS's numbers, no geometry made).
    """
    import shapely

    n = len(pts)
    seg, dist, pos = np.full(n, -1.0), np.full(n, np.inf), np.zeros(n)
    if n == 0:
        return seg, dist, pos
    if memo.samples is None:
        xy, memo.sample_seg = _sample_points(edge_geoms, SAMPLE_STEP_M)
        memo.samples = cKDTree(xy)
    reach = bound + SAMPLE_STEP_M / 2 + 1.0  # +1 m: rounding never drops a point
    near, clear = _clear_winners(memo, edge_geoms, pts, reach)
    look = np.flatnonzero(near)
    p, e = pts[look], clear[look]
    perp, frac = np.full(len(look), np.inf), np.zeros(len(look))
    done = np.flatnonzero(e >= 0)
    coords = shapely.get_coordinates(edge_geoms)
    a_end, b_end = coords[0::2][e[done]], coords[1::2][e[done]]
    perp[done] = segment_distance(p[done], a_end, b_end)
    frac[done] = segment_fraction(p[done], a_end, b_end)
    # the rest: the search over all segments, each point on its own (shapely's max_distance
    # was slower here)
    left = np.flatnonzero(e < 0)
    geoms = shapely.points(p[left])
    pair, d_left = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    src, e_left = pair[0], pair[1]
    order = np.argsort(src, kind="stable")
    src, e_left, d_left = src[order], e_left[order], d_left[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = src[1:] != src[:-1]
    found = left[src[first]]
    e[found], perp[found] = e_left[first], d_left[first]
    frac[found] = shapely.line_locate_point(
        edge_geoms[e[found]], geoms[src[first]], normalized=True
    )
    src = np.flatnonzero((e >= 0) & (perp <= bound))
    e, perp, frac = e[src], perp[src], frac[src]
    at = look[src]
    seg[at], dist[at], pos[at] = e, perp, np.nan_to_num(np.clip(frac, 0.0, 1.0))
    return seg, dist, pos
