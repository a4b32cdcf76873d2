"""Forecast demand: the surface and the cross-validated choice of bandwidth and half-life."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo_outreach._errors import InputDataError
from geo_outreach.effect.forecast import choose_forecast, demand_surface

UTM = "EPSG:32649"
X0, Y0 = 708000.0, 2492000.0
TZ = "Asia/Shanghai"


def test_surface_raw_counts_and_decay() -> None:
    pts = np.array([[0.0, 0.0], [0.0, 0.0], [1000.0, 0.0]])
    centres = np.array([[0.0, 0.0], [1000.0, 0.0]])
    cells = np.array([0, 0, 1])
    raw = demand_surface(pts, np.array([0.0, 30.0, 0.0]), centres, cells,
                         bandwidth_m=0, half_life_days=math.inf)  # fmt: skip
    assert list(raw) == [2.0, 1.0]
    decayed = demand_surface(pts, np.array([0.0, 30.0, 0.0]), centres, cells,
                             bandwidth_m=0, half_life_days=30.0)  # fmt: skip
    assert decayed == pytest.approx([1.5, 1.0])
    smooth = demand_surface(pts, np.zeros(3), centres, cells, bandwidth_m=1000.0,
                            half_life_days=math.inf)  # fmt: skip
    assert smooth == pytest.approx([2 + math.exp(-0.5), 1 + 2 * math.exp(-0.5)])


def moving_hotspot(seed: int = 3) -> gpd.GeoDataFrame:
    """12 months; a hot spot that jumps to a new place every 3 months, plus background."""
    rng = np.random.default_rng(seed)
    spots = [(1500, 1500), (7500, 2500), (3500, 7500), (8500, 8500)]
    pts, times = [], []
    for k, m in enumerate(pd.period_range("2026-01", "2026-12", freq="M")):
        cx, cy = spots[k // 3]
        for i in range(120):
            if i < 60:
                p = Point(X0 + cx + rng.normal(0, 200), Y0 + cy + rng.normal(0, 200))
            else:
                p = Point(X0 + rng.uniform(0, 10000), Y0 + rng.uniform(0, 10000))
            pts.append(p)
            times.append(m.start_time + pd.Timedelta(hours=int(rng.integers(0, 27 * 24))))
    return gpd.GeoDataFrame(
        {"reported_at": pd.DatetimeIndex(times).tz_localize(TZ)}, geometry=pts, crs=UTM
    )


def test_a_moving_hot_spot_chooses_a_short_half_life() -> None:
    alerts = moving_hotspot()
    area = box(X0, Y0, X0 + 10000, Y0 + 10000)
    choice = choose_forecast(alerts, area, train_end=pd.Timestamp("2026-12-01", tz=TZ),
                             cell_m=500.0, top_share=0.02, n_folds=4)  # fmt: skip
    assert choice.folds == ("2026-08", "2026-09", "2026-10", "2026-11")
    assert choice.half_life_days <= 90
    assert choice.hit_rate > choice.raw_hit_rate + 0.05
    assert len(choice.table) == 20


def test_too_short_a_training_period_is_explained() -> None:
    alerts = moving_hotspot()
    area = box(X0, Y0, X0 + 10000, Y0 + 10000)
    with pytest.raises(InputDataError, match="at least 4 months"):
        choose_forecast(alerts, area, train_end=pd.Timestamp("2026-03-01", tz=TZ))


def _lattice_vs_per_alert(cell_m: float, bw: float, on_nodes: bool) -> tuple[float, float]:
    """Issue 14: max |lattice - per-alert kernel| over the cells, and the largest cell value."""
    from geo_outreach.forecast import _cells, bin_points, lattice_surface, make_lattice

    rng = np.random.default_rng(7)
    area = box(X0, Y0, X0 + 6000, Y0 + 4000)
    _, centres = _cells(area, UTM, cell_m)
    lat = make_lattice(centres, cell_m, bw)
    n = 4000
    if on_nodes:
        i = rng.integers(0, lat.shape[0], n)
        j = rng.integers(0, lat.shape[1], n)
        pts = np.column_stack([lat.x0 + i * lat.step, lat.y0 + j * lat.step])
    else:
        pts = np.column_stack([rng.uniform(X0 - 900, X0 + 6900, n),
                               rng.uniform(Y0 - 900, Y0 + 4900, n)])  # fmt: skip
    w = rng.random(n)
    exact = demand_surface(pts, np.zeros(n), centres, np.full(n, -1), bandwidth_m=bw,
                           half_life_days=math.inf, weights=w)  # fmt: skip
    binned = lattice_surface(lat, *bin_points(lat, pts), w)
    return float(np.abs(binned - exact).max()), float(exact.max())


@pytest.mark.parametrize(("cell_m", "bw"), [(500.0, 250.0), (250.0, 1000.0)])
def test_the_lattice_kernel_equals_the_per_alert_kernel(cell_m: float, bw: float) -> None:
    # alerts on lattice nodes (cell centres are nodes): the same sums
    diff, top = _lattice_vs_per_alert(cell_m, bw, on_nodes=True)
    assert diff <= 1e-9 * top
    # anywhere: linear binning at <= bandwidth / 5 stays within 1 % of the largest cell
    diff, top = _lattice_vs_per_alert(cell_m, bw, on_nodes=False)
    assert 0 < diff <= 0.01 * top


def test_only_large_inputs_are_binned() -> None:
    from geo_outreach.forecast import use_lattice

    centres = np.zeros((5000, 2))
    assert not use_lattice(2400, centres, 500.0, 500.0)  # the bundled sample: exact kernel
    assert use_lattice(1_000_000, centres, 500.0, 500.0)
    assert not use_lattice(1_000_000, centres, 500.0, 0.0)  # bandwidth 0: plain binning


def test_the_binned_cross_validation_chooses_as_the_exact_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geo_outreach.forecast as fc

    alerts = moving_hotspot()
    area = box(X0, Y0, X0 + 10000, Y0 + 10000)
    kw = {"train_end": pd.Timestamp("2026-12-01", tz=TZ), "cell_m": 500.0, "top_share": 0.02}
    exact = choose_forecast(alerts, area, **kw)
    monkeypatch.setattr(fc, "use_lattice", lambda *a: a[3] > 0)  # bin at every size
    binned = choose_forecast(alerts, area, **kw)
    assert (binned.bandwidth_m, binned.half_life_days) == (exact.bandwidth_m, exact.half_life_days)
    rates = exact.table["hit_rate"].to_numpy() - binned.table["hit_rate"].to_numpy()
    assert np.abs(rates).max() <= 0.02


def _centres(cell_m: float) -> np.ndarray:
    from geo_outreach.forecast import _cells

    return _cells(box(X0, Y0, X0 + 6000, Y0 + 4000), UTM, cell_m)[1]


def _strided_surface(lat, nodes, share, weights):  # type: ignore[no-untyped-def]
    """The lattice kernel before issue 14's phases: strided views of the node grid."""
    cols = np.asarray(weights, dtype=float).reshape(len(weights), -1)
    nx, ny = lat.shape
    grid = np.empty((nx * ny, cols.shape[1]))
    for c in range(cols.shape[1]):
        grid[:, c] = np.bincount(
            nodes.ravel(), (share * cols[:, c, None]).ravel(), minlength=nx * ny
        )
    g = grid.reshape(nx, ny, cols.shape[1])
    (na, nb), q, pad = lat.cells, lat.q, lat.pad
    out = np.zeros((na, nb, cols.shape[1]))
    for di, dj, k in zip(lat.di, lat.dj, lat.kernel, strict=True):
        i0, j0 = pad + di, pad + dj
        out += g[i0 : i0 + q * (na - 1) + 1 : q, j0 : j0 + q * (nb - 1) + 1 : q] * k
    return out.reshape(na * nb, -1)[lat.centre_at].reshape(
        (len(lat.centre_at),) + weights.shape[1:]
    )


@pytest.mark.parametrize(("cell_m", "bw"), [(500.0, 250.0), (250.0, 1000.0), (250.0, 500.0)])
def test_the_lattice_phases_give_the_strided_sums_bit_for_bit(cell_m: float, bw: float) -> None:
    """Issue 14: contiguous phase blocks: the same products summed in the same order."""
    from geo_outreach.forecast import bin_points, lattice_surface, make_lattice

    rng = np.random.default_rng(int(cell_m + bw))
    centres = _centres(cell_m)
    centres = centres[rng.random(len(centres)) < 0.7]  # holes in the grid
    lat = make_lattice(centres, cell_m, bw)
    pts = np.column_stack([rng.uniform(X0 - 900, X0 + 6900, 4000),
                           rng.uniform(Y0 - 900, Y0 + 4900, 4000)])  # fmt: skip
    w = rng.random((4000, 3))
    binned = bin_points(lat, pts)
    assert np.array_equal(lattice_surface(lat, *binned, w), _strided_surface(lat, *binned, w))
    one = lattice_surface(lat, *binned, w[:, 0])
    assert one.shape == (len(centres),)
    assert np.array_equal(one, _strided_surface(lat, *binned, w[:, 0]))


@pytest.mark.parametrize("cell_m", [500.0, 250.0])
def test_cell_lookup_equals_the_tree_search(cell_m: float) -> None:
    """Issue 14: cells by arithmetic, ties (sides, corners) and holes by the KD-tree."""
    from geo_outreach.forecast import _cell_of, _cell_of_tree

    rng = np.random.default_rng(int(cell_m))
    centres = _centres(cell_m)
    centres = centres[rng.random(len(centres)) < 0.8]  # cells missing: nearest neighbour or -1
    lo = centres.min(axis=0)
    k = rng.integers(-2, 14, (3000, 2))
    pts = np.vstack([
        np.column_stack([rng.uniform(X0 - 900, X0 + 6900, 6000),
                         rng.uniform(Y0 - 900, Y0 + 4900, 6000)]),
        lo + (k + 0.5) * cell_m,  # corners of four cells
        lo + (k + [0.5, 0.0]) * cell_m,  # sides of two
        lo + (k + [0.5, 0.2]) * cell_m + rng.normal(0, 1e-4, (3000, 2)),  # next to a side
    ])  # fmt: skip
    got = _cell_of(pts, centres, cell_m)
    assert np.array_equal(got, _cell_of_tree(pts, centres, cell_m))
    assert (got == -1).sum() > 100 and (got >= 0).sum() > 6000
    assert len(_cell_of(pts[:0], centres, cell_m)) == 0


def test_binning_in_place_gives_the_stacked_shares_bit_for_bit() -> None:
    """Issue 14: bin_points writes its columns in place: the numbers of the stacked products."""
    from geo_outreach.forecast import bin_points, make_lattice

    rng = np.random.default_rng(1450)
    lat = make_lattice(_centres(500.0), 500.0, 250.0)
    pts = np.column_stack([rng.uniform(X0 - 3000, X0 + 9000, 5000),
                           rng.uniform(Y0 - 3000, Y0 + 7000, 5000)])  # fmt: skip
    nodes, share = bin_points(lat, pts)
    nx, ny = lat.shape
    fx, fy = (pts[:, 0] - lat.x0) / lat.step, (pts[:, 1] - lat.y0) / lat.step
    i, j = np.floor(fx).astype(np.intp), np.floor(fy).astype(np.intp)
    tx, ty = fx - i, fy - j
    ok = (i >= 0) & (i < nx - 1) & (j >= 0) & (j < ny - 1)
    assert 500 < ok.sum() < 4500  # points on and off the lattice
    base = np.where(ok, i, 0) * ny + np.where(ok, j, 0)
    want = np.stack([(1 - tx) * (1 - ty), (1 - tx) * ty, tx * (1 - ty), tx * ty], axis=1)
    assert np.array_equal(nodes, np.stack([base, base + 1, base + ny, base + ny + 1], axis=1))
    assert np.array_equal(share, np.where(ok[:, None], want, 0.0))
