"""One builder per map layer: a frame of the output folder -> the JSON payload ``map.js`` draws.

Heavy layers are not folium objects: they travel as one compact JSON payload (coordinates
rounded to 1e-5°). Many alerts are aggregated to a square grid drawn on one canvas, many venues
go into a marker cluster, streets are simplified into one canvas polyline. Every popup is built
with :func:`geo_outreach.render.format.popup_html` (escaped).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach._validate import PATROL_ROUTE, PATROL_STOP
from geo_outreach.crs import from_wgs84_lonlat
from geo_outreach.i18n import MESSAGES, category_label, kind_label, t
from geo_outreach.render.folder import OutputFolder
from geo_outreach.render.format import (
    esc,
    fmt_num,
    get,
    isnum,
    popup_html,
    trend_text,
)
from geo_outreach.render.geometry import latlngs, point_ll, rnd
from geo_outreach.render.popups import (
    hotspot_popup,
    peak_text,
    site_name,
    site_popup,
    stop_popup,
)
from geo_outreach.render.style import (
    CHORO_COLORS,
    GRID_COLORS,
    HOT_COLORS,
    KIND_COLORS,
    ChannelStyle,
    breaks,
    channel_info,
    choropleth_colors,
    choropleth_metric,
    class_labels,
    classify,
    hot_levels,
    metric_values,
)

__all__ = [
    "ChannelLayer",
    "alerts_layer",
    "channel_layers",
    "area_layer",
    "hotspot_layer",
    "patrol_layer",
    "precinct_layer",
    "streets_lines",
    "venues_layer",
]

Json = dict[str, Any]

MAX_ALERT_POINTS = 3000  # above this, alerts are drawn as grid totals
MAX_GRID_CELLS = 6000
MAX_PLAIN_VENUES = 300  # above this, venues go into a marker cluster
MAX_STREET_VERTICES = 80_000


def _props_rows(row: Any, skip: set[str], lang: str) -> list[tuple[str, Any]]:
    rows = []
    for k in row.index:
        if k in skip or k == "geometry":
            continue
        v = get(row, k)
        if v is None:
            continue
        label = t(k, lang) if k in MESSAGES else k
        if isinstance(v, float):
            v = fmt_num(v, 0 if float(v).is_integer() else 2)
        rows.append((label, v))
    return rows


# --------------------------------------------------------------------------- precincts


def _precinct_rows(row: Any, lang: str) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        (t("population", lang), fmt_num(get(row, "population"))),
        (t("area_km2", lang), fmt_num(get(row, "area_km2"), 1)),
        (t("alerts", lang), fmt_num(get(row, "alerts"))),
        (t("alerts_per_km2", lang), fmt_num(get(row, "alerts_per_km2"), 2)),
        (t("alerts_per_10k", lang), fmt_num(get(row, "alerts_per_10k"), 1)),
    ]
    if get(row, "latest_month") is not None:
        rows += [
            (t("last_month", lang), get(row, "latest_month")),
            (t("last_month_alerts", lang), fmt_num(get(row, "latest_alerts"))),
            (t("mom", lang), trend_text(get(row, "mom_pct"), get(row, "mom_p"), lang)),
            (t("yoy", lang), trend_text(get(row, "yoy_pct"), get(row, "yoy_p"), lang)),
        ]
    return rows


def precinct_layer(precincts: gpd.GeoDataFrame, lang: str) -> tuple[list[Json], Json | None]:
    """Build the choropleth: one item per precinct, and its legend.

    Parameters
    ----------
    precincts
        ``precincts.geojson`` (in the base map's datum).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    tuple
        ``(items, legend)``; the legend is None without a metric.
    """
    metric = choropleth_metric(precincts)
    values = metric_values(precincts, metric)
    colors, brk = choropleth_colors(values, missing="#dddddd") if metric else ([], [])
    items = []
    for i, (_, row) in enumerate(precincts.iterrows()):
        title = f"{t('precinct', lang)} {row['name']}"
        items.append(
            {
                "g": latlngs(row.geometry),
                "c": colors[i] if metric else "#dddddd",
                "t": popup_html(title, _precinct_rows(row, lang)),
                "n": esc(row["name"]),
                "ll": point_ll(row.geometry),
            }
        )
    legend = None
    if metric:
        vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
        unit = "legend_rate_unit" if metric == "alerts_per_10k" else "legend_alerts_unit"
        legend = {
            "title": t(unit, lang),
            "classes": list(zip(CHORO_COLORS[: len(brk) + 1], class_labels(brk, vmax))),
        }
    return items, legend


# --------------------------------------------------------------------------- alerts


def _alert_points(a: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, lang: str) -> Json:
    pts = []
    for i, (_, row) in enumerate(a.iterrows()):
        title = category_label(str(get(row, "category") or ""), lang)
        pid = get(row, "precinct_id")
        rows = [
            (t("reported_at", lang), get(row, "reported_at")),
            (t("age_band", lang), get(row, "age_band")),
            (t("precinct", lang), t("outside_precincts", lang) if pid == "outside" else pid),
            ("ID", get(row, "alert_id")),
        ]
        pts.append([rnd(lat[i]), rnd(lon[i]), popup_html(title, rows)])
    return {"mode": "points", "pts": pts}


def _alert_grid(lon: np.ndarray, lat: np.ndarray, lang: str) -> tuple[Json, Json]:
    """Grid totals: a square grid in metres (local equirectangular approximation)."""
    lat0 = float(np.nanmean(lat))
    m_lat = 110_574.0
    m_lon = 111_320.0 * math.cos(math.radians(lat0))
    span = max(
        (np.nanmax(lon) - np.nanmin(lon)) * m_lon, (np.nanmax(lat) - np.nanmin(lat)) * m_lat, 1.0
    )
    cell = 250.0
    while True:
        dx, dy = cell / m_lon, cell / m_lat
        ix = np.floor(lon / dx).astype(np.int64)
        iy = np.floor(lat / dy).astype(np.int64)
        cells = pd.DataFrame({"ix": ix, "iy": iy}).value_counts()
        if len(cells) <= MAX_GRID_CELLS or cell > span:
            break
        cell *= 1.5
    counts = cells.to_numpy()
    brk = breaks(np.log1p(counts.astype(float)), len(GRID_COLORS))
    out = []
    for (cx, cy), n in cells.sort_index().items():
        k = min(classify(math.log1p(n), brk), len(GRID_COLORS) - 1)
        out.append([rnd(cy * dy), rnd(cx * dx), rnd((cy + 1) * dy), rnd((cx + 1) * dx), int(n), k])
    edges = [math.expm1(b) for b in brk]
    labels = class_labels(edges, float(counts.max()))
    legend = {
        "grid": True,
        "cell_m": round(cell),
        "classes": list(zip(GRID_COLORS[: len(edges) + 1], labels)),
    }
    layer = {
        "mode": "grid",
        "cells": out,
        "palette": list(GRID_COLORS),
        "label": esc(t("cell_alerts", lang)),
    }
    return layer, legend


def alerts_layer(alerts: pd.DataFrame, datum: str, lang: str) -> tuple[Json | None, Json | None]:
    """Alerts as points with popups, or as grid totals when there are many.

    Parameters
    ----------
    alerts
        ``alerts.csv`` (WGS84 ``lon``/``lat``).
    datum
        The base map's datum.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    tuple
        ``(layer, legend)``, both None without located alerts.
    """
    a = alerts.dropna(subset=["lon", "lat"])
    if a.empty:
        return None, None
    lon, lat = from_wgs84_lonlat(a["lon"].to_numpy(float), a["lat"].to_numpy(float), datum)
    if len(a) <= MAX_ALERT_POINTS:
        return _alert_points(a, lon, lat, lang), {"points": True}
    return _alert_grid(lon, lat, lang)


# --------------------------------------------------------------------------- hot spots, clusters


def hotspot_layer(hot: gpd.GeoDataFrame, lang: str) -> list[Json]:
    """Significant hot and cold cells of ``hotspots.geojson``, coloured by confidence.

    Parameters
    ----------
    hot
        ``hotspots.geojson`` (in the base map's datum).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    list of dict
        One item per significant cell.
    """
    items = []
    levels = hot_levels(hot)  # issue 14: only the significant cells are visited
    for (_, row), lvl in zip(hot[levels != 0].iterrows(), levels[levels != 0], strict=True):
        lvl = int(lvl)
        items.append(
            {
                "g": latlngs(row.geometry),
                "s": {"color": HOT_COLORS[lvl], "weight": 1 + abs(lvl) * 0.5},
                "t": hotspot_popup(row, lvl, lang),
            }
        )
    return items


def area_layer(gdf: gpd.GeoDataFrame, popup: Callable[[Any], str]) -> list[Json]:
    """Polygons with a plain-language popup (clusters, uncovered hot spots).

    Parameters
    ----------
    gdf
        The layer (in the base map's datum).
    popup
        Builds a row's popup HTML (escaped), e.g. :func:`~geo_outreach.render.popups.cluster_popup`.

    Returns
    -------
    list of dict
        One item per non-empty geometry.
    """
    items = []
    for _, row in gdf.iterrows():
        g = latlngs(row.geometry)
        if g:
            items.append({"g": g, "t": popup(row)})
    return items


# --------------------------------------------------------------------------- venues


def venues_layer(venues: gpd.GeoDataFrame, lang: str) -> tuple[Json, list[tuple[str, str]]]:
    """Venue points coloured by kind (clustered when there are many).

    Parameters
    ----------
    venues
        ``venues.geojson`` (in the base map's datum).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    tuple
        ``(layer, [(colour, escaped kind label), ...])``.
    """
    kinds = sorted(venues["kind"].astype(str).unique())
    idx = {k: i for i, k in enumerate(kinds)}
    kind_entries = [[esc(kind_label(k, lang)), KIND_COLORS.get(k, "#bbbbbb")] for k in kinds]
    pts = []
    for _, row in venues.iterrows():
        ll = point_ll(row.geometry)
        k = str(get(row, "kind") or "other")
        name = esc(get(row, "name") or get(row, "venue_id") or "")
        pts.append([ll[0], ll[1], idx.get(k, 0), name])
    layer = {"cluster": len(pts) > MAX_PLAIN_VENUES, "kinds": kind_entries, "pts": pts}
    return layer, [(c, n) for n, c in kind_entries]


# --------------------------------------------------------------------------- placements


@dataclass(frozen=True)
class ChannelLayer:
    """The placements of one channel on the map.

    Attributes
    ----------
    style
        The channel's name, label, colour and manifest settings.
    sites
        One marker per placement, in rank order (``k`` = rank, for the what-if slider).
    reach
        Reach polygons (``{"g": ...}``) or circles (``{"ll": ..., "r": ...}``), each with the
        rank ``k`` of its site.
    curve
        Covered share for 0, 1, 2 ... sites (``coverage_curve.csv``), as long as the sites list
        plus one when the curve has it, else empty.
    """

    style: ChannelStyle
    sites: list[Json]
    reach: list[Json]
    curve: list[float] = field(default_factory=list)

    @property
    def n_existing(self) -> int:
        """The number of existing sites among the placements."""
        return sum(bool(s["existing"]) for s in self.sites)


def _sites(
    pl: pd.DataFrame, ch: ChannelStyle, precincts: pd.DataFrame, peaks: str, lang: str
) -> list[Json]:
    sites = []
    for i, (_, row) in enumerate(pl.iterrows(), start=1):
        existing = bool(get(row, "existing"))
        rank = get(row, "rank")
        k = int(float(rank)) if isnum(rank) else i
        name = site_name(get(row, "name") or get(row, "venue_id") or "", lang)
        pid = get(row, "precinct_id")
        prow = precincts.loc[pid] if pid is not None and pid in precincts.index else None
        sites.append(
            {
                "ll": point_ll(row.geometry),
                "label": esc(k),
                "k": k,
                "existing": existing,
                "title": esc(f"{ch.label} #{k} {name}"),
                "t": site_popup(row, ch, prow, peaks, lang),
            }
        )
    return sites


def _reach_items(reach: gpd.GeoDataFrame | None, ch: ChannelStyle, sites: list[Json]) -> list[Json]:
    """Reach polygons of ``reach.geojson``, else circles of the channel's radius."""
    rch = reach[reach["channel"].astype(str) == ch.name] if reach is not None else None
    if rch is not None and not rch.empty:
        ranks = pd.to_numeric(rch["rank"], errors="coerce") if "rank" in rch.columns else None
        out = []
        for j, g in enumerate(rch.geometry):
            if g is None or g.is_empty:
                continue
            k = ranks.iloc[j] if ranks is not None else np.nan
            out.append({"g": latlngs(g), "k": int(k) if np.isfinite(k) else 0})
        return out
    radius = ch.info.get("radius_m")
    if isnum(radius):
        return [{"ll": s["ll"], "r": float(radius), "k": s["k"]} for s in sites]
    return []


def _curve(folder: OutputFolder, name: str, n_sites: int) -> list[float]:
    """Covered share for k = 0..n_sites from ``coverage_curve.csv`` (empty when incomplete)."""
    cc = folder.coverage_curve
    if cc is None or cc.empty:
        return []
    c = cc[cc["channel"].astype(str) == name]
    share = dict(
        zip(
            pd.to_numeric(c["k"], errors="coerce"),
            pd.to_numeric(c["covered_share"], errors="coerce"),
            strict=True,
        )
    )
    share.setdefault(0.0, 0.0)
    out = [share.get(float(k)) for k in range(n_sites + 1)]
    if any(v is None or not math.isfinite(v) for v in out):
        return []
    return [round(float(v), 4) for v in out if v is not None]


def channel_layers(
    folder: OutputFolder,
    placements: gpd.GeoDataFrame | None,
    reach: gpd.GeoDataFrame | None,
    lang: str,
) -> list[ChannelLayer]:
    """Build the placements of every channel that has some, in channel order.

    A patrol channel whose stops the patrol route layer draws is left out (drawn once).

    Parameters
    ----------
    folder
        The output folder (channels, precincts, coverage curve, peak windows).
    placements
        ``placements.geojson`` (in the base map's datum).
    reach
        Display reach polygons (in the base map's datum).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    list of ChannelLayer
        One per channel with placements.
    """
    if placements is None or placements.empty:
        return []
    precincts = folder.precincts.set_index("precinct_id", drop=False)
    peaks = peak_text(list(folder.manifest.get("peak_windows") or []), lang)
    has_route = folder.patrol is not None and not folder.patrol.empty
    out = []
    for ch in channel_info(folder, lang):
        if has_route and ch.info.get("type") == "patrol":
            continue
        pl = placements[placements["channel"].astype(str) == ch.name]
        if pl.empty:
            continue
        pl = pl.assign(_rk=pd.to_numeric(pl["rank"], errors="coerce")).sort_values("_rk")
        sites = _sites(pl, ch, precincts, peaks, lang)
        out.append(
            ChannelLayer(
                style=ch,
                sites=sites,
                reach=_reach_items(reach, ch, sites),
                curve=_curve(folder, ch.name, len(sites)),
            )
        )
    return out


# --------------------------------------------------------------------------- patrol, streets


def _patrol_stop(row: Any, n: int, names: dict[str, str], peaks: str, lang: str) -> Json:
    order = get(row, "order")
    label = int(float(order)) if isnum(order) else n + 1
    vid = str(get(row, "venue_id") or "")
    name = names.get(vid) or vid
    return {
        "ll": point_ll(row.geometry),
        "label": esc(label),
        "title": esc(f"{t('legend_patrol_stop', lang)} {label} {site_name(name, lang)}"),
        "t": stop_popup(row, name, peaks, lang),
    }


def patrol_layer(
    patrol: gpd.GeoDataFrame, lang: str, placements: pd.DataFrame | None = None, peaks: str = ""
) -> Json | None:
    """Build the patrol route line and its stops with time windows.

    Parameters
    ----------
    patrol
        ``patrol_route.geojson`` (in the base map's datum).
    lang
        ``zh`` or ``en``.
    placements
        ``placements.geojson``: the stops' names by ``venue_id`` (the route file has none).
    peaks
        The plan's peak windows in the page's language (default: the stops' ``windows``).

    Returns
    -------
    dict or None
        ``{"lines": ..., "stops": ...}``, None when there is neither.
    """
    lines: list[Any] = []
    stops: list[Json] = []
    names: dict[str, str] = {}
    if placements is not None and not placements.empty:
        named = placements.dropna(subset=["venue_id", "name"])
        names = dict(zip(named["venue_id"].astype(str), named["name"].astype(str), strict=True))
    for _, row in patrol.iterrows():
        feature = get(row, "feature")
        if feature == PATROL_ROUTE:
            ll = latlngs(row.geometry)
            lines.extend(ll if row.geometry.geom_type == "MultiLineString" else [ll])
        elif feature == PATROL_STOP:
            stops.append(_patrol_stop(row, len(stops), names, peaks, lang))
    if not lines and not stops:
        return None
    return {"lines": lines, "stops": stops}


def streets_lines(streets: gpd.GeoDataFrame) -> list[Any]:
    """Street lines simplified until they fit :data:`MAX_STREET_VERTICES`.

    Parameters
    ----------
    streets
        ``streets.geojson`` (in the base map's datum).

    Returns
    -------
    list
        One lat/lng list per line.
    """
    geoms = streets.geometry[streets.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    if geoms.empty:
        return []
    tol = 0.00002  # ~2 m
    while True:
        simp = geoms.simplify(tol, preserve_topology=False)
        n = int(shapely.get_num_coordinates(simp.values).sum())
        if n <= MAX_STREET_VERTICES or tol > 0.002:
            break
        tol *= 2
    out: list[Any] = []
    for g in simp:
        ll = latlngs(g)
        if g.geom_type == "MultiLineString":
            out.extend(x for x in ll if len(x) > 1)
        elif len(ll) > 1:
            out.append(ll)
    return out
