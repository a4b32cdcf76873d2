"""The exact model: the maximal covering MILP solved by HiGHS (highspy).

``max sum w_i y_i  s.t. y_i <= sum_j a_ij x_j, sum x_j <= k``, ``x`` binary, ``y`` in
[0, 1], plus one family of rows per constraint (site minimums per group, covered share per
group, minimum spacing), each added by its own ``_add_*_rows`` (spopt's
``FacilityModelBuilder`` idea). Warm-started from the heuristic solution
(``Highs.setSolution``), single-threaded with a fixed seed, time-limited. With integer
weights the MILP stops at an absolute gap below 1, which already proves optimality.

For the unconstrained problem, :func:`exact_by_thresholds` first rules candidates out by
Lagrangian reduced costs, and :func:`presolved_milp` applies the exact reductions of
:func:`~geo_outreach.coverage.reduce.fold_and_drop_dominated`; HiGHS's own presolve is off
on this already-reduced model (it only cost time). The first pass is our own
branch-and-bound (:func:`~geo_outreach.coverage.branch.branch_and_bound`); HiGHS's MILP
runs only when its node budget runs out. (scipy.optimize.milp would do too but
cannot be warm-started; highspy's start-up banner is silenced.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp

from geo_outreach.coverage._arrays import BoolArray, FloatArray, IntArray, covered_mask
from geo_outreach.coverage.bound import forced_bounds
from geo_outreach.coverage.branch import branch_and_bound, quiet_highs
from geo_outreach.coverage.constraints import Conflicts, ShareGroup, SiteGroup
from geo_outreach.coverage.heuristics import CoverState
from geo_outreach.coverage.reduce import fold_and_drop_dominated

if TYPE_CHECKING:
    import highspy

MilpStatus = Literal["optimal", "feasible", "infeasible", "failed"]


@dataclass(frozen=True)
class MilpResult:
    """Result of an exact solve.

    ``status`` is "optimal", "feasible" (time limit with an incumbent), "infeasible" or
    "failed" (no feasible point found); ``chosen`` is None without a solution.
    """

    chosen: list[int] | None
    value: float
    bound: float  # HiGHS dual bound (or the proven bound)
    status: MilpStatus
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- model rows


@dataclass
class _Rows:
    """Constraint rows collected family by family (columns: x_0..x_{m-1}, y_0..y_{n-1})."""

    m: int  # number of x columns
    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    vals: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    count: int = 0

    def add(self, rows: IntArray, cols: IntArray, vals: FloatArray, lo: float, hi: float) -> None:
        """Add one row per distinct local index in ``rows`` (0, 1, ...) with bounds lo, hi."""
        n_new = int(rows.max()) + 1 if len(rows) else 1
        self.rows.append(self.count + rows)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(np.full(n_new, lo))
        self.upper.append(np.full(n_new, hi))
        self.count += n_new

    def matrix(self, n_cols: int) -> sp.csc_matrix:
        """Return the constraint matrix (rows x columns), column-wise with sorted indices."""
        mat = sp.csc_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, n_cols),
        )
        mat.sort_indices()
        return mat


def _add_cover_rows(b: _Rows, a_csc: sp.csc_matrix) -> None:
    """``y_i - sum_j a_ij x_j <= 0``: a demand row counts only when a chosen site covers it."""
    n = a_csc.shape[0]
    a_coo = a_csc.tocoo()
    b.rows.append(np.concatenate([a_coo.row, np.arange(n)]))
    b.cols.append(np.concatenate([a_coo.col, b.m + np.arange(n)]))
    b.vals.append(np.concatenate([-np.ones(a_coo.nnz), np.ones(n)]))
    b.lower.append(np.full(n, -np.inf))
    b.upper.append(np.zeros(n))
    b.count += n


def _add_budget_row(b: _Rows, k: int) -> None:
    """``sum_j x_j <= k``."""
    b.add(np.zeros(b.m, dtype=np.int64), np.arange(b.m), np.ones(b.m), -np.inf, float(k))


def _add_site_group_rows(b: _Rows, site_groups: Sequence[SiteGroup]) -> None:
    """``sum_{j in group} x_j >= need`` per candidate group."""
    for g in site_groups:
        rows = np.zeros(len(g.cols), dtype=np.int64)
        b.add(rows, g.cols, np.ones(len(g.cols)), float(g.need), np.inf)


def _add_share_rows(b: _Rows, share_groups: Sequence[ShareGroup], w: FloatArray) -> None:
    """``sum_{i in group} w_i y_i >= need_weight`` per demand group."""
    for g in share_groups:
        rows = np.zeros(len(g.rows), dtype=np.int64)
        b.add(rows, b.m + g.rows, w[g.rows], float(g.need_weight), np.inf)


def _add_spacing_rows(b: _Rows, conflicts: Conflicts | None) -> None:
    """``x_i + x_j <= 1`` for every pair closer than the minimum spacing."""
    if not conflicts:
        return
    for i in range(b.m):
        for j in conflicts[i]:
            if i < j:
                b.add(np.zeros(2, dtype=np.int64), np.array([i, j]), np.ones(2), -np.inf, 1.0)


def _highs_lp(b: _Rows, n: int, cost: FloatArray, allowed: BoolArray) -> highspy.HighsLp:
    import highspy

    m = b.m
    mat = b.matrix(m + n)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = m + n
    lp.num_row_ = b.count
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(m + n)
    lp.col_upper_ = np.concatenate([allowed.astype(float), np.ones(n)])
    lo = np.concatenate(b.lower)
    hi = np.concatenate(b.upper)
    lp.row_lower_ = np.where(np.isinf(lo), -inf, lo)
    lp.row_upper_ = np.where(np.isinf(hi), inf, hi)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data.astype(float)
    lp.a_matrix_.num_col_ = m + n
    lp.a_matrix_.num_row_ = b.count
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * n
    return lp


#: Where pass 1 of :func:`exact_by_thresholds` puts its target between the incumbent (0) and
#: the bound (1). With the LP relaxation's bound (since issue 15's third round; it is tighter
#: than the subgradient bound, so the same fraction means a lower target), measured on four
#: 5,000 x 1,000 instances, CPU s in all: p = 50: 0.5 11.9, 0.6 11.2, 0.7 9.6 (twice), 0.75
#: 10.9, 0.85 13.8; p = 30: 0.5 5.95, 0.7 4.47 (the Lagrangian bound with 0.5: 12.0 at p = 50)
TARGET_FRACTION = 0.7

#: HiGHS's work budget: most branch-and-bound nodes per MILP run. The time limit is only an
#: optional safety net, so this keeps a default run finite AND machine-independent (the bench
#: instances need at most a few dozen nodes; the root's cuts do most of the work)
MILP_MAX_NODES = 20_000

#: HiGHS primal heuristics switched off when a good start is given (unconstrained problem):
#: on these models the RINS/RENS sub-MIPs took most of the time and found nothing better
_NO_HEURISTICS: dict[str, float | bool] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


def _highs(
    time_limit_s: float, integral: bool, presolve: bool, heuristics: bool = True
) -> highspy.Highs:

    h = quiet_highs()
    if np.isfinite(time_limit_s):
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.05)))
    # the work budget (deterministic, unlike the time limit)
    h.setOptionValue("mip_max_nodes", MILP_MAX_NODES)
    h.setOptionValue("mip_rel_gap", 1e-9)
    # integer weights => integer objective: a gap below 1 already proves optimality
    h.setOptionValue("mip_abs_gap", 1.0 - 1e-6 if integral else 1e-9)
    if not presolve:
        h.setOptionValue("presolve", "off")
    if not heuristics:
        for key, value in _NO_HEURISTICS.items():
            h.setOptionValue(key, value)
    return h


def _set_start(h: highspy.Highs, a_csc: sp.csc_matrix, warm: Sequence[int]) -> None:
    import highspy

    m = a_csc.shape[1]
    x0 = np.zeros(m)
    x0[list(warm)] = 1.0
    covered = covered_mask(a_csc, list(warm)).astype(float)
    sol = highspy.HighsSolution()
    sol.col_value = list(np.concatenate([x0, covered]))
    sol.value_valid = True
    h.setSolution(sol)


def _is_integral(*arrays: FloatArray) -> bool:
    return all(bool(np.all(np.abs(x - np.round(x)) < 1e-9)) for x in arrays)


def solve_milp(
    a_csc: sp.csc_matrix,
    w: FloatArray,
    k: int,
    *,
    allowed: BoolArray,
    warm: Sequence[int],
    conflicts: Conflicts | None,
    site_groups: Sequence[SiteGroup],
    share_groups: Sequence[ShareGroup],
    time_limit_s: float,
    col_obj: FloatArray | None = None,
    highs_presolve: bool = True,
    heuristics: bool = True,
) -> MilpResult:
    """Solve the maximal covering MILP with highspy.

    Parameters
    ----------
    a_csc
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    k
        Number of sites.
    allowed
        Columns that may be chosen.
    warm
        Start solution (may be empty).
    conflicts
        Spacing conflicts.
    site_groups, share_groups
        Group minimums.
    time_limit_s
        HiGHS time limit.
    col_obj
        Weight a column earns by itself (demand rows only it covers, folded out).
    highs_presolve
        False when the model was already reduced: HiGHS's presolve then only costs time.
    heuristics
        False: no HiGHS primal heuristics (``warm`` is already good).

    Returns
    -------
    MilpResult
        Chosen columns, value, dual bound and status.
    """
    import highspy

    n, m = a_csc.shape
    b = _Rows(m)
    _add_cover_rows(b, a_csc)
    _add_budget_row(b, k)
    _add_site_group_rows(b, site_groups)
    _add_share_rows(b, share_groups, w)
    _add_spacing_rows(b, conflicts)
    x_obj = np.zeros(m) if col_obj is None else np.asarray(col_obj, dtype=float)
    lp = _highs_lp(b, n, np.concatenate([x_obj, w]).astype(float), allowed)
    h = _highs(time_limit_s, _is_integral(w, x_obj), highs_presolve, heuristics)
    h.passModel(lp)
    if warm:
        _set_start(h, a_csc, warm)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    if ms == highspy.HighsModelStatus.kInfeasible:
        return MilpResult(None, 0.0, 0.0, "infeasible")
    if info.primal_solution_status < 2:  # no feasible point
        return MilpResult(None, 0.0, float(info.mip_dual_bound), "failed")
    xs = np.asarray(h.getSolution().col_value[:m])
    chosen = [int(j) for j in np.flatnonzero(xs > 0.5)]
    value = float(w[covered_mask(a_csc, chosen)].sum()) + float(x_obj[chosen].sum())
    status: MilpStatus = "optimal" if ms == highspy.HighsModelStatus.kOptimal else "feasible"
    return MilpResult(chosen, value, float(info.mip_dual_bound), status)


# --------------------------------------------------------------------------- unconstrained

#: Work budget of the LP relaxation in :func:`lp_multipliers` (simplex iterations per row
#: and column; the bench's 5,000 x 1,000 LP needs ~3,500 in all, about 1 per row)
LP_ITERATIONS_PER_ROW = 20


def lp_multipliers(
    arc: sp.csc_matrix, wr: FloatArray, k: int, allowed: BoolArray
) -> FloatArray | None:
    """Return the multipliers of :func:`lp_relaxation` (None when the LP did not finish)."""
    lp = lp_relaxation(arc, wr, k, allowed)
    return None if lp is None else lp[0]


def lp_relaxation(
    arc: sp.csc_matrix, wr: FloatArray, k: int, allowed: BoolArray
) -> tuple[FloatArray, FloatArray] | None:
    """Solve the LP relaxation: its cover-row duals are the optimal Lagrange multipliers.

    The Lagrangian dual equals the LP relaxation, so these multipliers give the best
    Lagrangian bound (the LP value) and the tightest reduced-cost fixing; HiGHS's primal
    simplex finds them faster than many subgradient steps. Budgeted by simplex iterations
    (deterministic).

    Parameters
    ----------
    arc
        Reduced (demand x candidate) coverage matrix.
    wr
        Row weights.
    k
        Number of sites.
    allowed
        Columns that may be chosen.

    Returns
    -------
    tuple of numpy.ndarray, or None
        Multipliers in ``[0, wr]`` and the LP's site values ``x`` (for rounding); None
        when the LP did not finish within its budget.
    """
    import highspy

    n, m = arc.shape
    b = _Rows(m)
    _add_cover_rows(b, arc)
    _add_budget_row(b, k)
    lp = _highs_lp(b, n, np.concatenate([np.zeros(m), wr]).astype(float), allowed)
    lp.integrality_ = []
    h = _highs(np.inf, False, presolve=False)
    h.setOptionValue("simplex_strategy", 4)  # primal simplex: quickest on these LPs
    h.setOptionValue("simplex_iteration_limit", LP_ITERATIONS_PER_ROW * (n + m + 1))
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    # the duals of the cover rows y_i - sum_j a_ij x_j <= 0 are the multipliers (HiGHS
    # reports them >= 0 for this maximisation; a test checks L(lam) = the LP value)
    sol = h.getSolution()
    lam: FloatArray = np.clip(np.asarray(sol.row_dual[:n], dtype=float), 0.0, wr)
    x: FloatArray = np.asarray(sol.col_value[:m], dtype=float)
    return lam, x


def _repair_warm(
    a: sp.csc_matrix, w: FloatArray, col_obj: FloatArray, warm2: list[int], k: int
) -> None:
    """Refill dropped warm columns greedily (a dominating column is at least as good)."""
    n_cols = a.shape[1]
    st = CoverState(a, w, warm2)
    left = [q for q in range(n_cols) if q not in set(warm2)]
    while len(warm2) < min(k, n_cols) and left:
        gains = [st.gain(q) + col_obj[q] for q in left]
        q = left.pop(int(np.argmax(gains)))
        warm2.append(q)
        st.add(q)


def presolved_milp(
    arc: sp.csc_matrix,
    wr: FloatArray,
    k: int,
    *,
    allowed: BoolArray,
    warm: Sequence[int],
    time_limit_s: float,
    branch_margin: float | None = None,
) -> MilpResult:
    """MILP for the unconstrained problem after exact reductions.

    See :func:`~geo_outreach.coverage.reduce.fold_and_drop_dominated` for the reductions.

    Parameters
    ----------
    arc
        Reduced (demand x candidate) coverage matrix.
    wr
        Row weights.
    k
        Number of sites.
    allowed
        Columns that may be chosen.
    warm
        Start solution in original columns.
    time_limit_s
        HiGHS time limit.
    branch_margin
        None: HiGHS's MILP. A number: our own branch-and-bound
        (:func:`~geo_outreach.coverage.branch.branch_and_bound`, at most
        :data:`~geo_outreach.coverage.branch.BB_MAX_NODES` nodes), looking only for
        solutions at least this much better than ``warm``; status "feasible" when its node
        budget ran out.

    Returns
    -------
    MilpResult
        Chosen columns (original indices) and their value, with one note on the reductions.
    """
    fold = fold_and_drop_dominated(arc, wr, allowed, k)
    keep, col_obj = fold.columns, fold.col_obj
    a3 = sp.csc_matrix(fold.matrix)
    w3 = fold.weights
    pos = {int(c): q for q, c in enumerate(keep)}
    warm2 = [pos[int(c)] for c in warm if int(c) in pos]
    if len(set(warm2)) < len(warm):
        _repair_warm(a3, w3, col_obj, warm2, k)
    note = (
        f"exact presolve: {fold.n_dominated} dominated candidates dropped, "
        f"{fold.n_single} single-cover demand rows folded into the objective"
    )
    if branch_margin is not None:
        bb = branch_and_bound(
            a3,
            w3,
            k,
            col_obj,
            warm=sorted(set(warm2)),
            margin=branch_margin,
            deadline=time.perf_counter() + time_limit_s,
        )
        note += f"; {bb.nodes} branch-and-bound nodes" + (
            "" if bb.optimal else f" (stopped: {bb.stopped_by} budget)"
        )
        r = MilpResult(bb.chosen, bb.value, bb.bound, "optimal" if bb.optimal else "feasible")
    else:
        r = _solve_folded(a3, w3, k, col_obj, sorted(set(warm2)), time_limit_s)
    if r.chosen is None:
        return MilpResult(None, r.value, r.bound, r.status, (note,))
    chosen = [int(keep[q]) for q in r.chosen]
    value = float(wr[covered_mask(arc, chosen)].sum())
    return MilpResult(chosen, value, r.bound, r.status, (note,))


def _solve_folded(
    a3: sp.csc_matrix,
    w3: FloatArray,
    k: int,
    col_obj: FloatArray,
    warm: list[int],
    time_limit_s: float,
) -> MilpResult:
    return solve_milp(
        a3,
        w3,
        k,
        allowed=np.ones(a3.shape[1], dtype=bool),
        warm=warm,
        conflicts=None,
        site_groups=[],
        share_groups=[],
        time_limit_s=time_limit_s,
        col_obj=col_obj,
        highs_presolve=False,
        heuristics=not warm,
    )


def _kept_columns(
    allowed: BoolArray, forced: FloatArray, thr: float, best_sol: list[int], k: int
) -> BoolArray:
    """Columns whose forced bound reaches ``thr`` (and the incumbent), at least ``k``."""
    keep = allowed & (forced >= thr)
    keep[best_sol] = True
    if int(keep.sum()) < k:  # leave enough columns to spend the budget
        extra = np.flatnonzero(allowed & ~keep)
        extra = extra[np.argsort(-forced[extra], kind="stable")][: k - int(keep.sum())]
        keep[extra] = True
    return keep


def exact_by_thresholds(
    arc: sp.csc_matrix,
    ar: sp.csr_matrix,
    wr: FloatArray,
    k: int,
    *,
    allowed: BoolArray,
    warm: list[int],
    lam: FloatArray | None,
    lower: float,
    upper: float,
    deadline: float,
) -> MilpResult:
    """Exact MILP helped by Lagrangian reduced costs (unconstrained problem).

    With a target ``T`` between the incumbent ``lower`` and the bound ``upper``, every
    solution that uses a column whose forced bound is below ``T`` is worth less than ``T``.
    Pass 1 solves the MILP over the remaining (few) columns: if it reaches ``T`` it is
    optimal for the whole problem. Otherwise pass 2 uses ``T`` = the best value found, which
    only rules out columns that cannot beat it (the classical fixing) and is exact.

    Parameters
    ----------
    arc, ar
        Reduced coverage matrix, column- and row-wise.
    wr
        Row weights.
    k
        Number of sites.
    allowed
        Columns that may be chosen.
    warm
        Incumbent solution, worth ``lower``.
    lam
        Lagrange multipliers of the best bound (None: no reduced-cost fixing).
    lower, upper
        Incumbent value and upper bound.
    deadline
        ``time.perf_counter()`` value to stop at.

    Returns
    -------
    MilpResult
        Best solution, its value, the global upper bound, status and one note per pass.
    """
    notes: list[str] = []
    integral = bool(np.all(np.abs(wr - np.round(wr)) < 1e-9))
    margin = 1.0 - 1e-6 if integral else 1e-9 * max(1.0, lower)
    forced = (
        forced_bounds(ar, wr, k, lam, allowed)
        if lam is not None
        else np.where(allowed, np.inf, -np.inf)
    )
    best_sol, best_val = list(warm), lower
    ub = upper
    # passes: our own branch-and-bound first (T = best value so far); when its node budget
    # runs out, HiGHS's MILP with a target between the incumbent and the bound, then the
    # exact HiGHS pass ("final")
    passes: list[tuple[str, float | None]] = [("branch-and-bound", None)]
    if upper - lower > margin:
        # a target above the optimum makes the pass prove nothing, a low one rules few out
        passes.append(("target", lower + TARGET_FRACTION * (upper - lower)))
    passes.append(("final", None))
    status: MilpStatus = "feasible"
    for label, t in passes:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        thr = (best_val + margin) if t is None else t
        keep = _kept_columns(allowed, forced, thr, best_sol, k)
        ruled_out = int((allowed & ~keep).sum())
        bb = label == "branch-and-bound"
        r = presolved_milp(
            arc,
            wr,
            k,
            allowed=keep,
            warm=best_sol,
            time_limit_s=max(remaining, 0.1),
            branch_margin=margin if bb else None,
        )
        notes.append(
            f"exact pass ({label if t is None else f'target {t:.6g}'}): {ruled_out} "
            "candidates ruled out by Lagrangian reduced costs; "
            f"{r.notes[0].removeprefix('exact presolve: ')}"
        )
        if r.status == "infeasible" or r.chosen is None:
            break
        if r.value > best_val:
            best_sol, best_val = r.chosen, r.value
        # solutions outside `keep` are worth < thr; inside, at most the pass's bound
        pass_ub = r.value if r.status == "optimal" else r.bound
        ub = min(ub, max(pass_ub, thr if ruled_out else -np.inf))
        if ub - best_val <= margin + 1e-9 * max(1.0, abs(best_val)):
            status = "optimal"
            ub = best_val
            break
        if r.status != "optimal" and not bb:
            break  # out of time or nodes
    return MilpResult(best_sol, best_val, ub, status, tuple(notes))
