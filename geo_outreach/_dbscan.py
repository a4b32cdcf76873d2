"""Weighted DBSCAN of sites on a square lattice, label for label as scikit-learn's.

Issue 14: :func:`geo_outreach.hotspots.cluster_labels` snaps a million alerts to a lattice of
~400k weighted sites. scikit-learn's ``DBSCAN.fit`` then spends most of its time building one
neighbour array per site and summing weights in a Python loop (~8 CPU s). On a lattice the
neighbours of a site are the sites at a fixed set of cell offsets, so here:

1. every offset is classed by its exact lattice distance: surely inside ``eps`` (all its pairs
   are neighbours), surely outside (none are), or on the boundary, where each pair's squared
   distance is computed exactly as scikit-learn's KD-tree computes it,
   ``(x1 - x2)**2 + (y1 - y2)**2 <= eps * eps``;
2. the weighted neighbour counts are sums over the offsets (``sample_weight`` of the neighbours,
   self included), so the core sites are the same;
3. the clusters are the connected components of the core sites (scipy), numbered as
   scikit-learn's ``dbscan_inner`` numbers them: by the smallest core site of each, in site
   order; a border site takes the first of those clusters that has a core neighbour.

A pair whose squared distance is within ``1e-13`` of ``eps**2`` (but not equal) could fall on
either side in the KD-tree (it also prunes whole nodes by ``sqrt`` of a bound), so then
:func:`lattice_dbscan` returns ``None`` and the caller runs scikit-learn. So does a lattice too
big for the dense index (:data:`MAX_CELLS`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

#: Dense lattice cells (padded) above which :func:`lattice_dbscan` declines (int32 + float64
#: per cell: 30M cells ~ 360 MB).
MAX_CELLS = 30_000_000
#: Relative band around ``eps**2`` where a pair's side is left to scikit-learn.
AMBIGUOUS = 1e-13

Offsets = list[tuple[int, int]]


def _offsets(eps: float, step: float) -> tuple[Offsets, Offsets]:
    """Cell offsets surely within ``eps`` and those on its boundary (the rest: surely out)."""
    reach = math.ceil(eps / step) + 1
    inner: Offsets = []
    edge: Offsets = []
    for di in range(-reach, reach + 1):
        for dj in range(-reach, reach + 1):
            d2 = (di * di + dj * dj) * step * step
            if d2 < eps * eps * (1 - 1e-9):
                inner.append((di, dj))
            elif d2 <= eps * eps * (1 + 1e-9):
                edge.append((di, dj))
    return inner, edge


def lattice_dbscan(
    cells: npt.NDArray[np.int64],
    sites: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    *,
    step: float,
    eps: float,
    min_samples: float,
) -> npt.NDArray[np.intp] | None:
    """Return scikit-learn's ``DBSCAN(eps, min_samples).fit(sites, sample_weight).labels_``.

    Parameters
    ----------
    cells
        ``(n, 2)`` lattice column and row of each site (non-negative, distinct).
    sites
        ``(n, 2)`` site coordinates, ``origin + (cell + 0.5) * step`` per axis.
    weight
        Sample weight of each site (alerts at it): whole numbers, so that sums are exact in
        any order (else ``None``).
    step
        Lattice spacing.
    eps, min_samples
        DBSCAN settings (Euclidean metric).

    Returns
    -------
    numpy.ndarray or None
        Cluster of each site (0, 1, ... as scikit-learn numbers them, -1 noise); ``None`` when
        a pair is too close to ``eps`` to decide here, or the lattice is too large.
    """
    n = len(sites)
    if n == 0 or (weight != np.floor(weight)).any() or np.abs(sites).max() > 1e8:
        return None  # sums of whole weights are exact in any order; metres, not light years
    inner, edge = _offsets(eps, step)
    reach = max(max(abs(a), abs(b)) for a, b in inner + edge)
    width = int(cells[:, 1].max()) + 1 + 2 * reach
    height = int(cells[:, 0].max()) + 1 + 2 * reach
    if width * height > MAX_CELLS:
        return None
    flat = (cells[:, 0] + reach) * width + (cells[:, 1] + reach)
    index = np.full(width * height, -1, dtype=np.int64)
    index[flat] = np.arange(n)
    wgrid = np.zeros(width * height)
    wgrid[flat] = weight
    count = np.zeros(n)
    for di, dj in inner:
        count += wgrid[flat + (di * width + dj)]
    rr = eps * eps
    pairs: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    for di, dj in edge:
        j = index[flat + (di * width + dj)]
        i = np.flatnonzero(j >= 0)
        j = j[i]
        dx = sites[i, 0] - sites[j, 0]
        dy = sites[i, 1] - sites[j, 1]
        d2 = dx * dx + dy * dy
        if (np.abs(d2 - rr) <= AMBIGUOUS * rr)[d2 != rr].any():
            return None
        near = d2 <= rr
        i, j = i[near], j[near]
        np.add.at(count, i, weight[j])
        pairs.append((i, j))
    core = count >= min_samples
    return _labels(core, index, flat, width, inner, pairs)


def _labels(
    core: npt.NDArray[np.bool_],
    index: npt.NDArray[np.int64],
    flat: npt.NDArray[np.int64],
    width: int,
    inner: Offsets,
    pairs: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
) -> npt.NDArray[np.intp]:
    """Clusters from the core sites and the neighbour pairs (see the module docstring)."""
    n = len(core)
    labels = np.full(n, -1, dtype=np.intp)
    cores = np.flatnonzero(core)
    if len(cores) == 0:
        return labels
    # components in two rounds: the 8 nearest offsets first, then only the pairs that join
    # two different components of round one (few: most pairs lie inside one)
    near = [(a, b) for a, b in inner if (a, b) > (0, 0) and max(abs(a), abs(b)) == 1]
    far = [(a, b) for a, b in inner if (a, b) > (0, 0) and max(abs(a), abs(b)) > 1]
    cflat = flat[cores]

    def core_pairs(
        offsets: Offsets, comp: npt.NDArray[np.int64] | None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return the core-core pairs at ``offsets``.

        With ``comp``: the components they join (pairs inside one are dropped), edge pairs too.
        """
        src, dst = [], []
        for di, dj in offsets:
            j = index[cflat + (di * width + dj)]
            keep = j >= 0
            keep[keep] = core[j[keep]]
            if comp is not None:
                keep[keep] = comp[cores[keep]] != comp[j[keep]]
            src.append(cores[keep] if comp is None else comp[cores[keep]])
            dst.append(j[keep] if comp is None else comp[j[keep]])
        if comp is not None:
            for i, j in pairs:
                keep = core[i] & core[j] & (i < j)
                src.append(comp[i[keep]])
                dst.append(comp[j[keep]])
        empty = np.zeros(0, dtype=np.int64)
        return np.concatenate([empty, *src]), np.concatenate([empty, *dst])

    comp = _components(*core_pairs(near, None), n)
    comp = _components(*core_pairs(far, comp), n)[comp]
    # scikit-learn numbers clusters by their first core site (site order)
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, comp[cores], cores)
    used = np.flatnonzero(first < n)
    rank = np.full(n, -1, dtype=np.int64)
    rank[used[np.argsort(first[used])]] = np.arange(len(used))
    labels[cores] = rank[comp[cores]]
    _border(labels, core, index, flat, width, inner, pairs)
    return labels


def _components(
    a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """Return the connected component of each of ``n`` nodes given the edges ``a[k] - b[k]``."""
    graph = sparse.csr_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    comp: npt.NDArray[np.int64] = connected_components(graph, directed=False)[1].astype(np.int64)
    return comp


def _border(
    labels: npt.NDArray[np.intp],
    core: npt.NDArray[np.bool_],
    index: npt.NDArray[np.int64],
    flat: npt.NDArray[np.int64],
    width: int,
    inner: Offsets,
    pairs: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
) -> None:
    """Give each non-core site with a core neighbour the smallest cluster among them."""
    n = len(core)
    other = np.flatnonzero(~core)
    if len(other) == 0:
        return
    best = np.full(n, n, dtype=np.int64)
    near = np.full(len(other), n, dtype=np.int64)
    oflat = flat[other]
    for di, dj in inner:
        j = index[oflat + (di * width + dj)]
        ok = j >= 0
        ok[ok] = core[j[ok]]
        np.minimum(near, np.where(ok, labels[np.where(ok, j, 0)], n), out=near)
    best[other] = near
    for i, j in pairs:
        keep = ~core[i] & core[j]
        np.minimum.at(best, i[keep], labels[j[keep]])
    hit = other[best[other] < n]
    labels[hit] = best[hit]
