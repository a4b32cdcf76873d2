"""Site constraints: minimum spacing, minimum sites and covered share per group (precinct).

The functions here check feasibility up front and name the group that cannot be satisfied;
the solvers get the groups as :class:`SiteGroup` / :class:`ShareGroup` records.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.coverage._arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    LabelArray,
    as_xy,
    covered_mask,
)

Conflicts = list[set[int]]
"""Per candidate, the candidates closer than the minimum spacing."""

_Num = TypeVar("_Num", int, float)


def spacing_conflicts(cand_xy: ArrayLike | None, min_spacing_m: float, m: int) -> Conflicts | None:
    """Pairs of candidates strictly closer than ``min_spacing_m`` (they exclude each other).

    Parameters
    ----------
    cand_xy
        (m, 2) candidate coordinates in metres; required when a spacing is set.
    min_spacing_m
        Minimum distance between two chosen sites; 0 or less means no spacing.
    m
        Number of candidates.

    Returns
    -------
    list of set of int or None
        ``conf[j]``: the candidates too close to ``j``; ``None`` without a spacing.
    """
    if not min_spacing_m or min_spacing_m <= 0:
        return None
    if cand_xy is None:
        raise InputDataError("min_spacing_m needs cand_xy (candidate coordinates in metres)")
    xy = as_xy(cand_xy, "cand_xy")
    if len(xy) != m:
        raise InputDataError(f"cand_xy has {len(xy)} rows for {m} candidates")
    conf: Conflicts = [set() for _ in range(m)]
    # strictly closer than the spacing cannot both be chosen
    for i, j in cKDTree(xy).query_pairs(np.nextafter(min_spacing_m, 0)):
        conf[i].add(j)
        conf[j].add(i)
    return conf


def group_minimums(
    spec: _Num | Mapping[Hashable, _Num] | None,
    labels: LabelArray | None,
    what: str,
    kind: Callable[[_Num], _Num],
) -> dict[Hashable, _Num]:
    """Per-group minimums from a scalar (every group in ``labels``) or a mapping.

    Parameters
    ----------
    spec
        A minimum for every group, a mapping group -> minimum, or ``None``.
    labels
        Group label per candidate or demand row; required when ``spec`` is given.
    what
        Name of the option, for the error message.
    kind
        ``int`` or ``float``: the type of the minimums.

    Returns
    -------
    dict
        Group -> minimum, positive minimums only.
    """
    if spec is None:
        return {}
    if labels is None:
        raise InputDataError(f"{what} needs the matching group labels")
    if isinstance(spec, Mapping):
        return {k: kind(v) for k, v in spec.items() if kind(v) > 0}
    val = kind(spec)
    if val <= 0:
        return {}
    return {g: val for g in pd.unique(labels)}


@dataclass(frozen=True)
class SiteGroup:
    """A candidate group that still needs sites beyond the existing ones."""

    group: Hashable
    cols: IntArray  # allowed candidate columns of the group
    need: int  # new sites still needed


@dataclass(frozen=True)
class ShareGroup:
    """A demand group whose covered weight must reach ``need_weight``."""

    group: Hashable
    rows: IntArray  # rows of the reduced instance in the group
    need_weight: float  # weight the new sites must cover in the group


@dataclass(frozen=True)
class SiteMinimums:
    """Result of :func:`site_minimums`."""

    existing_per_group: dict[Hashable, int]
    groups: list[SiteGroup]


def site_minimums(
    min_sites: Mapping[Hashable, int],
    group_of_cand: LabelArray | None,
    existing: Sequence[int],
    allowed: BoolArray,
    budget: int,
) -> SiteMinimums:
    """Check the minimum number of sites per candidate group (existing sites count).

    Parameters
    ----------
    min_sites
        Group -> minimum number of sites.
    group_of_cand
        Group label per candidate (required when ``min_sites`` is not empty).
    existing
        Existing site columns.
    allowed
        Columns that may be chosen.
    budget
        Number of new sites.

    Returns
    -------
    SiteMinimums
        Existing sites per group and the groups that still need new sites.

    Raises
    ------
    InfeasiblePlanError
        A group has too few candidates, or the minimums need more sites than the budget.
    """
    existing_per_group: dict[Hashable, int] = {}
    groups: list[SiteGroup] = []
    if not min_sites or group_of_cand is None:
        return SiteMinimums(existing_per_group, groups)
    for j in existing:
        existing_per_group[group_of_cand[j]] = existing_per_group.get(group_of_cand[j], 0) + 1
    total_need = 0
    for grp, need in min_sites.items():
        need_left = need - existing_per_group.get(grp, 0)
        if need_left <= 0:
            continue
        cols = np.flatnonzero((group_of_cand == grp) & allowed)
        if len(cols) < need_left:
            raise InfeasiblePlanError(
                f"precinct {grp!r} needs {need} sites but has only "
                f"{len(cols) + existing_per_group.get(grp, 0)} candidate sites; "
                "lower its minimum or add venues there"
            )
        total_need += need_left
        groups.append(SiteGroup(grp, cols, need_left))
    if total_need > budget:
        names = ", ".join(repr(g.group) for g in groups)
        raise InfeasiblePlanError(
            f"the per-precinct minimums need {total_need} new sites but the budget is "
            f"{budget} (precincts {names}); raise the budget or lower the minimums"
        )
    return SiteMinimums(existing_per_group, groups)


def share_minimums(
    min_share: Mapping[Hashable, float],
    group_of_demand: LabelArray | None,
    w: FloatArray,
    covered_by_existing: BoolArray,
    reduced_groups: LabelArray | None,
    reduced_w: FloatArray,
) -> list[ShareGroup]:
    """Check the minimum covered share per demand group.

    Parameters
    ----------
    min_share
        Group -> minimum covered share of the group's weight.
    group_of_demand
        Group label per original demand row.
    w
        Original demand weights.
    covered_by_existing
        Original rows existing sites cover.
    reduced_groups
        Group label per row of the reduced instance.
    reduced_w
        Weight per row of the reduced instance.

    Returns
    -------
    list of ShareGroup
        The groups whose minimum existing sites do not already meet.

    Raises
    ------
    InfeasiblePlanError
        No choice of sites reaches a group's minimum share.
    """
    out: list[ShareGroup] = []
    for grp, share in min_share.items():
        in_grp = group_of_demand == grp
        w_grp = float(w[in_grp].sum())
        if w_grp <= 0:
            continue
        need_w = share * w_grp - float(w[in_grp & covered_by_existing].sum())
        if need_w <= 1e-9 * w_grp:
            continue
        rows = np.flatnonzero(reduced_groups == grp)
        reachable = float(reduced_w[rows].sum())
        if reachable + 1e-9 < need_w:
            best_share = (reachable + float(w[in_grp & covered_by_existing].sum())) / w_grp
            raise InfeasiblePlanError(
                f"precinct {grp!r} needs {share:.0%} of its demand covered but no choice of "
                f"sites reaches more than {best_share:.0%}; lower its minimum share or add "
                "venues"
            )
        out.append(ShareGroup(grp, rows, need_w * (1 - 1e-9)))
    return out


def unmet_shares(
    share_groups: Sequence[ShareGroup],
    a_csc: sp.csc_matrix,
    w: FloatArray,
    cols: Sequence[int],
) -> list[Hashable]:
    """Return the groups whose covered-share minimum the sites ``cols`` do not meet."""
    cov = covered_mask(a_csc, cols)
    return [g.group for g in share_groups if float(w[g.rows][cov[g.rows]].sum()) < g.need_weight]
