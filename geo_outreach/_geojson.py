"""GeoJSON features of a GeoDataFrame without a Python round trip per feature (issue 14).

:func:`geo_outreach.outputs.write_geojson` used to write ``to_json`` (shapely's ``mapping`` per
feature), read the text back, round every coordinate and write it again: ~130 us a feature,
3.5 CPU s for the 22,544 hot-spot cells of a 1M-alert plan. :func:`features` builds the same
feature dictionaries directly:

- properties exactly as geopandas' ``iterfeatures(na="null")`` makes them (``astype(object)``,
  missing values ``None``), so ``json.dumps`` writes the same text as after the round trip;
- coordinates from one :func:`shapely.get_coordinates` call, each rounded by Python's
  ``round(value, precision)`` as before, and nested by the parts and rings of each geometry.

Geometries it does not handle (3-D, collections, rings, empty parts) make it return ``None``,
and the caller takes the old path.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: shapely type ids handled here: Point, LineString, Polygon, MultiPoint, MultiLineString,
#: MultiPolygon
_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString"}
_TYPES[6] = "MultiPolygon"


def _properties(gdf: gpd.GeoDataFrame) -> list[dict[Any, Any]]:
    """Each row's properties as geopandas' ``iterfeatures(na="null")`` gives them."""
    cols = gdf.columns.drop(gdf.geometry.name)
    if len(cols) == 0:
        return [{} for _ in range(len(gdf))]
    frame = gdf[cols]
    props = frame.astype(object)
    props[pd.isna(frame).values] = None
    names = list(cols)
    return [dict(zip(names, row, strict=True)) for row in props.values]


def _sequences(parts: np.ndarray, part_of: np.ndarray) -> np.ndarray | None:
    """Coordinates in each sequence (a polygon's rings, else the part), in coordinate order."""
    ptype = shapely.get_type_id(parts)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    is_poly = ptype == 3
    key = np.concatenate([ring_of, np.flatnonzero(~is_poly)])
    counts = np.concatenate(
        [shapely.get_num_coordinates(rings), shapely.get_num_coordinates(parts[~is_poly])]
    )
    n_seq = np.where(is_poly, 1 + shapely.get_num_interior_rings(parts), 1)
    if (shapely.is_empty(parts)).any() or len(part_of) == 0:
        return None
    order = np.argsort(key, kind="stable")  # rings of a polygon stay in their order
    out: np.ndarray = counts[order]
    if len(out) != int(n_seq.sum()):
        return None
    return out


def features(gdf: gpd.GeoDataFrame, precision: int) -> list[dict[str, Any]] | None:
    """GeoJSON feature dictionaries of ``gdf`` (coordinates rounded), or ``None`` (see above).

    Parameters
    ----------
    gdf
        The layer, already in the CRS to write.
    precision
        Coordinate decimals (Python's ``round``).

    Returns
    -------
    list of dict or None
        ``{"type": "Feature", "properties": ..., "geometry": ...}`` per row, ``geometry``
        ``None`` for a missing or empty geometry.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if not gdf.columns.is_unique:
        return None
    present = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    sub = geoms[present]
    types = shapely.get_type_id(sub)
    if not np.isin(types, list(_TYPES)).all() or shapely.has_z(sub).any():
        return None
    parts, part_of = shapely.get_parts(sub, return_index=True)
    counts = _sequences(parts, part_of) if len(sub) else np.zeros(0, dtype=np.int64)
    if counts is None:
        return None
    pts = round_like_python(shapely.get_coordinates(sub), precision).tolist()
    seqs, start = [], 0
    for n in counts.tolist():
        seqs.append(pts[start : start + n])
        start += n
    geometry = _nest(types, shapely.get_num_geometries(sub), parts, seqs)
    out: list[dict[str, Any]] = []
    geo_iter = iter(geometry)
    for props, has in zip(_properties(gdf), present.tolist(), strict=True):
        out.append(
            {"type": "Feature", "properties": props, "geometry": next(geo_iter) if has else None}
        )
    return out


def round_like_python(values: np.ndarray, precision: int) -> np.ndarray:
    """Return ``round(v, precision)`` of each float, as Python's ``round`` gives it.

    Issue 14 (the 112,000 corners of a 1M plan's hot-spot cells): numpy instead of a Python
    call per value. Python rounds the exact binary value to ``precision`` decimals (ties to
    even) and returns the double nearest that decimal ``N / 10**precision``; numpy's
    ``rint(v * 10**precision)`` finds the same ``N`` unless the product's own rounding
    moved it across a half (``v * 10**precision`` within an ulp of ``k + 0.5``), and the
    division of the whole number ``N`` by ``10**precision`` is the nearest double. Those
    near-half values, and values too large for exact whole numbers, are rounded by Python.
    """
    scale = 10.0**precision
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * scale
        out: np.ndarray = np.rint(scaled) / scale
        half = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) <= 4 * np.abs(np.spacing(scaled))
        odd = ~np.isfinite(scaled) | (np.abs(scaled) >= 2.0**52) | half
    for k in zip(*np.nonzero(odd), strict=True):
        out[k] = round(float(values[k]), precision)
    return out


def _nest(
    types: np.ndarray, n_parts: np.ndarray, parts: np.ndarray, seqs: list[list[list[float]]]
) -> list[dict[str, Any]]:
    """Geometry dictionaries from the sequences, nested as ``shapely.geometry.mapping``."""
    rings = np.where(
        shapely.get_type_id(parts) == 3, 1 + shapely.get_num_interior_rings(parts), 1
    ).tolist()
    out: list[dict[str, Any]] = []
    p = s = 0  # next part, next sequence
    for t, k in zip(types.tolist(), n_parts.tolist(), strict=True):
        part_coords = []
        for _ in range(k):
            part_coords.append(seqs[s : s + rings[p]])
            s += rings[p]
            p += 1
        if t in (0, 1):  # Point, LineString: one part, one sequence
            coords: Any = part_coords[0][0][0] if t == 0 else part_coords[0][0]
        elif t == 3:
            coords = part_coords[0]
        elif t == 4:
            coords = [pc[0][0] for pc in part_coords]
        elif t == 5:
            coords = [pc[0] for pc in part_coords]
        else:
            coords = part_coords
        out.append({"type": _TYPES[t], "coordinates": coords})
    return out
