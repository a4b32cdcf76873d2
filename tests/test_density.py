"""Kernel density: mass preservation, FFT == direct sum, defaults, weights, GeoTIFF."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach._errors import InputDataError
from geo_outreach.density import (
    alert_weights,
    default_bandwidth,
    density_grid,
    gaussian_kernel,
    write_density_tif,
)
from tests.conftest import UTM, X0, Y0

TZ = "Asia/Shanghai"


def points(x, y, *, times=None, cats=None) -> gpd.GeoDataFrame:
    n = len(x)
    t = pd.to_datetime(times if times is not None else ["2025-01-15 10:00"] * n).tz_localize(TZ)
    return gpd.GeoDataFrame(
        {
            "alert_id": [str(i) for i in range(n)],
            "reported_at": t,
            "category": cats if cats is not None else ["x"] * n,
        },
        geometry=gpd.points_from_xy(X0 + np.asarray(x, float), Y0 + np.asarray(y, float)),
        crs=UTM,
    )


def test_mass_is_preserved_on_a_large_area():
    rng = np.random.default_rng(1)
    n = 500
    a = points(rng.normal(10_000, 800, n), rng.normal(10_000, 800, n))
    area = shapely.box(X0, Y0, X0 + 20_000, Y0 + 20_000)
    g = density_grid(a, area, cell_m=100, bandwidth_m=300)
    assert g.years == pytest.approx(1 / 12)  # one calendar month of data
    assert g.total_per_year() == pytest.approx(n / g.years, rel=1e-9)
    assert np.isfinite(g.values).all() and (g.values >= 0).all()
    # default bandwidth/cell are in the documented ranges
    d = density_grid(a, area)
    assert 200 <= d.bandwidth_m <= 2000 and 50 <= d.cell_m <= 200
    assert d.total_per_year() == pytest.approx(n * 12, rel=1e-6)


def test_fft_equals_direct_sum_on_a_tiny_case():
    cell, bw = 100.0, 150.0
    # points at cell centres so binning is exact
    px = np.array([550.0, 550.0, 850.0, 1250.0])
    py = np.array([450.0, 450.0, 950.0, 650.0])
    a = points(px, py)
    area = shapely.box(X0, Y0, X0 + 2000, Y0 + 1500)
    g = density_grid(a, area, cell_m=cell, bandwidth_m=bw, years=1.0)
    k = gaussian_kernel(bw, cell)
    r = k.shape[0] // 2
    norm = np.exp(-0.5 * ((np.arange(-r, r + 1) * cell) / bw) ** 2).sum() ** 2
    xx, yy = g.cell_centres()
    direct = np.zeros_like(xx)
    for x, y in zip(X0 + px, Y0 + py, strict=True):
        dx, dy = xx - x, yy - y
        within = (np.abs(dx) <= r * cell + 1e-6) & (np.abs(dy) <= r * cell + 1e-6)
        direct += np.where(within, np.exp(-0.5 * (dx**2 + dy**2) / bw**2), 0.0) / norm
    direct /= cell * cell / 1e6
    np.testing.assert_allclose(g.values, direct, atol=1e-9 * direct.max())
    # and the discrete kernel is close to the continuous Gaussian density at the peak
    peak = 2 / (2 * math.pi * bw**2) * 1e6  # two points at (550, 450)
    assert g.values.max() == pytest.approx(peak, rel=0.02)


def test_grid_geometry_and_nan_outside():
    a = points([500.0], [500.0])
    area = shapely.Polygon([(X0, Y0), (X0 + 2000, Y0), (X0, Y0 + 2000)])  # triangle
    g = density_grid(a, area, cell_m=100, bandwidth_m=200)
    assert g.shape == (20, 20)
    assert (g.x0, g.y0) == (X0, Y0 + 2000)
    assert g.bounds == (X0, Y0, X0 + 2000, Y0 + 2000)
    t = g.transform
    assert (t.a, t.c, t.e, t.f) == (100.0, X0, -100.0, Y0 + 2000)
    xx, yy = g.cell_centres()
    assert (xx[0, 0], yy[0, 0]) == (X0 + 50, Y0 + 1950)
    assert np.isnan(g.values[0, -1])  # north-east corner is outside the triangle
    assert np.isfinite(g.values[-1, 0])


def test_all_alerts_at_one_point_is_valid():
    a = points([1000.0] * 50, [1000.0] * 50)
    area = shapely.box(X0, Y0, X0 + 6000, Y0 + 6000)
    g = density_grid(a, area)
    assert g.bandwidth_m == 200.0
    vals = g.values[np.isfinite(g.values)]
    assert vals.size == g.values.size and np.isfinite(vals).all()
    assert g.total_per_year() == pytest.approx(50 * 12, rel=1e-9)


def test_recency_and_category_weights():
    a = points(
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        times=["2025-01-01 00:00", "2025-01-31 00:00", "2025-03-02 00:00"],
        cats=["刷单返利", "冒充公检法", "other"],
    )
    w = alert_weights(a, half_life_days=30.0)
    np.testing.assert_allclose(w, [0.25, 0.5, 1.0], rtol=1e-12)
    w = alert_weights(a, category_weights={"刷单返利": 2.0, "冒充公检法": 0.0})
    np.testing.assert_allclose(w, [2.0, 0.0, 1.0])
    ref = pd.Timestamp("2025-04-01", tz=TZ)
    w = alert_weights(a, half_life_days=30.0, reference_time=ref)
    assert w[2] == pytest.approx(0.5)
    area = shapely.box(X0 - 10_000, Y0 - 10_000, X0 + 10_000, Y0 + 10_000)
    g = density_grid(a, area, cell_m=100, bandwidth_m=200, half_life_days=30.0, years=1.0)
    assert g.total_per_year() == pytest.approx(1.75, rel=1e-9)
    assert g.weight_total == pytest.approx(1.75)


def test_bad_inputs():
    a = points([0.0], [0.0])
    area = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)
    with pytest.raises(InputDataError, match="projected CRS"):
        density_grid(a.to_crs("EPSG:4326"), area)
    with pytest.raises(InputDataError, match="no alerts"):
        density_grid(a.iloc[:0], area)
    with pytest.raises(InputDataError, match="half_life_days"):
        density_grid(a, area, half_life_days=0)
    with pytest.raises(InputDataError, match="use a larger cell_m"):
        density_grid(a, shapely.box(X0, Y0, X0 + 60_000, Y0 + 60_000), cell_m=5, bandwidth_m=200)


def test_default_bandwidth_rule():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 3000, 1000), rng.normal(0, 3000, 1000)
    h = default_bandwidth(x, y)
    # bivariate normal: SD = sqrt(2) * 3000, Dm = 3000 * sqrt(2 ln 2) -> min is sqrt(2) * 3000
    assert h == pytest.approx(0.9 * math.sqrt(2) * 3000 * 1000 ** (-0.2), rel=0.1)
    assert default_bandwidth(np.zeros(10), np.zeros(10)) == 200.0
    assert default_bandwidth(x * 100, y * 100) == 2000.0


def test_write_density_tif(tmp_path):
    import rasterio  # a dependency: a missing rasterio must fail, not skip

    a = points([500.0, 700.0], [500.0, 900.0])
    area = shapely.box(X0, Y0, X0 + 2000, Y0 + 1000)
    g = density_grid(a, area, cell_m=100, bandwidth_m=200)
    p = write_density_tif(g, tmp_path / "density.tif")
    with rasterio.open(p) as src:
        assert src.crs.to_epsg() == 32649
        assert src.shape == g.shape
        assert tuple(src.bounds) == g.bounds
        np.testing.assert_allclose(src.read(1), g.values.astype(np.float32), equal_nan=True)
        assert src.tags()["units"] == "alerts per km2 per year"
    first = p.read_bytes()
    write_density_tif(g, p)
    assert p.read_bytes() == first  # deterministic
