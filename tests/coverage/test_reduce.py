"""Exact demand reduction."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage.curves import covered_weight
from geo_outreach.coverage.reduce import fold_and_drop_dominated, reduce_demand


def test_reduce_demand_preserves_objective(random_instance):
    a, w = random_instance(3, n=200, m=8, density=0.15)
    red = reduce_demand(a, w)
    assert red.matrix.shape[0] < a.shape[0]
    assert math.isclose(red.weights.sum() + red.unreachable_weight, w.sum())
    for k in (1, 2, 3):
        for c in itertools.combinations(range(8), k):
            assert math.isclose(covered_weight(a, w, c), covered_weight(red.matrix, red.weights, c))
    # rows keep their group apart
    groups = np.array(["A", "B"] * 100)
    red_g = reduce_demand(a, w, groups=groups)
    assert red_g.matrix.shape[0] >= red.matrix.shape[0]
    for g in ("A", "B"):
        covered_rows = np.asarray(a[:, [0, 1]].sum(axis=1)).ravel() > 0
        want = w[(groups == g) & covered_rows].sum()
        got_rows = (red_g.groups == g) & (
            np.asarray(red_g.matrix[:, [0, 1]].sum(axis=1)).ravel() > 0
        )
        assert math.isclose(red_g.weights[got_rows].sum(), want)


@pytest.mark.parametrize("seed", range(6))
def test_fold_and_drop_dominated_keeps_the_optimum(seed, random_instance, brute):
    a, w = random_instance(700 + seed, n=25, m=5, density=0.3)
    dense = a.toarray()
    # add a nested column (a subset of column 0) and a copy of column 1
    a2 = sp.csc_matrix(np.column_stack([dense, dense[:, 0] * (np.arange(25) % 2), dense[:, 1]]))
    allowed = np.ones(7, dtype=bool)
    for k in (1, 2, 3):
        fold = fold_and_drop_dominated(a2, w, allowed, k)
        assert len(fold.columns) >= k and fold.n_dominated >= 1
        csc = sp.csc_matrix(fold.matrix)
        best = max(
            covered_weight(csc, fold.weights, c) + fold.col_obj[list(c)].sum()
            for c in itertools.combinations(range(len(fold.columns)), k)
        )
        assert math.isclose(best, brute(sp.csr_matrix(a2), w, k)), (seed, k)


def test_dominated_column_kept_when_the_optimum_needs_it_and_its_dominator(brute):
    # rows: r0 (columns 0 and 1), r1 only column 1 (w 10), r2 only column 0 (w 10), r3 only
    # column 2 (w 1). After folding, columns 0 and 1 cover the same row r0 with the same
    # objective 10, so 1 is "dominated" by 0; but with k = 2 the optimum is {0, 1} (23),
    # not {0, 2} (14): dropping column 1 would lose it.
    a = sp.csc_matrix(np.array([[1, 1, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.uint8))
    w = np.array([3.0, 10.0, 10.0, 1.0])
    fold = fold_and_drop_dominated(a, w, np.ones(3, dtype=bool), 2)
    assert 1 in set(fold.columns.tolist())
    csc = sp.csc_matrix(fold.matrix)
    best = max(
        covered_weight(csc, fold.weights, c) + fold.col_obj[list(c)].sum()
        for c in itertools.combinations(range(len(fold.columns)), 2)
    )
    assert best == brute(sp.csr_matrix(a), w, 2) == 23.0


@pytest.mark.parametrize("seed", range(4))
def test_fold_keeps_the_optimum_on_clustered_instances(seed, brute):
    # many nested columns (small and large discs around a few centres), k close to m
    rng = np.random.default_rng(900 + seed)
    n, m = 40, 10
    pts = rng.normal(size=(n, 2)) + rng.integers(0, 3, size=(n, 1)) * 2.0
    sites = pts[rng.choice(n, m, replace=False)]
    radius = rng.uniform(0.5, 2.0, m)
    dist = np.linalg.norm(pts[:, None, :] - sites[None, :, :], axis=2)
    a = sp.csc_matrix((dist <= radius).astype(np.uint8))
    w = rng.integers(1, 4, n).astype(float)
    for k in (2, 4, 6):
        fold = fold_and_drop_dominated(a, w, np.ones(m, dtype=bool), k)
        csc = sp.csc_matrix(fold.matrix)
        best = max(
            covered_weight(csc, fold.weights, c) + fold.col_obj[list(c)].sum()
            for c in itertools.combinations(range(len(fold.columns)), k)
        )
        assert math.isclose(best, brute(sp.csr_matrix(a), w, k)), (seed, k)


def _loop_reduce(a: sp.csr_matrix, w: np.ndarray, groups: np.ndarray | None) -> tuple:
    """The row-by-row reduction before issue 14 (first-seen order, sums in row order)."""
    a = sp.csr_matrix(a)
    a.sum_duplicates()
    a.sort_indices()
    keys: dict = {}
    reps: list[int] = []
    sums: list[float] = []
    inverse = np.full(a.shape[0], -1)
    lost = 0.0
    for i in range(a.shape[0]):
        cols = a.indices[a.indptr[i] : a.indptr[i + 1]]
        if len(cols) == 0:
            lost += w[i]
            continue
        key = (None if groups is None else groups[i], cols.tobytes())
        if key not in keys:
            keys[key] = len(reps)
            reps.append(i)
            sums.append(0.0)
        sums[keys[key]] += w[i]
        inverse[i] = keys[key]
    return reps, np.array(sums), inverse, lost


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("grouped", [False, True])
def test_reduce_demand_equals_the_row_loop_bit_for_bit(
    seed: int, grouped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the hashed grouping gives the loop's rows, order and sums, exactly."""
    import geo_outreach.coverage.reduce as red_mod

    rng = np.random.default_rng(40 + seed)
    base = sp.random(300, 12, density=0.2, random_state=rng, format="csr")
    a = sp.csr_matrix(base[rng.integers(0, 300, 3000)])  # many identical rows, some empty
    a.data[:] = 1
    w = rng.random(3000) * 10 ** rng.uniform(-3, 3, 3000)  # sums that depend on the order
    groups = rng.choice(np.array(["p1", "p2", "p3"], dtype=object), 3000) if grouped else None
    reps, sums, inverse, lost = _loop_reduce(a, w, groups)
    for hashed in (True, False):
        if not hashed:  # every row the same hash: the exact check sends it to the loop
            monkeypatch.setattr(red_mod, "_mix", lambda v: np.zeros_like(v))
            assert red_mod._same_rows(sp.csr_matrix(a), groups) is None
        red = reduce_demand(a, w, groups=groups)
        assert np.array_equal(red.weights, sums)  # bit for bit
        assert np.array_equal(red.inverse, inverse)
        assert red.unreachable_weight == lost and lost > 0
        assert (red.matrix != sp.csr_matrix(a)[reps]).nnz == 0
        assert groups is None or list(red.groups) == list(groups[reps])
