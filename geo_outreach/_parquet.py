"""(Geo)Parquet tables as the loaders take them: attribute rows with ``_row``, the geometry.

Text columns stay arrow strings (a tenth of the memory of Python ``str`` objects; the cleaning
reads both alike); other non-numeric columns become objects; ``_row`` = parquet row + 1.
A plain Parquet file can be read in batches (:func:`parquet_batches`) or as a row range.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo_outreach._errors import InputDataError

__all__ = [
    "parquet_batches",
    "parquet_columns",
    "parquet_frame",
    "parquet_row_range",
    "read_parquet_rows",
]


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


def parquet_row_range(
    path: Path | str, start: int, stop: int, columns: list[str] | None = None
) -> Any:
    """Rows ``[start, stop)`` of a Parquet file as a ``pyarrow.Table``.

    Only the row groups holding those rows are decoded (all columns, or ``columns``).
    """
    import pyarrow.parquet as pq  # imported here: only Parquet input needs it

    pf = pq.ParquetFile(path)
    sizes = [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)]
    ends = np.cumsum(sizes)
    first = int(np.searchsorted(ends, start, side="right"))
    last = int(np.searchsorted(ends, max(stop - 1, start), side="right"))
    groups = list(range(first, min(last, len(sizes) - 1) + 1))
    skip = start - (int(ends[first - 1]) if first else 0)
    return pf.read_row_groups(groups, columns=columns).slice(skip, stop - start)


def read_parquet_rows(
    path: Path,
    layer: str,
    columns: list[str] | None = None,
    rows: tuple[int, int] | None = None,
) -> tuple[pd.DataFrame, gpd.GeoSeries | None, str]:
    """Read a (Geo)Parquet file: the attribute rows, the geometry, the format.

    Text columns stay arrow strings (a tenth of the memory of Python ``str`` objects; the
    cleaning reads both alike), other non-numeric columns become objects; the geometry is
    None for a plain Parquet file (lon/lat columns then). ``_row`` = row + 1. ``columns``:
    only these attribute columns are read (None: all). ``rows``: only rows ``[start, stop)``
    of a PLAIN Parquet file (:func:`parquet_row_range`; a GeoParquet file is read whole).
    """
    import pyarrow.parquet as pq  # imported here: only Parquet input needs it

    try:
        meta = pq.read_schema(path).metadata or {}
        geo = b"geo" in meta
        if rows is not None and not geo:
            table = parquet_row_range(path, rows[0], rows[1], columns)
            return parquet_frame(table.to_pandas(), rows[0]), None, "parquet"
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
