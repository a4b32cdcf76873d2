"""Read the playbook's input tables: firms/schools and residents (CSV/XLSX), grid polygons.

Every row is used or refused with a message naming the file, the row, the column and the fix
(nothing is dropped silently). Coordinates are WGS84 unless the table says ``datum``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo_outreach._errors import InputDataError

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "firm_id", "school_id", "编号", "单位编号"),
    "name": ("name", "名称", "单位名称", "学校名称"),
    "size": ("employees", "students", "staff", "员工数", "职工人数", "学生数", "人数"),
    "lon": ("lon", "lng", "longitude", "经度", "x"),
    "lat": ("lat", "latitude", "纬度", "y"),
    "cell_id": ("cell_id", "grid_id", "网格编号"),
    "elderly": ("elderly", "elderly_count", "老年人数", "60岁以上人数"),
    "living_alone": ("living_alone", "alone", "独居老人数", "独居人数"),
}


def read_frame(path: Path, what: str) -> pd.DataFrame:
    """Read a CSV (UTF-8/GBK, leading ``#`` lines skipped) or XLSX; a clear error if unreadable."""
    if not path.is_file():
        raise InputDataError(f"{path}: {what} file not found; check the path in the scenario")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            df = pd.read_excel(path)
            df.attrs["line0"] = 2
            return df
        raw = path.read_bytes()
        try:
            text, enc = raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            text, enc = raw.decode("gbk"), "gbk"
        # leading lines starting with '#' are comments (e.g. a SYNTHETIC label)
        skip = next((i for i, ln in enumerate(text.splitlines()) if not ln.startswith("#")), 0)
        df = pd.read_csv(path, encoding=enc, skiprows=skip)
        df.attrs["line0"] = skip + 2  # file line of the first data row
        return df
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputDataError(f"{path}: cannot read the {what} table ({exc})") from None


def find_column(df: pd.DataFrame, key: str, path: Path, *, required: bool = True) -> str | None:
    """Return the column of ``df`` holding ``key`` (by the known aliases, case-insensitive)."""
    low = {str(c).strip().lower(): str(c) for c in df.columns}
    for alias in _ALIASES[key]:
        if alias.lower() in low:
            return low[alias.lower()]
    if required:
        raise InputDataError(
            f"{path}: no {key} column (columns: {list(map(str, df.columns))}); "
            f"name one of {list(_ALIASES[key])}"
        )
    return None


def line(df: pd.DataFrame, i: int) -> int:
    """Return the file line (1-based, header included) of data row ``i`` of a read table."""
    return int(df.attrs.get("line0", 2)) + i


def numbers(df: pd.DataFrame, col: str, path: Path, *, minimum: float = 0.0) -> np.ndarray:
    """Column ``col`` as floats; refuse blanks, text and values below ``minimum`` by row."""
    vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(vals) | (vals < minimum)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}, line {line(df, i)}, column {col!r}: {df[col].iloc[i]!r} is not a number >= "
            f"{minimum:g} ({int(bad.sum())} such rows); fix or remove those rows"
        )
    return np.asarray(vals, dtype=float)


def read_targets(path: Path, kind: str, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Firms or schools: ``target_id, target, size`` + Point (working ``crs``).

    The table needs an id, a name, a size (employees or students) and WGS84 lon/lat columns.
    """
    df = read_frame(path, kind)
    cols = {k: find_column(df, k, path) for k in ("id", "name", "size", "lon", "lat")}
    ids = df[cols["id"]].astype(str).str.strip()
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputDataError(
            f"{path}, line {line(df, int(dup.index[0]))}, column {cols['id']!r}: "
            f"id {dup.iloc[0]!r} appears twice; ids must be unique"
        )
    lon = numbers(df, str(cols["lon"]), path, minimum=-180.0)
    lat = numbers(df, str(cols["lat"]), path, minimum=-90.0)
    size = numbers(df, str(cols["size"]), path)
    pts = gpd.GeoDataFrame(
        {
            "target_id": ids.to_numpy(),
            "target": df[cols["name"]].astype(str).to_numpy(),
            "size": size,
            "kind": kind,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    return pts.to_crs(crs)


def read_polygons(path: Path, what: str, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Grid polygons (GeoJSON/GeoPackage/Shapefile) with a ``grid_id``/``cell_id`` column."""
    if not path.is_file():
        raise InputDataError(f"{path}: {what} file not found; check the path in the scenario")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types
        raise InputDataError(f"{path}: cannot read the {what} ({exc})") from None
    col = find_column(gdf, "cell_id", path)
    bad = ~gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(f"{path}, feature {i + 1}: the {what} must be polygons")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    out = gpd.GeoDataFrame(
        {"cell_id": gdf[str(col)].astype(str).to_numpy()}, geometry=gdf.geometry.values, crs=gdf.crs
    )
    dup = out["cell_id"][out["cell_id"].duplicated()].tolist()
    if dup:
        raise InputDataError(f"{path}: duplicate cell ids {dup[:5]}; ids must be unique")
    return out.to_crs(crs)
