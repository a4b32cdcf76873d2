"""Exact demand reduction."""

from __future__ import annotations

import itertools
import math

import numpy as np

from geo_outreach.coverage.curves import covered_weight
from geo_outreach.coverage.reduce import reduce_demand


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
