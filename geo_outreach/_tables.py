"""Tables as police systems export them: CSV/TSV in any common encoding, XLSX with title rows.

- Encodings: UTF-8, UTF-8 with BOM, UTF-16 ("Unicode text" from Excel, tab-separated) and
  GBK/GB18030 are detected; the delimiter (comma, tab, semicolon) is sniffed from the header.
- Header row: title rows above the header are skipped. The header is the first row among the
  first :data:`HEADER_SCAN` whose cells match the most known headers of the layer (at least 2);
  a layer can name it with ``header_row`` (1-based file row) and the sheet with ``sheet``.
- XLSX: every sheet is tried in order (a summary sheet first is skipped); merged cells (a
  category merged down several rows) get the merged value in every row; when no sheet has a
  header, the error lists each sheet with its first rows.
- Ragged CSV rows (more or fewer fields than the header) are returned in ``facts["ragged"]``
  as ``(row, fields, value)`` for the loader to reject; the other rows are kept.

Every frame has ``_row``: the 1-based row of each record in the file (or sheet).
"""

from __future__ import annotations

import csv
import io as _io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo_outreach._errors import InputDataError

#: How many rows from the top are searched for the header.
HEADER_SCAN = 30


def norm_header(name: Any) -> str:
    """Compare headers lower-cased, without spaces, ``_``, ``-`` and brackets."""
    return re.sub(r"[\s_\-()（）\[\]]", "", str(name)).lower()


def detect_encoding(raw: bytes) -> str:
    """Return ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030`` (GBK superset): what decodes."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = raw[:4000]
    if head and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a byte-order mark
        odd_zeros = head[1::2].count(b"\x00")  # ASCII in UTF-16-LE: "a\x00"
        return "utf-16-le" if odd_zeros >= head[0::2].count(b"\x00") else "utf-16-be"
    for enc in ("utf-8", "gb18030"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("auto", raw[:1], 0, 1, "neither UTF-8 nor GBK/GB18030")


def _decode(raw: bytes, path: Path, encoding: str, layer: str) -> tuple[str, str]:
    """Return the text and the encoding used (``auto`` detects it)."""
    if encoding == "auto":
        try:
            encoding = detect_encoding(raw)
        except UnicodeDecodeError:
            raise InputDataError(
                f"{path}: text is neither UTF-8, UTF-16 nor GBK; save it as UTF-8 or set "
                f"[{layer}] encoding"
            ) from None
    try:
        return raw.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputDataError(
            f"{path}: cannot decode as {encoding} ({exc}); fix [{layer}] encoding"
        ) from None


def find_header(grid: list[list[Any]], known: set[str] | None) -> int | None:
    """Return the header row index in ``grid``: best match of ``known`` headers (>= 2 cells).

    Without ``known`` headers the first non-empty row is the header.
    """
    best, best_score = None, 1
    for i, row in enumerate(grid[:HEADER_SCAN]):
        cells = [c for c in row if c is not None and str(c).strip()]
        if not cells:
            continue
        if known is None:
            return i
        score = sum(norm_header(c) in known for c in cells)
        if score > best_score:
            best, best_score = i, score
    return best


def _frame(header: list[Any], body: list[list[Any]], rows: list[int], fill: Any) -> pd.DataFrame:
    """Build a frame from a header and records of the same length, with ``_row``."""
    names: list[str] = []
    for j, h in enumerate(header):
        name = str(h).strip() if h is not None and str(h).strip() else f"column{j + 1}"
        while name in names:
            name += "_2"
        names.append(name)
    df = pd.DataFrame(body, columns=names, dtype=object) if body else pd.DataFrame(columns=names)
    df = df.fillna(fill) if fill is not None else df
    df["_row"] = np.asarray(rows, dtype=int)
    return df


def _sheet_grid(ws: Any) -> list[list[Any]]:
    """Return a worksheet as rows, merged ranges filled with their top-left value."""
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) else None
        for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            for c in range(rng.min_col - 1, rng.max_col):
                if c < len(grid[r]):
                    grid[r][c] = top
    return grid


def _preview(grid: list[list[Any]], n: int = 3) -> str:
    rows = [[c for c in r if c is not None and str(c).strip()] for r in grid[:8]]
    shown = [" | ".join(str(c) for c in r)[:80] for r in rows if r][:n]
    return "; ".join(shown) or "(empty)"


def _read_excel(
    path: Path, sheet: str | None, header_row: int | None, known: set[str] | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import openpyxl  # imported here: only spreadsheets need it

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl/zipfile raise many types
        raise InputDataError(
            f"{path}: cannot read as Excel .xlsx ({exc}); save it as .xlsx or CSV"
        ) from None
    if sheet is not None and sheet not in wb.sheetnames:
        raise InputDataError(
            f"{path}: no sheet {sheet!r}; the sheets are {wb.sheetnames}; fix the layer's sheet"
        )
    seen = []
    for name in [sheet] if sheet else wb.sheetnames:
        grid = _sheet_grid(wb[name])
        h = header_row - 1 if header_row else find_header(grid, known)
        if h is None or h >= len(grid):
            seen.append(f"sheet {name!r}: {_preview(grid)}")
            continue
        body = [(i + 1, r) for i, r in enumerate(grid[h + 1 :], start=h + 1)]
        body = [(n, r) for n, r in body if any(c is not None and str(c).strip() for c in r)]
        df = _frame(grid[h], [r for _, r in body], [n for n, _ in body], None)
        return df, {"format": "xlsx", "encoding": None, "sheet": name, "header_row": h + 1}
    raise InputDataError(
        f"{path}: no header row found (looked for known column names in the first "
        f"{HEADER_SCAN} rows of each sheet). Seen: {' / '.join(seen)}. Set the layer's "
        "sheet and header_row (1-based) in the scenario"
    )


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: (counts[d], d == ","))


#: Delimited text larger than this (characters) is read by the vectorised reader when it can.
FAST_CSV_CHARS = 2_000_000


def _line_bounds(raw: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte array, start and end (exclusive, at the newline) of every physical line."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.r_[0, nl + 1]
    ends = np.r_[nl, len(arr)]
    if starts[-1] == len(arr):  # the text ends with a newline: no last line
        starts, ends = starts[:-1], ends[:-1]
    return arr, starts, ends


def _per_line(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Count the True bytes of ``mask`` in each line (``mask`` is False at every newline)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    # sums from each line start to the next one: the line plus its newline, which adds 0
    return np.add.reduceat(mask, starts, dtype=np.int64)


def empty_lines(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Lines with no character at all (a lone carriage return counts as none)."""
    length = ends - starts
    last = arr[np.maximum(ends - 1, 0)] if len(arr) else np.zeros(len(ends), dtype=np.uint8)
    return (length - ((length > 0) & (last == 13))) == 0


def _arrow_csv(raw: bytes, offset: int, delim: str, width: int) -> pd.DataFrame | None:
    """Parse plain delimited bytes from ``offset`` with pyarrow (text columns ``"0"`` ...).

    Empty lines and lines with another number of fields are skipped (None on any error).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(j) for j in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(raw).slice(offset)),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, quote_char=False, invalid_row_handler=lambda _row: "skip"
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    return pd.DataFrame({n: table.column(n).to_pandas() for n in names})


def _fast_csv(
    text: str, path: Path, header_row: int | None, known: set[str] | None
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]]] | None:
    """:func:`_read_csv_text` for large plain files, vectorised (None: use the csv module).

    Plain = no quote character, no lone carriage return. Lines are classified with numpy
    (blank, ragged, good), the good ones parsed by pandas' C reader: the same rows, row numbers
    and ragged records as the csv module gives (a cell of only non-ASCII spaces such as U+3000
    counts as text here). Cells stay arrow strings (``str`` dtype), not Python objects: a
    tenth of the memory; the cleaning reads both alike (tests/io/test_scale.py).
    """
    if len(text) < FAST_CSV_CHARS or '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    raw = text.encode("utf-8")
    arr, starts, ends = _line_bounds(raw)
    scan = min(len(starts), max(HEADER_SCAN, header_row or 0) + 50)
    head_text = raw[: ends[scan - 1]].decode("utf-8") if scan else ""
    first = next((ln for ln in head_text.splitlines() if ln.strip()), "")
    delim = _delimiter(first)
    reader = csv.reader(_io.StringIO(head_text), delimiter=delim)
    records, line_of = [], []
    for rec in reader:
        if rec and any(c.strip() for c in rec):
            records.append(rec)
            line_of.append(reader.line_num)
    if not records:
        return None
    if header_row:
        h = next((i for i, n in enumerate(line_of) if n >= header_row), None)
    else:
        h = find_header(records, known) or 0
    if h is None or h >= len(records) - 1:
        return None
    header = [c.strip() for c in records[h]]
    width, top = len(header), line_of[h]  # header on 1-based line top: the body follows
    space = np.zeros(256, dtype=bool)
    space[[9, 13, 32]] = True
    space[ord(delim)] = False
    fields = _per_line(arr == ord(delim), starts, ends)[top:] + 1
    content = (ends - starts)[top:] - (fields - 1) - _per_line(space[arr], starts, ends)[top:]
    blank = content == 0
    ragged = ~blank & (fields != width)
    lines = np.arange(top, len(starts))
    arrow_rows = ~empty_lines(arr, starts, ends)[top:] & (fields == width)
    body = _arrow_csv(raw, int(starts[top]) if top < len(starts) else len(raw), delim, width)
    if body is None or len(body) != int(arrow_rows.sum()):
        return None  # a line arrow splits differently: use the csv module
    good_rows = ~blank[arrow_rows]
    if not good_rows.all():  # rows of empty cells: skipped like blank lines
        body = body[good_rows].reset_index(drop=True)
    good = lines[arrow_rows][good_rows]
    bad = [
        (int(n) + 1, int(f), width, raw[starts[n] : ends[n]].decode("utf-8").rstrip("\r")[:120])
        for n, f in zip(lines[ragged], fields[ragged], strict=True)
    ]
    frame = _frame(header, [], [], None)
    out = pd.DataFrame({name: body[str(j)] for j, name in enumerate(frame.columns[:-1])})
    out["_row"] = (good + 1).astype(int)
    return out, bad


def _read_csv_text(
    text: str, path: Path, header_row: int | None, known: set[str] | None
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]]]:
    """Parse delimited text; return the frame and the ragged records (row, fields, text)."""
    fast = _fast_csv(text, path, header_row, known)
    if fast is not None:
        return fast
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(_io.StringIO(text), delimiter=_delimiter(first))
    records: list[list[str]] = []
    line_of: list[int] = []
    try:
        for rec in reader:
            if rec and any(c.strip() for c in rec):
                records.append(rec)
                line_of.append(reader.line_num)
    except csv.Error as exc:
        raise InputDataError(f"{path}: not a valid CSV table ({exc})") from None
    if not records:
        raise InputDataError(f"{path}: the file is empty; export the table with its header row")
    if header_row:
        h = next((i for i, n in enumerate(line_of) if n >= header_row), len(records))
    else:
        h = find_header(records, known) or 0
    if h >= len(records):
        raise InputDataError(f"{path}: header_row = {header_row} is past the end of the file")
    header = [c.strip() for c in records[h]]
    width = len(header)
    body, rows, ragged = [], [], []
    delim = reader.dialect.delimiter
    for rec, n in zip(records[h + 1 :], line_of[h + 1 :], strict=True):
        if len(rec) == width:
            body.append(rec)
            rows.append(n)
        else:
            ragged.append((n, len(rec), width, delim.join(rec)[:120]))
    return _frame(header, body, rows, ""), ragged


def read_table(
    path: Path,
    *,
    encoding: str = "auto",
    sheet: str | None = None,
    layer: str,
    header_row: int | None = None,
    known: set[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read CSV/TSV or XLSX into strings/objects, with 1-based file row numbers in ``_row``.

    Parameters
    ----------
    path
        The file; ``.xlsx``/``.xlsm`` are spreadsheets, anything else is delimited text.
    encoding
        Text encoding, ``auto`` detects it.
    sheet, header_row
        The layer's spreadsheet sheet and 1-based header row (None: found).
    layer
        Scenario section named in messages.
    known
        Normalised (:func:`norm_header`) header names of the layer, to find the header row.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The frame and facts for the manifest (``encoding``, ``format``, ``ragged``).
    """
    if header_row is not None and header_row < 1:
        raise InputDataError(
            f"{path}: header_row = {header_row}; it counts file rows from 1 (fix [{layer}])"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet, header_row, known)
    if path.suffix.lower() == ".xls":
        raise InputDataError(f"{path}: old Excel .xls is not read; save it as .xlsx or CSV")
    text, encoding = _decode(path.read_bytes(), path, encoding, layer)
    df, ragged = _read_csv_text(text.lstrip("\ufeff"), path, header_row, known)
    return df, {"format": "csv", "encoding": encoding, "ragged": ragged}


def parquet_columns(path: Path, layer: str) -> tuple[list[str], str | None]:
    """Attribute column names of a (Geo)Parquet file and its geometry column (None: plain)."""
    import pyarrow.parquet as pq  # imported here: only Parquet input needs it

    try:
        schema = pq.read_schema(path)
        meta = schema.metadata or {}
        names = [n for n in schema.names if n != "__index_level_0__"]
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
        raise InputDataError(
            f"{path}: cannot read as (Geo)Parquet ({exc}); check the [{layer}] path"
        ) from None
    primary = json.loads(meta[b"geo"])["primary_column"] if b"geo" in meta else None
    return [n for n in names if n != primary], primary


def read_parquet_rows(
    path: Path, layer: str, columns: list[str] | None = None
) -> tuple[pd.DataFrame, gpd.GeoSeries | None, str]:
    """Read a (Geo)Parquet file: the attribute rows, the geometry, the format.

    Text columns stay arrow strings (a tenth of the memory of Python ``str`` objects; the
    cleaning reads both alike), other non-numeric columns become objects; the geometry is
    None for a plain Parquet file (lon/lat columns then). ``_row`` = row + 1. ``columns``:
    only these attribute columns are read (None: all).
    """
    import pyarrow.parquet as pq  # imported here: only Parquet input needs it

    try:
        meta = pq.read_schema(path).metadata or {}
        geo = b"geo" in meta
        if geo:
            primary = json.loads(meta[b"geo"])["primary_column"]
            g = gpd.read_parquet(path, columns=None if columns is None else [*columns, primary])
            if g.crs is not None and not pyproj.CRS(g.crs).is_geographic:
                g = g.to_crs("EPSG:4326")
            df, geom = pd.DataFrame(g.drop(columns=g.geometry.name)), g.geometry
        else:
            df, geom = pd.read_parquet(path, columns=columns), None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
        raise InputDataError(
            f"{path}: cannot read as (Geo)Parquet ({exc}); check the [{layer}] path"
        ) from None
    return parquet_frame(df, 0), geom, "geoparquet" if geo else "parquet"


def parquet_frame(df: pd.DataFrame, first: int) -> pd.DataFrame:
    """Parquet rows as the loaders take them; ``first`` = rows of the file before these.

    Text stays in arrow (no Python object per cell), other non-numeric columns become
    objects; ``_row`` = parquet row + 1.
    """
    df = df.reset_index(drop=True)
    for c in df.columns:
        if not (pd.api.types.is_numeric_dtype(df[c]) or isinstance(df[c].dtype, pd.StringDtype)):
            df[c] = df[c].astype(object).where(df[c].notna(), np.nan)
    df["_row"] = np.arange(len(df)) + first + 1
    return df


def parquet_batches(path: Path, columns: list[str], rows: int) -> Iterator[pd.DataFrame]:
    """Read a plain Parquet file ``rows`` rows at a time (only ``columns``), as the loaders do.

    Each batch is :func:`parquet_frame` (file row numbers in ``_row``); the file is never
    whole in memory.
    """
    import pyarrow.parquet as pq  # imported here: only Parquet input needs it

    first = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=columns):
        df = parquet_frame(batch.to_pandas(), first)
        first += len(df)
        yield df


def known_headers(aliases: dict[str, tuple[str, ...]]) -> set[str]:
    """Normalised header names of a layer's alias table (for :func:`read_table`)."""
    return {norm_header(a) for names in aliases.values() for a in names}


def reject_ragged(facts: dict[str, Any], add: Callable[..., None]) -> None:
    """Report ragged CSV records through ``add(row, reason, column, value)``; drop the list."""
    for row, fields, width, value in facts.pop("ragged", []):
        add(row, f"ragged row ({fields} fields, the header has {width})", "", value)
