"""The campaign log: what outreach was actually done, where and when (issue 13).

A CSV/XLSX table, Chinese or English headers: channel (渠道), a site id (点位编号, a venue id of
the scenario) or coordinates (经度/纬度) with a declared datum (a 坐标系 column per row, or the
``datum`` argument), start and end date (开始日期/结束日期) and a quantity (数量: events,
sleeves, stickers, visits). Every row is either kept or written to the rejects with its file
row, column and reason, like every other layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_outreach import crs as _crs
from geo_outreach._errors import InputDataError
from geo_outreach._times import parse_times
from geo_outreach._parse import (
    Rejects,
    find_columns,
    is_blank,
    need_file,
    read_table,
    to_float,
)
from geo_outreach.scenario import ChannelConfig, Datum

LAYER = "campaign_log"

#: Header aliases of the campaign log (compared without case, spaces, ``_``, ``-``, brackets).
LOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("activity_id", "id", "记录编号", "活动编号", "编号"),
    "channel": ("channel", "渠道", "宣传渠道", "宣传方式", "活动类型"),
    "site_id": ("site_id", "venue_id", "site", "点位编号", "场所编号", "点位"),
    "lon": ("lon", "lng", "longitude", "经度", "x"),
    "lat": ("lat", "latitude", "纬度", "y"),
    "datum": ("datum", "坐标系", "坐标系统"),
    "start": ("start", "start_date", "开始日期", "开始时间", "起始日期"),
    "end": ("end", "end_date", "结束日期", "结束时间", "截止日期"),
    "quantity": ("quantity", "qty", "count", "数量", "场次", "份数"),
}
DATUMS: tuple[str, ...] = get_args(Datum)
_DATUM_ALIASES = {"wgs84": "wgs84", "wgs-84": "wgs84", "gps": "wgs84", "gcj02": "gcj02",
                  "gcj-02": "gcj02", "火星坐标": "gcj02", "高德": "gcj02", "bd09": "bd09",
                  "bd-09": "bd09", "百度": "bd09"}  # fmt: skip


@dataclass(frozen=True)
class LogSource:
    """Where the campaign log is and how to read it.

    ``datum`` applies to rows without a datum column value; ``columns`` maps our names
    (:data:`LOG_COLUMNS` keys) to the file's headers.
    """

    path: Path
    datum: Datum | None = None
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    sheet: str | None = None
    synthetic: bool = False


@dataclass(frozen=True)
class CampaignLog:
    """A checked campaign log.

    ``activities``: activity_id, channel, site_id ("" for coordinates), start, end (tz-aware
    days, end inclusive), quantity, radius_m, geometry (working CRS, or lon/lat WGS84 when
    the log was checked without a scenario: then radius_m is NaN). ``rejects`` has the
    columns of rejects.csv; ``facts`` is the manifest record of the file.
    """

    activities: gpd.GeoDataFrame
    rejects: pd.DataFrame
    facts: dict[str, Any]


def _datum_of(value: Any, default: str | None) -> str | None:
    if is_blank(value):
        return default
    return _DATUM_ALIASES.get(str(value).strip().lower().replace(" ", ""))


def _channel_lookup(channels: tuple[ChannelConfig, ...]) -> dict[str, ChannelConfig]:
    out: dict[str, ChannelConfig] = {}
    for ch in channels:
        out[ch.name.lower()] = ch
        if ch.label:
            out[ch.label.strip().lower()] = ch
    return out


def _read(src: LogSource) -> tuple[pd.DataFrame, dict[str, str | None], dict[str, Any]]:
    path = Path(src.path)
    need_file(path, LAYER)
    df, facts = read_table(path, encoding=src.encoding, sheet=src.sheet, layer=LAYER)
    if len(df) == 0:
        raise InputDataError(f"{path}: the campaign log has a header but no rows")
    cols = find_columns(
        [c for c in df.columns if c != "_row"], LOG_COLUMNS, dict(src.columns), source=str(path)
    )
    missing = [k for k in ("channel", "start", "end", "quantity") if cols[k] is None]
    if cols["site_id"] is None and (cols["lon"] is None or cols["lat"] is None):
        missing.append("site_id or lon/lat")
    if missing:
        raise InputDataError(
            f"{path}: campaign log columns not found: {missing}; use headers like 渠道, 点位编号 "
            f"(or 经度/纬度 with 坐标系), 开始日期, 结束日期, 数量 (channel, site_id, lon, lat, "
            f"datum, start, end, quantity)"
        )
    return df, cols, {"layer": LAYER, "path": str(path), "datum": src.datum, **facts}


def _check_rows(
    df: pd.DataFrame, cols: dict[str, str | None], src: LogSource, tz: str, rej: Rejects
) -> pd.DataFrame:
    """Row checks that need no scenario; return the kept rows in our column names."""
    rows = df["_row"]
    n = len(df)
    keep = np.ones(n, dtype=bool)

    def col(key: str) -> pd.Series:
        name = cols[key]
        return df[name] if name is not None else pd.Series([""] * n, index=df.index, dtype=object)

    def drop(i: int, reason: str, key: str, value: Any = "") -> None:
        if keep[i]:
            rej.add(int(rows.iloc[i]), reason, cols[key] or key, value)
            keep[i] = False

    channel = col("channel").map(lambda v: "" if is_blank(v) else str(v).strip())
    start, end = parse_times(col("start"), tz), parse_times(col("end"), tz)
    qty = to_float(col("quantity"))
    site = col("site_id").map(lambda v: "" if is_blank(v) else str(v).strip())
    lon, lat = to_float(col("lon")), to_float(col("lat"))
    datum = col("datum").map(lambda v: _datum_of(v, src.datum))
    raw_datum = col("datum")
    known = ", ".join(DATUMS)
    for i in range(n):
        if channel.iloc[i] == "":
            drop(i, "no channel", "channel")
        if pd.isna(start.iloc[i]):
            drop(i, "no or unparseable start date", "start", col("start").iloc[i])
        if pd.isna(end.iloc[i]):
            drop(i, "no or unparseable end date", "end", col("end").iloc[i])
        if keep[i] and end.iloc[i] < start.iloc[i]:
            drop(i, "end date before start date", "end", col("end").iloc[i])
        q = qty.iloc[i]
        if not (np.isfinite(q) and q > 0):
            drop(i, "quantity must be a number > 0", "quantity", col("quantity").iloc[i])
        has_xy = np.isfinite(lon.iloc[i]) and np.isfinite(lat.iloc[i])
        if site.iloc[i] == "" and not has_xy:
            drop(i, "neither a site id nor coordinates", "site_id")
        if site.iloc[i] == "" and has_xy:
            if not isinstance(datum.iloc[i], str):
                value = raw_datum.iloc[i]
                reason = (
                    f"no datum declared for the coordinates: add a 坐标系 column ({known}) "
                    "or pass --datum"
                    if is_blank(value)
                    else f"unknown datum (use one of {known})"
                )
                drop(i, reason, "datum", value)
            elif not (-180 <= lon.iloc[i] <= 180 and -90 <= lat.iloc[i] <= 90):
                drop(i, "coordinates out of range", "lon", f"{lon.iloc[i]}, {lat.iloc[i]}")
    ids = col("id").map(lambda v: "" if is_blank(v) else str(v).strip())
    ids = ids.where(ids != "", "row" + rows.astype(str))
    out = pd.DataFrame(
        {
            "activity_id": ids,
            "channel": channel,
            "site_id": site,
            "start": start.dt.normalize(),
            "end": end.dt.normalize(),
            "quantity": qty,
            "lon": lon,
            "lat": lat,
            "datum": datum,
            "_row": rows,
        }
    )
    return out[keep].reset_index(drop=True)


def _wgs84_points(rows: pd.DataFrame) -> gpd.GeoSeries:
    """Row coordinates (each in its own datum) as WGS84 points; None for site-id rows."""
    geoms: list[Any] = [None] * len(rows)
    for d in DATUMS:
        m = ((rows["site_id"] == "") & (rows["datum"] == d)).to_numpy()
        if m.any():
            x, y = _crs.to_wgs84_lonlat(rows["lon"].to_numpy()[m], rows["lat"].to_numpy()[m], d)
            for j, p in zip(np.flatnonzero(m), shapely.points(x, y), strict=True):
                geoms[j] = p
    return gpd.GeoSeries(geoms, crs="EPSG:4326")


def _locate(
    rows: pd.DataFrame,
    rej: Rejects,
    cols: dict[str, str | None],
    *,
    channels: tuple[ChannelConfig, ...],
    venues: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    crs: pyproj.CRS,
    max_outside_km: float,
) -> gpd.GeoDataFrame:
    """Resolve channels and site ids, project to the working CRS; reject what cannot be placed."""
    lookup = _channel_lookup(channels)
    by_id = dict(zip(venues["venue_id"].astype(str), venues.geometry, strict=True))
    pts = _wgs84_points(rows).to_crs(crs)
    keep = np.ones(len(rows), dtype=bool)
    geoms: list[Any] = []
    names: list[str] = []
    radius: list[float] = []
    for i, r in enumerate(rows.itertuples(index=False)):
        row_no = int(rows["_row"].iloc[i])
        ch = lookup.get(str(r.channel).lower())
        g = by_id.get(r.site_id) if r.site_id else pts.iloc[i]
        if ch is None:
            known = ", ".join(f"{c.name} ({c.label})" if c.label else c.name for c in channels)
            rej.add(row_no, f"unknown channel; the scenario has {known}", cols["channel"] or "",
                    r.channel)  # fmt: skip
            keep[i] = False
        elif g is None:
            rej.add(row_no, "site id is not a venue of the scenario", cols["site_id"] or "",
                    r.site_id)  # fmt: skip
            keep[i] = False
        elif shapely.distance(g, study_area) / 1000.0 > max_outside_km:
            km = shapely.distance(g, study_area) / 1000.0
            rej.add(row_no, f"far outside the study area ({km:.1f} km); check the datum",
                    f"{cols['lon']}/{cols['lat']}", f"{r.lon}, {r.lat}")  # fmt: skip
            keep[i] = False
        geoms.append(g)
        names.append(ch.name if ch is not None else "")
        radius.append(ch.radius_m if ch is not None else np.nan)
    out = rows.assign(channel=names, radius_m=radius)
    gdf = gpd.GeoDataFrame(out, geometry=geoms, crs=crs)
    return gdf[keep].drop(columns=["lon", "lat", "datum", "_row"]).reset_index(drop=True)


def load_campaign_log(
    src: LogSource,
    *,
    tz: str,
    channels: tuple[ChannelConfig, ...] | None = None,
    venues: gpd.GeoDataFrame | None = None,
    study_area: shapely.Geometry | None = None,
    crs: pyproj.CRS | None = None,
    max_outside_km: float = 5.0,
) -> CampaignLog:
    """Read and check a campaign log; with a scenario's layers also place every activity.

    Parameters
    ----------
    src
        The file and how to read it.
    tz
        Time zone of the dates (the scenario's).
    channels, venues, study_area, crs
        The scenario's channels and loaded venues, study area and working CRS. Without them only
        the row checks run (``geo-outreach log validate LOG``); with them a row must name a
        channel of the scenario, a venue id of it (or coordinates) within ``max_outside_km`` of
        the study area.

    Returns
    -------
    CampaignLog
        The kept activities, the rejects and the manifest facts.

    Raises
    ------
    InputDataError
        When the file is missing, unreadable, lacks required columns or no row is usable.
    """
    df, cols, facts = _read(src)
    rej = Rejects(LAYER, str(src.path))
    rows = _check_rows(df, cols, src, tz, rej)
    if channels is not None and venues is not None and study_area is not None and crs is not None:
        acts = _locate(rows, rej, cols, channels=channels, venues=venues, study_area=study_area,
                       crs=crs, max_outside_km=max_outside_km)  # fmt: skip
    else:
        pts = _wgs84_points(rows)
        acts = gpd.GeoDataFrame(
            rows.drop(columns=["lon", "lat", "datum", "_row"]).assign(radius_m=np.nan),
            geometry=pts.values,
            crs="EPSG:4326",
        )
    if len(acts) == 0:
        raise InputDataError(
            f"{src.path}: no usable campaign log rows ({len(rej.rows)} rejected): "
            + "; ".join(f"row {r['row']}: {r['reason']}" for r in rej.rows[:3])
        )
    facts.update(
        rows_loaded=len(acts),
        rows_rejected=len(rej.rows),
        columns={k: v for k, v in cols.items() if v},
        synthetic=src.synthetic,
    )
    return CampaignLog(activities=acts, rejects=rej.frame(), facts=facts)
