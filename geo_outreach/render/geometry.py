"""Geometry for both maps: Leaflet lat/lng encoding, datum shift, reach cleaning."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from geo_outreach.crs import gdf_from_wgs84

__all__ = ["display_reach", "latlngs", "point_ll", "rnd", "shift"]

_ROUND = 5


def rnd(x: float) -> float:
    """Round a coordinate to 1e-5° (about a metre).

    Parameters
    ----------
    x
        Degrees.

    Returns
    -------
    float
        Rounded.
    """
    return round(float(x), _ROUND)


def _ring(coords: Any) -> list[list[float]]:
    return [[rnd(y), rnd(x)] for x, y, *_ in coords]


def latlngs(geom: shapely.Geometry | None) -> Any:
    """Convert a geometry to Leaflet lat/lng nested lists (polygons with holes, multi-parts).

    Parameters
    ----------
    geom
        Any geometry in lon/lat.

    Returns
    -------
    list
        Nested ``[lat, lng]`` lists, ``[]`` for an empty or unsupported geometry.
    """
    if geom is None or geom.is_empty:
        return []
    gt = geom.geom_type
    if gt == "Polygon":
        return [_ring(geom.exterior.coords)] + [_ring(i.coords) for i in geom.interiors]
    if gt == "MultiPolygon":
        return [latlngs(g) for g in geom.geoms]
    if gt == "LineString":
        return _ring(geom.coords)
    if gt == "MultiLineString":
        return [_ring(g.coords) for g in geom.geoms]
    if gt == "Point":
        return [rnd(geom.y), rnd(geom.x)]
    if gt == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return latlngs(shapely.union_all(polys)) if polys else []
    return []


def point_ll(geom: shapely.Geometry) -> list[float]:
    """Return ``[lat, lng]`` of a point (of a representative point for other geometries).

    Parameters
    ----------
    geom
        The geometry in lon/lat.

    Returns
    -------
    list of float
        Rounded with :func:`rnd`.
    """
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return [rnd(p.y), rnd(p.x)]


def shift(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Shift a WGS84 layer to the base map's datum (unchanged for ``wgs84``).

    Parameters
    ----------
    gdf
        The layer.
    datum
        The base map's datum.

    Returns
    -------
    geopandas.GeoDataFrame
        The shifted layer.
    """
    if datum == "wgs84" or gdf.empty:
        return gdf
    out: gpd.GeoDataFrame = gdf_from_wgs84(gdf, datum)
    return out


def display_reach(
    reach: gpd.GeoDataFrame | None, *, close_m: float = 40.0, tolerance_m: float = 10.0
) -> gpd.GeoDataFrame | None:
    """Reach polygons cleaned for display.

    Walking service areas built from street buffers are closed by ``close_m`` (gaps narrower
    than twice that between reachable streets are filled) and simplified to ``tolerance_m``;
    circles are left as they are up to the simplification.

    Parameters
    ----------
    reach
        ``reach.geojson``, or None.
    close_m
        The closing distance in metres.
    tolerance_m
        The simplification tolerance in metres.

    Returns
    -------
    geopandas.GeoDataFrame or None
        The cleaned layer in WGS84.
    """
    if reach is None or reach.empty:
        return reach
    # issue 14: the web map and both static maps draw the same reach; clean it once
    for frame, params, done in _CLEANED:
        if frame is reach and params == (close_m, tolerance_m):
            return done
    utm = reach.estimate_utm_crs()
    g = reach.to_crs(utm)
    geoms = (
        g.geometry.buffer(close_m, quad_segs=4).buffer(-close_m, quad_segs=4).simplify(tolerance_m)
    )
    geoms = geoms.where(~geoms.is_empty, g.geometry)
    out: gpd.GeoDataFrame = g.set_geometry(geoms).to_crs("EPSG:4326")
    _CLEANED[:] = [(reach, (close_m, tolerance_m), out)]
    return out


#: the last reach layer cleaned by :func:`display_reach` (the same frame object), and its result
_CLEANED: list[tuple[gpd.GeoDataFrame, tuple[float, float], gpd.GeoDataFrame]] = []
