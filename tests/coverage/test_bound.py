"""Lagrangian bounds are valid upper bounds (float64 and float32 paths)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage import bound, maximize_coverage
from geo_outreach.coverage.bound import lagrangian_bound


def test_bounds_are_valid_upper_bounds(random_instance, brute):
    for seed in range(8):
        a, w = random_instance(100 + seed, n=40, m=10, density=0.25)
        k = 3
        opt = brute(a, w, k)
        assert lagrangian_bound(a, w, k, lower=0.0) >= opt - 1e-9
        greedy_point = maximize_coverage(a, w, k, method="greedy")
        assert greedy_point.upper_bound >= opt - 1e-9


def test_float32_lagrangian_path_stays_a_valid_bound(monkeypatch, random_instance, brute):
    monkeypatch.setattr(bound, "LAG_FLOAT32_NNZ", 0)
    for seed in range(6):
        a, w = random_instance(500 + seed, n=50, m=10, density=0.25)
        w = w * 1000.3  # non-integer, large weights
        k = 3
        opt = brute(a, w, k)
        assert lagrangian_bound(a, w, k, lower=0.0) >= opt - 1e-6
        for method in ("greedy", "auto", "exact"):
            s = maximize_coverage(a, w, k, method=method)
            assert s.upper_bound >= opt - 1e-6
        assert math.isclose(maximize_coverage(a, w, k, method="exact").covered_weight, opt)


@pytest.mark.parametrize("seed", range(3))
def test_lp_multipliers_give_the_lp_bound(seed, random_instance, brute):
    # the LP duals are optimal multipliers: L(lam) equals the LP relaxation's value (scipy's
    # linprog, an independent solver) and bounds the brute-force optimum
    from scipy.optimize import linprog

    from geo_outreach.coverage.bound import bound_at
    from geo_outreach.coverage.milp import lp_multipliers

    a, w = random_instance(400 + seed, n=40, m=10, density=0.25)
    n, m = a.shape
    k = 3
    lam = lp_multipliers(sp.csc_matrix(a), w, k, np.ones(m, dtype=bool))
    assert lam is not None and np.all((lam >= 0) & (lam <= w))
    # max w.y  s.t. y_i - sum_j a_ij x_j <= 0, sum x <= k, 0 <= x, y <= 1
    cover = np.hstack([-a.toarray().astype(float), np.eye(n)])
    a_ub = np.vstack([cover, np.concatenate([np.ones(m), np.zeros(n)])])
    b_ub = np.concatenate([np.zeros(n), [k]])
    lp = linprog(-np.concatenate([np.zeros(m), w]), A_ub=a_ub, b_ub=b_ub, bounds=(0, 1))
    assert lp.status == 0
    assert bound_at(a, w, k, lam) == pytest.approx(-lp.fun, rel=1e-9)
    assert bound_at(a, w, k, lam) >= brute(a, w, k) - 1e-9
