"""Issue 14: the fast writers give the bytes of the plain ones (GeoJSON features, Excel escape)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach import _geojson, outputs


def _shapes(rng: np.random.Generator) -> list[object]:
    """Every geometry type the writers meet, with holes, parts, empties and missing ones."""
    x, y = rng.uniform(113.0, 113.2), rng.uniform(22.4, 22.6)
    box = shapely.box(x, y, x + 0.013, y + 0.0117)
    hole = shapely.box(x + 0.003, y + 0.003, x + 0.004, y + 0.004)
    ring = shapely.Point(x, y).buffer(0.001 + rng.uniform(0, 0.002), quad_segs=8)
    return [
        shapely.Point(x + 1 / 3, y - 1 / 7),
        shapely.LineString([(x, y), (x + 0.1234567891, y + 1e-7), (x + 2.5e-7, y)]),
        box.difference(hole),
        ring,
        shapely.MultiPolygon([box.difference(hole), shapely.box(x + 1, y, x + 1.1, y + 0.1)]),
        shapely.MultiLineString([[(x, y), (x + 0.5, y + 0.5)], [(x, y + 1), (x + 1, y)]]),
        shapely.MultiPoint([(x, y), (x + 0.1, y + 0.2)]),
        None,
        shapely.Polygon(),
    ]


@pytest.mark.parametrize("precision", [6, 5])
def test_fast_geojson_equals_geopandas_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, precision: int
) -> None:
    rng = np.random.default_rng(precision)
    geoms = [g for _ in range(5) for g in _shapes(rng)]
    n = len(geoms)
    frame = gpd.GeoDataFrame(
        {
            "name": ["站点", 'a"b', "=1+2", None, "x"] * (n // 5) + ["y"] * (n % 5),
            "count": np.arange(n, dtype=np.int64),
            "share": np.where(np.arange(n) % 4 == 0, np.nan, np.arange(n) / 7.0),
            "big": np.arange(n) * 1e17,
            "flag": np.arange(n) % 2 == 0,
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    assert _geojson.features(frame, precision) is not None  # the fast path takes these
    fast = outputs.write_geojson(tmp_path / "fast.geojson", frame, precision=precision)
    monkeypatch.setattr(_geojson, "features", lambda *a, **k: None)
    slow = outputs.write_geojson(tmp_path / "slow.geojson", frame, precision=precision)
    assert fast.read_bytes() == slow.read_bytes()


def test_fast_geojson_declines_3d_and_collections() -> None:
    three_d = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2, 3)], crs="EPSG:4326")
    coll = gpd.GeoDataFrame(
        geometry=[shapely.GeometryCollection([shapely.Point(1, 2)])], crs="EPSG:4326"
    )
    assert _geojson.features(three_d, 6) is None
    assert _geojson.features(coll, 6) is None
    empty = gpd.GeoDataFrame({"a": []}, geometry=[], crs="EPSG:4326")
    assert _geojson.features(empty, 6) == []


def _texts(rng: np.random.Generator, n: int) -> list[object]:
    alphabet = list("=+-@'\t\r\n a1.é警情") + ["\u3000", "\U0001f600"]
    out: list[object] = []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        out.append("".join(rng.choice(alphabet, size=k)))
    return out


@pytest.mark.parametrize("dtype", ["str", object])
def test_formula_mask_by_arrow_equals_pandas(dtype: object) -> None:
    rng = np.random.default_rng(7)
    values = _texts(rng, 3000) + [None, float("nan"), "", "-3.5", "=SUM(A1)"]
    col = pd.Series(values, dtype=dtype)
    for skip in (0, 1, 2):
        fast = outputs._starts_formula_arrow(col, skip)
        assert fast is not None
        text = col.str.slice(skip) if skip else col
        plain = np.asarray(text.str.startswith(outputs.FORMULA_STARTS, na=False), dtype=bool)
        np.testing.assert_array_equal(fast, plain)
        assert 0 < fast.sum() < len(col)


def test_formula_mask_leaves_mixed_columns_to_pandas() -> None:
    mixed = pd.Series(["=a", 3, None], dtype=object)
    assert outputs._starts_formula_arrow(mixed, 0) is None
    np.testing.assert_array_equal(outputs._starts_formula(mixed), [True, False, False])


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_alert_order_by_time_keys_equals_text_sort(zone: str) -> None:
    from geo_outreach.manifest import _time_id_order, iso_times

    rng = np.random.default_rng(3)
    n = 4000
    # DST switches (New York: two offsets, and local times that repeat in the autumn hour)
    seconds = rng.integers(0, 3 * 365 * 86400, size=n) // 1800 * 1800  # many ties
    times = pd.Series(pd.to_datetime(1_700_000_000 + seconds, unit="s", utc=True)).dt.tz_convert(
        zone
    )
    ids = pd.Series([f"A{k:03d}" for k in rng.integers(0, 500, size=n)], dtype="str")
    frame = pd.DataFrame({"alert_id": ids, "reported_at": iso_times(times)})
    by_text = frame.sort_values(["reported_at", "alert_id"], kind="stable").index.to_numpy()
    np.testing.assert_array_equal(_time_id_order(frame, times), by_text)
    np.testing.assert_array_equal(_time_id_order(frame), by_text)
    assert frame["reported_at"].tolist() == times.map(lambda t: t.isoformat()).tolist()


def test_points_to_wgs84_equals_to_crs() -> None:
    from geo_outreach.manifest import _points_to_wgs84

    rng = np.random.default_rng(9)
    xy = rng.uniform([600_000, 2_480_000], [680_000, 2_540_000], size=(2000, 2))
    alerts = gpd.GeoDataFrame(
        {"alert_id": [f"A{k}" for k in range(2000)]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:32649",
        index=pd.RangeIndex(5, 2005),
    )
    want, got = alerts.to_crs("EPSG:4326"), _points_to_wgs84(alerts)
    assert got.crs.to_json() == want.crs.to_json()
    assert list(got.columns) == list(want.columns) and got.index.equals(want.index)
    assert (
        shapely.to_wkb(got.geometry.values).tolist()
        == shapely.to_wkb(want.geometry.values).tolist()
    )
    assert alerts.crs.to_epsg() == 32649  # the input is left as it was
