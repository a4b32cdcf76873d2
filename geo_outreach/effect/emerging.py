"""Emerging hot spots: space-time cube, Gi* per bin, Mann-Kendall trend per cell (issue 13).

The cube is a metre grid x months; the pattern names are the ones GIS practice uses.

Each month's alert counts on the grid get Getis-Ord Gi* z-scores (the distance band and grid of
:mod:`geo_outreach.hotspots`; neighbours are spatial only, within the same month), and a bin is
a hot spot when z > 0 with a Benjamini-Hochberg adjusted p < 0.10 within its month (cold
alike). Each cell's monthly z-scores get a Mann-Kendall trend test (S, its variance with the tie
correction, a normal approximation without continuity correction: the same p-value as Kendall's
tau-b of z against time). The patterns, for cells that are hot in the last month unless said:

- ``new``: hot in the last month only;
- ``consecutive``: one run of >= 2 hot months at the end, never hot before, < 90% of months hot;
- ``intensifying`` / ``persistent`` / ``diminishing``: hot in >= 90% of months, with a
  significant rising / no / falling trend of z (Mann-Kendall p < 0.10);
- ``oscillating``: < 90% hot, hot and also cold in some earlier month;
- ``sporadic``: < 90% hot, on and off, never cold;
- ``historical``: NOT hot in the last month, but hot in >= 90% of months;
- the same eight for cold spots, with ``_cold`` appended (``new_cold`` ... ``historical_cold``),
  hot and cold swapped: a cell cold in the last month gets a cold pattern; ``intensifying_cold``
  means z falling (colder), ``diminishing_cold`` z rising; ``oscillating_cold`` was hot in some
  earlier month; a cell neither hot nor cold in the last month is ``historical`` (>= 90% hot)
  or ``historical_cold`` (>= 90% cold);
- ``none``: anything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats as sps

from geo_outreach.i18n import t
from geo_outreach._validate import columns_of
from geo_outreach.hotspots import grid_frame, grid_index, distance_band, gi_star_z, grid_cells
from geo_outreach.join import assign_precincts
from geo_outreach.outputs import write_output
from geo_outreach.stats import month_index

HOT_PATTERNS: tuple[str, ...] = (
    "new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
    "oscillating", "historical",
)  # fmt: skip
COLD_PATTERNS: tuple[str, ...] = tuple(f"{p}_cold" for p in HOT_PATTERNS)
PATTERNS: tuple[str, ...] = (*HOT_PATTERNS, *COLD_PATTERNS, "none")
ALPHA = 0.10
NAME = "emerging_hotspots.geojson"
PERSIST_SHARE = 0.90


@dataclass(frozen=True)
class MannKendall:
    """Mann-Kendall trend test: S, its z-score and two-sided p-value."""

    s: float
    z: float
    p: float


def mann_kendall(x: np.ndarray) -> MannKendall:
    """Mann-Kendall test of a monotonic trend in ``x`` (in time order), ties corrected.

    Parameters
    ----------
    x
        The series (at least 3 values).

    Returns
    -------
    MannKendall
        ``s`` = sum of sign(x_j - x_i) over i < j, ``z`` = s / sqrt(var), ``p`` two-sided.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 3:
        return MannKendall(0.0, 0.0, 1.0)
    diff = np.sign(x[None, :] - x[:, None])
    s = float(np.triu(diff, 1).sum())
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18
    if var <= 0:
        return MannKendall(s, 0.0, 1.0)
    z = s / math.sqrt(var)
    return MannKendall(s, z, float(2 * sps.norm.sf(abs(z))))


def classify_pattern(hot: np.ndarray, cold: np.ndarray, trend: MannKendall) -> str:
    """Return the pattern name of one cell from its hot/cold months (time order) and trend.

    Hot patterns when the cell is hot in the last month, cold ones (``*_cold``) when it is cold
    there (hot and cold swapped, the trend's sign flipped); see the module docstring.
    """
    n = len(hot)
    if n == 0:
        return "none"
    if hot[-1]:
        return _pattern(hot, cold, trend)
    if cold[-1]:
        flipped = MannKendall(-trend.s, -trend.z, trend.p)
        return _pattern(cold, hot, flipped) + "_cold"
    if hot.sum() / n >= PERSIST_SHARE:
        return "historical"
    return "historical_cold" if cold.sum() / n >= PERSIST_SHARE else "none"


def _pattern(hot: np.ndarray, cold: np.ndarray, trend: MannKendall) -> str:
    """Pattern of a cell that is hot in its last month (``cold``: the opposite state)."""
    n = len(hot)
    share = hot.sum() / n
    if share >= PERSIST_SHARE:
        if trend.p < ALPHA:
            return "intensifying" if trend.z > 0 else "diminishing"
        return "persistent"
    before = np.flatnonzero(~hot)
    run_start = int(before[-1]) + 1 if len(before) else 0
    earlier_hot = bool(hot[:run_start].any())
    if not earlier_hot:
        return "new" if run_start == n - 1 else "consecutive"
    return "oscillating" if cold[:run_start].any() else "sporadic"


def _month_bins(
    alerts: gpd.GeoDataFrame, study_area: shapely.Geometry, cell_m: float, months: list[str]
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Return the grid and its counts per cell and month (cells x months)."""
    cells = grid_cells(alerts.iloc[:0], study_area, cell_m=cell_m)
    frame = grid_frame(study_area, cell_m)
    # issue 14: one pass over the alerts (was a grid_cells call and a date format per month)
    at = np.full(frame[2] * frame[3], -1, dtype=np.int64)
    at[cells["row"].to_numpy() * frame[2] + cells["col"].to_numpy()] = np.arange(len(cells))
    flat = grid_index(alerts.geometry.x.to_numpy(), alerts.geometry.y.to_numpy(), frame, cell_m)
    cell = np.where(flat >= 0, at[np.maximum(flat, 0)], -1)
    t = alerts["reported_at"].dt
    code = (t.year * 12 + t.month - 1).to_numpy()
    wanted = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1 for m in months], dtype=np.int64)
    month = np.searchsorted(wanted, code) if len(wanted) else np.zeros(len(code), np.int64)
    ok = (cell >= 0) & (month < len(wanted))
    ok[ok] = wanted[month[ok]] == code[ok]
    n_m = len(months)
    counts = np.bincount(cell[ok] * n_m + month[ok], minlength=len(cells) * n_m)
    return cells, counts.reshape(len(cells), n_m).astype(float)


@dataclass(frozen=True)
class Cube:
    """A space-time cube: grid cells x months, counts and Gi* z / BH-adjusted p per bin."""

    cells: gpd.GeoDataFrame
    months: tuple[str, ...]
    counts: np.ndarray
    z: np.ndarray
    p_adj: np.ndarray


def space_time_cube(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    *,
    cell_m: float = 1000.0,
    distance_m: float | None = None,
) -> Cube:
    """Count alerts per grid cell and month and compute each bin's Gi* (same-month neighbours).

    Parameters
    ----------
    alerts
        Alerts in the working CRS with ``reported_at``.
    study_area
        Study area polygon, working CRS.
    cell_m
        Grid cell size in metres.
    distance_m
        Gi* distance band (default 2 x ``cell_m``), self included.

    Returns
    -------
    Cube
        The cells (from :func:`geo_outreach.hotspots.grid_cells`), months, counts, z and p.
    """
    first = alerts["reported_at"].min().strftime("%Y-%m")
    last = alerts["reported_at"].max().strftime("%Y-%m")
    months = [str(p) for p in pd.period_range(first, last, freq="M")]
    cells, counts = _month_bins(alerts, study_area, cell_m, months)
    cent = cells.geometry.centroid
    w = distance_band(np.column_stack([cent.x, cent.y]), distance_m or 2 * cell_m)
    z = np.column_stack([gi_star_z(counts[:, j], w) for j in range(len(months))])
    p = 2 * sps.norm.sf(np.abs(z))
    p_adj = np.column_stack([sps.false_discovery_control(p[:, j]) for j in range(len(months))])
    return Cube(cells=cells, months=tuple(months), counts=counts, z=z, p_adj=p_adj)


def emerging_hotspots(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    precincts: gpd.GeoDataFrame,
    *,
    cell_m: float = 1000.0,
    distance_m: float | None = None,
    min_alerts: int = 1,
) -> gpd.GeoDataFrame:
    """Classify grid cells by how their monthly hot-spot status evolves.

    Parameters
    ----------
    alerts
        Alerts in the working CRS with ``reported_at``.
    study_area, precincts
        Study area polygon and precincts (``precinct_id``, ``name``), working CRS.
    cell_m
        Grid cell size in metres.
    distance_m
        Gi* distance band (default 2 x ``cell_m``).
    min_alerts
        Cells with fewer alerts over the whole period are left out of the output (they stay in
        the Gi* computation).

    Returns
    -------
    geopandas.GeoDataFrame
        cell_id, precinct_id, precinct_name, alerts, pattern, hot_months, first_hot_month,
        run_start_month, last_month_z, mk_z, mk_p, polygon geometry (working CRS).
    """
    cube = space_time_cube(alerts, study_area, cell_m=cell_m, distance_m=distance_m)
    cells, counts, z, months = cube.cells, cube.counts, cube.z, cube.months
    cent = cells.geometry.centroid
    hot, cold = (cube.p_adj < ALPHA) & (z > 0), (cube.p_adj < ALPHA) & (z < 0)
    recs = []
    for i in range(len(cells)):
        mk = mann_kendall(z[i])
        pattern = classify_pattern(hot[i], cold[i], mk)
        hot_idx = np.flatnonzero(hot[i])
        not_hot = np.flatnonzero(~hot[i])
        run = int(not_hot[-1]) + 1 if len(not_hot) else 0
        recs.append({
            "pattern": pattern,
            "hot_months": int(hot[i].sum()),
            "first_hot_month": months[hot_idx[0]] if len(hot_idx) else "",
            "run_start_month": months[run] if hot[i][-1] else "",
            "last_month_z": float(z[i, -1]),
            "mk_z": mk.z,
            "mk_p": mk.p,
        })  # fmt: skip
    out = gpd.GeoDataFrame(pd.DataFrame(recs), geometry=cells.geometry.values, crs=cells.crs)
    out.insert(0, "alerts", counts.sum(axis=1).astype(np.int64))
    pid = assign_precincts(gpd.GeoSeries(cent.values, crs=cells.crs), precincts).to_numpy()
    names = dict(zip(precincts["precinct_id"].astype(str), precincts["name"], strict=True))
    out.insert(0, "precinct_name", [names.get(str(x), "") for x in pid])
    out.insert(0, "precinct_id", pid)
    out.insert(0, "cell_id", cells["cell_id"].to_numpy())
    return out[out["alerts"] >= min_alerts].reset_index(drop=True)


def emerging_lines(cells: pd.DataFrame, lang: str = "zh") -> list[str]:
    """Briefing lines like "3 new hot spots in 大泽镇 since 2026-08", one per precinct.

    New and consecutive hot spots are counted per precinct, with the earliest start of their
    current run; intensifying ones are listed after them.
    """
    lines: list[str] = []
    for kinds, key in ((("new", "consecutive"), "emerging_new_line"),
                       (("intensifying",), "emerging_intensifying_line")):  # fmt: skip
        sub = cells[cells["pattern"].isin(kinds)]
        for name, g in sub.groupby("precinct_name", sort=True):
            since = str(min(g["run_start_month"]))
            lines.append(t(key, lang).format(name=name, n=len(g), since=since))
    return lines


def write_emerging(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    precincts: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    cell_m: float = 1000.0,
) -> Path | None:
    """Write ``emerging_hotspots.geojson`` (cells with a named pattern); None with < 3 months.

    Parameters
    ----------
    alerts, study_area, precincts
        The study's layers (working CRS).
    out_dir
        The output folder.
    cell_m
        Grid cell size in metres (monthly counts on the 250 m hot-spot grid are too sparse).

    Returns
    -------
    pathlib.Path or None
        The written file, or None when the alerts span fewer than 3 months.
    """
    if len(alerts) == 0 or len(np.unique(month_index(alerts["reported_at"]))) < 3:  # 3 months
        return None
    cells = emerging_hotspots(alerts, study_area, precincts, cell_m=cell_m)
    cells = cells[cells["pattern"] != "none"].reset_index(drop=True)
    return write_output(out_dir, NAME, cells[[*columns_of(NAME), "geometry"]])
