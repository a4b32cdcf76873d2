"""Matrix -> solution: :func:`maximize_coverage` (budget ``k`` sites, maximise covered weight).

The solve runs in phases, each a function returning a small frozen record:

1. :func:`~geo_outreach.coverage.problem.prepare_problem` - check the arguments; rows
   covered by existing sites are done; merge identical demand rows (exact); check the group
   constraints up front, naming the group that cannot be met.
2. :func:`_seed_groups` - lazy greedy, the group minimums seeded first.
3. :func:`_heuristic` - unconstrained: incremental swap search + iterated local search;
   with constraints: a 1-swap search that keeps them (not with share minimums: a swap
   could break them).
4. :func:`_bound` - Lagrangian bound from the heuristic answer's point (ignores constraints,
   so it is valid for the constrained problem too); its best top-k set may beat the heuristic.
   Before a MILP (above 10,000 non-zeros) the LP relaxation's duals then give the best
   multipliers (the LP bound) for the reduced-cost fixing, and its solution rounded (the
   largest sites, then the swap search) may give a better start.
5. :func:`_exact` - the exact solve (``exact``, or ``auto`` on instances of at most
   :data:`AUTO_EXACT_MAX_NNZ` non-zeros), unless the bound already proves the answer
   optimal: unconstrained, our own LP branch-and-bound
   (:mod:`~geo_outreach.coverage.branch`, node budget) and HiGHS's MILP only when that
   budget runs out; with constraints, the HiGHS MILP, warm-started. Its bound tightens the
   bound.
6. :func:`_finish` - pad to the budget, rank the sites, gap and status.

``status`` says whether optimality was proven, and ``gap`` how far from the bound the answer
may be. The local search and the bound are budgeted by work (perturbation rounds,
subgradient steps: :data:`LS_ROUNDS`, :data:`LS_ROUNDS_LARGE`, :data:`LAG_STEPS_LARGE`), and
HiGHS runs single-threaded with a fixed seed and a node budget (:data:`MILP_MAX_NODES`), so
the same input and seed give the same answer on any machine. ``time_limit_s`` (default
``None``: none) is an optional safety net: when it stops a phase early, a note says so (the
answer then depends on the machine's speed).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geo_outreach._errors import InfeasiblePlanError
from geo_outreach.coverage._arrays import FloatArray, IntArray
from geo_outreach.coverage.bound import bound_at, lagrangian
from geo_outreach.coverage.constraints import unmet_shares
from geo_outreach.coverage.curves import rank_order
from geo_outreach.coverage.heuristics import (
    CoverState,
    GroupMinimums,
    SwapState,
    iterated_local_search,
    lazy_greedy,
    swap_search,
)
from geo_outreach.coverage.milp import (
    MILP_MAX_NODES,
    MilpResult,
    exact_by_thresholds,
    lp_relaxation,
    solve_milp,
)
from geo_outreach.coverage.problem import (
    AUTO_EXACT_MAX_NNZ,
    METHODS,
    CoverageProblem,
    SolveMethod,
    prepare_problem,
)

#: Work budgets (deterministic: the same input and seed give the same answer on any
#: machine): perturbation rounds of the iterated local search before a MILP / on instances
#: too large for it, and subgradient steps of the bound on the latter; the bound stops
#: early once the gap to the best known answer is below STOP_GAP.
LS_ROUNDS = 200
LS_ROUNDS_LARGE = 10
LAG_STEPS_LARGE = 900
STOP_GAP = 0.01

#: Below this many non-zeros (reduced matrix) a MILP run skips the local search: on the
#: bench's 1,000 x 200 instances (~2,900 non-zeros) the swap search took 2/3 of the solve
#: and the MILP from the greedy start is as quick as from the local optimum.
TINY_MILP_NNZ = 10_000

__all__ = [
    "AUTO_EXACT_MAX_NNZ",
    "METHODS",
    "MILP_MAX_NODES",
    "CoverageSolution",
    "SolveMethod",
    "maximize_coverage",
]


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
        """Covered weight as a share of the total weight."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the solution as a JSON-ready dict."""
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


# --------------------------------------------------------------------------- 2. greedy


@dataclass(frozen=True)
class _Seeded:
    """Greedy answer (phase 2); ``state`` counts the coverage of ``chosen``."""

    chosen: list[int]
    state: CoverState
    notes: tuple[str, ...]


def _seed_site_groups(p: CoverageProblem, st: CoverState, chosen: list[int]) -> None:
    m = p.arc.shape[1]
    for g in p.site_groups:
        ok = np.zeros(m, dtype=bool)
        ok[g.cols] = True
        ok &= p.allowed
        got = lazy_greedy(st, g.need, ok, chosen, p.conflicts)
        if len(got) < g.need:
            raise InfeasiblePlanError(
                f"precinct {g.group!r}: could not place {g.need} sites that respect the "
                "minimum spacing; lower the spacing or the minimum"
            )


def _seed_share_groups(p: CoverageProblem, st: CoverState, chosen: list[int]) -> None:
    wr = p.wr
    for g in p.share_groups:
        mask = np.zeros(p.arc.shape[0], dtype=bool)
        mask[g.rows] = True

        def met(rows: IntArray = g.rows, need_w: float = g.need_weight) -> bool:
            return float(wr[rows][st.cnt[rows] > 0].sum()) >= need_w

        lazy_greedy(
            st,
            p.budget - len(chosen),
            p.allowed,
            chosen,
            p.conflicts,
            row_mask=mask,
            stop_when=met,
        )


def _seed_groups(p: CoverageProblem) -> _Seeded:
    """Lazy greedy, the per-group site and covered-share minimums seeded first."""
    st = CoverState(p.arc, p.wr, [])
    chosen: list[int] = []
    notes: list[str] = []
    _seed_site_groups(p, st, chosen)
    if p.site_groups:
        notes.append("greedy seeded the per-precinct site minimums first")
    _seed_share_groups(p, st, chosen)
    if p.share_groups:
        notes.append("greedy seeded the per-precinct covered-share minimums first")
    lazy_greedy(st, p.budget - len(chosen), p.allowed, chosen, p.conflicts)
    if p.conflicts:
        notes.append(
            "greedy honours the minimum spacing by skipping sites too close to chosen ones"
        )
    if len(chosen) < p.budget:
        notes.append(
            f"only {len(chosen)} of {p.budget} sites could be placed "
            "(spacing leaves no more candidates)"
        )
    return _Seeded(chosen, st, tuple(notes))


# --------------------------------------------------------------------------- 3. local search


@dataclass(frozen=True)
class _Heuristic:
    """Heuristic answer (phase 3) and the share minimums it leaves unmet."""

    chosen: list[int]
    state: CoverState
    value: float
    unmet: list[Hashable]
    notes: tuple[str, ...]
    timed_out: bool = False


def _heuristic(p: CoverageProblem, seeded: _Seeded, *, seed: int, deadline: float) -> _Heuristic:
    """Local search from the greedy answer (not with share minimums); budgeted by work."""
    chosen, st = seeded.chosen, seeded.state
    notes: list[str] = []
    timed_out = False
    if not p.constrained and chosen and p.milp_eligible and p.arc.nnz <= TINY_MILP_NNZ:
        pass  # tiny: the MILP from the greedy start is quicker than a local search first
    elif not p.constrained and chosen:
        # unconstrained: incremental swap search + iterated local search (perturb, refill,
        # swap), budgeted by rounds; before a MILP a short search suffices
        small = p.arc.nnz <= 100_000
        greedy_value = st.value()
        ls = iterated_local_search(
            p.ar,
            p.arc,
            p.wr,
            list(chosen),
            p.allowed,
            deadline=deadline,
            seed=seed,
            max_rounds=LS_ROUNDS if p.milp_eligible else LS_ROUNDS_LARGE,
            max_stall=5 if (p.milp_eligible and small) else 30,
        )
        timed_out = ls.timed_out
        if ls.value > greedy_value + p.tol:
            chosen[:] = ls.chosen
            st = CoverState(p.arc, p.wr, chosen)
            notes.append(
                f"local search ({ls.rounds} perturbation rounds) improved greedy by "
                f"{ls.value - greedy_value:.6g}"
            )
    elif not p.share_groups and chosen:
        n_sw = swap_search(st, chosen, p.allowed, p.conflicts, _groups(p), deadline)
        timed_out = time.perf_counter() >= deadline
        if n_sw:
            notes.append(f"swap local search improved greedy by {n_sw} swap(s)")
    unmet = unmet_shares(p.share_groups, p.arc, p.wr, chosen)
    return _Heuristic(chosen, st, st.value(), unmet, tuple(notes), timed_out)


def _groups(p: CoverageProblem) -> GroupMinimums:
    return GroupMinimums(p.group_of_cand, p.min_sites, p.sites.existing_per_group)


# --------------------------------------------------------------------------- 4. bound


@dataclass(frozen=True)
class _Bound:
    """Upper bound (phase 4), its multipliers, and the answer (maybe a Lagrangian set)."""

    upper: float
    lam: FloatArray | None
    chosen: list[int]
    value: float
    notes: tuple[str, ...]


def _lp_rounding(p: CoverageProblem, x: FloatArray) -> tuple[list[int], float]:
    """Round the LP: the ``budget`` sites with the largest x, then the swap local search.

    On the bench's 5,000 x 1,000, p = 50 instances (six seeds) this start beat greedy +
    iterated local search on four and lost on one, in ~0.02 s: a better incumbent for the
    branch-and-bound, which then prunes more.
    """
    x = np.where(p.allowed, x, -np.inf)
    top = [int(j) for j in np.argsort(-x, kind="stable")[: p.budget]]
    st = SwapState(p.ar, p.arc, p.wr, top)
    st.local_search(p.allowed, np.inf, p.tol)
    return list(st.chosen), float(st.value)


def _bound(p: CoverageProblem, heur: _Heuristic, deadline: float) -> _Bound:
    """Lagrangian bound from the heuristic answer's point (subgradient steps), then LP duals."""
    chosen, heur_value = heur.chosen, heur.value
    start = p.wr * (heur.state.cnt == 0)
    eligible = p.milp_eligible
    # when the MILP will run, a short Lagrangian suffices (it may prove greedy optimal early);
    # without one, the bound is all that is left to do: a long, patient run that stops when
    # the gap is small enough
    lag = lagrangian(
        p.ar,
        p.wr,
        p.budget,
        lower=heur_value,
        start=start,
        time_limit_s=max(0.1, deadline - time.perf_counter()),
        # (below 10,000 non-zeros the MILP is quicker than more subgradient steps)
        max_iter=(40 if p.arc.nnz <= 10_000 else 150) if eligible else LAG_STEPS_LARGE,
        stall_limit=20 if eligible else 30,
        stop_gap=0.0 if eligible else STOP_GAP,
    )
    upper, lam = lag.bound, lag.multipliers
    lag_set, lag_value = lag.best_set, lag.best_primal
    timed_out = lag.timed_out
    better = "a Lagrangian top-k set"
    if (
        eligible
        and lam is not None
        and p.arc.nnz > 10_000  # below this the MILP is quicker than more subgradient steps
        and upper - max(heur_value, lag_value) > 1e-9 * max(1.0, upper)
    ):
        # the MILP will run: the best multipliers pay off (tighter bound, more columns
        # ruled out); the LP relaxation's duals are those, and HiGHS finds them faster than
        # more subgradient steps (5,000 x 1,000, p = 50: 0.15 s against 0.3-0.45 s)
        lp = lp_relaxation(p.arc, p.wr, p.budget, p.allowed)
        if lp is not None:
            upper_lp = bound_at(p.ar, p.wr, p.budget, lp[0])
            if upper_lp < upper:
                upper, lam = upper_lp, lp[0]
            if not p.constrained:
                lp_set, lp_value = _lp_rounding(p, lp[1])
                if lp_value > max(heur_value, lag_value) + p.tol:
                    lag_set, lag_value = lp_set, lp_value
                    better = "the LP relaxation's largest sites + swap search"
    upper = min(upper, float(p.wr.sum()))
    notes: tuple[str, ...] = ()
    if (
        lag_set is not None
        and lag_value > heur_value + 1e-9 * max(1.0, heur_value)
        and not p.constrained
    ):
        chosen[:] = lag_set
        heur_value = CoverState(p.arc, p.wr, chosen).value()
        notes = (f"{better} beat greedy + swap",)
    if timed_out or heur.timed_out:
        notes += (
            "the time limit (a safety net) stopped the local search or the bound before "
            "their work budget: this answer may differ on a faster or slower machine",
        )
    return _Bound(upper, lam, chosen, heur_value, notes)


# --------------------------------------------------------------------------- 5. exact


@dataclass(frozen=True)
class _Exact:
    """Best answer after the MILP (phase 5); ``value`` is -inf when none meets the shares."""

    chosen: list[int]
    value: float
    upper: float
    method: str
    notes: tuple[str, ...]


def _run_milp(
    p: CoverageProblem, bnd: _Bound, unmet: list[Hashable], deadline: float
) -> MilpResult:
    remaining = deadline - time.perf_counter()
    if not p.constrained:
        return exact_by_thresholds(
            p.arc,
            p.ar,
            p.wr,
            p.budget,
            allowed=p.allowed,
            warm=list(bnd.chosen),
            lam=bnd.lam,
            lower=bnd.value,
            upper=bnd.upper,
            deadline=time.perf_counter() + max(remaining, 1.0),
        )
    return solve_milp(
        p.arc,
        p.wr,
        p.budget,
        allowed=p.allowed,
        warm=[] if unmet else bnd.chosen,
        conflicts=p.conflicts,
        site_groups=p.site_groups,
        share_groups=p.share_groups,
        time_limit_s=max(remaining, 1.0),
    )


def _exact(p: CoverageProblem, bnd: _Bound, unmet: list[Hashable], deadline: float) -> _Exact:
    """Run the MILP when the bound leaves a gap (or the heuristic answer breaks a share)."""
    best_cols, best_value = list(bnd.chosen), bnd.value
    used = "exact" if p.method == "exact" else "greedy"  # exact: proven by the bound or MILP
    if unmet:
        best_value = -np.inf  # the heuristic answer breaks a constraint
    upper = bnd.upper
    notes: list[str] = []
    gap_open = upper - bnd.value > p.tol or bool(unmet)
    if p.method == "auto" and p.arc.nnz > AUTO_EXACT_MAX_NNZ and upper - bnd.value > p.tol:
        notes.append(
            f"auto: reduced matrix has {p.arc.nnz} non-zeros (> {AUTO_EXACT_MAX_NNZ}); "
            "kept the heuristic answer and its bound"
        )
    if not (gap_open and p.milp_eligible and p.budget > 0 and p.arc.shape[0] > 0):
        return _Exact(best_cols, best_value, upper, used, tuple(notes))
    r = _run_milp(p, bnd, unmet, deadline)
    notes.extend(r.notes)
    if r.status == "infeasible":
        groups = [g.group for g in p.site_groups] + [g.group for g in p.share_groups]
        names = ", ".join(repr(g) for g in groups)
        raise InfeasiblePlanError(
            f"the per-precinct minimums cannot all be met with {p.budget} sites "
            f"(precincts {names}); raise the budget or lower the minimums"
        )
    if r.chosen is not None:
        used = "exact" if p.method == "exact" else "greedy+exact"
        fixes = bool(unmet) and not unmet_shares(p.share_groups, p.arc, p.wr, r.chosen)
        if r.value > best_value + p.tol or fixes:
            best_cols, best_value = r.chosen, r.value
        if r.status == "optimal":
            upper = min(upper, max(r.value, best_value))
        else:
            upper = min(upper, r.bound)
            notes.append(
                "exact: HiGHS stopped at its node budget or the time limit; best solution "
                "and HiGHS bound reported"
            )
    elif r.status == "failed":
        notes.append("exact: HiGHS found no solution within the time limit")
    return _Exact(best_cols, best_value, upper, used, tuple(notes))


# --------------------------------------------------------------------------- 6. finish


def _finish(
    p: CoverageProblem, ex: _Exact, unmet: list[Hashable], notes: tuple[str, ...], t0: float
) -> CoverageSolution:
    """Pad to the budget, rank the sites, and state the gap and status."""
    if ex.value == -np.inf:
        raise InfeasiblePlanError(
            f"greedy could not meet the covered-share minimum of precincts {unmet!r} "
            f"with {p.budget} sites; use method='exact' or raise the budget"
        )
    best_cols, best_value = list(ex.chosen), ex.value
    upper = max(ex.upper, best_value)
    status = "feasible"
    if upper - best_value <= p.tol:
        status = "optimal"
        upper = best_value
    # pad to the budget with zero-gain sites (ties) so that exactly `budget` sites are listed
    if len(best_cols) < p.budget:
        st = CoverState(p.arc, p.wr, best_cols)
        lazy_greedy(st, p.budget - len(best_cols), p.allowed, best_cols, p.conflicts)
    order, gains = rank_order(p.arc, p.wr, best_cols)
    value = p.existing_weight + best_value
    ub = p.existing_weight + upper
    gap = (ub - value) / ub if ub > 0 else 0.0
    if gap < 1e-12:
        gap = 0.0
    return CoverageSolution(
        chosen=tuple(int(j) for j in order),
        covered_weight=float(value),
        total_weight=p.total,
        upper_bound=float(ub),
        gap=float(gap),
        status=status,
        method=ex.method,
        seconds=time.perf_counter() - t0,
        marginal=tuple(float(g) for g in gains),
        existing=tuple(p.existing),
        existing_weight=p.existing_weight,
        notes=notes,
    )


# --------------------------------------------------------------------------- entry point


def maximize_coverage(
    a: sp.spmatrix,
    w: ArrayLike,
    budget: int,
    *,
    method: SolveMethod = "auto",
    time_limit_s: float | None = None,
    existing: Sequence[int] = (),
    min_per_group: int | Mapping[Hashable, int] | None = None,
    group_of_candidate: ArrayLike | None = None,
    min_share_per_group: float | Mapping[Hashable, float] | None = None,
    group_of_demand: ArrayLike | None = None,
    min_spacing_m: float = 0.0,
    cand_xy: ArrayLike | None = None,
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
        ``"greedy"`` (lazy greedy + local search), ``"exact"`` (HiGHS MILP warm-started
        from greedy, time-limited) or ``"auto"`` (see the module docstring).
    time_limit_s
        Optional wall-clock safety net over the local search + bound + MILP (seconds).
        ``None`` (default): none; every phase is budgeted by work, so the answer is the
        same on any machine. When a limit stops a phase early, a note says so.
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
        Seed of the iterated local search's random perturbations (unconstrained problem);
        the same seed gives the same answer on the same input.
    reduce
        Apply :func:`~geo_outreach.coverage.reduce.reduce_demand` first (exact; disable only
        for debugging).

    Returns
    -------
    CoverageSolution
        Chosen sites in rank order, covered weight, upper bound, gap and status.

    Raises
    ------
    InputDataError
        Bad arguments (budget larger than the free candidates, weights of the wrong length,
        negative weights, unknown method).
    InfeasiblePlanError
        A per-group minimum cannot be met; the message names the group.
    """
    t0 = time.perf_counter()
    p = prepare_problem(
        a,
        w,
        budget,
        method=method,
        time_limit_s=time_limit_s,
        existing=existing,
        min_per_group=min_per_group,
        group_of_candidate=group_of_candidate,
        min_share_per_group=min_share_per_group,
        group_of_demand=group_of_demand,
        min_spacing_m=min_spacing_m,
        cand_xy=cand_xy,
        reduce=reduce,
    )
    deadline = t0 + (np.inf if time_limit_s is None else float(time_limit_s))
    seeded = _seed_groups(p)
    heur = _heuristic(p, seeded, seed=seed, deadline=deadline)
    bnd = _bound(p, heur, deadline)
    ex = _exact(p, bnd, heur.unmet, deadline)
    notes = seeded.notes + heur.notes + bnd.notes + ex.notes
    return _finish(p, ex, heur.unmet, notes, t0)
