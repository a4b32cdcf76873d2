"""Reading what planners export into raw rows, for the loaders in :mod:`geo_outreach.io`.

Tables in UTF-8, UTF-8 with BOM or GBK/GB18030 and XLSX; headers in Chinese or English found by
alias (:data:`ALERT_COLUMNS` ...); date-times in the many shapes Chinese exports use;
coordinates checked for missing, out-of-range and swapped values; one reader per layer file
(precinct polygons, alert tables, venue files and OSM XML). Every row a loader drops goes to a
:class:`Rejects` log with file, row, column and reason. :mod:`geo_outreach.io` turns the rows
into checked layers in the working CRS.
"""

from __future__ import annotations

import io as _io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_outreach import crs as _crs
from geo_outreach._errors import InputDataError
from geo_outreach._validate import VENUE_KINDS, osm_tags_query
from geo_outreach.scenario import AlertLayer, PrecinctLayer, VenueLayer

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["layer", "file", "row", "column", "reason", "value"]


@dataclass
class Rejects:
    """Collects rejected rows while a layer loads.

    Parameters
    ----------
    layer
        Layer name written to the ``layer`` column of rejects.csv.
    file
        Source file written to the ``file`` column.
    """

    layer: str
    file: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: Any, reason: str, column: str = "", value: Any = "") -> None:
        """Record one rejected row (``row`` is a 1-based file row or a label like an OSM ref)."""
        blank = value is None or (isinstance(value, float) and np.isnan(value))
        self.rows.append(
            {
                "layer": self.layer,
                "file": self.file,
                "row": row,
                "column": column,
                "reason": reason,
                "value": "" if blank else str(value),
            }
        )

    def frame(self) -> pd.DataFrame:
        """Return the rejects as a table: numbered rows first, in order, then labelled rows."""
        df = pd.DataFrame(self.rows, columns=REJECT_COLUMNS)
        order = df["row"].map(
            lambda r: (0, r, "") if isinstance(r, (int, np.integer)) else (1, 0, str(r))
        )
        return df.iloc[sorted(range(len(df)), key=lambda i: order.iloc[i])].reset_index(drop=True)


def need_file(path: Path, layer: str) -> None:
    """Raise :class:`InputDataError` naming the scenario section when ``path`` is no file."""
    if not path.is_file():
        raise InputDataError(
            f"{path}: file not found ({layer} layer); check [{layer}] path in the scenario"
        )


def _norm(name: Any) -> str:
    return re.sub(r"[\s_\-()（）\[\]]", "", str(name)).lower()


def find_columns(
    columns: list[str], aliases: dict[str, tuple[str, ...]], mapping: dict[str, str], *, source: str
) -> dict[str, str | None]:
    """Map our names to the file's headers: explicit ``mapping`` first, then aliases.

    Headers and aliases are compared after lower-casing and removing spaces, ``_``, ``-``
    and brackets.

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
    """Return ``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030`` (GBK superset), whichever decodes."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for enc in ("utf-8", "gb18030"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("auto", raw[:1], 0, 1, "neither UTF-8 nor GBK/GB18030")


def _read_excel(path: Path, sheet: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        df = pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types
        raise InputDataError(
            f"{path}: cannot read as Excel ({exc}); save it as .xlsx or CSV"
        ) from None
    df["_row"] = np.arange(len(df)) + 2
    return df, {"format": "xlsx", "encoding": None}


def _decode(raw: bytes, path: Path, encoding: str, layer: str) -> tuple[str, str]:
    """Return the text and the encoding used (``auto`` detects it)."""
    if encoding == "auto":
        try:
            encoding = detect_encoding(raw)
        except UnicodeDecodeError:
            raise InputDataError(
                f"{path}: text is neither UTF-8 nor GBK; save it as UTF-8 or set [{layer}] encoding"
            ) from None
    try:
        return raw.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputDataError(
            f"{path}: cannot decode as {encoding} ({exc}); fix [{layer}] encoding"
        ) from None


def read_table(
    path: Path, *, encoding: str = "auto", sheet: str | None = None, layer: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read CSV or XLSX into strings/objects, with 1-based file row numbers in ``_row``.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The frame and facts for the manifest (``encoding``, ``format``).
    """
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(path, sheet)
    text, encoding = _decode(path.read_bytes(), path, encoding, layer)
    try:
        df = pd.read_csv(
            _io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except pd.errors.ParserError as exc:
        raise InputDataError(f"{path}: not a valid CSV table ({exc})") from None
    except pd.errors.EmptyDataError:
        raise InputDataError(
            f"{path}: the file is empty; export the table with its header row"
        ) from None
    # file row of each record: header is line 1; blank lines are skipped by pandas, so count them
    lines = text.splitlines()
    data_lines = [i + 1 for i, line in enumerate(lines) if line.strip()][1:]
    df["_row"] = data_lines[: len(df)] if len(data_lines) >= len(df) else np.arange(len(df)) + 2
    df.columns = [str(c).strip() for c in df.columns]
    return df, {"format": "csv", "encoding": encoding}


def to_float(values: pd.Series) -> pd.Series:
    """Parse numbers (text is stripped first); NaN where not a number."""
    stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    return pd.to_numeric(stripped, errors="coerce")


def is_blank(value: Any) -> bool:
    """Tell whether a cell is empty: None, NaN or whitespace-only text."""
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and np.isnan(value))
    )


def classify_points(
    lon: pd.Series,
    lat: pd.Series,
    rows: pd.Series,
    rej: Rejects,
    cols: dict[str, str | None],
    bbox: tuple[float, float, float, float] | None,
) -> np.ndarray:
    """Reject rows with no / out-of-range / swapped coordinates; return the keep mask.

    A point outside ``bbox`` (lon/lat, the study area padded) whose swapped coordinates fall
    inside it is reported as a probable lat/lon swap.
    """
    keep = np.ones(len(lon), dtype=bool)
    lon_v, lat_v = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    where = f"{cols['lon']}/{cols['lat']}"
    for i in range(len(lon_v)):
        reason = _bad_point(lon_v[i], lat_v[i], bbox)
        if reason is None:
            continue
        if reason == "no coordinates":
            rej.add(rows.iloc[i], reason, where)
        else:
            rej.add(rows.iloc[i], reason, where, f"{lon_v[i]}, {lat_v[i]}")
        keep[i] = False
    return keep


def _bad_point(x: float, y: float, bbox: tuple[float, float, float, float] | None) -> str | None:
    """Return why a lon/lat pair is unusable, or None when it is fine."""
    if np.isnan(x) or np.isnan(y):
        return "no coordinates"
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        inside = minx <= x <= maxx and miny <= y <= maxy
        swapped = minx <= y <= maxx and miny <= x <= maxy
        if not inside and swapped:
            return "probable lat/lon swap (swap the two columns)"
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return "coordinates out of range"
    return None


def swap_bbox(
    study_area: shapely.Geometry, crs: pyproj.CRS, datum: str
) -> tuple[float, float, float, float]:
    """Bounding box of the study area in the alerts' own datum, padded, for the swap test."""
    sa_ll = gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326")
    sa_ll = _crs.gdf_from_wgs84(gpd.GeoDataFrame(geometry=sa_ll), datum).geometry
    b = sa_ll.total_bounds
    pad = 0.5  # degrees
    return (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)


def reject_duplicates(
    ids: pd.Series,
    rows: pd.Series,
    keep: np.ndarray,
    rej: Rejects,
    column: str,
    *,
    as_int: bool,
) -> None:
    """Reject kept rows whose id repeats an earlier kept row (``keep`` is updated in place)."""
    first_row: dict[str, Any] = {}
    for i in np.flatnonzero(keep):
        key = ids.iloc[i]
        row = int(rows.iloc[i]) if as_int else rows.iloc[i]
        if key in first_row:
            rej.add(row, f"duplicate id (same as row {first_row[key]})", column, key)
            keep[i] = False
        else:
            first_row[key] = row


def row_key(value: Any) -> str:
    """Return a cell as a stripped id string ("" for None/NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


# --------------------------------------------------------------------------- layer files

#: Header aliases, compared after lower-casing and removing spaces, "_", "-" and brackets.
ALERT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": (
        "alert_id", "id", "警情编号", "警情号", "编号", "案件编号", "接警编号", "case_id", "caseid",
        "no",
    ),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x", "gcj_lon", "wgs_lon", "东经"),
    "lat": ("lat", "latitude", "纬度", "y", "gcj_lat", "wgs_lat", "北纬"),
    "time": (
        "reported_at", "报警时间", "接警时间", "发案时间", "案发时间", "时间", "日期", "报警日期",
        "date", "time", "datetime", "timestamp", "reported",
    ),
    "category": (
        "category", "案件类别", "类别", "警情类别", "诈骗类型", "案件类型", "类型", "type",
    ),
    "age_band": ("age_band", "受害人年龄段", "年龄段", "受害人年龄", "年龄", "age", "ageband"),
}  # fmt: skip
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
_VECTOR = (".geojson", ".json", ".gpkg", ".shp")


def read_precinct_file(path: Path, cfg: PrecinctLayer) -> gpd.GeoDataFrame:
    """Read the polygons and bring them to WGS84 lon/lat (datum shift included)."""
    try:
        gdf = gpd.read_file(path, layer=cfg.layer) if cfg.layer else gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises many types; one clear line instead
        raise InputDataError(
            f"{path}: cannot read as GeoJSON/GeoPackage/Shapefile ({exc})"
        ) from None
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
                f'({gdf.crs}); set [precincts] datum = "wgs84" or export lon/lat'
            )
        return _crs.gdf_to_wgs84(gdf, cfg.datum)
    if not pyproj.CRS(gdf.crs).equals(pyproj.CRS("EPSG:4326")):
        return gdf.to_crs("EPSG:4326")
    return gdf


def read_alert_file(
    path: Path, cfg: AlertLayer, facts: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read alerts (GeoJSON & co. or a table) and return the rows and the column mapping."""
    if path.suffix.lower() in _VECTOR:
        try:
            g = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear InputDataError
            raise InputDataError(f"{path}: cannot read as GeoJSON ({exc})") from None
        if g.crs is not None and not pyproj.CRS(g.crs).is_geographic:
            g = g.to_crs("EPSG:4326")
        df = pd.DataFrame(g.drop(columns="geometry"))
        pts = [p if p is not None and not p.is_empty and p.geom_type == "Point" else None
               for p in g.geometry]  # fmt: skip
        df["_lon"] = [np.nan if p is None else p.x for p in pts]
        df["_lat"] = [np.nan if p is None else p.y for p in pts]
        df["_row"] = np.arange(len(df)) + 1
        facts.update(format="geojson", encoding=None)
        return df, {"lon": "_lon", "lat": "_lat", **cfg.columns}
    df, f = read_table(path, encoding=cfg.encoding, sheet=cfg.sheet, layer="alerts")
    facts.update(f)
    return df, dict(cfg.columns)


def alert_columns(df: pd.DataFrame, path: Path, mapping: dict[str, str]) -> dict[str, str | None]:
    """Find the alert columns; lon, lat and time are required."""
    cols = find_columns(
        [c for c in df.columns if c != "_row"], ALERT_COLUMNS, mapping, source=str(path)
    )
    missing = [k for k in ("lon", "lat", "time") if cols[k] is None]
    if missing:
        wanted = {k: list(ALERT_COLUMNS[k][:6]) for k in missing}
        example = ", ".join(f'{k} = "..."' for k in missing)
        raise InputDataError(
            f"{path}: required columns not found: {missing} (looked for headers like {wanted}); "
            f"rename them or map them in [alerts] columns = {{{example}}}"
        )
    return cols


def read_osm_venues(path: Path, rej: Rejects) -> pd.DataFrame:
    """Venue points from an OSM XML file, mapped to kinds exactly as ``osm fetch`` maps them."""
    import osmnx as ox  # imported here: slow import, only needed for OSM files

    from geo_outreach.osm import venues_from_features

    tags: dict[str, bool | str | list[str]] = dict(osm_tags_query())
    try:
        feats = ox.features_from_xml(path, tags=tags)
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
    fallback = venues["kind"] + " " + venues["venue_id"].str.rsplit("/", n=1).str[-1]
    names = venues["name"].where(venues["name"] != "", fallback)
    return pd.DataFrame(
        {
            "venue_id": venues["venue_id"],
            "kind": venues["kind"],
            "name": names,
            "lon": venues.geometry.x,
            "lat": venues.geometry.y,
            "_row": venues["venue_id"].str.removeprefix("osm:"),
        }
    )


def read_venue_file(
    path: Path, cfg: VenueLayer, rej: Rejects, facts: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """Read venues (OSM XML, GeoJSON & co. or a table); return the rows and their columns."""
    name = path.name.lower()
    if name.endswith((".osm", ".osm.bz2", ".osm.xml")):
        facts.update(format="osm")
        cols: dict[str, str | None] = {
            "lon": "lon", "lat": "lat", "kind": "kind", "id": "venue_id", "name": "name"
        }  # fmt: skip
        return read_osm_venues(path, rej), cols
    if name.endswith(_VECTOR):
        g = gpd.read_file(path)
        if g.crs is not None and not pyproj.CRS(g.crs).is_geographic:
            g = g.to_crs("EPSG:4326")
        df = pd.DataFrame(g.drop(columns="geometry"))
        pts = [None if p is None or p.is_empty else p.representative_point() for p in g.geometry]
        df["lon"] = [np.nan if p is None else p.x for p in pts]
        df["lat"] = [np.nan if p is None else p.y for p in pts]
        df["_row"] = np.arange(len(df)) + 1
        facts.update(format="geojson")
        mapping = {"lon": "lon", "lat": "lat", **cfg.columns}
    else:
        df, f = read_table(path, encoding=cfg.encoding, layer="venues")
        facts.update(f)
        mapping = dict(cfg.columns)
    cols = find_columns(
        [c for c in df.columns if c != "_row"], VENUE_COLUMNS, mapping, source=str(path)
    )
    missing = [k for k in ("lon", "lat", "kind") if cols[k] is None]
    if missing:
        raise InputDataError(
            f"{path}: required venue columns not found: {missing}; add a 'kind' column "
            f"({', '.join(VENUE_KINDS)}) and lon/lat, or map them in [[venues]] columns"
        )
    return df, cols
