"""Writing outputs: atomically (a failed run never leaves a half-written file that looks
complete) and deterministically (same inputs -> byte-identical CSV/GeoJSON).

Every stage writes through these helpers. Files in an output folder (all WGS84):

| file                      | written by    | content |
|---------------------------|---------------|---------|
| manifest.json             | plan          | resolved scenario, inputs (sha256, rows), versions, timings, solver status |
| rejects.csv               | io            | layer, file, row, column, reason, value |
| precincts.geojson         | plan/stats    | precinct polygons + statistics columns |
| precinct_stats.csv        | stats         | one row per precinct + an ``outside`` row |
| monthly_trends.csv        | stats         | precinct_id, month, alerts, mom_pct, yoy_pct, mom_p, yoy_p |
| alerts.csv                | plan          | cleaned alerts: alert_id, reported_at, category, age_band, precinct_id, lon, lat |
| venues.geojson            | plan          | venue_id, kind, name, precinct_id |
| streets.geojson           | plan          | street lines for offline vector context |
| density.tif               | density       | alerts per km² per year (GeoTIFF, working CRS) |
| hotspots.geojson          | hotspots      | grid cells with gi_z, p, p_fdr, hot_class |
| clusters.geojson          | hotspots      | cluster hulls, alerts, top categories, peak hours |
| time_profile.csv          | hotspots      | hour x weekday counts per precinct / cluster |
| placements.csv / .geojson | channels      | channel, rank, venue_id, name, kind, precinct_id, lon, lat, covered_weight, marginal_weight, cumulative_share |
| coverage_curve.csv        | channels      | channel, k, covered_weight, covered_share |
| reach.geojson             | channels      | reach of each placement (circle or walking service area) |
| patrol_route.geojson      | channels      | patrol stops and route line with time windows |
| uncovered_hotspots.geojson| channels      | hot cells no placement reaches |
| evaluation.csv            | evaluate      | backtest scores |
| map.html, briefing.*      | maps/report   | rendered from the files above |
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
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
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | Path, df: pd.DataFrame) -> Path:
    """Write a CSV (UTF-8 with BOM so Excel shows Chinese correctly, no index) atomically."""
    return atomic_write(path, lambda p: df.to_csv(p, index=False, encoding="utf-8-sig", lineterminator="\n"))


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
