"""Lagrangian bounds are valid upper bounds (float64 and float32 paths)."""

from __future__ import annotations

import math

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
