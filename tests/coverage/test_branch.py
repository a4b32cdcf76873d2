"""Our own LP branch-and-bound: the optimum by brute force, an honest bound when cut short."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage import covered_weight, maximize_coverage
from geo_outreach.coverage.branch import branch_and_bound


@pytest.mark.parametrize("seed", range(6))
def test_branch_and_bound_finds_the_brute_force_optimum(seed, random_instance, brute):
    # started from the empty set, with real-valued weights and a column objective (the
    # folded single-cover rows); the search must reach the enumerated optimum
    a, w = random_instance(900 + seed, n=40, m=12, density=0.2)
    w = w * 1.37
    rng = np.random.default_rng(seed)
    col_obj = np.round(rng.random(12) * 3, 2)
    # the column objective as rows only column j covers: brute force on that matrix
    a_obj = sp.vstack([a, sp.identity(12, format="csr", dtype=np.uint8)]).tocsr()
    w_obj = np.concatenate([w, col_obj])
    for k in (2, 4):
        opt = brute(a_obj, w_obj, k)
        r = branch_and_bound(sp.csc_matrix(a), w, k, col_obj, warm=[], margin=1e-9)
        assert r.optimal and r.stopped_by == ""
        assert math.isclose(r.value, opt), (seed, k)
        got = covered_weight(a, w, r.chosen) + float(col_obj[r.chosen].sum())
        assert math.isclose(got, r.value) and len(r.chosen) <= k
        assert math.isclose(r.bound, r.value)


def test_node_budget_gives_a_valid_bound_and_the_solve_still_proves_optimality(
    monkeypatch, random_instance, brute
):
    # (seed 70: the root LP is fractional, so one node cannot finish)
    a, w = random_instance(70, n=60, m=14, density=0.3)
    k = 4
    opt = brute(a, w, k)
    r = branch_and_bound(sp.csc_matrix(a), w, k, np.zeros(14), warm=[], margin=1e-9, max_nodes=1)
    assert r.nodes == 1 and not r.optimal and r.stopped_by == "nodes"
    assert r.value <= opt + 1e-9 and r.bound >= opt - 1e-9
    assert r.bound > r.value
    # with a one-node budget everywhere, the solve falls back to HiGHS and is still exact
    monkeypatch.setattr("geo_outreach.coverage.branch.BB_MAX_NODES", 1)
    monkeypatch.setattr(
        "geo_outreach.coverage.milp.branch_and_bound",
        lambda *args, **kw: branch_and_bound(*args, **{**kw, "max_nodes": 1}),
    )
    s = maximize_coverage(a, w, k, method="exact")
    assert s.status == "optimal" and math.isclose(s.covered_weight, opt)
