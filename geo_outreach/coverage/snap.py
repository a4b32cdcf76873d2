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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo_outreach.coverage._arrays import FloatArray, IntArray, LabelArray

if TYPE_CHECKING:
    import shapely

#: metres between the street points of the "far from every street" pre-test
SAMPLE_STEP_M = 25.0
#: point arrays :meth:`SnapMemo.remember` keeps, and the fewest points worth keeping
RECALL_KEEP = 2
RECALL_MIN = 10_000


def _no_lengths() -> FloatArray:
    return np.zeros(0)


@dataclass
class SnapMemo:
    """The nearest segment of every point a street index has snapped.

    ``bound`` is the search distance each point was snapped with (``inf``: unbounded); a
    point with no segment within its bound (``seg`` -1) is snapped again for a larger one.
    ``samples`` is the KD-tree of points along the streets (built on first use).
    """

    keys: pd.Index = field(default_factory=lambda: pd.Index(np.zeros(0, dtype=complex)))
    seg: FloatArray = field(default_factory=_no_lengths)
    perp: FloatArray = field(default_factory=_no_lengths)
    frac: FloatArray = field(default_factory=_no_lengths)
    bound: FloatArray = field(default_factory=_no_lengths)
    samples: cKDTree | None = None
    #: issue 14: the last large point arrays looked up and their slots (the walking channels
    #: of a plan share one demand array, so its lookup is done once)
    recent: list[tuple[FloatArray, IntArray]] = field(default_factory=list)

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

    def add(self, keys: npt.NDArray[np.complex128], *values: FloatArray) -> None:
        """Append new points (their keys, then segment, distance, position and bound)."""
        self.keys = pd.Index(np.concatenate([self.keys.to_numpy(), keys]))
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
        self.bound = fresh.bound
        self.recent = []


def street_samples(edge_geoms: LabelArray, step: float = SAMPLE_STEP_M) -> cKDTree:
    """KD-tree of points at most ``step`` metres apart along every segment (both ends included).

    Every point of a segment is then within ``step / 2`` of a sample, so a point farther
    than ``d + step / 2`` from every sample is farther than ``d`` from every segment.
    """
    import shapely

    coords = shapely.get_coordinates(edge_geoms)  # two per straight segment
    a, b = coords[0::2], coords[1::2]
    parts = np.maximum(np.ceil(np.hypot(*(b - a).T) / step), 1).astype(np.int64)
    seg = np.repeat(np.arange(len(a)), parts + 1)
    start = np.repeat(np.cumsum(parts + 1) - (parts + 1), parts + 1)
    t = (np.arange(len(seg)) - start) / np.repeat(parts, parts + 1)
    return cKDTree(a[seg] + t[:, None] * (b[seg] - a[seg]))


def nearest_segments(
    tree: shapely.STRtree,
    edge_geoms: LabelArray,
    pts: FloatArray,
    bound: float,
    memo: SnapMemo,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Snap points to their nearest segment: segment index, distance and position (0-1).

    Points with no segment within ``bound`` metres (``inf``: no limit) get segment -1 and
    distance ``inf``. The others are searched exactly as without a bound
    (``STRtree.query_nearest`` per point), so ties are broken the same way.
    """
    import shapely

    n = len(pts)
    seg, dist, pos = np.full(n, -1.0), np.full(n, np.inf), np.zeros(n)
    look = np.arange(n)
    if np.isfinite(bound) and n:
        if memo.samples is None:
            memo.samples = street_samples(edge_geoms)
        reach = bound + SAMPLE_STEP_M / 2 + 1.0  # +1 m: rounding never drops a point
        d_sample, _ = memo.samples.query(pts, distance_upper_bound=reach)
        look = np.flatnonzero(np.isfinite(d_sample))
    geoms = shapely.points(pts[look])
    # the unbounded search for each point left: the same call as without a bound, so the same
    # segment (each point is searched on its own); shapely's max_distance was slower here
    pair, perp = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    src, e = pair[0], pair[1]
    order = np.argsort(src, kind="stable")
    src, e, perp = src[order], e[order], perp[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = src[1:] != src[:-1]
    src, e, perp = src[first], e[first], perp[first]
    within = perp <= bound
    src, e, perp = src[within], e[within], perp[within]
    frac = shapely.line_locate_point(edge_geoms[e], geoms[src], normalized=True)
    at = look[src]
    seg[at], dist[at], pos[at] = e, perp, np.nan_to_num(np.clip(frac, 0.0, 1.0))
    return seg, dist, pos
