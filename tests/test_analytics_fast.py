"""Issue 14: the analytics stage's shortcuts give what the plain code gave."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach import hotspots
from geo_outreach.stats import point_xy, weights_per_value


def _points(n: int, seed: int, spread: float) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = rng.normal([640_000, 2_500_000], spread, size=(n, 2))
    return gpd.GeoDataFrame(
        {"k": np.arange(n)}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32649"
    )


def test_point_xy_equals_geopandas_x_y() -> None:
    pts = _points(500, 1, 2000.0).geometry
    x, y = point_xy(pts)
    np.testing.assert_array_equal(x, pts.x.to_numpy())
    np.testing.assert_array_equal(y, pts.y.to_numpy())
    odd = pts.copy()
    odd.iloc[3] = shapely.Point()  # empty: NaN, as geopandas gives
    x, y = point_xy(odd)
    np.testing.assert_array_equal(x, odd.x.to_numpy())
    assert np.isnan(x[3]) and np.isnan(y[3])
    with pytest.raises(ValueError):  # not points: geopandas' own error
        point_xy(gpd.GeoSeries([shapely.LineString([(0, 0), (1, 1)])]))


@pytest.mark.parametrize("max_sites", [50, 2000, 5000])
def test_clusters_of_many_places_in_few_cells_are_snapped(max_sites: int) -> None:
    """Snapped when there are more places than max_sites, with more (50) or fewer (2000) snap
    cells than max_sites (962 cells, 3000 places); not snapped when max_sites is above both.
    """
    from sklearn.cluster import DBSCAN

    alerts = _points(3000, 2, 150.0)
    got = hotspots.cluster_labels(alerts, eps_m=100.0, min_samples=15, max_sites=max_sites)
    x, y = alerts.geometry.x.to_numpy(), alerts.geometry.y.to_numpy()
    cells, inverse = hotspots._snap_cells(x, y, 20.0)
    if max_sites < 3000:  # snapped: DBSCAN of the weighted cell centres
        assert (len(cells) > max_sites) == (max_sites == 50)
        sites = np.column_stack(
            [x.min() + (cells[:, 0] + 0.5) * 20, y.min() + (cells[:, 1] + 0.5) * 20]
        )
    else:  # every place is a site
        sites, inverse = np.column_stack([x, y]), np.arange(3000)
    weight = np.bincount(inverse, minlength=len(sites)).astype(float)
    want = DBSCAN(eps=100.0, min_samples=15).fit(sites, sample_weight=weight).labels_
    expected = hotspots._by_size(want, inverse, sites)
    assert (expected > 0).any()
    np.testing.assert_array_equal(got.to_numpy(), expected)
    assert got.index.equals(alerts.index)


@pytest.mark.parametrize("dtype", ["str", object])
def test_top_categories_from_codes_equal_value_counts(dtype: object) -> None:
    """Ties by name, missing categories dropped, as the old ``value_counts`` per cluster."""
    rng = np.random.default_rng(5)
    names = ["刷单返利", "冒充客服", "投资理财", "b", "a"]
    for n in (1, 7, 60):
        cat = pd.Series(rng.choice(names, n), dtype=dtype)
        cat[::9] = None
        vc = cat.astype(str).value_counts()
        vc = vc.sort_index().sort_values(ascending=False, kind="stable")[:3]
        want = "; ".join(f"{k} {round(100 * v / n)}%" for k, v in vc.items())
        codes, uniques = pd.factorize(cat.astype(str))
        assert hotspots._top_categories(codes, [str(u) for u in uniques]) == want


@pytest.mark.parametrize("dtype", ["str", object, "category"])
def test_weights_per_value_equal_the_per_row_map(dtype: object) -> None:
    """Missing values, keys matching no row and int weights, as ``astype(str).map``."""
    rng = np.random.default_rng(6)
    col = pd.Series(rng.choice(["刷单返利", "冒充客服", "60+", ""], 300), dtype=dtype)
    col[::7] = None
    weights = {"刷单返利": 3, "60+": 2.5, "nan": 0.5, "None": 4.0, "absent": 9.0}
    for default in (0.0, 1.0):
        want = col.astype(str).map(weights).fillna(default).to_numpy(dtype=float)
        got = weights_per_value(col, weights, default)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want)
    assert weights_per_value(col.iloc[:0], weights, 1.0).shape == (0,)


@pytest.mark.parametrize("dtype", ["str", object])
def test_crosstab_equals_pandas(dtype: object) -> None:
    from geo_outreach.stats import _crosstab

    rng = np.random.default_rng(8)
    rows = pd.Series(rng.choice(["p2", "p1", "outside", "p10"], 400), dtype=dtype)
    cols = pd.Series(rng.choice(["刷单返利", "b", "a", "only_with_missing"], 400), dtype=dtype)
    cols[::5] = None
    rows[cols == "only_with_missing"] = None  # a category seen only beside a missing row
    got = _crosstab(rows, cols)
    want = pd.crosstab(rows, cols)
    assert list(got.columns) == list(want.columns) and list(got.index) == list(want.index)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert got.to_numpy().dtype == np.int64 and "only_with_missing" not in got.columns


def test_time_profile_of_arrow_text_equals_object_text() -> None:
    rng = np.random.default_rng(9)
    n = 500
    times = pd.Timestamp("2025-03-01", tz="Asia/Shanghai") + pd.to_timedelta(
        rng.integers(0, 10**7, n), unit="s"
    )
    pid = rng.choice(["440705114", "440705103", "outside"], n)
    frame = pd.DataFrame(
        {
            "reported_at": times,
            "precinct_id": pd.array(pid, dtype="str"),
            "cluster_id": rng.integers(-1, 4, n),
        }
    )
    got = hotspots.time_profile(frame, by="precinct_id")
    plain = hotspots.time_profile(frame.astype({"precinct_id": object}), by="precinct_id")
    pd.testing.assert_frame_equal(got, plain)
    assert got["group_type"].unique().tolist() == ["all", "precinct_id", "cluster_id"]
    assert got.loc[got["group_type"] == "all", "alerts"].sum() == n
