"""Loading what planners really have, without ever losing a row.

Every input row is either loaded or reported in ``rejects`` with file, row number, column
and reason. A layer that cannot be used at all (missing file, missing required column, no
usable rows, a projected file without CRS) raises :class:`InputDataError` with one line
naming the file and the fix.

Formats
-------
- precincts: GeoJSON, GeoPackage, Shapefile (pyogrio).
- alerts: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 detected), XLSX, GeoJSON, (Geo)Parquet
  (``.parquet``/``.geoparquet``: point geometry or lon/lat columns; rejects name parquet row +
  1); columns found by common Chinese and English headers (:data:`ALERT_COLUMNS`) or mapped
  in the scenario. Cleaning is split at the partition boundary in :mod:`geo_outreach._alerts`.
- venues and streets: :mod:`geo_outreach._venues` (OSM XML, CSV/GeoJSON/(Geo)Parquet venues;
  OSM street graphs). Issue 14: beside a big alert file they load in a worker process.

Datums: every layer declares ``wgs84``, ``gcj02`` or ``bd09``; lon/lat in GCJ-02/BD-09 is
converted to WGS84 on load (:mod:`geo_outreach.crs`). Everything is then projected to the
working CRS (UTM, from ``estimate_utm_crs``). Table, header and time parsing lives in
:mod:`geo_outreach._parse`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from geo_outreach._errors import InputDataError
from geo_outreach._alerts import (
    alert_context,
    clean_slices,
    finish_alerts,
    is_plain_parquet,
    parquet_alert_source,
    row_slices,
)
from geo_outreach._parse import (
    ALERT_COLUMNS,
    REJECT_COLUMNS,
    VENUE_COLUMNS,
    Rejects,
    alert_columns,
    find_columns,
    need_file,
    read_alert_file,
)
from geo_outreach._precincts import PRECINCT_COLUMNS, load_precincts
from geo_outreach._tables import detect_encoding, read_table, reject_ragged
from geo_outreach._times import parse_times
from geo_outreach.datum_check import check_alerts
from geo_outreach._validate import check_layer
from geo_outreach._venues import (
    finish_side_layers,
    load_streets,
    load_venues,
    side_layers,
    start_side_layers,
)
from geo_outreach.outputs import sha256_file
from geo_outreach.join import check_no_overlaps
from geo_outreach.scenario import (
    AlertLayer,
    PeriodConfig,
    Scenario,
)

__all__ = [
    "ALERT_COLUMNS",
    "PRECINCT_COLUMNS",
    "REJECT_COLUMNS",
    "VENUE_COLUMNS",
    "StudyData",
    "detect_encoding",
    "find_columns",
    "load_alerts",
    "read_alerts",
    "load_precincts",
    "load_streets",
    "load_study",
    "load_venues",
    "parse_times",
    "read_table",
    "sha256_file",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StudyData:
    """All input layers, cleaned and projected to the working CRS (see docs/TEAM_NOTES.md)."""

    precincts: gpd.GeoDataFrame
    alerts: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    streets: nx.MultiDiGraph | None
    study_area: shapely.Geometry
    crs: pyproj.CRS
    rejects: pd.DataFrame
    inputs: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- helpers


def _layer_notes(layer: str, synthetic: bool, note: str) -> list[str]:
    if not synthetic:
        return []
    label = "ILLUSTRATIVE" if layer == "precincts" else "SYNTHETIC"
    return [f"{label} {layer}" + (f": {note}" if note else "")]


# --------------------------------------------------------------------------- alerts

#: Rows per slice when the pandas engine cleans alerts (any split gives the same result).
CLEAN_ROWS = 500_000
#: Slices cleaned at once, in threads (numpy, arrow, pyproj and shapely release the GIL).
CLEAN_THREADS = 2


def read_alerts(
    cfg: AlertLayer,
) -> tuple[pd.DataFrame, dict[str, str | None], pd.DataFrame, dict[str, Any]]:
    """Read the alert file: raw rows with ``_row``, the columns, the read rejects, the facts.

    The read rejects are the ragged CSV rows; see :mod:`geo_outreach._alerts` for the rest.
    """
    path = Path(cfg.path or "")  # issue 14: None only with source = "postgis"
    need_file(path, "alerts")
    rej = Rejects("alerts", str(path))
    facts: dict[str, Any] = {"layer": "alerts", "path": str(path), "datum": cfg.datum}
    df, mapping = read_alert_file(path, cfg, facts)
    reject_ragged(facts, rej.add)
    if len(df) == 0:
        raise InputDataError(f"{path}: the alert table has a header but no rows")
    cols = alert_columns(df, path, mapping)
    return df, cols, rej.frame(), facts


def load_alerts(
    cfg: AlertLayer,
    *,
    tz: str,
    precincts_m: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    period: PeriodConfig | None = None,
    now: pd.Timestamp | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Alerts in the working CRS, with ``precinct_id`` assigned ("outside" kept).

    Reject reasons: no coordinates, coordinates out of range, probable lat/lon swap, far
    outside the study area (> ``max_outside_km``), duplicate id, and the time reasons of
    :func:`geo_outreach._times.parse_time_column` (no time, time without a date, time out of
    range, time in the future -- after ``now``, default the run's clock --, outside ``period``,
    unparseable time). Read -> :func:`~geo_outreach._alerts.alert_context` (whole column) ->
    :func:`~geo_outreach._alerts.clean_alert_rows` (slices of :data:`CLEAN_ROWS` rows) ->
    :func:`~geo_outreach._alerts.finish_alerts` (duplicate ids).
    """
    path = Path(cfg.path or "")
    need_file(path, "alerts")
    if is_plain_parquet(path):  # read in batches: the raw rows are never all in memory
        times, cols, read_rej, facts, slices = parquet_alert_source(cfg, CLEAN_ROWS)
    else:
        df, cols, read_rej, facts = read_alerts(cfg)
        times = df[str(cols["time"])]
        slices = row_slices(df, CLEAN_ROWS)
        del df  # the slices hold the rows until they are cleaned
    time_col = str(cols["time"])
    ctx, tfacts = alert_context(
        cfg,
        times,
        source=str(path),
        time_column=time_col,
        tz=tz,
        precincts_m=precincts_m,
        study_area=study_area,
        crs=crs,
        period=period,
        now=now,
    )
    del times
    facts.update(
        time_order=tfacts["time_order"],
        warnings=[f"{path.name}: {w}" for w in tfacts["warnings"]],
    )
    parts = clean_slices(slices, cols, ctx, CLEAN_THREADS)
    del slices  # the raw rows are freed before the global pass
    return finish_alerts(parts, read_rejects=read_rej, cols=cols, ctx=ctx, facts=facts)


# --------------------------------------------------------------------------- all


def _load_alert_layer(
    sc: Scenario,
    precincts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    progress: Callable[[str], None] | None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Load the alerts (pandas from a file, else the engine of issue 14): rows, rejects, facts."""
    if sc.alerts.source == "file" and sc.engine.kind == "pandas":
        return load_alerts(
            sc.alerts, tz=sc.scenario.timezone, precincts_m=precincts, study_area=study_area,
            crs=crs, period=sc.period,
        )  # fmt: skip
    from geo_outreach.engine import load_alerts_engine  # PostGIS source or the Dask engine

    return load_alerts_engine(
        sc, read_file=read_alerts, precincts_m=precincts, study_area=study_area, crs=crs,
        progress=progress,
    )  # fmt: skip


def load_study(sc: Scenario, progress: Callable[[str], None] | None = None) -> StudyData:
    """Load and check every layer of a scenario (see module docstring).

    ``progress`` (issue 14) gets the Dask engine's ``partition i/n cleaned`` messages.
    """
    precincts_ll, rej_p, f_p = load_precincts(sc.precincts)
    crs = _crs.working_crs(precincts_ll)
    precincts = precincts_ll.to_crs(crs)
    check_no_overlaps(precincts, source=str(sc.precincts.path))
    precincts["area_km2"] = precincts.geometry.area / 1e6
    study_area = shapely.union_all(precincts.geometry.values)
    rejects = [rej_p]
    inputs = [f_p]
    flagged = bool(precincts.get("illustrative", pd.Series([False])).any())
    notes = _layer_notes("precincts", sc.precincts.illustrative or flagged, sc.precincts.note)

    side = start_side_layers(sc, precincts, study_area, crs)  # issue 14: big alert files
    try:
        alerts, rej_a, f_a = _load_alert_layer(sc, precincts, study_area, crs, progress)
    except BaseException:
        if side is not None:
            _parallel.cancel(side)
        raise
    warnings = list(f_a.get("warnings", []))
    f_a["timezone"] = sc.scenario.timezone
    if not sc.scenario.timezone_given:
        warnings.append(
            f"no [scenario] timezone set: alert times were read as {sc.scenario.timezone}; "
            "set timezone in the scenario if that is wrong"
        )
    rejects.append(rej_a)
    inputs.append(f_a)
    notes += _layer_notes("alerts", sc.alerts.synthetic, sc.alerts.note)

    if side is not None:
        loaded, graph = finish_side_layers(side)
    else:
        loaded, graph = side_layers(sc, precincts, study_area, crs)
    venues = loaded.venues
    rejects += loaded.rejects
    inputs += loaded.inputs
    notes += [n for v in sc.venues for n in _layer_notes("venues", v.synthetic, v.note)]
    streets = None
    if sc.streets is not None and graph is not None:
        streets, f_s = graph
        inputs.append(f_s)
        notes += _layer_notes("streets", sc.streets.synthetic, "")
    fits = check_alerts(  # issue 10: does the declared alert datum fit the map?
        alerts, sc.alerts.datum, source=Path(f_a["path"]).name, streets=streets, venues=venues
    )
    f_a["datum_check"] = [fit.as_dict() for fit in fits]
    warnings += [w for w in (fit.warning() for fit in fits) if w]
    for rec in inputs:
        if "sha256" not in rec:  # issue 14: a PostGIS source has no file (None)
            rec["sha256"] = sha256_file(Path(rec["path"]))
    check_layer(precincts, "precincts")
    check_layer(alerts, "alerts")
    check_layer(venues, "venues")
    all_rejects = pd.concat([r for r in rejects if len(r)] or [rejects[0]], ignore_index=True)
    return StudyData(
        precincts=precincts,
        alerts=alerts,
        venues=venues,
        streets=streets,
        study_area=study_area,
        crs=crs,
        rejects=all_rejects,
        inputs=tuple(inputs),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def read_points(
    path: str | Path,
    *,
    role: str,
    crs: str = "EPSG:4326",
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a point file for ``geo-outreach cover``: CSV or GeoJSON/GeoPackage/Shapefile.

    Parameters
    ----------
    path
        The file. A CSV is read as UTF-8 (with or without BOM).
    role
        What the file holds (``"demand"``, ``"candidates"``); named in error messages as the
        command-line option to check (``--demand``).
    crs
        CRS of CSV coordinates and of vector files that declare none (default lon/lat WGS84).
    x, y
        Coordinate columns of a CSV. Default: the first of ``x``/``lon``/``lng``/``longitude``/
        ``经度`` and ``y``/``lat``/``latitude``/``纬度`` found (case-insensitive).

    Returns
    -------
    geopandas.GeoDataFrame
        The file's columns (vector geometry dropped) and Point geometries in the file's CRS.

    Raises
    ------
    InputDataError
        The file is missing or unreadable, a column is missing or not numeric, rows lack
        coordinates, geometries are not points, or ``crs`` is unknown.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: {role} file not found; check --{role}")
    if path.suffix.lower() in (".geojson", ".json", ".gpkg", ".shp"):
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - pyogrio/fiona raise several types
            raise InputDataError(f"{path}: cannot read ({exc})") from None
        if len(gdf) and not (gdf.geom_type == "Point").all():
            raise InputDataError(f"{path}: {role} geometries must be Points")
        file_crs = pyproj.CRS.from_user_input(gdf.crs or pyproj.CRS.from_user_input(crs))
        frame = pd.DataFrame(gdf.drop(columns="geometry"))
        return gpd.GeoDataFrame(frame, geometry=gdf.geometry.to_numpy(), crs=file_crs)
    try:
        df = pd.read_csv(path, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(f"{path}: not a readable UTF-8 CSV ({exc})") from None
    cols = [str(c) for c in df.columns]
    low = {c.lower(): c for c in cols}
    picked = []
    for what, wanted, names in (
        ("x", x, ("x", "lon", "lng", "longitude", "经度")),
        ("y", y, ("y", "lat", "latitude", "纬度")),
    ):
        if wanted and wanted not in cols:
            raise InputDataError(f"{path}: no column {wanted!r} (columns: {cols}); check --{what}")
        found = wanted or next((low[n] for n in names if n in low), None)
        if found is None:
            raise InputDataError(f"{path}: no {what} column among {cols}; name it with --{what}")
        picked.append(found)
    xc, yc = picked
    try:
        xy = df[[xc, yc]].to_numpy(dtype=float)
    except ValueError:
        raise InputDataError(f"{path}: columns {xc!r}/{yc!r} must be numbers") from None
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = (np.flatnonzero(bad)[:5] + 2).tolist()
        raise InputDataError(
            f"{path}: {int(bad.sum())} rows lack coordinates (lines {rows}); fill or drop them"
        )
    try:
        file_crs = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise InputDataError(f"--crs {crs!r} is not a CRS pyproj knows (try EPSG:32649)") from None
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=file_crs)
