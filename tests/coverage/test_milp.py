"""The exact model and its presolve."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage import maximize_coverage
from geo_outreach.coverage.constraints import ShareGroup, SiteGroup
from geo_outreach.coverage.milp import solve_milp


@pytest.mark.parametrize("seed", range(8))
def test_exact_presolve_with_nested_and_duplicate_candidates(seed, random_instance, brute):
    # columns that are subsets / copies of others, and rows only one column covers:
    # the dominated-candidate and single-cover reductions must keep the optimum
    rng = np.random.default_rng(600 + seed)
    a, w = random_instance(600 + seed, n=30, m=6, density=0.3)
    dense = a.toarray()
    extra = []
    for _ in range(4):
        j = int(rng.integers(6))
        sub = dense[:, j] * (rng.random(30) < 0.6)  # a subset of column j
        extra.append(sub)
    extra.append(dense[:, 0].copy())  # an exact duplicate
    a2 = sp.csr_matrix(np.column_stack([dense] + extra).astype(np.uint8))
    for k in (1, 2, 3, 5):
        opt = brute(a2, w, k)
        s = maximize_coverage(a2, w, k, method="exact")
        assert math.isclose(s.covered_weight, opt), (seed, k)
        assert s.status == "optimal" and s.upper_bound >= opt - 1e-9
        assert len(set(s.chosen)) == k


def test_solve_milp_constraint_families_by_hand():
    # three sites, each covering its own row; weights 3, 2, 1
    a = sp.csc_matrix(np.eye(3, dtype=np.uint8))
    w = np.array([3.0, 2.0, 1.0])
    ok = np.ones(3, dtype=bool)
    free = solve_milp(
        a,
        w,
        2,
        allowed=ok,
        warm=[],
        conflicts=None,
        site_groups=[],
        share_groups=[],
        time_limit_s=5,
    )
    assert free.status == "optimal" and sorted(free.chosen) == [0, 1] and free.value == 5
    spaced = solve_milp(
        a,
        w,
        2,
        allowed=ok,
        warm=[0],
        conflicts=[{1}, {0}, set()],
        site_groups=[],
        share_groups=[],
        time_limit_s=5,
    )
    assert sorted(spaced.chosen) == [0, 2] and spaced.value == 4
    grouped = solve_milp(
        a,
        w,
        2,
        allowed=ok,
        warm=[],
        conflicts=[{1}, {0}, set()],
        site_groups=[SiteGroup("P", np.array([1]), 1)],
        share_groups=[],
        time_limit_s=5,
    )
    assert sorted(grouped.chosen) == [1, 2] and grouped.value == 3
    shared = solve_milp(
        a,
        w,
        1,
        allowed=ok,
        warm=[],
        conflicts=None,
        site_groups=[],
        share_groups=[ShareGroup("Q", np.array([2]), 1.0)],
        time_limit_s=5,
    )
    assert shared.chosen == [2] and shared.value == 1
    blocked = solve_milp(
        a,
        w,
        1,
        allowed=np.array([True, True, False]),
        warm=[],
        conflicts=None,
        site_groups=[],
        share_groups=[ShareGroup("Q", np.array([2]), 1.0)],
        time_limit_s=5,
    )
    assert blocked.status == "infeasible" and blocked.chosen is None
