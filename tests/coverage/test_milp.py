"""The exact model and its presolve."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage import maximize_coverage


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
