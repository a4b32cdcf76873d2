"""Datum sanity check: do the alerts line up with the map under the declared datum.

GCJ-02 points declared as ``wgs84`` land ~600 m off around Jiangmen; nothing else in the data
shows it, and alerts silently change precinct. When a street network (or, without one, OSM
venues) is loaded, :func:`check_datum` takes the alert points back to the file's own
coordinates, reads them under each datum (``wgs84``, ``gcj02``, ``bd09``) and measures the
median distance from an alert to the nearest street (or venue). Alerts happen along streets and
around the places people meet, so the datum that fits is the one with the smallest median. When
another datum fits clearly better the result carries a warning naming the layer, both medians
and the fix. "Clearly" means material and not chance: the median is under :data:`RATIO` times
the declared one and at least :data:`MIN_GAIN_M` shorter, and more alerts move closer than
farther by at least :data:`MIN_Z` standard deviations (a sign test: when the alerts have nothing
to do with the reference layer, as many move closer as farther).

The reference layer must itself be right: OSM streets and venues are WGS84 (their declared
datum is applied before the check). Outside China the three datums coincide and no warning can
arise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo_outreach import crs as _crs

DATUMS = ("wgs84", "gcj02", "bd09")
#: Another datum must bring the median down to under this share of the declared one ...
RATIO = 0.8
#: ... by at least this many metres ...
MIN_GAIN_M = 50.0
#: ... and move more points closer than farther by this many standard deviations, to warn.
MIN_Z = 5.0
#: Alerts measured (a fixed-seed sample of larger layers).
SAMPLE = 3000


@dataclass(frozen=True)
class DatumFit:
    """How well a point layer lines up with a reference layer under each datum.

    Attributes
    ----------
    layer
        The checked layer and file (``alerts (alerts.csv)``).
    declared
        The datum the scenario declares for it.
    reference
        What it was compared with (``streets``, ``OSM venues``).
    medians_m
        Datum -> median distance (m) from a point to the nearest reference feature.
    points
        How many points were measured.
    best
        The datum with the smallest median.
    """

    layer: str
    declared: str
    reference: str
    medians_m: dict[str, float] = field(default_factory=dict)
    points: int = 0
    best: str = ""
    z: float = 0.0

    @property
    def mismatch(self) -> bool:
        """True when another datum fits clearly better than the declared one."""
        if not self.medians_m or self.best == self.declared:
            return False
        d, b = self.medians_m[self.declared], self.medians_m[self.best]
        return b < RATIO * d and d - b >= MIN_GAIN_M and self.z >= MIN_Z

    def warning(self) -> str | None:
        """Return the plain-language warning when the declared datum looks wrong, else None."""
        if not self.mismatch:
            return None
        d, b = self.medians_m[self.declared], self.medians_m[self.best]
        section = self.layer.split(" ", 1)[0]
        return (
            f"{self.layer}: the points do not line up with the {self.reference} under the "
            f'declared datum "{self.declared}" (median distance to the nearest '
            f"{_unit(self.reference)} {d:.0f} m) but do as {self.best} ({b:.0f} m). The datum "
            f'is probably wrong: set [{section}] datum = "{self.best}" and run again'
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able record for manifest.json."""
        return {
            "reference": self.reference,
            "declared": self.declared,
            "best": self.best,
            "median_m": {k: round(v, 1) for k, v in self.medians_m.items()},
            "points": self.points,
            "sign_test_z": round(self.z, 1),
            "mismatch": self.mismatch,
        }


def _unit(reference: str) -> str:
    return "street" if reference == "streets" else "venue"


def street_lines(graph: Any) -> np.ndarray:
    """Street segments of a projected osmnx graph, as straight node-to-node lines.

    Curved edges are approximated by their chord; each street is taken once (not per direction).
    """
    ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    xy = np.column_stack(
        [[d["x"] for _, d in graph.nodes(data=True)], [d["y"] for _, d in graph.nodes(data=True)]]
    )
    pos = {n: i for i, n in enumerate(ids.tolist())}
    uv = np.array([(pos[u], pos[v]) for u, v in graph.edges(keys=False)], dtype=np.int64)
    if len(uv) == 0:
        return np.array([], dtype=object)
    uv = np.unique(np.sort(uv, axis=1), axis=0)
    uv = uv[uv[:, 0] != uv[:, 1]]
    return shapely.linestrings(np.stack([xy[uv[:, 0]], xy[uv[:, 1]]], axis=1))


def check_datum(
    points: gpd.GeoSeries,
    declared: str,
    reference: np.ndarray,
    *,
    layer: str,
    reference_name: str,
    seed: int = 0,
) -> DatumFit:
    """Compare how ``points`` fit ``reference`` under the declared datum and the others.

    Parameters
    ----------
    points
        The loaded points in the working (metric) CRS, already converted from ``declared``.
    declared
        The datum the scenario declares for the layer.
    reference
        Geometries in the same CRS (street lines or venue points).
    layer, reference_name
        Named in the warning (``alerts (alerts.csv)``, ``streets``).
    seed
        Seed of the sample taken from layers above :data:`SAMPLE` points.

    Returns
    -------
    DatumFit
        The medians per datum; ``warning()`` tells whether to warn.
    """
    fit = DatumFit(layer=layer, declared=declared, reference=reference_name)
    if len(points) == 0 or len(reference) == 0:
        return fit
    if len(points) > SAMPLE:
        pick = np.sort(np.random.default_rng(seed).choice(len(points), SAMPLE, replace=False))
        points = points.iloc[pick]
    crs = pyproj.CRS(points.crs)
    ll = points.to_crs("EPSG:4326")
    raw = _crs.from_wgs84_lonlat(ll.x.to_numpy(), ll.y.to_numpy(), declared)
    tree = shapely.STRtree(reference)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    dist = {}
    for datum in DATUMS:
        lon, lat = _crs.to_wgs84_lonlat(raw[0], raw[1], datum)
        x, y = to_m.transform(lon, lat)
        _, dist[datum] = tree.query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
    medians = {d: float(np.median(v)) for d, v in dist.items()}
    best = min(DATUMS, key=lambda d: (medians[d], d != declared))
    closer = int((dist[best] < dist[declared]).sum())
    farther = int((dist[best] > dist[declared]).sum())
    z = (closer - farther) / np.sqrt(closer + farther) if closer + farther else 0.0
    return DatumFit(layer, declared, reference_name, medians, len(points), best, float(z))


def check_alerts(
    alerts: gpd.GeoDataFrame, declared: str, *, source: str, streets: Any, venues: gpd.GeoDataFrame
) -> list[DatumFit]:
    """Run :func:`check_datum` on the alerts against the streets and the OSM venues.

    Returns one fit per reference layer loaded (none when neither is).
    """
    refs = []
    if streets is not None and streets.number_of_nodes() > 1:
        refs.append((street_lines(streets), "streets"))
    osm = venues["venue_id"].astype(str).str.startswith("osm:").to_numpy()
    if osm.any():
        refs.append((venues.geometry.to_numpy()[osm], "OSM venues"))
    return [
        check_datum(alerts.geometry, declared, ref, layer=f"alerts ({source})", reference_name=n)
        for ref, n in refs
    ]
