"""Issue 14: the snap to the nearest street segment decides clear cases without the tree search.

:func:`geo_outreach.coverage.snap.nearest_segments` must give the segment, distance and
position of a plain ``STRtree.query_nearest`` per point (ties broken its way), bounded or not.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

from geo_outreach.coverage import matrix, snap


def _grid(rng: np.random.Generator) -> nx.MultiDiGraph:
    """A jittered 10 x 10 street grid (150 m blocks) with some diagonals, in metres."""
    g = nx.MultiDiGraph()
    for i in range(10):
        for j in range(10):
            g.add_node(
                (i, j), x=i * 150.0 + rng.uniform(-20, 20), y=j * 150.0 + rng.uniform(-20, 20)
            )
    for i in range(10):
        for j in range(10):
            for di, dj in ((1, 0), (0, 1)) + (((1, 1),) if (i + j) % 4 == 0 else ()):
                if i + di < 10 and j + dj < 10:
                    g.add_edge((i, j), (i + di, j + dj))
    return g


@pytest.fixture(scope="module")
def grid_points() -> tuple[matrix.StreetIndex, np.ndarray]:
    """The grid and 9,000 points: random (some far out), on nodes, near nodes, on midpoints."""
    rng = np.random.default_rng(1414)
    net = matrix.prepare_network(_grid(rng))
    mids = (net.xy[net.edge_u] + net.xy[net.edge_v]) / 2
    nodes = net.xy[rng.integers(0, len(net.xy), 1000)]
    pts = np.vstack(
        [
            np.round(rng.uniform(-1500, 3000, (6000, 2)), 2),
            nodes,  # equal distance to 2-5 segments: ties
            nodes + rng.normal(0, 3, nodes.shape),
            mids[rng.integers(0, len(mids), 1000)],
        ]
    )
    return net, pts


def _plain(net: matrix.StreetIndex, pts: np.ndarray, bound: float) -> tuple[np.ndarray, ...]:
    """The search over every segment for every point (the answer before issue 14)."""
    assert net.edge_tree is not None and net.edge_geoms is not None
    geoms = shapely.points(pts)
    pair, perp = net.edge_tree.query_nearest(geoms, return_distance=True, all_matches=False)
    first = np.r_[True, pair[0][1:] != pair[0][:-1]]
    src, e, perp = pair[0][first], pair[1][first], perp[first]
    assert np.array_equal(src, np.arange(len(pts)))
    frac = shapely.line_locate_point(net.edge_geoms[e], geoms, normalized=True)
    ok = perp <= bound
    return (
        np.where(ok, e, -1).astype(float),
        np.where(ok, perp, np.inf),
        np.where(ok, np.nan_to_num(np.clip(frac, 0.0, 1.0)), 0.0),
    )


@pytest.mark.parametrize("bound", [40.0, 250.0, np.inf])
def test_nearest_segments_equal_the_plain_search(grid_points: tuple, bound: float) -> None:
    net, pts = grid_points
    memo = snap.SnapMemo()
    got = snap.nearest_segments(net.edge_tree, net.edge_geoms, pts, bound, memo)
    want = _plain(net, pts, bound)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
    # both ways were taken: clear points without the tree search, ties with it
    near, clear = snap._clear_winners(memo, net.edge_geoms, pts, bound + 13.5)
    assert near[clear >= 0].all()
    assert (clear[near] >= 0).mean() > 0.3
    assert (clear[6000:7000] < 0).mean() > 0.9  # on a node: a tie, left to the tree search


def test_far_grid_never_drops_a_near_point(grid_points: tuple) -> None:
    net, pts = grid_points
    many = np.vstack([pts] * 2)  # at least FAR_GRID_MIN points, so the grid test runs
    assert len(many) >= snap.FAR_GRID_MIN
    tree = snap.street_samples(net.edge_geoms)
    for reach in (20.0, 113.5):
        maybe = snap._maybe_near(tree, many, reach)
        d, _ = tree.query(many, distance_upper_bound=reach)
        assert maybe[np.isfinite(d)].all()  # every point within reach kept
        assert (~maybe).sum() > 1000  # and the grid drops many far ones


def test_snap_within_searches_once_and_pairs_stay_the_same(
    grid_points: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the plan's largest walking radius as a floor: one search, the same pairs."""
    net, pts = grid_points
    rng = np.random.default_rng(7)
    sites = net.xy[rng.integers(0, len(net.xy), 12)] + rng.normal(0, 30, (12, 2))
    plain = matrix.prepare_network(_grid(np.random.default_rng(1414)))
    floored = matrix.prepare_network(_grid(np.random.default_rng(1414)))
    floored.snap_within(251.0)
    searched = {id(plain._memo): 0, id(floored._memo): 0}  # points searched per index
    search = snap.nearest_segments

    def counted(tree, geoms, xy, bound, memo):  # type: ignore[no-untyped-def]
        searched[id(memo)] += len(xy)
        return search(tree, geoms, xy, bound, memo)

    monkeypatch.setattr(matrix, "nearest_segments", counted)
    for radius in (150.0, 40.0, 250.0):  # the demand first snapped within a smaller radius
        want = matrix.walk_pairs(plain, pts, sites, radius)
        got = matrix.walk_pairs(floored, pts, sites, radius)
        for a, b in zip((got.rows, got.cols, got.dist), (want.rows, want.cols, want.dist)):
            assert np.array_equal(a, b)
        seg_p, perp_p, _ = plain.segments(pts, radius + 1.0)
        seg_f, perp_f, _ = floored.segments(pts, radius + 1.0)
        near = perp_p <= radius + 1.0
        assert np.array_equal(seg_f[near], seg_p[near])
        assert np.array_equal(perp_f[near], perp_p[near])
    once = len(np.unique(pts, axis=0)) + len(np.unique(sites, axis=0))
    assert searched[id(floored._memo)] == once
    assert searched[id(plain._memo)] > once  # the plain index searched far points again


def test_segment_distance_and_fraction_are_geos_numbers_bit_for_bit() -> None:
    """Issue 14: the clear points' distance and position without shapely geometries."""
    rng = np.random.default_rng(2026)
    n = 20_000
    a = np.round(rng.uniform(0, 3000, (n, 2)), rng.integers(0, 7))
    b = a + rng.normal(0, 200, (n, 2))
    p = a + rng.normal(0, 300, (n, 2))
    b[:50] = a[:50]  # segments of length 0
    p[50:100], p[100:150] = a[50:100], b[100:150]  # points on an end
    p[150:200] = (a[150:200] + b[150:200]) / 2  # on the segment
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    pts = shapely.points(p)
    assert np.array_equal(snap.segment_distance(p, a, b), shapely.distance(pts, lines))
    want = shapely.line_locate_point(lines, pts, normalized=True)
    assert np.array_equal(snap.segment_fraction(p, a, b), want)
