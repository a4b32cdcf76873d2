"""Upper bounds: the Lagrangian bound by subgradient steps, and forced (reduced-cost) bounds.

Relaxing ``y_i <= sum_j a_ij x_j`` with multipliers ``0 <= lam <= w`` gives
``L(lam) = sum(w - lam) + sum of the k largest entries of A^T lam``, a bound for every
``lam``. Started from ``lam = w * [row uncovered by S]`` it equals the classical
"``f(S)`` + sum of the top-k marginal gains" bound. The Lagrangian dual of this relaxation
equals the LP relaxation bound, so the bound converges to the LP value. The bound ignores
site constraints, so it stays valid (maybe looser) for the constrained problem.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geo_outreach.coverage._arrays import BoolArray, FloatArray, IntArray

#: the Lagrangian subgradient loop runs its products in float32 above this many non-zeros
LAG_FLOAT32_NNZ = 1_000_000


@dataclass(frozen=True)
class LagrangianResult:
    """Result of :func:`lagrangian`."""

    bound: float  # best (lowest) Lagrangian bound found
    best_set: list[int] | None  # best primal k-set among the Lagrangian top-k sets
    best_primal: float  # its covered weight
    multipliers: FloatArray | None  # the multipliers of the best bound
    iterations: int = 0  # subgradient steps run (the work done)
    timed_out: bool = False  # stopped by the time limit (safety net) rather than by work


def lagrangian_bound(
    a_csr: sp.csr_matrix,
    w: ArrayLike,
    k: int,
    *,
    lower: float,
    start: FloatArray | None = None,
    time_limit_s: float = 2.0,
    max_iter: int = 1000,
) -> float:
    """Upper bound on the best weight ``k`` columns of ``a_csr`` can cover.

    ``L(lam) = sum(w - lam) + sum of the k largest entries of A^T lam`` for ``0 <= lam <= w``
    bounds the optimum for every ``lam``; subgradient steps (Polyak step to ``lower``) lower
    it. ``start`` defaults to ``lam = w`` (sum of the k largest column weights); started at
    ``w * [row uncovered by S]`` it equals ``f(S) + top-k marginal gains w.r.t. S``.

    Parameters
    ----------
    a_csr
        Sparse (demand x candidate) 0/1 coverage matrix.
    w
        Demand weights.
    k
        Number of sites.
    lower
        A known feasible value (the Polyak step aims at it).
    start
        Start multipliers.
    time_limit_s
        Wall-clock limit of the subgradient loop.
    max_iter
        Most subgradient steps.

    Returns
    -------
    float
        The bound.
    """
    return lagrangian(
        a_csr,
        np.asarray(w, dtype=float),
        k,
        lower=lower,
        start=start,
        time_limit_s=time_limit_s,
        max_iter=max_iter,
    ).bound


def bound_at(a_csr: sp.csr_matrix, w: FloatArray, k: int, lam: FloatArray) -> float:
    """``L(lam) = sum(w - lam) + sum of the k largest entries of A^T lam`` (a valid bound).

    Parameters
    ----------
    a_csr
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    k
        Number of sites.
    lam
        Multipliers (clipped to ``[0, w]`` first, so any vector gives a valid bound).

    Returns
    -------
    float
        The bound.
    """
    lam = np.clip(lam, 0.0, w)
    score = np.asarray(sp.csr_matrix(a_csr.T, dtype=float) @ lam, dtype=float)
    m = len(score)
    top = _top_k(score, min(k, m), m) if k > 0 and m > 0 else np.arange(0)
    return float((w - lam).sum() + score[top].sum())


def forced_bounds(
    a_csr: sp.csr_matrix, w: FloatArray, k: int, lam: FloatArray, allowed: BoolArray
) -> FloatArray:
    """Lagrangian bound on every solution that uses column ``j`` (reduced-cost fixing).

    With ``x_j`` forced to 1, ``L(lam)`` swaps the k-th best score for ``score_j``. Columns
    in the Lagrangian top-k get ``+inf`` (never ruled out), disallowed ones ``-inf``.

    Parameters
    ----------
    a_csr
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    k
        Number of sites.
    lam
        Lagrange multipliers.
    allowed
        Columns that may be chosen.

    Returns
    -------
    numpy.ndarray
        The bound per column.
    """
    score = sp.csr_matrix(a_csr.T, dtype=float) @ lam
    score = np.where(allowed, score, -np.inf)
    kk = min(k, int(allowed.sum()))
    if kk <= 0 or kk >= int(allowed.sum()):
        out: FloatArray = np.where(allowed, np.inf, -np.inf)
        return out
    top = np.argpartition(-score, kk - 1)[:kk]
    base = float((w - lam).sum() + score[top].sum())
    forced: FloatArray = base - float(score[top].min()) + score
    forced[top] = np.inf
    return forced


def _top_k(score: FloatArray, k: int, m: int) -> IntArray:
    return np.argpartition(-score, k - 1)[:k] if k < m else np.arange(m)


@dataclass
class _Subgradient:
    """Deflected, projected subgradient steps on the multipliers."""

    w: FloatArray
    lam: FloatArray
    direction: FloatArray
    theta: float
    patient: bool  # long runs: larger first step, aim between primal value and bound

    def step(self, cnt: FloatArray, val: float, best: float, target: float) -> bool:
        """One step from the cover counts of the current top-k; False when it cannot move."""
        # deflected subgradient (half of the previous direction kept): fewer zig-zags
        direction = (cnt - 1.0) + 0.5 * self.direction  # dL/dlam = cover count - 1
        # projected: ignore directions blocked by the box
        direction[(self.lam <= 0) & (direction > 0)] = 0.0
        direction[(self.lam >= self.w) & (direction < 0)] = 0.0
        self.direction = direction
        norm = float(direction @ direction)
        if norm <= 0:
            return False
        # Polyak step; long runs aim between the best primal value and the best bound (the
        # LP value lies in between: steps to the primal value alone overshoot)
        aim = target + 0.3 * (best - target) if self.patient else target
        step = self.theta * (val - aim) / norm
        self.lam = np.clip(self.lam - step * direction, 0.0, self.w)
        return True


def _bound_in_float64(
    at: sp.csr_matrix, w: FloatArray, k: int, best_lam: FloatArray
) -> tuple[float, FloatArray]:
    """Recompute the float32 loop's best multipliers and their bound in float64."""
    m = at.shape[0]
    lam32 = best_lam.astype(np.float32).astype(float)  # the multipliers the loop used
    lam = np.clip(lam32, 0.0, w)
    score = at.astype(float) @ lam
    top = _top_k(score, k, m)
    return float((w - lam).sum() + score[top].sum()), lam


def lagrangian(
    a_csr: sp.csr_matrix,
    w: FloatArray,
    k: int,
    *,
    lower: float,
    start: FloatArray | None,
    time_limit_s: float,
    max_iter: int,
    stall_limit: int = 20,
    stop_gap: float = 0.0,
) -> LagrangianResult:
    """Lagrangian bound by subgradient steps, with the best primal set seen on the way.

    The step size factor halves after ``stall_limit`` steps without a better bound (long
    runs converge closer to the LP bound with a patient schedule). Large matrices iterate
    in float32 (less memory traffic); the best multipliers' bound is recomputed in float64
    at the end.

    Parameters
    ----------
    a_csr
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    k
        Number of sites.
    lower
        A known feasible value.
    start
        Start multipliers (``w`` when None).
    time_limit_s
        Wall-clock limit: a safety net (the result says when it stopped the loop; the answer
        then depends on the machine's speed).
    max_iter
        Most steps: the work budget (the same input gives the same bound on any machine).
    stall_limit
        Steps without a better bound before the step factor halves (above 20: patient).
    stop_gap
        Stop once ``(bound - best primal) / bound`` is at most this (0: only when closed).

    Returns
    -------
    LagrangianResult
        Bound, best primal top-k set and its value, best multipliers.
    """
    n, m = a_csr.shape
    if n == 0 or k <= 0:
        return LagrangianResult(0.0, None, 0.0, None)
    k = min(k, m)
    patient = stall_limit > 20
    # m x n; row j = rows covered by column j
    single = a_csr.nnz > LAG_FLOAT32_NNZ
    at = sp.csr_matrix(a_csr.T, dtype=np.float32 if single else float)
    lam = (w.copy() if start is None else np.clip(start, 0.0, w)).astype(float)
    sub = _Subgradient(w, lam, np.zeros(n), 4.0 if patient else 2.0, patient)
    best = np.inf
    stall = 0
    best_set: list[int] | None = None
    best_primal = -np.inf
    best_lam = lam.copy()
    t0 = time.perf_counter()
    iterations = 0
    timed_out = False
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        lam = sub.lam
        score = np.asarray(at @ lam.astype(at.dtype), dtype=float)
        top = _top_k(score, k, m)
        val = float((w - lam).sum() + score[top].sum())
        if val < best - 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            best = val
            best_lam = lam.copy()
            stall = 0
        else:
            stall += 1
            if stall >= stall_limit:
                sub.theta /= 2
                stall = 0
        rows = np.concatenate([at.indices[at.indptr[j] : at.indptr[j + 1]] for j in top])
        cnt = np.bincount(rows, minlength=n).astype(float)
        primal = float(w[cnt > 0].sum())
        if primal > best_primal:
            best_primal, best_set = primal, [int(j) for j in top]
        target = max(lower, best_primal)
        closed = best - target <= max(1e-9, stop_gap) * max(1.0, target)
        if closed or sub.theta < (1e-5 if patient else 1e-3):
            break
        if time.perf_counter() - t0 > time_limit_s:
            timed_out = iterations < max_iter
            break
        if not sub.step(cnt, val, best, target):
            break
    if single and np.isfinite(best):
        best, best_lam = _bound_in_float64(at, w, k, best_lam)
    return LagrangianResult(
        float(best), best_set, float(best_primal), best_lam, iterations, timed_out
    )
