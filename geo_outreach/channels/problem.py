"""One channel's coverage problem, shared by the plan and the backtest.

A channel (``scenario.ChannelConfig``) says which venues can host it (``venue_kinds``), how
far its message reaches (``radius_m``, straight or walking distance), how many sites it gets
(``budget``) and which alerts matter most (``category_weights`` x ``age_weights``, default
1.0). :func:`channel_problem` turns a channel and a set of alerts into a
:class:`ChannelProblem`:

1. demand = the alerts, weighted; ``aggregate=True`` (the plan) drops alerts in
   ``"outside"`` (counted in the notes) and aggregates the rest to unique locations (exact:
   same point, same weight sum); ``aggregate=False`` (the backtest) keeps one row per given
   alert, in order, so that a period is a row subset. A channel with ``demand = "forecast"``
   (issue 13) plans instead on the forecast surface of :mod:`geo_outreach.forecast`: the
   bandwidth and half-life chosen by month-ahead cross-validation on the alerts before
   ``train_end`` (default: the day after the last alert), the surface of the channel's
   weighted alerts on a 250 m grid (cells in a precinct), recorded in ``problem.forecast``;
   the backtest builds such a problem per split (``aggregate=True``, ``train_end`` = split);
2. candidates = venues of the channel's kinds; kind ``"junction"`` = street-graph nodes with
   at least 4 distinct neighbours (undirected), thinned to one per 30 m, id
   ``"junction:<osmid>"``; for patrols the hot-spot cells (:mod:`.patrol`);
3. coverage matrix by straight line or walking distance (``distance = "walk"`` uses the
   street network; without one it falls back to straight line, logs a warning and says so in
   the notes).

:func:`solve_channel` then runs :func:`geo_outreach.coverage.maximize_coverage` with the
channel's constraints (existing venues, minimum sites / covered share per precinct, spacing)
on all demand rows or a subset of them, and :func:`reach_geometries` draws the reach of sites
(circle, or walking service area).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely

from geo_outreach import coverage as cov
from geo_outreach._errors import InputDataError
from geo_outreach._validate import OUTSIDE
from geo_outreach.channels.demand import (
    AlertPlaces,
    _alert_demand,
    channel_demand,
    default_train_end,
    forecast_demand,
    forecast_note,
)
from geo_outreach.channels.patrol import (
    nearest_venue_names,
    patrol_candidates,
    points_xy,
    stop_names,
)

if TYPE_CHECKING:
    import networkx as nx

    from geo_outreach.forecast import ForecastChoice
    from geo_outreach.io import StudyData
    from geo_outreach.scenario import ChannelConfig

log = logging.getLogger("geo_outreach.channels")

FloatArray = npt.NDArray[np.float64]

JUNCTION_MIN_DEGREE = 4
JUNCTION_DEDUP_M = 30.0
CANDIDATE_COLUMNS = ["venue_id", "kind", "name", "precinct_id"]
WALK_FALLBACK_NOTE = (
    "no street graph loaded: straight-line distance used instead of walking distance"
)


# =========================================================================== candidates


# issue 11 map: junctions named by their streets ("xx路与yy路交叉口")
def _street_names(graph: nx.MultiDiGraph, node: Any) -> list[str]:
    """Distinct street names of the edges at ``node``, most edges first, then by name."""
    edges = list(graph.edges(node, data="name"))
    if graph.is_directed():
        edges += list(graph.in_edges(node, data="name"))
    tally: dict[str, int] = {}
    for *_, name in edges:
        for n in set(name) if isinstance(name, list) else {name}:
            if isinstance(n, str) and n.strip():
                tally[n.strip()] = tally.get(n.strip(), 0) + 1
    return sorted(tally, key=lambda n: (-tally[n], n))


def _junction_name(streets: list[str]) -> str:
    """``"A与B交叉口"``, ``"A路口"`` for one street, '' without names (named later by a venue)."""
    if len(streets) >= 2:
        return f"{streets[0]}与{streets[1]}交叉口"
    return f"{streets[0]}路口" if streets else ""


def _name_unnamed_junctions(j: gpd.GeoDataFrame, venues: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Name junctions without street names after the nearest named venue: ``"路口：近 xx"``."""
    unnamed = (j["name"] == "").to_numpy()
    if unnamed.any():
        near = nearest_venue_names(j[unnamed], venues)
        ids = j.loc[unnamed, "venue_id"].str.removeprefix("junction:")
        j.loc[unnamed, "name"] = [
            f"路口：近 {n}" if n else f"路口 {i}" for n, i in zip(near, ids, strict=True)
        ]
    return j


def junctions(
    graph: nx.MultiDiGraph,
    *,
    min_degree: int = JUNCTION_MIN_DEGREE,
    dedup_m: float = JUNCTION_DEDUP_M,
) -> gpd.GeoDataFrame:
    """Busy junctions of a street graph.

    Street nodes with at least ``min_degree`` distinct neighbours in the undirected graph,
    thinned so that no two are closer than ``dedup_m`` (higher degree, then lower osmid, wins).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns venue_id (``"junction:<osmid>"``), kind, name, degree + Point.
    """
    rows = []
    for node in graph.nodes:
        if graph.is_directed():
            nb = set(graph.successors(node)) | set(graph.predecessors(node))
        else:
            nb = set(graph.neighbors(node))
        nb.discard(node)
        if len(nb) >= min_degree:
            d = graph.nodes[node]
            rows.append((node, len(nb), float(d["x"]), float(d["y"]), _street_names(graph, node)))
    crs = graph.graph.get("crs")
    if not rows:
        return gpd.GeoDataFrame(
            {"venue_id": [], "kind": [], "name": [], "degree": []}, geometry=[], crs=crs
        )
    rows.sort(key=lambda r: (-r[1], str(r[0])))
    xy = np.array([[r[2], r[3]] for r in rows])
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    keep = np.ones(len(rows), dtype=bool)
    for i in range(len(rows)):
        if not keep[i]:
            continue
        for j in tree.query_ball_point(xy[i], dedup_m):
            if j > i:
                keep[j] = False
    kept = [r for r, k in zip(rows, keep, strict=True) if k]
    return gpd.GeoDataFrame(
        {
            "venue_id": [f"junction:{r[0]}" for r in kept],
            "kind": "junction",
            "name": [_junction_name(r[4]) for r in kept],
            "degree": [r[1] for r in kept],
        },
        geometry=gpd.points_from_xy([r[2] for r in kept], [r[3] for r in kept]),
        crs=crs,
    )


def channel_candidates(data: StudyData, ch: ChannelConfig) -> gpd.GeoDataFrame:
    """Candidate venues of a (venue) channel: venue_id, kind, name, precinct_id + Point."""
    venues = data.venues
    parts = []
    kinds = [k for k in ch.venue_kinds if k != "junction"]
    if len(venues) and kinds:
        v = venues[venues["kind"].isin(kinds)]
        parts.append(v[CANDIDATE_COLUMNS + ["geometry"]])
    if "junction" in ch.venue_kinds:
        if data.streets is None:
            log.warning(
                "channel %s: venue kind 'junction' needs a street graph; none loaded", ch.name
            )
        else:
            j = junctions(data.streets)
            if len(j):
                j = j.set_crs(data.crs, allow_override=True)
                from geo_outreach.join import assign_precincts

                j["precinct_id"] = assign_precincts(j, data.precincts).to_numpy()
                inside = j["precinct_id"] != OUTSIDE
                j = _name_unnamed_junctions(j.loc[inside].copy(), venues)
                parts.append(j[CANDIDATE_COLUMNS + ["geometry"]])
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in CANDIDATE_COLUMNS}, geometry=[], crs=data.crs)
    cand = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=data.crs)
    cand["venue_id"] = cand["venue_id"].astype(str)
    cand["name"] = cand["name"].fillna("").astype(str)
    cand["precinct_id"] = cand["precinct_id"].fillna(OUTSIDE).astype(str)
    return cand.sort_values("venue_id", kind="stable").reset_index(drop=True)


def _patrol_sites(
    data: StudyData,
    ch: ChannelConfig,
    hotspots: gpd.GeoDataFrame | None,
    network: cov.StreetIndex | None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    cand, notes = patrol_candidates(hotspots, ch.budget, network, data.crs)
    if len(cand):  # issue 11 map: "巡逻点：近 xx市场"
        cand["name"] = stop_names(cand, data.venues)
    cand["precinct_id"] = OUTSIDE
    if len(cand):
        from geo_outreach.join import assign_precincts

        cand["precinct_id"] = assign_precincts(cand, data.precincts).to_numpy()
    return cand, notes


def _check_candidates(cand: gpd.GeoDataFrame, ch: ChannelConfig) -> None:
    if len(cand) == 0:
        raise InputDataError(
            f"channels.{ch.name}: no venues of kinds {list(ch.venue_kinds)}; add such venues "
            "to the venues file or change venue_kinds"
        )
    dup = cand["venue_id"][cand["venue_id"].duplicated()].unique()
    if len(dup):
        raise InputDataError(
            f"channels.{ch.name}: duplicate candidate venue ids {list(dup[:5])}; "
            "make venue_id unique"
        )


def existing_positions(ch: ChannelConfig, ids: Sequence[str]) -> list[int]:
    """Positions in ``ids`` of the channel's existing placements.

    Raises
    ------
    InputDataError
        Naming the existing ids that are not candidates.
    """
    pos = {str(v): i for i, v in enumerate(ids)}
    missing = [e for e in ch.existing if e not in pos]
    if missing:
        raise InputDataError(
            f"channels.{ch.name}.existing lists {missing} which are not venues of kinds "
            f"{list(ch.venue_kinds)}"
        )
    return [pos[e] for e in ch.existing]


# =========================================================================== the problem


@dataclass(frozen=True)
class ChannelProblem:
    """One channel's candidate sites, demand and coverage matrix (working CRS).

    Attributes
    ----------
    config
        The channel.
    candidates
        venue_id, kind, name, precinct_id (+ cell_id, alerts, hot_class for patrols) + Point.
    existing
        Candidate positions of the channel's existing sites.
    distance
        Distance model actually used: ``"walk"`` or ``"straight"``.
    network
        Street index (walking distance, patrol stops), or ``None``.
    demand
        ``x, y, precinct_id, weight, alerts`` per demand row.
    matrix
        Demand rows x candidates, 1 where a candidate reaches the row.
    precinct_ids
        Every precinct id of the study (for per-precinct minimums).
    n_outside
        Alerts left out of the demand because they lie outside every precinct.
    notes
        Fallbacks taken while building the problem.
    forecast
        Issue 13: the forecast choice when the demand is the forecast surface, else ``None``.
    """

    config: ChannelConfig
    candidates: gpd.GeoDataFrame
    existing: tuple[int, ...]
    distance: str
    network: cov.StreetIndex | None
    demand: pd.DataFrame
    matrix: sp.csr_matrix
    precinct_ids: tuple[str, ...] = ()
    n_outside: int = 0
    notes: tuple[str, ...] = ()
    forecast: ForecastChoice | None = None
    _reach: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The channel's name."""
        return self.config.name

    @property
    def m(self) -> int:
        """Number of candidates."""
        return len(self.candidates)

    @property
    def cand_ids(self) -> npt.NDArray[np.str_]:
        """Candidate ids (venue_id) as strings."""
        ids: npt.NDArray[np.str_] = self.candidates["venue_id"].astype(str).to_numpy().astype(str)
        return ids

    @property
    def cand_xy(self) -> FloatArray:
        """``(m, 2)`` candidate coordinates."""
        return points_xy(self.candidates)

    @property
    def weights(self) -> FloatArray:
        """Weight of each demand row."""
        w: FloatArray = self.demand["weight"].to_numpy(dtype=float)
        return w


def _coverage(
    distance: str,
    network: cov.StreetIndex | None,
    radius_m: float,
    xy: FloatArray,
    sites: FloatArray,
) -> sp.csr_matrix:
    if distance == "walk" and network is not None:
        return sp.csr_matrix(cov.coverage_matrix_network(network, xy, sites, radius_m))
    return sp.csr_matrix(cov.coverage_matrix_euclidean(xy, sites, radius_m))


def coverage_of(
    problem: ChannelProblem, xy: FloatArray, sites_xy: FloatArray | None = None
) -> sp.csr_matrix:
    """Coverage matrix of points ``xy`` x sites under the problem's radius and distance model.

    Parameters
    ----------
    problem
        The channel problem.
    xy
        ``(n, 2)`` point coordinates (e.g. alerts of a test period, hot-spot cell centres).
    sites_xy
        Sites to use instead of the problem's candidates (e.g. its placements).
    """
    sites = problem.cand_xy if sites_xy is None else sites_xy
    return _coverage(problem.distance, problem.network, problem.config.radius_m, xy, sites)


def reach_geometries(problem: ChannelProblem, cols: Sequence[int]) -> list[Any]:
    """Reach of candidate columns ``cols``: walking service areas or circles (cached).

    Parameters
    ----------
    problem
        The channel problem.
    cols
        Candidate positions.

    Returns
    -------
    list
        One shapely geometry per column.
    """
    cache = problem._reach
    todo = [int(j) for j in cols if int(j) not in cache]
    if todo:
        xy = problem.cand_xy[todo]
        radius = problem.config.radius_m
        if problem.distance == "walk" and problem.network is not None:
            geoms = list(cov.service_areas(problem.network, xy, radius))
        else:
            geoms = list(shapely.buffer(shapely.points(xy), radius, quad_segs=16))
        for j, g in zip(todo, geoms, strict=True):
            cache[j] = g
    return [cache[int(j)] for j in cols]


def channel_problem(
    data: StudyData,
    channel: ChannelConfig,
    alerts: gpd.GeoDataFrame,
    *,
    network: cov.StreetIndex | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    aggregate: bool = True,
    train_end: pd.Timestamp | None = None,
    places: AlertPlaces | None = None,
) -> ChannelProblem:
    """Candidates, demand and coverage matrix of one channel.

    Parameters
    ----------
    data
        The study data (precincts, venues, streets, crs).
    channel
        The channel.
    alerts
        The alerts that make the demand (working CRS).
    network
        Street index from :func:`geo_outreach.coverage.prepare_network` (walking distance,
        patrol stops), or ``None``.
    hotspots
        Hot-spot grid cells (``cell_id, alerts, hot_class``), needed by patrol channels.
    aggregate
        ``True``: demand aggregated to unique locations inside the precincts (the plan).
        ``False``: one demand row per alert of ``alerts``, in order (the backtest's scoring
        rows; the channel's ``demand`` setting does not apply).
    train_end
        Issue 13, ``demand = "forecast"`` with ``aggregate=True``: the forecast date (alerts
        before it are used); default the day after the last alert.
    places
        Issue 14: ``alert_places(alerts)`` made once for several channels (raw demand with
        ``aggregate=True``); default: made for this channel.

    Raises
    ------
    InputDataError
        A radius <= 0, no candidates, duplicate candidate ids or unknown existing sites; a
        patrol channel without hot spots.
    """
    ch = channel
    if not (ch.radius_m > 0):
        raise InputDataError(f"channels.{ch.name}.radius_m must be > 0, got {ch.radius_m}")
    notes: list[str] = []
    distance = ch.distance
    if distance == "walk" and (data.streets is None or network is None):
        log.warning(
            "channel %s: distance 'walk' needs a street graph; using straight-line distance",
            ch.name,
        )
        notes.append(WALK_FALLBACK_NOTE)
        distance = "straight"
    choice: ForecastChoice | None = None
    if aggregate and ch.demand == "forecast":  # issue 13
        end = default_train_end(alerts) if train_end is None else train_end
        demand, n_out, choice = forecast_demand(data, alerts, ch, end)
        notes.append(forecast_note(choice))
        if n_out:
            notes.append(f"{n_out} alerts outside every precinct are not counted as demand")
    elif aggregate:
        demand, n_out = channel_demand(alerts, ch, places)
        if n_out:
            notes.append(f"{n_out} alerts outside every precinct are not counted as demand")
    else:
        demand, n_out = _alert_demand(alerts, ch), 0
    if ch.type == "patrol":
        cand, more = _patrol_sites(data, ch, hotspots, network)
        notes += more
    else:
        cand = channel_candidates(data, ch)
        _check_candidates(cand, ch)
    cand = cand.reset_index(drop=True)
    existing = tuple(existing_positions(ch, cand["venue_id"].astype(str).tolist()))
    dxy = demand[["x", "y"]].to_numpy(dtype=float)
    return ChannelProblem(
        config=ch,
        candidates=cand,
        existing=existing,
        distance=distance,
        network=network,
        demand=demand,
        matrix=_coverage(distance, network, ch.radius_m, dxy, points_xy(cand)),
        precinct_ids=tuple(str(p) for p in data.precincts["precinct_id"]),
        n_outside=n_out,
        notes=tuple(notes),
        forecast=choice,
    )


def solve_channel(
    problem: ChannelProblem,
    *,
    rows: npt.NDArray[np.intp] | None = None,
    k: int | None = None,
    seed: int = 0,
    constrained: bool = True,
) -> cov.CoverageSolution:
    """Maximal covering of the problem's demand with the channel's settings and constraints.

    Parameters
    ----------
    problem
        The channel problem.
    rows
        Demand rows to cover (default all): a period of a per-alert problem.
    k
        Number of new sites (default the channel's budget).
    seed
        Passed to :func:`geo_outreach.coverage.maximize_coverage`.
    constrained
        Apply the channel's precinct minimums and spacing (``False``: budget only).

    Returns
    -------
    geo_outreach.coverage.CoverageSolution
    """
    ch = problem.config
    a = problem.matrix if rows is None else problem.matrix[rows]
    demand = problem.demand if rows is None else problem.demand.iloc[rows]
    w = demand["weight"].to_numpy(dtype=float)
    pids = problem.precinct_ids
    kw: dict[str, Any] = {}
    if constrained and ch.min_per_precinct > 0:
        kw["min_per_group"] = {p: ch.min_per_precinct for p in pids}
        kw["group_of_candidate"] = problem.candidates["precinct_id"].to_numpy()
    if constrained and ch.min_share_per_precinct > 0:
        # issue 14: read only here (1M alerts: ~0.1 s per channel to turn into objects)
        group = demand["precinct_id"].to_numpy()
        present = set(group[w > 0])
        kw["min_share_per_group"] = {p: ch.min_share_per_precinct for p in pids if p in present}
        kw["group_of_demand"] = group
    if constrained and ch.min_spacing_m > 0:
        kw["min_spacing_m"] = ch.min_spacing_m
        kw["cand_xy"] = problem.cand_xy
    return cov.maximize_coverage(
        a,
        w,
        ch.budget if k is None else k,
        method=ch.method,
        time_limit_s=ch.time_limit_s,
        existing=list(problem.existing),
        seed=seed,
        **kw,
    )
