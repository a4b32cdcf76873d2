"""Swap bookkeeping and iterated local search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo_outreach.coverage import covered_weight, maximize_coverage
from geo_outreach.coverage.heuristics import SwapState, iterated_local_search


@pytest.mark.parametrize("seed", range(6))
def test_swap_state_bookkeeping_matches_recomputation(seed, random_instance):
    a, w = random_instance(300 + seed, n=40, m=12, density=0.25)
    csr, csc = a.tocsr(), a.tocsc()
    rng = np.random.default_rng(seed)
    st = SwapState(csr, csc, w, [0, 1, 2])
    ok = np.ones(12, dtype=bool)
    for _ in range(30):
        j = int(rng.choice(st.chosen))
        c, delta = st.best_swap(j, ok)
        before = st.value
        st.remove(j)
        st.add(c)
        assert math.isclose(st.value - before, delta, abs_tol=1e-9)
        assert math.isclose(st.value, covered_weight(a, w, st.chosen))
        for q in range(12):  # every column's marginal gain w.r.t. the current set
            rows = csc.indices[csc.indptr[q] : csc.indptr[q + 1]]
            want = float(w[rows][st.cnt[rows] == 0].sum())
            assert math.isclose(st.gain[q], want, abs_tol=1e-9)
        target = sorted(rng.choice(12, size=3, replace=False).tolist())
        st.move_to(target)
        assert sorted(st.chosen) == target  # and a random move_to
        assert math.isclose(st.value, covered_weight(a, w, target))


@pytest.mark.parametrize("seed", range(8))
def test_iterated_local_search_is_valid_and_at_least_greedy(seed, random_instance, brute):
    a, w = random_instance(400 + seed, n=40, m=11, density=0.2)
    k = 4
    opt = brute(a, w, k)
    gr = maximize_coverage(a, w, k, method="greedy")
    allowed = np.ones(11, dtype=bool)
    allowed[3] = False  # an excluded column never enters
    res = iterated_local_search(
        a.tocsr(), a.tocsc(), w, [0, 1, 2, 4], allowed, deadline=float("inf"), max_rounds=50
    )
    cols, val = res.chosen, res.value
    assert len(cols) == k and len(set(cols)) == k and 3 not in cols
    assert math.isclose(val, covered_weight(a, w, cols))
    assert val <= opt + 1e-9
    assert gr.covered_weight <= opt + 1e-9
    assert gr.covered_weight >= (1 - 1 / math.e) * opt - 1e-9
