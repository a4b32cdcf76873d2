"""The backtest's table and summary: :class:`BacktestResult`, ``evaluation.json``, text table.

Files (written atomically into the output folder by :func:`write_evaluation`):
``evaluation.csv`` (:data:`CSV_COLUMNS`) and ``evaluation.json`` (see :func:`summarize`,
schema ``geo_outreach.evaluation/1``). The chart ``evaluation.png`` is drawn by
:func:`geo_outreach.render.chart.write_evaluation_chart`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo_outreach.backtest.baselines import METHODS
from geo_outreach._validate import EVALUATION_OUTPUT_FILES, columns_of
from geo_outreach.i18n import METHOD_LABELS
from geo_outreach.outputs import package_versions, read_plan_hash, write_json, write_output

if TYPE_CHECKING:
    from geo_outreach.backtest.windows import Window
    from geo_outreach.io import StudyData
    from geo_outreach.scenario import Scenario

ALL = "all"
MEAN = "mean"
SCHEMA = "geo_outreach.evaluation/1"
CSV_NAME = "evaluation.csv"
JSON_NAME = "evaluation.json"
CHART_NAME = "evaluation.png"
#: Every file of ``geo-outreach evaluate``, in the order it lists them.
OUTPUT_FILES = EVALUATION_OUTPUT_FILES
CSV_COLUMNS = columns_of(CSV_NAME)
DEFINITIONS = {
    "hit_rate": "share of test-period alert weight (channel category x age weights) within reach "
    "of the sites",
    "area_share": "union of the sites' reach inside the study area / study area",
    "pai": "hit_rate / area_share",
    "pei": "pai / pai of the oracle (best placement of the same number of sites, fitted on the "
    "test alerts)",
    "share_of_oracle": "covered test weight / oracle covered test weight",
    # issue 13
    "raw_hit_rate": "hit rate of the channel planned on the training alerts as they are",
    "forecast_hit_rate": "hit rate of the channel planned on forecast demand (bandwidth and "
    "half-life chosen by month-ahead cross-validation before the split only)",
}
_METRICS = (
    "k", "existing", "test_alerts", "hits", "hit_rate_unweighted", "hit_rate", "hit_rate_lo",
    "hit_rate_hi", "area_share", "pai", "pai_lo", "pai_hi", "pei", "pei_lo", "pei_hi",
    "share_of_oracle", "random_sd",
)  # fmt: skip


@dataclass(frozen=True)
class BacktestResult:
    """What :func:`geo_outreach.backtest.evaluate` computed.

    Attributes
    ----------
    table
        The ``evaluation.csv`` rows: one per split x channel (+ ``"all"``) x method, columns
        :data:`CSV_COLUMNS` (+ ``split = "mean"`` rows for rolling splits).
    summary
        The ``evaluation.json`` content (see :func:`summarize`).
    """

    table: pd.DataFrame
    summary: dict[str, Any]


def _r(v: Any, digits: int = 6) -> Any:
    """JSON-friendly value: floats to ``digits`` significant digits, NaN -> None."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(f"{float(v):.{digits}g}")
    if isinstance(v, np.integer):
        return int(v)
    return v


def _pct(v: Any) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{100 * v:.0f}%"


def _num(v: Any) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.1f}"


def _channel_entry(g: pd.DataFrame, name: str, label: str) -> dict[str, Any]:
    """Headline figures of one channel (or ``"all"``) in the summary split."""
    entry: dict[str, Any] = {
        "label": label,
        "distance": g["distance"].iloc[0],
        "radius_m": _r(g["radius_m"].iloc[0]),
    }
    for _, r in g.iterrows():
        entry[r["method"]] = {m: _r(r[m]) for m in _METRICS}
    if name != ALL and "plan" in set(g["method"]):  # issue 13: raw vs forecast demand
        p = g[g["method"] == "plan"].iloc[0]
        entry["demand"] = {
            "used": str(p["demand"]),
            "raw_hit_rate": _r(p["raw_hit_rate"]),
            "forecast_hit_rate": _r(p["forecast_hit_rate"]),
            "forecast_bandwidth_m": _r(p["forecast_bandwidth_m"]),
            "forecast_half_life_days": _r(p["forecast_half_life_days"]),
        }
    plan_hr = entry["plan"]["hit_rate"] or 0.0
    base = {m: entry[m]["hit_rate"] or 0.0 for m in ("random", "naive_hotspot", "topk_no_overlap")}
    best = max(base, key=lambda m: (base[m], m))
    entry["best_baseline"] = best
    entry["plan_beats_baselines"] = bool(plan_hr >= base[best] - 1e-12)
    so = entry["plan"]["share_of_oracle"]
    oracle_hr = _pct(entry["oracle"]["hit_rate"])
    plan_pai = _num(entry["plan"]["pai"])
    entry["headline"] = {
        "en": (
            f"{label if name != ALL else 'All channels'}: the plan reaches "
            f"{_pct(so)} of what perfect hindsight would (hit rate {_pct(plan_hr)} vs oracle "
            f"{oracle_hr}, best baseline {METHOD_LABELS['en'][best]} "
            f"{_pct(base[best])}; PAI {plan_pai})"
        ),
        "zh": (
            f"{label}：方案达到事后最优的 {_pct(so)}（命中率 {_pct(plan_hr)}，事后最优 "
            f"{oracle_hr}，最佳基线“{METHOD_LABELS['zh'][best]}” {_pct(base[best])}；"
            f"PAI {plan_pai}）"
        ),
    }
    return entry


def _split_entry(g: pd.DataFrame) -> dict[str, Any]:
    """One rolling split of one channel: hit rate and PAI of every method, plan vs oracle."""
    by = g.set_index("method")
    out: dict[str, Any] = {
        "split": str(g["split"].iloc[0]),
        "test_alerts": int(g["test_alerts"].iloc[0]),
    }
    for m in METHODS:
        if m in by.index:
            out[f"{m}_hit_rate"] = _r(by.at[m, "hit_rate"])
            out[f"{m}_pai"] = _r(by.at[m, "pai"])
    out["plan_share_of_oracle"] = (
        _r(by.at["plan", "share_of_oracle"]) if "plan" in by.index else None
    )
    return out


def summarize(
    df: pd.DataFrame,
    sc: Scenario,
    *,
    data: StudyData,
    windows: Sequence[Window],
    rolling: int,
    seed: int,
    n_boot: int,
    n_random: int,
    notes: Sequence[str] = (),
    solver: dict[str, Any] | None = None,
    timings: dict[str, float] | None = None,
    period: tuple[date, date] | None = None,
) -> dict[str, Any]:
    """Build the JSON summary for maps/briefing (schema :data:`SCHEMA`).

    ``channels[name][method]`` holds the headline figures of the single split (or the mean
    over the rolling splits); ``headline`` has one ready sentence per language.

    Returns
    -------
    dict
        JSON-able summary.
    """
    key = MEAN if rolling else windows[0].label()
    sub = df[df["split"] == key]
    labels = {c.name: (c.label or c.name) for c in sc.channels}
    labels[ALL] = "全部渠道"
    channels: dict[str, Any] = {}
    for name in [c.name for c in sc.channels] + [ALL]:
        g = sub[sub["channel"] == name]
        if not g.empty:
            channels[name] = _channel_entry(g, name, labels[name])
    per_split: dict[str, list[dict[str, Any]]] = {}
    if rolling:
        for name in channels:
            rows = df[(df["channel"] == name) & (df["split"] != MEAN)]
            per_split[name] = [_split_entry(g) for _, g in rows.groupby("split", sort=True)]
    first, last = period if period else (None, None)
    keep = ("layer", "path", "sha256", "rows_loaded", "rows_rejected")
    return {
        "schema": SCHEMA,
        "title": sc.scenario.title or sc.scenario.name,
        "scenario_name": sc.scenario.name,
        "synthetic": bool(sc.synthetic or data.notes),
        "period": {
            "start": first.isoformat() if first else None,
            "end": last.isoformat() if last else None,
        },
        "summary_split": key,
        "rolling": int(rolling),
        "splits": [
            {
                "split": w.label(),
                "test_start": w.split.isoformat(),
                "test_end": w.test_end.isoformat(),
            }
            for w in windows
        ],
        "seed": int(seed),
        "n_boot": int(n_boot),
        "n_random": int(n_random),
        "ci_level": 0.95,
        "methods": list(METHODS),
        "method_labels": METHOD_LABELS,
        "channels": channels,
        "per_split": per_split,
        "solver": solver or {},
        "inputs": [{k: v for k, v in rec.items() if k in keep} for rec in data.inputs],
        "versions": package_versions(),
        "timings_s": dict(timings or {}),
        "notes": list(notes),
        "files": {"csv": CSV_NAME, "chart": CHART_NAME},
        "definitions": dict(DEFINITIONS),
    }


def format_table(result: BacktestResult) -> str:
    """Plain-text table of the summary split (one split, or the mean) for the terminal."""
    df = result.table
    sub = df[df["split"] == result.summary["summary_split"]]
    head = (
        f"{'channel':<16} {'method':<16} {'k':>3} {'hit rate':>8} {'95% CI':>13} {'area':>6} "
        f"{'PAI':>6} {'PEI*':>5} {'of oracle':>9}"
    )
    lines = [head, "-" * len(head)]

    def f(v: float, pct: bool = False) -> str:
        if not np.isfinite(v):
            return "-"
        return f"{100 * v:.1f}%" if pct else f"{v:.2f}"

    for _, r in sub.iterrows():
        if np.isfinite(r["hit_rate_lo"]):
            ci = f"{100 * r['hit_rate_lo']:.0f}-{100 * r['hit_rate_hi']:.0f}%"
        else:
            ci = "-"
        lines.append(
            f"{r['channel']:<16} {r['method']:<16} {int(r['k']):>3} {f(r['hit_rate'], True):>8} "
            f"{ci:>13} {f(r['area_share'], True):>6} {f(r['pai']):>6} {f(r['pei']):>5} "
            f"{f(r['share_of_oracle'], True):>9}"
        )
    return "\n".join(lines)


def write_evaluation(result: BacktestResult, out_dir: str | Path) -> list[Path]:
    """Write ``evaluation.csv`` and ``evaluation.json`` into ``out_dir``.

    Returns
    -------
    list of pathlib.Path
        The paths written (the chart is :func:`geo_outreach.render.chart.write_evaluation_chart`).
    """
    out = Path(out_dir)
    # issue 10: the plan this backtest was written next to, so render never shows another's
    plan = read_plan_hash(out)
    summary = {**result.summary, "plan_hash": plan} if plan else result.summary
    return [
        write_output(out, CSV_NAME, result.table),
        write_json(out / JSON_NAME, summary),
    ]
