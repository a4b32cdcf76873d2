"""Forecast demand: alerts smoothed in space and weighted in time, tuned on past months (issue 13).

A place's forecast demand is ``sum_i w_i * 0.5 ** (age_i / half_life) * K(d_i / bandwidth)``
over the training alerts (``w_i`` the channel's category x age weight, ``K`` a Gaussian kernel
cut at 3 bandwidths; bandwidth 0 = the plain weight in the cell; half-life inf = no time
weighting, so bandwidth 0 with half-life inf is the raw demand binned to cells). The bandwidth
and the half-life are chosen by time-split cross-validation inside the training period
(:func:`choose_forecast`): for each of the last ``n_folds`` months before ``train_end``, the
surface built on the alerts before that month is scored by its next-month hit rate (share of that
month's alerts in the top ``top_share`` of cells), and the pair with the best mean hit rate wins
(ties: the simpler one, smaller bandwidth then longer half-life, so raw wins a tie).

:func:`forecast_cells` then evaluates the chosen surface on a fine grid: the demand points a
channel plans on when it says ``demand = "forecast"`` (:mod:`geo_outreach.channels.problem`).
This module sits on the analytics floor so that the channels (plan and backtest) and the effect
report (:mod:`geo_outreach.effect.forecast`) share one implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geo_outreach._errors import InputDataError
from geo_outreach.hotspots import grid_cells

FloatArray = npt.NDArray[np.float64]

BANDWIDTHS: tuple[float, ...] = (0.0, 250.0, 500.0, 1000.0)
HALF_LIVES: tuple[float, ...] = (30.0, 90.0, 180.0, 365.0, math.inf)
#: grid of the cross-validation (hit rate of the top cells) and of the demand points
CV_CELL_M = 500.0
DEMAND_CELL_M = 250.0
TOP_SHARE = 0.05
N_FOLDS = 3
KERNEL_CUT = 3.0


@dataclass(frozen=True)
class ForecastChoice:
    """The chosen bandwidth and half-life, their CV hit rate, the raw one, and every candidate.

    ``table``: bandwidth_m, half_life_days, hit_rate (mean over folds), one row per candidate.
    ``train_end``: the end (exclusive) of the alerts the choice saw.
    """

    bandwidth_m: float
    half_life_days: float
    hit_rate: float
    raw_hit_rate: float
    table: pd.DataFrame = field(compare=False)
    folds: tuple[str, ...] = ()
    train_end: str = ""

    @property
    def is_raw(self) -> bool:
        """True when the choice is the raw demand (no smoothing, no time weighting)."""
        return self.bandwidth_m <= 0 and math.isinf(self.half_life_days)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (half-life ``None`` = no time weighting)."""
        return {
            "bandwidth_m": self.bandwidth_m,
            "half_life_days": None if math.isinf(self.half_life_days) else self.half_life_days,
            "cv_hit_rate": round(self.hit_rate, 6),
            "cv_raw_hit_rate": round(self.raw_hit_rate, 6),
            "folds": list(self.folds),
            "train_end": self.train_end,
            "top_share": TOP_SHARE,
            "cv_cell_m": CV_CELL_M,
        }


def kernel_matrix(points: FloatArray, centres: FloatArray, bandwidth_m: float) -> sp.csr_matrix:
    """Gaussian weights ``exp(-d^2 / 2 bw^2)`` of points (columns) at centres (rows), cut at 3bw."""
    if len(points) == 0 or len(centres) == 0:
        return sp.csr_matrix((len(centres), len(points)))
    d = cKDTree(centres).sparse_distance_matrix(
        cKDTree(points), KERNEL_CUT * bandwidth_m, output_type="coo_matrix"
    )
    k = np.exp(-0.5 * (d.data / bandwidth_m) ** 2)
    return sp.csr_matrix((k, (d.row, d.col)), shape=(len(centres), len(points)))


def time_weights(ages_days: FloatArray, half_life_days: float) -> FloatArray:
    """``0.5 ** (age / half_life)`` (ones for an infinite half-life)."""
    if math.isinf(half_life_days):
        return np.ones(len(ages_days))
    w: FloatArray = 0.5 ** (np.asarray(ages_days, dtype=float) / half_life_days)
    return w


def demand_surface(
    points: FloatArray,
    ages_days: FloatArray,
    centres: FloatArray,
    cell_ids: npt.NDArray[np.intp],
    *,
    bandwidth_m: float,
    half_life_days: float,
    weights: FloatArray | None = None,
) -> FloatArray:
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
        Gaussian kernel bandwidth (0: weight per cell) and time half-life (inf: no decay).
    weights
        Weight of each alert (default 1).
    """
    w = time_weights(ages_days, half_life_days)
    if weights is not None:
        w = w * weights
    if bandwidth_m <= 0:
        ok = cell_ids >= 0
        out: FloatArray = np.bincount(
            cell_ids[ok], weights=w[ok], minlength=len(centres)
        ).astype(float)
        return out
    res: FloatArray = kernel_matrix(points, centres, bandwidth_m) @ w
    return res


def _hit_rate(surface: FloatArray, test_cells: npt.NDArray[np.intp], top: int) -> float:
    if len(test_cells) == 0:
        return float("nan")
    chosen = np.zeros(len(surface), dtype=bool)
    chosen[np.argsort(-surface, kind="stable")[:top]] = True
    ok = test_cells >= 0
    return float(chosen[test_cells[ok]].sum() / len(test_cells))


def _cells(
    study_area: shapely.Geometry, crs: Any, cell_m: float
) -> tuple[gpd.GeoDataFrame, FloatArray]:
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
    cells = grid_cells(empty, study_area, cell_m=cell_m)
    cent = cells.geometry.centroid
    return cells, np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])


def _cell_of(xy: FloatArray, centres: FloatArray, cell_m: float) -> npt.NDArray[np.intp]:
    if len(xy) == 0:
        return np.zeros(0, dtype=np.intp)
    dist, idx = cKDTree(centres).query(xy)
    return np.where(dist <= cell_m * 0.75, idx, -1).astype(np.intp)


def _xy(alerts: gpd.GeoDataFrame) -> FloatArray:
    return np.column_stack([alerts.geometry.x.to_numpy(), alerts.geometry.y.to_numpy()])


def _ages(times: pd.Series, at: pd.Timestamp) -> FloatArray:
    ages: FloatArray = (at - times).dt.total_seconds().to_numpy(dtype=float) / 86400.0
    return ages


def choose_forecast(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    *,
    train_end: pd.Timestamp,
    cell_m: float = CV_CELL_M,
    top_share: float = TOP_SHARE,
    n_folds: int = N_FOLDS,
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
    if len(train) == 0:
        raise InputDataError(f"forecast demand: no alerts before {train_end:%Y-%m-%d}")
    months = pd.period_range(
        train["reported_at"].min().tz_localize(None).to_period("M"),
        (train_end - pd.Timedelta(days=1)).tz_localize(None).to_period("M"), freq="M",
    )  # fmt: skip
    if len(months) < n_folds + 1:
        raise InputDataError(
            f"forecast demand needs at least {n_folds + 1} months of alerts before "
            f"{train_end:%Y-%m-%d}; move the split later or lower n_folds"
        )
    cells, centres = _cells(study_area, train.crs, cell_m)
    xy = _xy(train)
    cell_of = _cell_of(xy, centres, cell_m)
    top = max(1, int(round(top_share * len(cells))))
    folds = months[-n_folds:]
    month_of = train["reported_at"].dt.tz_localize(None).dt.to_period("M").to_numpy()
    scores: dict[tuple[float, float], list[float]] = {}
    for m in folds:
        start = m.start_time.tz_localize(train_end.tz)
        past = (train["reported_at"] < start).to_numpy()
        ages = _ages(train["reported_at"][past], start)
        test = cell_of[month_of == m]
        for bw in bandwidths:
            if bw > 0:
                k = kernel_matrix(xy[past], centres, bw)
            for hl in half_lives:
                w = time_weights(ages, hl)
                if bw > 0:
                    surf = k @ w
                else:
                    ok = cell_of[past] >= 0
                    surf = np.bincount(cell_of[past][ok], weights=w[ok], minlength=len(centres))
                scores.setdefault((bw, hl), []).append(_hit_rate(surf, test, top))
    rows = [
        {"bandwidth_m": bw, "half_life_days": hl, "hit_rate": float(np.nanmean(r))}
        for (bw, hl), r in scores.items()
    ]
    table = pd.DataFrame(rows)
    # ties: the simpler surface (smaller bandwidth, then longer half-life) wins
    order = table.assign(_hl=-table["half_life_days"]).sort_values(
        ["hit_rate", "bandwidth_m", "_hl"], ascending=[False, True, True], kind="stable"
    )
    best = order.iloc[0]
    raw = table[(table["bandwidth_m"] == 0) & np.isinf(table["half_life_days"])]["hit_rate"]
    return ForecastChoice(
        bandwidth_m=float(best["bandwidth_m"]),
        half_life_days=float(best["half_life_days"]),
        hit_rate=float(best["hit_rate"]),
        raw_hit_rate=float(raw.iloc[0]) if len(raw) else float("nan"),
        table=table,
        folds=tuple(str(m) for m in folds),
        train_end=f"{train_end:%Y-%m-%d}",
    )


def forecast_cells(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    choice: ForecastChoice,
    *,
    at: pd.Timestamp,
    weights: FloatArray | None = None,
    cell_m: float = DEMAND_CELL_M,
) -> pd.DataFrame:
    """Evaluate the chosen surface on a grid: the demand points of a forecast channel.

    Parameters
    ----------
    alerts
        The training alerts (working CRS, ``reported_at`` before ``at``).
    study_area
        Study area polygon (cells intersecting it).
    choice
        Bandwidth and half-life (:func:`choose_forecast`).
    at
        The forecast date (ages are counted back from it).
    weights
        Weight of each alert (the channel's category x age weights; default 1).
    cell_m
        Cell size of the demand grid.

    Returns
    -------
    pandas.DataFrame
        ``x, y`` (cell centre), ``weight`` (forecast demand, scaled so that it sums to the
        time-weighted alert weight: it reads as "expected weighted alerts"), ``alerts``
        (training alerts in the cell), one row per cell with weight > 0, grid order.
    """
    cells, centres = _cells(study_area, alerts.crs, cell_m)
    xy = _xy(alerts)
    cell_of = _cell_of(xy, centres, cell_m)
    w_alert = np.ones(len(alerts)) if weights is None else np.asarray(weights, dtype=float)
    ages = _ages(alerts["reported_at"], at)
    surf = demand_surface(xy, ages, centres, cell_of, bandwidth_m=choice.bandwidth_m,
                          half_life_days=choice.half_life_days, weights=w_alert)  # fmt: skip
    total = float((time_weights(ages, choice.half_life_days) * w_alert).sum())
    if surf.sum() > 0:
        surf = surf * (total / float(surf.sum()))
    ok = cell_of >= 0
    counts = np.bincount(cell_of[ok], minlength=len(centres))
    keep = surf > 1e-9 * max(float(surf.max(initial=0.0)), 1e-300)
    return pd.DataFrame(
        {
            "x": np.round(centres[keep, 0], 2),
            "y": np.round(centres[keep, 1], 2),
            "weight": surf[keep],
            "alerts": counts[keep].astype(np.int64),
        }
    )
