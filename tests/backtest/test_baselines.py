"""backtest.baselines: each baseline on a constructed case; the oracle is >= every method."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geo_outreach import coverage as cov
from geo_outreach.backtest import baselines


def _overlap_matrix() -> sp.csr_matrix:
    # rows 0-4 reached by columns 0 and 1 (and row 5 by 0 alone); rows 6-9 by column 2
    a = np.zeros((10, 3), dtype=np.uint8)
    a[0:6, 0] = 1
    a[0:5, 1] = 1
    a[6:10, 2] = 1
    return sp.csr_matrix(a)


def test_topk_picks_overlapping_sites_where_the_plan_picks_disjoint_ones():
    a = _overlap_matrix()
    w = np.ones(10)
    assert baselines.topk_sites(a, w, 2) == [0, 1]
    plan = cov.maximize_coverage(a, w, 2, method="exact")
    assert sorted(plan.chosen) == [0, 2]
    assert cov.covered_weight(a, w, [0, 1]) == 6 < cov.covered_weight(a, w, plan.chosen) == 10
    assert baselines.topk_sites(a, w, 2, existing=[0]) == [1, 2]


def test_naive_hotspot_one_candidate_per_cell_densest_first():
    cand = np.array([[0.0, 0.0], [100.0, 0.0], [1000.0, 0.0], [5000.0, 0.0]])
    cells = np.array([[10.0, 0.0], [20.0, 0.0], [990.0, 0.0], [4900.0, 0.0], [60.0, 0.0]])
    value = np.array([9.0, 8.0, 5.0, 1.0, np.nan])
    # cell 0 -> cand 0; cell 1's nearest is cand 0 again (skipped); cell 2 -> cand 2
    assert baselines.naive_hotspot_sites(cand, 2, cells, value) == [0, 2]
    assert baselines.naive_hotspot_sites(cand, 3, cells, value) == [0, 2, 3]
    # cells run out: the free candidates nearest the densest cell fill the rest
    assert baselines.naive_hotspot_sites(cand, 4, cells, value) == [0, 2, 3, 1]
    assert baselines.naive_hotspot_sites(cand, 2, cells, value, existing=[0]) == [1, 2]


def test_random_sites_distinct_seeded_and_never_existing():
    rng = np.random.default_rng(1)
    draws = [baselines.random_sites(6, 3, rng=rng, existing=[2]) for _ in range(50)]
    assert all(len(set(d)) == 3 and 2 not in d and all(0 <= j < 6 for j in d) for d in draws)
    again = baselines.random_sites(6, 3, rng=np.random.default_rng(1), existing=[2])
    assert again == draws[0]


def test_oracle_takes_another_method_when_it_covers_more():
    a = _overlap_matrix()
    w = np.ones(10)
    # a poor "solver" answer {0, 1} (6) loses to the top-k / random sets that reach 10
    best = baselines.oracle_sites([0, 1], {"random": [[1, 2], [0, 2]], "topk": [[0, 1]]}, a, w, [])
    assert best == [0, 2]
    # ties keep the solver's answer; existing sites count for every set
    assert baselines.oracle_sites([0, 2], {"random": [[2, 0]]}, a, w, []) == [0, 2]
    assert baselines.oracle_sites([1], {"x": [[0]]}, a, w, [2]) == [0]
