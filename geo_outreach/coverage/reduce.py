"""Exact reductions of a covering instance: merged demand rows, folded and dominated columns.

* :func:`reduce_demand` merges demand rows with identical coverage rows (weights summed) and
  drops rows nothing can reach: the objective is unchanged for every set of sites.
* :func:`fold_and_drop_dominated` (unconstrained problem, before the MILP) folds rows only
  one column covers into that column's objective coefficient and drops columns another
  column dominates, repeated while columns drop.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geo_outreach._errors import InputDataError
from geo_outreach.coverage._arrays import BoolArray, FloatArray, IntArray, LabelArray


@dataclass(frozen=True)
class ReducedDemand:
    """Result of :func:`reduce_demand`."""

    matrix: sp.csr_matrix  # reduced rows x candidates
    weights: FloatArray
    groups: LabelArray | None  # group label per reduced row (when grouped)
    inverse: IntArray  # original row -> reduced row, -1 when nothing covers it
    unreachable_weight: float  # weight of rows no candidate covers


def reduce_demand(
    a: sp.spmatrix, w: ArrayLike, *, groups: ArrayLike | None = None
) -> ReducedDemand:
    """Merge identical demand rows and drop unreachable ones.

    Rows with identical coverage rows (and identical group, if given) are merged, their
    weights summed; rows no candidate reaches are dropped. Exact: any set of sites covers
    the same weight before and after.

    Parameters
    ----------
    a
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights (length n).
    groups
        Optional group label per demand row; rows of different groups are never merged.

    Returns
    -------
    ReducedDemand
        The reduced matrix (uint8), weights, groups and the row mapping. Merged rows are
        in the order of their first row, and each weight is summed in row order.
    """
    a = sp.csr_matrix(a)
    a.sum_duplicates()
    a.sort_indices()
    w = np.asarray(w, dtype=float)
    n = a.shape[0]
    if len(w) != n:
        raise InputDataError(f"weights have {len(w)} values for {n} demand rows")
    g = None if groups is None else np.asarray(groups, dtype=object)
    # issue 14: rows grouped by a hash of their columns (numpy), checked exactly; the plain
    # loop only if two different rows share a hash
    found = _same_rows(a, g)
    if found is None:
        found = _same_rows_loop(a, g)
    rep_rows, inverse = found
    reached = inverse >= 0
    new_w = np.bincount(inverse[reached], weights=w[reached], minlength=len(rep_rows))
    # a sum in row order, as a loop would add them (np.sum adds pairwise)
    unreachable = np.bincount(np.zeros(int((~reached).sum()), dtype=np.intp), w[~reached])
    m_red = a[rep_rows] if len(rep_rows) else sp.csr_matrix((0, a.shape[1]), dtype=a.dtype)
    m_red = sp.csr_matrix(m_red, dtype=np.uint8)
    m_red.data[:] = 1
    return ReducedDemand(
        matrix=m_red,
        weights=np.asarray(new_w, dtype=float),
        groups=None if g is None else g[rep_rows],
        inverse=inverse,
        unreachable_weight=float(unreachable[0]) if len(unreachable) else 0.0,
    )


def _mix(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: a well-spread 64-bit hash of each value (wrapping)."""
    v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: npt.NDArray[np.uint64] = v ^ (v >> np.uint64(31))
    return out


def _same_rows(a: sp.csr_matrix, g: LabelArray | None) -> tuple[IntArray, IntArray] | None:
    """First row of each distinct (group, row) and each row's position among them (-1: empty).

    ``None`` when two different rows share a hash (then :func:`_same_rows_loop` decides).
    """
    n = a.shape[0]
    lens = np.diff(a.indptr).astype(np.int64)
    rows = np.flatnonzero(lens > 0)
    inverse = np.full(n, -1, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), inverse
    pos = np.arange(len(a.indices), dtype=np.int64) - np.repeat(a.indptr[:-1], lens)
    with np.errstate(over="ignore"):
        key = (a.indices.astype(np.uint64) << np.uint64(32)) | pos.astype(np.uint64)
        h = np.add.reduceat(_mix(key), a.indptr[rows])
    code = np.zeros(len(rows), dtype=np.int64)
    if g is not None:
        code = pd.factorize(g[rows], use_na_sentinel=False)[0].astype(np.int64)
    order = np.lexsort((h, lens[rows], code))  # stable: the first row of a group leads it
    hs, ls, cs = h[order], lens[rows][order], code[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (hs[1:] != hs[:-1]) | (ls[1:] != ls[:-1]) | (cs[1:] != cs[:-1])
    lead = rows[order][new][np.cumsum(new) - 1]  # the group's first row, per sorted row
    rep_of = np.empty(len(rows), dtype=np.int64)
    rep_of[order] = lead
    # exact check: every row has the same columns as its group's first row
    of_entry = np.repeat(rep_of, lens[rows])
    if not np.array_equal(a.indices, a.indices[a.indptr[of_entry] + pos]):
        return None
    rep_rows = np.unique(rep_of)  # groups in the order of their first row
    inverse[rows] = np.searchsorted(rep_rows, rep_of)
    return rep_rows, inverse


def _same_rows_loop(a: sp.csr_matrix, g: LabelArray | None) -> tuple[IntArray, IntArray]:
    """:func:`_same_rows` by a dictionary of row bytes (exact, slow)."""
    n = a.shape[0]
    inverse = np.full(n, -1, dtype=np.int64)
    keys: dict[Hashable, int] = {}
    indptr, indices = a.indptr, a.indices.astype(np.int32, copy=False)
    rep_rows: list[int] = []
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi:
            continue
        key: Hashable = indices[lo:hi].tobytes()
        if g is not None:
            key = (g[i], key)
        r = keys.get(key)
        if r is None:
            r = keys[key] = len(rep_rows)
            rep_rows.append(i)
        inverse[i] = r
    return np.array(rep_rows, dtype=np.int64), inverse


@dataclass(frozen=True)
class FoldedColumns:
    """Result of :func:`fold_and_drop_dominated`."""

    matrix: sp.csr_matrix  # remaining rows (covered by >= 2 columns) x kept columns
    weights: FloatArray  # weight per remaining row
    columns: IntArray  # original column index of each kept column
    col_obj: FloatArray  # weight each kept column earns alone (folded single-cover rows)
    n_dominated: int  # columns dropped as dominated
    n_single: int  # single-cover rows folded into the objective


def _dominated(a: sp.csr_matrix, col_obj: FloatArray, k: int) -> BoolArray:
    """Columns some optimal solution avoids (see :func:`fold_and_drop_dominated`)."""
    # column i is dominated by column j when rows(i) <= rows(j) and obj(i) <= obj(j)
    # (ties: the lower index stays); dominance is a strict order, so a chain of dominated
    # columns ends at a kept one
    sub = sp.csc_matrix(a, dtype=np.int32)
    cnt = np.diff(sub.indptr)
    inter = (sub.T @ sub).tocoo()
    i, j, v = inter.row, inter.col, inter.data
    sel = (
        (i != j)
        & (v == cnt[i])
        & (col_obj[i] <= col_obj[j])
        & ((cnt[j] > cnt[i]) | (col_obj[j] > col_obj[i]) | (j < i))
    )
    dominated = np.zeros(len(col_obj), dtype=bool)
    dominated[i[sel]] = True
    dominated |= (cnt == 0) & (col_obj <= 0)
    kept_obj = col_obj[~dominated]
    if len(kept_obj) < k:
        return np.zeros(len(col_obj), dtype=bool)
    # a solution may hold i AND its dominator j: i then adds only obj(i) (its own rows),
    # and it can be swapped for a free kept column only if that one surely adds as much.
    # Of the k kept columns with the largest obj, one is free (the solution holds i, so
    # at most k - 1 kept ones), and it adds at least its obj >= the k-th largest kept obj
    floor = float(np.partition(kept_obj, len(kept_obj) - k)[len(kept_obj) - k]) if k else 0.0
    return dominated & (col_obj <= floor)


def fold_and_drop_dominated(
    a_csc: sp.csc_matrix,
    w: FloatArray,
    allowed: BoolArray,
    k: int,
    *,
    max_rounds: int = 10,
) -> FoldedColumns:
    """Exact reductions of the unconstrained problem before the MILP.

    * a row only one column covers becomes part of that column's objective coefficient;
    * a column whose remaining rows are a subset of another column's and whose objective
      coefficient is not larger is dropped when that coefficient is at most the ``k``-th
      largest coefficient of the kept columns (some optimal solution avoids it: swap it for
      the dominating column or, when the solution holds both, for a free kept column with
      a coefficient at least as large; the coefficient condition matters: a solution may
      need a column AND its dominator for their own single-cover rows);
    * rows that became identical are merged again; repeated while columns drop (dropping
      columns makes more rows single-cover), keeping at least ``k`` columns.

    Parameters
    ----------
    a_csc
        Reduced (demand x candidate) coverage matrix.
    w
        Weight per row.
    allowed
        Columns that may be chosen; the others are dropped first.
    k
        Number of sites: at least this many columns are kept.
    max_rounds
        Rounds of folding and dropping.

    Returns
    -------
    FoldedColumns
        The reduced matrix, weights, kept columns and their objective coefficients.
    """
    keep = np.flatnonzero(allowed)
    a_cur = sp.csr_matrix(a_csc[:, keep])
    w_cur = np.asarray(w, dtype=float)
    col_obj = np.zeros(len(keep))
    n_dom = n_single = 0
    for _round in range(max_rounds):
        # fold rows only one column covers into that column's objective coefficient
        red = reduce_demand(a_cur, w_cur)
        a2 = red.matrix
        single = np.diff(a2.indptr) == 1
        np.add.at(col_obj, a2.indices[a2.indptr[:-1][single]], red.weights[single])
        n_single += int(single.sum())
        a_cur, w_cur = a2[~single], red.weights[~single]
        dominated = _dominated(a_cur, col_obj, k)
        if not dominated.any() or len(keep) - int(dominated.sum()) < k:
            break  # (keep enough columns to spend the budget)
        n_dom += int(dominated.sum())
        keep, col_obj = keep[~dominated], col_obj[~dominated]
        a_cur = sp.csr_matrix(sp.csc_matrix(a_cur)[:, np.flatnonzero(~dominated)])
    return FoldedColumns(
        matrix=a_cur,
        weights=w_cur,
        columns=keep,
        col_obj=col_obj,
        n_dominated=n_dom,
        n_single=n_single,
    )
