"""Backtest measures: hit rate, PAI, PEI*, area share and percentile bootstrap intervals.

- ``hit_rate``: share of the (weighted) test alerts within reach of the sites.
- ``area_share``: area of the union of the sites' reach inside the study area, over the
  study area.
- ``pai = hit_rate / area_share`` (Predictive Accuracy Index, Chainey et al. 2008); PEI* is a
  PAI over the oracle's PAI (Hunt 2016).
- 95% percentile bootstrap intervals: test alerts resampled with replacement by a seeded
  :class:`numpy.random.Generator` (:class:`Resamples`), the sites kept fixed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely

from geo_outreach._errors import InputDataError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.int64]

#: Largest resample block (resamples x alerts) held in memory at once.
MAX_BOOT_CELLS = 20_000_000


def hit_rate(covered: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """Share of the (weighted) alerts that are covered; NaN when there is no weight."""
    c = np.asarray(covered, dtype=bool)
    w = np.ones(len(c)) if weights is None else np.asarray(weights, dtype=float)
    total = float(w.sum())
    return float(w[c].sum()) / total if total > 0 else math.nan


def pai(hit_rate_value: float, area_share_value: float) -> float:
    """Predictive Accuracy Index ``hit_rate / area_share`` (NaN when the area is 0)."""
    if not area_share_value > 0 or not np.isfinite(hit_rate_value):
        return math.nan
    return float(hit_rate_value) / float(area_share_value)


def area_share(reach: Sequence[Any], study_area: shapely.Geometry) -> float:
    """Area of the union of ``reach`` polygons inside ``study_area`` over the study area.

    Raises
    ------
    InputDataError
        When the study area has no area.
    """
    total = float(shapely.area(study_area))
    if total <= 0:
        raise InputDataError("the study area has no area; check the precinct layer")
    geoms = [g for g in reach if g is not None and not shapely.is_empty(g)]
    if not geoms:
        return 0.0
    union = shapely.union_all(geoms)
    return float(shapely.area(shapely.intersection(union, study_area))) / total


def covered_mask(a: sp.spmatrix, cols: Sequence[int]) -> BoolArray:
    """Rows of ``a`` reached by at least one of ``cols``."""
    csc = sp.csc_matrix(a)
    mask = np.zeros(csc.shape[0], dtype=bool)
    for j in cols:
        mask[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return mask


@dataclass(frozen=True)
class Resamples:
    """``n_boot`` bootstrap resamples of ``n`` test alerts, drawn in blocks.

    Every call of :meth:`blocks` draws from ``np.random.default_rng(seed)`` again and so
    yields the same resamples: all methods of a split are scored on the same ones (paired)
    without holding them all in memory.
    """

    n: int
    n_boot: int
    seed: int | np.random.SeedSequence

    def blocks(self) -> Iterator[IndexArray]:
        """Yield ``(b, n)`` index blocks, at most :data:`MAX_BOOT_CELLS` cells each."""
        if self.n == 0 or self.n_boot <= 0:
            return
        rng = np.random.default_rng(self.seed)
        per = max(1, MAX_BOOT_CELLS // self.n)
        done = 0
        while done < self.n_boot:
            b = min(per, self.n_boot - done)
            yield rng.integers(0, self.n, size=(b, self.n))
            done += b


def bootstrap_index(n: int, *, n_boot: int, seed: int | np.random.SeedSequence) -> IndexArray:
    """``(n_boot, n)`` resample indices (all of :class:`Resamples` at once)."""
    blocks = list(Resamples(n, n_boot, seed).blocks())
    return np.concatenate(blocks) if blocks else np.zeros((0, n), dtype=np.int64)


def bootstrap_hit_rates(
    covered: npt.ArrayLike, weights: npt.ArrayLike | None, index: IndexArray | Resamples
) -> FloatArray:
    """Hit rate of each resample (rows of ``index``, or the blocks of a :class:`Resamples`)."""
    c = np.asarray(covered, dtype=float)
    w = np.ones(len(c)) if weights is None else np.asarray(weights, dtype=float)
    wc = w * c
    out = []
    for idx in index.blocks() if isinstance(index, Resamples) else [index]:
        if idx.size == 0:
            continue
        num = wc[idx].sum(axis=1)
        den = w[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))
    return np.concatenate(out) if out else np.zeros(0)


def percentile_ci(values: npt.ArrayLike) -> tuple[float, float]:
    """2.5 and 97.5 percentiles of the finite values (NaN, NaN when there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan
    lo, hi = np.percentile(v, [2.5, 97.5])
    return float(lo), float(hi)


def nanmean(values: npt.ArrayLike) -> float:
    """Mean of the finite values (NaN when there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else math.nan
