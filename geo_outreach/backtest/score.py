"""Score each method's sites on the test alerts: the rows of ``evaluation.csv``.

Per channel and split every method (:data:`~.baselines.METHODS`) gets hit rate, PAI, PEI*
(PAI over the oracle's), share of the oracle, and bootstrap intervals (paired: the same
resamples for every method of a split; for ``random`` the spread over the draws). The
``"all"`` rows score the union of every channel's sites; rolling splits add ``"mean"`` rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo_outreach.backtest.baselines import METHODS
from geo_outreach.backtest.metrics import (
    Resamples,
    area_share,
    bootstrap_hit_rates,
    hit_rate,
    nanmean,
    pai,
    percentile_ci,
)
from geo_outreach.backtest.summary import ALL, CSV_COLUMNS, MEAN
from geo_outreach.channels.problem import ChannelProblem, reach_geometries

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_ROUND = 8


@dataclass
class Scored:
    """One method's sites for one channel and split, and their scores on the test rows."""

    method: str
    cols: list[list[int]]  # one set per draw (a single set except for random)
    covered: list[BoolArray] = field(default_factory=list)
    area: list[float] = field(default_factory=list)
    sites: str = ""  # chosen venue ids in rank order, ";"-separated (not for random)


def score_rows(
    scored: dict[str, Scored], w: FloatArray, boot: Resamples, base: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows of one channel (or "all") and split; PEI against the oracle."""
    orc = scored["oracle"]
    o_cov, o_area = orc.covered[0], orc.area[0]
    o_pai = pai(hit_rate(o_cov, w), o_area)
    o_boot = bootstrap_hit_rates(o_cov, w, boot)
    o_pai_boot = o_boot / o_area if o_area > 0 else np.full(len(o_boot), np.nan)
    oracle = _Oracle(float(w[o_cov].sum()), o_pai, o_pai_boot)
    return [_method_row(scored[name], w, boot, base, oracle) for name in METHODS]


@dataclass(frozen=True)
class _Oracle:
    """The oracle's covered weight and PAI (point and bootstrap), the reference of PEI*."""

    covered_weight: float
    pai: float
    pai_boot: FloatArray


def _method_row(
    s: Scored, w: FloatArray, boot: Resamples, base: dict[str, Any], oracle: _Oracle
) -> dict[str, Any]:
    n = len(w)
    hr = np.array([hit_rate(c, w) for c in s.covered])
    hru = np.array([float(c.sum()) / n if n else math.nan for c in s.covered])
    cw = np.array([float(w[c].sum()) for c in s.covered])
    area = np.array(s.area)
    p = np.array([pai(h, a) for h, a in zip(hr, area, strict=True)])
    o_pai, o_w = oracle.pai, oracle.covered_weight
    with np.errstate(invalid="ignore", divide="ignore"):
        pe = p / o_pai if o_pai and np.isfinite(o_pai) else np.full(len(p), np.nan)
        so = cw / o_w if o_w > 0 else np.full(len(cw), np.nan)
    row = {
        **base,
        "method": s.method,
        "test_weight": float(w.sum()),
        "hits": float(np.mean([c.sum() for c in s.covered])),
        "hit_rate_unweighted": float(np.mean(hru)),
        "covered_weight": float(cw.mean()),
        "hit_rate": float(hr.mean()),
        "area_share": float(area.mean()),
        "pai": nanmean(p),
        "pei": nanmean(pe),
        "share_of_oracle": nanmean(so),
        "random_sd": math.nan,
        "sites": s.sites,
    }
    if s.method == "random":
        row["hit_rate_lo"], row["hit_rate_hi"] = percentile_ci(hr)
        row["pai_lo"], row["pai_hi"] = percentile_ci(p)
        row["pei_lo"], row["pei_hi"] = percentile_ci(pe)
        row["random_sd"] = float(np.std(hr, ddof=1)) if len(hr) > 1 else 0.0
    else:
        b = bootstrap_hit_rates(s.covered[0], w, boot)
        row["hit_rate_lo"], row["hit_rate_hi"] = percentile_ci(b)
        pb = b / area[0] if area[0] > 0 else np.full(len(b), np.nan)
        row["pai_lo"], row["pai_hi"] = percentile_ci(pb)
        with np.errstate(invalid="ignore", divide="ignore"):
            row["pei_lo"], row["pei_hi"] = percentile_ci(pb / oracle.pai_boot)
    return row


def all_rows(
    per_channel: dict[str, dict[str, Scored]],
    problems: list[ChannelProblem],
    n_test: int,
    boot: Resamples,
    meta: dict[str, Any],
    study_area: shapely.Geometry,
) -> list[dict[str, Any]]:
    """Union of every channel's sites per method (random: draw i of every channel together)."""
    if len(problems) < 2:
        return []
    scored: dict[str, Scored] = {}
    for name in METHODS:
        draws = max(len(per_channel[p.name][name].cols) for p in problems)
        s = Scored(name, [])
        for d in range(draws):
            mask = np.zeros(n_test, dtype=bool)
            reach: list[Any] = []
            for p in problems:
                ps = per_channel[p.name][name]
                i = min(d, len(ps.cols) - 1)
                mask |= ps.covered[i]
                reach += reach_geometries(p, list(ps.cols[i]) + list(p.existing))
            s.cols.append([])
            s.covered.append(mask)
            s.area.append(area_share(reach, study_area))
        scored[name] = s
    distances = {p.distance for p in problems}
    base = {
        **meta,
        "channel": ALL,
        "k": sum(min(p.config.budget, p.m - len(p.existing)) for p in problems),
        "existing": sum(len(p.existing) for p in problems),
        "distance": "mixed" if len(distances) > 1 else problems[0].distance,
        "radius_m": math.nan,
    }
    return score_rows(scored, np.ones(n_test), boot, base)


def mean_rows(df: pd.DataFrame) -> pd.DataFrame:
    """``split = "mean"``: averages over the rolling splits (counts summed; no intervals)."""
    out = []
    for (channel, method), g in df.groupby(["channel", "method"], sort=False):
        row: dict[str, Any] = {c: math.nan for c in CSV_COLUMNS}
        row.update(
            split=MEAN,
            train_start=g["train_start"].min(),
            train_end=g["train_end"].max(),
            test_start=g["test_start"].min(),
            test_end=g["test_end"].max(),
            channel=channel,
            method=method,
            k=int(g["k"].iloc[0]),
            existing=int(g["existing"].iloc[0]),
            distance=g["distance"].iloc[0],
            radius_m=g["radius_m"].iloc[0],
            train_alerts=int(g["train_alerts"].mean()),
            test_alerts=int(g["test_alerts"].sum()),
        )
        for c in ("test_weight", "hits", "covered_weight"):
            row[c] = float(g[c].sum())
        for c in (
            "hit_rate_unweighted",
            "hit_rate",
            "area_share",
            "pai",
            "pei",
            "share_of_oracle",
            "random_sd",
            "raw_hit_rate",  # issue 13
            "forecast_hit_rate",
        ):
            row[c] = float(g[c].mean())
        row["sites"] = ""
        row["demand"] = g["demand"].iloc[0]  # issue 13 (bandwidth/half-life vary: NaN)
        out.append(row)
    return pd.DataFrame(out, columns=CSV_COLUMNS)


def build_table(rows: list[dict[str, Any]], rolling: int) -> pd.DataFrame:
    """Assemble the table of scored rows (+ ``"mean"`` rows when rolling), numbers rounded."""
    df = pd.DataFrame(rows, columns=CSV_COLUMNS)
    df["demand"] = df["demand"].fillna("")  # issue 13: "" on the "all" rows
    if rolling:
        df = pd.concat([df, mean_rows(df)], ignore_index=True)
    num = df.select_dtypes("number").columns
    df[num] = df[num].astype(float).round(_ROUND)
    for c in ("k", "existing", "train_alerts", "test_alerts"):
        df[c] = df[c].astype(int)
    return df
