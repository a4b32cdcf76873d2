"""Alert sources and engines beyond one file in one process (issue 14).

:func:`load_alerts_engine` is what :func:`geo_outreach.io.load_study` calls when the scenario
reads alerts from PostGIS (``[alerts] source = "postgis"``, :mod:`.postgis`) or cleans them on
Dask (``[engine] kind = "dask"``, :mod:`.dask_engine`). Either way the rows go through the
same three steps as the file loader (:mod:`geo_outreach._alerts`): the context decided once
from the whole time column, :func:`~geo_outreach._alerts.clean_alert_rows` on the whole table
(pandas) or on each partition (dask), and the global pass
:func:`~geo_outreach._alerts.finish_alerts`. The engine sits on floor 2 beside ``io``; ``io``
hands it its file reader so that nothing here imports ``io``.

On Dask the workers read their own slices of a CSV or (Geo)Parquet file (:mod:`.slices`);
:func:`load_alert_aggregates` also leaves the cleaned partitions on the workers and brings
back only counts (:mod:`.aggregates`), for callers that need no alert table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from geo_outreach._alerts import CleanContext, alert_context, clean_alert_rows, finish_alerts
from geo_outreach._errors import InputDataError
from geo_outreach._parse import REJECT_COLUMNS, alert_columns
from geo_outreach.engine.aggregates import AlertAggregates, aggregate_partitions
from geo_outreach.engine.postgis import read_postgis_alerts, source_label
from geo_outreach.engine.slices import Plan, plan_slices
from geo_outreach.scenario import AlertLayer, Scenario

__all__ = ["AlertAggregates", "load_alert_aggregates", "load_alerts_engine"]

Progress = Callable[[str], None]
#: ``io.read_alerts``: alert layer -> (raw rows with ``_row``, columns, read rejects, facts)
FileReader = Callable[
    [AlertLayer], tuple[pd.DataFrame, dict[str, str | None], pd.DataFrame, dict[str, Any]]
]


def _read(
    sc: Scenario, read_file: FileReader
) -> tuple[pd.DataFrame, dict[str, str | None], pd.DataFrame, dict[str, Any], str]:
    """Raw rows, columns, read rejects, facts and the source label, from a file or PostGIS."""
    cfg = sc.alerts
    if cfg.source != "postgis":
        df, cols, read_rej, facts = read_file(cfg)
        return df, cols, read_rej, facts, str(cfg.path)
    label = source_label(cfg)
    df, mapping, facts = read_postgis_alerts(cfg, sc.scenario.timezone)
    if len(df) == 0:
        raise InputDataError(f"{label}: the query returned no rows; check [alerts] query/table")
    cols = alert_columns(df, Path(label), mapping)
    facts["sha256"] = None  # no file: the manifest has query_sha256 and the row counts
    return df, cols, pd.DataFrame(columns=REJECT_COLUMNS), facts, label


def load_alerts_engine(
    sc: Scenario,
    *,
    read_file: FileReader,
    precincts_m: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    progress: Progress | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Alerts from the scenario's source, cleaned by its engine (same result as ``load_alerts``).

    Parameters
    ----------
    sc
        The scenario (``[alerts]`` and ``[engine]``).
    read_file
        The file reader (``io.read_alerts``), used when ``source = "file"``.
    precincts_m, study_area, crs
        Precincts and their union in the working CRS.
    progress
        Called with ``alerts: partition i/n cleaned`` by the Dask engine.

    With the Dask engine the workers read their own slices of a CSV or (Geo)Parquet file
    (:mod:`.slices`); other files and PostGIS rows are read here and sent to them. The
    engine facts say which (``read``: ``workers`` or ``client`` with ``read_why``).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pandas.DataFrame, dict)
        Kept alerts with ``precinct_id``, rejects, and the layer's facts (with ``engine``).
    """
    context = _context_maker(sc, precincts_m, study_area, crs)
    if sc.engine.kind != "dask":
        t0 = time.perf_counter()
        df, cols, read_rej, facts, source = _read(sc, read_file)
        read_s = time.perf_counter() - t0
        ctx = context(df[str(cols["time"])], str(cols["time"]), source, facts)
        facts["engine"] = {"kind": sc.engine.kind, "read_s": round(read_s, 3)}
        results = [clean_alert_rows(df, cols, ctx)]
        return finish_alerts(results, read_rejects=read_rej, cols=cols, ctx=ctx, facts=facts)

    from geo_outreach.engine.dask_engine import cluster_client

    with cluster_client(sc.engine) as client:
        run = _on_cluster(client, sc, read_file, context, progress, gather=True)
    return finish_alerts(
        run.parts, read_rejects=run.read_rejects, cols=run.cols, ctx=run.ctx, facts=run.facts
    )


def load_alert_aggregates(
    sc: Scenario,
    *,
    read_file: FileReader,
    precincts_m: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    cell_m: float = 500.0,
    progress: Progress | None = None,
) -> AlertAggregates:
    """Alert counts (precinct x month, grid) computed on the Dask workers; no alert table back.

    The same read and clean as :func:`load_alerts_engine` with ``[engine] kind = "dask"``
    (whatever the scenario's kind), then :func:`.aggregates.aggregate_partitions`: the
    client receives ids and file rows for the duplicate-id rule, counts and rejects. The
    counts equal :func:`.aggregates.table_aggregates` of ``load_study``'s alerts.

    Parameters
    ----------
    sc, read_file, precincts_m, study_area, crs, progress
        As :func:`load_alerts_engine`.
    cell_m
        Grid cell size in metres (working CRS).
    """
    from geo_outreach.engine.dask_engine import cluster_client

    context = _context_maker(sc, precincts_m, study_area, crs)
    with cluster_client(sc.engine) as client:
        run = _on_cluster(client, sc, read_file, context, progress, gather=False)
        return aggregate_partitions(
            client,
            run.parts,
            read_rejects=run.read_rejects,
            cols=run.cols,
            ctx=run.ctx,
            facts=run.facts,
            cell_m=cell_m,
        )


ContextMaker = Callable[[pd.Series, str, str, dict[str, Any]], CleanContext]


def _context_maker(
    sc: Scenario, precincts_m: gpd.GeoDataFrame, study_area: shapely.Geometry, crs: pyproj.CRS
) -> ContextMaker:
    """Return ``context(time values, time column, source, facts)``: the layer's context."""

    def context(
        time_values: pd.Series, column: str, source: str, facts: dict[str, Any]
    ) -> CleanContext:
        ctx, tfacts = alert_context(
            sc.alerts,
            time_values,
            source=source,
            time_column=column,
            tz=sc.scenario.timezone,
            precincts_m=precincts_m,
            study_area=study_area,
            crs=crs,
            period=sc.period,
        )
        facts.update(
            time_order=tfacts["time_order"],
            warnings=[f"{Path(source).name}: {w}" for w in tfacts["warnings"]],
        )
        return ctx

    return context


@dataclass(frozen=True)
class _Run:
    """Cleaned partitions (results, or futures on the workers) and what the global pass needs."""

    parts: list[Any]
    cols: dict[str, str | None]
    read_rejects: pd.DataFrame
    facts: dict[str, Any]
    ctx: CleanContext


def _on_cluster(
    client: Any,
    sc: Scenario,
    read_file: FileReader,
    context: ContextMaker,
    progress: Progress | None,
    *,
    gather: bool,
) -> _Run:
    """Read (on the workers when the file can be sliced) and clean every partition."""
    from geo_outreach.engine.dask_engine import (
        clean_partitions,
        read_on_workers,
        scan_ranges,
        slices,
    )

    t0, rows = time.perf_counter(), sc.engine.partition_rows
    plan: Plan | str = "PostGIS rows"
    if sc.alerts.source != "postgis":
        plan = plan_slices(sc.alerts, rows, lambda ranges: scan_ranges(client, ranges))
    if isinstance(plan, Plan):  # the workers read their own slices
        parts, cols, read_rej, facts, votes = read_on_workers(client, plan, sc.alerts)
        read: dict[str, Any] = {"read": "workers"}
        ctx = context(votes, str(cols["time"]), str(Path(sc.alerts.path or "")), facts)
    else:  # read on the client, cut and sent to the workers
        df, cols, read_rej, facts, source = _read(sc, read_file)
        read = {"read": "client", "read_why": plan}
        ctx = context(df[str(cols["time"])], str(cols["time"]), source, facts)
        parts = slices(df, rows)
        del df
    read_s = time.perf_counter() - t0
    results, efacts = clean_partitions(
        client, parts, cols, ctx, total=len(parts), progress=progress, gather=gather
    )
    facts["engine"] = {"read_s": round(read_s, 3), **efacts, **read, "partition_rows": rows}
    return _Run(results, cols, read_rej, facts, ctx)
