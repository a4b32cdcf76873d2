"""Heuristics: lazy greedy, 1-swap local search and iterated local search.

* :func:`lazy_greedy` - priority queue of stale marginal gains ((1 - 1/e) guarantee); it
  honours the minimum spacing by skipping candidates too close to chosen ones, and can
  target a subset of rows (covered-share seeding).
* :func:`swap_search` - 1-swap local search that respects every constraint (spacing, group
  minimums); used when the problem has constraints.
* :class:`SwapState` and :func:`iterated_local_search` - unconstrained problem: every
  column's marginal gain is kept up to date incrementally (a swap's value comes from the
  sparse rows only the removed site covers), and the search is iterated: drop a site and
  chosen sites near it, refill greedily, swap to a local optimum, keep the best (seeded,
  bounded rounds and time).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo_outreach.coverage._arrays import BoolArray, FloatArray, IntArray, LabelArray, col_rows
from geo_outreach.coverage.constraints import Conflicts


class CoverState:
    """Coverage counts of the rows of the reduced instance under a set of columns."""

    def __init__(self, csc: sp.csc_matrix, w: FloatArray, base_cols: Sequence[int]) -> None:
        self.csc = csc
        self.w = w
        self.cnt = np.zeros(csc.shape[0], dtype=np.int32)
        for j in base_cols:
            self.cnt[col_rows(csc, j)] += 1

    def gain(self, j: int, row_mask: BoolArray | None = None) -> float:
        """Weight column ``j`` would add (only rows in ``row_mask``, when given)."""
        rows = col_rows(self.csc, j)
        sel = self.cnt[rows] == 0
        if row_mask is not None:
            sel &= row_mask[rows]
        return float(self.w[rows][sel].sum())

    def add(self, j: int) -> None:
        """Count column ``j`` in."""
        self.cnt[col_rows(self.csc, j)] += 1

    def remove(self, j: int) -> None:
        """Count column ``j`` out."""
        self.cnt[col_rows(self.csc, j)] -= 1

    def value(self) -> float:
        """Weight of the covered rows."""
        return float(self.w[self.cnt > 0].sum())


def _block(blocked: BoolArray, j: int, conflicts: Conflicts | None) -> None:
    blocked[j] = True
    if conflicts:
        for c in conflicts[j]:
            blocked[c] = True


def lazy_greedy(
    st: CoverState,
    k: int,
    allowed: BoolArray,
    chosen: list[int],
    conflicts: Conflicts | None,
    row_mask: BoolArray | None = None,
    stop_when: Callable[[], bool] | None = None,
) -> list[int]:
    """Add up to ``k`` columns to ``chosen`` (in place) by lazy greedy.

    Parameters
    ----------
    st
        Coverage state of ``chosen``; updated in place.
    k
        Most columns to add.
    allowed
        Columns that may be added.
    chosen
        Columns already chosen; new ones are appended.
    conflicts
        Spacing conflicts: a column too close to a chosen one is skipped.
    row_mask
        Only gains on these rows count; stops when nothing more is gained on them.
    stop_when
        Checked before each addition; stops when it returns True.

    Returns
    -------
    list of int
        The columns added, in order.
    """
    m = st.csc.shape[1]
    blocked = ~allowed.copy()
    for j in chosen:
        _block(blocked, j, conflicts)
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
        _block(blocked, j, conflicts)
    return added


@dataclass(frozen=True)
class GroupMinimums:
    """What :func:`swap_search` needs to keep the per-group site minimums."""

    group_of_cand: LabelArray | None
    min_sites: Mapping[Hashable, int]
    existing_per_group: Mapping[Hashable, int]


def _swap_candidates(
    chosen: list[int],
    pos: int,
    allowed: BoolArray,
    conflicts: Conflicts | None,
    groups: GroupMinimums,
) -> BoolArray:
    """Columns that may replace ``chosen[pos]`` without breaking a constraint."""
    j = chosen[pos]
    ok = allowed.copy()
    ok[chosen] = False
    if conflicts:
        for o in chosen:
            if o != j:
                ok[list(conflicts[o])] = False
    g_cand = groups.group_of_cand
    if groups.min_sites and g_cand is not None:
        gj = g_cand[j]
        need = groups.min_sites.get(gj, 0)
        if need:
            have = groups.existing_per_group.get(gj, 0) + sum(1 for o in chosen if g_cand[o] == gj)
            if have - 1 < need:
                ok &= g_cand == gj
    return ok


def swap_search(
    st: CoverState,
    chosen: list[int],
    allowed: BoolArray,
    conflicts: Conflicts | None,
    groups: GroupMinimums,
    deadline: float,
    max_passes: int = 4,
) -> int:
    """1-swap local search (best swap per removed site, first improvement).

    Parameters
    ----------
    st
        Coverage state of ``chosen``; updated in place.
    chosen
        The chosen columns; swapped in place.
    allowed
        Columns that may be chosen.
    conflicts
        Spacing conflicts.
    groups
        Per-group site minimums to keep.
    deadline
        ``time.perf_counter()`` value to stop at.
    max_passes
        Most passes over the chosen sites.

    Returns
    -------
    int
        Number of swaps made.
    """
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
            rows_j = col_rows(st.csc, j)
            only = rows_j[st.cnt[rows_j] == 1]
            loss = float(w[only].sum())
            u = w * (st.cnt == 0)
            u[only] += w[only]
            gains = csr_t @ u
            ok = _swap_candidates(chosen, pos, allowed, conflicts, groups)
            gains[~ok] = -np.inf
            c = int(np.argmax(gains))
            if gains[c] - loss > 1e-9 * max(1.0, float(w.sum())):
                st.remove(j)
                st.add(c)
                chosen[pos] = c
                swaps += 1
                improved = True
    return swaps


class SwapState:
    """Incremental swap bookkeeping for the unconstrained problem.

    Coverage counts, covered value and every column's marginal gain are kept up to date
    incrementally: adding or removing a column touches only the rows whose coverage changes
    between 0 and 1, and the columns covering them. A swap's value is ``gain[c] + (weight
    of rows only j covers that c covers) - loss[j]``, computed from the sparse rows only
    ``j`` covers.
    """

    def __init__(
        self, csr: sp.csr_matrix, csc: sp.csc_matrix, w: FloatArray, chosen: Sequence[int]
    ) -> None:
        self.csr, self.csc, self.w = csr, csc, w
        n, m = csc.shape
        self.m = m
        self.cnt = np.zeros(n, dtype=np.int32)
        for j in chosen:
            self.cnt[col_rows(csc, j)] += 1
        unc = w * (self.cnt == 0)
        self.gain: FloatArray = np.asarray(sp.csr_matrix(csc.T, dtype=float) @ unc).ravel()
        self.value = float(w[self.cnt > 0].sum())
        self.chosen = list(chosen)
        self.in_set = np.zeros(m, dtype=bool)
        self.in_set[self.chosen] = True

    def row_push(self, rows: IntArray) -> FloatArray:
        """Sum over ``rows`` of ``w_i * A[i, :]`` (dense, length m)."""
        if len(rows) == 0:
            return np.zeros(self.m)
        # gather the rows' column indices straight from the CSR arrays (scipy's row
        # indexing costs ~1 ms a call, and this runs thousands of times)
        indptr = self.csr.indptr
        starts = indptr[rows]
        lens = indptr[rows + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(self.m)
        offs = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        pushed = np.bincount(
            self.csr.indices[offs], weights=np.repeat(self.w[rows], lens), minlength=self.m
        )
        return np.asarray(pushed, dtype=np.float64)  # (float64 already: weighted bincount)

    def add(self, c: int) -> None:
        """Add column ``c`` to the set."""
        rows = col_rows(self.csc, c)
        new = rows[self.cnt[rows] == 0]
        self.cnt[rows] += 1
        self.value += float(self.w[new].sum())
        self.gain -= self.row_push(new)
        self.chosen.append(c)
        self.in_set[c] = True

    def remove(self, j: int) -> None:
        """Remove column ``j`` from the set."""
        rows = col_rows(self.csc, j)
        self.cnt[rows] -= 1
        lost = rows[self.cnt[rows] == 0]
        self.value -= float(self.w[lost].sum())
        self.gain += self.row_push(lost)
        self.chosen.remove(j)
        self.in_set[j] = False

    def best_swap(self, j: int, ok: BoolArray) -> tuple[int, float]:
        """Best column to replace ``j`` by (among ``ok``, not chosen) and the value change."""
        rows = col_rows(self.csc, j)
        only = rows[self.cnt[rows] == 1]
        loss = float(self.w[only].sum())
        score = self.gain + self.row_push(only)
        score[~ok | self.in_set] = -np.inf
        c = int(np.argmax(score))
        return c, float(score[c]) - loss

    def local_search(self, ok: BoolArray, deadline: float, tol: float) -> int:
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

    def greedy_fill(self, k: int, ok: BoolArray) -> None:
        """Add the best column among ``ok`` until ``k`` are chosen (or none is left)."""
        while len(self.chosen) < k:
            score = np.where(ok & ~self.in_set, self.gain, -np.inf)
            c = int(np.argmax(score))
            if not np.isfinite(score[c]):
                break
            self.add(c)

    def move_to(self, target: Sequence[int]) -> None:
        """Change the set to ``target``."""
        tset = set(int(j) for j in target)
        for j in [j for j in self.chosen if j not in tset]:
            self.remove(j)
        for j in tset:
            if not self.in_set[j]:
                self.add(j)


@dataclass(frozen=True)
class LocalSearchResult:
    """Result of :func:`iterated_local_search`."""

    chosen: list[int]  # the best set found
    value: float  # its covered weight
    rounds: int  # perturbation rounds run
    timed_out: bool = False  # the deadline (safety net) stopped the search, not its work budget


def _perturbation(st: SwapState, best: list[int], rng: np.random.Generator, k: int) -> list[int]:
    """Pick a random chosen site and chosen sites near it (sharing demand, then with them)."""
    r = int(rng.integers(2, max(2, min(k // 2, 8)) + 1))
    j0 = best[int(rng.integers(k))]
    drop = [j0]
    frontier = [j0]
    while frontier and len(drop) < r:
        j = frontier.pop(0)
        near_cols = np.flatnonzero((st.row_push(col_rows(st.csc, j)) > 0) & st.in_set)
        near = [int(q) for q in rng.permutation(near_cols) if q not in drop]
        for q in near[: r - len(drop)]:
            drop.append(q)
            frontier.append(q)
    return drop


def iterated_local_search(
    csr: sp.csr_matrix,
    csc: sp.csc_matrix,
    w: FloatArray,
    chosen: list[int],
    allowed: BoolArray,
    *,
    deadline: float,
    seed: int = 0,
    max_rounds: int = 200,
    max_stall: int = 30,
    starts: Sequence[Sequence[int]] = (),
) -> LocalSearchResult:
    """Swap local search, then perturbation rounds; keeps the best set (unconstrained).

    Each round drops a few sites at random, refills greedily (the dropped ones excluded)
    and swaps to a local optimum. ``starts`` are further start sets (e.g. Lagrangian top-k
    sets) tried first. The work is budgeted by rounds (``max_rounds``, ``max_stall``), so
    the same input and seed give the same answer on any machine; ``deadline`` is a safety
    net (``timed_out`` says when it stopped the search).

    Parameters
    ----------
    csr, csc
        The reduced coverage matrix in both formats.
    w
        Row weights.
    chosen
        Start set (its size is the budget).
    allowed
        Columns that may be chosen.
    deadline
        ``time.perf_counter()`` value to stop at.
    seed
        Seed of the random perturbations.
    max_rounds
        Most perturbation rounds.
    max_stall
        Stop after this many rounds without improvement.
    starts
        Further start sets.

    Returns
    -------
    LocalSearchResult
        The best set, its value and the rounds run.
    """
    k = len(chosen)
    tol = 1e-9 * max(1.0, float(w.sum()))
    st = SwapState(csr, csc, w, chosen)
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
        return LocalSearchResult(best, best_val, rounds, time.perf_counter() >= deadline)
    while rounds < max_rounds and stall < max_stall:
        if time.perf_counter() >= deadline:
            return LocalSearchResult(best, best_val, rounds, True)
        rounds += 1
        stall += 1
        drop = _perturbation(st, best, rng, k)
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
    return LocalSearchResult(best, best_val, rounds, time.perf_counter() >= deadline)
