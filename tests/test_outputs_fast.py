"""Issue 14: the fast writers give the bytes of the plain ones (GeoJSON features, Excel escape)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
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
