"""What each outreach channel wants, and where it goes.

A channel (``scenario.ChannelConfig``) says which venues can host it (``venue_kinds``), how
far its message reaches (``radius_m``, straight or walking distance), how many sites it gets
(``budget``) and which alerts matter most (``category_weights`` x ``age_weights``, default
1.0). For each channel:

1. demand = alerts inside the precincts (alerts in ``"outside"`` are left out and counted in
   the notes), weighted, aggregated to unique locations (exact: same point, same weight sum);
2. candidates = venues of the channel's kinds; kind ``"junction"`` = street-graph nodes
   with at least 4 distinct neighbours (undirected), thinned to one per 30 m, id
   ``"junction:<osmid>"``;
3. coverage matrix by straight line or walking distance (``distance = "walk"`` uses
   ``data.streets``; without a street graph it falls back to straight line, logs a
   warning and says so in the channel's notes);
4. :func:`geo_outreach.coverage.maximize_coverage` with the channel's constraints
   (existing venues, minimum sites / covered share per precinct, spacing);
5. the coverage curve, the reach polygon of each placement (circle, or walking service
   area), and - over all channels - the hot-spot cells nothing reaches.

Patrols (``type = "patrol"``): stops are chosen among hot-spot cells (``hot99/95/90``;
fallback: the cells with most alerts) whose centres are snapped to the nearest street node,
by the same solver; they are then ordered as a short closed tour on the street network
(Christofides from networkx on shortest-path distances, improved by 2-opt) and given the
peak time windows from the analytics stage.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach import coverage as cov
from geo_outreach._errors import InputDataError
from geo_outreach._validate import OUTSIDE
from geo_outreach.outputs import write_csv, write_geojson
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
CURVE_COLUMNS = ["channel", "k", "covered_weight", "covered_share"]
REACH_COLUMNS = ["channel", "rank", "venue_id", "distance", "radius_m"]
ROUTE_COLUMNS = ["channel", "feature", "order", "cell_id", "venue_id", "alerts", "covered_weight", "windows", "length_m"]
HOT_CLASSES = ("hot99", "hot95", "hot90")
JUNCTION_MIN_DEGREE = 4
JUNCTION_DEDUP_M = 30.0


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
    """

    placements: gpd.GeoDataFrame
    summaries: dict[str, dict[str, Any]]
    curves: pd.DataFrame
    reach: gpd.GeoDataFrame
    patrol_route: gpd.GeoDataFrame
    uncovered_hotspots: gpd.GeoDataFrame
    crs: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# =========================================================================== demand


def channel_weights(alerts: pd.DataFrame, ch: ChannelConfig) -> np.ndarray:
    """Weight of each alert for channel ``ch``: category weight x age-band weight (1.0 default)."""
    cat = alerts["category"].astype(str).map(lambda c: ch.category_weights.get(c, 1.0)) if ch.category_weights else 1.0
    if ch.age_weights and "age_band" in alerts.columns:
        age = alerts["age_band"].fillna("").astype(str).map(lambda a: ch.age_weights.get(a, 1.0))
    else:
        age = 1.0
    w = np.ones(len(alerts)) * np.asarray(cat, dtype=float) * np.asarray(age, dtype=float)
    if (w < 0).any():
        raise InputDataError(f"channels.{ch.name}: category/age weights must be >= 0")
    return w


def channel_demand(alerts: gpd.GeoDataFrame, ch: ChannelConfig) -> tuple[pd.DataFrame, int]:
    """Weighted demand points of a channel, aggregated to unique (location, precinct).

    Returns a frame ``x, y, precinct_id, weight, alerts`` and the number of alerts left out
    because they lie outside every precinct.
    """
    inside = alerts["precinct_id"].astype(str) != OUTSIDE if "precinct_id" in alerts.columns else np.ones(len(alerts), bool)
    a = alerts[np.asarray(inside)]
    n_out = int(len(alerts) - len(a))
    w = channel_weights(a, ch)
    df = pd.DataFrame(
        {
            "x": np.round(a.geometry.x.to_numpy(), 2),
            "y": np.round(a.geometry.y.to_numpy(), 2),
            "precinct_id": a["precinct_id"].astype(str).to_numpy() if "precinct_id" in a.columns else "",
            "weight": w,
            "alerts": 1,
        }
    )
    agg = df.groupby(["x", "y", "precinct_id"], sort=True, as_index=False).agg(weight=("weight", "sum"), alerts=("alerts", "sum"))
    return agg[agg["weight"] > 0].reset_index(drop=True), n_out


# =========================================================================== candidates


def junctions(graph: Any, *, min_degree: int = JUNCTION_MIN_DEGREE, dedup_m: float = JUNCTION_DEDUP_M) -> gpd.GeoDataFrame:
    """Busy junctions: street nodes with at least ``min_degree`` distinct neighbours in the
    undirected graph, thinned so that no two are closer than ``dedup_m`` (higher degree, then
    lower osmid, wins). Columns venue_id ("junction:<osmid>"), kind, name, degree + Point."""
    rows = []
    for node in graph.nodes:
        nb = set(graph.successors(node)) | set(graph.predecessors(node)) if graph.is_directed() else set(graph.neighbors(node))
        nb.discard(node)
        if len(nb) >= min_degree:
            d = graph.nodes[node]
            rows.append((node, len(nb), float(d["x"]), float(d["y"])))
    crs = graph.graph.get("crs")
    if not rows:
        return gpd.GeoDataFrame({"venue_id": [], "kind": [], "name": [], "degree": []}, geometry=[], crs=crs)
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
    kept = [r for r, k in zip(rows, keep) if k]
    return gpd.GeoDataFrame(
        {
            "venue_id": [f"junction:{r[0]}" for r in kept],
            "kind": "junction",
            "name": [f"路口 junction {r[0]} ({r[1]}-way)" for r in kept],
            "degree": [r[1] for r in kept],
        },
        geometry=gpd.points_from_xy([r[2] for r in kept], [r[3] for r in kept]),
        crs=crs,
    )


def channel_candidates(data: Any, ch: ChannelConfig) -> gpd.GeoDataFrame:
    """Candidate venues of a channel: venue_id, kind, name, precinct_id + Point (working CRS)."""
    venues = data.venues
    parts = []
    kinds = [k for k in ch.venue_kinds if k != "junction"]
    if len(venues) and kinds:
        v = venues[venues["kind"].isin(kinds)]
        parts.append(v[["venue_id", "kind", "name", "precinct_id", "geometry"]])
    if "junction" in ch.venue_kinds:
        if data.streets is None:
            log.warning("channel %s: venue kind 'junction' needs a street graph; none loaded", ch.name)
        else:
            j = junctions(data.streets)
            if len(j):
                j = j.set_crs(data.crs, allow_override=True)
                from geo_outreach.join import assign_precincts

                j["precinct_id"] = assign_precincts(j, data.precincts).to_numpy()
                inside = j["precinct_id"] != OUTSIDE
                parts.append(j.loc[inside, ["venue_id", "kind", "name", "precinct_id", "geometry"]])
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in ["venue_id", "kind", "name", "precinct_id"]}, geometry=[], crs=data.crs)
    cand = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=data.crs)
    cand["venue_id"] = cand["venue_id"].astype(str)
    cand["name"] = cand["name"].fillna("").astype(str)
    cand["precinct_id"] = cand["precinct_id"].fillna(OUTSIDE).astype(str)
    return cand.sort_values("venue_id", kind="stable").reset_index(drop=True)


def _check_candidates(cand: gpd.GeoDataFrame, ch: ChannelConfig) -> None:
    if ch.radius_m is None or not (ch.radius_m > 0):
        raise InputDataError(f"channels.{ch.name}.radius_m must be > 0, got {ch.radius_m}")
    if len(cand) == 0:
        raise InputDataError(
            f"channels.{ch.name}: no venues of kinds {list(ch.venue_kinds)}; add such venues "
            "to the venues file or change venue_kinds"
        )
    dup = cand["venue_id"][cand["venue_id"].duplicated()].unique()
    if len(dup):
        raise InputDataError(f"channels.{ch.name}: duplicate candidate venue ids {list(dup[:5])}; make venue_id unique")
    free = len(cand) - len(set(ch.existing))
    if ch.budget > free:
        raise InputDataError(
            f"channels.{ch.name}.budget = {ch.budget} but only {free} candidate venues of kinds "
            f"{list(ch.venue_kinds)} are free; lower the budget or add venues"
        )


# =========================================================================== solving one channel


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if len(gdf) == 0:
        return np.zeros((0, 2))
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


def _matrix(distance: str, net: Any, demand_xy: np.ndarray, cand_xy: np.ndarray, radius: float) -> Any:
    if distance == "walk" and net is not None:
        return cov.coverage_matrix_network(net, demand_xy, cand_xy, radius)
    return cov.coverage_matrix_euclidean(demand_xy, cand_xy, radius)


def existing_positions(ch: ChannelConfig, ids: Sequence[str]) -> list[int]:
    """Positions in ``ids`` of the channel's existing placements (error naming unknown ids)."""
    pos = {str(v): i for i, v in enumerate(ids)}
    missing = [e for e in ch.existing if e not in pos]
    if missing:
        raise InputDataError(
            f"channels.{ch.name}.existing lists {missing} which are not venues of kinds {list(ch.venue_kinds)}"
        )
    return [pos[e] for e in ch.existing]


def _solve(
    ch: ChannelConfig,
    a: Any,
    demand: pd.DataFrame,
    cand: gpd.GeoDataFrame,
    precincts: pd.DataFrame,
    seed: int,
) -> cov.CoverageSolution:
    ids = cand["venue_id"].tolist()
    existing = existing_positions(ch, ids)
    pids = [p for p in precincts["precinct_id"].astype(str)]
    kw: dict[str, Any] = {}
    if ch.min_per_precinct > 0:
        kw["min_per_group"] = {p: ch.min_per_precinct for p in pids}
        kw["group_of_candidate"] = cand["precinct_id"].to_numpy()
    if ch.min_share_per_precinct > 0:
        present = set(demand["precinct_id"])
        kw["min_share_per_group"] = {p: ch.min_share_per_precinct for p in pids if p in present}
        kw["group_of_demand"] = demand["precinct_id"].to_numpy()
    if ch.min_spacing_m > 0:
        kw["min_spacing_m"] = ch.min_spacing_m
        kw["cand_xy"] = _xy(cand)
    return cov.maximize_coverage(
        a,
        demand["weight"].to_numpy(),
        ch.budget,
        method=ch.method,
        time_limit_s=ch.time_limit_s,
        existing=existing,
        seed=seed,
        **kw,
    )


def _placements(ch: ChannelConfig, cand: gpd.GeoDataFrame, sol: cov.CoverageSolution, a: Any, w: np.ndarray) -> gpd.GeoDataFrame:
    total = sol.total_weight
    recs = []
    if sol.existing:
        ga = cov.gap_analysis(a, w, list(sol.existing))
        for _, r in ga[ga["role"] == "existing"].iterrows():
            recs.append((int(r["site"]), 0, float(r["covered_weight"]), float(r["unique_weight"]), True))
    cum = sol.existing_weight
    csc = a.tocsc()
    for rank, (j, g) in enumerate(zip(sol.chosen, sol.marginal), start=1):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        recs.append((int(j), rank, float(w[rows].sum()), float(g), False))
    out = []
    for j, rank, covered, marginal, existing in recs:
        if not existing:
            cum += marginal
        row = cand.iloc[j]
        out.append(
            {
                "channel": ch.name,
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
    return gpd.GeoDataFrame(out, columns=PLACEMENT_COLUMNS + ["geometry"], geometry="geometry", crs=cand.crs)


def _reach(ch: ChannelConfig, placements: gpd.GeoDataFrame, net: Any, distance: str) -> gpd.GeoDataFrame:
    xy = _xy(placements)
    if distance == "walk" and net is not None and len(xy):
        geoms = cov.service_areas(net, xy, ch.radius_m)
    else:
        geoms = [shapely.Point(p).buffer(ch.radius_m, quad_segs=16) for p in xy]
    return gpd.GeoDataFrame(
        {
            "channel": ch.name,
            "rank": placements["rank"].to_numpy(),
            "venue_id": placements["venue_id"].to_numpy(),
            "distance": distance,
            "radius_m": float(ch.radius_m),
        },
        geometry=list(geoms),
        crs=placements.crs,
    )


def _summary(
    ch: ChannelConfig, sol: cov.CoverageSolution, distance: str, notes: list[str], *, n_candidates: int, n_demand: int
) -> dict[str, Any]:
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
        "distance": distance,
        "candidates": int(n_candidates),
        "demand_points": int(n_demand),
        "existing": len(sol.existing),
        "notes": list(notes) + list(sol.notes),
    }


# =========================================================================== patrols


def _patrol_candidates(hotspots: gpd.GeoDataFrame | None, budget: int, net: Any, crs: Any) -> tuple[gpd.GeoDataFrame, list[str]]:
    notes: list[str] = []
    if hotspots is None or len(hotspots) == 0:
        raise InputDataError("patrol channel needs hot-spot cells (run the analytics stage first)")
    hs = hotspots.copy()
    hot = hs[hs["hot_class"].astype(str).isin(HOT_CLASSES)] if "hot_class" in hs.columns else hs.iloc[0:0]
    if len(hot) < budget:
        extra = hs[~hs.index.isin(hot.index)].sort_values(["alerts", "cell_id"], ascending=[False, True])
        extra = extra[extra["alerts"] > 0].head(max(budget * 3, budget - len(hot)))
        notes.append(
            f"only {len(hot)} significant hot cells; added the {len(extra)} cells with most alerts as candidates"
        )
        hot = pd.concat([hot, extra])
    cent = hot.geometry.centroid
    xy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    if net is not None and len(xy):
        idx, _ = net.snap(xy)
        xy = net.xy[idx]
        notes.append("patrol stops snapped to the nearest street node of each cell centre")
    cand = gpd.GeoDataFrame(
        {
            "venue_id": [f"cell:{c}" for c in hot["cell_id"].astype(str)],
            "cell_id": hot["cell_id"].astype(str).to_numpy(),
            "kind": "patrol_stop",
            "name": [f"巡逻点 patrol stop {c}" for c in hot["cell_id"].astype(str)],
            "alerts": hot["alerts"].to_numpy() if "alerts" in hot.columns else 0,
            "hot_class": hot["hot_class"].astype(str).to_numpy() if "hot_class" in hot.columns else "",
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]) if len(xy) else [],
        crs=crs,
    )
    cand = cand.drop_duplicates("venue_id").reset_index(drop=True)
    return cand, notes


def _tour_order(dist: np.ndarray) -> list[int]:
    """A short closed tour through all points of a symmetric distance matrix: Christofides
    (networkx) then 2-opt; deterministic."""
    k = len(dist)
    if k <= 3:
        return list(range(k))
    import networkx as nx

    g = nx.Graph()
    for i in range(k):
        for j in range(i + 1, k):
            g.add_edge(i, j, weight=float(dist[i, j]))
    cycle = nx.approximation.christofides(g, weight="weight")
    order = cycle[:-1]
    # rotate to start at stop 0 (the first-ranked stop)
    s = order.index(0)
    order = order[s:] + order[:s]

    def length(o: list[int]) -> float:
        return float(sum(dist[o[i], o[(i + 1) % k]] for i in range(k)))

    best = length(order)
    improved = True
    while improved:
        improved = False
        for i in range(1, k - 1):
            for j in range(i + 1, k):
                new = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                nl = length(new)
                if nl < best - 1e-9:
                    order, best, improved = new, nl, True
    return order


def _window_text(peak_windows: Sequence[dict[str, Any]]) -> str:
    parts = []
    for win in peak_windows:
        label = win.get("label_zh") or win.get("label_en") or f"{win.get('start_hour')}-{win.get('end_hour')}"
        share = win.get("share")
        parts.append(f"{label} ({share:.0%})" if isinstance(share, (int, float)) else str(label))
    return "; ".join(parts)


def _patrol_route(
    ch: ChannelConfig, stops: gpd.GeoDataFrame, net: Any, streets: Any, peak_windows: Sequence[dict[str, Any]]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    notes: list[str] = []
    xy = _xy(stops)
    k = len(xy)
    windows = _window_text(peak_windows)
    if k == 0:
        return gpd.GeoDataFrame(columns=ROUTE_COLUMNS + ["geometry"], geometry="geometry", crs=stops.crs), notes
    if net is not None:
        from scipy.sparse.csgraph import dijkstra

        nodes, _ = net.snap(xy)
        dist_all, pred = dijkstra(net.adjacency, directed=False, indices=nodes, return_predecessors=True)
        dist = dist_all[:, nodes]
        unreachable = ~np.isfinite(dist)
        if unreachable.any():
            straight = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
            dist = np.where(unreachable, straight * 3.0, dist)
            notes.append("some patrol stops are not connected on the street graph; straight line x3 used between them")
    else:
        dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        notes.append("no street graph: patrol tour ordered on straight-line distances")
    order = _tour_order(dist)
    coords: list[tuple[float, float]] = []
    total = 0.0
    for a_i in range(k):
        i, j = order[a_i], order[(a_i + 1) % k] if k > 1 else order[a_i]
        total += float(dist[i, j])
        seg: list[tuple[float, float]] = [tuple(xy[i])]
        if net is not None and i != j and np.isfinite(dist_all[i, nodes[j]]):
            # walk predecessors back from j's node to i's node
            chain = []
            cur = int(nodes[j])
            src = int(nodes[i])
            while cur != src and cur >= 0:
                chain.append(cur)
                cur = int(pred[i, cur])
            seg += [tuple(net.xy[c]) for c in reversed(chain)]
        seg.append(tuple(xy[j]))
        coords.extend(seg if not coords else seg[1:])
    recs = []
    for pos, i in enumerate(order, start=1):
        r = stops.iloc[i]
        recs.append(
            {
                "channel": ch.name,
                "feature": "stop",
                "order": pos,
                "cell_id": r.get("cell_id", ""),
                "venue_id": r["venue_id"],
                "alerts": float(r.get("alerts", 0) or 0),
                "covered_weight": float(r.get("covered_weight", 0.0)),
                "windows": windows,
                "length_m": np.nan,
                "geometry": shapely.Point(xy[i]),
            }
        )
    line = shapely.LineString(coords) if len(coords) >= 2 else shapely.Point(xy[0])
    recs.append(
        {
            "channel": ch.name,
            "feature": "route",
            "order": 0,
            "cell_id": "",
            "venue_id": "",
            "alerts": float(stops["alerts"].sum()) if "alerts" in stops.columns else 0.0,
            "covered_weight": float(stops["covered_weight"].sum()) if "covered_weight" in stops.columns else 0.0,
            "windows": windows,
            "length_m": round(total, 1),
            "geometry": line,
        }
    )
    if not peak_windows:
        notes.append("no peak time windows given; patrol times left open")
    return gpd.GeoDataFrame(recs, columns=ROUTE_COLUMNS + ["geometry"], geometry="geometry", crs=stops.crs), notes


# =========================================================================== entry points


def _empty_placements(crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in PLACEMENT_COLUMNS}, geometry=[], crs=crs)


def plan_channels(
    data: Any,
    channels: Sequence[ChannelConfig],
    *,
    hotspots: gpd.GeoDataFrame | None = None,
    peak_windows: Sequence[dict[str, Any]] = (),
    seed: int = 0,
) -> ChannelsResult:
    """Choose placements for every channel (see the module docstring).

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
    all_pl, curves, reaches, routes = [], [], [], []
    summaries: dict[str, dict[str, Any]] = {}
    reach_models: list[tuple[ChannelConfig, gpd.GeoDataFrame, str]] = []
    result_notes: list[str] = []
    for ch in channels:
        notes: list[str] = []
        if not (ch.radius_m > 0):
            raise InputDataError(f"channels.{ch.name}.radius_m must be > 0, got {ch.radius_m}")
        distance = ch.distance
        if distance == "walk" and data.streets is None:
            log.warning("channel %s: distance 'walk' needs a street graph; using straight-line distance", ch.name)
            notes.append("no street graph loaded: straight-line distance used instead of walking distance")
            distance = "straight"
        demand, n_out = channel_demand(data.alerts, ch)
        if n_out:
            notes.append(f"{n_out} alerts outside every precinct are not counted as demand")
        if ch.type == "patrol":
            cand, pn = _patrol_candidates(hotspots, ch.budget, net, crs)
            notes += pn
            cand["precinct_id"] = OUTSIDE
            if len(cand):
                from geo_outreach.join import assign_precincts

                cand["precinct_id"] = assign_precincts(cand, data.precincts).to_numpy()
            if ch.budget > len(cand):
                raise InputDataError(
                    f"channels.{ch.name}.budget = {ch.budget} but only {len(cand)} hot-spot cells can "
                    "host a patrol stop; lower the budget"
                )
        else:
            cand = channel_candidates(data, ch)
            _check_candidates(cand, ch)
        dxy = demand[["x", "y"]].to_numpy(dtype=float)
        cxy = _xy(cand)
        a = _matrix(distance, net, dxy, cxy, ch.radius_m)
        w = demand["weight"].to_numpy(dtype=float)
        sol = _solve(ch, a, demand, cand, data.precincts, seed)
        pl = _placements(ch, cand, sol, a, w)
        all_pl.append(pl)
        curve = cov.coverage_curve(a, w, ch.budget, existing=list(sol.existing))
        curve.insert(0, "channel", ch.name)
        curves.append(curve[CURVE_COLUMNS])
        reaches.append(_reach(ch, pl, net, distance))
        reach_models.append((ch, pl, distance))
        if ch.type == "patrol":
            stops = cand.iloc[list(sol.chosen)].copy()
            stops["covered_weight"] = pl.loc[~pl["existing"], "marginal_weight"].to_numpy()
            route, rn = _patrol_route(ch, stops.reset_index(drop=True), net, data.streets, peak_windows)
            notes += rn
            routes.append(route)
        summaries[ch.name] = _summary(ch, sol, distance, notes, n_candidates=len(cand), n_demand=len(demand))
        log.info(
            "channel %s: %d sites cover %.1f%% of weight (%s, gap %.2f%%)",
            ch.name, len(sol.chosen), 100 * sol.covered_share, sol.status, 100 * sol.gap,
        )
    placements = (
        gpd.GeoDataFrame(pd.concat(all_pl, ignore_index=True), geometry="geometry", crs=crs) if all_pl else _empty_placements(crs)
    )
    curves_df = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    reach = (
        gpd.GeoDataFrame(pd.concat(reaches, ignore_index=True), geometry="geometry", crs=crs)
        if reaches
        else gpd.GeoDataFrame({c: [] for c in REACH_COLUMNS}, geometry=[], crs=crs)
    )
    route = (
        gpd.GeoDataFrame(pd.concat(routes, ignore_index=True), geometry="geometry", crs=crs)
        if routes
        else gpd.GeoDataFrame({c: [] for c in ROUTE_COLUMNS}, geometry=[], crs=crs)
    )
    uncovered = uncovered_hotspots(hotspots, reach_models, net, crs)
    return ChannelsResult(
        placements=placements,
        summaries=summaries,
        curves=curves_df,
        reach=reach,
        patrol_route=route,
        uncovered_hotspots=uncovered,
        crs=crs,
        notes=tuple(result_notes),
    )


def uncovered_hotspots(
    hotspots: gpd.GeoDataFrame | None,
    reach_models: Sequence[tuple[ChannelConfig, gpd.GeoDataFrame, str]],
    net: Any,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Hot cells (hot99/95/90) whose centre no placement reaches, under each channel's own
    radius and distance model."""
    cols = ["cell_id", "alerts", "gi_z", "hot_class"]
    if hotspots is None or len(hotspots) == 0 or "hot_class" not in hotspots.columns:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    hot = hotspots[hotspots["hot_class"].astype(str).isin(HOT_CLASSES)]
    if len(hot) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    cent = hot.geometry.centroid
    hxy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    reached = np.zeros(len(hot), dtype=bool)
    for ch, pl, distance in reach_models:
        if len(pl) == 0:
            continue
        a = _matrix(distance, net, hxy, _xy(pl), ch.radius_m)
        reached |= np.diff(a.indptr) > 0
    keep = [c for c in cols if c in hot.columns]
    return gpd.GeoDataFrame(hot.loc[~reached, keep + ["geometry"]].reset_index(drop=True), geometry="geometry", crs=hot.crs)


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
    """Write placements.csv (+ lon/lat WGS84), placements.geojson, coverage_curve.csv,
    reach.geojson, patrol_route.geojson and uncovered_hotspots.geojson into ``out_dir``;
    return the paths."""
    out = Path(out_dir)
    pl = result.placements
    csv_cols = PLACEMENT_COLUMNS[:6] + ["lon", "lat"] + PLACEMENT_COLUMNS[6:]
    paths = [
        write_csv(out / "placements.csv", _with_lonlat(pl)[csv_cols]),
        write_geojson(out / "placements.geojson", pl),
        write_csv(out / "coverage_curve.csv", result.curves.round({"covered_weight": 6, "covered_share": 6})),
        write_geojson(out / "reach.geojson", result.reach),
        write_geojson(out / "patrol_route.geojson", result.patrol_route),
        write_geojson(out / "uncovered_hotspots.geojson", result.uncovered_hotspots),
    ]
    return paths

