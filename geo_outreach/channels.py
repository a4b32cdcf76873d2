"""What each outreach channel wants, and where it goes.

Work in progress: entry-point signatures are stable (``plan_channels``, ``write_channels``,
``ChannelsResult``); the implementation lands in the next commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_outreach.scenario import ChannelConfig

log = logging.getLogger(__name__)

PLACEMENT_COLUMNS = [
    "channel",
    "rank",
    "venue_id",
    "name",
    "kind",
    "precinct_id",
    "covered_weight",
    "marginal_weight",
    "cumulative_share",
    "existing",
]


@dataclass(frozen=True)
class ChannelsResult:
    """Placements of every channel (all frames in the working CRS).

    Attributes
    ----------
    placements
        One row per chosen (or existing) site: :data:`PLACEMENT_COLUMNS` + Point geometry.
    summaries
        Per channel name: label, status, gap, covered_weight, total_weight, covered_share,
        upper_bound, method, seconds, radius_m, budget, distance, notes (JSON-able dict, for
        manifest.json).
    curves
        channel, k, covered_weight, covered_share.
    reach
        channel, venue_id, rank, distance + Polygon (circle or walking service area).
    patrol_route
        channel, order, cell_id, window, kind ("stop" | "route") + Point/LineString.
    uncovered_hotspots
        Hot cells (hot99/hot95/hot90) that no placement of any channel reaches.
    """

    placements: gpd.GeoDataFrame
    summaries: dict[str, dict[str, Any]]
    curves: pd.DataFrame
    reach: gpd.GeoDataFrame
    patrol_route: gpd.GeoDataFrame
    uncovered_hotspots: gpd.GeoDataFrame
    crs: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def plan_channels(
    data: Any,
    channels: Sequence[ChannelConfig],
    *,
    hotspots: gpd.GeoDataFrame | None = None,
    peak_windows: Sequence[dict[str, Any]] = (),
    seed: int = 0,
) -> ChannelsResult:
    """Choose placements for every channel (see module docstring)."""
    raise NotImplementedError("plan_channels is being implemented (issue 4)")


def write_channels(result: ChannelsResult, out_dir: str | Path) -> list[Path]:
    """Write placements.csv/.geojson, coverage_curve.csv, reach.geojson,
    patrol_route.geojson and uncovered_hotspots.geojson into ``out_dir``; return the paths."""
    raise NotImplementedError("write_channels is being implemented (issue 4)")
