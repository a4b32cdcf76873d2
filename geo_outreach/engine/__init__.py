"""Alert sources and engines beyond one file in one process (issue 14).

:func:`load_alerts_engine` is what :func:`geo_outreach.io.load_study` calls when the scenario
reads alerts from PostGIS (``[alerts] source = "postgis"``, :mod:`.postgis`) or cleans them on
Dask (``[engine] kind = "dask"``, :mod:`.dask_engine`). Either way the rows go through the
same three steps as the file loader (:mod:`geo_outreach._alerts`): the context decided once
from the whole time column, :func:`~geo_outreach._alerts.clean_alert_rows` on the whole table
(pandas) or on each partition (dask), and the global pass
:func:`~geo_outreach._alerts.finish_alerts`. The engine sits on floor 2 beside ``io``; ``io``
hands it its file reader so that nothing here imports ``io``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from geo_outreach._alerts import alert_context, clean_alert_rows, finish_alerts
from geo_outreach._errors import InputDataError
from geo_outreach._parse import REJECT_COLUMNS, alert_columns
from geo_outreach.engine.postgis import read_postgis_alerts, source_label
from geo_outreach.scenario import AlertLayer, Scenario

__all__ = ["load_alerts_engine"]

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

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pandas.DataFrame, dict)
        Kept alerts with ``precinct_id``, rejects, and the layer's facts (with ``engine``).
    """
    cfg, tz = sc.alerts, sc.scenario.timezone
    t0 = time.perf_counter()
    df, cols, read_rej, facts, source = _read(sc, read_file)
    read_s = time.perf_counter() - t0
    time_col = str(cols["time"])
    ctx, tfacts = alert_context(
        cfg,
        df[time_col],
        source=source,
        time_column=time_col,
        tz=tz,
        precincts_m=precincts_m,
        study_area=study_area,
        crs=crs,
        period=sc.period,
    )
    facts.update(
        time_order=tfacts["time_order"],
        warnings=[f"{Path(source).name}: {w}" for w in tfacts["warnings"]],
    )
    engine: dict[str, Any] = {"kind": sc.engine.kind, "read_s": round(read_s, 3)}
    if sc.engine.kind == "dask":
        from geo_outreach.engine.dask_engine import clean_partitions, cluster_client, slices

        parts = slices(df, sc.engine.partition_rows)
        del df
        with cluster_client(sc.engine) as client:
            results, efacts = clean_partitions(
                client, parts, cols, ctx, total=len(parts), progress=progress
            )
        engine.update(efacts, partition_rows=sc.engine.partition_rows)
    else:
        results = [clean_alert_rows(df, cols, ctx)]
    facts["engine"] = engine
    return finish_alerts(results, read_rejects=read_rej, cols=cols, ctx=ctx, facts=facts)
