"""Placements of every channel: plan, coverage curves, reach, patrol routes, uncovered hot spots.

For each channel :func:`plan_channels` builds the :class:`~.problem.ChannelProblem` of all
alerts, solves it with :func:`~.problem.solve_channel` (the same function the backtest
uses), and derives the coverage curve, the reach polygon of each placement (circle, or
walking service area), the patrol tour (:mod:`.patrol`) and - over all channels - the hot-spot
cells nothing reaches. :func:`write_channels` writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo_outreach import coverage as cov
from geo_outreach._errors import InputDataError
from geo_outreach._validate import columns_of
from geo_outreach.channels.demand import AlertPlaces, alert_places
from geo_outreach.channels.patrol import HOT_CLASSES, ROUTE_COLUMNS, patrol_route, points_xy
from geo_outreach.channels.problem import (
    ChannelProblem,
    channel_problem,
    coverage_of,
    reach_geometries,
    solve_channel,
)
from geo_outreach.outputs import write_output

if TYPE_CHECKING:
    from pyproj import CRS

    from geo_outreach.io import StudyData
    from geo_outreach.scenario import ChannelConfig

log = logging.getLogger("geo_outreach.channels")

# the columns of the tables this stage writes (the schema is data in geo_outreach._validate)
PLACEMENT_COLUMNS = columns_of("placements.geojson")
CURVE_COLUMNS = columns_of("coverage_curve.csv")
REACH_COLUMNS = columns_of("reach.geojson")
UNCOVERED_COLUMNS = columns_of("uncovered_hotspots.geojson")


@dataclass(frozen=True)
class ChannelsResult:
    """Placements of every channel (all frames in the working CRS).

    Attributes
    ----------
    placements
        One row per chosen (or existing) site: :data:`PLACEMENT_COLUMNS` + Point geometry.
        Existing sites have ``existing=True`` and ``rank=0``.
    summaries
        Per channel name: label, status, gap, covered_weight, total_weight, covered_share,
        upper_bound, method, seconds, radius_m, budget, distance, notes (JSON-able dict, for
        manifest.json).
    curves
        channel, k, covered_weight, covered_share (k = 0 is what existing sites cover).
    reach
        channel, rank, venue_id, distance, radius_m + Polygon (circle or walking service area).
    patrol_route
        channel, feature ("stop" | "route"), order, cell_id, venue_id, alerts,
        covered_weight, windows, length_m + Point/LineString.
    uncovered_hotspots
        Hot cells (hot99/hot95/hot90) whose centre no placement of any channel reaches.
    crs
        The working CRS.
    notes
        Notes about the whole stage.
    """

    placements: gpd.GeoDataFrame
    summaries: dict[str, dict[str, Any]]
    curves: pd.DataFrame
    reach: gpd.GeoDataFrame
    patrol_route: gpd.GeoDataFrame
    uncovered_hotspots: gpd.GeoDataFrame
    crs: CRS | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Placed:
    """One channel's solved problem and the frames made from it."""

    problem: ChannelProblem
    placements: gpd.GeoDataFrame
    curve: pd.DataFrame
    reach: gpd.GeoDataFrame
    route: gpd.GeoDataFrame | None
    summary: dict[str, Any]


def _check_budget(problem: ChannelProblem) -> None:
    ch = problem.config
    if ch.type == "patrol":
        if ch.budget > problem.m:
            raise InputDataError(
                f"channels.{ch.name}.budget = {ch.budget} but only {problem.m} hot-spot cells can "
                "host a patrol stop; lower the budget"
            )
        return
    free = problem.m - len(set(ch.existing))
    if ch.budget > free:
        raise InputDataError(
            f"channels.{ch.name}.budget = {ch.budget} but only {free} candidate venues of kinds "
            f"{list(ch.venue_kinds)} are free; lower the budget or add venues"
        )


def _placements(problem: ChannelProblem, sol: cov.CoverageSolution) -> gpd.GeoDataFrame:
    a, w, cand = problem.matrix, problem.weights, problem.candidates
    total = sol.total_weight
    recs = []
    if sol.existing:
        ga = cov.gap_analysis(a, w, list(sol.existing))
        for _, r in ga[ga["role"] == "existing"].iterrows():
            recs.append(
                (int(r["site"]), 0, float(r["covered_weight"]), float(r["unique_weight"]), True)
            )
    cum = sol.existing_weight
    csc = sp.csc_matrix(a)
    for rank, (j, g) in enumerate(zip(sol.chosen, sol.marginal, strict=True), start=1):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        recs.append((int(j), rank, float(w[rows].sum()), float(g), False))
    out = []
    for j, rank, covered, marginal, existing in recs:
        if not existing:
            cum += marginal
        row = cand.iloc[j]
        out.append(
            {
                "channel": problem.name,
                "rank": rank,
                "venue_id": row["venue_id"],
                "name": row["name"],
                "kind": row["kind"],
                "precinct_id": row["precinct_id"],
                "covered_weight": round(covered, 6),
                "marginal_weight": round(marginal, 6),
                "cumulative_share": round(cum / total, 6) if total > 0 else 0.0,
                "existing": existing,
                "geometry": row.geometry,
            }
        )
    return gpd.GeoDataFrame(
        out, columns=PLACEMENT_COLUMNS + ["geometry"], geometry="geometry", crs=cand.crs
    )


def _reach(problem: ChannelProblem, placements: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    ids = problem.candidates["venue_id"].astype(str).tolist()
    cols = [ids.index(str(v)) for v in placements["venue_id"]]
    return gpd.GeoDataFrame(
        {
            "channel": problem.name,
            "rank": placements["rank"].to_numpy(),
            "venue_id": placements["venue_id"].to_numpy(),
            "distance": problem.distance,
            "radius_m": float(problem.config.radius_m),
        },
        geometry=reach_geometries(problem, cols),
        crs=placements.crs,
    )


def _summary(
    problem: ChannelProblem, sol: cov.CoverageSolution, notes: Sequence[str]
) -> dict[str, Any]:
    ch = problem.config
    return {
        "label": ch.label or ch.name,
        "type": ch.type,
        "status": sol.status,
        "gap": round(sol.gap, 6),
        "covered_weight": round(sol.covered_weight, 6),
        "total_weight": round(sol.total_weight, 6),
        "covered_share": round(sol.covered_share, 6),
        "upper_bound": round(sol.upper_bound, 6),
        "method": sol.method,
        "seconds": round(sol.seconds, 3),
        "radius_m": float(ch.radius_m),
        "budget": int(ch.budget),
        "distance": problem.distance,
        "candidates": int(problem.m),
        "demand_points": len(problem.demand),
        "existing": len(sol.existing),
        "notes": list(notes) + list(sol.notes),
        # issue 13: which demand the plan used; the forecast's bandwidth and half-life
        "demand": ch.demand if problem.forecast is not None else "raw",
        "forecast": problem.forecast.as_dict() if problem.forecast is not None else None,
    }


def _place_channel(
    data: StudyData,
    ch: ChannelConfig,
    *,
    network: cov.StreetIndex | None,
    hotspots: gpd.GeoDataFrame | None,
    peak_windows: Sequence[dict[str, Any]],
    seed: int,
    places: AlertPlaces | None,
) -> _Placed:
    problem = channel_problem(
        data, ch, data.alerts, network=network, hotspots=hotspots, places=places
    )
    _check_budget(problem)
    sol = solve_channel(problem, seed=seed)
    pl = _placements(problem, sol)
    curve = cov.coverage_curve(
        problem.matrix, problem.weights, ch.budget, existing=list(sol.existing)
    )
    curve.insert(0, "channel", ch.name)
    notes = list(problem.notes)
    route = None
    if ch.type == "patrol":
        stops = problem.candidates.iloc[list(sol.chosen)].copy()
        stops["covered_weight"] = pl.loc[~pl["existing"], "marginal_weight"].to_numpy()
        built = patrol_route(ch, stops.reset_index(drop=True), network, peak_windows)
        notes += built.notes
        route = built.frame
    log.info(
        "channel %s: %d sites cover %.1f%% of weight (%s, gap %.2f%%)",
        ch.name,
        len(sol.chosen),
        100 * sol.covered_share,
        sol.status,
        100 * sol.gap,
    )
    return _Placed(
        problem, pl, curve[CURVE_COLUMNS], _reach(problem, pl), route, _summary(problem, sol, notes)
    )


def _concat(
    frames: Sequence[gpd.GeoDataFrame], columns: Sequence[str], crs: CRS | None
) -> gpd.GeoDataFrame:
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def plan_channels(
    data: StudyData,
    channels: Sequence[ChannelConfig],
    *,
    hotspots: gpd.GeoDataFrame | None = None,
    peak_windows: Sequence[dict[str, Any]] = (),
    seed: int = 0,
) -> ChannelsResult:
    """Choose placements for every channel (see :mod:`geo_outreach.channels.problem`).

    Parameters
    ----------
    data
        A ``StudyData`` (uses precincts, alerts, venues, streets, crs).
    channels
        The scenario's channels.
    hotspots
        Grid cells with ``cell_id, alerts, gi_z, hot_class`` (working CRS), for patrols and
        the uncovered hot spots.
    peak_windows
        Busiest time windows (dicts with label_zh/label_en/start_hour/end_hour/share).
    seed
        Passed to the solver.

    Returns
    -------
    ChannelsResult

    Raises
    ------
    InputDataError
        A channel has no venues of its kinds, a budget larger than its candidates, a radius
        <= 0 or duplicate candidate ids.
    InfeasiblePlanError
        A per-precinct minimum cannot be met (the message names the precinct).
    """
    crs = data.crs
    need_net = data.streets is not None and any(
        c.distance == "walk" or c.type == "patrol" for c in channels
    )
    net = cov.prepare_network(data.streets) if need_net else None
    walking = [c.radius_m for c in channels if c.distance == "walk"]
    if net is not None and walking:  # issue 14: the shared demand is snapped once
        net.snap_within(max(walking) + 1.0)
    # issue 14: the alerts' places are the same for every channel on raw demand
    raw = any(c.demand != "forecast" for c in channels)
    places = alert_places(data.alerts) if raw else None
    placed = [
        _place_channel(
            data, ch, network=net, hotspots=hotspots, peak_windows=peak_windows, seed=seed,
            places=places,
        )
        for ch in channels
    ]  # fmt: skip
    placements = _concat([p.placements for p in placed], PLACEMENT_COLUMNS, crs)
    curves = [p.curve for p in placed]
    routes = [p.route for p in placed if p.route is not None]
    return ChannelsResult(
        placements=placements,
        summaries={p.problem.name: p.summary for p in placed},
        curves=pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame(columns=CURVE_COLUMNS),
        reach=_concat([p.reach for p in placed], REACH_COLUMNS, crs),
        patrol_route=_concat(routes, ROUTE_COLUMNS, crs),
        uncovered_hotspots=uncovered_hotspots(
            hotspots, [(p.problem, p.placements) for p in placed], crs
        ),
        crs=crs,
    )


def uncovered_hotspots(
    hotspots: gpd.GeoDataFrame | None,
    placed: Sequence[tuple[ChannelProblem, gpd.GeoDataFrame]],
    crs: CRS | None,
) -> gpd.GeoDataFrame:
    """Hot cells (hot99/95/90) whose centre no placement reaches.

    Parameters
    ----------
    hotspots
        Grid cells with ``cell_id, alerts, gi_z, hot_class``.
    placed
        Each channel's problem (radius and distance model) and its placements.
    crs
        CRS of an empty result.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id, alerts, gi_z, hot_class`` + Polygon.
    """
    cols = UNCOVERED_COLUMNS
    if hotspots is None or len(hotspots) == 0 or "hot_class" not in hotspots.columns:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    hot = hotspots[hotspots["hot_class"].astype(str).isin(HOT_CLASSES)]
    if len(hot) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    cent = hot.geometry.centroid
    hxy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    reached = np.zeros(len(hot), dtype=bool)
    for problem, pl in placed:
        if len(pl) == 0:
            continue
        a = coverage_of(problem, hxy, points_xy(pl))
        reached |= np.diff(a.indptr) > 0
    keep = [c for c in cols if c in hot.columns]
    return gpd.GeoDataFrame(
        hot.loc[~reached, keep + ["geometry"]].reset_index(drop=True),
        geometry="geometry",
        crs=hot.crs,
    )


def _with_lonlat(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    if len(gdf):
        ll = gdf.geometry.to_crs("EPSG:4326")
        df["lon"] = np.round(ll.x.to_numpy(), 6)
        df["lat"] = np.round(ll.y.to_numpy(), 6)
    else:
        df["lon"] = []
        df["lat"] = []
    return df


def write_channels(result: ChannelsResult, out_dir: str | Path) -> list[Path]:
    """Write the channel stage's files into ``out_dir``.

    Files: placements.csv (+ lon/lat WGS84), placements.geojson, coverage_curve.csv,
    reach.geojson, patrol_route.geojson and uncovered_hotspots.geojson.

    Returns
    -------
    list of pathlib.Path
        The paths written.
    """
    out = Path(out_dir)
    pl = result.placements
    curves = result.curves.round({"covered_weight": 6, "covered_share": 6})
    return [
        write_output(out, "placements.csv", _with_lonlat(pl)[columns_of("placements.csv")]),
        write_output(out, "placements.geojson", pl),
        write_output(out, "coverage_curve.csv", curves),
        write_output(out, "reach.geojson", result.reach),
        write_output(out, "patrol_route.geojson", result.patrol_route),
        write_output(out, "uncovered_hotspots.geojson", result.uncovered_hotspots),
    ]
