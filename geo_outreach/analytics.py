"""Alert analytics stage: statistics, trends, density, hot spots, clusters and time profiles.

``run_analytics(data, cfg)`` computes everything from a loaded :class:`~geo_outreach.io.StudyData`
(only its ``precincts``, ``alerts``, ``study_area`` and ``crs``) and returns an immutable
:class:`AnalyticsResult`; ``write_analytics(result, out_dir)`` writes the stage's files
through :mod:`geo_outreach.outputs` (deterministic, atomic; GeoJSON in WGS84):

- ``precinct_stats.csv``  see :func:`geo_outreach.stats.precinct_stats`
- ``monthly_trends.csv``  see :func:`geo_outreach.stats.monthly_trends` (NaN -> empty cell)
- ``density.tif``         alerts per km² per year, working CRS
- ``hotspots.geojson``    Gi* cells with alerts > 0 or a significant class
- ``clusters.geojson``    DBSCAN cluster hulls
- ``time_profile.csv``    weekday x hour counts per study area / precinct / cluster

Default hot-spot grid: ``cfg.cell_m`` when set, else 250 m (coarser when the study area would
need more than :data:`MAX_HOTSPOT_CELLS` cells); default distance band: ``cfg.gi_distance_m``
when set, else 2 cells (500 m: each cell with the 12 cells around it), which keeps hot spots as
local as outreach reach (a band as wide as the density bandwidth marks most of a town hot).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from geo_outreach import density as _density
from geo_outreach import hotspots as _hot
from geo_outreach import stats as _stats
from geo_outreach._errors import InputDataError
from geo_outreach.density import DensityGrid
from geo_outreach._validate import columns_of
from geo_outreach.outputs import write_output
from geo_outreach.scenario import AnalysisConfig

if TYPE_CHECKING:
    from geo_outreach.io import StudyData

log = logging.getLogger(__name__)

DEFAULT_HOTSPOT_CELL_M = 250.0
MAX_HOTSPOT_CELLS = 250_000

#: Files written by :func:`write_analytics`, in order.
OUTPUT_FILES = (
    "precinct_stats.csv",
    "monthly_trends.csv",
    "density.tif",
    "hotspots.geojson",
    "clusters.geojson",
    "time_profile.csv",
)


@dataclass(frozen=True)
class AnalyticsResult:
    """Everything the analytics stage computed (frames are in the working CRS)."""

    precinct_stats: pd.DataFrame
    monthly_trends: pd.DataFrame
    density: DensityGrid
    hotspots: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    time_profile: pd.DataFrame
    peak_windows: list[dict]
    settings: dict[str, Any]


def hotspot_cell_size(study_area: shapely.Geometry, cell_m: float | None) -> float:
    """Hot-spot grid cell size in metres.

    ``cell_m`` if given, else 250 m doubled until the study area needs at most
    :data:`MAX_HOTSPOT_CELLS` cells.
    """
    if cell_m is not None:
        return float(cell_m)
    minx, miny, maxx, maxy = shapely.bounds(study_area)
    cell = DEFAULT_HOTSPOT_CELL_M
    while ((maxx - minx) / cell) * ((maxy - miny) / cell) > MAX_HOTSPOT_CELLS:
        cell *= 2.0
    return cell


def _hotspot_settings(study_area: shapely.Geometry, cfg: AnalysisConfig) -> tuple[float, float]:
    """Hot-spot cell size and Gi* distance band (see the module docstring)."""
    hot_cell = hotspot_cell_size(study_area, cfg.cell_m)
    gi_distance = float(cfg.gi_distance_m) if cfg.gi_distance_m is not None else 2.0 * hot_cell
    return hot_cell, gi_distance


def hotspots_for(
    data: StudyData, cfg: AnalysisConfig, alerts: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Gi* hot-spot cells of ``alerts`` exactly as :func:`run_analytics` computes them.

    Only the hot-spot step, for callers that need hot spots of a subset of the alerts (the
    backtest's training periods) without the rest of the stage.

    Parameters
    ----------
    data
        The study data (``study_area``).
    cfg
        The scenario's ``[analysis]`` settings.
    alerts
        The alerts (working CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        The grid cells (``cell_id, alerts, gi_z, p, p_fdr, hot_class`` + Polygon).
    """
    hot_cell, gi_distance = _hotspot_settings(data.study_area, cfg)
    return _hot.hotspot_cells(
        alerts, data.study_area, cell_m=hot_cell, distance_m=gi_distance, fdr=cfg.fdr
    )


def run_analytics(data: StudyData, cfg: AnalysisConfig) -> AnalyticsResult:
    """Run every analytics step on loaded data.

    Parameters
    ----------
    data
        A :class:`geo_outreach.io.StudyData` (``precincts``, ``alerts``, ``study_area``,
        ``crs``; layers in the working CRS).
    cfg
        The scenario's ``[analysis]`` settings.

    Returns
    -------
    AnalyticsResult

    Raises
    ------
    InputDataError
        When no alerts are left (after the loader's checks, or after ``category_weights``
        weighs every category 0).
    """
    alerts: gpd.GeoDataFrame = data.alerts
    precincts: gpd.GeoDataFrame = data.precincts
    if len(alerts) == 0:
        raise InputDataError(
            "alerts: no alerts left after loading and filtering (see rejects.csv for dropped "
            "rows); check the [alerts] path, columns and datum"
        )
    _stats.check_alerts(alerts)
    if alerts.crs is not None and data.crs is not None and not alerts.crs.equals(data.crs):
        raise InputDataError("alerts are not in the working CRS; load them with geo_outreach.io")
    if cfg.category_weights:
        w = alerts["category"].astype(str).map(dict(cfg.category_weights)).fillna(1.0)
        if not (w.to_numpy(dtype=float) > 0).any():
            raise InputDataError(
                "alerts: [analysis] category_weights weigh every alert 0 "
                f"({dict(cfg.category_weights)}); give at least one present category a weight > 0"
            )

    trends = _stats.monthly_trends(alerts, precincts)
    stats_df = _stats.precinct_stats(alerts, precincts, trends=trends)  # issue 14: trends once
    grid = _density.density_grid(
        alerts,
        data.study_area,
        cell_m=cfg.cell_m,
        bandwidth_m=cfg.bandwidth_m,
        half_life_days=cfg.half_life_days,
        category_weights=cfg.category_weights or None,
    )
    hot_cell, gi_distance = _hotspot_settings(data.study_area, cfg)
    cells = hotspots_for(data, cfg, alerts)
    labels = _hot.cluster_labels(
        alerts, eps_m=cfg.cluster_eps_m, min_samples=cfg.cluster_min_samples
    )
    clusters = _hot.alert_clusters(alerts, labels=labels)
    with_cluster = pd.DataFrame(
        {
            "reported_at": alerts["reported_at"],
            "precinct_id": alerts["precinct_id"].astype(str),
            "cluster_id": labels,
        }
    )
    profile = _hot.time_profile(with_cluster, by="precinct_id")
    windows = _hot.peak_windows(alerts)
    settings = {
        "density_cell_m": grid.cell_m,
        "bandwidth_m": grid.bandwidth_m,
        "years": grid.years,
        "half_life_days": cfg.half_life_days,
        "hotspot_cell_m": hot_cell,
        "gi_distance_m": gi_distance,
        "fdr": cfg.fdr,
        "cluster_eps_m": cfg.cluster_eps_m,
        "cluster_min_samples": cfg.cluster_min_samples,
    }
    log.info("analytics: %d alerts, %d clusters, %s", len(alerts), len(clusters), settings)
    return AnalyticsResult(
        precinct_stats=stats_df,
        monthly_trends=trends,
        density=grid,
        hotspots=cells,
        clusters=clusters,
        time_profile=profile,
        peak_windows=windows,
        settings=settings,
    )


def _round(df: pd.DataFrame, digits: dict[str, int]) -> pd.DataFrame:
    out = df.copy()
    for col, d in digits.items():
        if col in out.columns:
            out[col] = out[col].astype(float).round(d)
    return out


def write_analytics(result: AnalyticsResult, out_dir: str | Path) -> list[Path]:
    """Write the analytics files (see module docstring) into ``out_dir``; return their paths."""
    out = Path(out_dir)
    paths = [
        write_output(out, "precinct_stats.csv", result.precinct_stats),
        write_output(out, "monthly_trends.csv", result.monthly_trends),
        _density.write_density_tif(result.density, out / "density.tif"),
    ]
    hot = result.hotspots
    keep = (hot["alerts"] > 0) | (hot["hot_class"] != "ns")
    hot = _round(
        hot.loc[keep, [*columns_of("hotspots.geojson"), "geometry"]],
        {"gi_z": 4, "p": 6, "p_fdr": 6},
    )
    paths.append(write_output(out, "hotspots.geojson", hot))  # row-major order from grid_cells
    clusters = result.clusters.sort_values("cluster_id", kind="stable")
    paths.append(write_output(out, "clusters.geojson", clusters))
    paths.append(write_output(out, "time_profile.csv", result.time_profile))
    return paths
