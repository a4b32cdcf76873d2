"""maximize_coverage against brute force, constraints, errors and spopt's SF instance."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.coverage import covered_weight, maximize_coverage
from geo_outreach.coverage.matrix import coverage_matrix_euclidean

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force_and_greedy_within_bound(seed, random_instance, brute):
    a, w = random_instance(seed)
    for k in (1, 3, 4):
        opt = brute(a, w, k)
        ex = maximize_coverage(a, w, k, method="exact")
        gr = maximize_coverage(a, w, k, method="greedy")
        au = maximize_coverage(a, w, k, method="auto")
        assert math.isclose(ex.covered_weight, opt), (seed, k)
        assert ex.status == "optimal" and ex.gap == 0.0
        assert math.isclose(au.covered_weight, opt)
        assert gr.covered_weight >= (1 - 1 / math.e) * opt - 1e-9
        for s in (ex, gr, au):
            assert s.upper_bound >= opt - 1e-9
            assert len(s.chosen) == k and len(set(s.chosen)) == k
            assert math.isclose(covered_weight(a, w, s.chosen), s.covered_weight)
            assert math.isclose(sum(s.marginal), s.covered_weight)
            assert list(s.marginal) == sorted(s.marginal, reverse=True)
            assert s.gap == pytest.approx((s.upper_bound - s.covered_weight) / s.upper_bound)


def test_existing_sites_cover_without_budget(random_instance, brute):
    a, w = random_instance(7, n=40, m=9)
    existing = (2, 5)
    opt = brute(a, w, 2, existing=existing)
    s = maximize_coverage(a, w, 2, method="exact", existing=existing)
    assert math.isclose(s.covered_weight, opt)
    assert not set(s.chosen) & set(existing)
    assert math.isclose(s.existing_weight, covered_weight(a, w, existing))
    g = maximize_coverage(a, w, 2, method="greedy", existing=existing)
    assert not set(g.chosen) & set(existing) and g.upper_bound >= opt - 1e-9


def test_min_sites_per_precinct(random_instance, brute):
    a, w = random_instance(11, n=40, m=9)
    groups = np.array(["P1"] * 3 + ["P2"] * 3 + ["P3"] * 3)
    mins = {"P3": 2}

    def ok(c):
        return sum(groups[j] == "P3" for j in c) >= 2

    opt = brute(a, w, 3, ok)
    s = maximize_coverage(a, w, 3, method="exact", min_per_group=mins, group_of_candidate=groups)
    assert math.isclose(s.covered_weight, opt) and ok(s.chosen)
    g = maximize_coverage(a, w, 3, method="greedy", min_per_group=mins, group_of_candidate=groups)
    assert ok(g.chosen) and any("seeded" in n for n in g.notes)


def test_min_sites_infeasible_names_precinct(random_instance):
    a, w = random_instance(12, n=20, m=6)
    groups = np.array(["城区"] * 5 + ["山区"])
    with pytest.raises(InfeasiblePlanError, match="山区"):
        maximize_coverage(a, w, 3, min_per_group={"山区": 2}, group_of_candidate=groups)
    with pytest.raises(InfeasiblePlanError, match="budget"):
        maximize_coverage(a, w, 1, min_per_group=1, group_of_candidate=groups)


def test_min_share_per_precinct_exact_and_infeasible():
    # demand 0-3 in A, 4-5 in B; site 0 covers A heavily, site 1 covers B
    a = sp.csr_matrix(
        np.array([[1, 0, 0], [1, 0, 1], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.uint8)
    )
    w = np.array([5, 5, 5, 5, 1, 1], dtype=float)
    groups = np.array(["A"] * 4 + ["B"] * 2)
    free = maximize_coverage(a, w, 1, method="exact")
    assert free.chosen == (0,)
    s = maximize_coverage(
        a, w, 1, method="exact", min_share_per_group={"B": 0.5}, group_of_demand=groups
    )
    assert s.chosen in ((1,), (2,))
    s2 = maximize_coverage(
        a, w, 1, method="exact", min_share_per_group={"B": 0.5, "A": 0.25}, group_of_demand=groups
    )
    assert s2.chosen == (2,) and s2.covered_weight == 6
    g = maximize_coverage(
        a, w, 2, method="greedy", min_share_per_group={"B": 1.0}, group_of_demand=groups
    )
    assert set(g.chosen) == {1, 2} and g.covered_weight == 7  # both sites needed for B
    w_unreach = np.append(w, 3.0)
    a_unreach = sp.vstack([a, sp.csr_matrix((1, 3), dtype=np.uint8)]).tocsr()
    g_unreach = np.append(groups, "C")
    with pytest.raises(InfeasiblePlanError, match="'C'"):
        maximize_coverage(
            a_unreach, w_unreach, 1, min_share_per_group={"C": 0.1}, group_of_demand=g_unreach
        )


def test_min_spacing(random_instance, brute):
    rng = np.random.default_rng(5)
    a, w = random_instance(5, n=40, m=8, density=0.3)
    xy = rng.uniform(0, 1000, (8, 2))
    spacing = 350.0

    def ok(c):
        return all(np.hypot(*(xy[i] - xy[j])) >= spacing for i, j in itertools.combinations(c, 2))

    opt = brute(a, w, 3, ok)
    s = maximize_coverage(a, w, 3, method="exact", min_spacing_m=spacing, cand_xy=xy)
    assert ok(s.chosen) and math.isclose(s.covered_weight, opt)
    g = maximize_coverage(a, w, 3, method="greedy", min_spacing_m=spacing, cand_xy=xy)
    assert ok(g.chosen)
    with pytest.raises(InputDataError, match="cand_xy"):
        maximize_coverage(a, w, 3, min_spacing_m=spacing)


def test_input_errors(random_instance):
    a, w = random_instance(0, n=10, m=4)
    with pytest.raises(InputDataError, match="budget 5 is larger than the 4"):
        maximize_coverage(a, w, 5)
    with pytest.raises(InputDataError, match="budget 4 is larger than the 3"):
        maximize_coverage(a, w, 4, existing=[0])
    with pytest.raises(InputDataError, match="weights have 3 values"):
        maximize_coverage(a, w[:3], 1)
    with pytest.raises(InputDataError, match="method"):
        maximize_coverage(a, w, 1, method="magic")  # type: ignore[arg-type]


def test_solution_is_deterministic(random_instance):
    a, w = random_instance(9, n=60, m=12)
    s1 = maximize_coverage(a, w, 4, method="exact")
    s2 = maximize_coverage(a, w, 4, method="exact")
    assert s1.chosen == s2.chosen and s1.covered_weight == s2.covered_weight


def test_medium_instance_exact_and_auto_agree():
    rng = np.random.default_rng(2)
    d = rng.normal(0, 1500, (2000, 2))
    c = rng.uniform(-3000, 3000, (150, 2))
    a = coverage_matrix_euclidean(d, c, 300)
    w = rng.integers(1, 4, 2000).astype(float)
    ex = maximize_coverage(a, w, 10, method="exact", time_limit_s=30)
    au = maximize_coverage(a, w, 10, method="auto", time_limit_s=30)
    gr = maximize_coverage(a, w, 10, method="greedy")
    assert ex.status == "optimal"
    assert math.isclose(au.covered_weight, ex.covered_weight)
    assert gr.covered_weight <= ex.covered_weight + 1e-9 <= gr.upper_bound + 1e-6


def test_spopt_sf_instance(brute):
    """spopt's test_mclp.py (TestRealWorldLocate): p = 4, radius 5000 -> 21 tracts uncovered."""
    dist = pd.read_csv(DATA / "spopt_SF_network_distance_candidateStore_16_censusTract_205_new.csv")
    demand = pd.read_csv(
        DATA / "spopt_SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str}
    )
    piv = dist.pivot_table(values="distance", index="DestinationName", columns="name")
    cost = piv.to_numpy()
    names = piv.index.astype(str)
    # spopt sorts the demand by NAME and takes POP2000 as weights, aligned with the pivot
    demand = demand.sort_values("NAME").reset_index(drop=True)
    assert list(demand["NAME"].astype(str)) == [f"{float(n):012.2f}" for n in names] or len(
        demand
    ) == len(names)
    w = demand["POP2000"].to_numpy(dtype=float)
    a = sp.csr_matrix((cost <= 5000.0).astype(np.uint8))
    s = maximize_coverage(a, w, 4, method="exact")
    opt = brute(a, w, 4)
    assert math.isclose(s.covered_weight, opt) and s.status == "optimal"
    covered_rows = np.asarray(a[:, list(s.chosen)].sum(axis=1)).ravel() > 0
    assert int((~covered_rows).sum()) == 21
    assert 100 * covered_rows.mean() == pytest.approx(89.75609756097561)
