"""Venue and street layers (split from :mod:`geo_outreach.io`, which calls them).

- venues: OSM XML / .osm.bz2 (``osmnx.features_from_xml``, tags -> kinds by
  :data:`geo_outreach._validate.OSM_TAG_KINDS`); CSV/GeoJSON/(Geo)Parquet with a ``kind`` column;
  every row is loaded or rejected with its reason, as the alerts are.
- streets: OSM XML through ``osmnx.graph_from_xml``, projected to the working CRS.
- Issue 14: beside a big alert file, both load in a worker process (:func:`start_side_layers`,
  :data:`BESIDE_BYTES`) while :mod:`geo_outreach.io` cleans the alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_outreach import _parallel
from geo_outreach import crs as _crs
from geo_outreach._errors import GeoOutreachError, InputDataError
from geo_outreach._parse import (
    Rejects,
    classify_points,
    is_blank,
    need_file,
    read_venue_file,
    reject_duplicates,
    to_float,
)
from geo_outreach._validate import VENUE_KIND_ALIASES, VENUE_KINDS
from geo_outreach.join import assign_precincts
from geo_outreach.scenario import Scenario, StreetLayer, VenueLayer

__all__ = [
    "BESIDE_BYTES",
    "Streets",
    "Venues",
    "finish_side_layers",
    "load_all_venues",
    "load_streets",
    "load_venues",
    "side_layers",
    "start_side_layers",
]


def _distance_km(points: gpd.GeoSeries, study_area: shapely.Geometry) -> np.ndarray:
    """Distance in km from each point (metric CRS) to the study area (0 inside)."""
    return shapely.distance(points.values, study_area) / 1000.0


# --------------------------------------------------------------------------- venues


def _venue_kinds(values: pd.Series, extra: dict[str, str]) -> pd.Series:
    """Map kind cells to our kinds: the layer's ``kinds`` first, then Chinese/English aliases."""
    wrong = {k: v for k, v in extra.items() if v not in VENUE_KINDS}
    if wrong:
        raise InputDataError(
            f"venue layer kinds = {wrong}: the right side must be one of {', '.join(VENUE_KINDS)}"
        )
    table = {**VENUE_KIND_ALIASES, **{k.strip().lower(): v for k, v in extra.items()}}
    raw = values.map(lambda v: "" if is_blank(v) else str(v).strip().lower())
    return raw.map(lambda k: table.get(k, table.get(k.replace(" ", ""), k)))


def load_venues(
    cfg: VenueLayer,
    *,
    precincts_m: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    max_outside_km: float = 5.0,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Venues in the working CRS with ``venue_id``, ``kind``, ``name``, ``precinct_id``."""
    path = Path(cfg.path)
    need_file(path, "venues")
    rej = Rejects("venues", str(path))
    facts: dict[str, Any] = {"layer": "venues", "path": str(path), "datum": cfg.datum}
    df, cols = read_venue_file(path, cfg, rej, facts)
    if len(df) == 0:
        raise InputDataError(f"{path}: no venues in the file")
    kind_col, id_col, name_col = str(cols["kind"]), cols.get("id"), cols.get("name")
    rows = df["_row"]
    lon, lat = to_float(df[str(cols["lon"])]), to_float(df[str(cols["lat"])])
    raw = (df[str(cols["lon"])], df[str(cols["lat"])])
    where = f"{cols['lon']}/{cols['lat']}"
    keep, point_rej = classify_points(lon, lat, rows, None, where=where, raw=raw)
    rej.add_many(*point_rej)
    kinds = _venue_kinds(df[kind_col], cfg.kinds)
    unknown = keep & ~kinds.isin(VENUE_KINDS).to_numpy()
    bad_kinds = kinds[unknown].tolist()
    rej.add_many(
        rows[unknown].tolist(),
        [
            f"unknown kind {k!r}; use one of {', '.join(VENUE_KINDS)} or map it in "
            f'the venue layer: kinds = {{ "{k}" = "plaza" }}'
            for k in bad_kinds
        ],
        kind_col,
        bad_kinds,
    )
    keep &= ~unknown
    if id_col:
        ids = df[id_col].map(lambda v: str(v).strip() if v is not None else "")
    else:
        ids = path.stem + ":" + rows.astype(str)
    reject_duplicates(ids, rows, keep, rej, id_col or "", as_int=False)
    if name_col:
        names = df[name_col].map(lambda v: str(v) if v is not None and str(v) != "nan" else "")
    else:
        names = kinds
    wlon, wlat = _crs.to_wgs84_lonlat(lon.to_numpy()[keep], lat.to_numpy()[keep], cfg.datum)
    gdf = gpd.GeoDataFrame(
        {
            "venue_id": ids[keep].to_numpy(),
            "kind": kinds[keep].to_numpy(),
            "name": names[keep].to_numpy(),
            "_row": rows[keep].to_numpy(),
        },
        geometry=gpd.points_from_xy(wlon, wlat),
        crs="EPSG:4326",
    ).to_crs(crs)
    dist_km = _distance_km(gdf.geometry, study_area)
    far = dist_km > max_outside_km
    rej.add_many(
        gdf["_row"][far].tolist(),
        [f"outside the study area ({d:.1f} km)" for d in dist_km[far].tolist()],
        "geometry",
    )
    gdf = gdf[~far].drop(columns="_row").reset_index(drop=True)
    gdf["precinct_id"] = assign_precincts(gdf, precincts_m).to_numpy()
    facts.update(
        rows_loaded=len(gdf),
        rows_rejected=rej.count,
        kinds={k: int(v) for k, v in gdf["kind"].value_counts().sort_index().items()},
    )
    return gdf, rej.frame(), facts


# --------------------------------------------------------------------------- streets


def load_streets(cfg: StreetLayer, *, crs: pyproj.CRS) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """Walkable street graph from OSM XML, projected to the working CRS."""
    import osmnx as ox

    path = Path(cfg.path)
    need_file(path, "streets")
    try:
        g = ox.graph_from_xml(path, bidirectional=True, simplify=True, retain_all=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear InputDataError
        raise InputDataError(
            f"{path}: cannot read a street network from this OSM XML ({exc})"
        ) from None
    if cfg.datum != "wgs84":
        xs = np.array([d["x"] for _, d in g.nodes(data=True)])
        ys = np.array([d["y"] for _, d in g.nodes(data=True)])
        wx, wy = _crs.to_wgs84_lonlat(xs, ys, cfg.datum)
        for (_, d), x, y in zip(g.nodes(data=True), wx, wy, strict=True):
            d["x"], d["y"] = float(x), float(y)
        for _, _, d in g.edges(data=True):
            if "geometry" in d:
                d["geometry"] = _crs.transform_geoms(
                    np.array([d["geometry"]]), lambda a, b: _crs.to_wgs84_lonlat(a, b, cfg.datum)
                )[0]
    gp = ox.project_graph(g, to_crs=crs)
    facts = {
        "layer": "streets",
        "path": str(path),
        "datum": cfg.datum,
        "rows_loaded": gp.number_of_nodes(),
        "rows_rejected": 0,
        "edges": gp.number_of_edges(),
    }
    return gp, facts


# --------------------------------------------------------------------------- every venue file


@dataclass(frozen=True)
class Venues:
    """Every venue file of a scenario, loaded: one layer plus each file's rejects and facts."""

    venues: gpd.GeoDataFrame
    rejects: list[pd.DataFrame]
    inputs: list[dict[str, Any]]


def load_all_venues(
    sc: Scenario,
    precincts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
) -> Venues:
    """Load every venue file into one layer (ids must be unique across files)."""
    frames, rejects, inputs = [], [], []
    for v in sc.venues:
        g, r, f = load_venues(v, precincts_m=precincts, study_area=study_area, crs=crs)
        frames.append(g)
        rejects.append(r)
        inputs.append(f)
    if not frames:
        empty = gpd.GeoDataFrame(
            {"venue_id": [], "kind": [], "name": [], "precinct_id": []},
            geometry=gpd.GeoSeries([], crs=crs),
            crs=crs,
        )
        return Venues(empty, rejects, inputs)
    venues = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)
    dup = venues["venue_id"].duplicated()
    if dup.any():
        raise InputDataError(
            f"venue ids repeat across venue files: {list(venues.loc[dup, 'venue_id'][:5])}; "
            "give each file distinct ids"
        )
    return Venues(venues, rejects, inputs)


Streets = tuple[nx.MultiDiGraph, dict[str, Any]]

#: Issue 14: from an alert file this big (bytes; ~100k CSV rows) the venues and the streets (osmnx
#: import, OSM parsing, projection: ~3 CPU s) load in a worker while the parent cleans the alerts
BESIDE_BYTES = 8_000_000


def side_layers(
    sc: Scenario, precincts: gpd.GeoDataFrame, study_area: shapely.Geometry, crs: pyproj.CRS
) -> tuple[Venues, Streets | None]:
    """Return the venues and the street graph with its facts (``None`` without streets)."""
    venues = load_all_venues(sc, precincts, study_area, crs)
    return venues, (load_streets(sc.streets, crs=crs) if sc.streets is not None else None)


def start_side_layers(
    sc: Scenario, precincts: gpd.GeoDataFrame, study_area: shapely.Geometry, crs: pyproj.CRS
) -> _parallel.Job | None:
    """Issue 14: :func:`side_layers` in a worker beside a big pandas alert file, else None."""
    if sc.alerts.source != "file" or sc.engine.kind != "pandas" or sc.alerts.path is None:
        return None
    try:
        big = Path(sc.alerts.path).stat().st_size >= BESIDE_BYTES
    except OSError:  # the alert loader says what is wrong with the file
        return None
    if not big or not _parallel.can_fork():
        return None
    side = lambda: side_layers(sc, precincts, study_area, crs)  # noqa: E731
    return _parallel.start("venues and streets", side, nice=0)  # the load waits for it


def finish_side_layers(job: _parallel.Job) -> tuple[Venues, Streets | None]:
    """Wait for :func:`start_side_layers`'s worker; a loader's error is raised as it is."""
    try:
        return _parallel.finish(job).value
    except _parallel.StageError as exc:  # a loader's error says what, where and how to fix it
        if isinstance(exc.__cause__, GeoOutreachError):
            raise exc.__cause__ from None
        raise
