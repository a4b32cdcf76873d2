"""Write outputs atomically and deterministically, and record their provenance.

Atomically: a failed run never leaves a half-written file that looks complete.
Deterministically: the same inputs give byte-identical CSV/GeoJSON.

Every stage writes through these helpers. The list of output files and every table's columns
are data in :mod:`geo_outreach._validate` (``OUTPUT_FILES``, ``OUTPUT_COLUMNS``).

Provenance for ``manifest.json`` lives here too: :func:`sha256_file`, :func:`package_versions`,
:func:`git_commit` and :func:`run_info`. The manifest itself and the cleaned input layers are
written by :mod:`geo_outreach.manifest` (a floor higher: it reads ``StudyData``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_outreach import _geojson
from geo_outreach._errors import GeoOutreachError
from geo_outreach._validate import OUTPUT_FILES, check_written
from geo_outreach._version import __version__
from geo_outreach.scenario import Scenario

#: Packages whose versions ``manifest.json`` records.
KEY_PACKAGES = (
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "osmnx",
    "networkx",
    "folium",
    "highspy",
    "rasterio",
    "matplotlib",
)


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()  # writers such as pyogrio refuse an existing file
        write(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (sorted keys, UTF-8, indented) atomically."""
    return write_text(
        path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    )


def write_csv(path: str | Path, df: pd.DataFrame) -> Path:
    """Write a CSV (UTF-8 with BOM so Excel shows Chinese correctly, no index) atomically.

    Text cells that Excel would run as a formula are escaped (:func:`excel_safe`).
    """
    safe = excel_safe(df)
    fast = _arrow_csv(safe) if len(safe) >= FAST_CSV_ROWS else None
    if fast is None and len(safe) >= FAST_CSV_ROWS:  # issue 14: cells that pandas quotes
        fast = _quoted_csv(safe)
    if fast is not None:  # issue 14: the same bytes, ~20x faster
        return atomic_write(path, lambda p: p.write_bytes(fast))
    return atomic_write(
        path, lambda p: safe.to_csv(p, index=False, encoding="utf-8-sig", lineterminator="\n")
    )


#: issue 14: tables of at least this many rows are written by pyarrow (1M-row alerts.csv:
#: ~9 s with pandas), byte for byte as pandas would
FAST_CSV_ROWS = 100_000


def _arrow_column(col: pd.Series) -> Any:
    """Return the column as pyarrow text exactly as pandas writes it (None: unsure)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        return pa.array(col.to_numpy()).cast(pa.string())
    if col.dtype == np.float64:
        values = col.to_numpy()  # issue 14: text columns are not copied to Python objects
        finite = np.isfinite(values)
        size = np.abs(values[finite])
        if not (((size >= 1e-4) & (size < 1e16)) | (size == 0)).all() or np.isinf(values).any():
            return None  # Python's repr would use an exponent: leave it to pandas
        text = pa.array(values, mask=~finite).cast(pa.string())  # NaN: empty, as pandas
        whole = pa.array((values == np.floor(values)) & finite)
        return pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        try:  # arrow-backed text: no copy through Python objects
            arr = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        text = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        return arr.cast(pa.string()) if text else None  # numbers in an object column: pandas
    return None


def _arrow_csv(df: pd.DataFrame) -> bytes | None:
    """Return ``df`` as UTF-8-BOM CSV bytes by pyarrow, or None when pandas must write it.

    Only text, integer and float columns (floats that Python writes without an exponent) and
    no cell that pandas would quote: pyarrow refuses those with ``quoting_style="none"``.
    """
    import io as _io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(c) for c in df.columns]
    if len(names) < 2 or any(set(n) & set(',"\n\r') for n in names):
        return None  # a lone empty cell is written as "" by pandas; odd header names
    cols = [_arrow_column(df[c]) for c in df.columns]
    if any(c is None for c in cols):
        return None
    buf = _io.BytesIO()
    buf.write(("\ufeff" + ",".join(names) + "\n").encode("utf-8"))
    try:
        table = pa.table(dict(zip(names, cols)))
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, buf, opts)
    except pa.ArrowInvalid:  # a cell with a comma, quote or line break: pandas quotes it
        return None
    return buf.getvalue()


def _quoted_csv(df: pd.DataFrame) -> bytes | None:
    """:func:`_arrow_csv` for tables with cells that pandas quotes (None: pandas must write it).

    Issue 14 (``rejects.csv``: 110,000 rows with ``"lon, lat"`` values, ~0.8 s by pandas):
    a cell holding a comma or a double quote is written in double quotes with its quotes
    doubled, as Python's ``csv`` module does (``QUOTE_MINIMAL``); each row is joined by
    pyarrow. Tables with a line break in a cell are left to pandas.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [str(c) for c in df.columns]
    if len(names) < 2 or any(set(n) & set(',"\n\r') for n in names):
        return None
    cols = [_arrow_column(df[c]) for c in df.columns]
    if any(c is None for c in cols):
        return None
    cells = []
    sep, end, none, mark = (pa.scalar(t, pa.large_string()) for t in (",", "\n", "", '"'))
    for col in cols:
        text = col.cast(pa.large_string()).fill_null("")  # pandas writes a missing cell empty
        if pc.any(pc.match_substring_regex(text, "[\r\n]")).as_py():
            return None
        quote = pc.match_substring_regex(text, '[,"]')
        if pc.any(quote).as_py():
            doubled = pc.replace_substring(text, '"', '""')
            text = pc.if_else(quote, pc.binary_join_element_wise(mark, doubled, mark, none), text)
        cells.append(text)
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, sep), end, none)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset :]
    body = memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[len(lines)])]
    return ("\ufeff" + ",".join(names) + "\n").encode("utf-8") + bytes(body)


# --------------------------------------------------------------------------- Excel safety (#10)

#: First characters that make Excel (or LibreOffice) read a text cell as a formula; a leading
#: quote is escaped too, so that :func:`excel_unescape` can undo the escape exactly.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if not _PLAIN_NUMBER.match(value):
            return "'" + value
    return value


def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with text cells starting with ``= + - @`` (formula injection) escaped.

    The escape is a leading apostrophe, which Excel shows as text. Numeric columns, and text
    cells that are plain numbers (``-3.5``), are left as they are, so negative numbers stay
    numbers.
    """
    cols = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        # issue 14: only cells starting like a formula go through Python (1M-row alerts.csv)
        cand = _starts_formula(out[c])
        if cand.any():
            out[c] = out[c].astype(object)
            out.loc[cand, c] = out.loc[cand, c].map(_escape_cell)
    return out


def _starts_formula(col: pd.Series, skip: int = 0) -> np.ndarray:
    """Mask of the text cells whose text after ``skip`` characters starts like a formula.

    Non-text cells are False (issue 14: vectorised, no Python call per cell).
    """
    fast = _starts_formula_arrow(col, skip)
    if fast is not None:
        return fast
    try:
        text = col.str.slice(skip) if skip else col
        starts = text.str.startswith(FORMULA_STARTS, na=False)
    except AttributeError:  # no text at all in an object column (.str refuses it)
        starts = col.map(lambda v: isinstance(v, str) and v[skip:].startswith(FORMULA_STARTS))
    return np.asarray(starts.fillna(False), dtype=bool)


def _starts_formula_arrow(col: pd.Series, skip: int) -> np.ndarray | None:
    """:func:`_starts_formula` by one RE2 match on pyarrow text (None: not all text or null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(col) == 0 or not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
        return None
    if any(len(c) != 1 for c in FORMULA_STARTS):
        return None  # the pattern below is a character class
    try:
        arr = pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    # (?s): "." also matches a line break, as str.slice counts it; one "." per skipped character
    pattern = "(?s)^" + "." * skip + "[" + "".join(_RE2_CLASS.get(c, c) for c in FORMULA_STARTS)
    hit = pc.match_substring_regex(arr, pattern + "]").fill_null(False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


#: characters written escaped inside an RE2 character class
_RE2_CLASS = {"-": "\\-", "]": "\\]", "\\": "\\\\", "^": "\\^", "\t": "\\t", "\r": "\\r"}


def excel_unescape(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`excel_safe` on a table read back from a CSV output (in place, returned)."""
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            col = df[c]
            escaped = _starts_formula(col, skip=1)  # issue 14: vectorised
            if bool(escaped.any()):
                df.loc[escaped, c] = col[escaped].str.slice(1)
    return df


def write_geojson(path: str | Path, gdf: gpd.GeoDataFrame, *, precision: int = 6) -> Path:
    """Write GeoJSON in WGS84 with fixed coordinate precision, atomically and deterministically."""
    g = gdf if gdf.crs is None or gdf.crs.to_epsg() == 4326 else gdf.to_crs("EPSG:4326")
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    fast = _geojson.features(g, precision)  # issue 14: the same text, no round trip per feature
    if fast is not None:
        data: dict[str, Any] = {"type": "FeatureCollection", "features": fast, "crs": crs}
    else:
        data = _geojson_slow(g, precision)
        data["crs"] = crs
        data.pop("bbox", None)
    return write_text(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def _geojson_slow(g: gpd.GeoDataFrame, precision: int) -> dict[str, Any]:
    """Return the feature collection by geopandas' ``to_json`` (any geometry), rounded."""
    data: dict[str, Any] = json.loads(g.to_json(drop_id=True, ensure_ascii=False, to_wgs84=False))

    def rnd(c: Any) -> Any:
        if isinstance(c, float):
            return round(c, precision)
        if isinstance(c, list):
            return [rnd(x) for x in c]
        return c

    for feat in data.get("features", []):
        if feat.get("geometry"):
            feat["geometry"]["coordinates"] = rnd(feat["geometry"]["coordinates"])
    return data


# --------------------------------------------------------------------------- provenance


def write_output(
    out_dir: str | Path, name: str, frame: pd.DataFrame, *, precision: int = 6
) -> Path:
    """Write one table of an output folder after checking it against the output schema.

    Parameters
    ----------
    out_dir
        The output folder.
    name
        The file name, a key of :data:`geo_outreach._validate.OUTPUT_COLUMNS` (``.csv`` or
        ``.geojson``): the columns must be the schema's, in its order.
    frame
        The table (a GeoDataFrame for ``.geojson``).
    precision
        Coordinate decimals of a GeoJSON file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    check_written(name, frame)
    path = Path(out_dir) / name
    if name.endswith(".geojson"):
        return write_geojson(path, frame, precision=precision)
    return write_csv(path, frame)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file (for ``manifest.json``)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of geo_outreach, Python and the key dependencies (for ``manifest.json``)."""
    out = {"geo_outreach": __version__, "python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """Return the commit of the geo_outreach checkout (``None`` for an installed wheel)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def run_info(sc: Scenario, command: str | None) -> dict[str, Any]:
    """When and with what code and command a run was made (the volatile part of the manifest)."""
    info: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git_commit": git_commit(),
    }
    if sc.path is not None and Path(sc.path).is_file():
        info["scenario_file"] = {
            "path": str(Path(sc.path).resolve()),
            "sha256": sha256_file(Path(sc.path)),
        }
    return info


# --------------------------------------------------------------------------- staged runs (#10)

_LOCKED_BY_US: set[Path] = set()


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


@contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """Hold an OS lock on ``.<name>.lock`` beside ``out``; a second run is refused.

    The OS drops the lock when a run dies, so a killed run never blocks the next one.
    """
    path = _lock_path(out)
    if path in _LOCKED_BY_US:  # same process (e.g. threads in one test): refuse like another run
        raise GeoOutreachError(_busy(out, path))
    fh = open(path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        if not _try_lock(fh):
            raise GeoOutreachError(_busy(out, path))
        _LOCKED_BY_US.add(path)
        try:
            yield
        finally:
            _LOCKED_BY_US.discard(path)
            _unlock(fh)
    finally:
        fh.close()


def _busy(out: Path, lock: Path) -> str:
    return (
        f"{out}: another geo-outreach run is writing this folder (lock {lock.name}); wait for "
        "it to finish, or choose another --out"
    )


def _try_lock(fh: Any) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fh: Any) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def clean_leftovers(out_dir: str | Path) -> list[Path]:
    """Remove what a killed run left beside and in ``out_dir``; return what was removed.

    Staging folders (``.<name>.staging-*``) and temporary files (``.*.tmp*``) of a run that
    died are deleted. A previous output folder set aside by a run killed mid-swap
    (``.<name>.old-*``) is put back when ``out_dir`` is missing, else deleted. Call it only
    while holding the folder's lock.
    """
    out = Path(out_dir)
    removed: list[Path] = []
    if out.parent.is_dir():
        for p in sorted(out.parent.glob(f".{out.name}.old-*")):
            if not out.exists():
                os.replace(p, out)
                continue
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
        for p in sorted(out.parent.glob(f".{out.name}.staging-*")):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    if out.is_dir():
        for p in sorted(out.glob(".*.tmp*")):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise GeoOutreachError(f"{out} is a file, not a folder; choose another output folder")
    if out.is_dir():
        names = [p.name for p in out.iterdir() if not p.name.startswith(".")]
        foreign = [n for n in names if n not in OUTPUT_FILES]
        if foreign:
            raise GeoOutreachError(
                f"{out} holds files geo-outreach does not write ({', '.join(sorted(foreign)[:5])}"
                "); each run replaces its output folder whole, so choose an empty or new folder"
            )


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Write a run into a staging folder and swap it in for ``out_dir`` at the end.

    An interrupted run leaves ``out_dir`` as the previous run left it; two runs into one
    folder never mix (the second is refused while the first holds the lock); leftovers of a
    killed run are cleaned first (:func:`clean_leftovers`).

    Yields
    ------
    pathlib.Path
        The staging folder to write into (beside ``out_dir``).

    Raises
    ------
    GeoOutreachError
        When ``out_dir`` is a file, holds files not written by geo-outreach, or another run
        holds its lock.
    """
    out = Path(out_dir).absolute()
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(out):
        clean_leftovers(out)
        # mkdir, not mkdtemp: the folder gets the usual permissions (umask), not 0700
        stage = out.parent / f".{out.name}.staging-{uuid.uuid4().hex[:12]}"
        stage.mkdir()
        try:
            yield stage
            _swap(stage, out)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)


def _swap(stage: Path, out: Path) -> None:
    """Put ``stage`` in place of ``out`` (two renames; the old folder is then deleted)."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        os.replace(out, old)
    os.replace(stage, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- plan hash (#10)


def plan_hash(outputs_sha256: dict[str, str]) -> str:
    """Return the hash that names one plan run: sha256 over its outputs' sha256 values."""
    text = json.dumps(outputs_sha256, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_plan_hash(out_dir: str | Path) -> str | None:
    """Return the ``plan_hash`` of the plan in ``out_dir`` (``None`` when there is none)."""
    path = Path(out_dir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = manifest.get("plan_hash") if isinstance(manifest, dict) else None
    return str(value) if value else None
