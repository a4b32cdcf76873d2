"""The byte-level reader of the common date-time shapes (issue 14: the loader's hot path).

``YYYY-M-D[( |T)H:MM[:SS]]`` cells (``-`` or ``/``) are read from their UTF-8 bytes with numpy:
fixed-width ISO cells in place, 1-digit fields walked. Only valid instants in the accepted
year range are taken; every other cell is left to the general path of
:func:`geo_outreach._times.parse_time_column`, which reads these shapes to the same instants, so
reject reasons and the day/month order cannot change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

#: Longest cell the byte-level fast path reads (``YYYY-MM-DD HH:MM:SS``).
_FAST_WIDTH = 19
_DIGIT0, _COLON, _DASH, _SLASH, _SPACE, _T = 48, 58, 45, 47, 32, 84


def _byte_matrix(text: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of each cell as a ``(n, width + 4)`` matrix (zero padded) and the lengths.

    Cells longer than ``width`` bytes (and missing ones) get length -1 and no bytes.
    """
    arr = pa.array(text.astype("string").array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = arr.cast(pa.large_string())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = arr.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, np.uint8)
    starts, lens = offsets[:-1], np.diff(offsets)
    lens = np.where(arr.is_null().to_numpy(zero_copy_only=False) | (lens > width), -1, lens)
    mat = np.zeros((n, width + 4), dtype=np.uint8)
    for k in range(width):
        mat[:, k] = np.take(data, starts + k, mode="clip")
    mat[np.arange(width + 4)[None, :] >= lens[:, None]] = 0
    return mat, lens


def _number(
    flat: np.ndarray, base: np.ndarray, pos: np.ndarray, most: int
) -> tuple[np.ndarray, np.ndarray]:
    """Read up to ``most`` digits at ``pos`` of each row: (value, digits read)."""
    val = np.zeros(len(pos), dtype=np.int64)
    count = np.zeros(len(pos), dtype=np.int64)
    going = np.ones(len(pos), dtype=bool)
    for _ in range(most):
        b = flat[base + pos + count].astype(np.int64) - _DIGIT0
        going &= (b >= 0) & (b <= 9)
        val = np.where(going, val * 10 + b, val)
        count += going
    return val, count


def _fixed_fields(mat: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Read cells of exactly ``YYYY-MM-DD[( |T)HH:MM[:SS]]`` (``-`` or ``/``) at fixed places.

    Returns the mask and year, month, day, hour, minute, second.
    """
    d = mat[:, :_FAST_WIDTH] - np.uint8(_DIGIT0)  # wraps below "0": a digit is <= 9

    def num(*cols: int) -> np.ndarray:
        out = np.zeros(len(d), dtype=np.int64)
        for c in cols:
            out = out * 10 + d[:, c]
        return out

    def among(col: int, *chars: int) -> np.ndarray:
        return np.isin(mat[:, col], chars)

    def digits(*cols: int) -> np.ndarray:
        out = d[:, cols[0]] <= 9
        for c in cols[1:]:
            out &= d[:, c] <= 9
        return out

    date = digits(0, 1, 2, 3, 5, 6, 8, 9)
    date &= among(4, _DASH, _SLASH) & among(7, _DASH, _SLASH)
    hm = (lens >= 16) & digits(11, 12, 14, 15)
    hm &= among(10, _SPACE, _T) & (mat[:, 13] == _COLON)
    hms = (lens == 19) & digits(17, 18) & (mat[:, 16] == _COLON)
    ok = date & ((lens == 10) | (hm & ((lens == 16) | hms)))
    clock = [
        np.where(hm, num(11, 12), 0),
        np.where(hm, num(14, 15), 0),
        np.where(hms, num(17, 18), 0),
    ]
    return ok, [num(0, 1, 2, 3), num(5, 6), num(8, 9), *clock]


def _walked_fields(mat: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Read cells of ``YYYY-M-D[( |T)H:M[:S]]`` (1-2 digit fields, ``-`` or ``/``) field by field.

    Returns the mask and year, month, day, hour, minute, second.
    """
    stride = mat.shape[1]
    flat, base = mat.ravel(), np.arange(len(lens), dtype=np.int64) * stride
    pos = np.zeros(len(lens), dtype=np.int64)
    ok = lens >= 8
    fields = []
    for most, sep in ((4, (_DASH, _SLASH)), (2, (_DASH, _SLASH)), (2, ())):
        val, got = _number(flat, base, pos, most)
        ok &= got >= (4 if most == 4 else 1)
        pos += got
        if sep:
            ok &= np.isin(flat[base + pos], sep)
            pos += 1
        fields.append(val)
    b = flat[base + pos]
    need = ok & (pos < lens) & ((b == _SPACE) | (b == _T))
    pos += need
    for k in range(3):  # hour, minute (1-2 digits, after a colon), optional ":second"
        val, got = _number(flat, base, pos, 2)
        ok &= ~need | (got >= 1)
        pos += np.where(need, got, 0)
        fields.append(np.where(need, val, 0))
        colon = need & (flat[base + pos] == _COLON)
        if k == 0:
            ok &= ~need | colon
        pos += colon if k < 2 else 0
        need = colon
    return ok & (pos == lens), fields


def plain_times(text: pd.Series, first_year: int, end_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``YYYY-M-D[( |T)H:MM[:SS]]`` cells (``-`` or ``/``, 1-2 digit fields) on raw bytes.

    The common export shapes, read without regular expressions or Python per cell. Only
    VALID dates and times from ``first_year`` to before ``end_year`` are taken (a mask);
    every other cell is left to the general path, which reads these shapes to the same
    instants (``2025/7/14 9:05`` is cleaned to ``2025-7-14 9:05`` there).

    Parameters
    ----------
    text
        Stripped cells (pandas ``str``; missing cells are never taken).
    first_year, end_year
        Years of the accepted range: ``first_year <= year < end_year``.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The mask of cells read and their naive ``datetime64[ns]`` values (NaT elsewhere).
    """
    mat, lens = _byte_matrix(text, _FAST_WIDTH)
    ok, fields = _fixed_fields(mat, lens)
    other = np.flatnonzero(~ok & (lens >= 8))
    if len(other):  # the rest: 1-digit fields
        ok_other, walked = _walked_fields(mat[other], lens[other])
        ok[other] = ok_other
        for f, w in zip(fields, walked, strict=True):
            f[other] = w
    y, m, d, h, mi, s = fields
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    mdays = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)]
    ok &= (y >= first_year) & (y < end_year) & (m >= 1) & (m <= 12) & (d >= 1)
    ok &= (d <= mdays + (leap & (m == 2))) & (h < 24) & (mi < 60) & (s < 60)
    months = np.where(ok, (y - 1970) * 12 + m - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    secs = (h * 3600 + mi * 60 + s).astype("timedelta64[s]")
    naive = (days.astype("datetime64[ns]") + secs).astype("datetime64[ns]")
    naive[~ok] = np.datetime64("NaT")
    return ok, naive
