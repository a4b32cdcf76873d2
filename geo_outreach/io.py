"""Loading what planners really have, without ever losing a row.

Every input row is either loaded or reported in ``rejects`` with file, row number, column
and reason. A layer that cannot be used at all (missing file, missing required column, no
usable rows, a projected file without CRS) raises :class:`InputDataError` with one line
naming the file and the fix.

Formats
-------
- precincts: GeoJSON, GeoPackage, Shapefile (pyogrio).
- alerts: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 detected), XLSX, GeoJSON; columns found by
  common Chinese and English headers (:data:`ALERT_COLUMNS`) or mapped in the scenario.
- venues: OSM XML / .osm.bz2 through ``osmnx.features_from_xml`` with the tag -> kind mapping
  :data:`geo_outreach._validate.OSM_TAG_KINDS`; CSV/GeoJSON with a ``kind`` column.
- streets: OSM XML through ``osmnx.graph_from_xml``.

Datums: every layer declares ``wgs84``, ``gcj02`` or ``bd09``; lon/lat in GCJ-02/BD-09 is
converted to WGS84 on load (:mod:`geo_outreach.crs`). Everything is then projected to the
working CRS (UTM, from ``estimate_utm_crs``).
"""

from __future__ import annotations

import hashlib
import io as _io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_outreach import crs as _crs
from geo_outreach._errors import InputDataError
from geo_outreach._validate import OUTSIDE, VENUE_KINDS, check_layer, osm_tags_query
from geo_outreach.join import assign_precincts, check_no_overlaps
from geo_outreach.scenario import AlertLayer, PrecinctLayer, Scenario, StreetLayer, VenueLayer

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["layer", "file", "row", "column", "reason", "value"]

#: Header aliases, compared after lower-casing and removing spaces, "_", "-" and brackets.
ALERT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("alert_id", "id", "警情编号", "警情号", "编号", "案件编号", "接警编号", "case_id", "caseid", "no"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x", "gcj_lon", "wgs_lon", "东经"),
    "lat": ("lat", "latitude", "纬度", "y", "gcj_lat", "wgs_lat", "北纬"),
    "time": (
        "reported_at", "报警时间", "接警时间", "发案时间", "案发时间", "时间", "日期", "报警日期",
        "date", "time", "datetime", "timestamp", "reported",
    ),
    "category": ("category", "案件类别", "类别", "警情类别", "诈骗类型", "案件类型", "类型", "type"),
    "age_band": ("age_band", "受害人年龄段", "年龄段", "受害人年龄", "年龄", "age", "ageband"),
}
VENUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("venue_id", "id", "编号", "osmid"),
    "lon": ALERT_COLUMNS["lon"],
    "lat": ALERT_COLUMNS["lat"],
    "kind": ("kind", "类型", "类别", "type"),
    "name": ("name", "名称", "场所名称", "地点"),
}
PRECINCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("precinct_id", "code9", "code", "adcode", "id", "编码", "代码", "派出所编码"),
    "name": ("name", "名称", "派出所", "镇街", "辖区", "precinct", "name_zh"),
    "population": ("population", "pop", "人口", "常住人口", "residents"),
}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StudyData:
    """All input layers, cleaned and projected to the working CRS (see docs/TEAM_NOTES.md)."""

    precincts: gpd.GeoDataFrame
    alerts: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    streets: nx.MultiDiGraph | None
    study_area: Any
    crs: pyproj.CRS
    rejects: pd.DataFrame
    inputs: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class _Rejects:
    """Collects rejected rows while a layer loads."""

    layer: str
    file: str
    rows: list[dict] = field(default_factory=list)

    def add(self, row: Any, reason: str, column: str = "", value: Any = "") -> None:
        self.rows.append(
            {"layer": self.layer, "file": self.file, "row": row, "column": column, "reason": reason,
             "value": "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)}
        )

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=REJECT_COLUMNS)
        order = df["row"].map(lambda r: (0, r, "") if isinstance(r, (int, np.integer)) else (1, 0, str(r)))
        return df.iloc[sorted(range(len(df)), key=lambda i: order.iloc[i])].reset_index(drop=True)


# --------------------------------------------------------------------------- helpers


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (for manifest.json)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _need_file(path: Path, layer: str) -> None:
    if not path.is_file():
        raise InputDataError(f"{path}: file not found ({layer} layer); check [{layer}] path in the scenario")


def _norm(name: Any) -> str:
    return re.sub(r"[\s_\-()（）\[\]]", "", str(name)).lower()


def find_columns(
    columns: list[str], aliases: dict[str, tuple[str, ...]], mapping: dict[str, str], *, source: str
) -> dict[str, str | None]:
    """Map our names to the file's headers: explicit ``mapping`` first, then aliases.

    Raises
    ------
    InputDataError
        When a mapped header is not in the file.
    """
    found: dict[str, str | None] = {}
    normed = {_norm(c): c for c in columns}
    for key, names in aliases.items():
        if key in mapping:
            if mapping[key] not in columns:
                raise InputDataError(
                    f"{source}: column {mapping[key]!r} (mapped for {key!r}) is not in the file; "
                    f"its columns are {list(columns)}"
                )
            found[key] = mapping[key]
            continue
        found[key] = next((normed[_norm(a)] for a in names if _norm(a) in normed), None)
    unknown = set(mapping) - set(aliases)
    if unknown:
        raise InputDataError(
            f"{source}: unknown column-map keys {sorted(unknown)}; use {sorted(aliases)}"
        )
    return found


def detect_encoding(raw: bytes) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030`` (a superset of GBK), whichever decodes."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for enc in ("utf-8", "gb18030"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("auto", raw[:1], 0, 1, "neither UTF-8 nor GBK/GB18030")


def read_table(path: Path, *, encoding: str = "auto", sheet: str | None = None, layer: str) -> tuple[pd.DataFrame, dict]:
    """Read CSV or XLSX into strings/objects, with 1-based file row numbers in ``_row``.

    Returns the frame and facts for the manifest (``encoding``, ``format``).
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types
            raise InputDataError(f"{path}: cannot read as Excel ({exc}); save it as .xlsx or CSV") from None
        df["_row"] = np.arange(len(df)) + 2
        return df, {"format": "xlsx", "encoding": None}
    raw = path.read_bytes()
    if encoding == "auto":
        try:
            encoding = detect_encoding(raw)
        except UnicodeDecodeError:
            raise InputDataError(
                f"{path}: text is neither UTF-8 nor GBK; save it as UTF-8 or set [{layer}] encoding"
            ) from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputDataError(f"{path}: cannot decode as {encoding} ({exc}); fix [{layer}] encoding") from None
    try:
        df = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        raise InputDataError(f"{path}: not a valid CSV table ({exc})") from None
    except pd.errors.EmptyDataError:
        raise InputDataError(f"{path}: the file is empty; export the table with its header row") from None
    # file row of each record: header is line 1; blank lines are skipped by pandas, so count them
    lines = text.splitlines()
    data_lines = [i + 1 for i, line in enumerate(lines) if line.strip()][1:]
    df["_row"] = data_lines[: len(df)] if len(data_lines) >= len(df) else np.arange(len(df)) + 2
    df.columns = [str(c).strip() for c in df.columns]
    return df, {"format": "csv", "encoding": encoding}


_TIME_CLEAN = [(re.compile(r"[年/.]"), "-"), (re.compile(r"月"), "-"), (re.compile(r"日"), " "),
               (re.compile(r"[时点]"), ":"), (re.compile(r"分"), ":"), (re.compile(r"秒"), "")]


_PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")


def parse_times(values: pd.Series, tz: str) -> pd.Series:
    """Parse mixed date-time text/objects to timezone-aware timestamps; NaT where unparseable.

    Accepts ``2025-07-14 19:23[:00]``, ``2025/7/14 19:23``, ``2025年7月14日 19时23分``, Excel
    datetimes and ISO strings with offsets. Naive times are in ``tz``.
    """
    def clean(v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip()
            if re.search(r"[年月日时分秒/]", s):
                for pat, rep in _TIME_CLEAN:
                    s = pat.sub(rep, s)
                s = re.sub(r"\s+", " ", s).strip().rstrip(":")
            return s or None
        return v

    cleaned = values.map(clean)
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {tz}]")
    # fast path: plain "YYYY-MM-DD HH:MM[:SS]" text without offsets (the usual export)
    plain = cleaned.map(lambda v: isinstance(v, str) and _PLAIN_TIME.match(v) is not None).astype(bool)
    if plain.any():
        parsed = pd.to_datetime(cleaned[plain], format="mixed", errors="coerce")
        parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        out[plain] = parsed
    ok = plain & out.notna()
    for i, v in cleaned[~ok].items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            continue
        if ts is pd.NaT:
            continue
        ts = ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
        out.at[i] = ts
    return out


def _to_float(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce")


def _layer_notes(layer: str, synthetic: bool, note: str) -> list[str]:
    if not synthetic:
        return []
    label = "ILLUSTRATIVE" if layer == "precincts" else "SYNTHETIC"
    return [f"{label} {layer}" + (f": {note}" if note else "")]


# --------------------------------------------------------------------------- precincts


def load_precincts(cfg: PrecinctLayer) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict]:
    """Precinct polygons in WGS84 with ``precinct_id``, ``name``, ``population``.

    Returns the layer, its rejects and a facts dict for the manifest.
    """
    path = Path(cfg.path)
    _need_file(path, "precincts")
    rej = _Rejects("precincts", str(path))
    try:
        gdf = gpd.read_file(path, layer=cfg.layer) if cfg.layer else gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises many types; one clear line instead
        raise InputDataError(f"{path}: cannot read as GeoJSON/GeoPackage/Shapefile ({exc})") from None
    if len(gdf) == 0:
        raise InputDataError(f"{path}: no precinct polygons in the file")
    gdf = gdf.reset_index(drop=True)
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            log.warning("%s has no CRS; coordinates look like lon/lat, assumed %s", path, cfg.datum)
            gdf = gdf.set_crs("EPSG:4326")
        else:
            raise InputDataError(
                f"{path}: the file has no CRS and its coordinates are projected; add the .prj "
                "file (Shapefile) or define the CRS in QGIS, then try again"
            )
    if cfg.datum != "wgs84":
        if not pyproj.CRS(gdf.crs).is_geographic:
            raise InputDataError(
                f"{path}: datum {cfg.datum} applies to lon/lat, but the file is projected "
                f"({gdf.crs}); set [precincts] datum = \"wgs84\" or export lon/lat"
            )
        gdf = _crs.gdf_to_wgs84(gdf, cfg.datum)
    elif not pyproj.CRS(gdf.crs).equals(pyproj.CRS("EPSG:4326")):
        gdf = gdf.to_crs("EPSG:4326")

    cols = find_columns(
        [c for c in gdf.columns if c != "geometry"], PRECINCT_COLUMNS,
        {k: v for k, v in {"id": cfg.id_column, "name": cfg.name_column,
                           "population": cfg.population_column}.items() if v},
        source=str(path),
    )
    if cols["id"] is None:
        raise InputDataError(
            f"{path}: no precinct id column (looked for {list(PRECINCT_COLUMNS['id'])}); "
            "set [precincts] id_column"
        )
    out = gpd.GeoDataFrame(
        {
            "precinct_id": gdf[cols["id"]].map(lambda v: str(v).strip() if v is not None else ""),
            "name": gdf[cols["name"]].astype(str) if cols["name"] else gdf[cols["id"]].astype(str),
            "population": pd.to_numeric(gdf[cols["population"]], errors="coerce")
            if cols["population"] else np.nan,
        },
        geometry=gdf.geometry.values,
        crs="EPSG:4326",
    )
    if "illustrative" in gdf.columns:
        out["illustrative"] = gdf["illustrative"].fillna(False).astype(bool)
    keep = np.ones(len(out), dtype=bool)
    for i, geom in enumerate(out.geometry.values):
        row = f"feature {i + 1}"
        if geom is None or geom.is_empty:
            rej.add(row, "no geometry", "geometry")
            keep[i] = False
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            rej.add(row, f"not a polygon ({geom.geom_type})", "geometry")
            keep[i] = False
        elif not out["precinct_id"].iloc[i]:
            rej.add(row, "empty precinct id", cols["id"])
            keep[i] = False
    dup = out["precinct_id"].duplicated() & keep
    for i in np.flatnonzero(dup):
        rej.add(f"feature {i + 1}", "duplicate id", cols["id"], out["precinct_id"].iloc[i])
    keep &= ~dup.to_numpy()
    out = out[keep].reset_index(drop=True)
    if len(out) == 0:
        raise InputDataError(f"{path}: no usable precinct polygons (see rejects.csv)")
    invalid = ~out.geometry.is_valid
    if invalid.any():
        log.info("%s: repaired %d invalid polygons with make_valid", path, int(invalid.sum()))
        out.loc[invalid, "geometry"] = shapely.make_valid(out.geometry[invalid].values)
        out.geometry = out.geometry.map(
            lambda g: g if g.geom_type in ("Polygon", "MultiPolygon")
            else shapely.MultiPolygon([p for p in getattr(g, "geoms", []) if p.geom_type == "Polygon"])
        )
    facts = {"layer": "precincts", "path": str(path), "datum": cfg.datum,
             "rows_loaded": len(out), "rows_rejected": len(rej.rows)}
    return out, rej.frame(), facts


# --------------------------------------------------------------------------- points


def _classify_points(
    lon: pd.Series, lat: pd.Series, rows: pd.Series, rej: _Rejects, cols: dict, bbox: tuple | None
) -> np.ndarray:
    """Mark rows with no / out-of-range / swapped coordinates as rejected; return keep mask."""
    keep = np.ones(len(lon), dtype=bool)
    lon_v, lat_v = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    for i in range(len(lon_v)):
        x, y = lon_v[i], lat_v[i]
        if np.isnan(x) or np.isnan(y):
            rej.add(rows.iloc[i], "no coordinates", f"{cols['lon']}/{cols['lat']}")
            keep[i] = False
            continue
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            inside = minx <= x <= maxx and miny <= y <= maxy
            swapped = minx <= y <= maxx and miny <= x <= maxy
            if not inside and swapped:
                rej.add(rows.iloc[i], "probable lat/lon swap (swap the two columns)",
                        f"{cols['lon']}/{cols['lat']}", f"{x}, {y}")
                keep[i] = False
                continue
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            rej.add(rows.iloc[i], "coordinates out of range", f"{cols['lon']}/{cols['lat']}", f"{x}, {y}")
            keep[i] = False
    return keep


def _distance_km(points: gpd.GeoSeries, study_area: Any) -> np.ndarray:
    """Distance in km from each point (metric CRS) to the study area (0 inside)."""
    return shapely.distance(points.values, study_area) / 1000.0


def load_alerts(
    cfg: AlertLayer, *, tz: str, precincts_m: gpd.GeoDataFrame, study_area: Any, crs: pyproj.CRS
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict]:
    """Alerts in the working CRS, with ``precinct_id`` assigned ("outside" kept).

    Reject reasons: no coordinates, coordinates out of range, probable lat/lon swap, far
    outside the study area (> ``max_outside_km``), no time / unparseable time, duplicate id.
    """
    path = Path(cfg.path)
    _need_file(path, "alerts")
    rej = _Rejects("alerts", str(path))
    facts: dict = {"layer": "alerts", "path": str(path), "datum": cfg.datum}
    if path.suffix.lower() in (".geojson", ".json", ".gpkg", ".shp"):
        try:
            g = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear InputDataError
            raise InputDataError(f"{path}: cannot read as GeoJSON ({exc})") from None
        if g.crs is not None and not pyproj.CRS(g.crs).is_geographic:
            g = g.to_crs("EPSG:4326")
        df = pd.DataFrame(g.drop(columns="geometry"))
        pts = g.geometry
        df["_lon"] = [p.x if p is not None and not p.is_empty and p.geom_type == "Point" else np.nan for p in pts]
        df["_lat"] = [p.y if p is not None and not p.is_empty and p.geom_type == "Point" else np.nan for p in pts]
        df["_row"] = np.arange(len(df)) + 1
        mapping = {"lon": "_lon", "lat": "_lat", **cfg.columns}
        facts.update(format="geojson", encoding=None)
    else:
        df, f = read_table(path, encoding=cfg.encoding, sheet=cfg.sheet, layer="alerts")
        mapping = dict(cfg.columns)
        facts.update(f)
    if len(df) == 0:
        raise InputDataError(f"{path}: the alert table has a header but no rows")
    cols = find_columns([c for c in df.columns if c != "_row"], ALERT_COLUMNS, mapping, source=str(path))
    missing = [k for k in ("lon", "lat", "time") if cols[k] is None]
    if missing:
        wanted = {k: list(ALERT_COLUMNS[k][:6]) for k in missing}
        example = ", ".join(f'{k} = "..."' for k in missing)
        raise InputDataError(
            f"{path}: required columns not found: {missing} (looked for headers like {wanted}); "
            f"rename them or map them in [alerts] columns = {{{example}}}"
        )
    rows = df["_row"]
    lon = _to_float(df[cols["lon"]])
    lat = _to_float(df[cols["lat"]])
    # bounding box of the study area in the alerts' own datum, for the swap test
    sa_ll = gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326")
    sa_ll = _crs.gdf_from_wgs84(gpd.GeoDataFrame(geometry=sa_ll), cfg.datum).geometry
    b = sa_ll.total_bounds
    pad = 0.5  # degrees
    keep = _classify_points(lon, lat, rows, rej, cols, (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad))

    times = parse_times(df[cols["time"]], tz)
    for i in np.flatnonzero(keep & times.isna().to_numpy()):
        raw = df[cols["time"]].iloc[i]
        empty = raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and np.isnan(raw))
        rej.add(int(rows.iloc[i]), "no time" if empty else "unparseable time", cols["time"], raw)
        keep[i] = False

    if cols["id"] is not None:
        ids = df[cols["id"]].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
        blank = ids == ""
        ids = ids.where(~blank, "row" + rows.astype(str))
    else:
        ids = path.stem + ":" + rows.astype(str)
    first_row: dict[str, int] = {}
    for i in range(len(ids)):
        if not keep[i]:
            continue
        key = ids.iloc[i]
        if key in first_row:
            rej.add(int(rows.iloc[i]), f"duplicate id (same as row {first_row[key]})", cols["id"] or "", key)
            keep[i] = False
        else:
            first_row[key] = int(rows.iloc[i])

    wlon, wlat = _crs.to_wgs84_lonlat(lon.to_numpy()[keep], lat.to_numpy()[keep], cfg.datum)
    sel = df[keep]
    gdf = gpd.GeoDataFrame(
        {
            "alert_id": ids[keep].to_numpy(),
            "reported_at": times[keep].array,
            "category": sel[cols["category"]].map(lambda v: str(v).strip() if isinstance(v, str) and v.strip() else "未分类").to_numpy()
            if cols["category"] else np.full(len(sel), "未分类", dtype=object),
            "age_band": sel[cols["age_band"]].map(lambda v: str(v).strip() if v is not None and str(v) != "nan" else "").to_numpy()
            if cols["age_band"] else np.full(len(sel), "", dtype=object),
            "_row": sel["_row"].to_numpy(),
        },
        geometry=gpd.points_from_xy(wlon, wlat),
        crs="EPSG:4326",
    ).to_crs(crs)
    dist_km = _distance_km(gdf.geometry, study_area)
    far = dist_km > cfg.max_outside_km
    for i in np.flatnonzero(far):
        rej.add(int(gdf["_row"].iloc[i]),
                f"far outside the study area ({dist_km[i]:.1f} km; limit max_outside_km = {cfg.max_outside_km:g})",
                f"{cols['lon']}/{cols['lat']}", f"{wlon[i]:.6f}, {wlat[i]:.6f} (WGS84)")
    gdf = gdf[~far].reset_index(drop=True)
    if len(gdf) == 0:
        raise InputDataError(
            f"{path}: no usable alert rows ({len(rej.rows)} rejected; see rejects.csv). "
            f"Check the datum (now {cfg.datum}) and the coordinate columns"
        )
    gdf["precinct_id"] = assign_precincts(gdf, precincts_m).to_numpy()
    gdf = gdf.drop(columns="_row")
    facts.update(rows_loaded=len(gdf), rows_rejected=len(rej.rows),
                 columns={k: v for k, v in cols.items() if v and not v.startswith("_")},
                 alerts_outside=int((gdf["precinct_id"] == OUTSIDE).sum()))
    return gdf, rej.frame(), facts


# --------------------------------------------------------------------------- venues


def _read_osm_venues(path: Path, rej: _Rejects) -> pd.DataFrame:
    """Venue points from an OSM XML file, mapped to kinds exactly as ``osm fetch`` maps them."""
    import osmnx as ox  # imported here: slow import, only needed for OSM files

    from geo_outreach.osm import venues_from_features

    try:
        feats = ox.features_from_xml(path, tags=osm_tags_query())
    except ox._errors.InsufficientResponseError:
        raise InputDataError(f"{path}: no venues with the mapped OSM tags in the file") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear InputDataError
        raise InputDataError(f"{path}: cannot read as OSM XML ({exc})") from None
    refs = [f"{element}/{osm_id}" for element, osm_id in feats.index]
    empty = (feats.geometry.isna() | feats.geometry.is_empty).to_numpy()
    for ref in np.asarray(refs, dtype=object)[empty]:
        rej.add(ref, "no geometry", "geometry")
    venues = venues_from_features(feats[~empty])
    kept = set(venues["venue_id"].str.removeprefix("osm:"))
    for ref in np.asarray(refs, dtype=object)[~empty]:
        if ref not in kept:
            rej.add(ref, "no mapped OSM tag", "tags")
    names = venues["name"].where(venues["name"] != "", venues["kind"] + " " + venues["venue_id"].str.rsplit("/", n=1).str[-1])
    return pd.DataFrame({"venue_id": venues["venue_id"], "kind": venues["kind"], "name": names,
                         "lon": venues.geometry.x, "lat": venues.geometry.y,
                         "_row": venues["venue_id"].str.removeprefix("osm:")})


def load_venues(
    cfg: VenueLayer, *, precincts_m: gpd.GeoDataFrame, study_area: Any, crs: pyproj.CRS, max_outside_km: float = 5.0
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict]:
    """Venues in the working CRS with ``venue_id``, ``kind``, ``name``, ``precinct_id``."""
    path = Path(cfg.path)
    _need_file(path, "venues")
    rej = _Rejects("venues", str(path))
    name = path.name.lower()
    facts: dict = {"layer": "venues", "path": str(path), "datum": cfg.datum}
    if name.endswith((".osm", ".osm.bz2", ".osm.xml")):
        df = _read_osm_venues(path, rej)
        facts.update(format="osm")
        cols = {"lon": "lon", "lat": "lat", "kind": "kind", "id": "venue_id", "name": "name"}
    else:
        if name.endswith((".geojson", ".json", ".gpkg", ".shp")):
            g = gpd.read_file(path)
            if g.crs is not None and not pyproj.CRS(g.crs).is_geographic:
                g = g.to_crs("EPSG:4326")
            df = pd.DataFrame(g.drop(columns="geometry"))
            df["lon"] = [p.representative_point().x if p is not None and not p.is_empty else np.nan for p in g.geometry]
            df["lat"] = [p.representative_point().y if p is not None and not p.is_empty else np.nan for p in g.geometry]
            df["_row"] = np.arange(len(df)) + 1
            facts.update(format="geojson")
            mapping = {"lon": "lon", "lat": "lat", **cfg.columns}
        else:
            df, f = read_table(path, encoding=cfg.encoding, layer="venues")
            facts.update(f)
            mapping = dict(cfg.columns)
        cols = find_columns([c for c in df.columns if c != "_row"], VENUE_COLUMNS, mapping, source=str(path))
        missing = [k for k in ("lon", "lat", "kind") if cols[k] is None]
        if missing:
            raise InputDataError(
                f"{path}: required venue columns not found: {missing}; add a 'kind' column "
                f"({', '.join(VENUE_KINDS)}) and lon/lat, or map them in [[venues]] columns"
            )
    if len(df) == 0:
        raise InputDataError(f"{path}: no venues in the file")
    rows = df["_row"]
    lon, lat = _to_float(df[cols["lon"]]), _to_float(df[cols["lat"]])
    keep = _classify_points(lon, lat, rows, rej, cols, None)
    kinds = df[cols["kind"]].map(lambda v: str(v).strip().lower() if v is not None else "")
    for i in np.flatnonzero(keep & ~kinds.isin(VENUE_KINDS).to_numpy()):
        rej.add(rows.iloc[i], f"unknown kind {kinds.iloc[i]!r}; use one of {', '.join(VENUE_KINDS)}",
                cols["kind"], kinds.iloc[i])
        keep[i] = False
    if cols.get("id"):
        ids = df[cols["id"]].map(lambda v: str(v).strip() if v is not None else "")
    else:
        ids = path.stem + ":" + rows.astype(str)
    seen: dict[str, Any] = {}
    for i in np.flatnonzero(keep):
        if ids.iloc[i] in seen:
            rej.add(rows.iloc[i], f"duplicate id (same as row {seen[ids.iloc[i]]})", cols.get("id") or "", ids.iloc[i])
            keep[i] = False
        else:
            seen[ids.iloc[i]] = rows.iloc[i]
    names = df[cols["name"]].map(lambda v: str(v) if v is not None and str(v) != "nan" else "") if cols.get("name") else kinds
    wlon, wlat = _crs.to_wgs84_lonlat(lon.to_numpy()[keep], lat.to_numpy()[keep], cfg.datum)
    gdf = gpd.GeoDataFrame(
        {"venue_id": ids[keep].to_numpy(), "kind": kinds[keep].to_numpy(), "name": names[keep].to_numpy(),
         "_row": rows[keep].to_numpy()},
        geometry=gpd.points_from_xy(wlon, wlat), crs="EPSG:4326",
    ).to_crs(crs)
    dist_km = _distance_km(gdf.geometry, study_area)
    far = dist_km > max_outside_km
    for i in np.flatnonzero(far):
        rej.add(gdf["_row"].iloc[i], f"outside the study area ({dist_km[i]:.1f} km)", "geometry")
    gdf = gdf[~far].drop(columns="_row").reset_index(drop=True)
    gdf["precinct_id"] = assign_precincts(gdf, precincts_m).to_numpy()
    facts.update(rows_loaded=len(gdf), rows_rejected=len(rej.rows),
                 kinds={k: int(v) for k, v in gdf["kind"].value_counts().sort_index().items()})
    return gdf, rej.frame(), facts


# --------------------------------------------------------------------------- streets


def load_streets(cfg: StreetLayer, *, crs: pyproj.CRS) -> tuple[nx.MultiDiGraph, dict]:
    """Walkable street graph from OSM XML, projected to the working CRS."""
    import osmnx as ox

    path = Path(cfg.path)
    _need_file(path, "streets")
    try:
        g = ox.graph_from_xml(path, bidirectional=True, simplify=True, retain_all=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear InputDataError
        raise InputDataError(f"{path}: cannot read a street network from this OSM XML ({exc})") from None
    if cfg.datum != "wgs84":
        xs = np.array([d["x"] for _, d in g.nodes(data=True)])
        ys = np.array([d["y"] for _, d in g.nodes(data=True)])
        wx, wy = _crs.to_wgs84_lonlat(xs, ys, cfg.datum)
        for (n, d), x, y in zip(g.nodes(data=True), wx, wy, strict=True):
            d["x"], d["y"] = float(x), float(y)
        for _, _, d in g.edges(data=True):
            if "geometry" in d:
                d["geometry"] = _crs._transform_geoms(np.array([d["geometry"]]), lambda a, b: _crs.to_wgs84_lonlat(a, b, cfg.datum))[0]
    gp = ox.project_graph(g, to_crs=crs)
    facts = {"layer": "streets", "path": str(path), "datum": cfg.datum,
             "rows_loaded": gp.number_of_nodes(), "rows_rejected": 0, "edges": gp.number_of_edges()}
    return gp, facts


# --------------------------------------------------------------------------- all


def load_study(sc: Scenario) -> StudyData:
    """Load and check every layer of a scenario (see module docstring)."""
    precincts_ll, rej_p, f_p = load_precincts(sc.precincts)
    crs = _crs.working_crs(precincts_ll)
    precincts = precincts_ll.to_crs(crs)
    check_no_overlaps(precincts, source=str(sc.precincts.path))
    precincts["area_km2"] = precincts.geometry.area / 1e6
    study_area = shapely.union_all(precincts.geometry.values)
    rejects = [rej_p]
    inputs = [f_p]
    notes = _layer_notes("precincts", sc.precincts.illustrative or bool(precincts.get("illustrative", pd.Series([False])).any()), sc.precincts.note)

    alerts, rej_a, f_a = load_alerts(sc.alerts, tz=sc.scenario.timezone, precincts_m=precincts, study_area=study_area, crs=crs)
    rejects.append(rej_a)
    inputs.append(f_a)
    notes += _layer_notes("alerts", sc.alerts.synthetic, sc.alerts.note)

    venue_frames = []
    for v in sc.venues:
        g, r, f = load_venues(v, precincts_m=precincts, study_area=study_area, crs=crs)
        venue_frames.append(g)
        rejects.append(r)
        inputs.append(f)
        notes += _layer_notes("venues", v.synthetic, v.note)
    if venue_frames:
        venues = gpd.GeoDataFrame(pd.concat(venue_frames, ignore_index=True), crs=crs)
        dup = venues["venue_id"].duplicated()
        if dup.any():
            raise InputDataError(
                f"venue ids repeat across venue files: {list(venues.loc[dup, 'venue_id'][:5])}; "
                "give each file distinct ids"
            )
    else:
        venues = gpd.GeoDataFrame({"venue_id": [], "kind": [], "name": [], "precinct_id": []},
                                  geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    streets = None
    if sc.streets is not None:
        streets, f_s = load_streets(sc.streets, crs=crs)
        inputs.append(f_s)
        notes += _layer_notes("streets", sc.streets.synthetic, "")
    for rec in inputs:
        rec["sha256"] = sha256_file(Path(rec["path"]))
    check_layer(precincts, "precincts")
    check_layer(alerts, "alerts")
    check_layer(venues, "venues")
    all_rejects = pd.concat([r for r in rejects if len(r)] or [rejects[0]], ignore_index=True)
    return StudyData(precincts=precincts, alerts=alerts, venues=venues, streets=streets,
                     study_area=study_area, crs=crs, rejects=all_rejects,
                     inputs=tuple(inputs), notes=tuple(notes))


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
    for what, wanted, names in (("x", x, ("x", "lon", "lng", "longitude", "经度")),
                                ("y", y, ("y", "lat", "latitude", "纬度"))):
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
