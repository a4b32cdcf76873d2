"""Cleaning alert rows: one pure function per slice of rows, plus the few whole-table passes.

The alert loader is split at the partition boundary so that a distributed engine (Dask) runs
the SAME reject rules as the pandas path:

1. **read** (whole file, :func:`geo_outreach._parse.read_alert_file`): raw rows with ``_row``
   (1-based file row numbers) and the column mapping (:func:`geo_outreach._parse.alert_columns`).
2. **context** (whole table, once): :func:`alert_context` decides the time column's day/month
   order from all rows (or a large sample) -- the one non-local time rule -- and packs it with
   every other setting into a small frozen :class:`CleanContext`.
3. **per slice** (any slice of the rows, e.g. a partition): :func:`clean_alert_rows` applies
   every row-local rule (coordinates, times, datum, far outside the study area, precinct join)
   and gives the kept alerts (with ``_row``), the rejects and a few counts. On any split of
   the rows the concatenated results equal those of the whole table.
4. **global** (after concatenation): :func:`finish_alerts` rejects duplicate ids (a later row
   repeating the id of an earlier KEPT row, in file-row order: the one rule that needs all
   rows), orders the rejects by row and fills the layer's facts.

Rules, in order: ragged CSV rows (read step), no / unparseable / out-of-range / swapped
coordinates, the time reasons of :func:`geo_outreach._times.parse_time_column`, far outside the
study area (> ``max_outside_km``), duplicate id. Everything is vectorised: per-row Python only
formats the messages of rejected rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_outreach import crs as _crs
from geo_outreach._errors import InputDataError
from geo_outreach._parse import (
    _PARQUET,
    REJECT_COLUMNS,
    Rejects,
    alert_columns,
    classify_points,
    order_rejects,
    reject_frame,
    swap_bbox,
    text_ids,
    to_float,
)
from geo_outreach._parquet import parquet_batches, parquet_columns, parquet_frame
from geo_outreach._times import decide_day_order, parse_time_column
from geo_outreach._validate import OUTSIDE
from geo_outreach.join import GRID_MIN_POINTS, PrecinctGrid, precinct_codes, precinct_grid
from geo_outreach.scenario import AlertLayer, PeriodConfig

__all__ = [
    "CleanContext",
    "alert_context",
    "clean_alert_rows",
    "clean_slices",
    "parquet_alert_source",
    "row_slices",
    "finish_alerts",
    "reject_duplicate_ids",
]

#: Category of an alert without one.
NO_CATEGORY = "未分类"


@dataclass(frozen=True, eq=False)
class CleanContext:
    """Everything :func:`clean_alert_rows` needs besides the rows (small, picklable).

    Attributes
    ----------
    source
        The alert file (the ``file`` column of rejects; its stem prefixes ids without an id
        column).
    tz
        Scenario timezone of naive wall times.
    datum
        Datum of the alert coordinates (``wgs84``, ``gcj02``, ``bd09``).
    crs
        Working CRS (metric).
    study_area
        Union of the precincts in the working CRS.
    precincts_m
        Precinct polygons in the working CRS with ``precinct_id``.
    bbox
        Study area bounds in the alerts' datum, padded (lat/lon swap test).
    max_outside_km
        Alerts farther than this from the study area are rejected.
    time_format, dayfirst
        The layer's ``time_format``; the day/month order DECIDED for the whole column
        (:func:`alert_context`), never None when the column has ``dd/mm/yyyy`` rows.
    now
        Rows after this instant are "time in the future".
    period
        Scenario period bounds (tz-aware or None).
    grid
        The precincts' :class:`~geo_outreach.join.PrecinctGrid` (built once, for the fast
        point-in-precinct join; None: built by each slice).
    """

    source: str
    tz: str
    datum: str
    crs: pyproj.CRS
    study_area: shapely.Geometry
    precincts_m: gpd.GeoDataFrame
    bbox: tuple[float, float, float, float]
    max_outside_km: float
    time_format: str | None
    dayfirst: bool | None
    now: pd.Timestamp
    period: tuple[pd.Timestamp | None, pd.Timestamp | None]
    grid: PrecinctGrid | None = None


def period_bounds(
    period: PeriodConfig | None, tz: str
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Return the scenario period as tz-aware bounds; a bare end date includes its whole day."""
    if period is None:
        return None, None

    def bound(v: str | None, end: bool) -> pd.Timestamp | None:
        if v is None:
            return None
        ts = pd.Timestamp(v)
        if end and len(v) <= 10:
            ts = ts + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)

    return bound(period.start, False), bound(period.end, True)


def alert_context(
    cfg: AlertLayer,
    time_values: pd.Series,
    *,
    source: str,
    time_column: str,
    tz: str,
    precincts_m: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    period: PeriodConfig | None = None,
    now: pd.Timestamp | None = None,
) -> tuple[CleanContext, dict[str, Any]]:
    """Build the :class:`CleanContext` of a layer; decides the day/month order ONCE.

    Parameters
    ----------
    cfg
        The alert layer (datum, time_format, dayfirst, max_outside_km).
    time_values
        The whole time column, or a large sample of it (a partition engine may pass a sample:
        the order is decided by the rows whose first or second field is above 12).
    source
        The file (or source label) reported in rejects.
    time_column
        The file's time header, named in warnings.

    Returns
    -------
    tuple of (CleanContext, dict)
        The context and facts ``time_order`` and ``warnings`` (without the file name prefix).
    """
    dayfirst: bool | None = cfg.dayfirst
    order, warnings = "", tuple[str, ...]()
    if not cfg.time_format:
        dayfirst, order, warnings = decide_day_order(time_values, cfg.dayfirst, time_column)
    ctx = CleanContext(
        source=source,
        tz=tz,
        datum=cfg.datum,
        crs=crs,
        study_area=study_area,
        precincts_m=precincts_m,
        bbox=swap_bbox(study_area, crs, cfg.datum),
        max_outside_km=float(cfg.max_outside_km),
        time_format=cfg.time_format,
        dayfirst=dayfirst,
        now=pd.Timestamp.now(tz) if now is None else now,
        period=period_bounds(period, tz),
        # small layers: the exact test per point (the grid costs ~1 s to build)
        grid=precinct_grid(precincts_m) if len(time_values) >= GRID_MIN_POINTS else None,
    )
    return ctx, {"time_order": order, "warnings": list(warnings)}


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Codes (-1: missing) and distinct values (as ``string``) of an all-text column, else None.

    The text rules then run once per distinct value (a few categories), not once per row.
    """
    text = isinstance(values.dtype, pd.StringDtype) or (
        values.dtype == object
        and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    )
    if not text:
        return None
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(np.asarray(uniq, dtype=object), dtype="string")


def _categories(values: pd.Series) -> np.ndarray:
    """Return stripped text; ``未分类`` for empty or non-text cells."""
    d = _distinct(values)
    if d is not None:  # one Python str per distinct value (little memory)
        codes, raw = d
        s = raw.str.strip()
        text = s.where(s != "", NO_CATEGORY).to_numpy(dtype=object)
        return np.append(text, np.array([NO_CATEGORY], dtype=object))[codes]
    if values.dtype == object:
        s = values.astype(object).str.strip()
        return s.where(s.notna() & (s != ""), NO_CATEGORY).to_numpy(dtype=object)
    return np.full(len(values), NO_CATEGORY, dtype=object)


def _age_bands(values: pd.Series) -> np.ndarray:
    """Return stripped text; ``""`` for None/NaN."""
    d = _distinct(values)
    if d is not None:  # all text: only NaN/None and the text "nan" itself are blank
        codes, raw = d
        text = raw.str.strip().where(raw != "nan", "").to_numpy(dtype=object)
        return np.append(text, np.array([""], dtype=object))[codes]
    t = values.astype(str)
    out = t.str.strip().where((t != "nan") & values.notna().to_numpy(), "")
    return out.to_numpy(dtype=object)


def alert_ids(df: pd.DataFrame, id_col: str | None, stem: str) -> pd.Series:
    """Return alert ids as arrow text (``str``).

    The id column (blank -> ``row<N>``), else ``<file stem>:<row>``.
    """
    if id_col is not None:
        col = df[id_col]
        text = isinstance(col.dtype, pd.StringDtype)  # arrow text: stripped without Python str
        ids = col.str.strip().fillna("").astype("str") if text else text_ids(col).astype("str")
        blank = (ids == "").to_numpy(dtype=bool)
        if not blank.any():
            return ids
        return ids.where(~blank, "row" + df["_row"][blank].astype(str))
    return (stem + ":" + df["_row"].astype(str)).astype("str")


def _projected_xy(
    lon: np.ndarray, lat: np.ndarray, crs: pyproj.CRS
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat -> x/y arrays in ``crs`` (the transformer of ``GeoSeries.to_crs``)."""
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _outside_km(x: np.ndarray, y: np.ndarray, out: np.ndarray, ctx: CleanContext) -> np.ndarray:
    """Distance (km) to the study area of the points outside every precinct (0 elsewhere).

    Only points that may be farther than ``max_outside_km`` are measured: a point within
    (a hair less than) the limit keeps 0, which is all the far-outside rule needs to know.
    """
    dist_km = np.zeros(len(x))
    pos = np.flatnonzero(out)  # inside a precinct = distance 0 to the study area
    if len(pos):
        limit = ctx.max_outside_km * 1000.0 * (1 - 1e-9)
        shapely.prepare(ctx.study_area)
        pos = pos[~_surely_near(x[pos], y[pos], ctx.study_area, limit)]
        pts = shapely.points(x[pos], y[pos])
        near = shapely.dwithin(pts, ctx.study_area, limit)
        dist_km[pos[~near]] = shapely.distance(pts[~near], ctx.study_area) / 1000.0
    return dist_km


#: Cell size (m) of the far-outside pre-test (:func:`_surely_near`).
NEAR_CELL_M = 1000.0


def _surely_near(x: np.ndarray, y: np.ndarray, area: shapely.Geometry, limit: float) -> np.ndarray:
    """Tell which points surely lie within ``limit`` (m) of ``area``, testing one point per cell.

    A point is at most half a diagonal from the centre of its :data:`NEAR_CELL_M` cell, so a
    cell whose centre is within ``limit`` less that (and 1 m) holds only points within
    ``limit``. False means "not known": the caller tests those points one by one.
    """
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    cell = np.floor(np.column_stack([x[ok], y[ok]]) / NEAR_CELL_M)
    cells, inverse = np.unique(cell, axis=0, return_inverse=True)
    reach = limit - NEAR_CELL_M * np.sqrt(0.5) - 1.0
    sure = np.zeros(len(x), dtype=bool)
    if len(ok) and reach > 0:
        centres = shapely.points((cells + 0.5) * NEAR_CELL_M)
        sure[ok] = shapely.dwithin(centres, area, reach)[inverse.ravel()]
    return sure


def _far_rejects(
    ctx: CleanContext,
    rows: np.ndarray,
    dist_km: np.ndarray,
    wlon: np.ndarray,
    wlat: np.ndarray,
    where: str,
) -> pd.DataFrame:
    limit = f"limit max_outside_km = {ctx.max_outside_km:g})"
    reasons = [f"far outside the study area ({d:.1f} km; {limit}" for d in dist_km.tolist()]
    values = [f"{a:.6f}, {b:.6f} (WGS84)" for a, b in zip(wlon.tolist(), wlat.tolist())]
    return reject_frame("alerts", ctx.source, rows.tolist(), reasons, where, values)


def clean_alert_rows(
    df: pd.DataFrame, cols: dict[str, str | None], ctx: CleanContext
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Apply every row-local rule to ANY slice of the raw alert rows (a partition or all).

    Parameters
    ----------
    df
        Raw rows as read (:func:`geo_outreach._parse.read_alert_file`) with ``_row``.
    cols
        The column mapping (:func:`geo_outreach._parse.alert_columns`).
    ctx
        The layer's context (:func:`alert_context`; its ``dayfirst`` is decided for the
        whole column, so a slice parses its times as the whole table would).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pandas.DataFrame, dict)
        Kept alerts in the working CRS: ``alert_id``, ``reported_at``, ``category``,
        ``age_band``, ``_row``, ``geometry``, ``precinct_id`` (duplicate ids NOT yet
        rejected: :func:`finish_alerts`); the rejects of the slice (in row order); facts
        ``rows_in`` and ``time_order`` (the order seen in this slice, "" when none).
    """
    lon_col, lat_col, time_col = str(cols["lon"]), str(cols["lat"]), str(cols["time"])
    where = f"{lon_col}/{lat_col}"
    rows = df["_row"].to_numpy()
    lon, lat = to_float(df[lon_col]), to_float(df[lat_col])
    keep, point_rej = classify_points(
        lon, lat, df["_row"], ctx.bbox, where=where, raw=(df[lon_col], df[lat_col])
    )
    parts = [reject_frame("alerts", ctx.source, *point_rej)] if len(point_rej[0]) else []
    parsed = parse_time_column(
        df[time_col],
        ctx.tz,
        column=time_col,
        time_format=ctx.time_format,
        dayfirst=ctx.dayfirst,
        not_after=ctx.now,
        period=ctx.period,
    )
    reasons = parsed.reasons.to_numpy(dtype=object)
    bad_time = keep & (reasons != "")
    if bad_time.any():
        parts.append(
            reject_frame(
                "alerts", ctx.source, rows[bad_time].tolist(), reasons[bad_time], time_col,
                df[time_col][bad_time].to_numpy(dtype=object),
            )
        )  # fmt: skip
    keep &= ~bad_time
    wlon, wlat = _crs.to_wgs84_lonlat(lon.to_numpy()[keep], lat.to_numpy()[keep], ctx.datum)
    del lon, lat
    x, y = _projected_xy(wlon, wlat, ctx.crs)  # x/y arrays: the points are made once, below
    codes, ids = precinct_codes(x, y, ctx.precincts_m, ctx.grid)
    dist_km = _outside_km(x, y, codes < 0, ctx)
    far = dist_km > ctx.max_outside_km
    if far.any():
        parts.append(_far_rejects(ctx, rows[keep][far], dist_km[far], wlon[far], wlat[far], where))
    rejects = order_rejects(pd.concat(parts, ignore_index=True)) if parts else _no_rejects()
    pos = np.flatnonzero(keep)[~far]  # the kept rows, in order
    points = gpd.points_from_xy(x[~far], y[~far], crs=ctx.crs)
    gdf = _kept_alerts(df, cols, ctx, pos, parsed.times.array.take(pos), points)
    gdf["precinct_id"] = np.append(ids, OUTSIDE).astype(object)[codes[~far]]
    return gdf, rejects, {"rows_in": len(df), "time_order": parsed.order}


def _kept_alerts(
    df: pd.DataFrame,
    cols: dict[str, str | None],
    ctx: CleanContext,
    pos: np.ndarray,
    times: Any,
    points: Any,
) -> gpd.GeoDataFrame:
    """Return the kept rows (positions ``pos``) as alerts: ids, times, category, age, ``_row``."""
    cat_col, age_col = cols["category"], cols["age_band"]
    wanted = ["_row", *dict.fromkeys(c for c in (cols["id"], cat_col, age_col) if c)]
    sel = df[wanted].iloc[pos]  # only the columns still needed are copied
    n = len(pos)
    return gpd.GeoDataFrame(
        {
            "alert_id": alert_ids(sel, cols["id"], Path(ctx.source).stem).array,
            "reported_at": times,
            "category": _categories(sel[cat_col]) if cat_col else np.full(n, NO_CATEGORY, object),
            "age_band": _age_bands(sel[age_col]) if age_col else np.full(n, "", dtype=object),
            "_row": sel["_row"].to_numpy(),
        },
        geometry=points,
        crs=ctx.crs,
    )  # fmt: skip


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in REJECT_COLUMNS})


def reject_duplicate_ids(
    alerts: gpd.GeoDataFrame, *, column: str, source: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Reject kept alerts whose id repeats an earlier kept alert (needs ALL kept rows).

    Run after concatenating every slice's :func:`clean_alert_rows` result: "earlier" is by
    file row (``_row``). The reason names the first row with the id.
    """
    kept, rej = _drop_duplicate_ids([alerts], column=column, source=source)
    return kept, rej


def _drop_duplicate_ids(
    frames: list[gpd.GeoDataFrame], *, column: str, source: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """:func:`reject_duplicate_ids` on the concatenation of ``frames``, copying the rows once.

    The duplicates are found on the ids alone; each frame is filtered before the one
    concatenation, and the rows are sorted by ``_row`` only when they are not in order yet.
    """
    rows = np.concatenate([f["_row"].to_numpy() for f in frames])
    in_order = bool(np.all(rows[1:] > rows[:-1]))
    order = np.arange(len(rows)) if in_order else np.argsort(rows, kind="stable")
    ids = pd.concat([f["alert_id"] for f in frames], ignore_index=True).take(order)
    # one hash pass: codes number the ids in order of first appearance, so a row repeats an
    # earlier id exactly when its code is not above every code before it
    codes = pd.factorize(ids, use_na_sentinel=False)[0]
    dup = codes <= np.maximum.accumulate(np.r_[-1, codes[:-1]])
    rej = _no_rejects()
    if dup.any():  # the first row of each repeated id: the row of its code's first appearance
        first = rows[order][~dup][codes[dup]]
        reasons = [f"duplicate id (same as row {int(r)})" for r in first.tolist()]
        dup_rows = [int(r) for r in rows[order][dup].tolist()]
        values = np.asarray(ids.array[dup], dtype=object)
        rej = reject_frame("alerts", source, dup_rows, reasons, column, values)
    keep = np.empty(len(rows), dtype=bool)
    keep[order] = ~dup  # back to the frames' own order
    alerts = _concat_kept(frames, keep)
    if not in_order:
        alerts = alerts.sort_values("_row", kind="stable").reset_index(drop=True)
    return alerts, rej


def _concat_kept(frames: list[gpd.GeoDataFrame], keep: np.ndarray) -> gpd.GeoDataFrame:
    """Concatenate ``frames`` keeping the rows of ``keep``, one column at a time.

    Only one column is ever copied twice (concatenated, then filtered); the points
    themselves are shared, never copied.
    """
    data: dict[str, Any] = {}
    for c in frames[0].columns:
        col = pd.concat([f[c] for f in frames], ignore_index=True).array
        data[c] = col if keep.all() else col[keep]
    name = getattr(frames[0], "active_geometry_name", None)
    if name is None:  # ids and rows only (the Dask engine's counts-only path)
        return gpd.GeoDataFrame(data, copy=False)
    return gpd.GeoDataFrame(data, geometry=name, crs=frames[0].crs, copy=False)


def collect_rejects(frames: list[pd.DataFrame], kept: int, ctx: CleanContext) -> pd.DataFrame:
    """All rejects of a layer in row order; raise when no row is usable (``kept == 0``).

    Shared by :func:`finish_alerts` and the Dask engine's counts-only path.

    Raises
    ------
    InputDataError
        When no row is usable.
    """
    rejects = pd.concat([r.astype(object) for r in frames if len(r)] or [_no_rejects()])
    rejects = order_rejects(rejects.infer_objects())
    if kept == 0:
        raise InputDataError(
            f"{ctx.source}: no usable alert rows ({len(rejects)} rejected; see rejects.csv). "
            f"Check the datum (now {ctx.datum}) and the coordinate columns"
        )
    return rejects


def finish_alerts(
    parts: list[tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]],
    *,
    read_rejects: pd.DataFrame,
    cols: dict[str, str | None],
    ctx: CleanContext,
    facts: dict[str, Any],
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Run the global pass: concatenate slices, reject duplicate ids, order rejects, fill facts.

    Parameters
    ----------
    parts
        :func:`clean_alert_rows` results of every slice (any order).
    read_rejects
        Rejects of the read step (ragged CSV rows).
    facts
        The layer's facts so far (updated: ``rows_loaded``, ``rows_rejected``, ``columns``,
        ``alerts_outside``).

    Raises
    ------
    InputDataError
        When no row is usable.
    """
    frames = [p[0] for p in parts if len(p[0])] or [parts[0][0]]
    alerts, dup_rej = _drop_duplicate_ids(frames, column=cols["id"] or "", source=ctx.source)
    del frames
    rejects = collect_rejects([read_rejects, *(p[1] for p in parts), dup_rej], len(alerts), ctx)
    del alerts["_row"]
    facts.update(
        rows_loaded=len(alerts),
        rows_rejected=len(rejects),
        columns={k: v for k, v in cols.items() if v and not v.startswith("_")},
        alerts_outside=int((alerts["precinct_id"] == OUTSIDE).sum()),
    )
    return alerts, rejects, facts


#: One slice's cleaning result (:func:`clean_alert_rows`).
Part = tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]


def clean_slices(
    slices: Iterable[pd.DataFrame], cols: dict[str, str | None], ctx: CleanContext, threads: int
) -> list[Part]:
    """:func:`clean_alert_rows` on each slice, up to ``threads`` at a time; results in order.

    Slices are taken from ``slices`` only as a thread frees up (a generator of Parquet
    batches is never read ahead), and they are independent, so the result is the same as
    one slice. The shared geometry caches (the precincts' spatial index, the prepared study
    area) are built first, so the threads only read them.
    """
    if threads < 2:
        return [clean_alert_rows(s, cols, ctx) for s in slices]
    _ = ctx.precincts_m.sindex
    shapely.prepare(ctx.study_area)
    done: list[Part] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[Part]] = deque()
        for s in slices:
            pending.append(pool.submit(clean_alert_rows, s, cols, ctx))
            del s
            if len(pending) >= threads:
                done.append(pending.popleft().result())
        done += [f.result() for f in pending]
    return done


def parquet_alert_source(
    cfg: AlertLayer, rows: int
) -> tuple[pd.Series, dict[str, str | None], pd.DataFrame, dict[str, Any], Iterable[pd.DataFrame]]:
    """Read a plain Parquet alert file in batches (the file is never whole in memory).

    Returns the time column (for :func:`alert_context`), the column mapping, the read
    rejects (none), the facts and the batches of ``rows`` rows (only the used columns), all
    exactly as :func:`geo_outreach.io.read_alerts` would give them for the whole file.
    """
    path = Path(cfg.path or "")
    names, _ = parquet_columns(path, "alerts")
    cols = alert_columns(pd.DataFrame(columns=names), path, dict(cfg.columns))
    wanted = [n for n in names if n in cols.values()]
    time_col = str(cols["time"])
    times = parquet_frame(pd.read_parquet(path, columns=[time_col]), 0)[time_col]
    if len(times) == 0:
        raise InputDataError(f"{path}: the alert table has a header but no rows")
    facts: dict[str, Any] = {"layer": "alerts", "path": str(path), "datum": cfg.datum}
    facts.update(format="parquet", encoding=None)
    rej = Rejects("alerts", str(path)).frame()
    return times, cols, rej, facts, parquet_batches(path, wanted, rows)


def row_slices(df: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """Yield ``df`` in slices of ``rows`` rows, keeping only the rows not yet given out.

    Arrow text columns are chunked, so the chunks of rows already cleaned are freed as the
    slices go (when the caller holds no other reference to ``df``).
    """
    while len(df):
        head, df = df.iloc[:rows], df.iloc[rows:]
        yield head


def is_plain_parquet(path: Path) -> bool:
    """Tell whether ``path`` is a Parquet file without GeoParquet metadata."""
    return path.suffix.lower() in _PARQUET and parquet_columns(path, "alerts")[1] is None
