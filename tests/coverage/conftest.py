"""Builders shared by the coverage tests: random 0/1 instances and a brute-force optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage import covered_weight


def _random_instance(seed: int, n: int = 30, m: int = 9, density: float = 0.2):
    rng = np.random.default_rng(seed)
    a = sp.csr_matrix((rng.random((n, m)) < density).astype(np.uint8))
    w = rng.integers(1, 10, n).astype(float)
    return a, w


def _brute(a, w, k, ok=lambda c: True, existing=()):
    best = -1.0
    for c in itertools.combinations([j for j in range(a.shape[1]) if j not in existing], k):
        if ok(c):
            best = max(best, covered_weight(a, w, list(c) + list(existing)))
    return best


@pytest.fixture
def random_instance():
    """``random_instance(seed, n=30, m=9, density=0.2) -> (csr 0/1 matrix, integer weights)``."""
    return _random_instance


@pytest.fixture
def brute():
    """``brute(a, w, k, ok=..., existing=()) -> best covered weight`` by enumeration."""
    return _brute
