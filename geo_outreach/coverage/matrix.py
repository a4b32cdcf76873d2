"""Geometry -> sparse coverage matrix: straight-line and walking distance, service areas.

``A`` is a ``scipy.sparse.csr_matrix`` of shape (demand, candidate), ``A[i, j] = 1`` when
candidate ``j`` reaches demand point ``i``:

* :func:`coverage_matrix_euclidean` - straight-line distance (KD-tree pairs within radius);
* :func:`coverage_matrix_network` - walking distance on the street graph: both points are
  snapped to their nearest street segment, and the walk is
  ``access(candidate) + network path + access(demand)``; cutoff-limited multi-source Dijkstra
  (``scipy.sparse.csgraph.dijkstra(limit=...)``) in chunks of candidate nodes;
* :func:`service_areas` - the walking service area polygon of each candidate, for maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from geo_outreach._errors import InputDataError
from geo_outreach.coverage._arrays import FloatArray, IntArray, LabelArray, as_xy, check_radius
from geo_outreach.coverage.snap import SnapMemo, nearest_segments

if TYPE_CHECKING:
    import networkx as nx
    import shapely


def coverage_matrix_euclidean(
    demand_xy: ArrayLike, cand_xy: ArrayLike, radius_m: float
) -> sp.csr_matrix:
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
    r = check_radius(radius_m)
    d = as_xy(demand_xy, "demand")
    c = as_xy(cand_xy, "candidates")
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
class StreetAccess:
    """How points reach the street network (see :meth:`StreetIndex.access`).

    Two entries per point (one per end node of its nearest segment), or one per point (its
    nearest node) when the index has no edges.
    """

    point: IntArray  # index of the point
    node: IntArray  # graph node index the entry walks to
    extra: FloatArray  # metres from the point to ``node`` (perpendicular + along the street)
    edge: IntArray  # segment index, -1 without edges
    offset: FloatArray  # position along the segment in metres from ``edge_u``


def _no_edges() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _no_lengths() -> FloatArray:
    return np.zeros(0)


#: issue 14: points a :class:`StreetIndex` remembers the snap of (then it starts again)
MEMO_POINTS = 5_000_000


@dataclass(frozen=True)
class StreetIndex:
    """A street graph prepared for repeated coverage queries (see :func:`prepare_network`).

    Streets are the undirected node pairs of the graph (shortest parallel edge), drawn as
    straight segments between their nodes; a point is snapped to the nearest segment.
    """

    node_ids: LabelArray  # graph node id per index
    xy: FloatArray  # (N, 2) node coordinates in metres
    adjacency: sp.csr_matrix  # symmetric, shortest parallel edge length in metres
    tree: cKDTree = field(repr=False)  # on xy
    edge_u: IntArray = field(default_factory=_no_edges, repr=False)
    edge_v: IntArray = field(default_factory=_no_edges, repr=False)
    edge_len: FloatArray = field(default_factory=_no_lengths, repr=False)
    edge_tree: shapely.STRtree | None = field(default=None, repr=False)  # on the segments
    edge_geoms: LabelArray | None = field(default=None, repr=False)
    # issue 14: walking channels share demand points; snapping 1M points takes ~13 s
    _memo: SnapMemo = field(default_factory=lambda: SnapMemo(), repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes."""
        return len(self.node_ids)

    def snap(self, xy: ArrayLike) -> tuple[IntArray, FloatArray]:
        """Nearest node index and straight-line snapping distance (m) for each point."""
        pts = as_xy(xy, "points")
        if len(pts) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        dist, idx = self.tree.query(pts)
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)

    def access(self, xy: ArrayLike, max_distance: float | None = None) -> StreetAccess:
        """How each point reaches the network: its nearest street segment.

        Walking from a point to an end node of its segment costs the perpendicular distance
        plus the part of the street to that end; ``offset`` is the position along the
        segment (for same-street pairs). Without edges, points use their nearest node.
        With ``max_distance`` (metres), points farther than that from every street get no
        entry (issue 14: the bounded search is several times faster; the segment found for
        the other points is the same).
        """
        pts = as_xy(xy, "points")
        n = len(pts)
        if n == 0 or self.edge_tree is None or self.edge_geoms is None or len(self.edge_u) == 0:
            node, d = self.snap(pts)
            idx = np.arange(n)
            return StreetAccess(idx, node, d, np.full(n, -1, dtype=np.int64), np.zeros(n))
        seg, perp, frac = self.segments(pts, max_distance)
        src = np.flatnonzero(seg >= 0)
        e, perp = seg[src], perp[src]
        length = self.edge_len[e]
        off = frac[src] * length
        return StreetAccess(
            point=np.concatenate([src, src]),
            node=np.concatenate([self.edge_u[e], self.edge_v[e]]),
            extra=np.concatenate([perp + off, perp + (length - off)]),
            edge=np.concatenate([e, e]),
            offset=np.concatenate([off, off]),
        )

    def segments(
        self, pts: FloatArray, max_distance: float | None = None
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """Nearest segment of each point (-1: none), its distance and position (0-1) along it.

        Points this index has snapped before are looked up, not snapped again (issue 14),
        unless they found no segment within a smaller ``max_distance`` than this one.
        """
        memo = self._memo
        bound = np.inf if max_distance is None else float(max_distance)
        search = max(bound, memo.floor)  # issue 14: see :meth:`snap_within`
        keys = pts[:, 0] + 1j * pts[:, 1]  # both coordinates, exactly
        known = memo.recall(pts)
        if known is None:
            known = memo.lookup(keys)
        new = np.flatnonzero(known < 0)
        if len(new) and len(memo.keys) + len(new) > MEMO_POINTS:
            memo.reset()  # too many points: start again
            known, new = np.full(len(pts), -1), np.arange(len(pts))
        hit = known[known >= 0]
        redo = np.unique(hit[(memo.seg[hit] < 0) & (memo.bound[hit] < bound)])
        if len(redo):  # nothing within a smaller bound: search again within this one
            xy = np.c_[memo.keys[redo].real, memo.keys[redo].imag]
            memo.put(redo, *self._nearest_segments(xy, search), np.full(len(redo), search))
        if len(new):
            uniq, first, inv = np.unique(keys[new], return_index=True, return_inverse=True)
            known[new] = len(memo.keys) + inv
            found = self._nearest_segments(pts[new[first]], search)
            memo.add(uniq, *found, np.full(len(uniq), search))
        memo.remember(pts, known)
        return memo.seg[known].astype(np.int64), memo.perp[known], memo.frac[known]

    def snap_within(self, bound: float) -> None:
        """Search the nearest segment of new points at least ``bound`` metres far from now on.

        Issue 14: a plan's walking channels share their demand points; searched once within
        the largest radius (+1 m), they are not searched again for each larger one. The
        segment found for a point is the same whatever the bound it is found within.
        """
        self._memo.floor = max(self._memo.floor, float(bound))

    def _nearest_segments(
        self, pts: FloatArray, bound: float = np.inf
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Snap points to their nearest segment (see :func:`snap.nearest_segments`)."""
        assert self.edge_tree is not None and self.edge_geoms is not None
        return nearest_segments(self.edge_tree, self.edge_geoms, pts, bound, self._memo)


def prepare_network(graph: nx.Graph | StreetIndex) -> StreetIndex:
    """Prepare a street graph for coverage queries.

    Turns an osmnx/networkx graph (projected, edge attribute ``length`` in metres) into a
    symmetric scipy CSR matrix (walking ignores one-way streets), a node KD-tree and an
    STRtree of street segments for snapping. Parallel edges keep their shortest length;
    edges without ``length`` use the straight line between their nodes.

    Parameters
    ----------
    graph
        networkx graph, or a :class:`StreetIndex` (returned as is).

    Returns
    -------
    StreetIndex
        The prepared graph.
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
        raise InputDataError(
            "street graph nodes need 'x' and 'y' attributes (project it with osmnx)"
        ) from None
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


# --------------------------------------------------------------------------- walking pairs


@dataclass(frozen=True)
class WalkPairs:
    """(demand row, candidate column, walking distance) of every pair within the radius."""

    rows: IntArray
    cols: IntArray
    dist: FloatArray


@dataclass
class _PairLists:
    """Pairs collected piece by piece; :meth:`shortest` keeps the shortest walk per pair."""

    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    dist: list[FloatArray] = field(default_factory=list)

    def append(self, rows: IntArray, cols: IntArray, dist: FloatArray) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.dist.append(dist)

    def shortest(self) -> WalkPairs:
        if not self.rows:
            e = np.zeros(0, dtype=np.int64)
            return WalkPairs(e, e, np.zeros(0))
        rows = np.concatenate(self.rows)
        cols = np.concatenate(self.cols)
        dist = np.concatenate(self.dist)
        # several routes per pair (two ends of each street, or along the street): keep the shortest
        # issue 14: one integer key (rows x columns < 2**62) and the minimum per pair: the
        # pairs, order and distances of ``np.lexsort((dist, cols, rows))``, ~2x faster
        key = rows * (int(cols.max()) + 1) + cols
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        at = np.flatnonzero(first)
        return WalkPairs(rows[order[at]], cols[order[at]], np.minimum.reduceat(dist[order], at))


def _on_street(a: StreetAccess, half: int, name: str) -> pd.DataFrame:
    """Point, segment, position along it and distance to it (the first entry of each point)."""
    off = a.offset[:half]
    return pd.DataFrame(
        {name: a.point[:half], "edge": a.edge[:half], "off": off, "perp": a.extra[:half] - off}
    )


def _same_street_pairs(d: StreetAccess, c: StreetAccess, radius_m: float, out: _PairLists) -> None:
    """Pairs on the same street segment: walk along it directly."""
    if not (len(d.edge) and (d.edge >= 0).any()):
        return
    half_d = len(d.point) // 2 if (d.edge >= 0).all() else len(d.point)
    half_c = len(c.point) // 2 if (c.edge >= 0).all() else len(c.point)
    dd, cc = _on_street(d, half_d, "row"), _on_street(c, half_c, "col")
    dd = dd[dd["perp"] <= radius_m]
    cc = cc[cc["perp"] <= radius_m]
    both = dd.merge(cc, on="edge", suffixes=("_d", "_c"))
    if len(both):
        direct = (
            both["perp_d"] + both["perp_c"] + (both["off_d"] - both["off_c"]).abs()
        ).to_numpy()
        keep = direct <= radius_m
        out.append(
            both["row"].to_numpy()[keep].astype(np.int64),
            both["col"].to_numpy()[keep].astype(np.int64),
            direct[keep],
        )


@dataclass(frozen=True)
class _DemandByNode:
    """Demand access entries within the radius, grouped by graph node."""

    entries: IntArray  # access entry indices, sorted by node
    nodes: IntArray  # distinct nodes
    start: IntArray  # first entry of each node in ``entries``
    counts: IntArray  # entries per node


@dataclass(frozen=True)
class _CandidatesBySource:
    """Candidate access entries within the radius, grouped by source node."""

    nodes: IntArray  # distinct source nodes
    min_extra: FloatArray  # shortest access walk per source node
    entries: IntArray  # access entry indices, grouped by source node
    bounds: IntArray  # entries[bounds[s]:bounds[s + 1]] start at nodes[s]


def _group_demand(d: StreetAccess, ok_d: IntArray) -> _DemandByNode:
    d_order = ok_d[np.argsort(d.node[ok_d], kind="stable")]
    uniq_dn, start = np.unique(d.node[d_order], return_index=True)
    counts = np.diff(np.append(start, len(d_order)))
    return _DemandByNode(entries=d_order, nodes=uniq_dn, start=start, counts=counts)


def _group_candidates(c: StreetAccess, ok_c: IntArray) -> _CandidatesBySource:
    src_nodes, src_inv = np.unique(c.node[ok_c], return_inverse=True)
    src_min = np.full(len(src_nodes), np.inf)
    np.minimum.at(src_min, src_inv, c.extra[ok_c])
    order = np.argsort(src_inv, kind="stable")
    bounds = np.searchsorted(src_inv[order], np.arange(len(src_nodes) + 1))
    return _CandidatesBySource(
        nodes=src_nodes, min_extra=src_min, entries=ok_c[order], bounds=bounds
    )


def _source_pairs(
    d: StreetAccess,
    c: StreetAccess,
    dem: _DemandByNode,
    cand_entries: IntArray,
    reached: IntArray,
    base: FloatArray,
    radius_m: float,
    out: _PairLists,
) -> None:
    """Pairs through one source node: ``reached`` demand nodes at network distance ``base``."""
    cnt = dem.counts[reached]
    entries = np.concatenate(
        [dem.entries[dem.start[q] : dem.start[q] + n] for q, n in zip(reached, cnt)]
    )
    walk = np.repeat(base, cnt) + d.extra[entries]
    for ce in cand_entries:
        total = walk + c.extra[ce]
        keep = total <= radius_m
        if keep.any():
            out.append(
                d.point[entries[keep]].astype(np.int64),
                np.full(int(keep.sum()), c.point[ce], dtype=np.int64),
                total[keep],
            )


def _graph_pairs(
    net: StreetIndex,
    d: StreetAccess,
    c: StreetAccess,
    radius_m: float,
    chunk: int | None,
    out: _PairLists,
) -> None:
    """Pairs through the street graph, by Dijkstra from chunks of candidate source nodes."""
    from scipy.sparse.csgraph import dijkstra

    ok_d = np.flatnonzero(d.extra <= radius_m)
    ok_c = np.flatnonzero(c.extra <= radius_m)
    if not (len(ok_d) and len(ok_c)):
        return
    dem = _group_demand(d, ok_d)
    src = _group_candidates(c, ok_c)
    if chunk is None:
        chunk = max(1, min(512, int(2e7 // max(net.n_nodes, 1))))
    for lo in range(0, len(src.nodes), chunk):
        hi = min(lo + chunk, len(src.nodes))
        limit = float(radius_m - src.min_extra[lo:hi].min())
        dist = dijkstra(net.adjacency, directed=False, indices=src.nodes[lo:hi], limit=limit)
        sub = dist[:, dem.nodes]
        si, ui = np.nonzero(sub <= limit)
        if len(si) == 0:
            continue
        base = sub[si, ui]
        for s_local in np.unique(si):
            sel = si == s_local
            s = lo + s_local
            cand_entries = src.entries[src.bounds[s] : src.bounds[s + 1]]
            _source_pairs(d, c, dem, cand_entries, ui[sel], base[sel], radius_m, out)


def walk_pairs(
    net: StreetIndex,
    demand_xy: ArrayLike,
    cand_xy: ArrayLike,
    radius_m: float,
    chunk: int | None = None,
) -> WalkPairs:
    """Every (demand, candidate) pair within ``radius_m`` walking, with its distance.

    Parameters
    ----------
    net
        The prepared street graph.
    demand_xy, cand_xy
        (n, 2) and (m, 2) coordinates in the graph's CRS.
    radius_m
        Walking reach in metres.
    chunk
        Source nodes per Dijkstra call; default chosen from the graph size.

    Returns
    -------
    WalkPairs
        Pairs sorted by demand row then candidate column, each with its shortest walk.
    """
    # issue 14: a point farther than the radius from every street reaches nothing, so the
    # snap searches only that far (+1 m so a point at exactly the radius is still found)
    d_acc = net.access(demand_xy, max_distance=radius_m + 1.0)
    c_acc = net.access(cand_xy, max_distance=radius_m + 1.0)
    out = _PairLists()
    _same_street_pairs(d_acc, c_acc, radius_m, out)
    _graph_pairs(net, d_acc, c_acc, radius_m, chunk, out)
    return out.shortest()


def coverage_matrix_network(
    graph: nx.Graph | StreetIndex,
    demand_xy: ArrayLike,
    cand_xy: ArrayLike,
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

    Returns
    -------
    scipy.sparse.csr_matrix or (csr_matrix, csr_matrix)
        The uint8 coverage matrix (n, m), and with ``return_distance`` the distances.
    """
    r = check_radius(radius_m)
    net = prepare_network(graph)
    d = as_xy(demand_xy, "demand")
    c = as_xy(cand_xy, "candidates")
    n, m = len(d), len(c)
    if n == 0 or m == 0:
        a = sp.csr_matrix((n, m), dtype=np.uint8)
        return (a, sp.csr_matrix((n, m), dtype=float)) if return_distance else a
    pairs = walk_pairs(net, d, c, r, chunk)
    rows, cols = pairs.rows, pairs.cols
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    a = sp.csr_matrix((np.ones(len(rows), dtype=np.uint8), cols, indptr), shape=(n, m))
    if return_distance:
        return a, sp.csr_matrix((pairs.dist, cols.copy(), indptr.copy()), shape=(n, m))
    return a


def service_areas(
    graph: nx.Graph | StreetIndex,
    cand_xy: ArrayLike,
    radius_m: float,
    *,
    buffer_m: float = 40.0,
) -> list[shapely.Geometry]:
    """Draw the walking service area of each candidate.

    The street segments whose both ends are reachable within ``radius_m`` (including the
    walk to the street), plus the walk to the street, buffered by ``buffer_m``.

    Parameters
    ----------
    graph
        networkx graph in a projected CRS, or a :class:`StreetIndex`.
    cand_xy
        (m, 2) candidate coordinates in the graph's CRS.
    radius_m
        Walking reach in metres.
    buffer_m
        Half-width of the drawn area around streets and access walks.

    Returns
    -------
    list of shapely geometries
        One per candidate (empty polygon when it is farther than the radius from every
        street).
    """
    import shapely
    from scipy.sparse.csgraph import dijkstra

    r = check_radius(radius_m)
    net = prepare_network(graph)
    c = as_xy(cand_xy, "candidates")
    acc = net.access(c)
    out: list[shapely.Geometry] = []
    eu, ev = net.edge_u, net.edge_v
    for j in range(len(c)):
        sel = (acc.point == j) & (acc.extra <= r)
        if not sel.any():
            out.append(shapely.Polygon())
            continue
        dist = dijkstra(net.adjacency, directed=False, indices=acc.node[sel], limit=r)
        best = np.min(dist + acc.extra[sel][:, None], axis=0)
        reach = best <= r
        both = reach[eu] & reach[ev]
        parts = [shapely.Point(c[j]).buffer(buffer_m)]
        for q in acc.node[sel]:
            parts.append(shapely.LineString([c[j], net.xy[q]]).buffer(buffer_m))
        if both.any():
            lines = shapely.linestrings(np.stack([net.xy[eu[both]], net.xy[ev[both]]], axis=1))
            parts.append(shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4)))
        out.append(shapely.union_all(parts))
    return out
