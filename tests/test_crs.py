"""Datum conversion, checked on the real pair of Xinhui outlines (GCJ-02 vs WGS84)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_outreach import crs
from tests.conftest import DATA, REPO


def _vertex_distances(gcj: gpd.GeoDataFrame, wgs: gpd.GeoDataFrame) -> np.ndarray:
    utm = crs.working_crs(wgs)
    pts = shapely.points(shapely.get_coordinates(gcj.to_crs(utm).geometry))
    return shapely.distance(pts, wgs.to_crs(utm).geometry.boundary.union_all())


def test_real_gcj02_outline_lands_on_wgs84_outline():
    gcj = gpd.read_file(DATA / "xinhui_outline_gcj02.geojson")
    wgs = gpd.read_file(REPO / "data" / "boundaries" / "xinhui_outline_wgs84.geojson")
    raw = _vertex_distances(gcj, wgs)
    converted = _vertex_distances(crs.gdf_to_wgs84(gcj, "gcj02"), wgs)
    # before conversion the outline is ~300 m off on average (up to ~600 m)
    assert np.median(raw) > 200
    # after: median a few metres (the WGS84 outline is less detailed, hence p95 of tens of metres)
    assert np.median(converted) < 5.0
    assert np.percentile(converted, 95) < 40.0


def test_offset_near_jiangmen_is_about_600_m():
    lon, lat = crs.wgs84_to_gcj02(np.array([113.03]), np.array([22.53]))
    assert 0.004 < lon[0] - 113.03 < 0.006
    assert -0.004 < lat[0] - 22.53 < -0.002


def test_inverse_round_trip_is_sub_millimetre():
    rng = np.random.default_rng(1)
    lon = rng.uniform(112.8, 113.3, 1000)
    lat = rng.uniform(22.1, 22.7, 1000)
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-8
    assert np.abs(back[1] - lat).max() < 1e-8


def test_bd09_round_trip_and_outside_china_untouched():
    lon, lat = np.array([113.03]), np.array([22.53])
    blon, blat = crs.from_wgs84_lonlat(lon, lat, "bd09")
    assert abs(blon[0] - lon[0]) > 0.008  # BD-09 adds ~1 km more
    wlon, wlat = crs.to_wgs84_lonlat(blon, blat, "bd09")
    assert abs(wlon[0] - lon[0]) < 1e-5 and abs(wlat[0] - lat[0]) < 1e-5
    # Oakland: GCJ-02 is WGS84 outside China
    glon, glat = crs.wgs84_to_gcj02(np.array([-122.28]), np.array([37.81]))
    assert glon[0] == -122.28 and glat[0] == 37.81


def test_unknown_datum_is_an_error():
    with pytest.raises(ValueError, match="unknown datum"):
        crs.to_wgs84_lonlat(np.array([1.0]), np.array([1.0]), "cgcs2000x")


def test_working_crs_for_xinhui_is_utm_49n():
    wgs = gpd.read_file(REPO / "data" / "boundaries" / "xinhui_outline_wgs84.geojson")
    assert crs.working_crs(wgs).to_epsg() == 32649
