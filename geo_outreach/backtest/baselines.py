"""Backtest baselines: random, top-k (overlap ignored), naive hot spot, and the oracle.

``random``           ``k`` sites drawn uniformly among the same candidates
``naive_hotspot``    the candidate nearest each of the densest training-density cells, one per
                     cell, densest first (cells whose nearest candidate is taken are skipped)
``topk_no_overlap``  the ``k`` candidates with the most training weight within reach, each
                     counted alone (overlap ignored)
``oracle``           maximal covering fitted on the test alerts themselves (hindsight); the best
                     of the solver's answer and every other method's sites, so it is >= all
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo_outreach import coverage as cov

if TYPE_CHECKING:
    import geopandas as gpd

    from geo_outreach.io import StudyData
    from geo_outreach.scenario import AnalysisConfig

FloatArray = npt.NDArray[np.float64]

#: Every method scored, in table order.
METHODS: tuple[str, ...] = ("plan", "random", "naive_hotspot", "topk_no_overlap", "oracle")


def random_sites(
    m: int, k: int, *, rng: np.random.Generator, existing: Sequence[int] = ()
) -> list[int]:
    """``k`` distinct candidate columns drawn uniformly among the ``m`` not in ``existing``."""
    free = np.setdiff1d(np.arange(m), np.asarray(list(existing), dtype=np.int64))
    k = min(k, len(free))
    return sorted(int(j) for j in rng.choice(free, size=k, replace=False))


def topk_sites(
    a: sp.spmatrix, w: npt.ArrayLike, k: int, *, existing: Sequence[int] = ()
) -> list[int]:
    """Choose the ``k`` columns with the largest weight within reach, each counted alone.

    Ties go to the lower column; ``existing`` columns are never chosen.
    """
    csc = sp.csc_matrix(a, dtype=float)
    score = np.asarray(csc.T @ np.asarray(w, dtype=float)).ravel()
    score[list(existing)] = -np.inf
    order = np.lexsort((np.arange(len(score)), -score))
    return [int(j) for j in order[: min(k, len(score) - len(existing))]]


def naive_hotspot_sites(
    cand_xy: FloatArray,
    k: int,
    cell_xy: FloatArray,
    cell_value: FloatArray,
    *,
    existing: Sequence[int] = (),
) -> list[int]:
    """Choose the candidate nearest each of the densest cells, densest first, one per cell.

    A cell whose nearest free candidate is already chosen is skipped. Falls back to the next
    nearest free candidates of the densest cell when the cells run out.
    """
    from scipy.spatial import cKDTree

    m = len(cand_xy)
    taken = {int(j) for j in existing}
    free = np.array([j for j in range(m) if j not in taken], dtype=np.int64)
    k = min(k, len(free))
    if k == 0:
        return []
    ok = np.isfinite(cell_value) & (cell_value > 0)
    cxy, cval = np.asarray(cell_xy)[ok], np.asarray(cell_value)[ok]
    order = np.lexsort((np.arange(len(cval)), -cval))
    tree = cKDTree(np.asarray(cand_xy)[free])
    chosen: list[int] = []
    if len(order):
        _, near = tree.query(cxy[order])
        for i in np.atleast_1d(near):
            j = int(free[int(i)])
            if j not in chosen:
                chosen.append(j)
                if len(chosen) == k:
                    return chosen
    # not enough distinct cells: fill with the free candidates nearest the densest cells
    ref = cxy[order[0]] if len(order) else np.asarray(cand_xy)[free].mean(axis=0)
    _, near = tree.query(ref, k=len(free))
    for i in np.atleast_1d(near):
        j = int(free[int(i)])
        if j not in chosen:
            chosen.append(j)
            if len(chosen) == k:
                break
    return chosen


def density_cells(
    train: gpd.GeoDataFrame, data: StudyData, cfg: AnalysisConfig
) -> tuple[FloatArray, FloatArray]:
    """Centres and values of the training alerts' density grid (the naive hot spot's input)."""
    from geo_outreach.density import density_grid

    if len(train) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    grid = density_grid(
        train,
        data.study_area,
        cell_m=cfg.cell_m,
        bandwidth_m=cfg.bandwidth_m,
        half_life_days=cfg.half_life_days,
        category_weights=cfg.category_weights or None,
    )
    xx, yy = grid.cell_centres()
    values: FloatArray = grid.values.ravel()
    return np.column_stack([xx.ravel(), yy.ravel()]), values


def oracle_sites(
    solved: Sequence[int],
    others: Mapping[str, Sequence[Sequence[int]]],
    a_test: sp.spmatrix,
    w_test: FloatArray,
    existing: Sequence[int],
) -> list[int]:
    """Pick the best of the solver's hindsight answer and every other method's sites.

    Parameters
    ----------
    solved
        Sites of maximal covering fitted on the test alerts.
    others
        Each other method's site sets (several for ``random``), tried in order.
    a_test, w_test
        Coverage and weights of the test alerts.
    existing
        Existing sites (they cover for every set).
    """
    best = list(solved)
    best_w = cov.covered_weight(a_test, w_test, best + list(existing))
    for sets in others.values():
        for cols in sets:
            cw = cov.covered_weight(a_test, w_test, list(cols) + list(existing))
            if cw > best_w + 1e-9:
                best, best_w = list(cols), cw
    return best
