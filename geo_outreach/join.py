"""Point-in-precinct assignment with a deterministic border rule, and the overlap check.

A point on a shared border intersects two precincts; it goes to exactly one: the
precinct whose ``precinct_id`` sorts first. Points in no precinct get
:data:`geo_outreach._validate.OUTSIDE` (they are kept and counted, never dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from geo_outreach._errors import InputDataError
from geo_outreach._validate import OUTSIDE


def assign_precincts(
    points: gpd.GeoSeries | gpd.GeoDataFrame, precincts: gpd.GeoDataFrame
) -> pd.Series:
    """Return the ``precinct_id`` of each point (same index as ``points``), ``"outside"`` if none.

    Parameters
    ----------
    points
        Points in the same CRS as ``precincts``.
    precincts
        Polygons with a ``precinct_id`` column.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs != precincts.crs:
        raise InputDataError(
            f"points CRS {geoms.crs} differs from precincts CRS {precincts.crs}; use to_crs first"
        )
    ids = precincts["precinct_id"].astype(str).to_numpy(dtype=object)
    codes = _exact_codes(geoms.values, precincts, ids)
    out = np.append(ids, OUTSIDE).astype(object)[codes]
    return pd.Series(out, index=geoms.index, name="precinct_id", dtype=object)


def check_no_overlaps(
    precincts: gpd.GeoDataFrame, *, tolerance_m2: float = 1.0, source: str = "precincts"
) -> None:
    """Raise if two precinct polygons overlap by more than ``tolerance_m2`` (metric CRS).

    Touching borders are fine; overlapping areas would count an alert twice.
    """
    left, right = precincts.sindex.query(precincts.geometry.values, predicate="intersects")
    keep = left < right
    pairs = []
    geoms = precincts.geometry.values
    for i, j in zip(left[keep], right[keep], strict=True):
        area = geoms[i].intersection(geoms[j]).area
        if area > tolerance_m2:
            pairs.append((precincts["precinct_id"].iloc[i], precincts["precinct_id"].iloc[j], area))
    if pairs:
        listed = ", ".join(f"{a} & {b} ({area / 1e6:.3f} km²)" for a, b, area in pairs[:10])
        raise InputDataError(
            f"{source}: precinct polygons overlap: {listed}; fix the boundaries so each place "
            "belongs to one precinct"
        )


# --------------------------------------------------------------------------- points as arrays


@dataclass(frozen=True, eq=False)
class PrecinctGrid:
    """A regular grid over the precincts: each cell's precinct, or "mixed" (border cells).

    ``cell[i, j]`` is the position (in ``ids``) of the precinct that holds EVERY point of the
    cell, ``-1`` when no precinct does, ``-2`` when a precinct border passes through or near
    the cell (its points need the exact test). Built once per precinct layer
    (:func:`precinct_grid`); picklable.
    """

    x0: float
    y0: float
    size: float
    cell: np.ndarray
    ids: np.ndarray


#: Cells of the precinct grid (about; a border cell's points take the exact test).
GRID_CELLS = 250_000
#: Below this many points the exact test on every point is cheaper than building the grid
#: (~1 CPU s for Xinhui's 11 precincts; the bundled sample has 2.4k alerts).
GRID_MIN_POINTS = 50_000
_MIXED, _NONE = -2, -1


def _exact_codes(geoms: np.ndarray, precincts: gpd.GeoDataFrame, ids: np.ndarray) -> np.ndarray:
    """Position in ``ids`` of each geometry's precinct (-1: none); ties -> smallest id."""
    pos_pt, pos_poly = precincts.sindex.query(geoms, predicate="intersects")
    out = np.full(len(geoms), _NONE, dtype=np.int64)
    if len(pos_pt):
        order = np.lexsort((ids[pos_poly], pos_pt))  # by point, then precinct id
        pos_pt, pos_poly = pos_pt[order], pos_poly[order]
        first = np.r_[True, pos_pt[1:] != pos_pt[:-1]]
        out[pos_pt[first]] = pos_poly[first]
    return out


def precinct_grid(precincts: gpd.GeoDataFrame, cells: int = GRID_CELLS) -> PrecinctGrid:
    """Build the :class:`PrecinctGrid` of ``precincts`` (metric CRS) with about ``cells`` cells.

    A cell is "mixed" when a border segment's bounding box (borders cut into pieces shorter
    than half a cell, padded by 1 mm) touches it; every other cell lies wholly inside the same
    precincts as its centre, so the centre's exact answer holds for all its points; and so
    does one centre's answer for a whole 4-connected region of such cells (one test each).
    """
    ids = precincts["precinct_id"].astype(str).to_numpy(dtype=object)
    minx, miny, maxx, maxy = (float(v) for v in precincts.total_bounds)
    size = max(np.sqrt(max((maxx - minx) * (maxy - miny), 1.0) / cells), 1.0)
    x0, y0 = minx - size, miny - size
    nx = int(np.ceil((maxx - x0) / size)) + 2
    ny = int(np.ceil((maxy - y0) / size)) + 2
    mixed = np.zeros((nx, ny), dtype=bool)
    rings = shapely.get_parts(shapely.boundary(precincts.geometry.values))
    xy, ring = shapely.get_coordinates(shapely.segmentize(rings, size / 2), return_index=True)
    same = ring[1:] == ring[:-1]  # consecutive vertices of one ring = one border segment
    a, b, pad = xy[:-1][same], xy[1:][same], 1e-3
    lo_x = np.floor((np.minimum(a[:, 0], b[:, 0]) - pad - x0) / size).astype(np.int64)
    hi_x = np.floor((np.maximum(a[:, 0], b[:, 0]) + pad - x0) / size).astype(np.int64)
    lo_y = np.floor((np.minimum(a[:, 1], b[:, 1]) - pad - y0) / size).astype(np.int64)
    hi_y = np.floor((np.maximum(a[:, 1], b[:, 1]) + pad - y0) / size).astype(np.int64)
    for dx in range(3):  # a segment shorter than half a cell spans at most 2 cells (+ pad)
        for dy in range(3):
            hit = (lo_x + dx <= hi_x) & (lo_y + dy <= hi_y)
            mixed[lo_x[hit] + dx, lo_y[hit] + dy] = True
    # No border crosses the edge shared by two whole cells (it would make both mixed), so a
    # 4-connected region of whole cells lies in one precinct (or none): one centre per region.
    label, regions = ndimage.label(~mixed)
    gx, gy = np.nonzero(label)
    region = label[gx, gy] - 1
    first = np.unique(region, return_index=True)[1]  # one cell of each region
    centres = shapely.points(x0 + (gx[first] + 0.5) * size, y0 + (gy[first] + 0.5) * size)
    cell = np.full((nx, ny), _MIXED, dtype=np.int32)
    cell[gx, gy] = _exact_codes(centres, precincts, ids)[region]
    return PrecinctGrid(x0=x0, y0=y0, size=size, cell=cell, ids=ids)


def precinct_codes(
    x: np.ndarray, y: np.ndarray, precincts: gpd.GeoDataFrame, grid: PrecinctGrid | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Precinct of each point given as coordinate arrays (metric CRS), by the border rule.

    Same answer as :func:`assign_precincts` on ``shapely.points(x, y)``: points in a whole
    cell of the grid take the cell's precinct; the exact test runs only in border cells.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Codes (int64; position in the ids, ``-1`` = outside) and the precinct ids (object).
    """
    if grid is None and len(x) < GRID_MIN_POINTS:
        ids = precincts["precinct_id"].astype(str).to_numpy(dtype=object)
        return _exact_codes(shapely.points(x, y), precincts, ids), ids
    g = precinct_grid(precincts) if grid is None else grid
    nx, ny = g.cell.shape
    ix = np.floor((x - g.x0) / g.size)
    iy = np.floor((y - g.y0) / g.size)
    on = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)  # NaN/inf: off the grid -> outside
    codes = np.full(len(x), _NONE, dtype=np.int64)
    codes[on] = g.cell[ix[on].astype(np.int64), iy[on].astype(np.int64)]
    exact = np.flatnonzero(codes == _MIXED)
    if len(exact):
        codes[exact] = _exact_codes(shapely.points(x[exact], y[exact]), precincts, g.ids)
    return codes, g.ids


def assign_precincts_xy(
    x: np.ndarray, y: np.ndarray, precincts: gpd.GeoDataFrame, grid: PrecinctGrid | None = None
) -> np.ndarray:
    """:func:`precinct_codes` as an object array of ids (``"outside"`` for none)."""
    codes, ids = precinct_codes(x, y, precincts, grid)
    return np.append(ids, OUTSIDE).astype(object)[codes]
