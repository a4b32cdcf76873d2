"""The Python API for notebooks and scripts: :func:`plan`, :func:`evaluate`, :func:`cover`.

    import geo_outreach as go

    p = go.plan("scenario.toml")                 # computes, writes nothing
    p.channels.placements.head()
    p = go.plan("scenario.toml", out="outputs")  # the same files as ``geo-outreach plan``
    ev = go.evaluate("scenario.toml", split="2026-05-01")

None of these functions prints; pass ``progress=print`` (or any ``Callable[[str], None]``) to
follow the stages. Errors are :class:`~geo_outreach._errors.GeoOutreachError` subclasses whose
message names the fix. The ``geo-outreach`` command (:mod:`geo_outreach.cli`) is a thin layer
over these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_outreach import backtest as _backtest
from geo_outreach._errors import InputDataError
from geo_outreach.backtest import BacktestResult
from geo_outreach.coverage import coverage_matrix_euclidean, maximize_coverage
from geo_outreach.io import StudyData, read_points
from geo_outreach.outputs import write_csv
from geo_outreach.plan import Plan, build_plan
from geo_outreach.render import render_briefing
from geo_outreach.render.chart import write_evaluation_chart
from geo_outreach.scenario import Scenario, load_scenario, placement_only, with_overrides

__all__ = [
    "BacktestFiles",
    "CoverResult",
    "Plan",
    "cover",
    "evaluate",
    "load_scenario",
    "plan",
    "write_backtest",
]

Progress = Callable[[str], None]
CoverMethod = Literal["auto", "greedy", "exact"]


def _scenario(scenario: Scenario | str | Path, **overrides: Any) -> Scenario:
    """Load ``scenario`` when it is a path; apply the overrides that are not ``None``."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    changes = {k: v for k, v in overrides.items() if v is not None}
    return with_overrides(sc, **changes) if changes else sc


# --------------------------------------------------------------------------- plan


def plan(
    scenario: Scenario | str | Path,
    out: str | Path | None = None,
    *,
    basemap: str | None = None,
    lang: Literal["zh", "en"] | None = None,
    render: bool = True,
    progress: Progress | None = None,
    command: str | None = None,
) -> Plan:
    """Run a scenario: analytics and placements per channel, written only when ``out`` is given.

    Parameters
    ----------
    scenario
        A scenario TOML file or a loaded :class:`~geo_outreach.scenario.Scenario`.
    out
        Output folder (overrides ``[output] dir``). ``None``: compute only, write nothing.
    basemap, lang
        Override ``[output] basemap`` and ``lang`` (maps and briefing).
    render
        With ``out``: also write ``map.html`` and the briefing.
    progress
        Called with a short message as each stage starts and ends.
    command
        The command line to record in ``manifest.json`` (the CLI passes its own).

    Returns
    -------
    Plan
        Scenario, study data, analytics and channel results; the files written and the
        manifest when ``out`` is given.
    """
    sc = _scenario(scenario, dir=Path(out) if out is not None else None, basemap=basemap, lang=lang)
    return build_plan(sc, progress=progress, render=render, write=out is not None, command=command)


# --------------------------------------------------------------------------- evaluate


@dataclass(frozen=True)
class BacktestFiles:
    """What :func:`write_backtest` wrote.

    Attributes
    ----------
    files
        ``evaluation.csv``, ``evaluation.png`` and ``evaluation.json``.
    briefing
        ``briefing.html`` re-rendered with the backtest section, ``None`` when the folder holds
        no plan (run ``plan`` there first).
    """

    files: tuple[Path, ...]
    briefing: Path | None


def evaluate(
    scenario: Scenario | str | Path,
    *,
    split: date | str,
    out: str | Path | None = None,
    until: date | str | None = None,
    rolling: int = 0,
    seed: int | None = None,
    n_boot: int = 500,
    n_random: int = 50,
    data: StudyData | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Backtest every channel: plan on alerts before ``split``, score on the alerts after it.

    Parameters
    ----------
    scenario
        A scenario TOML file or a loaded :class:`~geo_outreach.scenario.Scenario`.
    split
        First test day (``date`` or ``"YYYY-MM-DD"``).
    out
        Output folder (overrides ``[output] dir``): writes ``evaluation.csv/.png/.json`` and
        re-renders the briefing of a plan found there. ``None``: write nothing.
    until
        Last test day (inclusive); default the last alert day.
    rolling
        ``N > 0``: ``N`` monthly splits from ``split``, each tested on the following month.
    seed
        Seed of the bootstrap and the random baseline (default the scenario's seed).
    n_boot, n_random
        Bootstrap resamples and random placements.
    data
        Already loaded study data (default: loaded from the scenario).
    progress
        Called with a short message per step.

    Returns
    -------
    BacktestResult
        ``table``: one row per split x channel x method (``evaluation.csv``); ``summary``: what
        ``evaluation.json`` holds.
    """
    sc = _scenario(scenario, dir=Path(out) if out is not None else None)
    result = _run_backtest(
        sc,
        split=_as_date(split),
        until=_as_date(until),
        rolling=rolling,
        seed=seed,
        n_boot=n_boot,
        n_random=n_random,
        data=data,
        progress=progress,
    )
    if out is not None:
        write_backtest(result, sc.output.dir, lang=sc.output.lang)
    return result


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputDataError(f"{value!r} is not a date like 2026-05-01") from None


def _run_backtest(
    sc: Scenario,
    *,
    split: date | None,
    until: date | None,
    rolling: int,
    seed: int | None,
    n_boot: int,
    n_random: int,
    data: StudyData | None,
    progress: Progress | None,
) -> BacktestResult:
    """Call the backtest stage (:func:`geo_outreach.backtest.evaluate`)."""
    if split is None:
        raise InputDataError("split is required: the first test day, e.g. 2026-05-01")
    sc = placement_only(sc)  # issue 12: visits channels place nothing to backtest
    return _backtest.evaluate(
        sc,
        split=split,
        until=until,
        rolling=rolling,
        seed=seed,
        n_boot=n_boot,
        n_random=n_random,
        data=data,
        progress=progress,
    )


def write_backtest(result: BacktestResult, out_dir: str | Path, *, lang: str) -> BacktestFiles:
    """Write the evaluation files into ``out_dir`` and re-render the briefing of a plan there.

    Parameters
    ----------
    result
        What :func:`evaluate` returned.
    out_dir
        The output folder.
    lang
        Language of the chart and the briefing (``"zh"`` or ``"en"``).

    Returns
    -------
    BacktestFiles
        The evaluation files, and the briefing when one was re-rendered.
    """
    out = Path(out_dir)
    csv_path, json_path = _backtest.write_evaluation(result, out)
    png_path = write_evaluation_chart(result, out / "evaluation.png", lang=lang)
    paths = [csv_path, png_path, json_path]  # the order the command prints them
    briefing = None
    if (out / "manifest.json").is_file() and (out / "precincts.geojson").is_file():
        briefing = render_briefing(out, lang=lang)["briefing_html"]
    return BacktestFiles(files=tuple(Path(p) for p in paths), briefing=briefing)


# --------------------------------------------------------------------------- cover


@dataclass(frozen=True)
class CoverResult:
    """The answer of :func:`cover` (``as_dict()`` is the ``cover --json`` object).

    ``chosen`` are candidate ids in rank order and ``marginal`` what each adds; ``gap`` is
    ``(upper_bound - covered_weight) / upper_bound``; ``crs`` is the metric CRS used for the
    distances; ``out`` the CSV written, if any.
    """

    covered_weight: float
    total_weight: float
    covered_share: float
    upper_bound: float
    gap: float
    status: str
    method: str
    seconds: float
    chosen: list[str]
    marginal: list[float]
    radius_m: float
    budget: int
    n_demand: int
    n_candidates: int
    crs: str
    notes: list[str]
    out: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-able result (``out`` only when a CSV was written)."""
        d = dict(self.__dict__)
        if d["out"] is None:
            del d["out"]
        return d


def cover(
    demand: str | Path,
    candidates: str | Path,
    *,
    radius_m: float,
    budget: int,
    crs: str = "EPSG:4326",
    x: str | None = None,
    y: str | None = None,
    weight: str | None = None,
    id_column: str | None = None,
    method: CoverMethod = "auto",
    time_limit_s: float | None = None,
    out: str | Path | None = None,
) -> CoverResult:
    """Choose ``budget`` candidate sites that cover the most demand within ``radius_m``.

    Parameters
    ----------
    demand, candidates
        Point files (CSV or GeoJSON/GeoPackage), read with :func:`geo_outreach.io.read_points`.
    radius_m
        Reach of a site in metres (straight line).
    budget
        Number of sites to choose.
    crs
        CRS of CSV coordinates (default lon/lat WGS84, projected to the local UTM zone).
    x, y
        Coordinate columns of CSV files (default: ``x``/``lon``/... and ``y``/``lat``/...).
    weight
        Demand weight column (default 1 per row).
    id_column
        Candidate id column (default ``id`` if present, else the row number).
    method
        ``auto``, ``greedy`` or ``exact`` (see :func:`geo_outreach.coverage.maximize_coverage`).
    time_limit_s
        Optional solver safety net in seconds; ``None`` (default): none, the solve is
        budgeted by work (the same answer on any machine).
    out
        Write the chosen sites (rank, id, x, y, marginal and cumulative weight) to this CSV.

    Returns
    -------
    CoverResult
        Chosen ids, covered weight, bound and gap.
    """
    if not (radius_m > 0):
        raise InputDataError(f"--radius-m must be > 0, got {radius_m:g}")
    if budget < 1:
        raise InputDataError(f"--budget must be at least 1, got {budget}")
    if time_limit_s is not None and not (time_limit_s > 0):
        raise InputDataError(f"--time-limit must be > 0, got {time_limit_s:g}")
    dem = read_points(demand, role="demand", crs=crs, x=x, y=y)
    cand = read_points(candidates, role="candidates", crs=crs, x=x, y=y)
    if len(cand) == 0:
        raise InputDataError(f"{candidates}: no candidate sites")
    w = _weights(dem, weight, demand)
    ids = _candidate_ids(cand, id_column, candidates)
    if budget > len(ids):
        raise InputDataError(
            f"--budget {budget} is larger than the {len(ids)} candidates in {candidates}; lower it"
        )
    dm, cm, crs_used = _to_metres(dem, cand)
    a = coverage_matrix_euclidean(dm, cm, radius_m)
    sol = maximize_coverage(a, w, budget, method=method, time_limit_s=time_limit_s)
    chosen = [ids[j] for j in sol.chosen]
    if out is not None:
        cxy = _xy(cand)
        cum = np.cumsum(sol.marginal) if sol.marginal else np.zeros(0)
        rows = pd.DataFrame(
            {
                "rank": np.arange(1, len(sol.chosen) + 1),
                "id": chosen,
                "x": [cxy[j, 0] for j in sol.chosen],
                "y": [cxy[j, 1] for j in sol.chosen],
                "marginal_weight": list(sol.marginal),
                "cumulative_weight": cum,
                "cumulative_share": cum / sol.total_weight if sol.total_weight > 0 else cum * 0,
            }
        )
        write_csv(out, rows)
    return CoverResult(
        covered_weight=sol.covered_weight,
        total_weight=sol.total_weight,
        covered_share=sol.covered_share,
        upper_bound=sol.upper_bound,
        gap=sol.gap,
        status=sol.status,
        method=sol.method,
        seconds=round(sol.seconds, 4),
        chosen=chosen,
        marginal=list(sol.marginal),
        radius_m=radius_m,
        budget=budget,
        n_demand=len(w),
        n_candidates=len(ids),
        crs=crs_used,
        notes=list(sol.notes),
        out=str(out) if out is not None else None,
    )


def _columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [c for c in frame.columns if c != frame.geometry.name]


def _weights(dem: gpd.GeoDataFrame, weight: str | None, path: str | Path) -> np.ndarray:
    if not weight:
        return np.ones(len(dem))
    if weight not in _columns(dem):
        raise InputDataError(
            f"{path}: no column {weight!r} (columns: {_columns(dem)}); check --weight"
        )
    w: np.ndarray = pd.to_numeric(dem[weight], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputDataError(f"{path}: --weight column {weight!r} must hold numbers >= 0")
    return w


def _candidate_ids(cand: gpd.GeoDataFrame, id_column: str | None, path: str | Path) -> list[str]:
    if id_column:
        if id_column not in _columns(cand):
            raise InputDataError(
                f"{path}: no column {id_column!r} (columns: {_columns(cand)}); check --id"
            )
        ids = cand[id_column].astype(str).tolist()
    elif "id" in _columns(cand):
        ids = cand["id"].astype(str).tolist()
    else:
        ids = [str(i) for i in range(len(cand))]
    ser = pd.Series(ids)
    dup = ser[ser.duplicated()].unique()
    if len(dup):
        raise InputDataError(
            f"{path}: duplicate candidate ids {list(dup[:5])}; make the id column unique"
        )
    return [str(i) for i in ids]


def _xy(points: gpd.GeoDataFrame) -> np.ndarray:
    if len(points) == 0:
        return np.zeros((0, 2))
    return np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])


def _to_metres(dem: gpd.GeoDataFrame, cand: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    """Both point sets in one metric CRS: a projected input CRS, else the local UTM zone."""
    if dem.crs.is_projected:
        target = dem.crs
    elif cand.crs.is_projected:
        target = cand.crs
    else:
        both = np.vstack([_xy(dem), _xy(cand)])
        if (np.abs(both[:, 0]) > 180).any() or (np.abs(both[:, 1]) > 90).any():
            raise InputDataError(
                "coordinates are not lon/lat degrees; "
                "pass the projected CRS of the files with --crs"
            )
        pts = gpd.GeoSeries(gpd.points_from_xy(both[:, 0], both[:, 1]), crs=dem.crs)
        target = pts.estimate_utm_crs()

    def proj(points: gpd.GeoDataFrame) -> np.ndarray:
        if points.crs == target:
            return _xy(points)
        return _xy(points.to_crs(target))

    return proj(dem), proj(cand), str(target.to_string())
