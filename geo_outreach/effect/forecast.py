"""Forecast demand: alerts smoothed in space and weighted in time, tuned on past months (issue 13).

A cell's forecast demand is ``sum_i 0.5 ** (age_i / half_life) * K(d_i / bandwidth)`` over the
training alerts (Gaussian kernel; bandwidth 0 = the plain count in the cell; half-life inf = no
time weighting, so bandwidth 0 with half-life inf is the raw demand the planner uses today). The
bandwidth and half-life are chosen by time-split cross-validation inside the training period:
for each of the last ``n_folds`` months before ``train_end``, the surface built on the alerts
before that month is scored by its next-month hit rate (share of that month's alerts in the top
``top_share`` of cells), and the pair with the best mean hit rate wins.

Not yet wired into the channels (``demand = "forecast"``): the next step is to pass
:func:`demand_surface` weights to :func:`geo_outreach.channels.problem.channel_problem`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo_outreach._errors import InputDataError
from geo_outreach.hotspots import grid_cells

BANDWIDTHS: tuple[float, ...] = (0.0, 250.0, 500.0, 1000.0)
HALF_LIVES: tuple[float, ...] = (30.0, 90.0, 180.0, 365.0, math.inf)


@dataclass(frozen=True)
class ForecastChoice:
    """The chosen bandwidth and half-life, their CV hit rate, the raw one, and every candidate.

    ``table``: bandwidth_m, half_life_days, hit_rate (mean over folds), one row per candidate.
    """

    bandwidth_m: float
    half_life_days: float
    hit_rate: float
    raw_hit_rate: float
    table: pd.DataFrame
    folds: tuple[str, ...]


def demand_surface(
    points: np.ndarray,
    ages_days: np.ndarray,
    centres: np.ndarray,
    cell_ids: np.ndarray,
    *,
    bandwidth_m: float,
    half_life_days: float,
) -> np.ndarray:
    """Return the forecast demand of each cell.

    Parameters
    ----------
    points
        Alert coordinates (n x 2, metres).
    ages_days
        Age of each alert at the forecast date, in days.
    centres
        Cell centres (m x 2, metres).
    cell_ids
        Index of the cell holding each alert (-1 outside every cell); used when
        ``bandwidth_m`` is 0.
    bandwidth_m, half_life_days
        Gaussian kernel bandwidth (0: count per cell) and time half-life (inf: no decay).
    """
    w = np.ones(len(points)) if math.isinf(half_life_days) else 0.5 ** (ages_days / half_life_days)
    if bandwidth_m <= 0:
        ok = cell_ids >= 0
        return np.bincount(cell_ids[ok], weights=w[ok], minlength=len(centres))
    tree = cKDTree(points)
    out = np.zeros(len(centres))
    for j, near in enumerate(tree.query_ball_point(centres, r=3 * bandwidth_m)):
        if near:
            d2 = ((points[near] - centres[j]) ** 2).sum(axis=1)
            out[j] = float((w[near] * np.exp(-0.5 * d2 / bandwidth_m**2)).sum())
    return out


def _hit_rate(surface: np.ndarray, test_cells: np.ndarray, top: int) -> float:
    if len(test_cells) == 0:
        return float("nan")
    chosen = np.zeros(len(surface), dtype=bool)
    chosen[np.argsort(-surface, kind="stable")[:top]] = True
    ok = test_cells >= 0
    return float(chosen[test_cells[ok]].sum() / len(test_cells))


def choose_forecast(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    *,
    train_end: pd.Timestamp,
    cell_m: float = 500.0,
    top_share: float = 0.05,
    n_folds: int = 3,
    bandwidths: tuple[float, ...] = BANDWIDTHS,
    half_lives: tuple[float, ...] = HALF_LIVES,
) -> ForecastChoice:
    """Choose the bandwidth and half-life by next-month hit rate before ``train_end``.

    Parameters
    ----------
    alerts
        Alerts in the working CRS with ``reported_at``; only those before ``train_end`` are used.
    study_area
        Study area polygon (working CRS).
    train_end
        End of the training period (exclusive, tz-aware like ``reported_at``).
    cell_m, top_share
        Grid cell size and the share of cells counted as "covered" when scoring.
    n_folds
        Number of monthly test folds (the last months before ``train_end``).
    bandwidths, half_lives
        The candidates; include 0 and inf to keep the raw demand among them.

    Returns
    -------
    ForecastChoice
        The chosen values, their hit rate, the raw hit rate and every candidate's score.

    Raises
    ------
    InputDataError
        When the training period has fewer than ``n_folds + 1`` months of alerts.
    """
    train = alerts[alerts["reported_at"] < train_end]
    months = pd.period_range(
        train["reported_at"].min().tz_localize(None).to_period("M"),
        (train_end - pd.Timedelta(days=1)).tz_localize(None).to_period("M"), freq="M",
    )  # fmt: skip
    if len(months) < n_folds + 1:
        raise InputDataError(
            f"forecast demand needs at least {n_folds + 1} months of alerts before "
            f"{train_end:%Y-%m-%d}; move the split later or lower n_folds"
        )
    cells = grid_cells(train.iloc[:0], study_area, cell_m=cell_m)
    cent = cells.geometry.centroid
    centres = np.column_stack([cent.x, cent.y])
    xy = np.column_stack([train.geometry.x, train.geometry.y])
    dist, idx = cKDTree(centres).query(xy)
    cell_of = np.where(dist <= cell_m * 0.75, idx, -1)
    top = max(1, int(round(top_share * len(cells))))
    folds = months[-n_folds:]
    month_of = train["reported_at"].dt.tz_localize(None).dt.to_period("M").to_numpy()
    rows = []
    for bw in bandwidths:
        for hl in half_lives:
            rates = []
            for m in folds:
                start = m.start_time.tz_localize(train_end.tz)
                past = (train["reported_at"] < start).to_numpy()
                ages = (start - train["reported_at"][past]).dt.total_seconds().to_numpy() / 86400
                surf = demand_surface(xy[past], ages, centres, cell_of[past],
                                      bandwidth_m=bw, half_life_days=hl)  # fmt: skip
                rates.append(_hit_rate(surf, cell_of[month_of == m], top))
            rows.append({"bandwidth_m": bw, "half_life_days": hl, "hit_rate": np.nanmean(rates)})
    table = pd.DataFrame(rows)
    best = table.loc[table["hit_rate"].idxmax()]
    raw = table[(table["bandwidth_m"] == 0) & np.isinf(table["half_life_days"])]["hit_rate"]
    return ForecastChoice(
        bandwidth_m=float(best["bandwidth_m"]),
        half_life_days=float(best["half_life_days"]),
        hit_rate=float(best["hit_rate"]),
        raw_hit_rate=float(raw.iloc[0]) if len(raw) else float("nan"),
        table=table,
        folds=tuple(str(m) for m in folds),
    )
