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
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_outreach._validate import check_written
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
    """Write a CSV (UTF-8 with BOM so Excel shows Chinese correctly, no index) atomically."""
    return atomic_write(
        path, lambda p: df.to_csv(p, index=False, encoding="utf-8-sig", lineterminator="\n")
    )


def write_geojson(path: str | Path, gdf: gpd.GeoDataFrame, *, precision: int = 6) -> Path:
    """Write GeoJSON in WGS84 with fixed coordinate precision, atomically and deterministically."""
    g = gdf if gdf.crs is None or gdf.crs.to_epsg() == 4326 else gdf.to_crs("EPSG:4326")
    text = g.to_json(drop_id=True, ensure_ascii=False, to_wgs84=False)
    data = json.loads(text)
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}

    def rnd(c: Any) -> Any:
        if isinstance(c, float):
            return round(c, precision)
        if isinstance(c, list):
            return [rnd(x) for x in c]
        return c

    for feat in data.get("features", []):
        if feat.get("geometry"):
            feat["geometry"]["coordinates"] = rnd(feat["geometry"]["coordinates"])
    data.pop("bbox", None)
    return write_text(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


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
