"""Our own LP-based branch-and-bound for the unconstrained maximal covering problem.

On the bench's 5,000 x 1,000, p = 50 instance HiGHS's MILP spends most of its time in the
root node's cut rounds (~2,300 cuts) and then closes the gap by strong branching. A plain
depth-first branch-and-bound on the same LP relaxation, with reduced-cost fixing at every
node and a rounding heuristic, proves the optimum in 7-250 nodes, in about half the CPU in
all (numbers under "Branching").

* **Relaxation:** ``max sum_j c_j x_j + sum_i w_i y_i`` s.t. ``y_i <= sum_j a_ij x_j``,
  ``sum_j x_j <= k``, ``0 <= x, y <= 1`` (``c``: the weight a column earns alone, folded
  single-cover rows). HiGHS's dual simplex re-solves it warm after each bound change.
* **Pruning:** a node whose LP value cannot beat the incumbent by ``margin`` (1 with
  integer weights) is dropped. Reduced-cost fixing: a column at 0 whose reduced cost would
  pull the LP value below the cut-off stays at 0 in the whole subtree (at 1 alike).
* **Incumbent:** at every node, the ``k`` columns with the largest LP values.
* **Branching:** the fractional column with the largest Lagrangian score (its own weight
  plus the duals of the rows it covers), the up branch first. Measured on 5,000 x 1,000,
  p = 50, six seeds (1-5 and the bench's 6000), CPU s of the whole solve at load ~10:
  this rule 2.9 / 11.8 / 0.9 / 0.8 / 0.5 / 1.8 (18.7 in all; 76/234/19/29/7/53 nodes);
  smallest score 19.2 in all (147 nodes on 6000); most fractional 16.2 (136 on 6000);
  score x min(x, 1 - x) 16.2 (158 on 6000); largest x 53.5 (two hit the node budget).
  HiGHS's MILP alone: 7.8 / 16.5 / 2.6 / 2.1 / 0.8 / ~3.5 (33 in all).
* **Budget:** at most ``max_nodes`` nodes (deterministic). When the budget runs out the
  caller falls back to HiGHS with the better incumbent and the bound of the open nodes.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from geo_outreach.coverage._arrays import FloatArray, IntArray

if TYPE_CHECKING:
    import highspy

#: Most nodes of :func:`branch_and_bound` (the work budget). The bench's 5,000 x 1,000
#: instances need 47-161; past the budget HiGHS takes over.
BB_MAX_NODES = 400

#: Simplex iterations allowed per node LP, per row and column (a safety valve, never
#: reached on the bench: a warm re-solve takes ~50-250 iterations)
LP_ITERATIONS_PER_SIZE = 5

#: Tolerance for "x_j is integral" in an LP solution
_INT_TOL = 1e-6


class _QuietStdout:
    """Silence the HiGHS banner that highspy prints on fd 1 when the first Highs() is built."""

    def __enter__(self) -> None:
        try:
            sys.stdout.flush()
            self._fd: int | None = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
        except OSError:  # pragma: no cover - no real fd 1
            self._fd = None

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.dup2(self._fd, 1)
            os.close(self._fd)


def quiet_highs() -> highspy.Highs:
    """Return a silent, single-threaded, seeded ``highspy.Highs`` (deterministic runs)."""
    import highspy

    with _QuietStdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    return h


@dataclass(frozen=True)
class BranchResult:
    """Result of :func:`branch_and_bound` (values in the model's own terms).

    ``chosen`` is the best set found (at most ``k`` columns), ``bound`` an upper bound on
    every solution (equal to ``value`` when ``optimal``), ``nodes`` the nodes solved.
    """

    chosen: list[int]
    value: float
    bound: float
    optimal: bool
    nodes: int
    stopped_by: str = ""  # "nodes" | "time" | "lp" when not optimal


def _relaxation(a_csc: sp.csc_matrix, w: FloatArray, k: int, col_obj: FloatArray) -> highspy.Highs:
    """HiGHS holding the LP relaxation (columns x_0..x_{m-1}, y_0..y_{n-1})."""
    import highspy

    n, m = a_csc.shape
    a_csc = sp.csc_matrix(a_csc, dtype=float)
    # column-wise matrix: x_j has -1 in the rows it covers and +1 in the budget row (n);
    # y_i has +1 in its own cover row
    x_start = a_csc.indptr + np.arange(m + 1)  # one more entry per column: the budget row
    x_index = np.empty(a_csc.nnz + m, dtype=np.int64)
    x_value = np.empty(a_csc.nnz + m)
    budget_pos = x_start[1:] - 1
    body = np.ones(a_csc.nnz + m, dtype=bool)
    body[budget_pos] = False
    x_index[body] = a_csc.indices
    x_value[body] = -1.0
    x_index[budget_pos] = n
    x_value[budget_pos] = 1.0
    start = np.concatenate([x_start, x_start[-1] + 1 + np.arange(n)])
    index = np.concatenate([x_index, np.arange(n)])
    value = np.concatenate([x_value, np.ones(n)])
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = m + n
    lp.num_row_ = n + 1
    lp.col_cost_ = np.concatenate([col_obj, w]).astype(float)
    lp.col_lower_ = np.zeros(m + n)
    lp.col_upper_ = np.ones(m + n)
    lp.row_lower_ = np.full(n + 1, -inf)
    lp.row_upper_ = np.concatenate([np.zeros(n), [float(k)]])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = index.astype(np.int32)
    lp.a_matrix_.value_ = value
    lp.a_matrix_.num_col_ = m + n
    lp.a_matrix_.num_row_ = n + 1
    h = quiet_highs()
    h.setOptionValue("presolve", "off")
    h.setOptionValue("simplex_iteration_limit", LP_ITERATIONS_PER_SIZE * (2 * n + m + 1))
    h.passModel(lp)
    return h


def _value(a_csr: sp.csr_matrix, w: FloatArray, col_obj: FloatArray, cols: IntArray) -> float:
    covered = np.asarray(a_csr[:, cols].sum(axis=1)).ravel() > 0
    return float(w[covered].sum() + col_obj[cols].sum())


@dataclass
class _Search:
    """The incumbent and the open nodes of a running branch-and-bound."""

    best: IntArray
    best_value: float
    margin: float
    stack: list[tuple[FloatArray, FloatArray, float]]  # (lower, upper, parent's LP value)

    def cutoff(self) -> float:
        """LP value a node needs to possibly hold a better solution."""
        return self.best_value + self.margin


def _fix_and_branch(
    s: _Search,
    lo: FloatArray,
    hi: FloatArray,
    x: FloatArray,
    rc: FloatArray,
    score: FloatArray,
    z: float,
) -> None:
    """Reduced-cost fixing, then push the two children of the node (up branch on top)."""
    cut = s.cutoff()
    lo, hi = lo.copy(), hi.copy()
    hi[(x < _INT_TOL) & (z + rc < cut)] = 0.0
    lo[(x > 1 - _INT_TOL) & (z - rc < cut)] = 1.0
    frac = np.abs(x - np.round(x)) > _INT_TOL
    if not frac.any():
        return  # an integral LP solution: the rounding already took it
    j = int(np.argmax(np.where(frac, score, -np.inf)))
    down_hi = hi.copy()
    down_hi[j] = 0.0
    up_lo = lo.copy()
    up_lo[j] = 1.0
    s.stack.append((lo, down_hi, z))
    s.stack.append((up_lo, hi, z))


def branch_and_bound(
    a_csc: sp.csc_matrix,
    w: FloatArray,
    k: int,
    col_obj: FloatArray,
    *,
    warm: list[int],
    margin: float,
    max_nodes: int = BB_MAX_NODES,
    deadline: float = np.inf,
) -> BranchResult:
    """Best ``k`` columns by depth-first LP branch-and-bound (see the module docstring).

    Parameters
    ----------
    a_csc
        (demand x candidate) 0/1 coverage matrix, already reduced.
    w
        Row weights.
    k
        Number of sites.
    col_obj
        Weight each column earns alone (folded single-cover rows; zeros if none).
    warm
        Start solution (column indices).
    margin
        How much a solution must beat the incumbent by to count (``1 - 1e-6`` with
        integer weights: a node below ``incumbent + margin`` holds nothing better).
    max_nodes
        Most LPs solved (the work budget).
    deadline
        ``time.perf_counter()`` value to stop at (optional safety net).

    Returns
    -------
    BranchResult
        Best set, its value, an upper bound, and whether the search finished.
    """
    import highspy

    n, m = a_csc.shape
    a_csr = sp.csr_matrix(a_csc)
    at = sp.csr_matrix(a_csc.T, dtype=float)
    col_obj = np.asarray(col_obj, dtype=float)
    kk = min(k, m)
    best = np.array(sorted(set(warm)), dtype=np.int64)
    s = _Search(best, _value(a_csr, w, col_obj, best), margin, [])
    s.stack.append((np.zeros(m), np.ones(m), np.inf))
    h = _relaxation(a_csc, w, k, col_obj)
    idx = np.arange(m, dtype=np.int32)
    nodes = 0
    stopped = ""
    while s.stack:
        if nodes >= max_nodes or time.perf_counter() >= deadline:
            stopped = "nodes" if nodes >= max_nodes else "time"
            break
        lo, hi, parent_z = s.stack.pop()
        if parent_z < s.cutoff():
            continue  # the incumbent improved since this node was pushed
        h.changeColsBounds(m, idx, lo, hi)
        h.run()
        nodes += 1
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            continue
        if status != highspy.HighsModelStatus.kOptimal:
            s.stack.append((lo, hi, parent_z))
            stopped = "lp"
            break
        z = float(h.getInfo().objective_function_value)
        if z < s.cutoff():
            continue
        sol = h.getSolution()
        x = np.asarray(sol.col_value[:m], dtype=float)
        top = np.argsort(-x, kind="stable")[:kk]
        v = _value(a_csr, w, col_obj, top)
        if v > s.best_value:
            s.best, s.best_value = np.sort(top), v
        if z < s.cutoff():
            continue
        rc = np.asarray(sol.col_dual[:m], dtype=float)
        lam = np.asarray(sol.row_dual[:n], dtype=float)
        _fix_and_branch(s, lo, hi, x, rc, col_obj + at @ lam, z)
    open_z = [pz for _, _, pz in s.stack]
    done = not stopped
    bound = s.best_value if done else max([s.best_value, *open_z])
    return BranchResult([int(j) for j in s.best], s.best_value, bound, done, nodes, stopped)
