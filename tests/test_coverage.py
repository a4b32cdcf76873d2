"""coverage.py: matrices, demand reduction, solvers against brute force, constraints, curve, gaps."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.coverage import (
    coverage_curve,
    coverage_matrix_euclidean,
    coverage_matrix_network,
    covered_weight,
    gap_analysis,
    lagrangian_bound,
    maximize_coverage,
    prepare_network,
    reduce_demand,
    service_areas,
)

DATA = Path(__file__).resolve().parent / "data"


def random_instance(seed: int, n: int = 30, m: int = 9, density: float = 0.2):
    rng = np.random.default_rng(seed)
    a = sp.csr_matrix((rng.random((n, m)) < density).astype(np.uint8))
    w = rng.integers(1, 10, n).astype(float)
    return a, w


def brute(a, w, k, ok=lambda c: True, existing=()):
    best = -1.0
    for c in itertools.combinations([j for j in range(a.shape[1]) if j not in existing], k):
        if ok(c):
            best = max(best, covered_weight(a, w, list(c) + list(existing)))
    return best


# --------------------------------------------------------------------------- matrices


def test_euclidean_matrix_matches_dense_distances():
    rng = np.random.default_rng(1)
    d = rng.uniform(0, 3000, (200, 2))
    c = rng.uniform(0, 3000, (40, 2))
    a = coverage_matrix_euclidean(d, c, 500.0)
    dense = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1]) <= 500.0
    assert sp.issparse(a) and a.shape == (200, 40)
    np.testing.assert_array_equal(a.toarray().astype(bool), dense)


def test_euclidean_matrix_errors_and_empty():
    with pytest.raises(InputDataError, match="radius_m must be a positive"):
        coverage_matrix_euclidean([[0, 0]], [[1, 1]], 0)
    assert coverage_matrix_euclidean(np.zeros((0, 2)), [[1, 1]], 10).shape == (0, 1)


def tiny_graph() -> nx.MultiDiGraph:
    """A 'T' of streets plus a one-way spur (walkers ignore one-way) and a parallel edge.

    0 --100-- 1 --100-- 2
              |
             150
              |
              3 --(one-way 3->4, 80)--> 4
    """
    g = nx.MultiDiGraph(crs="EPSG:32649")
    pos = {0: (0, 0), 1: (100, 0), 2: (200, 0), 3: (100, -150), 4: (180, -150)}
    for n, (x, y) in pos.items():
        g.add_node(n, x=float(x), y=float(y))
    for u, v, length in [(0, 1, 100), (1, 2, 100), (1, 3, 150)]:
        g.add_edge(u, v, length=float(length))
        g.add_edge(v, u, length=float(length))
    g.add_edge(3, 4, length=80.0)
    g.add_edge(0, 1, length=130.0)  # a longer parallel edge: the shorter one counts
    return g


def reference_walks(g: nx.MultiDiGraph, demand: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """Independent reference: each point joins its nearest street segment by two edges
    (perpendicular + along the street to each end); points on the same segment also get
    the direct walk along it; then networkx shortest paths."""
    import shapely

    und = nx.Graph()
    for u, v, d in g.edges(data=True):
        if u != v and (not und.has_edge(u, v) or und[u][v]["length"] > d["length"]):
            und.add_edge(u, v, length=d["length"])
    pos = {n: (g.nodes[n]["x"], g.nodes[n]["y"]) for n in g.nodes}
    segs = [(u, v, d["length"], shapely.LineString([pos[u], pos[v]])) for u, v, d in und.edges(data=True)]
    h = und.copy()
    placed = {}
    for label, pts in (("d", demand), ("c", cands)):
        for i, p in enumerate(pts):
            pt = shapely.Point(p)
            k = int(np.argmin([s[3].distance(pt) for s in segs]))
            u, v, length, line = segs[k]
            perp = line.distance(pt)
            off = line.project(pt, normalized=True) * length
            h.add_edge((label, i), u, length=perp + off)
            h.add_edge((label, i), v, length=perp + length - off)
            placed[(label, i)] = (k, perp, off)
    for a_, (ka, pa, oa) in placed.items():
        for b_, (kb, pb, ob) in placed.items():
            if a_ < b_ and ka == kb:
                direct = pa + pb + abs(oa - ob)
                if not h.has_edge(a_, b_) or h[a_][b_]["length"] > direct:
                    h.add_edge(a_, b_, length=direct)
    out = np.full((len(demand), len(cands)), np.inf)
    for j in range(len(cands)):
        lengths = nx.single_source_dijkstra_path_length(h, ("c", j), weight="length")
        for i in range(len(demand)):
            out[i, j] = lengths.get(("d", i), np.inf)
    return out


def test_network_matrix_matches_networkx_shortest_paths():
    g = tiny_graph()
    demand = np.array([[0, 5], [200, -3], [180, -150], [100, -140], [150, 1], [500, 500]], dtype=float)
    cands = np.array([[110, 2], [0, 0], [180, -148]], dtype=float)
    radius = 300.0
    a, dist = coverage_matrix_network(g, demand, cands, radius, return_distance=True, chunk=1)
    expected = reference_walks(g, demand, cands)
    within = expected <= radius
    np.testing.assert_array_equal(a.toarray().astype(bool), within)
    np.testing.assert_allclose(dist.toarray()[within], expected[within])
    # same street: (150, 1) is 40 m along the street from (110, 2), plus 1 + 2 m to reach it
    assert dist[4, 0] == pytest.approx(43.0)
    # the one-way 3->4 is walked both ways: demand at node 4 reaches candidate 0 (near node 1)
    assert a[2, 0] == 1
    # the far point is covered by nothing
    assert a[5].nnz == 0


def test_network_matrix_reuses_prepared_index():
    g = tiny_graph()
    net = prepare_network(g)
    a1 = coverage_matrix_network(g, [[0, 0], [200, 0]], [[100, 0]], 150)
    a2 = coverage_matrix_network(net, [[0, 0], [200, 0]], [[100, 0]], 150)
    assert (a1 != a2).nnz == 0 and a1.toarray().ravel().tolist() == [1, 1]


def test_service_areas_cover_reachable_streets():
    g = tiny_graph()
    (area,) = service_areas(g, [[0, 0]], 210.0, buffer_m=10)
    import shapely

    assert area.contains(shapely.Point(200, 0))  # 200 m along the street
    assert not area.contains(shapely.Point(100, -150))  # 250 m away on foot
    (none,) = service_areas(g, [[5000, 5000]], 100.0)
    assert none.is_empty


# --------------------------------------------------------------------------- reduction


def test_reduce_demand_preserves_objective():
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
        got_rows = (red_g.groups == g) & (np.asarray(red_g.matrix[:, [0, 1]].sum(axis=1)).ravel() > 0)
        assert math.isclose(red_g.weights[got_rows].sum(), want)


# --------------------------------------------------------------------------- solvers


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force_and_greedy_within_bound(seed):
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


def test_bounds_are_valid_upper_bounds():
    for seed in range(8):
        a, w = random_instance(100 + seed, n=40, m=10, density=0.25)
        k = 3
        opt = brute(a, w, k)
        assert lagrangian_bound(a, w, k, lower=0.0) >= opt - 1e-9
        greedy_point = maximize_coverage(a, w, k, method="greedy")
        assert greedy_point.upper_bound >= opt - 1e-9


def test_existing_sites_cover_without_budget():
    a, w = random_instance(7, n=40, m=9)
    existing = (2, 5)
    opt = brute(a, w, 2, existing=existing)
    s = maximize_coverage(a, w, 2, method="exact", existing=existing)
    assert math.isclose(s.covered_weight, opt)
    assert not set(s.chosen) & set(existing)
    assert math.isclose(s.existing_weight, covered_weight(a, w, existing))
    g = maximize_coverage(a, w, 2, method="greedy", existing=existing)
    assert not set(g.chosen) & set(existing) and g.upper_bound >= opt - 1e-9


def test_min_sites_per_precinct():
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


def test_min_sites_infeasible_names_precinct():
    a, w = random_instance(12, n=20, m=6)
    groups = np.array(["城区"] * 5 + ["山区"])
    with pytest.raises(InfeasiblePlanError, match="山区"):
        maximize_coverage(a, w, 3, min_per_group={"山区": 2}, group_of_candidate=groups)
    with pytest.raises(InfeasiblePlanError, match="budget"):
        maximize_coverage(a, w, 1, min_per_group=1, group_of_candidate=groups)


def test_min_share_per_precinct_exact_and_infeasible():
    # demand 0-3 in A, 4-5 in B; site 0 covers A heavily, site 1 covers B
    a = sp.csr_matrix(
        np.array(
            [[1, 0, 0], [1, 0, 1], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.uint8
        )
    )
    w = np.array([5, 5, 5, 5, 1, 1], dtype=float)
    groups = np.array(["A"] * 4 + ["B"] * 2)
    free = maximize_coverage(a, w, 1, method="exact")
    assert free.chosen == (0,)
    s = maximize_coverage(a, w, 1, method="exact", min_share_per_group={"B": 0.5}, group_of_demand=groups)
    assert s.chosen in ((1,), (2,))
    s2 = maximize_coverage(a, w, 1, method="exact", min_share_per_group={"B": 0.5, "A": 0.25}, group_of_demand=groups)
    assert s2.chosen == (2,) and s2.covered_weight == 6
    g = maximize_coverage(a, w, 2, method="greedy", min_share_per_group={"B": 1.0}, group_of_demand=groups)
    assert set(g.chosen) == {1, 2} and g.covered_weight == 7  # both sites needed for B
    w_unreach = np.append(w, 3.0)
    a_unreach = sp.vstack([a, sp.csr_matrix((1, 3), dtype=np.uint8)]).tocsr()
    g_unreach = np.append(groups, "C")
    with pytest.raises(InfeasiblePlanError, match="'C'"):
        maximize_coverage(a_unreach, w_unreach, 1, min_share_per_group={"C": 0.1}, group_of_demand=g_unreach)


def test_min_spacing():
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


def test_input_errors():
    a, w = random_instance(0, n=10, m=4)
    with pytest.raises(InputDataError, match="budget 5 is larger than the 4"):
        maximize_coverage(a, w, 5)
    with pytest.raises(InputDataError, match="budget 4 is larger than the 3"):
        maximize_coverage(a, w, 4, existing=[0])
    with pytest.raises(InputDataError, match="weights have 3 values"):
        maximize_coverage(a, w[:3], 1)
    with pytest.raises(InputDataError, match="method"):
        maximize_coverage(a, w, 1, method="magic")  # type: ignore[arg-type]


def test_solution_is_deterministic():
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


# --------------------------------------------------------------------------- spopt's known instance


def test_spopt_sf_instance():
    """spopt's test_mclp.py (TestRealWorldLocate): p = 4, radius 5000 -> 21 tracts uncovered."""
    dist = pd.read_csv(DATA / "spopt_SF_network_distance_candidateStore_16_censusTract_205_new.csv")
    demand = pd.read_csv(DATA / "spopt_SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
    piv = dist.pivot_table(values="distance", index="DestinationName", columns="name")
    cost = piv.to_numpy()
    names = piv.index.astype(str)
    # spopt sorts the demand by NAME and takes POP2000 as weights, aligned with the pivot
    demand = demand.sort_values("NAME").reset_index(drop=True)
    assert list(demand["NAME"].astype(str)) == [f"{float(n):012.2f}" for n in names] or len(demand) == len(names)
    w = demand["POP2000"].to_numpy(dtype=float)
    a = sp.csr_matrix((cost <= 5000.0).astype(np.uint8))
    s = maximize_coverage(a, w, 4, method="exact")
    opt = brute(a, w, 4)
    assert math.isclose(s.covered_weight, opt) and s.status == "optimal"
    covered_rows = np.asarray(a[:, list(s.chosen)].sum(axis=1)).ravel() > 0
    assert int((~covered_rows).sum()) == 21
    assert 100 * covered_rows.mean() == pytest.approx(89.75609756097561)


# --------------------------------------------------------------------------- curve, gaps


def test_coverage_curve_monotone_and_nested():
    a, w = random_instance(21, n=80, m=10)
    curve = coverage_curve(a, w, 6)
    assert list(curve.columns) == ["k", "covered_weight", "covered_share"]
    assert curve["k"].tolist() == list(range(7))
    assert curve["covered_weight"].iloc[0] == 0
    assert (np.diff(curve["covered_weight"]) >= 0).all()
    assert curve["covered_share"].iloc[-1] <= 1.0
    for k in range(1, 7):
        assert curve["covered_weight"].iloc[k] >= (1 - 1 / math.e) * brute(a, w, k) - 1e-9
    with_existing = coverage_curve(a, w, 3, existing=[0])
    assert with_existing["covered_weight"].iloc[0] == covered_weight(a, w, [0])


def test_gap_analysis_hand_case():
    # sites: 0 covers rows 0,1 ; 1 covers rows 1,2 ; 2 covers row 3. Row 4 is uncovered.
    a = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.uint8))
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    g = gap_analysis(a, w, [0, 1, 2])
    assert g["site"].tolist() == [0, 1, 2, -1]
    assert g["covered_weight"].tolist() == [3.0, 5.0, 4.0, 5.0]
    assert g["unique_weight"].tolist() == [1.0, 3.0, 4.0, 5.0]
    assert g["role"].tolist()[-1] == "uncovered"
    assert g["unique_share"].iloc[-1] == pytest.approx(5 / 15)


def test_network_matrix_random_grid_against_reference():
    rng = np.random.default_rng(4)
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for i in range(6):
        for j in range(6):
            g.add_node(i * 10 + j, x=i * 100.0 + rng.uniform(-10, 10), y=j * 100.0 + rng.uniform(-10, 10))
    for i in range(6):
        for j in range(6):
            for v in ([(i + 1) * 10 + j] if i < 5 else []) + ([i * 10 + j + 1] if j < 5 else []):
                u = i * 10 + j
                straight = np.hypot(g.nodes[u]["x"] - g.nodes[v]["x"], g.nodes[u]["y"] - g.nodes[v]["y"])
                length = straight * rng.uniform(1.0, 1.3)  # curvy streets are longer than the chord
                g.add_edge(u, v, length=length)
                g.add_edge(v, u, length=length)
    demand = rng.uniform(-20, 520, (40, 2))
    cands = rng.uniform(0, 500, (7, 2))
    a, dist = coverage_matrix_network(g, demand, cands, 260.0, return_distance=True)
    expected = reference_walks(g, demand, cands)
    within = expected <= 260.0
    np.testing.assert_array_equal(a.toarray().astype(bool), within)
    np.testing.assert_allclose(dist.toarray()[within], expected[within])


# --------------------------------------------------------------------------- local search and bound internals


@pytest.mark.parametrize("seed", range(6))
def test_swap_state_bookkeeping_matches_recomputation(seed):
    from geo_outreach.coverage import _SwapState

    a, w = random_instance(300 + seed, n=40, m=12, density=0.25)
    csr, csc = a.tocsr(), a.tocsc()
    rng = np.random.default_rng(seed)
    st = _SwapState(csr, csc, w, [0, 1, 2])
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
def test_iterated_local_search_is_valid_and_at_least_greedy(seed):
    from geo_outreach.coverage import _iterated_local_search

    a, w = random_instance(400 + seed, n=40, m=11, density=0.2)
    k = 4
    opt = brute(a, w, k)
    gr = maximize_coverage(a, w, k, method="greedy")
    allowed = np.ones(11, dtype=bool)
    allowed[3] = False  # an excluded column never enters
    cols, val, _ = _iterated_local_search(
        a.tocsr(), a.tocsc(), w, [0, 1, 2, 4], allowed, deadline=float("inf"), max_rounds=50
    )
    assert len(cols) == k and len(set(cols)) == k and 3 not in cols
    assert math.isclose(val, covered_weight(a, w, cols))
    assert val <= opt + 1e-9
    assert gr.covered_weight <= opt + 1e-9
    assert gr.covered_weight >= (1 - 1 / math.e) * opt - 1e-9


def test_float32_lagrangian_path_stays_a_valid_bound(monkeypatch):
    import geo_outreach.coverage as cov

    monkeypatch.setattr(cov, "_LAG_FLOAT32_NNZ", 0)
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


@pytest.mark.parametrize("seed", range(8))
def test_exact_presolve_with_nested_and_duplicate_candidates(seed):
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
