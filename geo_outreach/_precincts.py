"""Precinct polygons: GeoJSON, GeoPackage, Shapefile, KML/KMZ -> one checked layer in WGS84.

Every feature is either a precinct or a reject with its reason (no geometry, not a polygon,
empty id). Repeated ids stop the run with the ids named, unless the scenario says
``merge_duplicate_ids = true``: then the parts are dissolved into one precinct (real files split
one district into several polygons); the merged population is the shared value when every part
repeats it, else the sum of the parts. The id column is never one that is empty in every
feature; a file with no id column but unique names (KML ``Name``) uses the names as ids.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_outreach import crs as _crs
from geo_outreach._errors import InputDataError
from geo_outreach._parse import Rejects, find_columns, need_file, row_key
from geo_outreach._tables import norm_header
from geo_outreach.scenario import PrecinctLayer

log = logging.getLogger(__name__)

PRECINCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("precinct_id", "code9", "code", "adcode", "id", "编码", "代码", "派出所编码"),
    "name": ("name", "名称", "派出所", "镇街", "辖区", "precinct", "name_zh"),
    "population": ("population", "pop", "人口", "常住人口", "residents"),
}


def read_precinct_file(path: Path, cfg: PrecinctLayer) -> gpd.GeoDataFrame:
    """Read the polygons and bring them to WGS84 lon/lat (datum shift included)."""
    try:
        gdf = gpd.read_file(path, layer=cfg.layer) if cfg.layer else gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises many types; one clear line instead
        raise InputDataError(
            f"{path}: cannot read as GeoJSON/GeoPackage/Shapefile/KML ({exc})"
        ) from None
    if len(gdf) == 0:
        raise InputDataError(f"{path}: no precinct polygons in the file")
    gdf = gdf.reset_index(drop=True)
    if gdf.geometry.has_z.any():  # KML polygons carry a height; the analysis is 2-D
        gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.values), crs=gdf.crs)
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            log.warning("%s has no CRS; coordinates look like lon/lat, assumed %s", path, cfg.datum)
            gdf = gdf.set_crs("EPSG:4326")
        else:
            raise InputDataError(
                f"{path}: the file has no CRS and its coordinates are projected; add the .prj "
                "file (Shapefile) or define the CRS in QGIS, then try again"
            )
    if cfg.datum != "wgs84":
        if not pyproj.CRS(gdf.crs).is_geographic:
            raise InputDataError(
                f"{path}: datum {cfg.datum} applies to lon/lat, but the file is projected "
                f'({gdf.crs}); set [precincts] datum = "wgs84" or export lon/lat'
            )
        return _crs.gdf_to_wgs84(gdf, cfg.datum)
    if not pyproj.CRS(gdf.crs).equals(pyproj.CRS("EPSG:4326")):
        return gdf.to_crs("EPSG:4326")
    return gdf


# --------------------------------------------------------------------------- precincts


def _id_text(v: Any) -> str:
    """Return an id cell as text: ``440705.0`` (numbers with gaps) -> ``440705``; blank -> ""."""
    if isinstance(v, float) and np.isfinite(v) and v.is_integer():
        return str(int(v))
    return row_key(v)


def _filled(gdf: gpd.GeoDataFrame, col: str) -> bool:
    return bool((gdf[col].map(_id_text) != "").any())


def _unique_names(gdf: gpd.GeoDataFrame, col: str) -> bool:
    names = gdf[col].map(_id_text)
    return bool((names != "").any() and names[names != ""].is_unique)


def _id_column(
    gdf: gpd.GeoDataFrame, cols: dict[str, str | None], cfg: PrecinctLayer, path: Path
) -> str:
    """Pick the id column: mapped, else the first alias match with values, else unique names.

    Unique names are the ids of a KML file (its ``Name``) that has no id column.
    """
    if cfg.id_column:
        return cfg.id_column
    name_col = cols["name"]
    if path.suffix.lower() in (".kml", ".kmz") and name_col and _unique_names(gdf, name_col):
        return name_col  # a KML Placemark id is made up by the exporting tool; Name is the label
    normed = {norm_header(c): c for c in gdf.columns if c != "geometry"}
    for alias in PRECINCT_COLUMNS["id"]:
        col = normed.get(norm_header(alias))
        if col is not None and _filled(gdf, col):
            return col
    if name_col is not None and _unique_names(gdf, name_col):
        log.info("%s: no id column; the names in %r are used as precinct ids", path, name_col)
        return name_col
    raise InputDataError(
        f"{path}: no precinct id column with values (looked for "
        f"{list(PRECINCT_COLUMNS['id'])}; columns are "
        f"{[c for c in gdf.columns if c != 'geometry']}); set [precincts] id_column"
    )


def _precinct_table(
    gdf: gpd.GeoDataFrame, cfg: PrecinctLayer, path: Path
) -> tuple[gpd.GeoDataFrame, str]:
    """Our columns (``precinct_id``, ``name``, ``population``) and the file's id column."""
    mapping = {"id": cfg.id_column, "name": cfg.name_column, "population": cfg.population_column}
    cols = find_columns(
        [c for c in gdf.columns if c != "geometry"],
        PRECINCT_COLUMNS,
        {k: v for k, v in mapping.items() if v},
        source=str(path),
    )
    id_col, name_col, pop_col = _id_column(gdf, cols, cfg, path), cols["name"], cols["population"]
    out = gpd.GeoDataFrame(
        {
            "precinct_id": gdf[id_col].map(_id_text),
            "name": gdf[name_col].astype(str) if name_col else gdf[id_col].astype(str),
            "population": pd.to_numeric(gdf[pop_col], errors="coerce") if pop_col else np.nan,
        },
        geometry=gdf.geometry.values,
        crs="EPSG:4326",
    )
    if "illustrative" in gdf.columns:
        out["illustrative"] = gdf["illustrative"].fillna(False).astype(bool)
    return out, id_col


def _drop_bad_precincts(out: gpd.GeoDataFrame, rej: Rejects, id_col: str) -> gpd.GeoDataFrame:
    """Reject features without a polygon or an id."""
    keep = np.ones(len(out), dtype=bool)
    for i, geom in enumerate(out.geometry.values):
        row = f"feature {i + 1}"
        if geom is None or geom.is_empty:
            rej.add(row, "no geometry", "geometry")
            keep[i] = False
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            rej.add(row, f"not a polygon ({geom.geom_type})", "geometry")
            keep[i] = False
        elif not out["precinct_id"].iloc[i]:
            rej.add(row, "empty precinct id", id_col)
            keep[i] = False
    return out[keep].reset_index(drop=True)


def _duplicates(out: gpd.GeoDataFrame, merge: bool, path: Path) -> gpd.GeoDataFrame:
    """Stop on repeated ids, naming them; or dissolve the parts when ``merge`` is set."""
    dup = out["precinct_id"].duplicated(keep=False)
    if not dup.any():
        return out
    ids = sorted(set(out.loc[dup, "precinct_id"]))
    if not merge:
        shown = ", ".join(repr(i) for i in ids[:10]) + (" ..." if len(ids) > 10 else "")
        raise InputDataError(
            f"{path}: {len(ids)} precinct ids repeat ({shown}); give each polygon its own id, or "
            "set [precincts] merge_duplicate_ids = true to merge the parts into one precinct"
        )

    def population(p: pd.Series) -> float:
        vals = p.dropna()
        if vals.empty:
            return float("nan")
        return float(vals.iloc[0]) if vals.nunique() == 1 else float(vals.sum())

    agg: dict[str, Any] = {"name": "first", "population": population}
    if "illustrative" in out.columns:
        agg["illustrative"] = "max"
    merged = out.dissolve(by="precinct_id", sort=False, aggfunc=agg).reset_index()
    log.info("%s: merged %d repeated precinct ids into one precinct each", path, len(ids))
    return merged[list(out.columns)]


def _polygons_only(g: shapely.Geometry) -> shapely.Geometry:
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    return shapely.MultiPolygon([p for p in getattr(g, "geoms", []) if p.geom_type == "Polygon"])


def load_precincts(cfg: PrecinctLayer) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Precinct polygons in WGS84 with ``precinct_id``, ``name``, ``population``.

    Returns the layer, its rejects and a facts dict for the manifest.
    """
    path = Path(cfg.path)
    need_file(path, "precincts")
    rej = Rejects("precincts", str(path))
    out, id_col = _precinct_table(read_precinct_file(path, cfg), cfg, path)
    out = _drop_bad_precincts(out, rej, id_col)
    out = _duplicates(out, cfg.merge_duplicate_ids, path)
    if len(out) == 0:
        raise InputDataError(f"{path}: no usable precinct polygons (see rejects.csv)")
    invalid = ~out.geometry.is_valid
    if invalid.any():
        log.info("%s: repaired %d invalid polygons with make_valid", path, int(invalid.sum()))
        out.loc[invalid, "geometry"] = shapely.make_valid(out.geometry[invalid].values)
        out.geometry = out.geometry.map(_polygons_only)
    facts = {
        "layer": "precincts",
        "path": str(path),
        "datum": cfg.datum,
        "rows_loaded": len(out),
        "rows_rejected": len(rej.rows),
        "id_column": id_col,
    }
    return out, rej.frame(), facts
