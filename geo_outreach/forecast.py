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

Issue 14, scale: when it is less work (:func:`use_lattice`; 1M alerts, not the bundled sample),
alerts are first binned on a lattice that holds every cell centre (:class:`Lattice`, step <=
bandwidth / 5, linear binning) and the kernel runs from lattice nodes to cells, so the cost is
cells x stencil whatever the number of alerts. Exact for alerts on nodes; elsewhere within
~0.2 % of the per-alert sum on dense data (tests/effect/test_forecast.py).
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
#: issue 14: alerts are binned on a lattice at most ``bandwidth / BINS_PER_BANDWIDTH`` apart
BINS_PER_BANDWIDTH = 5


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


@dataclass(frozen=True)
class Lattice:
    """A square lattice holding every cell centre as a node, and the kernel as a stencil.

    Issue 14: alerts are binned onto the nodes (linear binning: each alert's weight is shared
    by the 4 nodes around it, in proportion to nearness), and each centre's demand is the
    kernel-weighted sum of the nodes within the cut, so the work is centres x stencil, not
    alerts x centres. An alert sitting on a node (every cell centre is one) is counted
    exactly as by :func:`kernel_matrix`; elsewhere the difference is second order in
    ``step / bandwidth`` (``step`` <= bandwidth / :data:`BINS_PER_BANDWIDTH`).

    Node ``(i, j)`` sits at ``(x0 + i step, y0 + j step)``; the grid's cells are every
    ``q``-th node from ``(pad, pad)``: cell ``(a, b)`` is node ``(pad + q a, pad + q b)``.
    """

    step: float  # metres between nodes (cell_m / q)
    q: int  # nodes per cell side
    pad: int  # nodes around the cells (>= the stencil's reach)
    x0: float  # coordinates of node (0, 0)
    y0: float
    shape: tuple[int, int]  # nodes along x and y
    cells: tuple[int, int]  # cell positions along x and y (a rectangle around the centres)
    centre_at: npt.NDArray[np.intp]  # flat cell position (a * cells[1] + b) of each centre
    di: npt.NDArray[np.intp]  # stencil node offsets within the cut
    dj: npt.NDArray[np.intp]
    kernel: FloatArray  # kernel weight of each offset


def use_lattice(n_points: int, centres: FloatArray, cell_m: float, bandwidth_m: float) -> bool:
    """Return True when binning on a lattice is less work than the per-alert kernel.

    Per alert, the kernel visits the centres within the cut (``pi (3 bw / cell)^2``); the
    lattice visits, per centre, its stencil (``pi (3 x BINS_PER_BANDWIDTH)^2`` nodes). Small
    inputs (the bundled sample) keep the exact per-alert kernel; large ones are binned.
    """
    if bandwidth_m <= 0 or len(centres) == 0:
        return False
    per_alert = math.pi * (KERNEL_CUT * bandwidth_m / cell_m) ** 2
    per_centre = math.pi * (KERNEL_CUT * BINS_PER_BANDWIDTH) ** 2
    return n_points * per_alert > len(centres) * per_centre


def make_lattice(centres: FloatArray, cell_m: float, bandwidth_m: float) -> Lattice:
    """Return the lattice and stencil of a Gaussian of ``bandwidth_m`` over grid ``centres``.

    Parameters
    ----------
    centres
        Cell centres (m x 2, metres, at least one) of a grid of ``cell_m`` cells.
    cell_m
        The grid's cell size; the lattice step is ``cell_m`` divided by a whole number.
    bandwidth_m
        Gaussian kernel bandwidth (> 0), cut at :data:`KERNEL_CUT` bandwidths.
    """
    q = max(1, math.ceil(BINS_PER_BANDWIDTH * cell_m / bandwidth_m))
    step = cell_m / q
    cut = KERNEL_CUT * bandwidth_m
    reach = int(math.floor(cut / step * (1 + 1e-12)))
    di, dj = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1), indexing="ij")
    d2 = ((di**2 + dj**2) * step**2).ravel()
    inside = d2 <= cut**2 * (1 + 1e-12)
    pad = reach + 1  # room for the stencil and the binning neighbours
    lo = centres.min(axis=0)
    a = np.rint((centres[:, 0] - lo[0]) / cell_m).astype(np.intp)
    b = np.rint((centres[:, 1] - lo[1]) / cell_m).astype(np.intp)
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    return Lattice(
        step=step, q=q, pad=pad, x0=float(lo[0]) - pad * step, y0=float(lo[1]) - pad * step,
        shape=(q * (na - 1) + 2 * pad + 1, q * (nb - 1) + 2 * pad + 1), cells=(na, nb),
        centre_at=a * nb + b, di=di.ravel()[inside], dj=dj.ravel()[inside],
        kernel=np.exp(-0.5 * d2[inside] / bandwidth_m**2),
    )  # fmt: skip


def bin_points(lat: Lattice, points: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Linear binning: the 4 nodes around each point (n x 4 flat indices) and their shares.

    Points off the lattice (farther than the kernel cut from every centre) get share 0.
    """
    nx, ny = lat.shape
    fx = (points[:, 0] - lat.x0) / lat.step
    fy = (points[:, 1] - lat.y0) / lat.step
    i = np.floor(fx).astype(np.intp)
    j = np.floor(fy).astype(np.intp)
    tx, ty = fx - i, fy - j
    ok = (i >= 0) & (i < nx - 1) & (j >= 0) & (j < ny - 1)
    base = np.where(ok, i, 0) * ny + np.where(ok, j, 0)
    # issue 14: written in place column by column (the numbers of stacking the four products)
    nodes = np.empty((len(points), 4), dtype=np.intp)
    share = np.empty((len(points), 4))
    sx, sy = 1 - tx, 1 - ty
    for c, (step, u, v) in enumerate(((0, sx, sy), (1, sx, ty), (ny, tx, sy), (ny + 1, tx, ty))):
        np.add(base, step, out=nodes[:, c])
        np.multiply(u, v, out=share[:, c])
    share[~ok] = 0.0
    return nodes, share


def lattice_surface(
    lat: Lattice, nodes: npt.NDArray[np.intp], share: FloatArray, weights: FloatArray
) -> FloatArray:
    """Kernel-smoothed weight at each centre from binned points (:func:`bin_points`).

    ``weights``: one weight per point (n,), or several weightings at once (n x k); the result
    is (centres,) or (centres x k).
    """
    w = np.asarray(weights, dtype=float)
    cols = w.reshape(len(w), -1)
    nx, ny = lat.shape
    grid = np.empty((nx * ny, cols.shape[1]))
    flat = nodes.ravel()
    for c in range(cols.shape[1]):
        grid[:, c] = np.bincount(flat, (share * cols[:, c, None]).ravel(), minlength=nx * ny)
    g = grid.reshape(nx, ny, cols.shape[1])
    (na, nb), q, pad = lat.cells, lat.q, lat.pad
    out = np.zeros((na, nb, cols.shape[1]))
    tmp = np.empty_like(out)
    # every cell position at once, one stencil offset at a time. Issue 14: the nodes an offset
    # reads (every q-th node from (i0, j0)) are a block of one "phase" of the lattice (nodes
    # with the same position modulo q), copied once as a contiguous array, so each offset
    # reads contiguous rows instead of a strided view (same products, same order of sums)
    phases: dict[tuple[int, int], FloatArray] = {}
    for di, dj, k in zip(lat.di, lat.dj, lat.kernel, strict=True):
        (si, ri), (sj, rj) = divmod(int(pad + di), q), divmod(int(pad + dj), q)
        if (ri, rj) not in phases:
            phases[ri, rj] = np.ascontiguousarray(g[ri::q, rj::q])
        np.multiply(phases[ri, rj][si : si + na, sj : sj + nb], k, out=tmp)
        out += tmp
    res: FloatArray = out.reshape(na * nb, -1)[lat.centre_at].reshape(
        (len(lat.centre_at),) + w.shape[1:]
    )
    return res


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
        out: FloatArray = np.bincount(cell_ids[ok], weights=w[ok], minlength=len(centres)).astype(
            float
        )
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


def _binned_cells(cell_of: npt.NDArray[np.intp], w: FloatArray, n_cells: int) -> FloatArray:
    """Weight per cell (bandwidth 0), one column per column of ``w``."""
    ok = cell_of >= 0
    out: FloatArray = np.column_stack(
        [np.bincount(cell_of[ok], weights=w[ok, c], minlength=n_cells) for c in range(w.shape[1])]
    )
    return out


def _cells(
    study_area: shapely.Geometry, crs: Any, cell_m: float
) -> tuple[gpd.GeoDataFrame, FloatArray]:
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
    cells = grid_cells(empty, study_area, cell_m=cell_m)
    cent = cells.geometry.centroid
    return cells, np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])


#: issue 14: a point this share of a cell away from every cell side is in its cell's interior
_CELL_EDGE = 1e-6


def _cell_of(xy: FloatArray, centres: FloatArray, cell_m: float) -> npt.NDArray[np.intp]:
    """Index of the nearest cell centre within 0.75 ``cell_m`` of each point (-1: none).

    Issue 14: a point inside a grid cell (more than :data:`_CELL_EDGE` cells from its sides)
    is nearer to that cell's centre than to any other, so it takes that cell by arithmetic;
    only the rest (cells not in ``centres``, points on or next to a cell side) are searched
    on the KD-tree as before, with the same answer.
    """
    out = np.full(len(xy), -1, dtype=np.intp)
    if len(xy) == 0 or len(centres) == 0:
        return out
    lo = centres.min(axis=0)
    a = np.rint((centres[:, 0] - lo[0]) / cell_m).astype(np.intp)
    b = np.rint((centres[:, 1] - lo[1]) / cell_m).astype(np.intp)
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    table = np.full(na * nb, -1, dtype=np.intp)
    table[a * nb + b] = np.arange(len(centres))
    fa = (xy[:, 0] - lo[0]) / cell_m + 0.5
    fb = (xy[:, 1] - lo[1]) / cell_m + 0.5
    ia, ib = np.floor(fa), np.floor(fb)
    ok = (ia >= 0) & (ia < na) & (ib >= 0) & (ib < nb)
    for f, i in ((fa, ia), (fb, ib)):
        ok &= (f - i > _CELL_EDGE) & (f - i < 1 - _CELL_EDGE)
    at = np.flatnonzero(ok)
    out[at] = table[ia[at].astype(np.intp) * nb + ib[at].astype(np.intp)]
    rest = np.flatnonzero(out < 0)
    if len(rest):
        # the bound prunes the search (1M alerts: 1.5 s -> 0.3 s); farther is outside
        dist, idx = cKDTree(centres).query(
            xy[rest], distance_upper_bound=cell_m * 0.75 * (1 + 1e-9)
        )
        out[rest] = np.where(dist <= cell_m * 0.75, idx, -1)
    return out


def _cell_of_tree(xy: FloatArray, centres: FloatArray, cell_m: float) -> npt.NDArray[np.intp]:
    """Return the plain KD-tree search that :func:`_cell_of` must equal (for the tests)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.intp)
    dist, idx = cKDTree(centres).query(xy, distance_upper_bound=cell_m * 0.75 * (1 + 1e-9))
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
    xy: FloatArray | None = None,
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
    xy
        Issue 14: the alerts' coordinates when the caller has them (n x 2, same order).

    Returns
    -------
    ForecastChoice
        The chosen values, their hit rate, the raw hit rate and every candidate's score.

    Raises
    ------
    InputDataError
        When the training period has fewer than ``n_folds + 1`` months of alerts.
    """
    before = (alerts["reported_at"] < train_end).to_numpy()
    train = alerts if before.all() else alerts[before]  # issue 14: often all of them
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
    xy = _xy(train) if xy is None else (xy if before.all() else xy[before])
    cell_of = _cell_of(xy, centres, cell_m)
    top = max(1, int(round(top_share * len(cells))))
    folds = months[-n_folds:]
    local = train["reported_at"].dt.tz_localize(None)
    month_of = (local.dt.year * 12 + local.dt.month).to_numpy()  # issue 14: ints, not Periods
    starts = [m.start_time.tz_localize(train_end.tz) for m in folds]
    # issue 14: each fold's alerts and time weights are the same for every bandwidth
    fold_data = []
    for start in starts:
        past = (train["reported_at"] < start).to_numpy()
        ages = _ages(train["reported_at"][past], start)
        fold_data.append((past, np.column_stack([time_weights(ages, hl) for hl in half_lives])))
    scores: dict[tuple[float, float], list[float]] = {}
    for bw in bandwidths:
        # issue 14: alerts binned once per bandwidth; every fold and half-life reuses the bins
        binned_cv = use_lattice(len(xy), centres, cell_m, bw)
        lat = make_lattice(centres, cell_m, bw) if binned_cv else None
        binned = bin_points(lat, xy) if lat is not None else None
        for m, (past, w) in zip(folds, fold_data, strict=True):
            if lat is not None and binned is not None:
                # issue 14: rows taken by position (a boolean mask of n x 4 arrays is ~5x slower)
                at = np.flatnonzero(past)
                surf = lattice_surface(
                    lat, binned[0].take(at, axis=0), binned[1].take(at, axis=0), w
                )
            elif bw > 0:
                surf = kernel_matrix(xy[past], centres, bw) @ w
            else:
                surf = _binned_cells(cell_of[past], w, len(centres))
            test = cell_of[month_of == m.year * 12 + m.month]
            for c, hl in enumerate(half_lives):
                scores.setdefault((bw, hl), []).append(_hit_rate(surf[:, c], test, top))
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
    xy: FloatArray | None = None,
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
    xy
        Issue 14: the alerts' coordinates when the caller has them (n x 2, same order).

    Returns
    -------
    pandas.DataFrame
        ``x, y`` (cell centre), ``weight`` (forecast demand, scaled so that it sums to the
        time-weighted alert weight: it reads as "expected weighted alerts"), ``alerts``
        (training alerts in the cell), one row per cell with weight > 0, grid order.
    """
    cells, centres = _cells(study_area, alerts.crs, cell_m)
    xy = _xy(alerts) if xy is None else xy
    cell_of = _cell_of(xy, centres, cell_m)
    w_alert = np.ones(len(alerts)) if weights is None else np.asarray(weights, dtype=float)
    ages = _ages(alerts["reported_at"], at)
    w = time_weights(ages, choice.half_life_days) * w_alert
    bw = choice.bandwidth_m
    if use_lattice(len(xy), centres, cell_m, bw):  # issue 14: many alerts: binned on a lattice
        lat = make_lattice(centres, cell_m, bw)
        surf = lattice_surface(lat, *bin_points(lat, xy), w)
    else:
        surf = demand_surface(xy, ages, centres, cell_of, bandwidth_m=bw,
                              half_life_days=choice.half_life_days, weights=w_alert)  # fmt: skip
    total = float(w.sum())
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
