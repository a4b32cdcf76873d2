"""Run the backtest: would the plan have reached the fraud that actually happened next.

For each channel, the plan is rebuilt from the alerts *before* a split date by the same
:func:`~geo_outreach.channels.problem.channel_problem` and
:func:`~geo_outreach.channels.problem.solve_channel` the plan uses (same candidates, radius,
distance model, category/age weights, budget, existing sites and constraints) and scored on
the alerts *after* it, against the baselines of :mod:`.baselines` scored the same way
(:mod:`.score`, :mod:`.metrics`). Measures are per channel, per method, and
``channel = "all"`` for the union of every channel. Only alerts inside the study area count
(area share and hit rate refer to the same region).

Issue 13: every channel is also planned on forecast demand (the surface of
:mod:`geo_outreach.forecast`, its bandwidth and half-life chosen by month-ahead cross-validation on
the alerts before the split only) through the same ``channel_problem`` (``aggregate=True``,
``train_end`` = the split); its sites are scored on the same test alerts. ``plan`` rows are the
channel's configured demand; the ``raw_hit_rate`` / ``forecast_hit_rate`` columns give both.

The backtest problems keep one demand row per alert (``aggregate=False``), so a period is a
row subset of one coverage matrix. The plan aggregates demand to unique locations in
coordinate order; on the same alerts both reach the same covered weight, but where several
site sets are optimal (ties) the row order can make the solver return a different one of
them (the sample's ``banners`` channel at split 2026-05-01: 2 of 10 sites differ, same
training weight covered). Kept so that ``evaluation.csv`` stays byte-identical.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import dataclasses

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo_outreach import coverage as cov
from geo_outreach._errors import InfeasiblePlanError, InputDataError, ScenarioError
from geo_outreach._validate import OUTSIDE
from geo_outreach.analytics import hotspots_for
from geo_outreach.backtest.baselines import (
    METHODS,
    density_cells,
    naive_hotspot_sites,
    oracle_sites,
    random_sites,
    topk_sites,
)
from geo_outreach.backtest.metrics import (
    Resamples,
    area_share,
    covered_mask,
)
from geo_outreach.backtest.score import Scored, all_rows, build_table, score_rows
from geo_outreach.backtest.summary import BacktestResult, summarize
from geo_outreach.backtest.windows import Window, day_start, split_windows
from geo_outreach.channels.problem import (
    ChannelProblem,
    channel_problem,
    reach_geometries,
    solve_channel,
)

if TYPE_CHECKING:
    from geo_outreach.io import StudyData
    from geo_outreach.scenario import ChannelConfig, Scenario

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Rows = npt.NDArray[np.intp]
Progress = Callable[[str], None]


@dataclass
class _Run:
    """Everything one backtest run shares across splits and channels."""

    sc: Scenario
    data: StudyData
    alerts: gpd.GeoDataFrame  # in-study-area alerts, one row each (the backtest's demand rows)
    network: cov.StreetIndex | None
    fixed: dict[str, ChannelProblem]  # venue channels: one problem over every alert
    seed: int
    n_boot: int
    n_random: int
    progress: Progress | None
    problems: list[ChannelProblem] = field(default_factory=list)  # in the order notes are listed
    extra_notes: dict[int, list[str]] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    hot: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # per split (patrols)
    demand: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # issue 13
    seconds_forecast: float = 0.0

    def note(self, problem: ChannelProblem, text: str) -> None:
        self.extra_notes.setdefault(id(problem), []).append(text)

    def notes(self) -> list[str]:
        out = (
            f"{p.name}: {n}"
            for p in self.problems
            for n in list(p.notes) + self.extra_notes.get(id(p), [])
        )
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class _Split:
    """One window's rows and what every channel of it is scored on."""

    window: Window
    train_rows: Rows
    test_rows: Rows
    boot: Resamples
    meta: dict[str, Any]
    cell_xy: FloatArray
    cell_val: FloatArray


def _say(progress: Progress | None, msg: str) -> None:
    log.info(msg)
    if progress:
        progress(msg)


def _seed_for(seed: int, *parts: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF] + [zlib.crc32(p.encode()) for p in parts]
    )


def _network(data: StudyData, channels: Sequence[ChannelConfig]) -> cov.StreetIndex | None:
    if data.streets is None or not any(
        c.distance == "walk" or c.type == "patrol" for c in channels
    ):
        return None
    return cov.prepare_network(data.streets)


# =========================================================================== one split


def _split(run: _Run, win: Window, period: tuple[date, date]) -> _Split:
    tz = run.sc.scenario.timezone
    times = run.alerts["reported_at"]
    s_ts = day_start(win.split, tz)
    e_ts = day_start(win.test_end, tz) + pd.Timedelta(days=1)
    train_rows = np.flatnonzero((times < s_ts).to_numpy())
    test_rows = np.flatnonzero(((times >= s_ts) & (times < e_ts)).to_numpy())
    if len(train_rows) == 0 or len(test_rows) == 0:
        raise ScenarioError(
            f"split {win.split.isoformat()}: {len(train_rows)} training and {len(test_rows)} test "
            f"alerts inside the study area (data period {period[0].isoformat()}.."
            f"{period[1].isoformat()}); choose another split"
        )
    train_start = times.iloc[train_rows].min().date()
    _say(
        run.progress,
        f"split {win.split.isoformat()}: {len(train_rows)} training, {len(test_rows)} test alerts",
    )
    cell_xy, cell_val = density_cells(run.alerts.iloc[train_rows], run.data, run.sc.analysis)
    meta = {
        "split": win.label(),
        "train_start": train_start.isoformat(),
        "train_end": (win.split - timedelta(days=1)).isoformat(),
        "test_start": win.split.isoformat(),
        "test_end": win.test_end.isoformat(),
        "train_alerts": len(train_rows),
        "test_alerts": len(test_rows),
    }
    boot = Resamples(len(test_rows), run.n_boot, _seed_for(run.seed, "boot", win.label()))
    return _Split(win, train_rows, test_rows, boot, meta, cell_xy, cell_val)


def _split_problems(run: _Run, win: Window) -> list[ChannelProblem]:
    """Each channel's problem for one split.

    Venue channels reuse theirs; patrol stops are the training period's hot-spot cells, so
    patrol problems are built per split.
    """
    data = run.data
    problems = []
    hot: gpd.GeoDataFrame | None = None
    for ch in run.sc.channels:
        if ch.type != "patrol":
            problems.append(run.fixed[ch.name])
            continue
        if hot is None:
            before = (
                data.alerts["reported_at"] < day_start(win.split, run.sc.scenario.timezone)
            ).to_numpy()
            hot = hotspots_for(data, run.sc.analysis, data.alerts[before].reset_index(drop=True))
            run.hot[win.label()] = hot
        pr = channel_problem(
            data, ch, run.alerts, network=run.network, hotspots=hot, aggregate=False
        )
        if pr.m == 0:
            raise InputDataError(
                f"channels.{ch.name}: no venues of kinds {list(ch.venue_kinds)}; add such venues "
                "to the venues file or change venue_kinds"
            )
        problems.append(pr)
        run.problems.append(pr)
    return problems


def _solve_oracle(run: _Run, pr: ChannelProblem, rows: Rows, k: int) -> cov.CoverageSolution:
    try:
        return solve_channel(pr, rows=rows, k=k, seed=run.seed)
    except InfeasiblePlanError:
        run.note(
            pr,
            "oracle: the precinct minimums cannot be met on the test alerts; solved without them",
        )
        return solve_channel(pr, rows=rows, k=k, seed=run.seed, constrained=False)


def _forecast_plan(
    run: _Run, pr: ChannelProblem, sp_: _Split, k: int
) -> tuple[cov.CoverageSolution, list[int], ChannelProblem]:
    """Issue 13: the channel planned on forecast demand chosen before the split.

    Returns the solution, its sites as positions in ``pr``'s candidates, and the problem.
    """
    t0 = time.perf_counter()
    ch = dataclasses.replace(pr.config, demand="forecast")
    split_ts = day_start(sp_.window.split, run.sc.scenario.timezone)
    fpr = channel_problem(
        run.data, ch, run.alerts, network=run.network, hotspots=run.hot.get(sp_.window.label()),
        aggregate=True, train_end=split_ts,
    )  # fmt: skip
    sol = solve_channel(fpr, k=k, seed=run.seed)
    pos = {v: j for j, v in enumerate(pr.cand_ids)}
    cols = [pos[str(v)] for v in fpr.cand_ids[list(sol.chosen)]]
    run.seconds_forecast += time.perf_counter() - t0
    return sol, cols, fpr


def _hit(pr: ChannelProblem, rows: Rows, cols: Sequence[int]) -> float:
    w = pr.weights[rows]
    covered = covered_mask(pr.matrix[rows], list(cols) + list(pr.existing))
    return float(w[covered].sum() / w.sum()) if w.sum() > 0 else math.nan


def _plans(
    run: _Run, pr: ChannelProblem, sp_: _Split, k: int
) -> tuple[cov.CoverageSolution, list[int]]:
    """Return the plan as configured (raw or forecast demand); record both hit rates (#13)."""
    raw = solve_channel(pr, rows=sp_.train_rows, k=k, seed=run.seed)
    rec: dict[str, Any] = {
        "demand": pr.config.demand,
        "raw_hit_rate": _hit(pr, sp_.test_rows, list(raw.chosen)),
        "forecast_hit_rate": math.nan,
        "forecast_bandwidth_m": math.nan,
        "forecast_half_life_days": math.nan,
    }
    run.demand[(sp_.window.label(), pr.name)] = rec
    try:
        fsol, fcols, fpr = _forecast_plan(run, pr, sp_, k)
    except InputDataError as exc:  # too short a training period for the month-ahead CV
        run.note(pr, f"split {sp_.window.label()}: no forecast demand ({exc}); raw demand used")
        return raw, list(raw.chosen)
    fc = fpr.forecast
    rec["forecast_hit_rate"] = _hit(pr, sp_.test_rows, fcols)
    rec["forecast_bandwidth_m"] = fc.bandwidth_m if fc else math.nan
    rec["forecast_half_life_days"] = fc.half_life_days if fc else math.nan
    if pr.config.demand == "forecast":
        return fsol, fcols
    return raw, list(raw.chosen)


def _method_sets(run: _Run, pr: ChannelProblem, sp_: _Split, k: int) -> dict[str, list[list[int]]]:
    """Sites of every method for one channel and split (several draws for ``random``)."""
    ch = pr.config
    existing = list(pr.existing)
    w_train = pr.weights[sp_.train_rows]
    w_test = pr.weights[sp_.test_rows]
    plan, plan_cols = _plans(run, pr, sp_, k)
    sets: dict[str, list[list[int]]] = {"plan": [plan_cols]}
    rng = np.random.default_rng(_seed_for(run.seed, "random", sp_.window.label(), ch.name))
    sets["random"] = [
        random_sites(pr.m, k, rng=rng, existing=existing) for _ in range(run.n_random)
    ]
    sets["naive_hotspot"] = [
        naive_hotspot_sites(pr.cand_xy, k, sp_.cell_xy, sp_.cell_val, existing=existing)
    ]
    sets["topk_no_overlap"] = [topk_sites(pr.matrix[sp_.train_rows], w_train, k, existing=existing)]
    orc = _solve_oracle(run, pr, sp_.test_rows, k)
    a_test = pr.matrix[sp_.test_rows]
    sets["oracle"] = [oracle_sites(orc.chosen, sets, a_test, w_test, existing)]
    run.solver.setdefault(sp_.window.label(), {})[ch.name] = {
        "plan": {
            "status": plan.status,
            "gap": plan.gap,
            "method": plan.method,
            "seconds": round(plan.seconds, 3),
        },
        "oracle": {
            "status": orc.status,
            "gap": orc.gap,
            "method": orc.method,
            "seconds": round(orc.seconds, 3),
            "upper_bound_share": orc.upper_bound / orc.total_weight
            if orc.total_weight > 0
            else math.nan,
        },
    }
    return sets


def _score_channel(
    run: _Run, pr: ChannelProblem, sp_: _Split
) -> tuple[dict[str, Scored], list[dict[str, Any]]]:
    ch = pr.config
    free = pr.m - len(pr.existing)
    k = min(ch.budget, free)
    if k < ch.budget:
        run.note(pr, f"budget {ch.budget} > {free} candidate sites; evaluated with k = {k}")
    sets = _method_sets(run, pr, sp_, k)
    a_test = pr.matrix[sp_.test_rows]
    ids = pr.cand_ids
    scored: dict[str, Scored] = {}
    for name in METHODS:
        s = Scored(name, sets[name])
        if name != "random":
            s.sites = ";".join(str(ids[j]) for j in sets[name][0])
        for cols in sets[name]:
            full = list(cols) + list(pr.existing)
            s.covered.append(covered_mask(a_test, full))
            s.area.append(area_share(reach_geometries(pr, full), run.data.study_area))
        scored[name] = s
    base = {
        **sp_.meta,
        "channel": ch.name,
        "k": k,
        "existing": len(pr.existing),
        "distance": pr.distance,
        "radius_m": ch.radius_m,
        **run.demand.get((sp_.window.label(), ch.name), {}),
    }
    return scored, score_rows(scored, pr.weights[sp_.test_rows], sp_.boot, base)


def _split_rows(run: _Run, sp_: _Split) -> list[dict[str, Any]]:
    problems = _split_problems(run, sp_.window)
    rows: list[dict[str, Any]] = []
    per_channel: dict[str, dict[str, Scored]] = {}
    for pr in problems:
        per_channel[pr.name], more = _score_channel(run, pr, sp_)
        rows += more
    rows += all_rows(
        per_channel, problems, len(sp_.test_rows), sp_.boot, sp_.meta, run.data.study_area
    )
    return rows


# =========================================================================== entry point


def evaluate(
    sc: Scenario,
    *,
    split: date,
    until: date | None = None,
    rolling: int = 0,
    seed: int | None = None,
    n_boot: int = 500,
    n_random: int = 50,
    data: StudyData | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Backtest every channel of ``sc``: plan on alerts before ``split``, score after it.

    Parameters
    ----------
    sc
        The scenario (its channels' settings are used as they are).
    split
        First test day (scenario timezone). Training uses every alert before it.
    until
        Last test day (inclusive); default the last alert day.
    rolling
        ``0``: one split, tested up to ``until``. ``N > 0``: ``N`` monthly splits ``split``,
        ``split + 1 month`` ..., each tested on the month that follows it (up to ``until``),
        plus ``split = "mean"`` rows averaging them.
    seed
        Seed of the bootstrap and random baseline (default the scenario's seed).
    n_boot, n_random
        Bootstrap resamples and random placements.
    data
        Already loaded study data (default: loaded from ``sc``).
    progress
        Called with a short message as the run goes (``None``: silent).

    Returns
    -------
    BacktestResult
        The table (columns :data:`CSV_COLUMNS`) and the JSON summary.

    Raises
    ------
    ScenarioError
        No channels, bad counts, or a split that leaves no training or test alerts.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if not sc.channels:
        raise ScenarioError("the scenario has no [channels.*] sections; nothing to evaluate")
    if n_boot < 0 or n_random < 1:
        raise ScenarioError("n_boot must be >= 0 and n_random >= 1")
    seed = sc.scenario.seed if seed is None else int(seed)
    if data is None:
        from geo_outreach.io import load_study

        _say(progress, "load ...")
        data = load_study(sc)
    timings["load"] = round(time.perf_counter() - t0, 3)
    t = data.alerts["reported_at"]
    period = (t.min().date(), t.max().date())
    windows = split_windows(period, split=split, until=until, rolling=rolling)
    inside = (data.alerts["precinct_id"].astype(str) != OUTSIDE).to_numpy()
    notes: list[str] = []
    if (~inside).any():
        notes.append(f"{int((~inside).sum())} alerts outside every precinct are not scored")

    t1 = time.perf_counter()
    _say(progress, "coverage matrices ...")
    run = _Run(
        sc=sc,
        data=data,
        alerts=data.alerts[inside].reset_index(drop=True),
        network=_network(data, sc.channels),
        fixed={},
        seed=seed,
        n_boot=n_boot,
        n_random=n_random,
        progress=progress,
    )
    for ch in sc.channels:
        if ch.type != "patrol":
            run.fixed[ch.name] = channel_problem(
                data, ch, run.alerts, network=run.network, aggregate=False
            )
            run.problems.append(run.fixed[ch.name])
    timings["coverage"] = round(time.perf_counter() - t1, 3)

    t2 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for win in windows:
        rows += _split_rows(run, _split(run, win, period))
    timings["backtest"] = round(time.perf_counter() - t2, 3)
    timings["forecast_plans"] = round(run.seconds_forecast, 3)  # issue 13, part of backtest
    df = build_table(rows, rolling)
    timings["total"] = round(time.perf_counter() - t0, 3)
    summary = summarize(
        df,
        sc,
        data=data,
        windows=windows,
        rolling=rolling,
        seed=seed,
        n_boot=n_boot,
        n_random=n_random,
        notes=notes + run.notes(),
        solver=run.solver,
        timings=timings,
        period=period,
    )
    return BacktestResult(table=df, summary=summary)
