"""Evaluating site sets: covered weight, greedy rank order, coverage curve, gap analysis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geo_outreach.coverage._arrays import col_rows, covered_mask
from geo_outreach.coverage.heuristics import CoverState, lazy_greedy


def covered_weight(a: sp.spmatrix, w: ArrayLike, chosen: Sequence[int]) -> float:
    """Weight of the demand rows that at least one of ``chosen`` covers.

    Parameters
    ----------
    a
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    chosen
        Candidate columns.

    Returns
    -------
    float
        The covered weight.
    """
    csc = sp.csc_matrix(a)
    return float(np.asarray(w, dtype=float)[covered_mask(csc, list(chosen))].sum())


def rank_order(
    a: sp.spmatrix, w: ArrayLike, chosen: Sequence[int], *, existing: Sequence[int] = ()
) -> tuple[list[int], list[float]]:
    """Order ``chosen`` greedily (largest marginal gain first, after ``existing``).

    Parameters
    ----------
    a
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    chosen
        Candidate columns to order.
    existing
        Columns counted as covering before the first of ``chosen``.

    Returns
    -------
    (list of int, list of float)
        The columns in rank order and the weight each adds.
    """
    csc = sp.csc_matrix(a)
    wa = np.asarray(w, dtype=float)
    cov = covered_mask(csc, list(existing))
    cols = [int(j) for j in chosen]
    sub_t = sp.csr_matrix(csc[:, cols].T, dtype=float)  # one row per chosen column
    done = np.zeros(len(cols), dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    for _ in range(len(cols)):
        g = np.where(done, -np.inf, sub_t @ (wa * ~cov))  # first largest gain wins ties
        b = int(np.argmax(g))
        done[b] = True
        order.append(cols[b])
        gains.append(float(g[b]))
        cov[col_rows(csc, cols[b])] = True
    return order, gains


def coverage_curve(
    a: sp.spmatrix,
    w: ArrayLike,
    k_max: int,
    *,
    existing: Sequence[int] = (),
) -> pd.DataFrame:
    """Covered weight and share for k = 0 .. k_max sites.

    The curve is the greedy nested sequence (site k+1 added to the first k), so it is
    monotone and each point is within (1 - 1/e) of the best k-set; ``k = 0`` is what
    ``existing`` sites cover.

    Parameters
    ----------
    a
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    k_max
        Most new sites (capped at the free candidates).
    existing
        Columns already in place.

    Returns
    -------
    pandas.DataFrame
        Columns ``k, covered_weight, covered_share``.
    """
    a = sp.csr_matrix(a)
    wa = np.asarray(w, dtype=float)
    total = float(wa.sum())
    m = a.shape[1]
    k_max = int(min(k_max, m - len(existing)))
    csc = a.tocsc()
    st = CoverState(csc, wa, list(existing))
    allowed = np.ones(m, dtype=bool)
    allowed[list(existing)] = False
    chosen: list[int] = list(existing)
    base = st.value()
    added = lazy_greedy(st, k_max, allowed, chosen, None)
    cov = covered_mask(csc, list(existing))
    vals = [base]
    for j in added:
        cov[col_rows(csc, j)] = True
        vals.append(float(wa[cov].sum()))
    df = pd.DataFrame({"k": np.arange(len(vals), dtype=int), "covered_weight": vals})
    df["covered_share"] = df["covered_weight"] / total if total > 0 else 0.0
    return df


def gap_analysis(a: sp.spmatrix, w: ArrayLike, existing: Sequence[int]) -> pd.DataFrame:
    """Tell what each existing site covers alone and in addition to the others.

    Parameters
    ----------
    a
        Sparse (demand x candidate) coverage matrix.
    w
        Demand weights.
    existing
        Existing site columns.

    Returns
    -------
    pandas.DataFrame
        One row per existing site (``site`` = column index, ``role="existing"``) with
        ``covered_weight`` (alone), ``unique_weight`` (covered by no other existing site:
        what is lost if it moves) and their shares of the total, plus a final row
        ``role="uncovered"`` (``site=-1``) with the weight no existing site covers.
    """
    csc = sp.csc_matrix(a)
    wa = np.asarray(w, dtype=float)
    total = float(wa.sum())
    cnt = np.zeros(csc.shape[0], dtype=np.int32)
    for j in existing:
        cnt[col_rows(csc, j)] += 1
    recs = []
    for j in existing:
        rows = col_rows(csc, j)
        alone = float(wa[rows].sum())
        unique = float(wa[rows][cnt[rows] == 1].sum())
        recs.append(
            {"site": int(j), "role": "existing", "covered_weight": alone, "unique_weight": unique}
        )
    unc = float(wa[cnt == 0].sum())
    recs.append({"site": -1, "role": "uncovered", "covered_weight": unc, "unique_weight": unc})
    df = pd.DataFrame(recs, columns=["site", "role", "covered_weight", "unique_weight"])
    df["covered_share"] = df["covered_weight"] / total if total > 0 else 0.0
    df["unique_share"] = df["unique_weight"] / total if total > 0 else 0.0
    return df
