"""The first phase of a solve: check the arguments, reduce the instance, check feasibility."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geo_outreach._errors import InputDataError
from geo_outreach.coverage._arrays import BoolArray, FloatArray, LabelArray, covered_mask
from geo_outreach.coverage.constraints import (
    Conflicts,
    ShareGroup,
    SiteGroup,
    SiteMinimums,
    group_minimums,
    share_minimums,
    site_minimums,
    spacing_conflicts,
)
from geo_outreach.coverage.reduce import reduce_demand

SolveMethod = Literal["auto", "greedy", "exact"]
METHODS: tuple[str, ...] = ("auto", "greedy", "exact")

#: ``method="auto"`` runs the MILP when the reduced matrix has at most this many non-zeros
#: (beyond that, building and solving the model takes longer than ~20 s on a laptop, and the
#: heuristic answer and its Lagrangian bound are returned).
AUTO_EXACT_MAX_NNZ = 1_500_000


@dataclass(frozen=True)
class CoverageProblem:
    """The checked instance after the exact reductions (the first phase of a solve)."""

    ar: sp.csr_matrix  # reduced demand rows x candidates
    arc: sp.csc_matrix  # the same, column-wise
    wr: FloatArray  # weight per reduced row
    allowed: BoolArray  # columns that may be chosen
    conflicts: Conflicts | None
    budget: int
    method: str
    time_limit_s: float | None  # None: no safety net (budgeted by work only)
    existing: list[int]
    existing_weight: float  # weight existing sites cover
    total: float  # total demand weight
    group_of_cand: LabelArray | None
    min_sites: dict[Hashable, int]
    sites: SiteMinimums
    share_groups: list[ShareGroup]

    @property
    def site_groups(self) -> list[SiteGroup]:
        """Candidate groups that still need new sites."""
        return self.sites.groups

    @property
    def constrained(self) -> bool:
        """Spacing, site or share minimums apply."""
        return bool(self.share_groups) or bool(self.site_groups) or bool(self.conflicts)

    @property
    def milp_eligible(self) -> bool:
        """The MILP runs when the bound leaves a gap."""
        return self.method == "exact" or (
            self.method == "auto" and self.arc.nnz <= AUTO_EXACT_MAX_NNZ
        )

    @property
    def tol(self) -> float:
        """Absolute tolerance on covered weight."""
        return 1e-9 * max(1.0, float(self.wr.sum()))


def _check_weights(w: ArrayLike, n: int) -> FloatArray:
    wa = np.asarray(w, dtype=float).ravel()
    if len(wa) != n:
        raise InputDataError(f"weights have {len(wa)} values for {n} demand rows")
    if (wa < 0).any() or not np.isfinite(wa).all():
        raise InputDataError("demand weights must be finite and >= 0")
    return wa


def _check_sites(existing: Sequence[int], budget: int, m: int) -> list[int]:
    ex = [int(j) for j in existing]
    if len(set(ex)) != len(ex) or any(j < 0 or j >= m for j in ex):
        raise InputDataError(f"existing sites must be distinct column indices in [0, {m})")
    if isinstance(budget, bool) or int(budget) != budget or budget < 0:
        raise InputDataError(f"budget must be a whole number >= 0, got {budget!r}")
    free = m - len(ex)
    if int(budget) > free:
        raise InputDataError(
            f"budget {int(budget)} is larger than the {free} candidate sites available; "
            "lower the budget or add candidates"
        )
    return ex


def _labels(labels: ArrayLike | None, size: int, what: str, of: str) -> LabelArray | None:
    if labels is None:
        return None
    arr = np.asarray(labels, dtype=object)
    if len(arr) != size:
        raise InputDataError(f"{what} has {len(arr)} labels for {size} {of}")
    return arr


@dataclass(frozen=True)
class _Rest:
    """Rows existing sites leave uncovered, merged (see :func:`_reduce_rest`)."""

    matrix: sp.csr_matrix
    weights: FloatArray
    groups: LabelArray | None


def _reduce_rest(
    a: sp.csr_matrix,
    w: FloatArray,
    g_dem: LabelArray | None,
    cov_exist: BoolArray,
    *,
    grouped: bool,
    reduce: bool,
) -> _Rest:
    keep_rows = np.flatnonzero(~cov_exist)
    a_rest = a[keep_rows]
    w_rest = w[keep_rows]
    g_rest = None if g_dem is None else g_dem[keep_rows]
    if reduce:
        red = reduce_demand(a_rest, w_rest, groups=g_rest if grouped else None)
        return _Rest(red.matrix, red.weights, red.groups if grouped else None)
    nz = np.diff(a_rest.indptr) > 0
    groups = g_rest[nz] if (g_rest is not None and grouped) else None
    return _Rest(sp.csr_matrix(a_rest[nz], dtype=np.uint8), w_rest[nz], groups)


def prepare_problem(
    a: sp.spmatrix,
    w: ArrayLike,
    budget: int,
    *,
    method: str,
    time_limit_s: float | None,
    existing: Sequence[int],
    min_per_group: int | Mapping[Hashable, int] | None,
    group_of_candidate: ArrayLike | None,
    min_share_per_group: float | Mapping[Hashable, float] | None,
    group_of_demand: ArrayLike | None,
    min_spacing_m: float,
    cand_xy: ArrayLike | None,
    reduce: bool,
) -> CoverageProblem:
    """Check the arguments, reduce the instance and check the group constraints.

    Rows covered by existing sites are done; identical rows are merged
    (:func:`~geo_outreach.coverage.reduce.reduce_demand`, exact); the group constraints are
    checked up front, naming the group that cannot be met. The arguments are those of
    :func:`~geo_outreach.coverage.solve.maximize_coverage`.

    Returns
    -------
    CoverageProblem
        The reduced instance with its constraints.

    Raises
    ------
    InputDataError
        Bad arguments.
    InfeasiblePlanError
        A per-group minimum cannot be met.
    """
    if method not in METHODS:
        raise InputDataError(f"method must be one of {list(METHODS)}, got {method!r}")
    if time_limit_s is not None and not time_limit_s > 0:
        raise InputDataError(
            f"time_limit_s must be > 0 seconds or None (no limit), got {time_limit_s!r}"
        )
    a = sp.csr_matrix(a)
    n, m = a.shape
    wa = _check_weights(w, n)
    ex = _check_sites(existing, budget, m)
    g_cand = _labels(group_of_candidate, m, "group_of_candidate", "candidates")
    g_dem = _labels(group_of_demand, n, "group_of_demand", "demand rows")
    min_sites = group_minimums(min_per_group, g_cand, "min_per_group", int)
    min_share = group_minimums(min_share_per_group, g_dem, "min_share_per_group", float)
    conflicts = spacing_conflicts(cand_xy, min_spacing_m, m)
    # rows covered by existing sites are done; merge identical rows
    cov_exist = covered_mask(a.tocsc(), ex)
    rest = _reduce_rest(a, wa, g_dem, cov_exist, grouped=bool(min_share), reduce=reduce)
    allowed = np.ones(m, dtype=bool)
    allowed[ex] = False
    if conflicts:
        for j in ex:
            allowed[list(conflicts[j])] = False
    # feasibility of the group constraints (naming the group)
    sites = site_minimums(min_sites, g_cand, ex, allowed, int(budget))
    shares = share_minimums(min_share, g_dem, wa, cov_exist, rest.groups, rest.weights)
    return CoverageProblem(
        ar=rest.matrix,
        arc=rest.matrix.tocsc(),
        wr=rest.weights,
        allowed=allowed,
        conflicts=conflicts,
        budget=int(budget),
        method=method,
        time_limit_s=time_limit_s,
        existing=ex,
        existing_weight=float(wa[cov_exist].sum()),
        total=float(wa.sum()),
        group_of_cand=g_cand,
        min_sites=min_sites,
        sites=sites,
        share_groups=shares,
    )
