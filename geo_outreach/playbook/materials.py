"""How much material goes where: split a channel's ``stock`` over its chosen sites.

Each site gets a share proportional to its basis (the alert weight it covers, or its footfall
when the channel lists ``footfall = {venue_id = n}``), clamped to the channel's per-site
``min_per_site``/``max_per_site``; whole items are handed out by the largest-remainder method, so
the quantities always add up to the stock exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach._validate import columns_of
from geo_outreach.scenario import ChannelConfig

MATERIAL_COLUMNS = columns_of("materials.csv")
BY_PRECINCT_COLUMNS = columns_of("materials_by_precinct.csv")


def _capped_shares(basis: np.ndarray, total: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Amounts ``clip(scale * basis, lo, hi)`` summing to ``total`` (scale found by bisection)."""
    b = basis + (basis.max() if basis.max() > 0 else 1.0) * 1e-9  # every site can grow
    top = 1.0
    while np.clip(top * b, lo, hi).sum() < total and top < 1e300:
        top *= 2.0
    low = 0.0
    for _ in range(200):
        mid = (low + top) / 2
        if np.clip(mid * b, lo, hi).sum() < total:
            low = mid
        else:
            top = mid
    return np.clip(top * b, lo, hi)


def largest_remainder(
    amounts: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Round ``amounts`` to integers that sum to ``total`` and stay within ``[lo, hi]``.

    Parameters
    ----------
    amounts
        Real amounts summing to ``total`` (within the bounds).
    total
        The whole number the result must add up to.
    lo, hi
        Integer bounds per item.

    Returns
    -------
    numpy.ndarray
        Integers; ties in the remainders go to the earlier item.
    """
    base = np.clip(np.floor(amounts + 1e-9), lo, hi).astype(np.int64)
    short = int(total - base.sum())
    rem = amounts - base
    order = sorted(range(len(amounts)), key=lambda i: (-rem[i], i))
    step = 1 if short > 0 else -1
    while short != 0:
        moved = False
        for i in order if step > 0 else order[::-1]:
            if short == 0:
                break
            if lo[i] <= base[i] + step <= hi[i]:
                base[i] += step
                short -= step
                moved = True
        if not moved:  # pragma: no cover - excluded by the feasibility check
            raise InfeasiblePlanError("cannot round the quantities within the per-site limits")
    return base


def allocate(
    basis: Sequence[float], stock: int, *, min_per_site: int = 0, max_per_site: int = 0
) -> np.ndarray:
    """Split ``stock`` whole items over sites in proportion to ``basis``.

    Parameters
    ----------
    basis
        Non-negative weight per site (covered demand or footfall). All zero: equal shares.
    stock
        Items to hand out (the result sums to it exactly).
    min_per_site, max_per_site
        Per-site bounds; ``max_per_site = 0`` means no maximum.

    Returns
    -------
    numpy.ndarray
        One integer quantity per site.

    Raises
    ------
    InfeasiblePlanError
        The bounds cannot hold the stock (sites x min > stock, or sites x max < stock).
    """
    b = np.asarray(basis, dtype=float)
    n = b.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if (b < 0).any() or not np.isfinite(b).all():
        raise InputDataError("material basis (demand or footfall) must be finite and >= 0")
    hi_v = max_per_site if max_per_site > 0 else stock
    if n * min_per_site > stock:
        raise InfeasiblePlanError(
            f"{n} sites x min_per_site {min_per_site} = {n * min_per_site} is more than the stock "
            f"{stock}; lower min_per_site to at most {stock // n} or raise the stock"
        )
    if n * hi_v < stock:
        raise InfeasiblePlanError(
            f"{n} sites x max_per_site {hi_v} = {n * hi_v} cannot take the stock {stock} "
            f"({stock - n * hi_v} left over); raise max_per_site to at least {-(-stock // n)} "
            "or add sites"
        )
    if min_per_site > hi_v:
        raise InfeasiblePlanError(f"min_per_site {min_per_site} > max_per_site {max_per_site}")
    lo = np.full(n, min_per_site, dtype=float)
    hi = np.full(n, hi_v, dtype=float)
    amounts = _capped_shares(b, float(stock), lo, hi)
    return largest_remainder(amounts, stock, lo.astype(np.int64), hi.astype(np.int64))


def channel_materials(ch: ChannelConfig, placements: pd.DataFrame) -> pd.DataFrame:
    """Build the ``materials.csv`` rows of one channel with a ``stock``.

    Parameters
    ----------
    ch
        The channel (``stock``, ``min_per_site``, ``max_per_site``, ``footfall``).
    placements
        Its placements (``venue_id, name, precinct_id, covered_weight``).

    Returns
    -------
    pandas.DataFrame
        :data:`MATERIAL_COLUMNS`, one row per site, largest quantity first.
    """
    sites = placements.reset_index(drop=True)
    if ch.footfall:
        ids = sites["venue_id"].astype(str)
        missing = sorted(set(ids) - set(ch.footfall))
        if missing:
            raise InputDataError(
                f"channels.{ch.name}.footfall has no value for the chosen sites {missing[:5]}; "
                "add them or remove footfall to split by covered demand"
            )
        basis = ids.map(ch.footfall).astype(float).to_numpy()
        kind = "footfall"
    else:
        basis = sites["covered_weight"].astype(float).to_numpy()
        kind = "demand"
    try:
        qty = allocate(basis, ch.stock, min_per_site=ch.min_per_site, max_per_site=ch.max_per_site)
    except InfeasiblePlanError as exc:
        raise InfeasiblePlanError(f"channels.{ch.name}: {exc}") from None
    total = basis.sum()
    out = pd.DataFrame(
        {
            "channel": ch.name,
            "label": ch.label or ch.name,
            "venue_id": sites["venue_id"].astype(str),
            "name": sites["name"].astype(str),
            "precinct_id": sites["precinct_id"].astype(str),
            "basis": kind,
            "basis_value": np.round(basis, 6),
            "share": np.round(basis / total, 6) if total > 0 else 1.0 / max(len(sites), 1),
            "quantity": qty,
            "stock": ch.stock,
        }
    )
    return out.sort_values(["quantity", "venue_id"], ascending=[False, True], kind="stable")[
        MATERIAL_COLUMNS
    ].reset_index(drop=True)


def plan_materials(channels: Sequence[ChannelConfig], placements: pd.DataFrame) -> pd.DataFrame:
    """``materials.csv``: every channel with ``stock > 0`` split over its chosen sites.

    Parameters
    ----------
    channels
        The scenario's channels (those without a stock are skipped).
    placements
        All placements (``channel`` column; existing sites count as sites too).

    Returns
    -------
    pandas.DataFrame
        :data:`MATERIAL_COLUMNS`.
    """
    frames = []
    for ch in channels:
        if ch.stock <= 0 or ch.type == "visits":
            continue
        sites = placements[placements["channel"].astype(str) == ch.name]
        if len(sites) == 0:
            raise InputDataError(f"channels.{ch.name}.stock = {ch.stock} but it has no sites")
        frames.append(channel_materials(ch, sites))
    if not frames:
        return pd.DataFrame(columns=MATERIAL_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def materials_by_precinct(
    channels: Sequence[ChannelConfig],
    placements: pd.DataFrame,
    materials: pd.DataFrame,
    precincts: pd.DataFrame,
) -> pd.DataFrame:
    """``materials_by_precinct.csv``: chosen sites (and material) of each channel per precinct.

    Counts the banner/LED sites (and every other placement channel's, patrols and visits
    excepted) in each precinct; ``quantity`` is the material sent there when the channel has a
    ``stock`` (blank otherwise). Every precinct gets a row per channel, zeros included, so a
    precinct with no banner is visible; sites outside every precinct get ``precinct_id``
    ``outside``.

    Parameters
    ----------
    channels
        The scenario's channels.
    placements
        All placements (``channel``, ``precinct_id``).
    materials
        ``materials.csv`` rows.
    precincts
        ``precinct_id``, ``name``.

    Returns
    -------
    pandas.DataFrame
        :data:`BY_PRECINCT_COLUMNS`, channel order then precinct id order.
    """
    names = dict(zip(precincts["precinct_id"].astype(str), precincts["name"].astype(str)))
    rows = []
    for ch in channels:
        if ch.type in ("visits", "patrol"):
            continue
        sites = placements[placements["channel"].astype(str) == ch.name]
        count = sites["precinct_id"].astype(str).value_counts()
        mat = materials[materials["channel"].astype(str) == ch.name]
        qty = mat.groupby(mat["precinct_id"].astype(str))["quantity"].sum()
        ids = sorted(names) + sorted(set(count.index) - set(names))
        for pid in ids:
            rows.append(
                {
                    "channel": ch.name,
                    "label": ch.label or ch.name,
                    "precinct_id": pid,
                    "precinct": names.get(pid, ""),
                    "sites": int(count.get(pid, 0)),
                    "quantity": int(qty.get(pid, 0)) if ch.stock > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=BY_PRECINCT_COLUMNS)
