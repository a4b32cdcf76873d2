"""Array types and small sparse helpers shared by the coverage modules (the lowest floor)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geo_outreach._errors import InputDataError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.integer[Any]]
BoolArray = NDArray[np.bool_]
LabelArray = NDArray[np.object_]


def as_xy(xy: ArrayLike, what: str) -> FloatArray:
    """Check and return an (n, 2) float array of x/y coordinates in metres.

    Parameters
    ----------
    xy
        Anything ``numpy.asarray`` turns into an (n, 2) array.
    what
        Name of the input, for the error message.

    Returns
    -------
    numpy.ndarray
        (n, 2) float coordinates; (0, 2) when ``xy`` is empty.

    Raises
    ------
    InputDataError
        Wrong shape, NaN or infinite coordinates.
    """
    arr = np.asarray(xy, dtype=float)
    if arr.ndim != 2 or (arr.size and arr.shape[1] != 2):
        if arr.size == 0:
            return np.zeros((0, 2))
        raise InputDataError(
            f"{what}: expected an (n, 2) array of x/y in metres, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise InputDataError(f"{what}: coordinates contain NaN or infinity; drop those rows")
    return arr


def check_radius(radius_m: float) -> float:
    """Return ``radius_m`` as a float, or raise :class:`InputDataError` unless it is > 0."""
    r = float(radius_m)
    if not math.isfinite(r) or r <= 0:
        raise InputDataError(f"radius_m must be a positive number of metres, got {radius_m!r}")
    return r


def covered_mask(csc: sp.csc_matrix, cols: Sequence[int]) -> BoolArray:
    """Rows of ``csc`` that at least one of ``cols`` covers."""
    mask = np.zeros(csc.shape[0], dtype=bool)
    for j in cols:
        mask[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return mask


def col_rows(csc: sp.csc_matrix, j: int) -> IntArray:
    """Row indices column ``j`` of ``csc`` covers (a view into ``csc.indices``)."""
    rows: IntArray = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
    return rows
