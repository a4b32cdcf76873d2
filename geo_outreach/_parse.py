"""Reading what planners export into raw rows, for the loaders in :mod:`geo_outreach.io`.

Tables in UTF-8, UTF-8 with BOM or GBK/GB18030 and XLSX; headers in Chinese or English found by
alias (:data:`ALERT_COLUMNS` ...); date-times in the many shapes Chinese exports use;
coordinates checked for missing, out-of-range and swapped values; one reader per layer file
(precinct polygons, alert tables, venue files and OSM XML). Every row a loader drops goes to a
:class:`Rejects` log with file, row, column and reason. :mod:`geo_outreach.io` turns the rows
into checked layers in the working CRS.
"""

from __future__ import annotations

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
from geo_outreach._parquet import parquet_columns, read_parquet_rows
from geo_outreach._tables import known_headers, norm_header, read_table, reject_ragged
from geo_outreach._validate import VENUE_KINDS, osm_tags_query
from geo_outreach.scenario import AlertLayer, VenueLayer

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["layer", "file", "row", "column", "reason", "value"]


def reject_frame(
    layer: str, file: str, rows: Any, reasons: Any, column: Any = "", values: Any = ""
) -> pd.DataFrame:
    """Build rejects column-wise: ``rows`` an array, the others an array or one value each.

    ``values`` cells that are None or NaN become ``""``, the others ``str(value)``.
    """
    n = len(rows)
    vals = pd.Series(np.full(n, values, dtype=object) if np.isscalar(values) or values is None
                     else np.asarray(values, dtype=object), dtype=object)  # fmt: skip
    text = vals.astype(str).where(vals.notna(), "") if n else vals
    return pd.DataFrame(
        {
            "layer": np.full(n, layer, dtype=object),
            "file": np.full(n, file, dtype=object),
            "row": np.asarray(rows, dtype=object) if n else np.empty(0, dtype=object),
            "column": np.full(n, column, dtype=object)
            if np.isscalar(column)
            else np.asarray(column, dtype=object),
            "reason": np.full(n, reasons, dtype=object)
            if np.isscalar(reasons)
            else np.asarray(reasons, dtype=object),
            "value": text.to_numpy(dtype=object),
        },
        columns=REJECT_COLUMNS,
    )


def order_rejects(df: pd.DataFrame) -> pd.DataFrame:
    """Numbered rows first by row number, then labelled rows (OSM refs) by label; stable."""
    if len(df) == 0:
        return df.reset_index(drop=True)
    rows = df["row"]
    if pd.api.types.infer_dtype(rows, skipna=False) == "integer":  # the usual case: no labels
        order = np.argsort(pd.to_numeric(rows).to_numpy(), kind="stable")
        return df.iloc[order].reset_index(drop=True)
    numbered = rows.map(lambda r: isinstance(r, (int, np.integer))).to_numpy(dtype=bool)
    num = np.where(numbered, pd.to_numeric(rows.where(numbered, 0)).to_numpy(), 0)
    label = np.where(numbered, "", rows.astype(str).to_numpy())
    order = np.lexsort((label, num, ~numbered))
    return df.iloc[order].reset_index(drop=True)


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
    chunks: list[pd.DataFrame] = field(default_factory=list)

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

    def add_many(self, rows: Any, reasons: Any, column: Any = "", values: Any = "") -> None:
        """Record many rejected rows at once (see :func:`reject_frame`)."""
        if len(rows):
            self.chunks.append(reject_frame(self.layer, self.file, rows, reasons, column, values))

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Record rejects already built as a table (:data:`REJECT_COLUMNS`)."""
        if len(frame):
            self.chunks.append(frame[REJECT_COLUMNS])

    @property
    def count(self) -> int:
        """Number of rejected rows so far."""
        return len(self.rows) + sum(len(c) for c in self.chunks)

    def frame(self) -> pd.DataFrame:
        """Return the rejects as a table: numbered rows first, in order, then labelled rows."""
        parts = [pd.DataFrame(self.rows, columns=REJECT_COLUMNS), *self.chunks]
        df = pd.concat([p.astype(object) for p in parts], ignore_index=True)
        return order_rejects(df.infer_objects())


def need_file(path: Path, layer: str) -> None:
    """Raise :class:`InputDataError` naming the scenario section when ``path`` is no file."""
    if not path.is_file():
        raise InputDataError(
            f"{path}: file not found ({layer} layer); check [{layer}] path in the scenario"
        )


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
    normed = {norm_header(c): c for c in columns}
    for key, names in aliases.items():
        if key in mapping:
            if mapping[key] not in columns:
                raise InputDataError(
                    f"{source}: column {mapping[key]!r} (mapped for {key!r}) is not in the file; "
                    f"its columns are {list(columns)}"
                )
            found[key] = mapping[key]
            continue
        found[key] = next((normed[norm_header(a)] for a in names if norm_header(a) in normed), None)
    unknown = set(mapping) - set(aliases)
    if unknown:
        raise InputDataError(
            f"{source}: unknown column-map keys {sorted(unknown)}; use {sorted(aliases)}"
        )
    return found


_COMMA_DECIMAL = re.compile(r"^[-+]?\d{1,3},\d+$")
_DMS = re.compile(
    r"^([NSEW东西南北])?\s*([-+]?\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(\d+(?:\.\d+)?)\s*['′’分]\s*)?(?:(\d+(?:\.\d+)?)\s*(?:[\"″”秒]|'')\s*)?"
    r"([NSEW东西南北])?$",
    re.IGNORECASE,
)


def parse_coordinate(text: str) -> float:
    """One coordinate written as text: ``113,05`` (comma decimal) or degrees-minutes-seconds.

    ``113°05'30"E``, ``22°30.5'N``, ``东经113度5分30秒`` and ``S 33°52'`` are read; a south or
    west hemisphere letter makes the value negative. NaN when the text is none of these.
    """
    s = text.strip()
    if _COMMA_DECIMAL.match(s):
        return float(s.replace(",", "."))
    m = _DMS.match(s.replace("东经", "E").replace("北纬", "N").replace("南纬", "S"))
    if m is None:
        return float("nan")
    deg, minutes, seconds = float(m[2]), float(m[3] or 0), float(m[4] or 0)
    if minutes >= 60 or seconds >= 60:
        return float("nan")
    value = abs(deg) + minutes / 60 + seconds / 3600
    hemi = (m[1] or m[5] or "").upper()
    return -value if deg < 0 or hemi in ("S", "W", "西", "南") else value


#: A plain decimal number (what arrow's cast reads exactly as ``pd.to_numeric`` does).
_PLAIN_NUMBER = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"


def _plain_numbers(values: pd.Series) -> pd.Series | None:
    """:func:`pd.to_numeric` for an arrow text column, fast (None for other columns).

    Cells that are plain decimal numbers are cast by arrow (the same doubles); the others
    (blank, spaces, ``inf``, words) go through ``pd.to_numeric`` as before.
    """
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values.array.__arrow_array__()
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), False)
    nums = pc.cast(pc.if_else(plain, arr, pa.scalar("nan", arr.type)), pa.float64())
    out = np.asarray(nums.to_numpy(), dtype=float).copy()
    rest = ~np.asarray(plain.to_numpy(), dtype=bool) & values.notna().to_numpy()
    if rest.any():
        got = pd.to_numeric(values[rest], errors="coerce").astype(float)
        out[rest] = got.to_numpy()
    return pd.Series(out, index=values.index)


def to_float(values: pd.Series) -> pd.Series:
    """Parse numbers (text is stripped first); comma decimals and DMS text are read too.

    NaN where the cell is not a coordinate (see :func:`parse_coordinate`). Vectorised: only
    cells that are not plain numbers go through the text parser.
    """
    if values.dtype.kind in "fiu":
        return values.astype(float)
    out = _plain_numbers(values)
    if out is None:
        out = pd.Series(pd.to_numeric(values, errors="coerce"), index=values.index).astype(float)
    miss = out.isna().to_numpy() & values.notna().to_numpy()
    if miss.any():
        sub = values[miss]
        text = sub.map(lambda v: v.strip() if isinstance(v, str) else v)
        got = pd.to_numeric(text, errors="coerce").astype(float)
        words = got.isna() & text.map(lambda v: isinstance(v, str) and v != "").astype(bool)
        if words.any():
            got[words] = text[words].map(parse_coordinate).astype(float)
        out[miss] = got.to_numpy()
    return out


def is_blank(value: Any) -> bool:
    """Tell whether a cell is empty: None, NaN or whitespace-only text."""
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and np.isnan(value))
    )


def _blank_cells(values: pd.Series) -> np.ndarray:
    """Vectorised :func:`is_blank`."""
    text = values.map(lambda v: v.strip() if isinstance(v, str) else "x")
    return values.isna().to_numpy() | (text == "").to_numpy()


#: What :func:`classify_points` gives for the rejects: rows, reasons, column, values.
PointRejects = tuple[list[Any], list[str], str, list[str]]


def classify_points(
    lon: pd.Series,
    lat: pd.Series,
    rows: pd.Series,
    bbox: tuple[float, float, float, float] | None,
    *,
    where: str,
    raw: tuple[pd.Series, pd.Series] | None = None,
) -> tuple[np.ndarray, PointRejects]:
    """Find rows with no / unreadable / out-of-range / swapped coordinates (vectorised).

    A point outside ``bbox`` (lon/lat, the study area padded) whose swapped coordinates fall
    inside it is reported as a probable lat/lon swap. With the ``raw`` cells, a row whose cells
    are not empty but not numbers is "unparseable coordinates" showing the cells.

    Returns
    -------
    tuple of (numpy.ndarray, PointRejects)
        The keep mask and the rejects (rows, reasons, ``where`` column, values) in row order,
        for :meth:`Rejects.add_many` or :func:`reject_frame`.
    """
    x, y = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    nan = np.isnan(x) | np.isnan(y)
    swap = np.zeros(len(x), dtype=bool)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        inside = (minx <= x) & (x <= maxx) & (miny <= y) & (y <= maxy)
        swapped = (minx <= y) & (y <= maxx) & (miny <= x) & (x <= maxy)
        swap = ~nan & ~inside & swapped
    rng = ~nan & ~swap & ~((-180 <= x) & (x <= 180) & (-90 <= y) & (y <= 90))
    reason = np.full(len(x), "", dtype=object)
    value = np.full(len(x), "", dtype=object)
    reason[nan] = "no coordinates"
    if raw is not None and nan.any():
        rx, ry = raw[0][nan], raw[1][nan]
        bx, by = _blank_cells(rx), _blank_cells(ry)
        unread = (~bx & np.isnan(x[nan])) | (~by & np.isnan(y[nan]))
        pos = np.flatnonzero(nan)[unread]
        reason[pos] = "unparseable coordinates"
        value[pos] = [
            f"{'' if b1 else c1}, {'' if b2 else c2}"
            for c1, c2, b1, b2 in zip(rx[unread], ry[unread], bx[unread], by[unread])
        ]
    reason[swap] = "probable lat/lon swap (swap the two columns)"
    reason[rng] = "coordinates out of range"
    shown = swap | rng
    value[shown] = [f"{a}, {b}" for a, b in zip(x[shown], y[shown])]
    bad = nan | swap | rng
    rejects = (rows[bad].tolist(), reason[bad].tolist(), where, value[bad].tolist())
    return ~bad, rejects


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
    pos = np.flatnonzero(keep)
    kid = ids.iloc[pos].reset_index(drop=True)
    dup = kid.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    krow = rows.iloc[pos].reset_index(drop=True)
    krow = krow.map(int) if as_int else krow
    first = krow.groupby(kid, sort=False).transform("first")
    reasons = [f"duplicate id (same as row {r})" for r in first[dup].tolist()]
    rej.add_many(krow[dup].tolist(), reasons, column, kid[dup].to_numpy())
    keep[pos[dup]] = False


def row_key(value: Any) -> str:
    """Return a cell as a stripped id string ("" for None/NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def stripped_text(values: pd.Series) -> pd.Series | None:
    """Strip a column of text cells in arrow (None when not every non-empty cell is text).

    Returns an object Series of Python strings, ``<NA>`` where the cell was None/NaN.
    """
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in (
        "string",
        "empty",
    ):
        return None
    return values.astype("string").str.strip().astype(object)


def text_ids(values: pd.Series) -> pd.Series:
    """Vectorised :func:`row_key` for a column."""
    text = stripped_text(values)
    if text is not None:
        return text.where(text.notna(), "")
    if values.dtype == object:
        return values.map(lambda v: v.strip() if isinstance(v, str) else row_key(v)).astype(object)
    out = values.astype(str).str.strip()
    return out.where(values.notna(), "").astype(object)


# --------------------------------------------------------------------------- layer files

#: Header aliases, compared after lower-casing and removing spaces, "_", "-" and brackets.
ALERT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": (
        "alert_id", "id", "警情编号", "警情号", "编号", "案件编号", "接警编号", "case_id", "caseid",
        "no",
    ),
    "lon": (
        "lon", "lng", "long", "longitude", "经度", "x", "gcj_lon", "wgs_lon", "东经", "x坐标",
        "坐标x", "经度坐标",
    ),
    "lat": (
        "lat", "latitude", "纬度", "y", "gcj_lat", "wgs_lat", "北纬", "y坐标", "坐标y", "纬度坐标",
    ),
    "time": (
        "reported_at", "报警时间", "接警时间", "发案时间", "案发时间", "时间", "日期", "报警日期",
        "date", "time", "datetime", "timestamp", "reported", "立案时间", "受理时间", "案发日期",
        "发案日期", "date of occurrence", "occurred",
    ),
    "category": (
        "category", "案件类别", "类别", "警情类别", "诈骗类型", "案件类型", "类型", "type", "案别",
        "警情类型", "primary type", "primary_type", "offense", "crime type",
    ),
    "age_band": ("age_band", "受害人年龄段", "年龄段", "受害人年龄", "年龄", "age", "ageband"),
    # issue 10 (F): recognised so it is recorded, not used in the analysis
    "description": ("description", "简要案情", "案情", "警情内容", "案情简述", "summary"),
}  # fmt: skip
VENUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("venue_id", "id", "编号", "osmid"),
    "lon": ALERT_COLUMNS["lon"],
    "lat": ALERT_COLUMNS["lat"],
    "kind": ("kind", "类型", "类别", "type"),
    "name": ("name", "名称", "场所名称", "地点"),
}
_VECTOR = (".geojson", ".json", ".gpkg", ".shp")
_PARQUET = (".parquet", ".geoparquet", ".pq")


def _point_lonlat(geom: gpd.GeoSeries, representative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of point geometries (NaN for missing/empty/non-point; other shapes' inner point)."""
    arr = geom.values
    empty = geom.isna().to_numpy() | shapely.is_empty(arr)
    if representative:
        pts = np.where(empty, None, shapely.point_on_surface(np.where(empty, None, arr)))
    else:
        pts = np.where(empty | (shapely.get_type_id(arr) != 0), None, arr)
    return shapely.get_x(pts), shapely.get_y(pts)


def read_alert_file(
    path: Path, cfg: AlertLayer, facts: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read alerts (GeoJSON & co., (Geo)Parquet or a table); return the rows and column mapping."""
    if path.suffix.lower() in _PARQUET:
        names, primary = parquet_columns(path, "alerts")
        found = find_columns(names, ALERT_COLUMNS, dict(cfg.columns), source=str(path))
        needed = ("time",) if primary else ("lon", "lat", "time")
        wanted = (  # only the columns used are read (all when one is missing: the error below)
            [n for n in names if n in found.values()] if all(found[k] for k in needed) else None
        )
        df, geom, fmt = read_parquet_rows(path, "alerts", wanted)
        facts.update(format=fmt, encoding=None)
        if geom is None:
            return df, dict(cfg.columns)
        df["_lon"], df["_lat"] = _point_lonlat(geom, representative=False)
        return df, {"lon": "_lon", "lat": "_lat", **cfg.columns}
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
    df, f = read_table(
        path,
        encoding=cfg.encoding,
        sheet=cfg.sheet,
        layer="alerts",
        header_row=cfg.header_row,
        known=known_headers(ALERT_COLUMNS),
    )
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
    if name.endswith(_PARQUET):
        df, geom, fmt = read_parquet_rows(path, "venues")
        facts.update(format=fmt)
        mapping = dict(cfg.columns)
        if geom is not None:
            df["lon"], df["lat"] = _point_lonlat(geom, representative=True)
            mapping = {"lon": "lon", "lat": "lat", **cfg.columns}
    elif name.endswith(_VECTOR):
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
        df, f = read_table(
            path,
            encoding=cfg.encoding,
            sheet=cfg.sheet,
            layer="venues",
            header_row=cfg.header_row,
            known=known_headers(VENUE_COLUMNS),
        )
        facts.update(f)
        reject_ragged(facts, rej.add)
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
