"""Geometry -> matrix: straight-line and walking coverage, service areas."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach._errors import InputDataError
from geo_outreach.coverage.matrix import (
    coverage_matrix_euclidean,
    coverage_matrix_network,
    prepare_network,
    service_areas,
)


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
    segs = [
        (u, v, d["length"], shapely.LineString([pos[u], pos[v]]))
        for u, v, d in und.edges(data=True)
    ]
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
    demand = np.array(
        [[0, 5], [200, -3], [180, -150], [100, -140], [150, 1], [500, 500]], dtype=float
    )
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


def test_network_matrix_random_grid_against_reference():
    rng = np.random.default_rng(4)
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for i in range(6):
        for j in range(6):
            g.add_node(
                i * 10 + j, x=i * 100.0 + rng.uniform(-10, 10), y=j * 100.0 + rng.uniform(-10, 10)
            )
    for i in range(6):
        for j in range(6):
            for v in ([(i + 1) * 10 + j] if i < 5 else []) + ([i * 10 + j + 1] if j < 5 else []):
                u = i * 10 + j
                straight = np.hypot(
                    g.nodes[u]["x"] - g.nodes[v]["x"], g.nodes[u]["y"] - g.nodes[v]["y"]
                )
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


def test_a_street_index_remembers_its_snaps_and_gives_the_same_walks():
    """Issue 14: walking channels share demand points; a second snap is a look-up."""
    rng = np.random.default_rng(5)
    g = nx.MultiDiGraph(crs="EPSG:32649")
    for k in range(25):
        g.add_node(k, x=(k // 5) * 100.0 + rng.uniform(-10, 10), y=(k % 5) * 100.0)
    for k in range(25):
        for v in ([k + 5] if k < 20 else []) + ([k + 1] if k % 5 < 4 else []):
            g.add_edge(k, v, length=100.0 * rng.uniform(1.0, 1.2))
    demand = rng.uniform(-20, 420, (60, 2))
    cands = rng.uniform(0, 400, (6, 2))
    fresh = coverage_matrix_network(prepare_network(g), demand, cands, 180.0, return_distance=True)
    net = prepare_network(g)
    net.access(np.vstack([demand[::2], rng.uniform(0, 400, (9, 2))]))  # half of them, and others
    assert len(net._memo.keys) == 39
    again = coverage_matrix_network(net, demand, cands, 180.0, return_distance=True)
    assert len(net._memo.keys) == 39 + 30 + 6  # only the new demand points and the sites
    for m1, m2 in zip(fresh, again):
        assert (m1 != m2).nnz == 0 and m1.nnz > 0
    acc1 = prepare_network(g).access(demand[::-1])
    acc2 = net.access(demand[::-1])
    for f in ("point", "node", "extra", "edge", "offset"):
        np.testing.assert_array_equal(getattr(acc1, f), getattr(acc2, f))


def test_shortest_pairs_equal_the_three_key_lexsort() -> None:
    """Issue 14: one integer key + minimum per pair = lexsort((dist, cols, rows)) then firsts."""
    from geo_outreach.coverage.matrix import _PairLists

    rng = np.random.default_rng(14)
    out = _PairLists()
    for _ in range(5):  # pieces with repeated pairs and equal distances
        n = 400
        out.append(rng.integers(0, 50, n), rng.integers(0, 7, n), rng.integers(0, 20, n) / 4.0)
    rows, cols, dist = (np.concatenate(v) for v in (out.rows, out.cols, out.dist))
    order = np.lexsort((dist, cols, rows))
    rows, cols, dist = rows[order], cols[order], dist[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    got = out.shortest()
    assert len(got.rows) < len(rows)  # there were repeated pairs
    assert np.array_equal(got.rows, rows[first]) and np.array_equal(got.cols, cols[first])
    assert np.array_equal(got.dist, dist[first])
