"""Write outputs atomically and deterministically, and record their provenance.

Atomically: a failed run never leaves a half-written file that looks complete.
Deterministically: the same inputs give byte-identical CSV/GeoJSON.

Every stage writes through these helpers. Files in an output folder (all WGS84):

| file                      | written by    | content |
|---------------------------|---------------|---------|
| manifest.json             | plan          | resolved scenario, inputs (sha256, rows), versions, |
|                           |               | timings, solver status |
| rejects.csv               | io            | layer, file, row, column, reason, value |
| precincts.geojson         | plan/stats    | precinct polygons + statistics columns |
| precinct_stats.csv        | stats         | one row per precinct + an ``outside`` row |
| monthly_trends.csv        | stats         | precinct_id, month, alerts, mom_pct, yoy_pct, mom_p, |
|                           |               | yoy_p |
| alerts.csv                | plan          | cleaned alerts: alert_id, reported_at, category, |
|                           |               | age_band, precinct_id, lon, lat |
| venues.geojson            | plan          | venue_id, kind, name, precinct_id |
| streets.geojson           | plan          | street lines for offline vector context |
| density.tif               | density       | alerts per km² per year (GeoTIFF, working CRS) |
| hotspots.geojson          | hotspots      | grid cells with gi_z, p, p_fdr, hot_class |
| clusters.geojson          | hotspots      | cluster hulls, alerts, top categories, peak hours |
| time_profile.csv          | hotspots      | hour x weekday counts per precinct / cluster |
| placements.csv / .geojson | channels      | channel, rank, venue_id, name, kind, precinct_id, |
|                           |               | lon, lat, covered_weight, marginal_weight, |
|                           |               | cumulative_share |
| coverage_curve.csv        | channels      | channel, k, covered_weight, covered_share |
| reach.geojson             | channels      | reach of each placement (circle or walking area) |
| patrol_route.geojson      | channels      | patrol stops and route line with time windows |
| uncovered_hotspots.geojson| channels      | hot cells no placement reaches |
| evaluation.csv            | evaluate      | backtest scores |
| map.html, briefing.*      | maps/report   | rendered from the files above |

Provenance for ``manifest.json`` lives here too: :func:`sha256_file`, :func:`package_versions`,
:func:`git_commit`, :func:`run_info`, :func:`rejects_summary` and :func:`build_manifest`; and
the writer of the cleaned input layers, :func:`write_base_layers` (with :func:`street_lines`).
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
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_outreach._validate import OUTSIDE
from geo_outreach._version import __version__
from geo_outreach.scenario import Scenario, scenario_to_dict

if TYPE_CHECKING:
    import networkx as nx

    from geo_outreach.io import StudyData

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


def rejects_summary(rejects: pd.DataFrame) -> list[dict[str, Any]]:
    """Count rejected rows by layer, file and reason (reason text without its numbers)."""
    if rejects.empty:
        return []
    reason = rejects["reason"].str.replace(r"\s*\(.*\)$", "", regex=True)
    grouped = rejects.assign(reason=reason).groupby(["layer", "file", "reason"], sort=True).size()
    return [
        {"layer": k[0], "file": k[1], "reason": k[2], "rows": int(v)} for k, v in grouped.items()
    ]


def period_of(data: StudyData) -> dict[str, str]:
    """First and last alert day (ISO dates, scenario timezone)."""
    t = data.alerts["reported_at"]
    return {"start": t.min().date().isoformat(), "end": t.max().date().isoformat()}


def build_manifest(
    sc: Scenario,
    data: StudyData,
    *,
    timings: dict[str, float],
    channels: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to audit and reproduce a run (the content of ``manifest.json``)."""
    return {
        "title": sc.scenario.title or sc.scenario.name,
        "scenario_name": sc.scenario.name,
        "synthetic": bool(sc.synthetic or data.notes),
        "notes": list(data.notes),
        "period": period_of(data),
        "working_crs": data.crs.to_string(),
        "datums": {rec["layer"]: rec.get("datum", "wgs84") for rec in data.inputs},
        "datum_statement": "All outputs are WGS84 (EPSG:4326); inputs were converted from their "
        "declared datums on load.",
        "output": {"dir": str(sc.output.dir), "basemap": sc.output.basemap, "lang": sc.output.lang},
        "scenario": scenario_to_dict(sc),
        "inputs": list(data.inputs),
        "rejects": rejects_summary(data.rejects),
        "rows": {
            "precincts": len(data.precincts),
            "alerts": len(data.alerts),
            "alerts_outside": int((data.alerts["precinct_id"] == OUTSIDE).sum()),
            "venues": len(data.venues),
            "rejected": len(data.rejects),
        },
        "seed": sc.scenario.seed,
        "versions": package_versions(),
        "timings_s": dict(timings),
        "channels": channels or {},
        **(extra or {}),
    }


# --------------------------------------------------------------------------- cleaned inputs


def write_base_layers(data: StudyData, out_dir: Path) -> dict[str, Path]:
    """Write the cleaned input layers (WGS84) that maps and later runs read back.

    Returns
    -------
    dict
        File name -> path: ``rejects.csv``, ``alerts.csv``, ``venues.geojson`` and, with a
        street network, ``streets.geojson``.
    """
    files: dict[str, Path] = {}
    files["rejects.csv"] = write_csv(out_dir / "rejects.csv", data.rejects.astype({"row": str}))
    a = data.alerts.to_crs("EPSG:4326")
    alerts = pd.DataFrame(
        {
            "alert_id": a["alert_id"],
            "reported_at": a["reported_at"].map(lambda t: t.isoformat()),
            "category": a["category"],
            "age_band": a["age_band"],
            "precinct_id": a["precinct_id"],
            "lon": a.geometry.x.round(6),
            "lat": a.geometry.y.round(6),
        }
    ).sort_values(["reported_at", "alert_id"], kind="stable")
    files["alerts.csv"] = write_csv(out_dir / "alerts.csv", alerts)
    venue_cols = ["venue_id", "kind", "name", "precinct_id", "geometry"]
    venues = data.venues[venue_cols].sort_values("venue_id")
    files["venues.geojson"] = write_geojson(out_dir / "venues.geojson", venues)
    if data.streets is not None:
        files["streets.geojson"] = write_geojson(
            out_dir / "streets.geojson", street_lines(data.streets), precision=5
        )
    return files


def street_lines(graph: nx.MultiDiGraph, *, simplify_m: float = 3.0) -> gpd.GeoDataFrame:
    """One line per street segment, for drawing as context.

    Reverse duplicates are dropped (the u < v direction is kept) and rows are sorted by
    highway and node ids, so the file is byte-identical whatever order osmnx built edges in.
    """
    import osmnx as ox

    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    # merged edges carry a list of highway values in set order: take the smallest, deterministically
    if "highway" in edges:
        highway = edges["highway"].map(lambda h: min(map(str, h)) if isinstance(h, list) else h)
    else:
        highway = ""
    table = pd.DataFrame(
        {
            "highway": pd.Series(highway).astype(str).to_numpy(),
            "a": np.minimum(u, v),
            "b": np.maximum(u, v),
            "reverse": u > v,
            "key": edges["key"].to_numpy(),
        }
    )
    order = table.sort_values(["highway", "a", "b", "key", "reverse"], kind="stable").index
    table = table.loc[order]
    keep = ~table.duplicated(["a", "b", "key"]).to_numpy()
    rows = order[keep]
    return gpd.GeoDataFrame(
        {"highway": table["highway"].to_numpy()[keep]},
        geometry=edges.geometry.simplify(simplify_m).to_numpy()[rows],
        crs=edges.crs,
    )
