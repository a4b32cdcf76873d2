"""Patrols: stops among hot-spot cells, a short closed tour on the street network, time windows.

Stops are chosen (by :func:`geo_outreach.channels.problem.solve_channel`) among hot-spot cells
(``hot99/95/90``; fallback: the cells with most alerts) whose centres are snapped to the
nearest street node; they are then ordered as a closed tour on shortest-path distances (the
shortest one, by Held-Karp, for at most 12 stops; above, Christofides from networkx improved by
2-opt and Or-opt, with its gap to a 1-tree lower bound in ``tour_gap``) and given the peak time
windows from the analytics stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo_outreach._errors import InputDataError
from geo_outreach._validate import HOT_CLASS_LEVELS, columns_of
from geo_outreach.stats import point_xy

if TYPE_CHECKING:
    from pyproj import CRS

    from geo_outreach.coverage import StreetIndex
    from geo_outreach.scenario import ChannelConfig

FloatArray = npt.NDArray[np.float64]

#: Hot-spot classes a patrol stop may be drawn from (significantly hot at 90 % or more).
HOT_CLASSES = tuple(c for c, level in HOT_CLASS_LEVELS.items() if level > 0)
ROUTE_COLUMNS = columns_of("patrol_route.geojson")


@dataclass(frozen=True)
class PatrolRoute:
    """A patrol channel's stops and closed route.

    Attributes
    ----------
    frame
        :data:`ROUTE_COLUMNS` + geometry: one ``"stop"`` row per stop in tour order and one
        ``"route"`` row with the closed line, its length and ``tour_gap`` (0: the shortest
        tour; else how much longer than a lower bound it may be).
    notes
        What the route builder had to fall back on.
    """

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()


def points_xy(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> FloatArray:
    """``(n, 2)`` x/y of a point layer (``(0, 2)`` when empty).

    Issue 14: the numbers of ``geometry.x`` / ``.y``, read in one pass
    (:func:`geo_outreach.stats.point_xy`).
    """
    if len(gdf) == 0:
        return np.zeros((0, 2))
    return np.column_stack(point_xy(gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf))


def patrol_candidates(
    hotspots: gpd.GeoDataFrame | None,
    budget: int,
    network: StreetIndex | None,
    crs: CRS | None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Candidate patrol stops: hot cells, topped up with the cells with most alerts.

    Parameters
    ----------
    hotspots
        Grid cells with ``cell_id, alerts, hot_class`` (working CRS).
    budget
        Number of stops wanted; fewer significant hot cells than this adds the cells with most
        alerts (up to ``3 x budget``).
    network
        Street index to snap each cell centre to its nearest street node, or ``None``.
    crs
        CRS of the result.

    Returns
    -------
    tuple
        Candidates ``venue_id ("cell:<id>"), cell_id, kind, name, alerts, hot_class`` + Point,
        and notes.

    Raises
    ------
    InputDataError
        Without hot-spot cells.
    """
    notes: list[str] = []
    if hotspots is None or len(hotspots) == 0:
        raise InputDataError("patrol channel needs hot-spot cells (run the analytics stage first)")
    hs = hotspots.copy()
    if "hot_class" in hs.columns:
        hot = hs[hs["hot_class"].astype(str).isin(HOT_CLASSES)]
    else:
        hot = hs.iloc[0:0]
    if len(hot) < budget:
        extra = hs[~hs.index.isin(hot.index)].sort_values(
            ["alerts", "cell_id"], ascending=[False, True]
        )
        extra = extra[extra["alerts"] > 0].head(max(budget * 3, budget - len(hot)))
        notes.append(
            f"only {len(hot)} significant hot cells; added the {len(extra)} cells with most "
            "alerts as candidates"
        )
        hot = pd.concat([hot, extra])
    cent = hot.geometry.centroid
    xy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    if network is not None and len(xy):
        idx, _ = network.snap(xy)
        xy = network.xy[idx]
        notes.append("patrol stops snapped to the nearest street node of each cell centre")
    cells = hot["cell_id"].astype(str)
    cand = gpd.GeoDataFrame(
        {
            "venue_id": [f"cell:{c}" for c in cells],
            "cell_id": cells.to_numpy(),
            "kind": "patrol_stop",
            "name": [f"巡逻点 patrol stop {c}" for c in cells],
            "alerts": hot["alerts"].to_numpy() if "alerts" in hot.columns else 0,
            "hot_class": hot["hot_class"].astype(str).to_numpy()
            if "hot_class" in hot.columns
            else "",
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]) if len(xy) else [],
        crs=crs,
    )
    cand = cand.drop_duplicates("venue_id").reset_index(drop=True)
    return cand, notes


#: Tours of at most this many stops are solved exactly (Held-Karp dynamic programme).
EXACT_TOUR_MAX_STOPS = 12


def tour_length(dist: FloatArray, order: Sequence[int], closed: bool = True) -> float:
    """Length of a tour visiting ``order`` (back to the start when ``closed``)."""
    k = len(order)
    legs = k if closed and k > 1 else k - 1
    return float(sum(dist[order[i], order[(i + 1) % k]] for i in range(max(legs, 0))))


def held_karp(dist: FloatArray, closed: bool = True) -> list[int]:
    """Shortest tour from point 0 through all points (exact dynamic programme, numpy).

    ``dp[S, j]`` is the shortest path from 0 through the set ``S`` of other points ending at
    ``j``; layers of equal ``|S|`` are filled at once. O(2^k k^2) work: for k <= 12 stops.

    Parameters
    ----------
    dist
        ``(k, k)`` distances (asymmetric allowed).
    closed
        Return to point 0 at the end (closed tour) or stop at the last point (open path).

    Returns
    -------
    list of int
        Point indices in tour order, starting at 0; ties go to the lowest index.
    """
    k = len(dist)
    if k <= 2:
        return list(range(k))
    n = k - 1  # points 1..k-1 as bits 0..n-1
    d = np.asarray(dist, dtype=float)
    full = 1 << n
    dp = np.full((full, n), np.inf)
    masks = np.arange(full)
    bits = (masks[:, None] >> np.arange(n)[None, :]) & 1
    size = bits.sum(axis=1)
    for j in range(n):
        dp[1 << j, j] = d[0, j + 1]
    for s in range(2, n + 1):
        layer = masks[size == s]
        for j in range(n):
            sub = layer[bits[layer, j] == 1]
            prev = dp[sub ^ (1 << j)] + d[1:, j + 1][None, :]
            dp[sub, j] = prev.min(axis=1)
    end = dp[full - 1] + (d[1:, 0] if closed else 0.0)
    j = int(np.argmin(end))
    order = [j + 1]
    mask = full - 1
    while mask != (1 << j):
        prev_mask = mask ^ (1 << j)
        i = int(np.argmin(dp[prev_mask] + d[1:, j + 1]))
        order.append(i + 1)
        mask, j = prev_mask, i
    return [0] + order[::-1]


def one_tree_bound(dist: FloatArray, iterations: int = 100) -> float:
    """Lower bound on the shortest closed tour: Held-Karp 1-trees with subgradient ascent.

    A 1-tree (minimum spanning tree on points 1..k-1 plus the two shortest edges at 0) is no
    longer than any tour; node penalties ``pi`` (``d_ij + pi_i + pi_j``, minus ``2 sum pi``)
    keep it a bound and move it towards the tour (degree-2) shape. A fixed number of steps:
    deterministic.

    Parameters
    ----------
    dist
        ``(k, k)`` symmetric distances.
    iterations
        Subgradient steps.

    Returns
    -------
    float
        The best bound found.
    """
    from scipy.sparse.csgraph import minimum_spanning_tree

    k = len(dist)
    if k <= 3:
        return tour_length(dist, list(range(k)))
    d = np.asarray(dist, dtype=float)
    pi = np.zeros(k)
    best = 0.0
    step = 0.01 * float(d.max())
    upper = tour_length(d, list(range(k)))
    for _ in range(iterations):
        dd = d + pi[:, None] + pi[None, :]
        np.fill_diagonal(dd, 0.0)
        # tiny offset: zero-length edges must stay edges of the sparse graph
        mst = minimum_spanning_tree(dd[1:, 1:] - dd[1:, 1:].min() + 1.0).tocoo()
        deg = np.zeros(k)
        np.add.at(deg, mst.row + 1, 1)
        np.add.at(deg, mst.col + 1, 1)
        two = np.argsort(dd[0, 1:], kind="stable")[:2] + 1
        deg[0] = 2
        deg[two] += 1
        length = float(dd[1:, 1:][mst.row, mst.col].sum() + dd[0, two].sum() - 2 * pi.sum())
        best = max(best, length)
        g = deg - 2.0
        norm = float(g @ g)
        if norm == 0:
            break  # the 1-tree is a tour: optimal
        pi += step * max(upper - length, 0.0) / max(upper, 1e-9) * g * (k / norm) ** 0.5
        step *= 0.97
    return min(best, upper)


def _two_opt(d: FloatArray, order: list[int]) -> list[int]:
    """Reverse stretches of the closed tour while it gets shorter (first improvement)."""
    k = len(order)
    improved = True
    while improved:
        improved = False
        for i in range(1, k - 1):
            for j in range(i + 1, k):
                a, b, c, e = order[i - 1], order[i], order[j], order[(j + 1) % k]
                if d[a, c] + d[b, e] - d[a, b] - d[c, e] < -1e-9:
                    order = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                    improved = True
    return order


def _or_move(d: FloatArray, order: list[int]) -> list[int] | None:
    """Return the tour after the first shortening move of 1-3 stops, or None."""
    k = len(order)
    for seg in (1, 2, 3):
        for i in range(1, k - seg + 1):
            piece = order[i : i + seg]
            p, q = order[i - 1], order[(i + seg) % k]
            saved = d[p, piece[0]] + d[piece[-1], q] - d[p, q]
            rest = order[:i] + order[i + seg :]
            for pos in range(1, len(rest) + 1):
                u, v = rest[pos - 1], rest[pos % len(rest)]
                for pc in (piece, piece[::-1]):
                    if d[u, pc[0]] + d[pc[-1], v] - d[u, v] < saved - 1e-9:
                        return rest[:pos] + pc + rest[pos:]
    return None


def heuristic_tour(dist: FloatArray) -> list[int]:
    """Christofides (networkx), then 2-opt and Or-opt until neither improves; from point 0."""
    import networkx as nx

    k = len(dist)
    g = nx.Graph()
    for i in range(k):
        for j in range(i + 1, k):
            g.add_edge(i, j, weight=float(dist[i, j]))
    cycle = nx.approximation.christofides(g, weight="weight")
    order: list[int] = cycle[:-1]
    s = order.index(0)  # rotate to start at stop 0 (the first-ranked stop)
    order = order[s:] + order[:s]
    while True:
        order = _two_opt(dist, order)
        moved = _or_move(dist, order)
        if moved is None:
            return order
        order = moved


def tour_order(dist: FloatArray) -> list[int]:
    """Order points as a short closed tour, given a symmetric distance matrix.

    Parameters
    ----------
    dist
        ``(k, k)`` symmetric distances.

    Returns
    -------
    list of int
        Point indices in tour order, starting at point 0: the shortest tour for at most
        :data:`EXACT_TOUR_MAX_STOPS` points (Held-Karp), else Christofides + 2-opt + Or-opt;
        deterministic.
    """
    k = len(dist)
    if k <= 3:
        return list(range(k))
    if k <= EXACT_TOUR_MAX_STOPS:
        return held_karp(dist, closed=True)
    return heuristic_tour(dist)


def tour_gap(dist: FloatArray, order: Sequence[int]) -> float:
    """How much longer the tour may be than the shortest one: ``(length - bound) / bound``.

    0 for tours solved exactly (at most :data:`EXACT_TOUR_MAX_STOPS` stops); above, the bound
    is the 1-tree bound (:func:`one_tree_bound`).
    """
    k = len(order)
    if k <= EXACT_TOUR_MAX_STOPS:
        return 0.0
    length = tour_length(dist, order)
    lb = one_tree_bound(dist)
    return max(0.0, (length - lb) / lb) if lb > 0 else 0.0


def window_text(peak_windows: Sequence[dict[str, Any]]) -> str:
    """Peak time windows as one line, e.g. ``"周五 19-22时 (40%); ..."``."""
    parts = []
    for win in peak_windows:
        label = (
            win.get("label_zh")
            or win.get("label_en")
            or f"{win.get('start_hour')}-{win.get('end_hour')}"
        )
        share = win.get("share")
        parts.append(f"{label} ({share:.0%})" if isinstance(share, (int, float)) else str(label))
    return "; ".join(parts)


# issue 11 map: human names for derived sites (patrol stops, unnamed junctions)
#: Venue kinds a planner finds a place by, best first (a bus stop only when nothing else is near).
LANDMARK_KINDS = ("market", "plaza", "park", "school", "post_office", "cafe", "logistics")


def nearest_venue_names(points: gpd.GeoDataFrame, venues: gpd.GeoDataFrame | None) -> list[str]:
    """Name the nearest named venue to each point ('' when there is none).

    Landmarks (markets, plazas, parks ...) are preferred: a landmark within twice the distance
    of the nearest named venue of any kind wins, so a stop reads "near 裕华农贸市场" rather than
    "near a bus stop".

    Parameters
    ----------
    points
        The sites (same CRS as ``venues``, metres).
    venues
        Venues with ``name`` and ``kind``.

    Returns
    -------
    list of str
        One name per point.
    """
    if venues is None or len(venues) == 0 or len(points) == 0 or "name" not in venues.columns:
        return [""] * len(points)
    from scipy.spatial import cKDTree

    names = venues["name"].fillna("").astype(str).str.strip()
    named = venues[names != ""]
    if len(named) == 0:
        return [""] * len(points)
    nxy = points_xy(named)
    pxy = points_xy(points)
    d_any, i_any = cKDTree(nxy).query(pxy)
    # issue 14: the names are read once (1M-alert plan: 2 s of column lookups per point)
    named_names = [str(v).strip() for v in named["name"].tolist()]
    out = [named_names[i] for i in i_any]
    kinds = named["kind"].astype(str) if "kind" in named.columns else None
    land = named[kinds.isin(LANDMARK_KINDS)] if kinds is not None else named.iloc[0:0]
    if len(land):
        d_land, i_land = cKDTree(points_xy(land)).query(pxy)
        land_names = [str(v).strip() for v in land["name"].tolist()]
        for j in range(len(out)):
            if d_land[j] <= 2.0 * d_any[j] + 50.0:
                out[j] = land_names[i_land[j]]
    return out


def stop_names(cand: gpd.GeoDataFrame, venues: gpd.GeoDataFrame | None) -> list[str]:
    """Name patrol stops: ``"巡逻点：近 xx市场"`` (``"巡逻点 <cell>"`` without venues).

    Parameters
    ----------
    cand
        Patrol candidates (``cell_id`` + Point).
    venues
        Venues in the same CRS.

    Returns
    -------
    list of str
        One name per candidate.
    """
    near = nearest_venue_names(cand, venues)
    cells = cand["cell_id"].astype(str).tolist() if "cell_id" in cand.columns else [""] * len(cand)
    return [f"巡逻点：近 {n}" if n else f"巡逻点 {c}" for n, c in zip(near, cells, strict=True)]


@dataclass(frozen=True)
class _Distances:
    """Distances between the stops, and the shortest-path tree to draw the route on streets."""

    dist: FloatArray
    nodes: npt.NDArray[np.integer[Any]] | None = None
    dist_all: FloatArray | None = None
    pred: npt.NDArray[np.int32] | None = None
    notes: tuple[str, ...] = ()


def _stop_distances(xy: FloatArray, network: StreetIndex | None) -> _Distances:
    straight = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    if network is None:
        return _Distances(
            straight, notes=("no street graph: patrol tour ordered on straight-line distances",)
        )
    from scipy.sparse.csgraph import dijkstra

    nodes, _ = network.snap(xy)
    dist_all, pred = dijkstra(
        network.adjacency, directed=False, indices=nodes, return_predecessors=True
    )
    dist = dist_all[:, nodes]
    unreachable = ~np.isfinite(dist)
    notes: tuple[str, ...] = ()
    if unreachable.any():
        dist = np.where(unreachable, straight * 3.0, dist)
        notes = (
            "some patrol stops are not connected on the street graph; straight line x3 used "
            "between them",
        )
    return _Distances(dist, nodes, dist_all, pred, notes)


def _route_line(
    xy: FloatArray, order: list[int], d: _Distances, network: StreetIndex | None
) -> tuple[list[tuple[float, float]], float]:
    """Coordinates of the closed route along the streets, and its length."""
    k = len(xy)
    coords: list[tuple[float, float]] = []
    total = 0.0
    for a_i in range(k):
        i, j = order[a_i], order[(a_i + 1) % k] if k > 1 else order[a_i]
        total += float(d.dist[i, j])
        seg: list[tuple[float, float]] = [(float(xy[i][0]), float(xy[i][1]))]
        if (
            network is not None
            and d.nodes is not None
            and d.dist_all is not None
            and d.pred is not None
            and i != j
            and np.isfinite(d.dist_all[i, d.nodes[j]])
        ):
            # walk predecessors back from j's node to i's node
            chain = []
            cur = int(d.nodes[j])
            src = int(d.nodes[i])
            while cur != src and cur >= 0:
                chain.append(cur)
                cur = int(d.pred[i, cur])
            seg += [(float(network.xy[c][0]), float(network.xy[c][1])) for c in reversed(chain)]
        seg.append((float(xy[j][0]), float(xy[j][1])))
        coords.extend(seg if not coords else seg[1:])
    return coords, total


def patrol_route(
    ch: ChannelConfig,
    stops: gpd.GeoDataFrame,
    network: StreetIndex | None,
    peak_windows: Sequence[dict[str, Any]],
) -> PatrolRoute:
    """Order the chosen stops as a closed tour and draw it along the streets.

    Parameters
    ----------
    ch
        The patrol channel.
    stops
        Chosen stops (``cell_id, venue_id, alerts, covered_weight`` + Point), rank order.
    network
        Street index (shortest paths), or ``None`` for straight lines.
    peak_windows
        Busiest time windows (dicts with label_zh/label_en/start_hour/end_hour/share).

    Returns
    -------
    PatrolRoute
    """
    xy = points_xy(stops)
    k = len(xy)
    windows = window_text(peak_windows)
    if k == 0:
        empty = gpd.GeoDataFrame(
            columns=ROUTE_COLUMNS + ["geometry"], geometry="geometry", crs=stops.crs
        )
        return PatrolRoute(empty)
    d = _stop_distances(xy, network)
    notes = list(d.notes)
    order = tour_order(d.dist)
    gap = tour_gap(d.dist, order)
    if k > EXACT_TOUR_MAX_STOPS:
        notes.append(
            f"patrol tour of {k} stops: heuristic (Christofides + 2-opt + Or-opt), at most "
            f"{gap:.1%} longer than the shortest tour (1-tree bound)"
        )
    coords, total = _route_line(xy, order, d, network)
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
                "tour_gap": np.nan,
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
            "covered_weight": float(stops["covered_weight"].sum())
            if "covered_weight" in stops.columns
            else 0.0,
            "windows": windows,
            "length_m": round(total, 1),
            "tour_gap": round(gap, 4),
            "geometry": line,
        }
    )
    if not peak_windows:
        notes.append("no peak time windows given; patrol times left open")
    frame = gpd.GeoDataFrame(
        recs, columns=ROUTE_COLUMNS + ["geometry"], geometry="geometry", crs=stops.crs
    )
    return PatrolRoute(frame, tuple(notes))
