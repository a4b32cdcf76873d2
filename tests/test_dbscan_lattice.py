"""Issue 14: the lattice DBSCAN gives scikit-learn's labels exactly (geo_outreach._dbscan)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import DBSCAN

from geo_outreach import hotspots
from geo_outreach._dbscan import lattice_dbscan


def _lattice(seed: int, step: float, side: int, fill: float) -> tuple[np.ndarray, ...]:
    """Random occupied cells of a ``side`` x ``side`` lattice in UTM-sized metres."""
    rng = np.random.default_rng(seed)
    # a few dense blobs (clusters) on a thin background (noise and border sites)
    centres = rng.uniform(0, side, size=(6, 2))
    pick = rng.integers(0, 6, size=int(side * side * fill))
    pts = centres[pick] + rng.normal(0, side / 12, size=(len(pick), 2))
    pts = np.vstack([pts, rng.uniform(0, side, size=(side * 2, 2))])
    cells = np.unique(np.clip(np.floor(pts), 0, side - 1).astype(np.int64), axis=0)
    x0, y0 = 512_345.678, 2_512_345.91  # sites carry the rounding of large coordinates
    sites = np.column_stack([x0 + (cells[:, 0] + 0.5) * step, y0 + (cells[:, 1] + 0.5) * step])
    weight = rng.choice([1.0, 1.0, 1.0, 2.0, 3.0, 8.0], size=len(cells))
    return cells, sites, weight


@pytest.mark.parametrize(
    ("seed", "step", "eps", "min_samples"),
    [
        (1, 60.0, 300.0, 15),  # the default: eps = 5 cells, pairs at exactly eps (3-4-5, 5-0)
        (2, 60.0, 300.0, 6),
        (3, 50.0, 230.0, 9),  # eps not a whole number of cells
        (4, 40.0, 200.0, 4),
        (5, 70.0, 100.0, 3),  # a small stencil
    ],
)
def test_lattice_labels_equal_sklearn(seed: int, step: float, eps: float, min_samples: int) -> None:
    cells, sites, weight = _lattice(seed, step, side=90, fill=0.35)
    ours = lattice_dbscan(cells, sites, weight, step=step, eps=eps, min_samples=min_samples)
    db = DBSCAN(eps=eps, min_samples=min_samples, algorithm="kd_tree")
    ref = db.fit(sites, sample_weight=weight).labels_
    assert ours is not None
    np.testing.assert_array_equal(ours, ref)
    # the case is not trivial: several clusters, noise, and border sites (labelled, not core)
    border = np.setdiff1d(np.flatnonzero(ref >= 0), db.core_sample_indices_)
    assert ref.max() >= 1 and (ref == -1).any() and len(border) > 0


def test_border_site_between_two_clusters_takes_the_first() -> None:
    # cells -4, -2, 0, 2, 4 on a line, eps 2.5 cells: -2 and 2 are cores (5 alerts within eps),
    # 0 (3 alerts within eps) is a border site of both clusters: the first one started wins
    step, eps = 10.0, 25.0
    for order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0]):
        cells = np.array([[k, 0] for k in (0, 2, 4, 6, 8)], dtype=np.int64)[order]
        sites = 1000.0 + (cells + 0.5) * step
        w = np.array([3.0, 1.0, 1.0, 1.0, 3.0])[order]
        ours = lattice_dbscan(cells, sites, w, step=step, eps=eps, min_samples=5)
        ref = DBSCAN(eps=eps, min_samples=5).fit(sites, sample_weight=w).labels_
        assert ours is not None
        np.testing.assert_array_equal(ours, ref)
        assert list(ref) == [0, 0, 0, 1, 1]  # the middle site went with the first cluster


def test_undecidable_pairs_and_fractional_weights_go_back_to_sklearn() -> None:
    cells = np.array([[0, 0], [5, 0]], dtype=np.int64)
    sites = np.array([[30.0, 30.0], [330.0 + 1e-12, 30.0]])  # 300 m + 1e-12: within 1e-13
    assert lattice_dbscan(cells, sites, np.ones(2), step=60.0, eps=300.0, min_samples=1) is None
    ok = np.array([[30.0, 30.0], [330.0, 30.0]])
    assert lattice_dbscan(cells, ok, np.ones(2), step=60.0, eps=300.0, min_samples=1) is not None
    half = np.array([1.5, 1.0])
    assert lattice_dbscan(cells, ok, half, step=60.0, eps=300.0, min_samples=1) is None


def test_cluster_labels_same_with_and_without_the_lattice(monkeypatch: pytest.MonkeyPatch) -> None:
    # alerts with many coincident points (repeated places), snapped because max_sites is small
    rng = np.random.default_rng(14)
    centres = rng.uniform(0, 6000, size=(8, 2))
    pts = centres[rng.integers(0, 8, 6000)] + rng.normal(0, 350, size=(6000, 2))
    pts = np.vstack([pts, pts[:2000], rng.uniform(0, 6000, size=(800, 2))])  # coincident
    alerts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(pts[:, 0] + 400_000.0, pts[:, 1] + 2_500_000.0),
        crs="EPSG:32649",
        index=pd.RangeIndex(10, 10 + len(pts)),
    )
    answers: list[object] = []

    def spy(*args: object, **kwargs: object) -> object:
        answers.append(lattice_dbscan(*args, **kwargs))  # type: ignore[arg-type]
        return answers[-1]

    monkeypatch.setattr(hotspots, "lattice_dbscan", spy)
    fast = hotspots.cluster_labels(alerts, eps_m=300.0, min_samples=15, max_sites=500)
    assert len(answers) == 1 and answers[0] is not None  # the lattice answered
    monkeypatch.setattr(hotspots, "lattice_dbscan", lambda *a, **k: None)
    slow = hotspots.cluster_labels(alerts, eps_m=300.0, min_samples=15, max_sites=500)
    pd.testing.assert_series_equal(fast, slow)
    assert fast.max() >= 2 and (fast == -1).any()


def test_hull_of_a_line_is_the_hull_of_the_points() -> None:
    # alert_clusters builds hulls from a line through the points (no Point per alert)
    import shapely

    rng = np.random.default_rng(5)
    for trial in range(600):
        k = int(rng.integers(2, 40))
        pts = rng.integers(0, 6, size=(k, 2)) * rng.choice([1.0, 0.1, 1e-3]) + 5e5
        if trial % 3 == 0:
            pts = rng.normal(size=(k, 2))
        if trial % 7 == 0:
            pts[:, 1] = pts[:, 0] * 2.0  # collinear
        if trial % 11 == 0:
            pts[:] = pts[0]  # one place
        want = shapely.convex_hull(shapely.multipoints(pts))
        got = shapely.convex_hull(shapely.linestrings(pts))
        assert got.wkb == want.wkb
