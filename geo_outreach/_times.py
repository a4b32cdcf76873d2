"""Date-times as police exports write them: one reason per row that cannot be used.

:func:`parse_time_column` turns one column of a layer file into timezone-aware timestamps and a
reason for every row it cannot use, so the loader can reject the row instead of crashing or
silently moving it:

- ``no time``: the cell is empty.
- ``time without a date``: ``08:00``, an Excel time-only cell; never given the run's date.
- ``time out of range``: placeholder dates (``9999-12-31``, ``0001/01/01``, years >= 2262,
  anything before :data:`EARLIEST`).
- ``time in the future``: after the run date (``not_after``).
- ``time outside the scenario period``: before ``period.start`` or after ``period.end``.
- ``unparseable time``: anything else pandas cannot read (also a row whose day/month order
  contradicts the rest of the file).

Day/month order (``05/01/2025``) is decided once per file from all rows: a first field above
12 means day first, a second field above 12 means month first. When no row decides it the file
is ambiguous: read month first (or as the layer's ``dayfirst`` says) and a warning says so.
Excel serial numbers (days since 1899-12-30) are converted. Daylight saving is resolved
deterministically: a wall time in the fall-back hour (it happens twice) is read as the first
occurrence (still on daylight time); a wall time in the spring-forward gap (it never happens) is
moved forward to the first valid time after the gap (02:30 -> 03:00).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo_outreach._errors import InputDataError
from geo_outreach._time_bytes import plain_times

#: Anything before this is a placeholder, not an alert time.
EARLIEST = pd.Timestamp("1990-01-01")
#: Nanosecond timestamps end in 2262; anything from this on is a placeholder too.
LATEST = pd.Timestamp("2262-01-01")
#: Excel serial day numbers accepted (1990-01-01 .. 2261-12-31).
_SERIAL_RANGE = (32874.0, 132_000.0)

_TIME_CLEAN = [
    (re.compile(r"[年/.]"), "-"),
    (re.compile(r"月"), "-"),
    (re.compile(r"日"), " "),
    (re.compile(r"[时点]"), ":"),
    (re.compile(r"分"), ":"),
    (re.compile(r"秒"), ""),
]
# Patterns used on whole columns are RE2-compatible ([0-9], no \s) so pandas runs them in arrow.
_PLAIN_PARTS = (
    r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"(?:[ T](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2})(?::(?P<second>[0-9]{1,2}))?)?$"
)
_ISO_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
_DMY = r"^(?P<a>[0-9]{1,2})-(?P<b>[0-9]{1,2})-(?P<y>[0-9]{4})(?P<rest>.*)$"  # named: arrow
#: Python's whitespace (``\s``) spelled out, for arrow's regex engine.
_SPACES = "[" + "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "]+"
_TIME_ONLY = re.compile(r"^\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?(?:\s*[ap]\.?m\.?)?$", re.IGNORECASE)
_SERIAL = re.compile(r"^\d{5,6}(?:\.\d+)?$")
_YEAR = re.compile(r"(?<!\d)(\d{4,})(?!\d)")


@dataclass(frozen=True)
class ParsedTimes:
    """One time column, parsed.

    Attributes
    ----------
    times
        Timezone-aware timestamps (the scenario zone), NaT where ``reasons`` is not empty.
    reasons
        ``""`` for a usable row, else the reject reason (see the module docstring).
    order
        Day/month order used for ``dd/mm/yyyy``-like rows: ``"day first"``, ``"month first"``
        or ``""`` when the file has none.
    warnings
        Plain-language warnings about the whole column (ambiguous day/month order).
    """

    times: pd.Series
    reasons: pd.Series
    order: str = ""
    warnings: tuple[str, ...] = ()


def _clean_time(v: Any) -> Any:
    """Turn ``2025年7月14日 19时23分`` and ``2025/7/14`` into ``2025-7-14 19:23`` shapes."""
    if isinstance(v, str):
        s = v.strip()
        if re.search(r"[年月日时分秒/]", s):
            for pat, rep in _TIME_CLEAN:
                s = pat.sub(rep, s)
            s = re.sub(r"\s+", " ", s).strip().rstrip(":")
        return s or None
    return v


def _all_text(values: pd.Series) -> bool:
    """Tell whether every non-empty cell is a ``str`` (a CSV column): no per-cell type checks."""
    if isinstance(values.dtype, pd.StringDtype):  # arrow text (CSV and Parquet readers)
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    )


def _clean_texts(values: pd.Series) -> pd.Series:
    """:func:`_clean_time` on a column, vectorised for text (other cells kept as they are)."""
    if _all_text(values):
        is_text = values.notna()
    else:
        is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
    out = values.copy()
    text = values[is_text].astype(str).str.strip()
    marked = text.str.contains(r"[年月日时分秒/]", regex=True)
    t = text[marked]
    for pat, rep in _TIME_CLEAN:
        t = t.str.replace(pat.pattern, rep, regex=True)  # text pattern: arrow-native
    t = t.str.replace(_SPACES, " ", regex=True).str.strip().str.rstrip(":")
    text[marked] = t
    out[is_text] = text.where(text != "", None)
    return out


def _extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """``Series.str.extract`` in arrow (named groups only): one object column per group."""
    arr = pa.array(values.astype("string").array)
    got = pc.extract_regex(arr, pattern)
    names = [got.type.field(i).name for i in range(got.type.num_fields)]
    return pd.DataFrame(
        {n: f.to_numpy(zero_copy_only=False) for n, f in zip(names, got.flatten(), strict=True)},
        index=values.index,
        dtype=object,
    )


def _decide_order(
    cleaned: pd.Series, dayfirst: bool | None, column: str
) -> tuple[pd.Series, pd.Series, str, tuple[str, ...]]:
    """Rewrite ``dd-mm-yyyy`` / ``mm-dd-yyyy`` rows to ``yyyy-mm-dd`` with one order per file.

    Returns the rewritten values, a mask of rows that contradict the chosen order, the order
    used and warnings.
    """
    parts = _extract(cleaned, _DMY)
    parts.columns = range(4)
    has = parts[0].notna().to_numpy()
    bad = pd.Series(False, index=cleaned.index)
    if not has.any():
        return cleaned, bad, "", ()
    a = pd.Series(_digits(parts[0]), index=parts.index)  # 1-2 digits or absent
    b = pd.Series(_digits(parts[1]), index=parts.index)
    day_votes, month_votes = int((a > 12).sum()), int((b > 12).sum())
    warnings: tuple[str, ...] = ()
    if dayfirst is None:
        if day_votes and month_votes:
            dayfirst = day_votes >= month_votes
            warnings = (
                f"column {column!r}: day/month order is mixed ({day_votes} rows day first, "
                f"{month_votes} month first); read as {'day' if dayfirst else 'month'} first, the "
                "other rows are rejected; set dayfirst in the layer to choose",
            )
        elif day_votes or month_votes:
            dayfirst = bool(day_votes)
        else:
            dayfirst = False
            warnings = (
                f"column {column!r}: day/month order is ambiguous in all {int(has.sum())} dated "
                "rows (no day above 12); read as month first (05/01 = May 1); set "
                "dayfirst = true in the layer if the file is day first",
            )
    day, month = (a, b) if dayfirst else (b, a)
    bad = pd.Series(has & (month > 12).to_numpy(), index=cleaned.index)
    ok = has & ~bad.to_numpy()
    rewritten = cleaned.copy()
    rewritten[ok] = (
        parts[2][ok] + "-" + month[ok].astype(int).astype(str) + "-"
        + day[ok].astype(int).astype(str) + parts[3][ok].fillna("")
    ).str.strip()  # fmt: skip
    return rewritten, bad, ("day first" if dayfirst else "month first"), warnings


def decide_day_order(
    values: pd.Series, dayfirst: bool | None, column: str = "time"
) -> tuple[bool | None, str, tuple[str, ...]]:
    """Decide the day/month order of a WHOLE time column once (the one non-local time rule).

    :func:`parse_time_column` decides the order of ``dd/mm/yyyy``-like rows from all the rows it
    is given. When a column is parsed in slices (Dask partitions), call this on the whole
    column (or a large sample) first and pass the returned ``dayfirst`` to every slice: each
    slice then reads and rejects exactly as the whole column would.

    Returns
    -------
    tuple of (bool or None, str, tuple of str)
        ``dayfirst`` to pass on (None when no row is ``dd/mm/yyyy``-like), the order
        (``"day first"``, ``"month first"`` or ``""``) and the warnings of the column.
    """
    text = values.astype("string").str.strip()
    maybe = text.str.match(r"^[0-9]{1,2}[^0-9]").fillna(False).astype(bool)  # ISO rows never vote
    if not maybe.any():
        return dayfirst, "", ()
    cleaned = _clean_texts(values[maybe.to_numpy()])
    _, _, order, warnings = _decide_order(cleaned, dayfirst, column)
    if not order:
        return dayfirst, "", ()
    return order == "day first", order, warnings


def _excel_serials(values: pd.Series) -> pd.Series:
    """Naive timestamps for Excel serial day numbers (numbers or digit strings); NaT elsewhere."""
    if _all_text(values):
        text = values.astype("string").str.strip()
        digits = text.str.match(r"^[0-9]{5,6}(?:\.[0-9]+)?$").fillna(False).astype(bool)
        got = pd.to_numeric(text.where(digits), errors="coerce").astype("Float64")
        num = pd.Series(got.to_numpy(dtype=float, na_value=np.nan), index=values.index)
    else:
        num = _serial_numbers(values)
    lo, hi = _SERIAL_RANGE
    num = num.where((num >= lo) & (num <= hi))
    out = pd.Timestamp("1899-12-30") + pd.to_timedelta(num, unit="D")
    return out.dt.round("s")


def _serial_numbers(values: pd.Series) -> pd.Series:
    """Numbers and digit strings as floats (NaN elsewhere), cell by cell (mixed columns)."""
    return values.map(
        lambda v: (
            float(v)
            if (isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
            or (isinstance(v, str) and _SERIAL.match(v.strip()))
            else np.nan
        )
    ).astype(float)


def _one_time(v: Any) -> tuple[pd.Timestamp | None, str]:
    """Parse one value the vectorised paths did not: (timestamp, "") or (None, reason)."""
    if isinstance(v, _dt.time):
        return None, "time without a date"
    if isinstance(v, str) and _TIME_ONLY.match(v.strip()):
        return None, "time without a date"
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError):
        # OutOfBoundsDatetime is a ValueError: tell a placeholder year from garbage
        years = [int(y) for y in _YEAR.findall(str(v))]
        if years and (min(years) < EARLIEST.year or max(years) >= 2262):
            return None, "time out of range"
        return None, "unparseable time"
    if ts is pd.NaT:
        return None, "unparseable time"
    if not (EARLIEST <= ts.tz_localize(None) < LATEST):
        return None, "time out of range"
    return ts, ""


def _in_range(got: pd.Series) -> pd.Series:
    """Keep parsed naive times within EARLIEST..LATEST, as nanosecond values."""
    got = got[got.notna() & (got >= EARLIEST) & (got < LATEST)]
    return got.astype("datetime64[ns]")


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    """Naive wall times -> ``tz``; DST fall-back hour = first occurrence, gap -> shift forward."""
    first = np.ones(len(naive), dtype=bool)  # True = daylight time = the first of the two
    return naive.dt.tz_localize(tz, ambiguous=first, nonexistent="shift_forward")


def _parse_rest(
    rest: pd.Series, dayfirst: bool | None, column: str
) -> tuple[pd.Series, pd.Series, pd.Series, str, tuple[str, ...]]:
    """Parse what the fast path left: Excel serials and cells, dd/mm/yyyy, Chinese text.

    Returns the parsed naive times (NaT elsewhere), the cleaned text for the row-by-row
    fallback, the rows contradicting the file's day/month order, the order and warnings.
    """
    naive = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[ns]")
    serial = _excel_serials(rest)
    naive[serial.notna()] = serial[serial.notna()]
    todo = serial.isna()
    dtm = pd.Series(False, index=rest.index)
    if not _all_text(rest):
        dtm = rest.map(lambda v: isinstance(v, _dt.datetime)).astype(bool) & todo
    if dtm.any():  # Excel date cells: vectorised; out-of-range ones fall to the slow path
        got = _in_range(pd.to_datetime(rest[dtm], errors="coerce"))
        naive.loc[got.index] = got
        todo &= naive.isna()
    cleaned = _clean_texts(rest.where(todo))
    cleaned, contra, order, warnings = _decide_order(cleaned, dayfirst, column)
    contra &= todo
    todo &= ~contra
    got = _in_range(_padded_times(cleaned.where(todo)))
    naive.loc[got.index] = got
    return naive[naive.notna()], cleaned, contra, order, warnings


def _padded_times(cleaned: pd.Series) -> pd.Series:
    """Parse ``2025-7-4 9:05[:00]`` shapes, vectorised (numbers assembled, no text per row)."""
    p = _extract(cleaned, _PLAIN_PARTS).dropna(subset=["year"])
    if p.empty:
        return pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
    n = pd.DataFrame({c: _digits(p[c]) for c in p.columns}, index=p.index).fillna(0)
    return pd.to_datetime(n, errors="coerce")


def _digits(values: pd.Series) -> np.ndarray:
    """Digit strings of a regex group (``""``/None when absent) as floats, NaN when absent.

    Arrow's cast: the same numbers as ``pd.to_numeric`` on these cells, without Python per cell.
    """
    arr = pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
    return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _fallback(
    values: pd.Series,
    cleaned: pd.Series,
    pos: np.ndarray,
    aware: pd.Series,
    reasons: pd.Series,
    tz: str,
) -> None:
    """:func:`_one_time` on the rows no vectorised path read, once per DISTINCT value.

    Writes ``aware`` and ``reasons`` at positions ``pos`` (in place). Bad cells repeat
    (``待补录``, ``9999-12-31``), so this stays fast on large files.
    """
    is_text = cleaned.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    raw = values.to_numpy(dtype=object)
    args = pd.Series(np.where(is_text, cleaned.to_numpy(dtype=object), raw))
    codes, uniq = pd.factorize(args, use_na_sentinel=False)
    got = [_one_time(u) for u in uniq]
    why = np.array([w for _, w in got], dtype=object)
    naive = [i for i, (ts, _) in enumerate(got) if ts is not None and ts.tzinfo is None]
    stamps = pd.Series(pd.NaT, index=range(len(uniq)), dtype=f"datetime64[ns, {tz}]")
    if naive:
        local = _localize(pd.Series([got[i][0] for i in naive], dtype="datetime64[ns]"), tz)
        stamps.iloc[naive] = local.to_numpy()
    for i, (ts, _) in enumerate(got):
        if ts is not None and ts.tzinfo is not None:
            stamps.iat[i] = ts.tz_convert(tz)
    reasons.iloc[pos] = why[codes]
    aware.iloc[pos] = stamps.to_numpy()[codes]


def parse_time_column(
    values: pd.Series,
    tz: str,
    *,
    column: str = "time",
    time_format: str | None = None,
    dayfirst: bool | None = None,
    not_after: pd.Timestamp | None = None,
    period: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None),
) -> ParsedTimes:
    """Parse one time column to ``tz``-aware timestamps with a reject reason per bad row.

    Parameters
    ----------
    values
        The raw cells (text, numbers, datetimes).
    tz
        IANA zone of naive wall times (the scenario ``timezone``).
    column
        The file's header, named in warnings.
    time_format
        ``strftime`` format for every row (the layer's ``time_format``); no guessing then.
    dayfirst
        Day/month order of ``05/01/2025``-like rows; None decides from the file.
    not_after
        Rows after this instant are ``time in the future`` (None: no check).
    period
        Scenario ``period`` (start, end), tz-aware or None; rows outside are rejected.

    Returns
    -------
    ParsedTimes
        Times, reasons, the day/month order used and warnings.
    """
    idx = values.index
    reasons = pd.Series("", index=idx, dtype=object)
    naive = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    text = values.astype("string").str.strip()
    blank = (text.isna() | text.eq("")).fillna(True).astype(bool)
    reasons[blank] = "no time"
    order = ""
    warnings: tuple[str, ...] = ()
    cleaned = values  # the rest path's cleaned text, for the row-by-row fallback
    rest_pos = np.zeros(0, dtype=np.int64)
    if time_format:
        try:
            got = pd.to_datetime(text.where(~blank), format=time_format, errors="coerce")
        except ValueError as exc:  # a format pandas cannot use at all ("%Q")
            raise InputDataError(
                f"[alerts] time_format = {time_format!r} is not a usable date format ({exc}); "
                'write it like "%d.%m.%Y %H:%M"'
            ) from None
        got = _in_range(got)
        naive.loc[got.index] = got
    else:
        # fast path: "YYYY-M-D[ H:MM[:SS]]" with - or / on raw bytes (the usual exports)
        fast, fast_naive = _plain_times(text)
        naive[fast] = fast_naive[fast]
        # then "YYYY-MM-DD[THH:MM[:SS[.f]]]" (and Excel date cells as text)
        iso = pd.Series(False, index=idx)
        other = ~blank & ~fast
        if other.any():
            iso[other] = text[other].str.match(_ISO_TIME).fillna(False).astype(bool)
        if iso.any():
            got = _in_range(pd.to_datetime(text[iso], format="ISO8601", errors="coerce"))
            naive.loc[got.index] = got
        rest = ~blank & naive.isna()
        if rest.any():
            sub, sub_clean, contra, order, warnings = _parse_rest(values[rest], dayfirst, column)
            naive.loc[sub.index] = sub
            cleaned, rest_pos = sub_clean, np.flatnonzero(rest.to_numpy())
            bad = contra[contra].index
            reasons.loc[bad] = "unparseable time (day/month order differs from the file's)"
    todo = ~blank & naive.isna() & (reasons == "")
    aware = pd.Series(pd.NaT, index=idx, dtype=f"datetime64[ns, {tz}]")
    ok = naive.notna()
    if ok.any():
        aware[ok] = _localize(naive[ok], tz)
    fall = np.flatnonzero(todo.to_numpy() & ~ok.to_numpy())
    if len(fall) and time_format:
        reasons.iloc[fall] = f"unparseable time (time_format = {time_format!r})"
    elif len(fall):
        # every such row went through the rest path (``fall`` is a subset of ``rest_pos``)
        at = np.searchsorted(rest_pos, fall) if len(rest_pos) else fall
        _fallback(values.iloc[fall], cleaned.iloc[at], fall, aware, reasons, tz)
    _range_reasons(aware, reasons, not_after, period)
    aware[reasons != ""] = pd.NaT
    return ParsedTimes(aware, reasons, order, warnings)


def _range_reasons(
    aware: pd.Series,
    reasons: pd.Series,
    not_after: pd.Timestamp | None,
    period: tuple[pd.Timestamp | None, pd.Timestamp | None],
) -> None:
    """Mark out-of-range, future and out-of-period times in ``reasons`` (in place)."""
    free = (reasons == "") & aware.notna()
    too_old = free & (aware < EARLIEST.tz_localize(aware.dt.tz))
    reasons[too_old] = "time out of range"
    free &= ~too_old
    if not_after is not None:
        future = free & (aware > not_after)
        reasons[future] = f"time in the future (after the run date {not_after:%Y-%m-%d})"
        free &= ~future
    start, end = period
    if start is not None or end is not None:
        outside = free & (
            (aware < start if start is not None else False)
            | (aware > end if end is not None else False)
        )
        a = "…" if start is None else f"{start:%Y-%m-%d}"
        b = "…" if end is None else f"{end:%Y-%m-%d %H:%M}"
        reasons[outside] = f"time outside the scenario period ({a} to {b})"


def parse_times(values: pd.Series, tz: str) -> pd.Series:
    """Parse mixed date-time text/objects to timezone-aware timestamps; NaT where unusable.

    Accepts ``2025-07-14 19:23[:00]``, ``2025/7/14 19:23``, ``2025年7月14日 19时23分``, Excel
    datetimes and serial numbers and ISO strings with offsets. Naive times are in ``tz``.
    See :func:`parse_time_column` for the reasons behind each NaT.
    """
    return parse_time_column(values, tz).times


def _plain_times(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`geo_outreach._time_bytes.plain_times` over :data:`EARLIEST` .. :data:`LATEST`."""
    return plain_times(text, EARLIEST.year, LATEST.year)
