"""Maximal covering: geometry -> sparse coverage matrix, kept apart from matrix -> solution.

Two steps, as in spopt (``from_geodataframe`` -> cost matrix, ``from_cost_matrix`` -> solve),
but sparse throughout (never a dense n x m matrix) and with a bound on every answer.

1. Geometry -> matrix. ``A`` is a ``scipy.sparse.csr_matrix`` of shape (demand, candidate),
   ``A[i, j] = 1`` when candidate ``j`` reaches demand point ``i``:

   * :func:`coverage_matrix_euclidean` - straight-line distance (KD-tree pairs within radius);
   * :func:`coverage_matrix_network` - walking distance on the street graph: both points are
     snapped to their nearest graph node, and the walk is
     ``snap(candidate) + network path + snap(demand)``; cutoff-limited multi-source Dijkstra
     (``scipy.sparse.csgraph.dijkstra(limit=...)``) in chunks of candidate nodes;
   * :func:`service_areas` - the walking service area polygon of each candidate, for maps.

2. Matrix -> solution: :func:`maximize_coverage` (budget ``k`` sites, maximise covered weight).

   * :func:`reduce_demand` first merges demand rows with identical coverage rows (weights
     summed) and drops rows nothing can reach: exact, the objective is unchanged.
   * ``greedy``: lazy greedy (priority queue of stale marginal gains; (1 - 1/e) guarantee)
     followed by 1-swap local search under a time budget. Without site constraints the
     swap search keeps every column's marginal gain up to date incrementally (a swap's
     value comes from the sparse rows only the removed site covers) and is iterated: drop
     a site and chosen sites near it, refill greedily, swap to a local optimum, keep the
     best (seeded, bounded rounds and time).
   * ``exact``: the MILP ``max sum w_i y_i  s.t. y_i <= sum_j a_ij x_j, sum x_j <= k``,
     ``x`` binary, ``y`` in [0, 1], solved by HiGHS (highspy), warm-started from the greedy
     solution (``Highs.setSolution``), with a time limit. Before it, exact reductions
     (unconstrained case): candidates ruled out by Lagrangian reduced costs, candidates
     whose coverage is a subset of another's, demand rows only one candidate covers folded
     into that candidate's objective coefficient (repeated while candidates drop). HiGHS's
     own presolve is off on this already-reduced model (it only cost time). With integer weights the MILP stops at an
     absolute gap below 1, which already proves optimality. On timeout the best solution
     and HiGHS's dual bound are returned with ``status="feasible"``. (scipy.optimize.milp
     would do too but cannot be warm-started; highspy's start-up banner is silenced.)
   * Upper bound, always: the best Lagrangian bound found by subgradient steps started from
     the greedy solution's point (which is the classical "value + sum of the top-k marginal
     gains" bound), intersected with the MILP dual bound when the MILP ran. The Lagrangian
     dual of this relaxation equals the LP relaxation bound, so the bound converges to the
     LP value.
   * ``auto``: greedy + swap + bound first; if the gap is already 0 the answer is optimal.
     Otherwise the MILP runs when the reduced instance has at most
     :data:`AUTO_EXACT_MAX_NNZ` non-zeros (beyond that, building and solving the model
     takes longer than the default 20 s time limit on a laptop); beyond that the heuristic
     answer and its Lagrangian bound are returned. ``exact`` always runs the MILP unless the
     bound already proves the heuristic optimal. Either way ``status`` says whether
     optimality was proven, and ``gap`` how far from the bound the answer may be.
   * The swap search and the bound stop at a time budget (a share of ``time_limit_s``), so
     on large instances the heuristic answer (and so the MILP's start) can depend on
     machine speed; on small ones everything is deterministic (the iterated local search
     has a fixed seed and round cap, HiGHS runs single-threaded with a fixed seed).

Constraints (all modes): existing sites (cover, do not use budget), a minimum number of
sites per candidate group (precinct), a minimum covered share per demand group, and a
minimum spacing between chosen sites. The exact model enforces them all; greedy honours
them greedily (groups are seeded first, spacing by skipping conflicting candidates) and
says so in ``notes``. The bound ignores them (so it stays a valid, maybe looser, bound).
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import sys
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from geo_outreach._errors import InfeasiblePlanError, InputDataError

log = logging.getLogger(__name__)

SolveMethod = Literal["auto", "greedy", "exact"]
METHODS: tuple[str, ...] = ("auto", "greedy", "exact")

#: ``method="auto"`` runs the MILP when the reduced matrix has at most this many non-zeros.
AUTO_EXACT_MAX_NNZ = 1_500_000

_EPS = 1e-9

#: the Lagrangian subgradient loop runs its products in float32 above this many non-zeros
_LAG_FLOAT32_NNZ = 1_000_000


# =========================================================================== geometry -> matrix


def _as_xy(xy: Any, what: str) -> np.ndarray:
    arr = np.asarray(xy, dtype=float)
    if arr.ndim != 2 or (arr.size and arr.shape[1] != 2):
        if arr.size == 0:
            return np.zeros((0, 2))
        raise InputDataError(f"{what}: expected an (n, 2) array of x/y in metres, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputDataError(f"{what}: coordinates contain NaN or infinity; drop those rows")
    return arr


def _check_radius(radius_m: float) -> float:
    r = float(radius_m)
    if not math.isfinite(r) or r <= 0:
        raise InputDataError(f"radius_m must be a positive number of metres, got {radius_m!r}")
    return r


def coverage_matrix_euclidean(demand_xy: Any, cand_xy: Any, radius_m: float) -> sp.csr_matrix:
    """Straight-line coverage: ``A[i, j] = 1`` when ``|demand_i - cand_j| <= radius_m``.

    Parameters
    ----------
    demand_xy, cand_xy
        (n, 2) and (m, 2) coordinates in metres (a projected CRS).
    radius_m
        Reach of a site.

    Returns
    -------
    scipy.sparse.csr_matrix
        uint8, shape (n, m); only pairs within the radius are stored.
    """
    r = _check_radius(radius_m)
    d = _as_xy(demand_xy, "demand")
    c = _as_xy(cand_xy, "candidates")
    n, m = len(d), len(c)
    if n == 0 or m == 0:
        return sp.csr_matrix((n, m), dtype=np.uint8)
    td, tc = cKDTree(d), cKDTree(c)
    pairs = td.sparse_distance_matrix(tc, r, output_type="ndarray")
    rows = pairs["i"].astype(np.int64)
    cols = pairs["j"].astype(np.int64)
    a = sp.csr_matrix((np.ones(len(rows), dtype=np.uint8), (rows, cols)), shape=(n, m))
    a.sum_duplicates()
    a.data[:] = 1
    return a


@dataclass(frozen=True)
class StreetIndex:
    """A street graph prepared for repeated coverage queries (see :func:`prepare_network`).

    Streets are the undirected node pairs of the graph (shortest parallel edge), drawn as
    straight segments between their nodes; a point is snapped to the nearest segment.
    """

    node_ids: np.ndarray  # graph node id per index
    xy: np.ndarray  # (N, 2) node coordinates in metres
    adjacency: sp.csr_matrix  # symmetric, shortest parallel edge length in metres
    tree: Any = field(repr=False)  # cKDTree on xy
    edge_u: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    edge_v: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    edge_len: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    edge_tree: Any = field(default=None, repr=False)  # shapely STRtree on the segments
    edge_geoms: Any = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def snap(self, xy: Any) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node index and straight-line snapping distance (m) for each point."""
        pts = _as_xy(xy, "points")
        if len(pts) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        dist, idx = self.tree.query(pts)
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)

    def access(self, xy: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """How each point reaches the network: its nearest street segment.

        Returns ``(point, node, extra, edge, offset)`` arrays with two entries per point (one
        per end node of its segment): walking from the point to ``node`` costs ``extra``
        metres (perpendicular distance + the part of the street to that end); ``offset`` is
        the position along the segment in metres from ``edge_u`` (for same-street pairs).
        Without edges, points use their nearest node (one entry each).
        """
        import shapely

        pts = _as_xy(xy, "points")
        n = len(pts)
        if n == 0 or self.edge_tree is None or len(self.edge_u) == 0:
            node, d = self.snap(pts)
            idx = np.arange(n)
            return idx, node, d, np.full(n, -1, dtype=np.int64), np.zeros(n)
        geoms = shapely.points(pts)
        pair, perp = self.edge_tree.query_nearest(geoms, return_distance=True, all_matches=False)
        src, e = pair[0], pair[1]
        order = np.argsort(src, kind="stable")
        src, e, perp = src[order], e[order], perp[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = src[1:] != src[:-1]
        src, e, perp = src[first], e[first], perp[first]
        frac = shapely.line_locate_point(self.edge_geoms[e], geoms[src], normalized=True)
        frac = np.nan_to_num(np.clip(frac, 0.0, 1.0))
        length = self.edge_len[e]
        off = frac * length
        point = np.concatenate([src, src])
        node = np.concatenate([self.edge_u[e], self.edge_v[e]])
        extra = np.concatenate([perp + off, perp + (length - off)])
        edge = np.concatenate([e, e])
        offset = np.concatenate([off, off])
        return point, node, extra, edge, offset


def prepare_network(graph: Any) -> StreetIndex:
    """Turn an osmnx/networkx graph (projected, edge attribute ``length`` in metres) into a
    symmetric scipy CSR matrix (walking ignores one-way streets), a node KD-tree and an
    STRtree of street segments for snapping.

    Parallel edges keep their shortest length; edges without ``length`` use the straight
    line between their nodes.
    """
    import shapely

    if isinstance(graph, StreetIndex):
        return graph
    nodes = list(graph.nodes)
    if not nodes:
        raise InputDataError("the street graph has no nodes; check the streets file")
    index = {n: i for i, n in enumerate(nodes)}
    try:
        xy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], dtype=float)
    except KeyError:
        raise InputDataError("street graph nodes need 'x' and 'y' attributes (project it with osmnx)") from None
    us, vs, ls = [], [], []
    for u, v, dat in graph.edges(data=True):
        if u == v:
            continue
        iu, iv = index[u], index[v]
        length = dat.get("length")
        if length is None or not np.isfinite(length):
            length = float(np.hypot(*(xy[iu] - xy[iv])))
        us.append(iu)
        vs.append(iv)
        ls.append(float(length))
    u = np.array(us + vs, dtype=np.int64)
    v = np.array(vs + us, dtype=np.int64)
    length_arr = np.maximum(np.array(ls + ls, dtype=float), 1e-3)  # 0 would mean "no edge"
    n = len(nodes)
    if len(u):
        order = np.lexsort((length_arr, v, u))
        u, v, length_arr = u[order], v[order], length_arr[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, length_arr = u[first], v[first], length_arr[first]
    adj = sp.csr_matrix((length_arr, (u, v)), shape=(n, n))
    upper = u < v
    eu, ev, el = u[upper], v[upper], length_arr[upper]
    geoms = shapely.linestrings(np.stack([xy[eu], xy[ev]], axis=1)) if len(eu) else None
    return StreetIndex(
        node_ids=np.array(nodes, dtype=object),
        xy=xy,
        adjacency=adj,
        tree=cKDTree(xy),
        edge_u=eu,
        edge_v=ev,
        edge_len=el,
        edge_tree=shapely.STRtree(geoms) if geoms is not None else None,
        edge_geoms=geoms,
    )


def _network_pairs(
    net: StreetIndex,
    demand_xy: np.ndarray,
    cand_xy: np.ndarray,
    radius_m: float,
    chunk: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand row, candidate col, walking distance) for every pair within ``radius_m``."""
    from scipy.sparse.csgraph import dijkstra

    e = np.zeros(0, dtype=np.int64)
    d_pt, d_node, d_extra, d_edge, d_off = net.access(demand_xy)
    c_pt, c_node, c_extra, c_edge, c_off = net.access(cand_xy)
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    dist_out: list[np.ndarray] = []
    # same street segment: walk along it directly
    if len(d_edge) and (d_edge >= 0).any():
        half_d = len(d_pt) // 2 if (d_edge >= 0).all() else len(d_pt)
        half_c = len(c_pt) // 2 if (c_edge >= 0).all() else len(c_pt)
        dd = pd.DataFrame({"row": d_pt[:half_d], "edge": d_edge[:half_d], "off": d_off[:half_d],
                           "perp": d_extra[:half_d] - d_off[:half_d]})
        cc = pd.DataFrame({"col": c_pt[:half_c], "edge": c_edge[:half_c], "off": c_off[:half_c],
                           "perp": c_extra[:half_c] - c_off[:half_c]})
        dd = dd[dd["perp"] <= radius_m]
        cc = cc[cc["perp"] <= radius_m]
        both = dd.merge(cc, on="edge", suffixes=("_d", "_c"))
        if len(both):
            direct = (both["perp_d"] + both["perp_c"] + (both["off_d"] - both["off_c"]).abs()).to_numpy()
            keep = direct <= radius_m
            rows_out.append(both["row"].to_numpy()[keep].astype(np.int64))
            cols_out.append(both["col"].to_numpy()[keep].astype(np.int64))
            dist_out.append(direct[keep])
    ok_d = np.flatnonzero(d_extra <= radius_m)
    ok_c = np.flatnonzero(c_extra <= radius_m)
    if len(ok_d) and len(ok_c):
        # demand access entries grouped by node
        d_order = ok_d[np.argsort(d_node[ok_d], kind="stable")]
        uniq_dn, start = np.unique(d_node[d_order], return_index=True)
        counts = np.diff(np.append(start, len(d_order)))
        # candidate access entries grouped by source node
        src_nodes, src_inv = np.unique(c_node[ok_c], return_inverse=True)
        src_min = np.full(len(src_nodes), np.inf)
        np.minimum.at(src_min, src_inv, c_extra[ok_c])
        order = np.argsort(src_inv, kind="stable")
        bounds = np.searchsorted(src_inv[order], np.arange(len(src_nodes) + 1))
        if chunk is None:
            chunk = max(1, min(512, int(2e7 // max(net.n_nodes, 1))))
        for lo in range(0, len(src_nodes), chunk):
            hi = min(lo + chunk, len(src_nodes))
            limit = float(radius_m - src_min[lo:hi].min())
            dist = dijkstra(net.adjacency, directed=False, indices=src_nodes[lo:hi], limit=limit)
            sub = dist[:, uniq_dn]
            si, ui = np.nonzero(sub <= limit)
            if len(si) == 0:
                continue
            base = sub[si, ui]
            for s_local in np.unique(si):
                sel = si == s_local
                u_sel, b_sel = ui[sel], base[sel]
                cnt = counts[u_sel]
                entries = np.concatenate([d_order[start[q] : start[q] + c] for q, c in zip(u_sel, cnt)])
                walk = np.repeat(b_sel, cnt) + d_extra[entries]
                s = lo + s_local
                for ce in ok_c[order[bounds[s] : bounds[s + 1]]]:
                    total = walk + c_extra[ce]
                    keep = total <= radius_m
                    if keep.any():
                        rows_out.append(d_pt[entries[keep]].astype(np.int64))
                        cols_out.append(np.full(int(keep.sum()), c_pt[ce], dtype=np.int64))
                        dist_out.append(total[keep])
    if not rows_out:
        return e, e, np.zeros(0)
    rows, cols, dist = np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(dist_out)
    # several routes per pair (two ends of each street, or along the street): keep the shortest
    order = np.lexsort((dist, cols, rows))
    rows, cols, dist = rows[order], cols[order], dist[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return rows[first], cols[first], dist[first]


def coverage_matrix_network(
    graph: Any,
    demand_xy: Any,
    cand_xy: Any,
    radius_m: float,
    *,
    chunk: int | None = None,
    return_distance: bool = False,
) -> sp.csr_matrix | tuple[sp.csr_matrix, sp.csr_matrix]:
    """Walking-distance coverage on a street graph.

    Each point is snapped to its nearest street segment (straight line between two graph
    nodes). The walk from candidate ``j`` to demand ``i`` is the shortest of: along the
    street when both sit on the same segment, or ``access_j + shortest_path(end_j, end_i) +
    access_i`` over the two ends of each segment, where ``access`` is the perpendicular
    distance to the segment plus the part of the street to that end. The graph is treated
    as undirected (pedestrians ignore one-way streets). Points farther than the radius from
    every street cover / are covered by nothing.

    Parameters
    ----------
    graph
        networkx (Multi)DiGraph in a projected CRS (node attributes ``x``, ``y``; edge
        attribute ``length`` in metres), or a :class:`StreetIndex` from
        :func:`prepare_network` (reuse it across channels).
    demand_xy, cand_xy
        (n, 2) and (m, 2) coordinates in the graph's CRS.
    radius_m
        Walking reach in metres.
    chunk
        Source nodes per Dijkstra call (memory: chunk x graph nodes floats); default chosen
        from the graph size.
    return_distance
        Also return a CSR of walking distances with the same sparsity pattern (it may hold
        explicit zeros).
    """
    r = _check_radius(radius_m)
    net = prepare_network(graph)
    d = _as_xy(demand_xy, "demand")
    c = _as_xy(cand_xy, "candidates")
    n, m = len(d), len(c)
    if n == 0 or m == 0:
        a = sp.csr_matrix((n, m), dtype=np.uint8)
        return (a, sp.csr_matrix((n, m), dtype=float)) if return_distance else a
    rows, cols, dist = _network_pairs(net, d, c, r, chunk)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    a = sp.csr_matrix((np.ones(len(rows), dtype=np.uint8), cols, indptr), shape=(n, m))
    if return_distance:
        return a, sp.csr_matrix((dist, cols.copy(), indptr.copy()), shape=(n, m))
    return a


def service_areas(
    graph: Any,
    cand_xy: Any,
    radius_m: float,
    *,
    buffer_m: float = 40.0,
) -> list[Any]:
    """Walking service area of each candidate: the street segments whose both ends are
    reachable within ``radius_m`` (including the walk to the street), plus the walk to the
    street, buffered by ``buffer_m``.

    Returns a list of shapely geometries (empty polygon when the candidate is farther than
    the radius from every street).
    """
    import shapely
    from scipy.sparse.csgraph import dijkstra

    r = _check_radius(radius_m)
    net = prepare_network(graph)
    c = _as_xy(cand_xy, "candidates")
    pt, node, extra, _, _ = net.access(c)
    out: list[Any] = []
    eu, ev = net.edge_u, net.edge_v
    for j in range(len(c)):
        sel = (pt == j) & (extra <= r)
        if not sel.any():
            out.append(shapely.Polygon())
            continue
        dist = dijkstra(net.adjacency, directed=False, indices=node[sel], limit=r)
        best = np.min(dist + extra[sel][:, None], axis=0)
        reach = best <= r
        both = reach[eu] & reach[ev]
        parts = [shapely.Point(c[j]).buffer(buffer_m)]
        for q in node[sel]:
            parts.append(shapely.LineString([c[j], net.xy[q]]).buffer(buffer_m))
        if both.any():
            lines = shapely.linestrings(np.stack([net.xy[eu[both]], net.xy[ev[both]]], axis=1))
            parts.append(shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4)))
        out.append(shapely.union_all(parts))
    return out


# =========================================================================== demand reduction


@dataclass(frozen=True)
class ReducedDemand:
    """Result of :func:`reduce_demand`."""

    matrix: sp.csr_matrix  # reduced rows x candidates
    weights: np.ndarray
    groups: np.ndarray | None  # group label per reduced row (when grouped)
    inverse: np.ndarray  # original row -> reduced row, -1 when nothing covers it
    unreachable_weight: float  # weight of rows no candidate covers


def reduce_demand(a: sp.csr_matrix, w: Any, *, groups: Any = None) -> ReducedDemand:
    """Merge demand rows with identical coverage rows (and identical group, if given),
    summing their weights, and drop rows no candidate reaches. Exact: any set of sites
    covers the same weight before and after."""
    a = sp.csr_matrix(a)
    a.sum_duplicates()
    a.sort_indices()
    w = np.asarray(w, dtype=float)
    n = a.shape[0]
    if len(w) != n:
        raise InputDataError(f"weights have {len(w)} values for {n} demand rows")
    g = None if groups is None else np.asarray(groups, dtype=object)
    inverse = np.full(n, -1, dtype=np.int64)
    keys: dict[Any, int] = {}
    indptr, indices = a.indptr, a.indices.astype(np.int32, copy=False)
    rep_rows: list[int] = []
    new_w: list[float] = []
    unreachable = 0.0
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi:
            unreachable += w[i]
            continue
        key: Hashable = indices[lo:hi].tobytes()
        if g is not None:
            key = (g[i], key)
        r = keys.get(key)
        if r is None:
            r = len(rep_rows)
            keys[key] = r
            rep_rows.append(i)
            new_w.append(0.0)
        new_w[r] += w[i]
        inverse[i] = r
    m_red = a[np.array(rep_rows, dtype=np.int64)] if rep_rows else sp.csr_matrix((0, a.shape[1]), dtype=a.dtype)
    m_red = sp.csr_matrix(m_red, dtype=np.uint8)
    m_red.data[:] = 1
    return ReducedDemand(
        matrix=m_red,
        weights=np.array(new_w, dtype=float),
        groups=None if g is None else g[np.array(rep_rows, dtype=np.int64)],
        inverse=inverse,
        unreachable_weight=float(unreachable),
    )


# =========================================================================== solution


@dataclass(frozen=True)
class CoverageSolution:
    """A set of chosen sites and how good it is.

    ``chosen`` are candidate column indices in rank order (each adds the most weight given the
    ones before it, existing sites counted first); ``marginal[r]`` is what ``chosen[r]``
    adds. ``covered_weight`` includes what existing sites cover. ``gap`` is
    ``(upper_bound - covered_weight) / upper_bound``.
    """

    chosen: tuple[int, ...]
    covered_weight: float
    total_weight: float
    upper_bound: float
    gap: float
    status: str  # "optimal" | "feasible"
    method: str  # "greedy" | "exact" | "greedy+exact" ...
    seconds: float
    marginal: tuple[float, ...]
    existing: tuple[int, ...] = ()
    existing_weight: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def covered_share(self) -> float:
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": list(self.chosen),
            "covered_weight": self.covered_weight,
            "total_weight": self.total_weight,
            "covered_share": self.covered_share,
            "upper_bound": self.upper_bound,
            "gap": self.gap,
            "status": self.status,
            "method": self.method,
            "seconds": self.seconds,
            "marginal": list(self.marginal),
            "existing": list(self.existing),
            "existing_weight": self.existing_weight,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- helpers


def _covered_mask(csc: sp.csc_matrix, cols: Sequence[int]) -> np.ndarray:
    mask = np.zeros(csc.shape[0], dtype=bool)
    for j in cols:
        mask[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return mask


def _col_rows(csc: sp.csc_matrix, j: int) -> np.ndarray:
    return csc.indices[csc.indptr[j] : csc.indptr[j + 1]]


def covered_weight(a: sp.spmatrix, w: Any, chosen: Sequence[int]) -> float:
    """Weight of the demand rows that at least one of ``chosen`` covers."""
    csc = sp.csc_matrix(a)
    return float(np.asarray(w, dtype=float)[_covered_mask(csc, list(chosen))].sum())


def rank_order(a: sp.spmatrix, w: Any, chosen: Sequence[int], *, existing: Sequence[int] = ()) -> tuple[list[int], list[float]]:
    """Order ``chosen`` greedily (largest marginal gain first, after ``existing``)."""
    csc = sp.csc_matrix(a)
    w = np.asarray(w, dtype=float)
    cov = _covered_mask(csc, list(existing))
    left = list(chosen)
    order, gains = [], []
    while left:
        g = [float(w[_col_rows(csc, j)][~cov[_col_rows(csc, j)]].sum()) for j in left]
        b = int(np.argmax(g))
        j = left.pop(b)
        order.append(j)
        gains.append(g[b])
        cov[_col_rows(csc, j)] = True
    return order, gains


def _conflicts(cand_xy: np.ndarray | None, min_spacing_m: float, m: int) -> list[set[int]] | None:
    if not min_spacing_m or min_spacing_m <= 0:
        return None
    if cand_xy is None:
        raise InputDataError("min_spacing_m needs cand_xy (candidate coordinates in metres)")
    xy = _as_xy(cand_xy, "cand_xy")
    if len(xy) != m:
        raise InputDataError(f"cand_xy has {len(xy)} rows for {m} candidates")
    conf: list[set[int]] = [set() for _ in range(m)]
    # strictly closer than the spacing cannot both be chosen
    for i, j in cKDTree(xy).query_pairs(np.nextafter(min_spacing_m, 0)):
        conf[i].add(j)
        conf[j].add(i)
    return conf


def _norm_min(spec: Any, labels: np.ndarray | None, what: str, kind: type) -> dict[Any, Any]:
    if spec is None:
        return {}
    if labels is None:
        raise InputDataError(f"{what} needs the matching group labels")
    if isinstance(spec, Mapping):
        return {k: kind(v) for k, v in spec.items() if kind(v) > 0}
    val = kind(spec)
    if val <= 0:
        return {}
    return {g: val for g in pd.unique(labels)}


# --------------------------------------------------------------------------- bound


def lagrangian_bound(
    a_csr: sp.csr_matrix,
    w: np.ndarray,
    k: int,
    *,
    lower: float,
    start: np.ndarray | None = None,
    time_limit_s: float = 2.0,
    max_iter: int = 1000,
) -> float:
    """Upper bound on the best weight ``k`` columns of ``a_csr`` can cover.

    ``L(lam) = sum(w - lam) + sum of the k largest entries of A^T lam`` for ``0 <= lam <= w``
    bounds the optimum for every ``lam``; subgradient steps (Polyak step to ``lower``) lower
    it. ``start`` defaults to ``lam = w`` (sum of the k largest column weights); started at
    ``w * [row uncovered by S]`` it equals ``f(S) + top-k marginal gains w.r.t. S``.
    """
    return _lagrangian(a_csr, np.asarray(w, dtype=float), k, lower=lower, start=start,
                       time_limit_s=time_limit_s, max_iter=max_iter)[0]


def _forced_bounds(a_csr: sp.csr_matrix, w: np.ndarray, k: int, lam: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Lagrangian bound on every solution that uses column ``j`` (reduced-cost fixing): with
    ``x_j`` forced to 1, ``L(lam)`` swaps the k-th best score for ``score_j``. Columns in the
    Lagrangian top-k get ``+inf`` (never ruled out), disallowed ones ``-inf``."""
    score = sp.csr_matrix(a_csr.T, dtype=float) @ lam
    score = np.where(allowed, score, -np.inf)
    kk = min(k, int(allowed.sum()))
    if kk <= 0 or kk >= int(allowed.sum()):
        return np.where(allowed, np.inf, -np.inf)
    top = np.argpartition(-score, kk - 1)[:kk]
    base = float((w - lam).sum() + score[top].sum())
    forced = base - float(score[top].min()) + score
    forced[top] = np.inf
    return forced


def _exact_by_thresholds(
    arc: sp.csc_matrix,
    ar: sp.csr_matrix,
    wr: np.ndarray,
    k: int,
    *,
    allowed: np.ndarray,
    warm: list[int],
    lam: np.ndarray | None,
    lower: float,
    upper: float,
    deadline: float,
) -> tuple[list[int] | None, float, float, str, list[str]]:
    """Exact MILP helped by Lagrangian reduced costs (unconstrained problem).

    With a target ``T`` between the incumbent ``lower`` and the bound ``upper``, every
    solution that uses a column whose forced bound is below ``T`` is worth less than ``T``.
    Pass 1 solves the MILP over the remaining (few) columns: if it reaches ``T`` it is
    optimal for the whole problem. Otherwise pass 2 uses ``T`` = the best value found, which
    only rules out columns that cannot beat it (the classical fixing) and is exact.

    Returns (chosen, value, global upper bound, status, notes).
    """
    notes: list[str] = []
    integral = bool(np.all(np.abs(wr - np.round(wr)) < 1e-9))
    margin = 1.0 - 1e-6 if integral else 1e-9 * max(1.0, lower)
    forced = _forced_bounds(ar, wr, k, lam, allowed) if lam is not None else np.where(allowed, np.inf, -np.inf)
    best_sol, best_val = list(warm), lower
    ub = upper
    targets = []
    if upper - lower > margin:
        # close to the incumbent: the local search leaves it near the optimum, and a target
        # above the optimum makes pass 1 prove nothing
        targets.append(lower + 0.25 * (upper - lower))
    targets.append(None)  # None: the exact pass, T = best value so far
    status = "feasible"
    for t in targets:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        thr = (best_val + margin) if t is None else t
        keep = allowed & (forced >= thr)
        keep[best_sol] = True
        if int(keep.sum()) < k:  # leave enough columns to spend the budget
            extra = np.flatnonzero(allowed & ~keep)
            extra = extra[np.argsort(-forced[extra], kind="stable")][: k - int(keep.sum())]
            keep[extra] = True
        ruled_out = int((allowed & ~keep).sum())
        sol, val, dual, st, pnote = _presolved_milp(
            arc, wr, k, allowed=keep, warm=best_sol, time_limit_s=max(remaining, 0.1)
        )
        notes.append(
            f"exact pass ({f'target {t:.6g}' if t is not None else 'final'}): {ruled_out} candidates ruled out "
            f"by Lagrangian reduced costs; {pnote.removeprefix('exact presolve: ')}"
        )
        if st == "infeasible" or sol is None:
            break
        if val > best_val:
            best_sol, best_val = sol, val
        # solutions outside `keep` are worth < thr; inside, at most the pass's bound
        pass_ub = val if st == "optimal" else dual
        ub = min(ub, max(pass_ub, thr if ruled_out else -np.inf))
        if ub - best_val <= margin + 1e-9 * max(1.0, abs(best_val)):
            status = "optimal"
            ub = best_val
            break
        if st != "optimal":
            break  # out of time
    return best_sol, best_val, ub, status, notes


def _lagrangian(
    a_csr: sp.csr_matrix,
    w: np.ndarray,
    k: int,
    *,
    lower: float,
    start: np.ndarray | None,
    time_limit_s: float,
    max_iter: int,
    stall_limit: int = 20,
) -> tuple[float, list[int] | None, float, np.ndarray | None]:
    """(bound, best primal k-set seen among the Lagrangian top-k sets, its value, the
    multipliers of the best bound). The step size factor halves after ``stall_limit``
    steps without a better bound (long runs converge closer to the LP bound with a patient
    schedule)."""
    n, m = a_csr.shape
    if n == 0 or k <= 0:
        return 0.0, None, 0.0, None
    k = min(k, m)
    # m x n; row j = rows covered by column j. Large matrices iterate in float32 (less
    # memory traffic); the best multipliers' bound is recomputed in float64 at the end.
    single = a_csr.nnz > _LAG_FLOAT32_NNZ
    at = sp.csr_matrix(a_csr.T, dtype=np.float32 if single else float)
    lam = (w.copy() if start is None else np.clip(start, 0.0, w)).astype(float)
    best = np.inf
    theta = 2.0 if stall_limit <= 20 else 4.0
    stall = 0
    best_set: list[int] | None = None
    best_primal = -np.inf
    best_lam = lam.copy()
    direction = np.zeros(n)
    t0 = time.perf_counter()
    for _ in range(max_iter):
        score = np.asarray(at @ lam.astype(at.dtype), dtype=float)
        top = np.argpartition(-score, k - 1)[:k] if k < m else np.arange(m)
        val = float((w - lam).sum() + score[top].sum())
        if val < best - 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            best = val
            best_lam = lam.copy()
            stall = 0
        else:
            stall += 1
            if stall >= stall_limit:
                theta /= 2
                stall = 0
        rows = np.concatenate([at.indices[at.indptr[j] : at.indptr[j + 1]] for j in top])
        cnt = np.bincount(rows, minlength=n).astype(float)
        primal = float(w[cnt > 0].sum())
        if primal > best_primal:
            best_primal, best_set = primal, [int(j) for j in top]
        target = max(lower, best_primal)
        if best - target <= 1e-9 * max(1.0, target) or theta < (1e-3 if stall_limit <= 20 else 1e-5):
            break
        if time.perf_counter() - t0 > time_limit_s:
            break
        # deflected subgradient (half of the previous direction kept): fewer zig-zags
        direction = (cnt - 1.0) + 0.5 * direction  # dL/dlam = cover count - 1
        # projected: ignore directions blocked by the box
        direction[(lam <= 0) & (direction > 0)] = 0.0
        direction[(lam >= w) & (direction < 0)] = 0.0
        norm = float(direction @ direction)
        if norm <= 0:
            break
        # Polyak step; long runs aim between the best primal value and the best bound (the
        # LP value lies in between: steps to the primal value alone overshoot)
        aim = target + 0.3 * (best - target) if stall_limit > 20 else target
        step = theta * (val - aim) / norm
        lam = np.clip(lam - step * direction, 0.0, w)
    if single and np.isfinite(best):
        lam32 = best_lam.astype(np.float32).astype(float)  # the multipliers the loop used
        best_lam = np.clip(lam32, 0.0, w)
        score = at.astype(float) @ best_lam
        top = np.argpartition(-score, k - 1)[:k] if k < m else np.arange(m)
        best = float((w - best_lam).sum() + score[top].sum())
    return float(best), best_set, float(best_primal), best_lam


# --------------------------------------------------------------------------- greedy


class _State:
    """Coverage counts of the rows of the reduced instance under a set of columns."""

    def __init__(self, csc: sp.csc_matrix, w: np.ndarray, base_cols: Sequence[int]):
        self.csc = csc
        self.w = w
        self.cnt = np.zeros(csc.shape[0], dtype=np.int32)
        for j in base_cols:
            self.cnt[_col_rows(csc, j)] += 1

    def gain(self, j: int, row_mask: np.ndarray | None = None) -> float:
        rows = _col_rows(self.csc, j)
        sel = self.cnt[rows] == 0
        if row_mask is not None:
            sel &= row_mask[rows]
        return float(self.w[rows][sel].sum())

    def add(self, j: int) -> None:
        self.cnt[_col_rows(self.csc, j)] += 1

    def remove(self, j: int) -> None:
        self.cnt[_col_rows(self.csc, j)] -= 1

    def value(self) -> float:
        return float(self.w[self.cnt > 0].sum())


def _lazy_greedy(
    st: _State,
    k: int,
    allowed: np.ndarray,
    chosen: list[int],
    conflicts: list[set[int]] | None,
    row_mask: np.ndarray | None = None,
    stop_when: Any = None,
) -> list[int]:
    """Add up to ``k`` columns to ``chosen`` (in place) by lazy greedy; return the new ones."""
    m = st.csc.shape[1]
    blocked = ~allowed.copy()
    for j in chosen:
        blocked[j] = True
        if conflicts:
            for c in conflicts[j]:
                blocked[c] = True
    heap = [(-st.gain(j, row_mask), j) for j in range(m) if not blocked[j]]
    heapq.heapify(heap)
    added: list[int] = []
    while heap and len(added) < k:
        if stop_when is not None and stop_when():
            break
        _, j = heapq.heappop(heap)
        if blocked[j]:
            continue
        g = st.gain(j, row_mask)
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, j))
            continue
        if row_mask is not None and g <= 0:
            break  # nothing more to gain on the targeted rows
        st.add(j)
        chosen.append(j)
        added.append(j)
        blocked[j] = True
        if conflicts:
            for c in conflicts[j]:
                blocked[c] = True
    return added


def _swap_search(
    st: _State,
    chosen: list[int],
    allowed: np.ndarray,
    conflicts: list[set[int]] | None,
    group_of_cand: np.ndarray | None,
    min_sites: dict[Any, int],
    existing_per_group: dict[Any, int],
    deadline: float,
    max_passes: int = 4,
) -> int:
    """1-swap local search (best swap per removed site, first improvement); returns swaps."""
    csr_t = st.csc.T.tocsr().astype(float)  # m x n
    w = st.w
    swaps = 0
    improved = True
    passes = 0
    while improved and time.perf_counter() < deadline and passes < max_passes:
        passes += 1
        improved = False
        for pos in range(len(chosen)):
            if time.perf_counter() >= deadline:
                break
            j = chosen[pos]
            rows_j = _col_rows(st.csc, j)
            only = rows_j[st.cnt[rows_j] == 1]
            loss = float(w[only].sum())
            u = w * (st.cnt == 0)
            u[only] += w[only]
            gains = csr_t @ u
            ok = allowed.copy()
            ok[chosen] = False
            if conflicts:
                for o in chosen:
                    if o != j:
                        ok[list(conflicts[o])] = False
            if min_sites and group_of_cand is not None:
                gj = group_of_cand[j]
                need = min_sites.get(gj, 0)
                if need:
                    have = existing_per_group.get(gj, 0) + sum(
                        1 for o in chosen if group_of_cand[o] == gj
                    )
                    if have - 1 < need:
                        ok &= group_of_cand == gj
            gains[~ok] = -np.inf
            c = int(np.argmax(gains))
            if gains[c] - loss > 1e-9 * max(1.0, float(w.sum())):
                st.remove(j)
                st.add(c)
                chosen[pos] = c
                swaps += 1
                improved = True
    return swaps


class _SwapState:
    """Coverage counts, covered value and every column's marginal gain, kept up to date
    incrementally (unconstrained problem): adding or removing a column touches only the
    rows whose coverage changes between 0 and 1, and the columns covering them. A swap's
    value is ``gain[c] + (weight of rows only j covers that c covers) - loss[j]``, computed
    from the sparse rows only ``j`` covers."""

    def __init__(self, csr: sp.csr_matrix, csc: sp.csc_matrix, w: np.ndarray, chosen: Sequence[int]):
        self.csr, self.csc, self.w = csr, csc, w
        n, m = csc.shape
        self.m = m
        self.cnt = np.zeros(n, dtype=np.int32)
        for j in chosen:
            self.cnt[_col_rows(csc, j)] += 1
        unc = w * (self.cnt == 0)
        self.gain = np.asarray(sp.csr_matrix(csc.T, dtype=float) @ unc).ravel()
        self.value = float(w[self.cnt > 0].sum())
        self.chosen = list(chosen)
        self.in_set = np.zeros(m, dtype=bool)
        self.in_set[self.chosen] = True

    def _row_push(self, rows: np.ndarray) -> np.ndarray:
        """sum over ``rows`` of ``w_i * A[i, :]`` (dense, length m)."""
        if len(rows) == 0:
            return np.zeros(self.m)
        sub = self.csr[rows]
        return np.bincount(sub.indices, weights=np.repeat(self.w[rows], np.diff(sub.indptr)), minlength=self.m)

    def add(self, c: int) -> None:
        rows = _col_rows(self.csc, c)
        new = rows[self.cnt[rows] == 0]
        self.cnt[rows] += 1
        self.value += float(self.w[new].sum())
        self.gain -= self._row_push(new)
        self.chosen.append(c)
        self.in_set[c] = True

    def remove(self, j: int) -> None:
        rows = _col_rows(self.csc, j)
        self.cnt[rows] -= 1
        lost = rows[self.cnt[rows] == 0]
        self.value -= float(self.w[lost].sum())
        self.gain += self._row_push(lost)
        self.chosen.remove(j)
        self.in_set[j] = False

    def best_swap(self, j: int, ok: np.ndarray) -> tuple[int, float]:
        """Best column to replace ``j`` by (among ``ok`` and not chosen) and the change in value."""
        rows = _col_rows(self.csc, j)
        only = rows[self.cnt[rows] == 1]
        loss = float(self.w[only].sum())
        score = self.gain + self._row_push(only)
        score[~ok | self.in_set] = -np.inf
        c = int(np.argmax(score))
        return c, float(score[c]) - loss

    def local_search(self, ok: np.ndarray, deadline: float, tol: float) -> int:
        """1-swap local search to a local optimum (first improvement); returns swaps."""
        swaps = 0
        improved = True
        while improved:
            improved = False
            for j in list(self.chosen):
                if time.perf_counter() >= deadline:
                    return swaps
                c, delta = self.best_swap(j, ok)
                if delta > tol:
                    self.remove(j)
                    self.add(c)
                    swaps += 1
                    improved = True
        return swaps

    def greedy_fill(self, k: int, ok: np.ndarray) -> None:
        while len(self.chosen) < k:
            score = np.where(ok & ~self.in_set, self.gain, -np.inf)
            c = int(np.argmax(score))
            if not np.isfinite(score[c]):
                break
            self.add(c)

    def move_to(self, target: Sequence[int]) -> None:
        tset = set(int(j) for j in target)
        for j in [j for j in self.chosen if j not in tset]:
            self.remove(j)
        for j in tset:
            if not self.in_set[j]:
                self.add(j)


def _iterated_local_search(
    csr: sp.csr_matrix,
    csc: sp.csc_matrix,
    w: np.ndarray,
    chosen: list[int],
    allowed: np.ndarray,
    *,
    deadline: float,
    seed: int = 0,
    max_rounds: int = 200,
    max_stall: int = 30,
    starts: Sequence[Sequence[int]] = (),
) -> tuple[list[int], float, int]:
    """Swap local search, then rounds of "drop a few sites at random, refill greedily
    (the dropped ones excluded), swap to a local optimum"; keeps the best set (unconstrained
    problem). ``starts`` are further start sets (e.g. Lagrangian top-k sets) tried first.
    Stops after ``max_rounds`` rounds, ``max_stall`` rounds without improvement, or at
    ``deadline``. Returns (best set, its value, rounds run)."""
    k = len(chosen)
    tol = 1e-9 * max(1.0, float(w.sum()))
    st = _SwapState(csr, csc, w, chosen)
    st.local_search(allowed, deadline, tol)
    best, best_val = list(st.chosen), st.value
    for s in starts:
        if time.perf_counter() >= deadline:
            break
        st.move_to([j for j in s if allowed[j]][:k])
        st.greedy_fill(k, allowed)
        st.local_search(allowed, deadline, tol)
        if st.value > best_val + tol:
            best, best_val = list(st.chosen), st.value
        st.move_to(best)
    rng = np.random.default_rng(seed)
    rounds = stall = 0
    if k < 2:
        return best, best_val, rounds
    while rounds < max_rounds and stall < max_stall and time.perf_counter() < deadline:
        rounds += 1
        stall += 1
        r = int(rng.integers(2, max(2, min(k // 2, 8)) + 1))
        # drop a random site and chosen sites near it (sharing demand with it, then with them)
        j0 = best[int(rng.integers(k))]
        drop = [j0]
        frontier = [j0]
        while frontier and len(drop) < r:
            j = frontier.pop(0)
            near = np.flatnonzero((st._row_push(_col_rows(csc, j)) > 0) & st.in_set)
            near = [int(q) for q in rng.permutation(near) if q not in drop]
            for q in near[: r - len(drop)]:
                drop.append(q)
                frontier.append(q)
        for j in drop:
            st.remove(j)
        ok = allowed.copy()
        ok[drop] = False
        st.greedy_fill(k, ok)
        st.greedy_fill(k, allowed)
        st.local_search(allowed, deadline, tol)
        if st.value > best_val + tol:
            best, best_val = list(st.chosen), st.value
            stall = 0
        elif st.value < best_val - tol:
            st.move_to(best)
        else:
            best = list(st.chosen)  # equal value: move along the plateau
    return best, best_val, rounds


# --------------------------------------------------------------------------- exact


class _quiet_stdout:
    """Silence the HiGHS banner that highspy prints on fd 1 when the first Highs() is built."""

    def __enter__(self) -> None:
        try:
            sys.stdout.flush()
            self._fd = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
        except OSError:  # pragma: no cover - no real fd 1
            self._fd = None

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.dup2(self._fd, 1)
            os.close(self._fd)


def _milp(
    a_csc: sp.csc_matrix,
    w: np.ndarray,
    k: int,
    *,
    allowed: np.ndarray,
    warm: Sequence[int],
    conflicts: list[set[int]] | None,
    site_groups: list[tuple[Any, np.ndarray, int]],
    share_groups: list[tuple[Any, np.ndarray, float]],
    time_limit_s: float,
    col_obj: np.ndarray | None = None,
    highs_presolve: bool = True,
) -> tuple[list[int] | None, float, float, str]:
    """Solve the MILP with highspy (``col_obj``: weight a column earns by itself, from
    demand rows only it covers; ``highs_presolve=False`` when the model was already
    reduced: HiGHS's presolve then only costs time). Returns (chosen, value, dual bound, status) where status
    is "optimal", "feasible" (time limit with an incumbent), "infeasible" or "failed"."""
    import highspy

    n, m = a_csc.shape
    # columns: x_0..x_{m-1}, y_0..y_{n-1}
    # rows: (1) y_i - sum_j a_ij x_j <= 0 ; (2) sum x <= k ; (3) groups ; (4) spacing
    a_coo = a_csc.tocoo()
    r_rows = [a_coo.row, np.arange(n)]
    r_cols = [a_coo.col, m + np.arange(n)]
    r_vals = [-np.ones(a_coo.nnz), np.ones(n)]
    lower = [np.full(n, -np.inf)]
    upper = [np.zeros(n)]
    nrow = n
    r_rows.append(np.full(m, nrow))
    r_cols.append(np.arange(m))
    r_vals.append(np.ones(m))
    lower.append(np.array([-np.inf]))
    upper.append(np.array([float(k)]))
    nrow += 1
    for _, cols, need in site_groups:
        r_rows.append(np.full(len(cols), nrow))
        r_cols.append(cols)
        r_vals.append(np.ones(len(cols)))
        lower.append(np.array([float(need)]))
        upper.append(np.array([np.inf]))
        nrow += 1
    for _, rows, need_w in share_groups:
        r_rows.append(np.full(len(rows), nrow))
        r_cols.append(m + rows)
        r_vals.append(w[rows])
        lower.append(np.array([float(need_w)]))
        upper.append(np.array([np.inf]))
        nrow += 1
    if conflicts:
        for i in range(m):
            for j in conflicts[i]:
                if i < j:
                    r_rows.append(np.array([nrow, nrow]))
                    r_cols.append(np.array([i, j]))
                    r_vals.append(np.ones(2))
                    lower.append(np.array([-np.inf]))
                    upper.append(np.array([1.0]))
                    nrow += 1
    mat = sp.csc_matrix(
        (np.concatenate(r_vals), (np.concatenate(r_rows), np.concatenate(r_cols))),
        shape=(nrow, m + n),
    )
    mat.sort_indices()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = m + n
    lp.num_row_ = nrow
    x_obj = np.zeros(m) if col_obj is None else np.asarray(col_obj, dtype=float)
    lp.col_cost_ = np.concatenate([x_obj, w]).astype(float)
    lp.col_lower_ = np.zeros(m + n)
    lp.col_upper_ = np.concatenate([allowed.astype(float), np.ones(n)])
    lo = np.concatenate(lower)
    hi = np.concatenate(upper)
    lp.row_lower_ = np.where(np.isinf(lo), -inf, lo)
    lp.row_upper_ = np.where(np.isinf(hi), inf, hi)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data.astype(float)
    lp.a_matrix_.num_col_ = m + n
    lp.a_matrix_.num_row_ = nrow
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * n
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.05)))
    h.setOptionValue("mip_rel_gap", 1e-9)
    # integer weights => integer objective: a gap below 1 already proves optimality
    integral = bool(np.all(np.abs(w - np.round(w)) < 1e-9)) and bool(np.all(np.abs(x_obj - np.round(x_obj)) < 1e-9))
    h.setOptionValue("mip_abs_gap", 1.0 - 1e-6 if integral else 1e-9)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if not highs_presolve:
        h.setOptionValue("presolve", "off")
    h.passModel(lp)
    if warm:
        x0 = np.zeros(m)
        x0[list(warm)] = 1.0
        covered = _covered_mask(a_csc, list(warm)).astype(float)
        sol = highspy.HighsSolution()
        sol.col_value = list(np.concatenate([x0, covered]))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    if ms == highspy.HighsModelStatus.kInfeasible:
        return None, 0.0, 0.0, "infeasible"
    if info.primal_solution_status < 2:  # no feasible point
        return None, 0.0, float(info.mip_dual_bound), "failed"
    xs = np.asarray(h.getSolution().col_value[:m])
    chosen = [int(j) for j in np.flatnonzero(xs > 0.5)]
    value = float(w[_covered_mask(a_csc, chosen)].sum()) + float(x_obj[chosen].sum())
    bound = float(info.mip_dual_bound)
    status = "optimal" if ms == highspy.HighsModelStatus.kOptimal else "feasible"
    return chosen, value, bound, status


def _presolved_milp(
    arc: sp.csc_matrix,
    wr: np.ndarray,
    k: int,
    *,
    allowed: np.ndarray,
    warm: Sequence[int],
    time_limit_s: float,
) -> tuple[list[int] | None, float, float, str, str]:
    """MILP for the unconstrained problem after exact reductions:

    * a row only one column covers becomes part of that column's objective coefficient;
    * a column whose remaining rows are a subset of another column's and whose objective
      coefficient is not larger is dropped (some optimal solution avoids it: swap it for
      the dominating column, or for any free column);
    * rows that became identical are merged again; repeated while columns drop (dropping
      columns makes more rows single-cover).

    Returns (chosen in original columns, value, bound, status, note).
    """
    keep = np.flatnonzero(allowed)
    a_cur = sp.csr_matrix(arc[:, keep])
    w_cur = np.asarray(wr, dtype=float)
    col_obj = np.zeros(len(keep))
    n_dom = n_single = 0
    for _round in range(10):
        # fold rows only one column covers into that column's objective coefficient
        red = reduce_demand(a_cur, w_cur)
        a2 = red.matrix
        single = np.diff(a2.indptr) == 1
        np.add.at(col_obj, a2.indices[a2.indptr[:-1][single]], red.weights[single])
        n_single += int(single.sum())
        a_cur, w_cur = a2[~single], red.weights[~single]
        # column i is dominated by column j when rows(i) <= rows(j) and obj(i) <= obj(j)
        # (ties: the lower index stays); dominance is a strict order, so dropping every
        # dominated column at once keeps a dominating one for each
        sub = sp.csc_matrix(a_cur, dtype=np.int32)
        cnt = np.diff(sub.indptr)
        inter = (sub.T @ sub).tocoo()
        i, j, v = inter.row, inter.col, inter.data
        sel = (
            (i != j) & (v == cnt[i]) & (col_obj[i] <= col_obj[j])
            & ((cnt[j] > cnt[i]) | (col_obj[j] > col_obj[i]) | (j < i))
        )
        dominated = np.zeros(len(keep), dtype=bool)
        dominated[i[sel]] = True
        dominated |= (cnt == 0) & (col_obj <= 0)
        if not dominated.any() or len(keep) - int(dominated.sum()) < k:
            break  # (keep enough columns to spend the budget)
        n_dom += int(dominated.sum())
        keep, col_obj = keep[~dominated], col_obj[~dominated]
        a_cur = sp.csr_matrix(sp.csc_matrix(a_cur)[:, np.flatnonzero(~dominated)])
    a3 = sp.csc_matrix(a_cur)
    w3 = w_cur
    pos = {int(c): q for q, c in enumerate(keep)}
    warm2: list[int] = []
    for c in warm:
        if int(c) in pos:
            warm2.append(pos[int(c)])
    # a dropped warm column is replaced greedily (a dominating column is at least as good)
    if len(set(warm2)) < len(warm):
        st = _State(a3, w3, warm2)
        left = [q for q in range(len(keep)) if q not in set(warm2)]
        while len(warm2) < min(k, len(keep)) and left:
            gains = [st.gain(q) + col_obj[q] for q in left]
            q = left.pop(int(np.argmax(gains)))
            warm2.append(q)
            st.add(q)
    note = (
        f"exact presolve: {n_dom} dominated candidates dropped, "
        f"{n_single} single-cover demand rows folded into the objective"
    )
    sol, val, dual, status = _milp(
        a3,
        w3,
        k,
        allowed=np.ones(len(keep), dtype=bool),
        warm=sorted(set(warm2)),
        conflicts=None,
        site_groups=[],
        share_groups=[],
        time_limit_s=time_limit_s,
        col_obj=col_obj,
        highs_presolve=False,
    )
    if sol is None:
        return None, val, dual, status, note
    chosen = [int(keep[q]) for q in sol]
    value = float(wr[_covered_mask(arc, chosen)].sum())
    return chosen, value, dual, status, note


# --------------------------------------------------------------------------- entry point


def maximize_coverage(
    a: sp.spmatrix,
    w: Any,
    budget: int,
    *,
    method: SolveMethod = "auto",
    time_limit_s: float = 20.0,
    existing: Sequence[int] = (),
    min_per_group: int | Mapping[Any, int] | None = None,
    group_of_candidate: Any = None,
    min_share_per_group: float | Mapping[Any, float] | None = None,
    group_of_demand: Any = None,
    min_spacing_m: float = 0.0,
    cand_xy: Any = None,
    seed: int = 0,
    reduce: bool = True,
) -> CoverageSolution:
    """Choose ``budget`` candidate columns of ``a`` that cover the most demand weight.

    Parameters
    ----------
    a
        Sparse (demand x candidate) 0/1 coverage matrix.
    w
        Demand weights (length n, non-negative).
    budget
        Number of new sites (existing sites come on top).
    method
        ``"greedy"`` (lazy greedy + swap), ``"exact"`` (HiGHS MILP warm-started from
        greedy, time-limited) or ``"auto"`` (see the module docstring).
    time_limit_s
        Wall-clock budget of the swap search + bound + MILP.
    existing
        Candidate columns already in place: they cover, take no budget, and cannot be chosen.
    min_per_group, group_of_candidate
        Minimum number of sites (existing ones count) per candidate group; a scalar applies
        to every group in ``group_of_candidate``.
    min_share_per_group, group_of_demand
        Minimum covered share of each demand group's weight.
    min_spacing_m, cand_xy
        Two chosen sites (or a chosen and an existing one) closer than this are not allowed.
    seed
        Reserved for randomised tie-breaking (the solvers are deterministic).
    reduce
        Apply :func:`reduce_demand` first (exact; disable only for debugging).

    Raises
    ------
    InputDataError
        Bad arguments (budget larger than the free candidates, weights of the wrong length,
        negative weights, unknown method).
    InfeasiblePlanError
        A per-group minimum cannot be met; the message names the group.
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise InputDataError(f"method must be one of {list(METHODS)}, got {method!r}")
    a = sp.csr_matrix(a)
    n, m = a.shape
    w = np.asarray(w, dtype=float).ravel()
    if len(w) != n:
        raise InputDataError(f"weights have {len(w)} values for {n} demand rows")
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputDataError("demand weights must be finite and >= 0")
    existing = [int(j) for j in existing]
    if len(set(existing)) != len(existing) or any(j < 0 or j >= m for j in existing):
        raise InputDataError(f"existing sites must be distinct column indices in [0, {m})")
    if isinstance(budget, bool) or int(budget) != budget or budget < 0:
        raise InputDataError(f"budget must be a whole number >= 0, got {budget!r}")
    budget = int(budget)
    free = m - len(existing)
    if budget > free:
        raise InputDataError(
            f"budget {budget} is larger than the {free} candidate sites available; "
            "lower the budget or add candidates"
        )
    total = float(w.sum())
    notes: list[str] = []
    g_cand = None if group_of_candidate is None else np.asarray(group_of_candidate, dtype=object)
    g_dem = None if group_of_demand is None else np.asarray(group_of_demand, dtype=object)
    if g_cand is not None and len(g_cand) != m:
        raise InputDataError(f"group_of_candidate has {len(g_cand)} labels for {m} candidates")
    if g_dem is not None and len(g_dem) != n:
        raise InputDataError(f"group_of_demand has {len(g_dem)} labels for {n} demand rows")
    min_sites = _norm_min(min_per_group, g_cand, "min_per_group", int)
    min_share = _norm_min(min_share_per_group, g_dem, "min_share_per_group", float)
    conflicts = _conflicts(cand_xy, min_spacing_m, m)

    # ---- reduce: rows covered by existing sites are done; merge identical rows
    csc_full = a.tocsc()
    cov_exist = _covered_mask(csc_full, existing)
    existing_weight = float(w[cov_exist].sum())
    keep_rows = np.flatnonzero(~cov_exist)
    a_rest = a[keep_rows]
    w_rest = w[keep_rows]
    g_rest = None if g_dem is None else g_dem[keep_rows]
    if reduce:
        red = reduce_demand(a_rest, w_rest, groups=g_rest if min_share else None)
        ar, wr = red.matrix, red.weights
        gr = red.groups if min_share else None
    else:
        nz = np.diff(a_rest.indptr) > 0
        ar, wr = sp.csr_matrix(a_rest[nz], dtype=np.uint8), w_rest[nz]
        gr = g_rest[nz] if (g_rest is not None and min_share) else None
    arc = ar.tocsc()
    allowed = np.ones(m, dtype=bool)
    allowed[existing] = False
    if conflicts:
        for j in existing:
            allowed[list(conflicts[j])] = False

    # ---- feasibility of the group constraints (naming the group)
    existing_per_group: dict[Any, int] = {}
    site_groups: list[tuple[Any, np.ndarray, int]] = []
    if min_sites:
        for j in existing:
            existing_per_group[g_cand[j]] = existing_per_group.get(g_cand[j], 0) + 1
        total_need = 0
        for grp, need in min_sites.items():
            need_left = need - existing_per_group.get(grp, 0)
            if need_left <= 0:
                continue
            cols = np.flatnonzero((g_cand == grp) & allowed)
            if len(cols) < need_left:
                raise InfeasiblePlanError(
                    f"precinct {grp!r} needs {need} sites but has only "
                    f"{len(cols) + existing_per_group.get(grp, 0)} candidate sites; "
                    "lower its minimum or add venues there"
                )
            total_need += need_left
            site_groups.append((grp, cols, need_left))
        if total_need > budget:
            names = ", ".join(repr(g) for g, _, _ in site_groups)
            raise InfeasiblePlanError(
                f"the per-precinct minimums need {total_need} new sites but the budget is "
                f"{budget} (precincts {names}); raise the budget or lower the minimums"
            )
    share_groups: list[tuple[Any, np.ndarray, float]] = []
    if min_share:
        for grp, share in min_share.items():
            w_grp = float(w[g_dem == grp].sum())
            if w_grp <= 0:
                continue
            need_w = share * w_grp - float(w[(g_dem == grp) & cov_exist].sum())
            if need_w <= 1e-9 * w_grp:
                continue
            rows = np.flatnonzero(gr == grp)
            reachable = float(wr[rows].sum())
            if reachable + 1e-9 < need_w:
                best_share = (reachable + float(w[(g_dem == grp) & cov_exist].sum())) / w_grp
                raise InfeasiblePlanError(
                    f"precinct {grp!r} needs {share:.0%} of its demand covered but no choice of "
                    f"sites reaches more than {best_share:.0%}; lower its minimum share or add venues"
                )
            share_groups.append((grp, rows, need_w * (1 - 1e-9)))

    deadline = t0 + float(time_limit_s)

    # ---- greedy (+ seeding of group constraints)
    st = _State(arc, wr, [])
    chosen: list[int] = []
    for grp, cols, need_left in site_groups:
        ok = np.zeros(m, dtype=bool)
        ok[cols] = True
        ok &= allowed
        got = _lazy_greedy(st, need_left, ok, chosen, conflicts)
        if len(got) < need_left:
            raise InfeasiblePlanError(
                f"precinct {grp!r}: could not place {need_left} sites that respect the minimum "
                "spacing; lower the spacing or the minimum"
            )
    if site_groups:
        notes.append("greedy seeded the per-precinct site minimums first")
    for grp, rows, need_w in share_groups:
        mask = np.zeros(arc.shape[0], dtype=bool)
        mask[rows] = True

        def unmet(rows: np.ndarray = rows, need_w: float = need_w) -> bool:
            return float(wr[rows][st.cnt[rows] > 0].sum()) >= need_w

        _lazy_greedy(st, budget - len(chosen), allowed, chosen, conflicts, row_mask=mask, stop_when=unmet)
    if share_groups:
        notes.append("greedy seeded the per-precinct covered-share minimums first")
    _lazy_greedy(st, budget - len(chosen), allowed, chosen, conflicts)
    if conflicts:
        notes.append("greedy honours the minimum spacing by skipping sites too close to chosen ones")
    if len(chosen) < budget:
        notes.append(
            f"only {len(chosen)} of {budget} sites could be placed (spacing leaves no more candidates)"
        )

    def share_ok(cols: Sequence[int]) -> list[Any]:
        cov = _covered_mask(arc, cols)
        return [g for g, rows, need_w in share_groups if float(wr[rows][cov[rows]].sum()) < need_w]

    # ---- swap local search (not with share constraints: a swap could break them)
    milp_eligible = method == "exact" or (method == "auto" and arc.nnz <= AUTO_EXACT_MAX_NNZ)
    tol = 1e-9 * max(1.0, float(wr.sum()))
    if not share_groups and not site_groups and not conflicts and chosen:
        # unconstrained: incremental swap search + iterated local search (perturb, refill, swap)
        # before a MILP a short search suffices unless the MILP is unlikely to finish (large)
        ls_share = (0.01 if arc.nnz <= 100_000 else 0.03) if milp_eligible else 0.1
        ls_deadline = min(deadline, time.perf_counter() + max(0.3, ls_share * time_limit_s))
        greedy_value = st.value()
        ls_cols, ls_value, rounds = _iterated_local_search(
            ar, arc, wr, list(chosen), allowed, deadline=ls_deadline, seed=seed,
            max_stall=10 if (milp_eligible and arc.nnz <= 100_000) else 30,
        )
        if ls_value > greedy_value + tol:
            chosen[:] = ls_cols
            st = _State(arc, wr, chosen)
            notes.append(
                f"local search ({rounds} perturbation rounds) improved greedy by {ls_value - greedy_value:.6g}"
            )
    elif not share_groups and chosen:
        swap_deadline = min(deadline, time.perf_counter() + max(0.5, 0.25 * time_limit_s))
        n_sw = _swap_search(st, chosen, allowed, conflicts, g_cand, min_sites, existing_per_group, swap_deadline)
        if n_sw:
            notes.append(f"swap local search improved greedy by {n_sw} swap(s)")
    heur_value = st.value()
    greedy_unmet = share_ok(chosen)

    # ---- bound (ignores constraints => valid for the constrained problem too)
    start = wr * (st.cnt == 0)
    # without a MILP to follow, the bound is all that is left to do: it gets the remaining time
    bound_share = 0.5 if milp_eligible else 0.9
    bound_time = max(0.2, min(bound_share * time_limit_s, deadline - time.perf_counter()))
    # when the MILP will run, a short Lagrangian suffices (it may prove greedy optimal early)
    red_bound, lag_set, lag_value, lam = _lagrangian(
        ar, wr, budget, lower=heur_value, start=start, time_limit_s=bound_time,
        max_iter=150 if milp_eligible else 100_000, stall_limit=20 if milp_eligible else 30,
    )
    if (
        milp_eligible
        and lam is not None
        and arc.nnz > 10_000  # below this the MILP is quicker than more subgradient steps
        and red_bound - max(heur_value, lag_value) > 1e-9 * max(1.0, red_bound)
    ):
        # the MILP will run: better multipliers pay off (tighter bound, more columns fixed)
        more_time = max(0.1, min(0.15 * time_limit_s, deadline - time.perf_counter()))
        b2, s2, v2, lam2 = _lagrangian(
            ar, wr, budget, lower=max(heur_value, lag_value), start=lam, time_limit_s=more_time, max_iter=1500,
            stall_limit=60,
        )
        if b2 < red_bound:
            red_bound, lam = b2, lam2
        if v2 > lag_value:
            lag_set, lag_value = s2, v2
    red_bound = min(red_bound, float(wr.sum()))
    if (
        lag_set is not None
        and lag_value > heur_value + 1e-9 * max(1.0, heur_value)
        and not conflicts
        and not site_groups
        and not share_groups
    ):
        chosen[:] = lag_set
        st = _State(arc, wr, chosen)
        heur_value = st.value()
        notes.append("a Lagrangian top-k set beat greedy + swap")
    best_cols, best_value = list(chosen), heur_value
    used = "exact" if method == "exact" else "greedy"  # exact: proven by the bound, or by the MILP below
    status = "feasible"
    if greedy_unmet:
        best_value = -np.inf  # the heuristic answer breaks a constraint

    gap_open = red_bound - heur_value > tol or bool(greedy_unmet)
    run_exact = gap_open and (method == "exact" or (method == "auto" and arc.nnz <= AUTO_EXACT_MAX_NNZ))
    if method == "auto" and arc.nnz > AUTO_EXACT_MAX_NNZ and red_bound - heur_value > tol:
        notes.append(
            f"auto: reduced matrix has {arc.nnz} non-zeros (> {AUTO_EXACT_MAX_NNZ}); "
            "kept the heuristic answer and its bound"
        )
    if run_exact and budget > 0 and arc.shape[0] > 0:
        remaining = deadline - time.perf_counter()
        if not conflicts and not site_groups and not share_groups:
            sol, val, dual, mstatus, enotes = _exact_by_thresholds(
                arc, ar, wr, budget, allowed=allowed, warm=list(chosen), lam=lam,
                lower=heur_value, upper=red_bound, deadline=time.perf_counter() + max(remaining, 1.0),
            )
            notes.extend(enotes)
        else:
            sol, val, dual, mstatus = _milp(
                arc,
                wr,
                budget,
                allowed=allowed,
                warm=[] if greedy_unmet else chosen,
                conflicts=conflicts,
                site_groups=site_groups,
                share_groups=share_groups,
                time_limit_s=max(remaining, 1.0),
            )
        if mstatus == "infeasible":
            names = ", ".join(repr(g) for g in [g for g, _, _ in site_groups] + [g for g, _, _ in share_groups])
            raise InfeasiblePlanError(
                f"the per-precinct minimums cannot all be met with {budget} sites "
                f"(precincts {names}); raise the budget or lower the minimums"
            )
        if sol is not None:
            used = "exact" if method == "exact" else "greedy+exact"
            if val > best_value + tol or (greedy_unmet and not share_ok(sol)):
                best_cols, best_value = sol, val
            if mstatus == "optimal":
                red_bound = min(red_bound, max(val, best_value))
            else:
                red_bound = min(red_bound, dual)
                notes.append("exact: time limit reached; best solution and HiGHS bound reported")
        elif mstatus == "failed":
            notes.append("exact: HiGHS found no solution within the time limit")
    if best_value == -np.inf:
        raise InfeasiblePlanError(
            f"greedy could not meet the covered-share minimum of precincts {greedy_unmet!r} "
            f"with {budget} sites; use method='exact' or raise the budget"
        )
    red_bound = max(red_bound, best_value)
    if red_bound - best_value <= tol:
        status = "optimal"
        red_bound = best_value
    # pad to the budget with zero-gain sites (ties) so that exactly `budget` sites are listed
    if len(best_cols) < budget:
        st2 = _State(arc, wr, best_cols)
        _lazy_greedy(st2, budget - len(best_cols), allowed, best_cols, conflicts)
    order, gains = rank_order(arc, wr, best_cols)
    value = existing_weight + best_value
    ub = existing_weight + red_bound
    gap = (ub - value) / ub if ub > 0 else 0.0
    if gap < 1e-12:
        gap = 0.0
    return CoverageSolution(
        chosen=tuple(int(j) for j in order),
        covered_weight=float(value),
        total_weight=total,
        upper_bound=float(ub),
        gap=float(gap),
        status=status,
        method=used,
        seconds=time.perf_counter() - t0,
        marginal=tuple(float(g) for g in gains),
        existing=tuple(existing),
        existing_weight=existing_weight,
        notes=tuple(notes),
    )


# =========================================================================== curve and gaps


def coverage_curve(
    a: sp.spmatrix,
    w: Any,
    k_max: int,
    *,
    existing: Sequence[int] = (),
) -> pd.DataFrame:
    """Covered weight and share for k = 0 .. k_max sites.

    The curve is the greedy nested sequence (site k+1 added to the first k), so it is
    monotone and each point is within (1 - 1/e) of the best k-set; ``k = 0`` is what
    ``existing`` sites cover. Columns: ``k, covered_weight, covered_share``.
    """
    a = sp.csr_matrix(a)
    w = np.asarray(w, dtype=float)
    total = float(w.sum())
    m = a.shape[1]
    k_max = int(min(k_max, m - len(existing)))
    csc = a.tocsc()
    st = _State(csc, w, list(existing))
    allowed = np.ones(m, dtype=bool)
    allowed[list(existing)] = False
    chosen: list[int] = list(existing)
    base = st.value()
    added = _lazy_greedy(st, k_max, allowed, chosen, None)
    cov = _covered_mask(csc, list(existing))
    vals = [base]
    for j in added:
        cov[_col_rows(csc, j)] = True
        vals.append(float(w[cov].sum()))
    df = pd.DataFrame({"k": np.arange(len(vals), dtype=int), "covered_weight": vals})
    df["covered_share"] = df["covered_weight"] / total if total > 0 else 0.0
    return df


def gap_analysis(a: sp.spmatrix, w: Any, existing: Sequence[int]) -> pd.DataFrame:
    """What each existing site covers alone and in addition to the others.

    Returns one row per existing site (``site`` = column index, ``role="existing"``) with
    ``covered_weight`` (alone), ``unique_weight`` (covered by no other existing site: what
    is lost if it moves) and their shares of the total, plus a final row ``role="uncovered"``
    (``site=-1``) with the weight no existing site covers.
    """
    csc = sp.csc_matrix(a)
    w = np.asarray(w, dtype=float)
    total = float(w.sum())
    cnt = np.zeros(csc.shape[0], dtype=np.int32)
    for j in existing:
        cnt[_col_rows(csc, j)] += 1
    recs = []
    for j in existing:
        rows = _col_rows(csc, j)
        alone = float(w[rows].sum())
        unique = float(w[rows][cnt[rows] == 1].sum())
        recs.append({"site": int(j), "role": "existing", "covered_weight": alone, "unique_weight": unique})
    unc = float(w[cnt == 0].sum())
    recs.append({"site": -1, "role": "uncovered", "covered_weight": unc, "unique_weight": unc})
    df = pd.DataFrame(recs, columns=["site", "role", "covered_weight", "unique_weight"])
    df["covered_share"] = df["covered_weight"] / total if total > 0 else 0.0
    df["unique_share"] = df["unique_weight"] / total if total > 0 else 0.0
    return df
