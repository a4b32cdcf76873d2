"""Point-in-precinct assignment with a deterministic border rule, and the overlap check.

A point on a shared border intersects two precincts; it goes to exactly one: the
precinct whose ``precinct_id`` sorts first. Points in no precinct get
:data:`geo_outreach._validate.OUTSIDE` (they are kept and counted, never dropped).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

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
    pos_pt, pos_poly = precincts.sindex.query(geoms.values, predicate="intersects")
    out = np.full(len(geoms), OUTSIDE, dtype=object)
    if len(pos_pt):
        ids = precincts["precinct_id"].astype(str).to_numpy()[pos_poly]
        order = np.lexsort((ids, pos_pt))  # by point, then precinct id
        pos_pt, ids = pos_pt[order], ids[order]
        first = np.r_[True, pos_pt[1:] != pos_pt[:-1]]
        out[pos_pt[first]] = ids[first]
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
