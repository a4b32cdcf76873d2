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

import codecs
import csv
import io as _io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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


def header_line(
    head: str, header_row: int | None, known: set[str] | None
) -> tuple[int, str, list[str]] | None:
    """Find the header line of delimited text from its first lines, as the file loaders do.

    Only the first ``max(HEADER_SCAN, header_row) + 50`` lines of ``head`` are read.

    Returns
    -------
    tuple of (int, str, list of str) or None
        The 1-based line of the header, the delimiter and the header cells (stripped); None
        when no record follows the header among those lines (or ``header_row`` is past them).
    """
    head = head.lstrip("\ufeff")
    lines = head.split("\n")[: max(HEADER_SCAN, header_row or 0) + 50]
    text = "\n".join(lines)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(_io.StringIO(text), delimiter=_delimiter(first))
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
    return line_of[h], reader.dialect.delimiter, [c.strip() for c in records[h]]


def _fast_csv(
    text: str,
    path: Path,
    header_row: int | None,
    known: set[str] | None,
    min_chars: int | None = None,
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]]] | None:
    """:func:`_read_csv_text` for plain text of ``min_chars`` characters or more, vectorised.

    None: use the csv module. Plain = no quote character, no lone carriage return; see
    :func:`fast_csv_bytes`.
    """
    least = FAST_CSV_CHARS if min_chars is None else min_chars
    if len(text) < least or '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    got = fast_csv_bytes(text.encode("utf-8"), header_row, known)
    return None if got is None else (got[0], got[1])


def fast_csv_bytes(
    raw: bytes, header_row: int | None, known: set[str] | None
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]], int] | None:
    """Parse plain UTF-8 delimited bytes (no quote, no lone carriage return), vectorised.

    Lines are classified with numpy (blank, ragged, good), the good ones parsed by pyarrow:
    the same rows, row numbers and ragged records as the csv module gives (a cell of only
    non-ASCII spaces such as U+3000 counts as text here). Cells stay arrow strings (``str``
    dtype), not Python objects: a tenth of the memory; the cleaning reads both alike
    (tests/io/test_scale.py).

    Returns
    -------
    tuple or None
        The frame (``_row`` = 1-based line), the ragged records and the header's line; None
        when the csv module must read it (no header with rows after it in the first lines,
        a line pyarrow splits differently, text that is not UTF-8).
    """
    arr, starts, ends = _line_bounds(raw)
    scan = min(len(starts), max(HEADER_SCAN, header_row or 0) + 50)
    try:
        found = header_line(
            raw[: ends[scan - 1]].decode("utf-8") if scan else "", header_row, known
        )
    except (UnicodeDecodeError, csv.Error):
        return None
    if found is None:
        return None
    top, delim, header = found  # header on 1-based line top: the body follows
    width = len(header)
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
    try:
        bad = [
            (int(n) + 1, int(f), width, raw[starts[n] : ends[n]].decode("utf-8").rstrip("\r")[:120])
            for n, f in zip(lines[ragged], fields[ragged], strict=True)
        ]
    except UnicodeDecodeError:
        return None
    frame = _frame(header, [], [], None)
    out = pd.DataFrame({name: body[str(j)] for j, name in enumerate(frame.columns[:-1])})
    out["_row"] = (good + 1).astype(int)
    return out, bad, top


def _read_csv_text(
    text: str,
    path: Path,
    header_row: int | None,
    known: set[str] | None,
    min_chars: int | None = None,
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]]]:
    """Parse delimited text; return the frame and the ragged records (row, fields, text).

    Text of at least ``min_chars`` characters (default :data:`FAST_CSV_CHARS`) is read by
    the vectorised reader when it can (:func:`_fast_csv`), the rest by the csv module.
    """
    fast = _fast_csv(text, path, header_row, known, min_chars)
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


#: Delimited files larger than this (bytes) are read in blocks of this size, cut after a
#: newline (:func:`read_csv_blocks`): never the whole text, nor its copies, in memory.
CSV_BLOCK_BYTES = 64 << 20
#: Encodings whose multi-byte characters never contain a newline, quote or carriage return.
SPLITTABLE = {"utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312", "ascii"}
_BOM = b"\xef\xbb\xbf"


def _is_utf8(raw: bytes) -> bool:
    """Tell whether ``raw`` is valid UTF-8 (arrow's check: no Python text is made)."""
    import pyarrow as pa

    try:
        pa.array([raw], type=pa.large_binary()).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _byte_blocks(path: Path, size: int) -> Iterator[bytes]:
    """Yield the file's bytes in blocks of about ``size``, each ending just after a newline."""
    with open(path, "rb") as fh:
        rest = b""
        while chunk := fh.read(size):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                rest = chunk
                continue
            rest = chunk[cut:]
            yield chunk[:cut]
        if rest:
            yield rest


def _block_encoding(head: bytes, encoding: str) -> str | None:
    """Return the encoding to read blocks with (as :func:`detect_encoding` on the whole file)."""
    if encoding != "auto":
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return None  # the whole-file reader names the error
        return encoding if name in SPLITTABLE else None
    if head.startswith(_BOM):
        return "utf-8-sig"
    head = head[:4000]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(b"\x00") > len(head) // 4:
        return None  # UTF-16
    return "utf-8"


def read_csv_blocks(
    path: Path,
    encoding: str,
    header_row: int | None,
    known: set[str] | None,
    block_bytes: int | None = None,
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]], str] | None:
    """Read a plain delimited file block by block: what :func:`read_table` gives, less memory.

    Blocks of ``block_bytes`` (default :data:`CSV_BLOCK_BYTES`) cut after a newline are
    parsed by :func:`fast_csv_bytes` from the raw bytes (UTF-8 is checked, not decoded;
    other encodings are decoded block by block), the later blocks with the lines up to the
    header in front, their rows renumbered as file rows. Under ``auto``, a block that is not
    UTF-8 switches the whole file to GB18030 (read again), as :func:`detect_encoding` would.

    Returns
    -------
    tuple or None
        The frame, the ragged records and the encoding; None when the file must be read whole
        (a quote character, a lone carriage return, UTF-16, an encoding that cannot be cut,
        or anything the vectorised reader leaves to the csv module).
    """
    block = block_bytes or CSV_BLOCK_BYTES
    with open(path, "rb") as fh:
        enc = _block_encoding(fh.read(4000), encoding)
    while enc is not None:
        got = _blocks_as(path, enc, header_row, known, block)
        if got != "not utf-8":
            return None if isinstance(got, str) else (*got, enc)
        enc = "gb18030" if encoding == "auto" and enc == "utf-8" else None
    return None


def _blocks_as(
    path: Path, enc: str, header_row: int | None, known: set[str] | None, block: int
) -> tuple[pd.DataFrame, list[tuple[int, int, int, str]]] | str:
    """:func:`read_csv_blocks` in one encoding; a string says why not."""
    frames, ragged = [], []
    prefix, top, lines_before, size = b"", 0, 0, path.stat().st_size
    utf8 = codecs.lookup(enc).name in ("utf-8", "utf-8-sig")  # checked, not decoded
    for k, raw in enumerate(_byte_blocks(path, block)):
        if b'"' in raw or raw.count(b"\r") != raw.count(b"\r\n"):
            return "not plain"
        if utf8:
            if not _is_utf8(raw):
                return "not utf-8"
            body = raw
        else:
            try:
                body = raw.decode(enc).encode("utf-8")
            except UnicodeDecodeError:
                return "cannot decode"
        if k == 0:
            while body.startswith(_BOM):  # the whole-file reader strips them too
                body = body[len(_BOM) :]
        got = fast_csv_bytes(prefix + body, top if k else header_row, None if k else known)
        if got is None:
            return "not vectorised"
        df, bad, line = got
        if k == 0:
            top = line
            ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10)
            if len(ends) < max(HEADER_SCAN, header_row or 0) + 50 and len(raw) < size:
                return "the first block is shorter than the header search"
            prefix = body[: ends[top - 1] + 1]  # lines 1..header with their newline
        shift = lines_before - top if k else 0
        if shift:
            df["_row"] = df["_row"].to_numpy() + shift
            bad = [(row + shift, f, w, v) for row, f, w, v in bad]
        frames.append(df)
        ragged += bad
        lines_before += body.count(b"\n")
        del raw, body
    if not frames:
        return "empty"
    return pd.concat(frames, ignore_index=True), ragged


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
    if path.stat().st_size >= FAST_CSV_CHARS:  # large: in blocks, from the bytes
        blocks = read_csv_blocks(path, encoding, header_row, known)
        if blocks is not None:
            df, ragged, encoding = blocks
            return df, {"format": "csv", "encoding": encoding, "ragged": ragged}
    text, encoding = _decode(path.read_bytes(), path, encoding, layer)
    df, ragged = _read_csv_text(text.lstrip("\ufeff"), path, header_row, known)
    return df, {"format": "csv", "encoding": encoding, "ragged": ragged}


def known_headers(aliases: dict[str, tuple[str, ...]]) -> set[str]:
    """Normalised header names of a layer's alias table (for :func:`read_table`)."""
    return {norm_header(a) for names in aliases.values() for a in names}


def reject_ragged(facts: dict[str, Any], add: Callable[..., None]) -> None:
    """Report ragged CSV records through ``add(row, reason, column, value)``; drop the list."""
    for row, fields, width, value in facts.pop("ragged", []):
        add(row, f"ragged row ({fields} fields, the header has {width})", "", value)
