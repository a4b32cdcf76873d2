"""The plan map (``map.html``): one self-contained, offline Leaflet page rendered with folium
from the files of an output folder.

Rendering reads only files (see :mod:`geo_outreach.outputs` for the list), so ``geo-outreach
render OUTDIR`` can redraw a finished plan without recomputing it. Optional files that are
missing simply leave their layer out; ``manifest.json`` and ``precincts.geojson`` are required.

Offline by construction
-----------------------
folium's default page pulls Leaflet, jQuery, Bootstrap and Font-Awesome from CDNs, which is a
blank page on an air-gapped police network. We clear ``Map.default_js``/``default_css`` and
inline Leaflet 1.9.3 and Leaflet.markercluster from the ``xstatic-leaflet`` and
``xstatic-leaflet-markercluster`` packages (their CSS images as ``data:`` URIs); markers are
``DivIcon``\\ s styled by inline CSS, so no icon font or image is fetched. With
``basemap="none"`` the page makes no request at all.

Size
----
Heavy layers are not folium objects: they travel as one compact JSON payload
(``<script type="application/json" id="geo-outreach-data">``, coordinates rounded to 1e-5°) that
``assets/map.js`` draws. Many alerts are aggregated to a square grid drawn on one canvas, many
venues go into a marker cluster, streets are simplified into one canvas polyline.

Escaping
--------
Every popup, tooltip and label is built here as HTML in which each user-supplied string (names,
categories, labels from the manifest) went through :func:`html.escape`; ``map.js`` only
concatenates these strings. The JSON payload additionally escapes ``<`` so no string can close
the ``<script>`` element.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach._errors import InputDataError, ScenarioError
from geo_outreach.crs import from_wgs84_lonlat, gdf_from_wgs84
from geo_outreach.i18n import channel_label, check_lang, kind_label, t
from geo_outreach.outputs import write_text

log = logging.getLogger(__name__)

#: Share of the top density value below which the density overlay is transparent.
DENSITY_FLOOR = 0.05

__all__ = [
    "BASEMAPS",
    "OutputFolder",
    "load_output_folder",
    "render_map",
    "render_outputs",
]

# name -> (url template, attribution, datum of the tiles, subdomains)
BASEMAPS: dict[str, tuple[str, str, str, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors",
        "wgs84",
        "abc",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk={tk}",
        "&copy; 天地图 Tianditu",
        "wgs84",
        "01234567",
    ),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi",
        "gcj02",
        "1234",
    ),
}
TIANDITU_KEY_ENV = "TIANDITU_TK"

CHANNEL_COLORS = ("#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928",
                  "#a6cee3", "#fb9a99", "#cab2d6", "#666666")
KIND_COLORS = {
    "plaza": "#e41a1c", "park": "#4daf4a", "cafe": "#a65628", "logistics": "#ff7f00",
    "post_office": "#377eb8", "school": "#984ea3", "market": "#f781bf", "bus_stop": "#999999",
    "junction": "#ffff33",
}
CHORO_COLORS = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
GRID_COLORS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
HOT_COLORS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}

MAX_ALERT_POINTS = 3000  # above this, alerts are drawn as grid totals
MAX_GRID_CELLS = 6000
MAX_PLAIN_VENUES = 300  # above this, venues go into a marker cluster
MAX_STREET_VERTICES = 80_000
_ROUND = 5


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class OutputFolder:
    """The files of a plan's output folder, read back for rendering (all WGS84).

    Optional layers that were not written are ``None``.
    """

    path: Path
    manifest: dict[str, Any]
    precincts: gpd.GeoDataFrame
    alerts: pd.DataFrame | None = None
    venues: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    hotspots: gpd.GeoDataFrame | None = None
    clusters: gpd.GeoDataFrame | None = None
    placements: gpd.GeoDataFrame | None = None
    coverage_curve: pd.DataFrame | None = None
    reach: gpd.GeoDataFrame | None = None
    patrol: gpd.GeoDataFrame | None = None
    uncovered: gpd.GeoDataFrame | None = None
    monthly_trends: pd.DataFrame | None = None
    precinct_stats: pd.DataFrame | None = None
    evaluation: pd.DataFrame | None = None
    evaluation_summary: dict[str, Any] | None = None  # evaluation.json (``geo-outreach evaluate``)
    density_path: Path | None = None

    @property
    def title(self) -> str:
        return str(self.manifest.get("title") or "")

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic")) or bool(self.notes)

    @property
    def notes(self) -> list[str]:
        notes = self.manifest.get("notes") or []
        return [str(n) for n in notes] if isinstance(notes, list) else [str(notes)]

    @property
    def period(self) -> tuple[str, str]:
        p = self.manifest.get("period") or {}
        return str(p.get("start") or ""), str(p.get("end") or "")

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        ch = self.manifest.get("channels") or {}
        return ch if isinstance(ch, dict) else {}


_ID_COLUMNS = {c: str for c in ("alert_id", "precinct_id", "venue_id", "channel", "month",
                                "category", "age_band", "name", "kind")}


def _read_geo(path: Path) -> gpd.GeoDataFrame | None:
    if not path.is_file():
        return None
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types for broken files
        raise InputDataError(f"{path}: cannot read ({exc}); re-run `geo-outreach plan`") from None
    if gdf.crs is None or gdf.crs.is_geographic:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    else:
        gdf = gdf.to_crs("EPSG:4326")
    for col in ("precinct_id", "venue_id", "channel"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("string").fillna("").astype(str)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return gdf


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=_ID_COLUMNS, keep_default_na=True)
    except Exception as exc:  # noqa: BLE001 - parser, encoding and OS errors alike
        raise InputDataError(f"{path}: cannot read ({exc}); re-run `geo-outreach plan`") from None


def _read_json_optional(path: Path) -> dict[str, Any] | None:
    """An optional JSON object (``evaluation.json``); ``None`` when missing, and with a logged
    warning when unreadable or not an object (the rest of the folder still renders)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        log.warning("%s: not read (%s); re-run `geo-outreach evaluate`", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s: expected a JSON object; ignored", path)
        return None
    return data


TREND_FIELDS = ("last_month", "last_month_alerts", "mom_pct", "yoy_pct", "mom_p", "yoy_p")


def _latest_month_fields(precincts: gpd.GeoDataFrame, trends: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Precincts with the latest-month fields (``last_month``, ``last_month_alerts``, MoM/YoY
    and their p-values): taken from the precinct layer (``latest_month``/``latest_alerts`` are
    accepted too), else from monthly_trends.csv."""
    out = precincts.copy()
    for old, new in (("latest_month", "last_month"), ("latest_alerts", "last_month_alerts")):
        if old in out.columns and new not in out.columns:
            out[new] = out[old]
    if "last_month" in out.columns or trends is None or trends.empty:
        return out
    if not {"precinct_id", "month", "alerts"} <= set(trends.columns):
        return out
    tr = trends.assign(precinct_id=trends["precinct_id"].astype(str), month=trends["month"].astype(str))
    last = tr["month"].max()
    latest = tr[tr["month"] == last].drop_duplicates("precinct_id").set_index("precinct_id")
    out["last_month"] = last
    out["last_month_alerts"] = out["precinct_id"].map(latest["alerts"])
    for col in ("mom_pct", "yoy_pct", "mom_p", "yoy_p"):
        if col in latest.columns and col not in out.columns:
            out[col] = out["precinct_id"].map(latest[col])
    return out


def load_output_folder(out_dir: str | Path) -> OutputFolder:
    """Read the files of an output folder.

    Raises
    ------
    InputDataError
        When the folder lacks ``manifest.json`` or ``precincts.geojson`` (run ``geo-outreach plan``
        first) or a file cannot be read.
    """
    out = Path(out_dir)
    for required in ("manifest.json", "precincts.geojson"):
        if not (out / required).is_file():
            raise InputDataError(
                f"{out}: no {required} in this folder; run `geo-outreach plan SCENARIO` first "
                f"(or pass the output folder of a finished plan)"
            )
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{out / 'manifest.json'}: not valid JSON ({exc}); re-run `geo-outreach plan`") from None
    if not isinstance(manifest, dict):
        raise InputDataError(f"{out / 'manifest.json'}: expected a JSON object; re-run `geo-outreach plan`")
    precincts = _read_geo(out / "precincts.geojson")
    assert precincts is not None
    if "precinct_id" not in precincts.columns:
        raise InputDataError(f"{out / 'precincts.geojson'}: no precinct_id property; re-run `geo-outreach plan`")
    if "name" not in precincts.columns:
        precincts["name"] = precincts["precinct_id"]
    trends = _read_csv(out / "monthly_trends.csv")
    precincts = _latest_month_fields(precincts, trends)

    placements = _read_geo(out / "placements.geojson")
    if placements is None:
        pl = _read_csv(out / "placements.csv")
        if pl is not None and {"lon", "lat"} <= set(pl.columns):
            placements = gpd.GeoDataFrame(pl, geometry=gpd.points_from_xy(pl["lon"], pl["lat"]),
                                          crs="EPSG:4326")
    density = out / "density.tif"
    return OutputFolder(
        path=out,
        manifest=manifest,
        precincts=precincts,
        alerts=_read_csv(out / "alerts.csv"),
        venues=_read_geo(out / "venues.geojson"),
        streets=_read_geo(out / "streets.geojson"),
        hotspots=_read_geo(out / "hotspots.geojson"),
        clusters=_read_geo(out / "clusters.geojson"),
        placements=placements,
        coverage_curve=_read_csv(out / "coverage_curve.csv"),
        reach=_read_geo(out / "reach.geojson"),
        patrol=_read_geo(out / "patrol_route.geojson"),
        uncovered=_read_geo(out / "uncovered_hotspots.geojson"),
        monthly_trends=trends,
        precinct_stats=_read_csv(out / "precinct_stats.csv"),
        evaluation=_read_csv(out / "evaluation.csv"),
        evaluation_summary=_read_json_optional(out / "evaluation.json"),
        density_path=density if density.is_file() else None,
    )


# --------------------------------------------------------------------------- formatting


def esc(value: Any) -> str:
    """HTML-escape any value for a popup, tooltip, label or report cell."""
    return html.escape("" if value is None else str(value), quote=True)


def _isnum(x: Any) -> bool:
    try:
        return x is not None and not isinstance(x, bool) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x: Any, digits: int = 0) -> str:
    """A number with thousands separators, '–' when missing."""
    if not _isnum(x):
        return "–"
    return f"{float(x):,.{digits}f}"


def fmt_pct(x: Any, *, signed: bool = True, digits: int = 1) -> str:
    """A percentage (the input already in percent), '–' when missing."""
    if not _isnum(x):
        return "–"
    return f"{float(x):+.{digits}f}%" if signed else f"{float(x):.{digits}f}%"


def fmt_share(x: Any) -> str:
    """A share in 0..1 shown as a percentage."""
    return fmt_pct(float(x) * 100.0, signed=False) if _isnum(x) else "–"


def fmt_sig(p: Any, lang: str) -> str:
    """'p=0.012, significant' style text; '' when no p-value."""
    if not _isnum(p):
        return ""
    word = t("significant", lang) if float(p) < 0.05 else t("not_significant", lang)
    return f"p={float(p):.3f}, {word}"


def _trend_text(pct: Any, p: Any, lang: str) -> str:
    s = fmt_pct(pct)
    sig = fmt_sig(p, lang)
    return f"{s} ({sig})" if sig else s


def popup_html(title: str, rows: list[tuple[str, Any]], *, why: list[tuple[str, Any]] | None = None) -> str:
    """A popup: escaped title and a two-column table of escaped label/value pairs."""
    parts = [f'<div class="go-pop-title">{esc(title)}</div><table class="go-pop">']
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows if v not in (None, "")]
    parts.append("</table>")
    if why:
        parts.append(f'<div class="go-pop-why">{esc(why[0][1])}</div><table class="go-pop">')
        parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in why[1:] if v not in (None, "")]
        parts.append("</table>")
    return "".join(parts)


def _get(row: Any, key: str) -> Any:
    try:
        v = row[key]
    except (KeyError, IndexError):
        return None
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


# --------------------------------------------------------------------------- geometry encoding


def _r(x: float) -> float:
    return round(float(x), _ROUND)


def _ring(coords: Any) -> list[list[float]]:
    return [[_r(y), _r(x)] for x, y, *_ in coords]


def latlngs(geom: shapely.Geometry) -> Any:
    """A shapely geometry as Leaflet lat/lng nested lists (polygons with holes, multi-parts)."""
    if geom is None or geom.is_empty:
        return []
    gt = geom.geom_type
    if gt == "Polygon":
        return [_ring(geom.exterior.coords)] + [_ring(i.coords) for i in geom.interiors]
    if gt == "MultiPolygon":
        return [latlngs(g) for g in geom.geoms]
    if gt == "LineString":
        return _ring(geom.coords)
    if gt == "MultiLineString":
        return [_ring(g.coords) for g in geom.geoms]
    if gt == "Point":
        return [_r(geom.y), _r(geom.x)]
    if gt == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return latlngs(shapely.union_all(polys)) if polys else []
    return []


def _point_ll(geom: shapely.Geometry) -> list[float]:
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return [_r(p.y), _r(p.x)]


def _shift(gdf: gpd.GeoDataFrame | None, datum: str) -> gpd.GeoDataFrame | None:
    if gdf is None or datum == "wgs84" or gdf.empty:
        return gdf
    return gdf_from_wgs84(gdf, datum)


def _json_for_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # keep the payload from closing its <script> element ("</") or entering the HTML parser's
    # escaped-script states ("<!--"); user text is HTML-escaped already, so it has no "<" at all
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


# --------------------------------------------------------------------------- assets


def _asset(name: str) -> str:
    return resources.files("geo_outreach").joinpath("assets", name).read_text(encoding="utf-8")


def _xstatic_dir(module: str, pip_name: str) -> Path:
    try:
        mod = __import__(f"xstatic.pkg.{module}", fromlist=["BASE_DIR"])
    except ImportError:
        raise InputDataError(
            f"the offline map needs the {pip_name} package; install it with `pip install {pip_name}`"
        ) from None
    return Path(mod.BASE_DIR)


def _inline_css_images(css: str, base: Path) -> str:
    import re

    def repl(m: re.Match[str]) -> str:
        ref = m.group(2)
        p = base / ref
        if ref.startswith("data:") or not p.is_file():
            return m.group(0)
        b64 = base64.b64encode(p.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    return re.sub(r"url\((['\"]?)([^)'\"]+)\1\)", repl, css)


def offline_assets() -> tuple[str, str]:
    """(CSS, JS) of Leaflet + Leaflet.markercluster + our own, ready to inline."""
    leaflet = _xstatic_dir("leaflet", "xstatic-leaflet")
    cluster = _xstatic_dir("leaflet_markercluster", "xstatic-leaflet-markercluster")
    css = "\n".join([
        _inline_css_images((leaflet / "leaflet.css").read_text(encoding="utf-8"), leaflet),
        (cluster / "MarkerCluster.css").read_text(encoding="utf-8"),
        (cluster / "MarkerCluster.Default.css").read_text(encoding="utf-8"),
        _asset("map.css"),
    ])
    js = "\n".join([
        (leaflet / "leaflet.js").read_text(encoding="utf-8"),
        (cluster / "leaflet.markercluster.js").read_text(encoding="utf-8"),
    ])
    # a source-map comment would make devtools fetch the .map file
    js = "\n".join(line for line in js.splitlines() if not line.startswith("//# sourceMappingURL"))
    return css, js


def _inline_script(js: str) -> str:
    return "<script>\n" + js.replace("</script", "<\\/script") + "\n</script>"


# --------------------------------------------------------------------------- layers


def _breaks(values: np.ndarray, n: int) -> list[float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return [0.0]
    qs = np.unique(np.quantile(v, np.linspace(0, 1, n + 1)[1:-1]))
    return [float(q) for q in qs]


def _classify(x: float, breaks: list[float]) -> int:
    return int(np.searchsorted(breaks, x, side="right"))


def _nice(x: float) -> str:
    return fmt_num(x, 0 if abs(x) >= 100 else 1)


def _class_labels(breaks: list[float], vmax: float) -> list[str]:
    edges = [0.0, *breaks, vmax]
    return [f"{_nice(edges[i])} – {_nice(edges[i + 1])}" for i in range(len(edges) - 1)]


def _precinct_rows(row: Any, lang: str) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        (t("population", lang), fmt_num(_get(row, "population"))),
        (t("area_km2", lang), fmt_num(_get(row, "area_km2"), 1)),
        (t("alerts", lang), fmt_num(_get(row, "alerts"))),
        (t("alerts_per_km2", lang), fmt_num(_get(row, "alerts_per_km2"), 2)),
        (t("alerts_per_10k", lang), fmt_num(_get(row, "alerts_per_10k"), 1)),
    ]
    if _get(row, "last_month") is not None:
        rows += [
            (t("last_month", lang), _get(row, "last_month")),
            (t("last_month_alerts", lang), fmt_num(_get(row, "last_month_alerts"))),
            (t("mom", lang), _trend_text(_get(row, "mom_pct"), _get(row, "mom_p"), lang)),
            (t("yoy", lang), _trend_text(_get(row, "yoy_pct"), _get(row, "yoy_p"), lang)),
        ]
    return rows


def choropleth_metric(precincts: gpd.GeoDataFrame) -> str:
    """The column the choropleth shows: alerts per 10k residents when every precinct has a
    population, else the alert count (or '' when neither is there)."""
    if "alerts_per_10k" in precincts.columns and precincts["alerts_per_10k"].notna().all():
        return "alerts_per_10k"
    return "alerts" if "alerts" in precincts.columns else ""


def _precinct_layer(precincts: gpd.GeoDataFrame, lang: str) -> tuple[list[dict], dict | None]:
    metric = choropleth_metric(precincts)
    values = pd.to_numeric(precincts[metric], errors="coerce").to_numpy(float) if metric else np.array([])
    breaks = _breaks(values, len(CHORO_COLORS)) if metric else []
    items = []
    for i, (_, row) in enumerate(precincts.iterrows()):
        color = "#dddddd"
        if metric and np.isfinite(values[i]):
            color = CHORO_COLORS[min(_classify(values[i], breaks), len(CHORO_COLORS) - 1)]
        title = f"{t('precinct', lang)} {row['name']} ({row['precinct_id']})"
        items.append({"g": latlngs(row.geometry), "c": color, "t": popup_html(title, _precinct_rows(row, lang))})
    legend = None
    if metric:
        vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
        legend = {
            "title": t("legend_rate_unit" if metric == "alerts_per_10k" else "legend_alerts_unit", lang),
            "classes": list(zip(CHORO_COLORS[: len(breaks) + 1], _class_labels(breaks, vmax))),
        }
    return items, legend


def _alerts_layer(alerts: pd.DataFrame, datum: str, lang: str) -> tuple[dict | None, dict | None]:
    a = alerts.dropna(subset=["lon", "lat"]) if {"lon", "lat"} <= set(alerts.columns) else None
    if a is None or a.empty:
        return None, None
    lon, lat = from_wgs84_lonlat(a["lon"].to_numpy(float), a["lat"].to_numpy(float), datum)
    if len(a) <= MAX_ALERT_POINTS:
        pts = []
        for i, (_, row) in enumerate(a.iterrows()):
            title = f"{_get(row, 'category') or ''}"
            rows = [(t("reported_at", lang), _get(row, "reported_at")),
                    (t("age_band", lang), _get(row, "age_band")),
                    (t("precinct", lang), _get(row, "precinct_id")),
                    ("ID", _get(row, "alert_id"))]
            pts.append([_r(lat[i]), _r(lon[i]), popup_html(title, rows)])
        return {"mode": "points", "pts": pts}, {"points": True}
    # grid totals: a square grid in metres (local equirectangular approximation)
    lat0 = float(np.nanmean(lat))
    m_lat = 110_574.0
    m_lon = 111_320.0 * math.cos(math.radians(lat0))
    span = max((np.nanmax(lon) - np.nanmin(lon)) * m_lon, (np.nanmax(lat) - np.nanmin(lat)) * m_lat, 1.0)
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
    breaks = _breaks(np.log1p(counts.astype(float)), len(GRID_COLORS))
    out = []
    for (cx, cy), n in cells.sort_index().items():
        k = min(_classify(math.log1p(n), breaks), len(GRID_COLORS) - 1)
        out.append([_r(cy * dy), _r(cx * dx), _r((cy + 1) * dy), _r((cx + 1) * dx), int(n), k])
    edges = [math.expm1(b) for b in breaks]
    legend = {"grid": True, "cell_m": round(cell),
              "classes": list(zip(GRID_COLORS[: len(edges) + 1], _class_labels(edges, float(counts.max()))))}
    return {"mode": "grid", "cells": out, "palette": list(GRID_COLORS),
            "label": esc(t("cell_alerts", lang))}, legend


def _hot_level(row: Any) -> int:
    """+3/+2/+1 hot (99/95/90 % confidence), negative for cold, 0 not significant."""
    hc = _get(row, "hot_class")
    if hc is not None:
        if _isnum(hc):
            return int(max(-3, min(3, round(float(hc)))))
        s = str(hc).lower()
        sign = 1 if "hot" in s else -1 if "cold" in s else 0
        if sign == 0:
            return 0
        level = 3 if "99" in s else 2 if "95" in s else 1
        return sign * level
    z, p = _get(row, "gi_z"), _get(row, "p_fdr") if _get(row, "p_fdr") is not None else _get(row, "p")
    if _isnum(z) and _isnum(p):
        p = float(p)
        level = 3 if p < 0.01 else 2 if p < 0.05 else 1 if p < 0.1 else 0
        return int(np.sign(float(z))) * level
    return 0


def _hotspot_layer(hot: gpd.GeoDataFrame, lang: str) -> list[dict]:
    items = []
    for _, row in hot.iterrows():
        lvl = _hot_level(row)
        if lvl == 0:
            continue
        p = _get(row, "p_fdr") if _get(row, "p_fdr") is not None else _get(row, "p")
        rows = [(t("gi_z", lang), fmt_num(_get(row, "gi_z"), 2)),
                (t("p_value", lang), f"{float(p):.4f}" if _isnum(p) else None),
                (t("hot_class", lang), _get(row, "hot_class"))]
        title = t("legend_hot" if lvl > 0 else "legend_cold", lang)
        items.append({"g": latlngs(row.geometry), "c": HOT_COLORS[lvl],
                      "s": {"color": HOT_COLORS[lvl]}, "t": popup_html(title, rows)})
    return items


def _props_rows(row: Any, skip: set[str], lang: str) -> list[tuple[str, Any]]:
    from geo_outreach.i18n import MESSAGES

    rows = []
    for k, v in row.items():
        if k in skip or k == "geometry":
            continue
        v = _get(row, k)
        if v is None:
            continue
        label = t(k, lang) if k in MESSAGES else k
        if isinstance(v, float):
            v = fmt_num(v, 0 if float(v).is_integer() else 2)
        rows.append((label, v))
    return rows


def _generic_layer(gdf: gpd.GeoDataFrame, title_key: str, lang: str) -> list[dict]:
    items = []
    for _, row in gdf.iterrows():
        g = latlngs(row.geometry)
        if not g:
            continue
        label = _get(row, "name") or _get(row, "cluster_id") or _get(row, "cell_id") or ""
        title = f"{t(title_key, lang)} {label}".strip()
        items.append({"g": g, "t": popup_html(title, _props_rows(row, {"name"}, lang))})
    return items


def _venues_layer(venues: gpd.GeoDataFrame, lang: str) -> tuple[dict, list[tuple[str, str]]]:
    kinds = sorted(venues["kind"].astype(str).unique()) if "kind" in venues.columns else ["other"]
    idx = {k: i for i, k in enumerate(kinds)}
    kind_entries = [[esc(kind_label(k, lang)), KIND_COLORS.get(k, "#bbbbbb")] for k in kinds]
    pts = []
    for _, row in venues.iterrows():
        g = row.geometry
        ll = _point_ll(g)
        k = str(_get(row, "kind") or "other")
        pts.append([ll[0], ll[1], idx.get(k, 0), esc(_get(row, "name") or _get(row, "venue_id") or "")])
    layer = {"cluster": len(pts) > MAX_PLAIN_VENUES, "kinds": kind_entries, "pts": pts}
    return layer, [(c, n) for n, c in kind_entries]


def _is_existing(row: Any, existing_ids: set[str]) -> bool:
    v = _get(row, "existing")
    if v is not None:
        if isinstance(v, str):
            return v.strip().lower() in ("1", "true", "yes", "y", "existing")
        return bool(v)
    st = _get(row, "status")
    if isinstance(st, str) and st.lower() == "existing":
        return True
    return str(_get(row, "venue_id")) in existing_ids


def channel_info(folder: OutputFolder, lang: str) -> list[dict[str, Any]]:
    """One entry per channel in manifest order (then any channel only seen in placements):
    name, label, colour, manifest settings."""
    names = list(folder.channels)
    if folder.placements is not None and "channel" in folder.placements.columns:
        names += [c for c in folder.placements["channel"].astype(str).unique() if c not in names]
    out = []
    for i, name in enumerate(names):
        info = dict(folder.channels.get(name) or {})
        out.append({"name": name, "label": channel_label(name, lang, info.get("label")),
                    "color": CHANNEL_COLORS[i % len(CHANNEL_COLORS)], "info": info})
    return out


def _placement_popup(row: Any, ch: dict, precincts: pd.DataFrame, lang: str, existing: bool) -> str:
    info = ch["info"]
    name = _get(row, "name") or _get(row, "venue_id") or ""
    rank = _get(row, "rank")
    rank_s = str(int(float(rank))) if _isnum(rank) else ""
    head = f"{ch['label']} #{rank_s} · {name}" if rank_s else f"{ch['label']} · {name}"
    status = t("existing", lang) if existing else t("recommended", lang)
    rows = [
        (t("kind", lang), kind_label(str(_get(row, "kind") or ""), lang) if _get(row, "kind") else None),
        (t("site_status", lang), status),
        ("ID", _get(row, "venue_id")),
    ]
    pid = _get(row, "precinct_id")
    prow = precincts.loc[pid] if pid is not None and pid in precincts.index else None
    if prow is not None:
        rows.append((t("precinct", lang), f"{prow['name']} ({pid})"))
    elif pid is not None:
        rows.append((t("precinct", lang), pid))
    total = info.get("total_weight")
    cw = _get(row, "covered_weight")
    share = float(cw) / float(total) if _isnum(cw) and _isnum(total) and float(total) > 0 else None
    dist = _get(row, "distance") if _get(row, "distance") is not None else _get(row, "distance_m")
    why = [
        ("", t("why_chosen", lang)),
        (t("covered_weight", lang), fmt_num(cw, 1)),
        (t("share_of_channel", lang), fmt_share(share) if share is not None else None),
        (t("marginal_weight", lang), fmt_num(_get(row, "marginal_weight"), 1)),
        (t("cumulative_share", lang), fmt_share(_get(row, "cumulative_share"))),
        (t("distance", lang), f"{fmt_num(dist)} m" if _isnum(dist) else None),
        (t("radius_m", lang), fmt_num(info.get("radius_m")) if _isnum(info.get("radius_m")) else None),
    ]
    if prow is not None and _get(prow, "last_month") is not None:
        why.append((t("trend", lang),
                    (f"{_get(prow, 'last_month')}: {fmt_num(_get(prow, 'last_month_alerts'))} · "
                    f"{t('mom', lang)} {_trend_text(_get(prow, 'mom_pct'), _get(prow, 'mom_p'), lang)} · "
                    f"{t('yoy', lang)} {_trend_text(_get(prow, 'yoy_pct'), _get(prow, 'yoy_p'), lang)}")))
    return popup_html(head, rows, why=why)


def _channel_layers(folder: OutputFolder, placements: gpd.GeoDataFrame | None,
                    reach: gpd.GeoDataFrame | None, lang: str) -> list[dict]:
    if placements is None or placements.empty or "channel" not in placements.columns:
        return []
    precincts = folder.precincts.set_index("precinct_id", drop=False)
    out = []
    for ch in channel_info(folder, lang):
        pl = placements[placements["channel"].astype(str) == ch["name"]]
        if pl.empty:
            continue
        if "rank" in pl.columns:
            pl = pl.assign(_rk=pd.to_numeric(pl["rank"], errors="coerce")).sort_values("_rk")
        existing_ids = {str(v) for v in (ch["info"].get("existing") or [])}
        sites, reach_items = [], []
        for _, row in pl.iterrows():
            existing = _is_existing(row, existing_ids)
            rank = _get(row, "rank")
            label = str(int(float(rank))) if _isnum(rank) else "•"
            name = str(_get(row, "name") or _get(row, "venue_id") or "")
            sites.append({"ll": _point_ll(row.geometry), "label": esc(label), "existing": existing,
                          "title": esc(f"{ch['label']} #{label} {name}"),
                          "t": _placement_popup(row, ch, precincts, lang, existing)})
        rch = None
        if reach is not None and "channel" in reach.columns:
            rch = reach[reach["channel"].astype(str) == ch["name"]]
        if rch is not None and not rch.empty:
            reach_items = [{"g": latlngs(g)} for g in rch.geometry if g is not None and not g.is_empty]
        else:
            radius = ch["info"].get("radius_m")
            if _isnum(radius):
                reach_items = [{"ll": s["ll"], "r": float(radius)} for s in sites]
        out.append({"name": ch["name"], "label": ch["label"], "color": ch["color"],
                    "sites": sites, "reach": reach_items,
                    "n_existing": sum(s["existing"] for s in sites)})
    return out


def display_reach(reach: gpd.GeoDataFrame | None, *, close_m: float = 40.0,
                  tolerance_m: float = 10.0) -> gpd.GeoDataFrame | None:
    """Reach polygons cleaned for display: walking service areas built from street buffers are
    closed by ``close_m`` (gaps narrower than twice that between reachable streets are filled)
    and simplified to ``tolerance_m``; circles are left as they are up to the simplification."""
    if reach is None or reach.empty:
        return reach
    utm = reach.estimate_utm_crs()
    g = reach.to_crs(utm)
    geoms = g.geometry.buffer(close_m, quad_segs=4).buffer(-close_m, quad_segs=4).simplify(tolerance_m)
    geoms = geoms.where(~geoms.is_empty, g.geometry)
    return g.set_geometry(geoms).to_crs("EPSG:4326")


def _hhmm(v: Any) -> str:
    """Times of day as HH:MM (GeoJSON readers turn "19:00" into a time object)."""
    return v.strftime("%H:%M") if hasattr(v, "strftime") and not hasattr(v, "year") else str(v)


_STOP_KEYS = ("stop", "order", "seq", "rank", "stop_id")
_TIME_WORDS = ("window", "arrive", "depart", "start", "end", "time")


def _patrol_layer(patrol: gpd.GeoDataFrame, lang: str) -> dict | None:
    lines, stops = [], []
    for _, row in patrol.iterrows():
        g = row.geometry
        if g.geom_type in ("LineString", "MultiLineString"):
            ll = latlngs(g)
            lines.extend(ll if g.geom_type == "MultiLineString" else [ll])
        elif g.geom_type in ("Point", "MultiPoint"):
            label = next((_get(row, k) for k in _STOP_KEYS if _get(row, k) is not None), len(stops) + 1)
            if _isnum(label):
                label = int(float(label))
            tkeys = [k for k in row.index if any(w in k for w in _TIME_WORDS) and _get(row, k) is not None]
            start = next((_get(row, k) for k in tkeys if "start" in k or "arrive" in k), None)
            end = next((_get(row, k) for k in tkeys if "end" in k or "depart" in k), None)
            windows = [f"{_hhmm(start)}–{_hhmm(end)}"] if start is not None and end is not None else []
            windows += [str(_get(row, k)) if "window" in k else f"{k}: {_get(row, k)}" for k in tkeys
                        if not any(w in k for w in ("start", "end", "arrive", "depart"))]
            name = _get(row, "name") or ""
            rows = [(t("time_window", lang), "; ".join(windows) if windows else None)]
            rows += _props_rows(row, {"name", *[k for k in row.index if any(w in k for w in _TIME_WORDS)]},
                                lang)
            stops.append({"ll": _point_ll(g), "label": esc(label),
                          "t": popup_html(f"{t('stop', lang)} {label} {name}".strip(), rows)})
    if not lines and not stops:
        return None
    return {"lines": lines, "stops": stops}


def _streets_lines(streets: gpd.GeoDataFrame) -> list:
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
    out: list = []
    for g in simp:
        ll = latlngs(g)
        if g.geom_type == "MultiLineString":
            out.extend(x for x in ll if len(x) > 1)
        elif len(ll) > 1:
            out.append(ll)
    return out


def density_image(path: Path, datum: str = "wgs84", *, cmap: str = "YlOrRd",
                  max_px: int = 900) -> tuple[str, list[list[float]], float, float] | None:
    """Reproject a density GeoTIFF to Web Mercator and colour it.

    Returns ``(data-URI PNG, [[south, west], [north, east]], vmin, vmax)`` or ``None`` when the
    raster holds no finite positive value.
    """
    import rasterio
    from matplotlib import colormaps
    from PIL import Image
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with warnings.catch_warnings(), rasterio.open(path) as src:
        # rasterio builds transforms with affine's deprecated `*`; not our code to fix
        warnings.filterwarnings("ignore", message="Use `@` matmul", category=PendingDeprecationWarning)
        arr = src.read(1, masked=True).astype("float64").filled(np.nan)
        src_crs, src_tr = src.crs, src.transform
        if src_crs is None:
            raise InputDataError(f"{path}: the GeoTIFF has no CRS; re-run `geo-outreach plan`")
        w, h = src.width, src.height
        tr, dw, dh = calculate_default_transform(src_crs, "EPSG:3857", w, h, *src.bounds)
        scale = max(dw / max_px, dh / max_px, 1.0)
        dw, dh = max(int(dw / scale), 1), max(int(dh / scale), 1)
        tr, dw, dh = calculate_default_transform(src_crs, "EPSG:3857", w, h, *src.bounds,
                                                 dst_width=dw, dst_height=dh)
        dst = np.full((dh, dw), np.nan)
        reproject(arr, dst, src_transform=src_tr, src_crs=src_crs, src_nodata=np.nan,
                  dst_transform=tr, dst_crs="EPSG:3857", dst_nodata=np.nan,
                  resampling=Resampling.bilinear)
    finite = dst[np.isfinite(dst) & (dst > 0)]
    if finite.size == 0:
        return None
    vmin, vmax = 0.0, float(np.quantile(finite, 0.99))
    vmax = vmax if vmax > 0 else float(finite.max())
    norm = np.clip(dst / vmax, 0, 1)
    rgba = colormaps[cmap](np.nan_to_num(norm))
    # transparent below DENSITY_FLOOR of the top value, so the choropleth stays readable
    alpha = np.where(np.isfinite(dst) & (norm > DENSITY_FLOOR), 0.25 + 0.55 * np.sqrt(np.nan_to_num(norm)), 0.0)
    rgba[..., 3] = alpha
    img = Image.fromarray((rgba * 255).astype("uint8"), "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    from pyproj import Transformer

    tf = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, north = tf.transform(tr.c, tr.f)
    east, south = tf.transform(tr.c + tr.a * dw, tr.f + tr.e * dh)
    if datum != "wgs84":
        (west, east), (south, north) = from_wgs84_lonlat(np.array([west, east]), np.array([south, north]), datum)
        west, east, south, north = float(west), float(east), float(south), float(north)
    return uri, [[south, west], [north, east]], vmin, vmax


def colormap_css(cmap: str = "YlOrRd", n: int = 8) -> str:
    """A CSS linear-gradient of a matplotlib colormap (for legends)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    stops = ", ".join(to_hex(cm(i / (n - 1))) for i in range(n))
    return f"linear-gradient(to right, {stops})"


# --------------------------------------------------------------------------- legend / header


def _legend_html(lang: str, sections: dict[str, Any]) -> str:
    h = [f"<h4>{esc(t('legend', lang))}</h4>"]

    def sw(color: str, label: str, style: str = "") -> str:
        return (f'<div class="row"><span class="sw" style="background:{color};{style}"></span>'
                f"<span>{esc(label)}</span></div>")

    if sections.get("precincts"):
        p = sections["precincts"]
        h.append(f"<h5>{esc(t('layer_precincts', lang))} ({esc(p['title'])})</h5>")
        h += [sw(c, lab) for c, lab in p["classes"]]
    if sections.get("density"):
        d = sections["density"]
        h.append(f"<h5>{esc(t('layer_density', lang))} ({esc(t('legend_density_unit', lang))})</h5>")
        h.append(f'<div class="ramp" style="background:{d["css"]}"></div>')
        ticks = [d["vmin"] + (d["vmax"] - d["vmin"]) * f for f in (0, 0.25, 0.5, 0.75, 1)]
        h.append('<div class="ticks">' + "".join(f"<span>{esc(_nice(x))}</span>" for x in ticks)
                 + "</div>")
    if sections.get("alerts"):
        a = sections["alerts"]
        if a.get("grid"):
            h.append(f"<h5>{esc(t('layer_alerts_grid', lang))} ({esc(t('cell_size_m', lang))} "
                     f"{esc(a['cell_m'])})</h5>")
            h += [sw(c, lab) for c, lab in a["classes"]]
        else:
            h.append(sw("#ef3b2c", t("legend_alert_point", lang), "border-radius:50%"))
    if sections.get("hotspots"):
        h.append(f"<h5>{esc(t('layer_hotspots', lang))}</h5>")
        h.append(sw(HOT_COLORS[3], t("legend_hot", lang)))
        h.append(sw(HOT_COLORS[-3], t("legend_cold", lang)))
    if sections.get("clusters"):
        h.append(sw("transparent", t("legend_cluster", lang), "border:2px dashed #6a3d9a"))
    if sections.get("uncovered"):
        h.append(sw("rgba(215,25,28,0.15)", t("legend_uncovered", lang), "border:2px dashed #d7191c"))
    if sections.get("venues"):
        h.append(f"<h5>{esc(t('layer_venues', lang))}</h5>")
        h += [f'<div class="row"><span class="sw" style="background:{c};border-radius:50%"></span>'
              f"<span>{n}</span></div>" for c, n in sections["venues"]]  # n already escaped
    if sections.get("channels"):
        h.append(f"<h5>{esc(t('layer_placements', lang))}</h5>")
        for ch in sections["channels"]:
            h.append(sw(ch["color"], ch["label"], "border-radius:50%"))
        h.append(f'<div class="row"><span class="sw" style="background:#888;border-radius:50%"></span>'
                 f"<span>{esc(t('legend_recommended', lang))}</span></div>")
        if any(ch["n_existing"] for ch in sections["channels"]):
            h.append(sw("#fff", t("legend_existing", lang), "border:2px solid #888"))
        h.append(sw("rgba(100,100,100,0.15)", t("legend_reach", lang)))
    if sections.get("patrol"):
        h.append(f"<h5>{esc(t('layer_patrol', lang))}</h5>")
        h.append(sw("#08306b", t("legend_patrol_stop", lang)))
    if sections.get("streets"):
        h.append(sw("transparent", t("legend_streets", lang), "border:none;border-top:2px solid #8c8c8c;height:0"))
    return "".join(h)


def _header_html(folder: OutputFolder, lang: str, suffix_key: str) -> str:
    title = folder.title or t("default_title", lang)
    start, end = folder.period
    period = f"{t('period', lang)}: {start} – {end}" if start or end else ""
    parts = ['<div class="go-header" id="go-header">']
    if folder.synthetic:
        notes = "".join(f"<small>{esc(n)}</small>" for n in folder.notes)
        parts.append(f'<div class="go-banner" id="go-synthetic-banner">{esc(t("synthetic_banner", lang))}'
                     f'<span class="go-notes">{notes}</span></div>')
    parts.append(f'<div class="go-title"><h1>{esc(title)} · {esc(t(suffix_key, lang))}</h1>'
                 f'<div class="go-period">{esc(period)}</div></div></div>')
    return "".join(parts)


# --------------------------------------------------------------------------- the map


def resolve_basemap(basemap: str | None) -> tuple[str, str | None, str, str, str]:
    """(name, url, attribution, datum, subdomains) of a base map choice.

    ``basemap`` is ``none``, ``osm``, ``tianditu`` (key from the environment variable
    ``TIANDITU_TK``), ``amap`` (GCJ-02 tiles) or a tile URL template with ``{z}``, ``{x}``,
    ``{y}``; prefix a custom template with ``gcj02+`` when its tiles are in GCJ-02.
    """
    b = (basemap or "none").strip()
    if b.lower() == "none":
        return "none", None, "", "wgs84", ""
    if b.lower() in BASEMAPS:
        url, attr, datum, subs = BASEMAPS[b.lower()]
        if b.lower() == "tianditu":
            key = os.environ.get(TIANDITU_KEY_ENV, "")
            if not key:
                log.warning("basemap tianditu: set %s to your Tianditu key, or tiles will not load",
                            TIANDITU_KEY_ENV)
            url = url.replace("{tk}", key)
        return b.lower(), url, attr, datum, subs
    datum = "wgs84"
    if b.lower().startswith("gcj02+"):
        datum, b = "gcj02", b[len("gcj02+"):]
    if all(k in b for k in ("{z}", "{x}", "{y}")):
        return "custom", b, "", datum, "abc"
    raise ScenarioError(
        f"basemap {basemap!r} is not one of none, osm, tianditu, amap, or a tile URL template with "
        "{z}, {x} and {y} (prefix gcj02+ for GCJ-02 tiles)"
    )


def render_map(folder: OutputFolder, *, basemap: str | None = None, lang: str | None = None) -> str:
    """The plan map of an output folder as one self-contained HTML page."""
    import folium
    from branca.element import Element, MacroElement
    from jinja2 import Template

    lang = check_lang(lang)
    bname, url, attr, datum, subs = resolve_basemap(basemap)
    precincts = _shift(folder.precincts, datum)
    assert precincts is not None
    minx, miny, maxx, maxy = precincts.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None,
                   control_scale=False, prefer_canvas=False)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    title = folder.title or t("default_title", lang)
    root.title = esc(f"{title} · {t('map_title_suffix', lang)}")
    css, js = offline_assets()
    root.header.add_child(Element(f"<style>\n{css}\n</style>"), name="go_css")
    root.header.add_child(Element(_inline_script(js)), name="go_js")
    root.header.add_child(Element('<meta name="generator" content="geo_outreach">'), name="go_meta")

    if url:
        folium.TileLayer(url, attr=attr or bname, name=f"{t('layer_basemap', lang)}: {bname}",
                         subdomains=subs, max_zoom=18, overlay=False, control=True).add_to(m)
        if bname == "tianditu":
            folium.TileLayer(url.replace("T=vec_w", "T=cva_w"), attr=attr, name="tianditu labels",
                             subdomains=subs, overlay=True, control=False).add_to(m)

    groups: dict[str, Any] = {}
    payload: dict[str, Any] = {"lang": lang}
    legend: dict[str, Any] = {}

    def group(key: str, label: str, *, show: bool = True) -> None:
        fg = folium.FeatureGroup(name=esc(label), show=show)
        fg.add_to(m)
        groups[key] = fg

    # 1. context: streets (vector, only without tiles)
    if bname == "none" and folder.streets is not None and not folder.streets.empty:
        lines = _streets_lines(_shift(folder.streets, datum))
        if lines:
            group("context", t("layer_context", lang))
            payload["streets"] = lines
            legend["streets"] = True
    # 2. choropleth
    items, leg = _precinct_layer(precincts, lang)
    group("precincts", t("layer_precincts", lang))
    payload["precincts"] = items
    legend["precincts"] = leg
    # 3. density overlay
    if folder.density_path is not None:
        try:
            dens = density_image(folder.density_path, datum)
        except InputDataError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken raster should not cost the whole map
            log.warning("%s: density layer skipped (%s)", folder.density_path, exc)
            dens = None
        if dens is not None:
            uri, bounds, vmin, vmax = dens
            folium.raster_layers.ImageOverlay(uri, bounds=bounds, name=esc(t("layer_density", lang)),
                                              opacity=1.0, interactive=False, zindex=2).add_to(m)
            legend["density"] = {"css": colormap_css(), "vmin": vmin, "vmax": vmax}
    # 4. alerts
    if folder.alerts is not None and not folder.alerts.empty:
        layer, leg = _alerts_layer(folder.alerts, datum, lang)
        if layer is not None:
            key = "layer_alerts" if layer["mode"] == "points" else "layer_alerts_grid"
            group("alerts", t(key, lang), show=folder.density_path is None)
            payload["alerts"] = layer
            legend["alerts"] = leg
    # 5. hot spots, clusters
    if folder.hotspots is not None and not folder.hotspots.empty:
        items = _hotspot_layer(_shift(folder.hotspots, datum), lang)
        if items:
            group("hotspots", t("layer_hotspots", lang))
            payload["hotspots"] = items
            legend["hotspots"] = True
    if folder.clusters is not None and not folder.clusters.empty:
        items = _generic_layer(_shift(folder.clusters, datum), "layer_clusters", lang)
        if items:
            group("clusters", t("layer_clusters", lang))
            payload["clusters"] = items
            legend["clusters"] = True
    # 6. venues
    if folder.venues is not None and not folder.venues.empty:
        vl, kinds = _venues_layer(_shift(folder.venues, datum), lang)
        group("venues", f"{t('layer_venues', lang)} ({len(vl['pts'])})", show=not vl["cluster"])
        payload["venues"] = vl
        legend["venues"] = [(c, n) for c, n in kinds]
    # 7. uncovered hot spots
    if folder.uncovered is not None and not folder.uncovered.empty:
        items = _generic_layer(_shift(folder.uncovered, datum), "layer_uncovered", lang)
        if items:
            group("uncovered", t("layer_uncovered", lang))
            payload["uncovered"] = items
            legend["uncovered"] = True
    # 8. placements per channel
    channels = _channel_layers(folder, _shift(folder.placements, datum),
                               _shift(display_reach(folder.reach), datum), lang)
    for i, ch in enumerate(channels):
        key = f"ch{i}"
        group(key, f"{t('layer_placements', lang)}: {ch['label']}")
        ch["group"] = key
    payload["channels"] = [{k: v for k, v in ch.items() if k in ("group", "color", "sites", "reach")}
                           | {"name": esc(ch["name"])}
                           for ch in channels]
    legend["channels"] = channels
    # 9. patrol route
    if folder.patrol is not None and not folder.patrol.empty:
        pat = _patrol_layer(_shift(folder.patrol, datum), lang)
        if pat is not None:
            group("patrol", t("layer_patrol", lang))
            payload["patrol"] = pat
            legend["patrol"] = True

    class _Draw(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}{{ this.js }}{% endmacro %}")

        def __init__(self, js: str) -> None:
            super().__init__()
            self.js = js

    _Draw(_asset("map.js")).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    _fix_ids(m)
    payload["map"] = m.get_name()
    payload["groups"] = {k: fg.get_name() for k, fg in groups.items()}
    payload["legend"] = _legend_html(lang, legend)
    payload["bounds"] = [[_r(miny), _r(minx)], [_r(maxy), _r(maxx)]]
    root.html.add_child(Element(_header_html(folder, lang, "map_title_suffix")), name="go_header")
    root.html.add_child(Element(
        f'<script type="application/json" id="geo-outreach-data">{_json_for_script(payload)}</script>'),
        name="go_data")
    page = root.render()
    page = page.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
    return page


def _fix_ids(element: Any, counter: list[int] | None = None) -> None:
    """Replace folium's random element ids by a counter so a re-render is byte-identical."""
    counter = counter if counter is not None else [0]
    counter[0] += 1
    element._id = f"go{counter[0]:04d}"
    for child in element._children.values():
        _fix_ids(child, counter)


def render_outputs(out_dir: str | Path, *, basemap: str | None = None,
                   lang: str | None = None) -> dict[str, Path]:
    """Render ``map.html`` and the briefing (``briefing.html``/``.png``/``.pdf``) from the
    files of an output folder.

    ``basemap`` and ``lang`` default to the manifest's ``output`` settings, then to ``none`` and
    ``zh``. Returns the written files by kind (``map``, ``briefing_html``, ``briefing_png``,
    ``briefing_pdf``); PNG/PDF are left out, with a logged warning, if they cannot be drawn.

    Raises
    ------
    InputDataError
        When the folder is not a plan's output folder (no ``manifest.json`` or
        ``precincts.geojson``).
    """
    from geo_outreach import report

    folder = load_output_folder(out_dir)
    cfg = folder.manifest.get("output") or {}
    basemap = basemap if basemap is not None else cfg.get("basemap") or "none"
    lang = check_lang(lang if lang is not None else cfg.get("lang") or "zh")
    written: dict[str, Path] = {}
    written["map"] = write_text(folder.path / "map.html", render_map(folder, basemap=basemap, lang=lang))
    written.update(report.render_briefing(folder, lang=lang))
    log.info("rendered %s", ", ".join(str(p) for p in written.values()))
    return written


def generated_at() -> str:
    """UTC timestamp for page footers."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
