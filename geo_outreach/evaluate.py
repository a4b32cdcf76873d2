"""Backtest: would the plan have reached the fraud that actually happened next?

For each channel, the plan is rebuilt from the alerts *before* a split date (same candidates,
radius, distance model, category/age weights, budget, existing sites and constraints) and
scored on the alerts *after* it, against baselines scored the same way.

Measures (per channel, per method, and ``channel = "all"`` for the union of every channel)
----------------------------------------------------------------------------------------
- ``hit_rate``: share of the test alerts' demand weight (the channel's category x age
  weights; 1 each when none are set) within reach of the chosen sites (new + existing);
  ``hit_rate_unweighted = hits / test_alerts`` counts alerts.
- ``area_share``: area of the union of the sites' reach (circles for straight-line channels,
  walking service areas for walking channels) inside the study area, over the study area.
- ``pai = hit_rate / area_share`` (Predictive Accuracy Index, Chainey et al. 2008).
- ``pei = pai / pai(oracle)`` (PEI*, Hunt 2016, with "the best placement of the same number of
  sites" as the reference), and ``share_of_oracle = covered weight / oracle covered weight``
  ("the plan reaches 87% of what perfect hindsight would").
- 95% percentile bootstrap intervals (``*_lo``, ``*_hi``): test alerts resampled with
  replacement by a seeded :class:`numpy.random.Generator`; the same resamples are used for
  every method of a split (paired), the sites stay fixed. For ``random`` the interval is the
  2.5-97.5 percentile spread over the random draws and ``random_sd`` their standard deviation.

Only alerts inside the study area count (area share and hit rate refer to the same region).

Methods
-------
``plan``             maximal covering on the training alerts (:func:`coverage.maximize_coverage`)
``random``           ``k`` sites drawn uniformly among the same candidates (``n_random`` seeds)
``naive_hotspot``    the candidate nearest each of the densest training-density cells, one per
                     cell, densest first (cells whose nearest candidate is taken are skipped)
``topk_no_overlap``  the ``k`` candidates with the most training weight within reach, each
                     counted alone (overlap ignored)
``oracle``           maximal covering fitted on the test alerts themselves (hindsight); the best
                     of the solver's answer and every other method's sites, so it is >= all

Files (written atomically into the output folder)
-------------------------------------------------
``evaluation.csv`` (:data:`CSV_COLUMNS`), ``evaluation.png`` (hit rate and PAI per channel
and method), ``evaluation.json`` (see :func:`summarize`, schema ``geo_outreach.evaluation/1``).
"""

from __future__ import annotations

import argparse
import calendar
import dataclasses
import logging
import math
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo_outreach import coverage as cov
from geo_outreach._errors import InfeasiblePlanError, InputDataError, ScenarioError
from geo_outreach._validate import OUTSIDE
from geo_outreach.outputs import atomic_write, write_csv, write_json
from geo_outreach.scenario import ChannelConfig, Scenario

log = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("plan", "random", "naive_hotspot", "topk_no_overlap", "oracle")
METHOD_LABELS = {
    "en": {"plan": "plan", "random": "random", "naive_hotspot": "naive hot spot",
           "topk_no_overlap": "top-k (overlap ignored)", "oracle": "oracle (hindsight)"},
    "zh": {"plan": "方案", "random": "随机", "naive_hotspot": "朴素热点", "topk_no_overlap": "单点前k(忽略重叠)",
           "oracle": "事后最优"},
}
ALL = "all"
MEAN = "mean"
SCHEMA = "geo_outreach.evaluation/1"
OUTPUT_FILES = ("evaluation.csv", "evaluation.png", "evaluation.json")

CSV_COLUMNS = [
    "split", "train_start", "train_end", "test_start", "test_end", "channel", "method",
    "k", "existing", "distance", "radius_m", "train_alerts", "test_alerts", "test_weight",
    "hits", "hit_rate_unweighted", "covered_weight", "hit_rate", "hit_rate_lo", "hit_rate_hi",
    "area_share", "pai", "pai_lo", "pai_hi", "pei", "pei_lo", "pei_hi", "share_of_oracle",
    "random_sd", "sites",
]
_ROUND = 8


# =========================================================================== arithmetic


def hit_rate(covered: Any, weights: Any = None) -> float:
    """Share of the (weighted) alerts that are covered; NaN when there is no weight."""
    c = np.asarray(covered, dtype=bool)
    w = np.ones(len(c)) if weights is None else np.asarray(weights, dtype=float)
    total = float(w.sum())
    return float(w[c].sum()) / total if total > 0 else math.nan


def pai(hit_rate_value: float, area_share_value: float) -> float:
    """Predictive Accuracy Index ``hit_rate / area_share`` (NaN when the area is 0)."""
    if not area_share_value > 0 or not np.isfinite(hit_rate_value):
        return math.nan
    return float(hit_rate_value) / float(area_share_value)


def area_share(reach: Sequence[Any], study_area: Any) -> float:
    """Area of the union of ``reach`` polygons inside ``study_area`` over the study area."""
    total = float(shapely.area(study_area))
    if total <= 0:
        raise InputDataError("the study area has no area; check the precinct layer")
    geoms = [g for g in reach if g is not None and not shapely.is_empty(g)]
    if not geoms:
        return 0.0
    union = shapely.union_all(geoms)
    return float(shapely.area(shapely.intersection(union, study_area))) / total


def covered_mask(a: sp.spmatrix, cols: Sequence[int]) -> np.ndarray:
    """Rows of ``a`` reached by at least one of ``cols``."""
    csc = sp.csc_matrix(a)
    mask = np.zeros(csc.shape[0], dtype=bool)
    for j in cols:
        mask[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return mask


#: Largest resample block (resamples x alerts) held in memory at once.
MAX_BOOT_CELLS = 20_000_000


@dataclass(frozen=True)
class Resamples:
    """``n_boot`` bootstrap resamples of ``n`` test alerts, drawn in blocks from
    ``np.random.default_rng(seed)``: every call of :meth:`blocks` yields the same resamples, so
    all methods of a split are scored on the same ones (paired) without holding them all."""

    n: int
    n_boot: int
    seed: Any

    def blocks(self) -> Any:
        if self.n == 0 or self.n_boot <= 0:
            return
        rng = np.random.default_rng(self.seed)
        per = max(1, MAX_BOOT_CELLS // self.n)
        done = 0
        while done < self.n_boot:
            b = min(per, self.n_boot - done)
            yield rng.integers(0, self.n, size=(b, self.n))
            done += b


def bootstrap_index(n: int, *, n_boot: int, seed: Any) -> np.ndarray:
    """``(n_boot, n)`` resample indices (all of :class:`Resamples` at once)."""
    blocks = list(Resamples(n, n_boot, seed).blocks())
    return np.concatenate(blocks) if blocks else np.zeros((0, n), dtype=np.int64)


def bootstrap_hit_rates(covered: Any, weights: Any, index: np.ndarray | Resamples) -> np.ndarray:
    """Hit rate of each resample (rows of ``index``, or the blocks of a :class:`Resamples`)."""
    c = np.asarray(covered, dtype=float)
    w = np.ones(len(c)) if weights is None else np.asarray(weights, dtype=float)
    wc = w * c
    out = []
    for idx in (index.blocks() if isinstance(index, Resamples) else [index]):
        if idx.size == 0:
            continue
        num = wc[idx].sum(axis=1)
        den = w[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))
    return np.concatenate(out) if out else np.zeros(0)


def _ci(values: np.ndarray) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan
    lo, hi = np.percentile(v, [2.5, 97.5])
    return float(lo), float(hi)


# =========================================================================== baselines


def random_sites(m: int, k: int, *, rng: np.random.Generator, existing: Sequence[int] = ()) -> list[int]:
    """``k`` distinct candidate columns drawn uniformly among the ``m`` not in ``existing``."""
    free = np.setdiff1d(np.arange(m), np.asarray(list(existing), dtype=np.int64))
    k = min(k, len(free))
    return sorted(int(j) for j in rng.choice(free, size=k, replace=False))


def topk_sites(a: sp.spmatrix, w: Any, k: int, *, existing: Sequence[int] = ()) -> list[int]:
    """The ``k`` columns with the largest weight within reach, each counted alone (ties: lower
    column first)."""
    csc = sp.csc_matrix(a, dtype=float)
    score = np.asarray(csc.T @ np.asarray(w, dtype=float)).ravel()
    score[list(existing)] = -np.inf
    order = np.lexsort((np.arange(len(score)), -score))
    return [int(j) for j in order[: min(k, len(score) - len(existing))]]


def naive_hotspot_sites(
    cand_xy: np.ndarray, k: int, cell_xy: np.ndarray, cell_value: np.ndarray, *,
    existing: Sequence[int] = (),
) -> list[int]:
    """The candidate nearest each of the densest cells, densest first, one per cell; a cell whose
    nearest free candidate is already chosen is skipped. Falls back to the next nearest free
    candidates of the densest cells when the cells run out."""
    from scipy.spatial import cKDTree

    m = len(cand_xy)
    taken = {int(j) for j in existing}
    free = np.array([j for j in range(m) if j not in taken], dtype=np.int64)
    k = min(k, len(free))
    if k == 0:
        return []
    ok = np.isfinite(cell_value) & (cell_value > 0)
    cxy, cval = np.asarray(cell_xy)[ok], np.asarray(cell_value)[ok]
    order = np.lexsort((np.arange(len(cval)), -cval))
    tree = cKDTree(np.asarray(cand_xy)[free])
    chosen: list[int] = []
    if len(order):
        _, near = tree.query(cxy[order])
        for i in np.atleast_1d(near):
            j = int(free[int(i)])
            if j not in chosen:
                chosen.append(j)
                if len(chosen) == k:
                    return chosen
    # not enough distinct cells: fill with the free candidates nearest the densest cells
    ref = cxy[order[0]] if len(order) else np.asarray(cand_xy)[free].mean(axis=0)
    _, near = tree.query(ref, k=len(free))
    for i in np.atleast_1d(near):
        j = int(free[int(i)])
        if j not in chosen:
            chosen.append(j)
            if len(chosen) == k:
                break
    return chosen


# =========================================================================== channel problems


@dataclass
class ChannelProblem:
    """One channel's candidate sites and reach, independent of the period.

    ``matrix`` holds every (in-study-area) alert x candidate pair within reach; a period is a
    row subset.
    """

    config: ChannelConfig
    cand_ids: np.ndarray
    cand_xy: np.ndarray
    cand_group: np.ndarray
    existing: list[int]
    distance: str  # "walk" | "straight" actually used
    matrix: sp.csr_matrix
    weights: np.ndarray  # per alert row: the channel's category x age weight
    network: Any = None
    notes: list[str] = field(default_factory=list)
    _reach: dict[int, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def m(self) -> int:
        return len(self.cand_ids)

    def reach(self, cols: Sequence[int]) -> list[Any]:
        """Reach geometry of each column (cached)."""
        todo = [int(j) for j in cols if int(j) not in self._reach]
        if todo:
            xy = self.cand_xy[todo]
            if self.distance == "walk" and self.network is not None:
                geoms = cov.service_areas(self.network, xy, self.config.radius_m)
            else:
                geoms = list(shapely.buffer(shapely.points(xy), self.config.radius_m, quad_segs=16))
            for j, g in zip(todo, geoms, strict=True):
                self._reach[j] = g
        return [self._reach[int(j)] for j in cols]


def _patrol_candidates_fn() -> Callable[..., Any]:
    from geo_outreach import channels

    fn = getattr(channels, "patrol_candidates", None) or getattr(channels, "_patrol_candidates", None)
    if fn is None:  # pragma: no cover - guards a rename in channels.py
        raise RuntimeError("geo_outreach.channels has no patrol_candidates(); update evaluate.py")
    return fn


def demand_weights(alerts: pd.DataFrame, ch: ChannelConfig) -> np.ndarray:
    """The channel's weight of each alert (:func:`geo_outreach.channels.channel_weights`)."""
    from geo_outreach.channels import channel_weights

    return np.asarray(channel_weights(alerts, ch), dtype=float)


def channel_candidates(data: Any, ch: ChannelConfig, *, hotspots: gpd.GeoDataFrame | None = None,
                       network: Any = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Candidate sites of a channel exactly as :mod:`geo_outreach.channels` builds them: venues
    of its kinds (junctions from the street graph), or for patrols the hot-spot cells of
    ``hotspots`` (snapped to the street network when there is one)."""
    from geo_outreach import channels

    notes: list[str] = []
    if ch.type == "patrol":
        cand, notes = _patrol_candidates_fn()(hotspots, ch.budget, network, data.crs)
        cand = cand.copy()
        cand["precinct_id"] = OUTSIDE
        if len(cand):
            from geo_outreach.join import assign_precincts

            cand["precinct_id"] = assign_precincts(cand, data.precincts).to_numpy()
    else:
        cand = channels.channel_candidates(data, ch)
    if len(cand) == 0:
        raise InputDataError(
            f"channels.{ch.name}: no venues of kinds {list(ch.venue_kinds)}; add such venues "
            "to the venues file or change venue_kinds"
        )
    return cand.reset_index(drop=True), list(notes)


def channel_problem(data: Any, ch: ChannelConfig, alerts: gpd.GeoDataFrame, *, network: Any = None,
                    hotspots: gpd.GeoDataFrame | None = None) -> ChannelProblem:
    """Candidates, coverage matrix (``alerts`` x candidates) and weights of one channel."""
    from geo_outreach import channels

    cand, notes = channel_candidates(data, ch, hotspots=hotspots, network=network)
    ids = cand["venue_id"].astype(str).to_numpy()
    xy = np.column_stack([cand.geometry.x.to_numpy(), cand.geometry.y.to_numpy()])
    group = cand["precinct_id"].astype(str).to_numpy()
    existing = channels.existing_positions(ch, ids)
    axy = np.column_stack([alerts.geometry.x.to_numpy(), alerts.geometry.y.to_numpy()])
    distance = ch.distance
    if distance == "walk" and network is None:
        notes.append("no street graph loaded: straight-line distance used instead of walking distance")
        distance = "straight"
    if distance == "walk":
        a = cov.coverage_matrix_network(network, axy, xy, ch.radius_m)
    else:
        a = cov.coverage_matrix_euclidean(axy, xy, ch.radius_m)
    w = demand_weights(alerts, ch)
    return ChannelProblem(config=ch, cand_ids=ids, cand_xy=xy, cand_group=group, existing=existing,
                          distance=distance, matrix=sp.csr_matrix(a), weights=w,
                          network=network if distance == "walk" else None, notes=notes)


def solve(problem: ChannelProblem, rows: np.ndarray, weights: np.ndarray, k: int, *,
          precinct_of_alert: np.ndarray, precinct_ids: Sequence[str], seed: int,
          constrained: bool = True) -> cov.CoverageSolution:
    """Maximal covering of ``weights`` on the alert ``rows`` with the channel's settings and
    constraints, as :mod:`geo_outreach.channels` solves it."""
    ch = problem.config
    kwargs: dict[str, Any] = {}
    if constrained and ch.min_per_precinct > 0:
        kwargs.update(min_per_group={p: ch.min_per_precinct for p in precinct_ids},
                      group_of_candidate=problem.cand_group)
    if constrained and ch.min_share_per_precinct > 0:
        present = set(precinct_of_alert[weights > 0])
        kwargs.update(min_share_per_group={p: ch.min_share_per_precinct for p in precinct_ids if p in present},
                      group_of_demand=precinct_of_alert)
    if constrained and ch.min_spacing_m > 0:
        kwargs.update(min_spacing_m=ch.min_spacing_m, cand_xy=problem.cand_xy)
    return cov.maximize_coverage(problem.matrix[rows], weights, k, method=ch.method,
                                 time_limit_s=ch.time_limit_s, existing=problem.existing, seed=seed, **kwargs)


# =========================================================================== periods


def _ts(d: date, tz: str) -> pd.Timestamp:
    return pd.Timestamp(d).tz_localize(tz)


def _add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months (day clipped to the month's length)."""
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass(frozen=True)
class Window:
    """One backtest split: train on ``[start, split)``, test on ``[split, test_end]`` (days)."""

    split: date
    test_end: date  # inclusive

    def label(self) -> str:
        return self.split.isoformat()


def split_windows(period: tuple[date, date], *, split: date, until: date | None = None,
                  rolling: int = 0) -> list[Window]:
    """The backtest windows; see :func:`evaluate`.

    Raises
    ------
    ScenarioError
        When a split leaves no training or no test alerts, naming the data period.
    """
    first, last = period
    end = last if until is None else min(until, last)
    span = f"the data period is {first.isoformat()}..{last.isoformat()}"
    if isinstance(rolling, bool) or rolling < 0:
        raise ScenarioError(f"--rolling must be a whole number >= 0, got {rolling!r}")
    if not first < split <= last:
        raise ScenarioError(
            f"split {split.isoformat()} is outside the data: {span}; choose a split after the first "
            "alert day and on or before the last, so there are alerts to plan from and to test on"
        )
    if until is not None and until < split:
        raise ScenarioError(f"--until {until.isoformat()} is before the split {split.isoformat()}; {span}")
    if rolling == 0:
        return [Window(split, end)]
    out = []
    for i in range(rolling):
        s = _add_months(split, i)
        if s > end:
            raise ScenarioError(
                f"rolling split {i + 1} of {rolling} ({s.isoformat()}) is past the end of the test data "
                f"({end.isoformat()}); {span}; use fewer --rolling months or an earlier --split"
            )
        out.append(Window(s, min(_add_months(split, i + 1) - timedelta(days=1), end)))
    return out


# =========================================================================== evaluation


@dataclass
class _Scored:
    """One method's sites for one channel and split, and their scores on the test rows."""

    method: str
    cols: list[list[int]]  # one set per draw (a single set except for random)
    covered: list[np.ndarray] = field(default_factory=list)
    area: list[float] = field(default_factory=list)
    sites: str = ""  # chosen venue ids in rank order, ";"-separated (not for random)


def _network(data: Any, channels: Sequence[ChannelConfig]) -> Any:
    if data.streets is None or not any(c.distance == "walk" or c.type == "patrol" for c in channels):
        return None
    return cov.prepare_network(data.streets)


def _seed_for(seed: int, *parts: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed) & 0xFFFFFFFF] + [zlib.crc32(p.encode()) for p in parts])


def _training_hotspots(data: Any, sc: Scenario, train_alerts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Hot-spot cells of the training alerts, by the analytics stage itself."""
    from geo_outreach import analytics

    train = dataclasses.replace(data, alerts=train_alerts.reset_index(drop=True))
    return analytics.run_analytics(train, sc.analysis).hotspots


def _density_cells(train: gpd.GeoDataFrame, data: Any, sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    from geo_outreach.density import density_grid

    if len(train) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    a = sc.analysis
    grid = density_grid(train, data.study_area, cell_m=a.cell_m, bandwidth_m=a.bandwidth_m,
                        half_life_days=a.half_life_days, category_weights=a.category_weights or None)
    xx, yy = grid.cell_centres()
    return np.column_stack([xx.ravel(), yy.ravel()]), grid.values.ravel()


def evaluate(
    sc: Scenario,
    *,
    split: date,
    until: date | None = None,
    rolling: int = 0,
    seed: int | None = None,
    n_boot: int = 500,
    n_random: int = 50,
    data: Any = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
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
        Already loaded :class:`~geo_outreach.io.StudyData` (default: loaded from ``sc``).

    Returns
    -------
    pandas.DataFrame
        One row per split x channel (+ ``"all"``) x method, columns :data:`CSV_COLUMNS`.
        ``df.attrs["summary"]`` holds the JSON summary (see :func:`summarize`).
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
    tz = sc.scenario.timezone
    alerts_all = data.alerts
    t = alerts_all["reported_at"]
    period = (t.min().date(), t.max().date())
    windows = split_windows(period, split=split, until=until, rolling=rolling)
    inside = (alerts_all["precinct_id"].astype(str) != OUTSIDE).to_numpy()
    alerts = alerts_all[inside].reset_index(drop=True)
    times = alerts["reported_at"]
    precinct_of_alert = alerts["precinct_id"].astype(str).to_numpy()
    notes: list[str] = []
    if (~inside).any():
        notes.append(f"{int((~inside).sum())} alerts outside every precinct are not scored")

    t1 = time.perf_counter()
    _say(progress, "coverage matrices ...")
    precinct_ids = [str(p) for p in data.precincts["precinct_id"]]
    network = _network(data, sc.channels)
    # venue channels: one matrix over every alert, a period is a row subset; patrol candidates
    # are the training period's hot-spot cells, so patrol problems are built per split
    fixed = {ch.name: channel_problem(data, ch, alerts, network=network)
             for ch in sc.channels if ch.type != "patrol"}
    timings["coverage"] = round(time.perf_counter() - t1, 3)
    all_problems: list[ChannelProblem] = list(fixed.values())

    rows: list[dict[str, Any]] = []
    solver: dict[str, Any] = {}
    t2 = time.perf_counter()
    for win in windows:
        s_ts = _ts(win.split, tz)
        e_ts = _ts(win.test_end, tz) + pd.Timedelta(days=1)
        train_rows = np.flatnonzero((times < s_ts).to_numpy())
        test_rows = np.flatnonzero(((times >= s_ts) & (times < e_ts)).to_numpy())
        if len(train_rows) == 0 or len(test_rows) == 0:
            raise ScenarioError(
                f"split {win.split.isoformat()}: {len(train_rows)} training and {len(test_rows)} test alerts "
                f"inside the study area (data period {period[0].isoformat()}..{period[1].isoformat()}); "
                "choose another split"
            )
        train = alerts.iloc[train_rows]
        train_start = times.iloc[train_rows].min().date()
        _say(progress, f"split {win.split.isoformat()}: {len(train_rows)} training, {len(test_rows)} test alerts")
        cell_xy, cell_val = _density_cells(train, data, sc)
        problems = []
        for ch in sc.channels:
            if ch.type == "patrol":
                hot = _training_hotspots(data, sc, alerts_all[(t < s_ts).to_numpy()])
                problems.append(channel_problem(data, ch, alerts, network=network, hotspots=hot))
                all_problems.append(problems[-1])
            else:
                problems.append(fixed[ch.name])
        boot = Resamples(len(test_rows), n_boot, _seed_for(seed, "boot", win.label()))
        per_channel: dict[str, dict[str, _Scored]] = {}
        meta = {"split": win.label(), "train_start": train_start.isoformat(),
                "train_end": (win.split - timedelta(days=1)).isoformat(),
                "test_start": win.split.isoformat(), "test_end": win.test_end.isoformat(),
                "train_alerts": len(train_rows), "test_alerts": len(test_rows)}
        for pr in problems:
            ch = pr.config
            free = pr.m - len(pr.existing)
            k = min(ch.budget, free)
            if k < ch.budget:
                pr.notes.append(f"budget {ch.budget} > {free} candidate sites; evaluated with k = {k}")
            a_test = pr.matrix[test_rows]
            w_train = pr.weights[train_rows]
            w_test = pr.weights[test_rows]
            sets: dict[str, list[list[int]]] = {}
            plan = solve(pr, train_rows, w_train, k, precinct_of_alert=precinct_of_alert[train_rows],
                         precinct_ids=precinct_ids, seed=seed)
            sets["plan"] = [list(plan.chosen)]
            rng = np.random.default_rng(_seed_for(seed, "random", win.label(), ch.name))
            sets["random"] = [random_sites(pr.m, k, rng=rng, existing=pr.existing) for _ in range(n_random)]
            sets["naive_hotspot"] = [naive_hotspot_sites(pr.cand_xy, k, cell_xy, cell_val, existing=pr.existing)]
            sets["topk_no_overlap"] = [topk_sites(pr.matrix[train_rows], w_train, k, existing=pr.existing)]
            try:
                orc = solve(pr, test_rows, w_test, k, precinct_of_alert=precinct_of_alert[test_rows],
                            precinct_ids=precinct_ids, seed=seed)
            except InfeasiblePlanError:
                orc = solve(pr, test_rows, w_test, k, precinct_of_alert=precinct_of_alert[test_rows],
                            precinct_ids=precinct_ids, seed=seed, constrained=False)
                pr.notes.append("oracle: the precinct minimums cannot be met on the test alerts; solved without them")
            best, best_w = list(orc.chosen), cov.covered_weight(a_test, w_test, list(orc.chosen) + pr.existing)
            for name in ("plan", "random", "naive_hotspot", "topk_no_overlap"):
                for cols in sets[name]:
                    cw = cov.covered_weight(a_test, w_test, list(cols) + pr.existing)
                    if cw > best_w + 1e-9:
                        best, best_w = list(cols), cw
            sets["oracle"] = [best]
            solver.setdefault(win.label(), {})[ch.name] = {
                "plan": {"status": plan.status, "gap": plan.gap, "method": plan.method,
                         "seconds": round(plan.seconds, 3)},
                "oracle": {"status": orc.status, "gap": orc.gap, "method": orc.method,
                           "seconds": round(orc.seconds, 3), "upper_bound_share":
                           orc.upper_bound / orc.total_weight if orc.total_weight > 0 else math.nan},
            }
            scored: dict[str, _Scored] = {}
            for name in METHODS:
                s = _Scored(name, sets[name])
                if name != "random":
                    s.sites = ";".join(str(pr.cand_ids[j]) for j in sets[name][0])
                for cols in sets[name]:
                    full = list(cols) + pr.existing
                    s.covered.append(covered_mask(a_test, full))
                    s.area.append(area_share(pr.reach(full), data.study_area))
                scored[name] = s
            per_channel[ch.name] = scored
            base = {**meta, "channel": ch.name, "k": k, "existing": len(pr.existing), "distance": pr.distance,
                    "radius_m": ch.radius_m}
            rows += _score_rows(scored, w_test, boot, base)
        rows += _all_rows(per_channel, problems, len(test_rows), boot, meta, data.study_area)
    timings["backtest"] = round(time.perf_counter() - t2, 3)

    df = pd.DataFrame(rows, columns=CSV_COLUMNS)
    if rolling:
        df = pd.concat([df, _mean_rows(df)], ignore_index=True)
    num = df.select_dtypes("number").columns
    df[num] = df[num].astype(float).round(_ROUND)
    for c in ("k", "existing", "train_alerts", "test_alerts"):
        df[c] = df[c].astype(int)
    notes += list(dict.fromkeys(f"{pr.name}: {n}" for pr in all_problems for n in pr.notes))
    timings["total"] = round(time.perf_counter() - t0, 3)
    df.attrs["summary"] = summarize(df, sc, data=data, windows=windows, rolling=rolling, seed=seed,
                                    n_boot=n_boot, n_random=n_random, notes=notes, solver=solver,
                                    timings=timings, period=period)
    return df


def _say(progress: Callable[[str], None] | None, msg: str) -> None:
    log.info(msg)
    if progress:
        progress(msg)


def _score_rows(scored: dict[str, _Scored], w: np.ndarray, boot: Resamples, base: dict[str, Any]) -> list[dict]:
    """Rows of one channel (or "all") and split; PEI against the oracle."""
    n = len(w)
    total = float(w.sum())
    orc = scored["oracle"]
    o_cov, o_area = orc.covered[0], orc.area[0]
    o_w = float(w[o_cov].sum())
    o_pai = pai(hit_rate(o_cov, w), o_area)
    o_boot = bootstrap_hit_rates(o_cov, w, boot)
    o_pai_boot = o_boot / o_area if o_area > 0 else np.full(len(o_boot), np.nan)
    out = []
    for name in METHODS:
        s = scored[name]
        hr = np.array([hit_rate(c, w) for c in s.covered])
        hru = np.array([float(c.sum()) / n if n else math.nan for c in s.covered])
        cw = np.array([float(w[c].sum()) for c in s.covered])
        area = np.array(s.area)
        p = np.array([pai(h, a) for h, a in zip(hr, area, strict=True)])
        with np.errstate(invalid="ignore", divide="ignore"):
            pe = p / o_pai if o_pai and np.isfinite(o_pai) else np.full(len(p), np.nan)
            so = cw / o_w if o_w > 0 else np.full(len(cw), np.nan)
        row = {**base, "method": name, "test_weight": total, "hits": float(np.mean([c.sum() for c in s.covered])),
               "hit_rate_unweighted": float(np.mean(hru)), "covered_weight": float(cw.mean()),
               "hit_rate": float(hr.mean()), "area_share": float(area.mean()), "pai": _nanmean(p),
               "pei": _nanmean(pe), "share_of_oracle": _nanmean(so), "random_sd": math.nan, "sites": s.sites}
        if name == "random":
            row["hit_rate_lo"], row["hit_rate_hi"] = _ci(hr)
            row["pai_lo"], row["pai_hi"] = _ci(p)
            row["pei_lo"], row["pei_hi"] = _ci(pe)
            row["random_sd"] = float(np.std(hr, ddof=1)) if len(hr) > 1 else 0.0
        else:
            b = bootstrap_hit_rates(s.covered[0], w, boot)
            row["hit_rate_lo"], row["hit_rate_hi"] = _ci(b)
            pb = b / area[0] if area[0] > 0 else np.full(len(b), np.nan)
            row["pai_lo"], row["pai_hi"] = _ci(pb)
            with np.errstate(invalid="ignore", divide="ignore"):
                row["pei_lo"], row["pei_hi"] = _ci(pb / o_pai_boot)
        out.append(row)
    return out


def _nanmean(v: np.ndarray) -> float:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else math.nan


def _all_rows(per_channel: dict[str, dict[str, _Scored]], problems: list[ChannelProblem], n_test: int,
              boot: Resamples, meta: dict[str, Any], study_area: Any) -> list[dict]:
    """Union of every channel's sites per method (random: draw i of every channel together)."""
    if len(problems) < 2:
        return []
    scored: dict[str, _Scored] = {}
    for name in METHODS:
        draws = max(len(per_channel[p.name][name].cols) for p in problems)
        s = _Scored(name, [])
        for d in range(draws):
            mask = np.zeros(n_test, dtype=bool)
            reach: list[Any] = []
            for p in problems:
                ps = per_channel[p.name][name]
                i = min(d, len(ps.cols) - 1)
                mask |= ps.covered[i]
                reach += p.reach(list(ps.cols[i]) + p.existing)
            s.cols.append([])
            s.covered.append(mask)
            s.area.append(area_share(reach, study_area))
        scored[name] = s
    base = {**meta, "channel": ALL, "k": sum(min(p.config.budget, p.m - len(p.existing)) for p in problems),
            "existing": sum(len(p.existing) for p in problems), "distance": "mixed"
            if len({p.distance for p in problems}) > 1 else problems[0].distance, "radius_m": math.nan}
    return _score_rows(scored, np.ones(n_test), boot, base)


def _mean_rows(df: pd.DataFrame) -> pd.DataFrame:
    """``split = "mean"``: averages over the rolling splits (counts summed; no intervals)."""
    out = []
    for (channel, method), g in df.groupby(["channel", "method"], sort=False):
        row = {c: math.nan for c in CSV_COLUMNS}
        row.update(split=MEAN, train_start=g["train_start"].min(), train_end=g["train_end"].max(),
                   test_start=g["test_start"].min(), test_end=g["test_end"].max(), channel=channel,
                   method=method, k=int(g["k"].iloc[0]), existing=int(g["existing"].iloc[0]),
                   distance=g["distance"].iloc[0], radius_m=g["radius_m"].iloc[0],
                   train_alerts=int(g["train_alerts"].mean()), test_alerts=int(g["test_alerts"].sum()))
        for c in ("test_weight", "hits", "covered_weight"):
            row[c] = float(g[c].sum())
        for c in ("hit_rate_unweighted", "hit_rate", "area_share", "pai", "pei", "share_of_oracle", "random_sd"):
            row[c] = float(g[c].mean())
        row["sites"] = ""
        out.append(row)
    return pd.DataFrame(out, columns=CSV_COLUMNS)


# =========================================================================== summary and files


def _r(v: Any, digits: int = 6) -> Any:
    """JSON-friendly value: floats to ``digits`` significant digits, NaN -> None."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(f"{float(v):.{digits}g}")
    if isinstance(v, np.integer):
        return int(v)
    return v


def summarize(df: pd.DataFrame, sc: Scenario, *, data: Any, windows: Sequence[Window], rolling: int, seed: int,
              n_boot: int, n_random: int, notes: Sequence[str] = (), solver: dict | None = None,
              timings: dict | None = None, period: tuple[date, date] | None = None) -> dict[str, Any]:
    """The JSON summary for maps/briefing (schema :data:`SCHEMA`).

    ``channels[name][method]`` holds the headline figures of the single split (or the mean
    over the rolling splits); ``headline`` has one ready sentence per language.
    """
    from geo_outreach.plan import package_versions

    key = MEAN if rolling else windows[0].label()
    sub = df[df["split"] == key]
    metrics = ("k", "existing", "test_alerts", "hits", "hit_rate_unweighted", "hit_rate", "hit_rate_lo",
               "hit_rate_hi", "area_share", "pai", "pai_lo", "pai_hi", "pei", "pei_lo", "pei_hi",
               "share_of_oracle", "random_sd")
    labels = {c.name: (c.label or c.name) for c in sc.channels}
    labels[ALL] = "全部渠道"
    channels: dict[str, Any] = {}
    for name in [c.name for c in sc.channels] + [ALL]:
        g = sub[sub["channel"] == name]
        if g.empty:
            continue
        entry: dict[str, Any] = {"label": labels[name], "distance": g["distance"].iloc[0],
                                 "radius_m": _r(g["radius_m"].iloc[0])}
        for _, r in g.iterrows():
            entry[r["method"]] = {m: _r(r[m]) for m in metrics}
        plan_hr = entry["plan"]["hit_rate"] or 0.0
        base = {m: entry[m]["hit_rate"] or 0.0 for m in ("random", "naive_hotspot", "topk_no_overlap")}
        best = max(base, key=lambda m: (base[m], m))
        entry["best_baseline"] = best
        entry["plan_beats_baselines"] = bool(plan_hr >= base[best] - 1e-12)
        so = entry["plan"]["share_of_oracle"]
        entry["headline"] = {
            "en": (f"{labels[name] if name != ALL else 'All channels'}: the plan reaches "
                   f"{_pct(so)} of what perfect hindsight would (hit rate {_pct(plan_hr)} vs oracle "
                   f"{_pct(entry['oracle']['hit_rate'])}, best baseline {METHOD_LABELS['en'][best]} "
                   f"{_pct(base[best])}; PAI {_num(entry['plan']['pai'])})"),
            "zh": (f"{labels[name]}：方案达到事后最优的 {_pct(so)}（命中率 {_pct(plan_hr)}，事后最优 "
                   f"{_pct(entry['oracle']['hit_rate'])}，最佳基线“{METHOD_LABELS['zh'][best]}” {_pct(base[best])}；"
                   f"PAI {_num(entry['plan']['pai'])}）"),
        }
        channels[name] = entry
    per_split: dict[str, list[dict[str, Any]]] = {}
    if rolling:
        for name in channels:
            per_split[name] = [_split_entry(g) for _, g in
                               df[(df["channel"] == name) & (df["split"] != MEAN)].groupby("split", sort=True)]
    first, last = period if period else (None, None)
    return {
        "schema": SCHEMA,
        "title": sc.scenario.title or sc.scenario.name,
        "scenario_name": sc.scenario.name,
        "synthetic": bool(sc.synthetic or getattr(data, "notes", ())),
        "period": {"start": first.isoformat() if first else None, "end": last.isoformat() if last else None},
        "summary_split": key,
        "rolling": int(rolling),
        "splits": [{"split": w.label(), "test_start": w.split.isoformat(), "test_end": w.test_end.isoformat()}
                   for w in windows],
        "seed": int(seed),
        "n_boot": int(n_boot),
        "n_random": int(n_random),
        "ci_level": 0.95,
        "methods": list(METHODS),
        "method_labels": METHOD_LABELS,
        "channels": channels,
        "per_split": per_split,
        "solver": solver or {},
        "inputs": [{k: v for k, v in rec.items() if k in ("layer", "path", "sha256", "rows_loaded", "rows_rejected")}
                   for rec in getattr(data, "inputs", ())],
        "versions": package_versions(),
        "timings_s": dict(timings or {}),
        "notes": list(notes),
        "files": {"csv": "evaluation.csv", "chart": "evaluation.png"},
        "definitions": {
            "hit_rate": "share of test-period alert weight (channel category x age weights) within reach of the sites",
            "area_share": "union of the sites' reach inside the study area / study area",
            "pai": "hit_rate / area_share",
            "pei": "pai / pai of the oracle (best placement of the same number of sites, fitted on the test alerts)",
            "share_of_oracle": "covered test weight / oracle covered test weight",
        },
    }


def _split_entry(g: pd.DataFrame) -> dict[str, Any]:
    """One rolling split of one channel: hit rate and PAI of every method, plan vs oracle."""
    by = g.set_index("method")
    out: dict[str, Any] = {"split": str(g["split"].iloc[0]), "test_alerts": int(g["test_alerts"].iloc[0])}
    for m in METHODS:
        if m in by.index:
            out[f"{m}_hit_rate"] = _r(by.at[m, "hit_rate"])
            out[f"{m}_pai"] = _r(by.at[m, "pai"])
    out["plan_share_of_oracle"] = _r(by.at["plan", "share_of_oracle"]) if "plan" in by.index else None
    return out


def _pct(v: Any) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{100 * v:.0f}%"


def _num(v: Any) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.1f}"


def _cjk_font() -> str | None:
    """The CJK font family the briefing uses (registers Debian's Noto CJK files if needed)."""
    from geo_outreach.report import cjk_font

    return cjk_font()


def write_chart(df: pd.DataFrame, path: str | Path, *, summary_split: str, labels: dict[str, str] | None = None,
                lang: str = "zh") -> Path:
    """Bar chart of hit rate (with 95% intervals) and PAI per channel and method."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    font = _cjk_font()
    zh = lang == "zh" and font is not None
    ml = METHOD_LABELS["zh" if zh else "en"]
    sub = df[df["split"] == summary_split]
    chans = list(dict.fromkeys(sub["channel"]))
    names = [(labels or {}).get(c, c) if zh else ("all channels" if c == ALL else c) for c in chans]
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    colors = {"plan": "#d62728", "random": "#7f7f7f", "naive_hotspot": "#ff7f0e",
              "topk_no_overlap": "#1f77b4", "oracle": "#2ca02c"}
    with plt.rc_context({**rc, "svg.hashsalt": "geo_outreach", "axes.spines.top": False, "axes.spines.right": False}):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
        x = np.arange(len(chans))
        width = 0.8 / len(METHODS)
        for i, m in enumerate(METHODS):
            g = sub[sub["method"] == m].set_index("channel").reindex(chans)
            hr = g["hit_rate"].to_numpy(dtype=float)
            lo = np.clip(hr - g["hit_rate_lo"].to_numpy(dtype=float), 0, None)
            hi = np.clip(g["hit_rate_hi"].to_numpy(dtype=float) - hr, 0, None)
            err = None if np.isnan(lo).all() else np.nan_to_num(np.vstack([lo, hi]))
            axes[0].bar(x + (i - 2) * width, 100 * hr, width, yerr=None if err is None else 100 * err,
                        label=ml[m], color=colors[m], capsize=2, error_kw={"lw": 0.8})
            axes[1].bar(x + (i - 2) * width, g["pai"].to_numpy(dtype=float), width, color=colors[m])
        for ax in axes:
            ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
        axes[0].set_ylabel("命中率（加权，%）" if zh else "hit rate (% of weighted test alerts)")
        axes[1].set_ylabel("PAI" + ("（命中率/面积占比）" if zh else " (hit rate / area share)"))
        axes[0].set_title(("回测命中率" if zh else "Backtest hit rate") + f" ({summary_split})", fontsize=10)
        axes[1].set_title("预测精度指数 PAI" if zh else "Predictive accuracy index", fontsize=10)
        handles, names_ = axes[0].get_legend_handles_labels()
        fig.legend(handles, names_, loc="lower center", ncol=len(METHODS), fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        atomic_write(path, lambda p: fig.savefig(p, format="png", metadata={"Software": None}))
        plt.close(fig)
    return Path(path)


def write_evaluation(df: pd.DataFrame, out_dir: str | Path, *, lang: str = "zh",
                     labels: dict[str, str] | None = None) -> list[Path]:
    """Write ``evaluation.csv``, ``evaluation.png`` and ``evaluation.json`` into ``out_dir``."""
    out = Path(out_dir)
    summary = df.attrs.get("summary", {})
    split = summary.get("summary_split") or (MEAN if (df["split"] == MEAN).any() else str(df["split"].iloc[0]))
    frame = df.copy()
    frame.attrs = {}
    paths = [write_csv(out / "evaluation.csv", frame)]
    if labels is None:
        labels = {k: v.get("label", k) for k, v in summary.get("channels", {}).items()}
    paths.append(write_chart(frame, out / "evaluation.png", summary_split=split, labels=labels, lang=lang))
    paths.append(write_json(out / "evaluation.json", summary))
    return paths


# =========================================================================== CLI


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-05-01") from None


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``geo-outreach evaluate`` to the CLI."""
    sp = subparsers.add_parser(
        "evaluate", help="backtest: plan on alerts before a split date, score on the alerts after it",
        description="Plan each channel from alerts before --split and score hit rate, PAI and PEI* on the "
                    "alerts after it, against random, naive hot-spot, top-k and oracle placements.",
    )
    sp.add_argument("scenario", help="scenario TOML file")
    sp.add_argument("--split", required=True, type=_date, help="first test day, YYYY-MM-DD")
    sp.add_argument("--until", type=_date, help="last test day, YYYY-MM-DD (default: last alert)")
    sp.add_argument("--rolling", type=int, default=0, metavar="N",
                    help="N monthly splits from --split, each tested on the following month")
    sp.add_argument("--out", help="output folder (overrides [output] dir)")
    sp.add_argument("--seed", type=int, help="seed of the bootstrap and random baseline (default: scenario seed)")
    sp.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples (default 500)")
    sp.add_argument("--n-random", type=int, default=50, help="random placements (default 50)")
    sp.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
    sp.add_argument("--verbose", "-v", action="store_true", help="log details")
    sp.set_defaults(func=run)
    return sp


def format_table(df: pd.DataFrame, split: str) -> str:
    """Plain-text table of one split (or the mean) for the terminal and reports."""
    sub = df[df["split"] == split]
    head = f"{'channel':<16} {'method':<16} {'k':>3} {'hit rate':>8} {'95% CI':>13} {'area':>6} {'PAI':>6} " \
           f"{'PEI*':>5} {'of oracle':>9}"
    lines = [head, "-" * len(head)]

    def f(v: float, pct: bool = False) -> str:
        if not np.isfinite(v):
            return "-"
        return f"{100 * v:.1f}%" if pct else f"{v:.2f}"

    for _, r in sub.iterrows():
        ci = "-" if not np.isfinite(r["hit_rate_lo"]) else f"{100 * r['hit_rate_lo']:.0f}-{100 * r['hit_rate_hi']:.0f}%"
        lines.append(f"{r['channel']:<16} {r['method']:<16} {int(r['k']):>3} {f(r['hit_rate'], True):>8} {ci:>13} "
                     f"{f(r['area_share'], True):>6} {f(r['pai']):>6} {f(r['pei']):>5} "
                     f"{f(r['share_of_oracle'], True):>9}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """``geo-outreach evaluate``: exit 0 when written, 2 on bad input (raised as GeoOutreachError)."""
    from geo_outreach.scenario import load_scenario, with_overrides

    sc = load_scenario(args.scenario)
    sc = with_overrides(sc, dir=Path(args.out) if args.out else None)
    quiet = getattr(args, "quiet", False)
    progress = None if quiet else (lambda msg: print(f"[geo-outreach] {msg}", file=sys.stderr, flush=True))
    df = evaluate(sc, split=args.split, until=args.until, rolling=args.rolling, seed=args.seed,
                  n_boot=args.n_boot, n_random=args.n_random, progress=progress)
    paths = write_evaluation(df, sc.output.dir, lang=sc.output.lang)
    summary = df.attrs["summary"]
    print(format_table(df, summary["summary_split"]))
    for entry in summary["channels"].values():
        print(entry["headline"]["en"])
    if summary["synthetic"]:
        print("NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data.")
    for p in paths:
        print(f"{p.name}: {p.resolve()}")
    out = Path(sc.output.dir)
    if (out / "manifest.json").is_file() and (out / "precincts.geojson").is_file():
        from geo_outreach import report

        written = report.render_briefing(out, lang=sc.output.lang)  # now with the backtest section
        print(f"briefing.html: {written['briefing_html'].resolve()}")
    else:
        print(f"briefing: no plan in {out}; run `geo-outreach plan {args.scenario}` there first "
              f"to get the backtest section in briefing.html")
    return 0


__all__ = [
    "CSV_COLUMNS",
    "METHODS",
    "ChannelProblem",
    "Resamples",
    "Window",
    "add_parser",
    "area_share",
    "bootstrap_hit_rates",
    "bootstrap_index",
    "channel_candidates",
    "channel_problem",
    "covered_mask",
    "demand_weights",
    "evaluate",
    "format_table",
    "hit_rate",
    "naive_hotspot_sites",
    "pai",
    "random_sites",
    "run",
    "split_windows",
    "summarize",
    "topk_sites",
    "write_chart",
    "write_evaluation",
]
