"""Worker-side reading of an alert file (issue 14): each Dask partition reads its own slice.

The client only plans the slices -- it reads the file's HEAD (header, encoding), a Parquet
file's footer (row counts), and small per-slice scans the workers send back -- so the rows
never pass through it on their way to the workers.

- **CSV** (UTF-8/GBK/GB18030 text without quote characters or lone carriage returns, the
  "plain" files :func:`geo_outreach._tables._fast_csv` reads): byte ranges cut just after a
  newline. Every slice is parsed by :func:`geo_outreach._tables._read_csv_text` (the file
  loader's own parser) with the file's top lines up to the header put in front, so the
  header, delimiter, blank lines and ragged rows are read as in the whole file; its ``_row``
  is shifted by the number of lines before the slice (counted by the workers first, in
  :func:`scan_range`), so rejects name ORIGINAL file rows.
- **(Geo)Parquet**: row ranges, read by row group (``pyarrow``), with the conversions of
  :func:`geo_outreach._parse.read_parquet_rows` (``_row`` = parquet row + 1; WKB points in a
  projected CRS go to WGS84 as there).

Anything else (quoted CSV, UTF-16, spreadsheets, GeoJSON) is read whole on the client as
before (:func:`plan_slices` returns None and says why).
"""

from __future__ import annotations

import codecs
import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd

from geo_outreach._errors import InputDataError
from geo_outreach._parse import ALERT_COLUMNS, _point_lonlat
from geo_outreach._parquet import parquet_frame, parquet_row_range
from geo_outreach._tables import (
    SPLITTABLE,
    _decode,
    _read_csv_text,
    header_line,
    known_headers,
)
from geo_outreach.scenario import AlertLayer

__all__ = ["Slice", "plan_slices", "read_slice", "scan_range", "time_votes"]

#: Bytes of the head the client reads to find the header and estimate bytes per row.
HEAD_BYTES = 1 << 20
_PARQUET = (".parquet", ".geoparquet", ".pq")
_TABLE = (".xlsx", ".xlsm", ".xls")


@dataclass(frozen=True)
class Slice:
    """One partition's share of the file (small and picklable: sent to a worker).

    Attributes
    ----------
    path
        The file (absolute; every worker must see it at this path).
    kind
        ``csv`` (``start``/``stop`` are byte offsets) or ``parquet`` (row offsets).
    start, stop
        The range.
    lines_before
        CSV: physical lines before ``start`` (so the slice's first line is
        ``lines_before + 1``); Parquet: rows before ``start``.
    prefix
        CSV: the file's lines 1..header (bytes), put in front of a slice that does not
        start the file (empty for the first slice).
    header_line
        CSV: the 1-based line of the header.
    encoding
        CSV: text encoding (``utf-8`` under ``auto`` may turn out to be ``gb18030``).
    auto
        CSV: the layer's encoding is ``auto`` (a UTF-8 failure means GB18030, as in
        :func:`geo_outreach._tables.detect_encoding`).
    geo
        Parquet: ``(geometry column, CRS as JSON text or None)`` for GeoParquet, else None.
    """

    path: str
    kind: Literal["csv", "parquet"]
    start: int
    stop: int
    lines_before: int = 0
    prefix: bytes = b""
    header_line: int = 1
    encoding: str = "utf-8"
    auto: bool = False
    geo: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class Plan:
    """The slices of a file and the read facts the file loader would report."""

    slices: tuple[Slice, ...]
    facts: dict[str, Any]
    mapping: dict[str, str]


# --------------------------------------------------------------------------- CSV


def scan_range(path: str, start: int, stop: int) -> tuple[int, int, bool]:
    """Scan bytes ``[start, stop)`` on a worker: newlines, first newline, plain or not.

    Returns
    -------
    tuple of (int, int, bool)
        Newlines in the range, the offset of its first newline (-1: none), and whether the
        range is NOT plain (a quote character or a carriage return not before a newline).
    """
    with _open(path) as fh:
        fh.seek(start)
        raw = fh.read(stop - start + 1)  # one byte more: a CR at the end may precede LF
    body = raw[: stop - start]
    first = body.find(b"\n")
    not_plain = b'"' in body or _lone_cr(raw, stop - start)
    return body.count(b"\n"), (start + first if first >= 0 else -1), not_plain


def _open(path: str) -> BinaryIO:
    """Open the alert file on a worker; a worker that cannot see it gets a clear error."""
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it (with)
    except OSError as exc:
        raise InputDataError(
            f"{path}: a Dask worker cannot read the alert file ({exc.strerror}); every worker "
            "needs it at this same path (shared storage), or use local workers"
        ) from None


def _lone_cr(raw: bytes, n: int) -> bool:
    """Tell whether a carriage return among the first ``n`` bytes is not before a newline."""
    crs = np.flatnonzero(np.frombuffer(raw[:n], dtype=np.uint8) == 13)
    if len(crs) == 0:
        return False
    nxt = np.frombuffer(raw, dtype=np.uint8)[np.minimum(crs + 1, len(raw) - 1)]
    return bool(((crs + 1 >= len(raw)) | (nxt != 10)).any())


def _head(path: Path, cfg: AlertLayer) -> tuple[str, str, bytes] | str:
    """Return the encoding, decoded head and head bytes of a CSV, or why it is not sliced."""
    with open(path, "rb") as fh:
        raw = fh.read(HEAD_BYTES)
    enc = cfg.encoding
    if enc == "auto":
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw[:4000].count(b"\x00") > 1000:
            return "UTF-16 text"
        enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        if codecs.lookup(enc).name not in SPLITTABLE:
            return f"encoding {enc!r}"
    except LookupError:
        return f"encoding {enc!r}"  # the file loader names the error
    head = raw[: raw.rfind(b"\n") + 1] if len(raw) == HEAD_BYTES else raw
    try:
        text = head.decode(enc)
    except UnicodeDecodeError:
        if cfg.encoding != "auto":
            return f"the head does not decode as {enc}"  # the file loader names the error
        enc, text = "gb18030", head.decode("gb18030", errors="replace")
    return enc, text, head


def _header_line(text: str, header_row: int | None, known: set[str]) -> int | None:
    """Return the 1-based header line of the head text, found as the file loader finds it."""
    found = header_line(text, header_row, known)
    return None if found is None else found[0]


def _plan_csv(path: Path, cfg: AlertLayer, rows: int, scan: Any) -> Plan | str:
    """Byte-range slices of a plain CSV (``scan`` runs :func:`scan_range` on the workers)."""
    got = _head(path, cfg)
    if isinstance(got, str):
        return got
    enc, text, head = got
    try:
        top = _header_line(text, cfg.header_row, known_headers(ALERT_COLUMNS))
    except csv.Error:
        return "the head is not plain CSV"
    if top is None:
        return "no body rows in the head"
    ends = np.flatnonzero(np.frombuffer(head, dtype=np.uint8) == 10)
    if len(ends) < top:
        return "the header is not in the head"
    prefix = head[: ends[top - 1] + 1]  # lines 1..header, with their newline
    size = path.stat().st_size
    per_row = len(head) / max(len(ends), 1)
    step = max(int(rows * per_row), len(prefix) + 1, 1 << 16)
    ranges = [(str(path), s, min(s + step, size)) for s in range(0, size, step)]
    scans = scan(ranges)
    if any(not_plain for _, _, not_plain in scans):
        return "quoted fields or lone carriage returns"
    cuts, before, seen = [0], [0], 0
    for k, (n_nl, first, _) in enumerate(scans):
        if k and first >= len(prefix) and first + 1 < size:
            cuts.append(first + 1)
            before.append(seen + 1)  # the lines up to and including that first newline
        seen += n_nl
    cuts.append(size)
    slices = tuple(
        Slice(str(path), "csv", cuts[i], cuts[i + 1], before[i], prefix if i else b"", top,
              enc, cfg.encoding == "auto")
        for i in range(len(cuts) - 1)
    )  # fmt: skip
    return Plan(slices, {"format": "csv", "encoding": enc}, dict(cfg.columns))


def _read_csv(sl: Slice) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]], str]:
    """Parse a CSV slice; rows and ragged records renumbered as file rows.

    Under ``encoding = "auto"`` a slice that is not UTF-8 is read as GB18030 and says so (the
    third item): the engine then reads every slice as GB18030, as the file loader would.
    """
    with _open(sl.path) as fh:
        fh.seek(sl.start)
        raw = sl.prefix + fh.read(sl.stop - sl.start)
    enc, text = sl.encoding, None
    if sl.auto and enc != "gb18030":
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            enc = "gb18030"
    if text is None:
        text, _ = _decode(raw, Path(sl.path), enc, "alerts")
    df, ragged = _read_csv_text(text.lstrip("\ufeff"), Path(sl.path), sl.header_line, None)
    shift = sl.lines_before - sl.header_line if sl.prefix else 0
    if shift:
        df["_row"] = df["_row"].to_numpy() + shift
        ragged = [(row + shift, f, w, v) for row, f, w, v in ragged]
    return df, ragged, enc


# --------------------------------------------------------------------------- Parquet


def _plan_parquet(path: Path, cfg: AlertLayer, rows: int) -> Plan | str:
    """Row-range slices of a (Geo)Parquet file, from its footer only."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        meta = pf.schema_arrow.metadata or {}
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
        raise InputDataError(
            f"{path}: cannot read as (Geo)Parquet ({exc}); check the [alerts] path"
        ) from None
    geo: tuple[str, str | None] | None = None
    mapping = dict(cfg.columns)
    if b"geo" in meta:
        info = json.loads(meta[b"geo"])
        column = info.get("primary_column", "geometry")
        spec = info.get("columns", {}).get(column, {})
        if str(spec.get("encoding", "WKB")).upper() != "WKB":
            return f"GeoParquet encoding {spec.get('encoding')!r}"
        crs = spec.get("crs", "OGC:CRS84")
        geo = (column, None if crs is None else json.dumps(crs))
        mapping = {"lon": "_lon", "lat": "_lat", **mapping}
    total = pf.metadata.num_rows
    if total == 0:
        return "no rows"  # the file loader gives the error
    sizes = [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)]
    if max(sizes) <= rows:  # whole row groups per slice: no group is decoded twice
        bounds, acc = [0], 0
        for size in sizes:
            acc += size
            if acc - bounds[-1] >= rows:
                bounds.append(acc)
        bounds += [total] if bounds[-1] < total else []
    else:  # a group larger than a slice: slices cut through it (each decodes the group)
        n = max(math.ceil(total / rows), 1)
        bounds = [round(total * i / n) for i in range(n + 1)]
    slices = tuple(
        Slice(str(path), "parquet", bounds[i], bounds[i + 1], bounds[i], geo=geo)
        for i in range(len(bounds) - 1)
    )
    facts = {"format": "geoparquet" if geo else "parquet", "encoding": None}
    return Plan(slices, facts, mapping)


def _read_parquet(sl: Slice) -> pd.DataFrame:
    """Rows ``[start, stop)`` of a (Geo)Parquet file, as ``read_parquet_rows`` gives them."""
    import geopandas as gpd
    import pyproj
    import shapely

    _open(sl.path).close()  # a clear error when this worker cannot see the file
    table = parquet_row_range(sl.path, sl.start, sl.stop)
    geom = None
    if sl.geo is not None:
        column, crs = sl.geo
        wkb = table.column(column).to_numpy(zero_copy_only=False)
        table = table.drop_columns([column])
        crs_obj = pyproj.CRS.from_json(crs) if crs else pyproj.CRS("OGC:CRS84")
        geom = gpd.GeoSeries(shapely.from_wkb(wkb), crs=crs_obj)
        if not crs_obj.is_geographic:
            geom = geom.to_crs("EPSG:4326")
    df = parquet_frame(table.to_pandas(), sl.start)  # as read_parquet_rows gives them
    if geom is not None:
        df["_lon"], df["_lat"] = _point_lonlat(geom, representative=False)
    return df


# --------------------------------------------------------------------------- both


def plan_slices(cfg: AlertLayer, rows: int, scan: Any) -> Plan | str:
    """Plan the worker-side slices of the alert file, or say why it is read on the client.

    Parameters
    ----------
    cfg
        The alert layer (``source = "file"``).
    rows
        Rows per partition (``[engine] partition_rows``; CSV: estimated from the head).
    scan
        ``scan(list of (path, start, stop)) -> list of scan_range results``, run on the
        workers by the engine.

    Returns
    -------
    Plan or str
        The slices, or the reason the file is read whole (quoted CSV, UTF-16, XLSX ...).
    """
    path = Path(cfg.path or "").resolve()
    suffix = path.suffix.lower()
    if not path.is_file():
        return "not a file"  # the file loader gives the error
    if suffix in _PARQUET:
        return _plan_parquet(path, cfg, rows)
    if suffix in _TABLE or suffix in (".geojson", ".json", ".gpkg", ".shp"):
        return f"{suffix} files are read whole"
    return _plan_csv(path, cfg, rows, scan)


def read_slice(sl: Slice) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]], str]:
    """Read one slice on a worker: raw rows with file ``_row``, ragged records, encoding.

    The encoding is ``gb18030`` when an ``auto`` CSV slice is not UTF-8 (the engine then
    reads every slice as GB18030, as the file loader would); "" for Parquet.
    """
    if sl.kind == "parquet":
        return _read_parquet(sl), [], ""
    return _read_csv(sl)


def time_votes(read: tuple[pd.DataFrame, Any, str], column: str) -> pd.Series:
    """Return the time cells that may vote on the day/month order (a superset of the voters).

    :func:`geo_outreach._times.decide_day_order` only counts ``dd/mm``-like rows (one or two
    digits, then a non-digit); sending only those keeps the decision exact for the whole file
    while the client receives a small part of one column.
    """
    values = read[0][column]
    text = values.astype("string").str.strip()
    maybe = text.str.match(r"^[0-9]{1,2}[^0-9]").fillna(False).astype(bool).to_numpy()
    return values[maybe].reset_index(drop=True)
