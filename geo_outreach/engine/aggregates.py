"""Alert aggregates computed where the partitions lie (issue 14): counts back, not tables.

Everything after loading works on aggregates (precinct x month counts, grid counts). When a
caller needs only those, the cleaned partitions stay on the workers:

1. each worker sends back its kept alerts' ids and file rows (two small columns);
2. the client runs the global duplicate-id rule on them
   (:func:`geo_outreach._alerts.reject_duplicate_ids`, the same function as ``finish_alerts``)
   and broadcasts the rows to drop;
3. each worker counts its remaining alerts (:func:`table_aggregates`) and sends the counts
   and its rejects; the client adds the counts up.

:func:`table_aggregates` on the whole table of the pandas engine gives the same numbers
(tests/engine/test_aggregates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach._alerts import CleanContext, collect_rejects, reject_duplicate_ids
from geo_outreach._validate import OUTSIDE

__all__ = ["AlertAggregates", "aggregate_partitions", "table_aggregates"]

Part = tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]


@dataclass(frozen=True)
class AlertAggregates:
    """Counts of the kept alerts, the rejects and the layer's facts (no alert table).

    Attributes
    ----------
    precinct_month
        ``precinct_id``, ``month`` (``YYYY-MM`` in the scenario timezone), ``alerts``; sorted.
    grid
        ``ix``, ``iy`` (cell = ``floor(coordinate / cell_m)`` in the working CRS), ``alerts``.
    cell_m
        Grid cell size in metres.
    rejects
        As ``load_study`` reports them for the alert layer (same rows and reasons).
    facts
        The layer's facts (``rows_loaded``, ``rows_rejected``, ``alerts_outside``, ``engine``).
    """

    precinct_month: pd.DataFrame
    grid: pd.DataFrame
    cell_m: float
    rejects: pd.DataFrame
    facts: dict[str, Any]


def table_aggregates(alerts: gpd.GeoDataFrame, cell_m: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count alerts per precinct and month, and per grid cell of ``cell_m`` metres.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``precinct_id, month, alerts`` and ``ix, iy, alerts``, both sorted by their keys.
    """
    when = alerts["reported_at"]
    month = (when.dt.year * 100 + when.dt.month).to_numpy(dtype=np.int64)
    pm = (
        pd.DataFrame({"precinct_id": alerts["precinct_id"].to_numpy(), "month": month})
        .groupby(["precinct_id", "month"], sort=True)
        .size()
        .rename("alerts")
        .reset_index()
    )
    xy = shapely.get_coordinates(alerts.geometry.values)
    cells = np.floor(xy / cell_m).astype(np.int64)
    keys, counts = np.unique(cells, axis=0, return_counts=True)
    grid = pd.DataFrame(
        {"ix": keys[:, 0] if len(keys) else [], "iy": keys[:, 1] if len(keys) else []},
        dtype=np.int64,
    )
    grid["alerts"] = counts.astype(np.int64)
    pm["month"] = [f"{v // 100:04d}-{v % 100:02d}" for v in pm["month"].tolist()]
    return pm, grid


def _ids(part: Part) -> pd.DataFrame:
    """Return the kept alerts' ids and file rows of a cleaned partition (on a worker)."""
    g = part[0]
    return pd.DataFrame({"alert_id": g["alert_id"].to_numpy(), "_row": g["_row"].to_numpy()})


def _counts(part: Part, drop: np.ndarray, cell_m: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count a cleaned partition's alerts, without the rows in ``drop`` (on a worker)."""
    g = part[0]
    keep = ~np.isin(g["_row"].to_numpy(), drop)
    return table_aggregates(g[keep], cell_m)


def _rejects(part: Part) -> pd.DataFrame:
    return part[1]


def aggregate_partitions(
    client: Any,
    cleaned: list[Any],
    *,
    read_rejects: pd.DataFrame,
    cols: dict[str, str | None],
    ctx: CleanContext,
    facts: dict[str, Any],
    cell_m: float,
) -> AlertAggregates:
    """Aggregate cleaned partitions on the workers (see the module docstring).

    Parameters
    ----------
    client
        A ``distributed.Client``.
    cleaned
        Futures of :func:`geo_outreach._alerts.clean_alert_rows` results, on the workers.
    read_rejects, cols, ctx, facts
        As :func:`geo_outreach._alerts.finish_alerts` takes them.
    cell_m
        Grid cell size in metres.

    Raises
    ------
    InputDataError
        When no row is usable (as ``finish_alerts``).
    """
    ids = pd.concat(client.gather([client.submit(_ids, f, pure=False) for f in cleaned]))
    kept, dup_rej = reject_duplicate_ids(
        gpd.GeoDataFrame(ids.reset_index(drop=True)), column=cols["id"] or "", source=ctx.source
    )
    drop = dup_rej["row"].to_numpy(dtype=np.int64) if len(dup_rej) else np.empty(0, np.int64)
    drop_f = client.scatter(drop, broadcast=True, hash=False)
    got = client.gather([client.submit(_counts, f, drop_f, cell_m, pure=False) for f in cleaned])
    parts = client.gather([client.submit(_rejects, f, pure=False) for f in cleaned])
    rejects = collect_rejects([read_rejects, *parts, dup_rej], len(kept), ctx)
    pm = pd.concat([g[0] for g in got]).groupby(["precinct_id", "month"]).sum().reset_index()
    grid = pd.concat([g[1] for g in got]).groupby(["ix", "iy"]).sum().reset_index()
    facts.update(
        rows_loaded=len(kept),
        rows_rejected=len(rejects),
        columns={k: v for k, v in cols.items() if v and not v.startswith("_")},
        alerts_outside=int(pm.loc[pm["precinct_id"] == OUTSIDE, "alerts"].sum()),
    )
    return AlertAggregates(pm, grid, float(cell_m), rejects, facts)
