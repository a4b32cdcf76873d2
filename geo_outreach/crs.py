"""Datums and the working CRS.

GCJ-02 ("Mars coordinates", used by AMap/Tencent and many Chinese exports) and BD-09
(Baidu) are not CRSs pyproj knows: they are WGS84 plus a deliberate, position-dependent
offset (~550-600 m around Jiangmen). We convert them explicitly at load time with the
published vectorised formulas; the inverse (GCJ-02 -> WGS84) has no closed form, so we
iterate the forward transform (fixed-point), which converges to < 1e-9 degrees in a few
steps. Outside mainland China GCJ-02 equals WGS84 (the forward formula is not applied).

Analysis then runs in a metric CRS chosen with ``estimate_utm_crs()`` (UTM 49N for
Jiangmen); only maps and reports go back to EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import geopandas as gpd
import numpy as np
import pyproj
import shapely

Datum = Literal["wgs84", "gcj02", "bd09"]
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
#: A vectorised ``(lon, lat) -> (lon, lat)`` conversion.
LonLatFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


#: Rows per block of :func:`_delta` (its temporaries then stay in the CPU cache).
_BLOCK = 32_768


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 offset (degrees) at WGS84 position (lon, lat), block by block."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.ndim != 1 or len(lon) <= _BLOCK:
        return _delta_block(lon, lat)
    dlon, dlat = np.empty(len(lon)), np.empty(len(lon))
    for i in range(0, len(lon), _BLOCK):
        dlon[i : i + _BLOCK], dlat[i : i + _BLOCK] = _delta_block(
            lon[i : i + _BLOCK], lat[i : i + _BLOCK]
        )
    return dlon, dlat


def _delta_block(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 offset (degrees) at WGS84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0  # shared
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat += wave
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlon += wave
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    out = _out_of_china(lon, lat)
    return np.where(out, 0.0, dlon), np.where(out, 0.0, dlat)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward transform WGS84 -> GCJ-02 (vectorised, degrees)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: np.ndarray, lat: np.ndarray, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse transform GCJ-02 -> WGS84 by fixed-point iteration of the forward formula.

    Each step sets ``w = g - delta(w)``; the offset varies slowly, so the error shrinks
    by ~1e-5 per step and 3-4 steps reach ``tol_deg``.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        dlon, dlat = _delta(wlon, wlat)
        nlon, nlat = glon - dlon, glat - dlat
        done = (
            np.nanmax(np.abs(nlon - wlon), initial=0.0) < tol_deg
            and np.nanmax(np.abs(nlat - wlat), initial=0.0) < tol_deg
        )
        wlon, wlat = nlon, nlat
        if done:
            break
    return wlon, wlat


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> GCJ-02 (Baidu's published closed form)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_wgs84_lonlat(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat arrays in ``datum`` to WGS84."""
    if datum == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if datum == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown datum {datum!r}; use one of {DATUMS}")


def from_wgs84_lonlat(
    lon: np.ndarray, lat: np.ndarray, datum: str
) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 lon/lat arrays to ``datum`` (for drawing on GCJ-02 / BD-09 tiles)."""
    if datum == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if datum == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if datum == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    raise ValueError(f"unknown datum {datum!r}; use one of {DATUMS}")


def transform_geoms(geoms: gpd.GeoSeries | np.ndarray, fn: LonLatFn) -> np.ndarray:
    """Apply a lon/lat array function to every vertex of ``geoms``."""

    def f(coords: np.ndarray) -> np.ndarray:
        x, y = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), f)


def gdf_to_wgs84(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Return a copy of a lon/lat GeoDataFrame in ``datum`` converted to WGS84 (EPSG:4326)."""
    out = gdf.copy()
    if datum != "wgs84":
        geoms = transform_geoms(gdf.geometry.values, lambda x, y: to_wgs84_lonlat(x, y, datum))
        out = out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
    return out.set_crs("EPSG:4326", allow_override=True)


def gdf_from_wgs84(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Return a copy of an EPSG:4326 GeoDataFrame shifted into ``datum`` (render time only)."""
    if gdf.crs is not None and not pyproj.CRS(gdf.crs).equals(pyproj.CRS("EPSG:4326")):
        gdf = gdf.to_crs("EPSG:4326")
    out = gdf.copy()
    if datum != "wgs84":
        geoms = transform_geoms(gdf.geometry.values, lambda x, y: from_wgs84_lonlat(x, y, datum))
        out = out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
    return out


def working_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """Return the metric CRS analysis runs in: the UTM zone of the layer (``estimate_utm_crs``)."""
    g = (
        gdf
        if gdf.crs is not None and pyproj.CRS(gdf.crs).is_geographic
        else gdf.to_crs("EPSG:4326")
    )
    return g.estimate_utm_crs()
