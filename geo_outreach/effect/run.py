"""The ``effect`` command's library side: log -> exposure panel -> estimate -> files (issue 13).

``run_effect`` loads the scenario's layers and the campaign log, builds the area x month panel and
estimates the effect; ``write_effect`` writes ``effect.csv`` (the overall row and the event
study), ``effect.json`` (estimate, checks, area counts, plain-language wording in zh and en, the
headline month's seasonal context) and ``campaign_log_rejects.csv`` (the log rows not used, with
file row, column and reason). The chart is drawn by :mod:`geo_outreach.render.effect`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach._errors import ScenarioError
from geo_outreach._validate import columns_of
from geo_outreach.effect.did import EffectEstimate, estimate_effect
from geo_outreach.effect.exposure import Panel, build_panel, grid_units, precinct_units
from geo_outreach._parse import need_file
from geo_outreach.effect.log import LAYER, CampaignLog, LogSource, load_campaign_log
from geo_outreach.effect.season import headline_context
from geo_outreach.i18n import t
from geo_outreach.io import StudyData, load_study
from geo_outreach.outputs import write_json, write_output
from geo_outreach.scenario import Scenario

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EffectResult:
    """Everything the effect command found: the log, the panel, the estimate and its wording."""

    log: CampaignLog
    panel: Panel
    estimate: EffectEstimate
    wording: dict[str, str]
    synthetic: bool
    notes: tuple[str, ...]
    headline: dict[str, Any] | None = None


def scenario_log(sc: Scenario) -> LogSource | None:
    """Return the ``[campaign_log]`` of ``sc`` as a :class:`LogSource` (None without one)."""
    cfg = sc.campaign_log
    if cfg is None:
        return None
    return LogSource(
        Path(cfg.path), datum=cfg.datum, encoding=cfg.encoding, sheet=cfg.sheet,
        synthetic=cfg.synthetic,
    )  # fmt: skip


def _fmt(x: float) -> str:
    return f"{x:+.1f}%"


def wording(est: EffectEstimate, lang: str) -> str:
    """Return the plain-language verdict in ``lang``.

    It claims an effect only when the CI excludes zero and the pre-trend check passes.
    """
    ci = {"pct": _fmt(est.pct), "lo": _fmt(est.pct_lo), "hi": _fmt(est.pct_hi)}
    counts = t("effect_counts", lang).format(treated=est.n_treated, control=est.n_control)
    if not est.pretrend_ok:
        head = t("effect_pretrend_fail", lang).format(p=est.pretrend_p, **ci)
    elif est.ci_covers_zero:
        head = t("effect_no_claim", lang).format(**ci)
    else:
        key = "effect_claim_down" if est.pct < 0 else "effect_claim_up"
        head = t(key, lang).format(**ci)
    return f"{head} {counts}"


def run_effect(
    sc: Scenario,
    src: LogSource,
    *,
    unit: str = "precinct",
    cell_m: float = 1000.0,
    min_exposure: float = 1.0,
    leads: int = 4,
    lags: int = 6,
    channels: tuple[str, ...] = (),
    progress: Progress | None = None,
    study: StudyData | None = None,
) -> EffectResult:
    """Estimate the effect of the logged outreach on alerts.

    Parameters
    ----------
    sc
        The scenario (its precincts, alerts, venues and channels).
    src
        The campaign log.
    unit
        ``"precinct"`` or ``"grid"`` (square cells of ``cell_m`` metres).
    cell_m
        Grid cell size in metres.
    min_exposure
        Cumulative exposure at which an area counts as treated.
    leads, lags
        Event-study window in months.
    channels
        Only these channels' activities count as treatment (names; default every channel):
        the effect of one channel, areas reached only by others count as not treated.
    progress
        Called with a short message per stage.
    study
        The scenario's layers when already loaded (issue 14: ``plan`` hands its own in, so
        1M alerts are not loaded twice); default: loaded here.

    Returns
    -------
    EffectResult
        The log, panel, estimate and zh/en wording.
    """
    say = progress or (lambda _m: None)
    need_file(Path(src.path), LAYER)  # fail fast, before the slow layers load
    if study is None:
        say("loading the scenario's layers")
        study = load_study(sc)
    say(f"reading the campaign log {src.path}")
    log = load_campaign_log(
        src, tz=sc.scenario.timezone, channels=sc.channels, venues=study.venues,
        study_area=study.study_area, crs=study.crs,
    )  # fmt: skip
    units = (
        precinct_units(study.precincts)
        if unit == "precinct"
        else grid_units(study.study_area, study.crs, cell_m)
    )
    acts = log.activities
    if channels:
        unknown = sorted(set(channels) - {c.name for c in sc.channels})
        if unknown:
            raise ScenarioError(
                f"--channel {unknown}: not a channel of the scenario; channels are "
                f"{[c.name for c in sc.channels]}"
            )
        acts = acts[acts["channel"].isin(channels)]
    say(f"building the {unit} x month panel ({len(units)} areas)")
    panel = build_panel(study.alerts, acts, units, unit=unit, min_exposure=min_exposure)
    say("fitting the Poisson difference-in-differences models")
    est = estimate_effect(panel.frame, leads=leads, lags=lags)
    notes = tuple(study.notes) + (("SYNTHETIC campaign log",) if src.synthetic else ())
    if channels:
        notes += (f"treatment: the activities of {', '.join(channels)} only",)
    context = headline_context(study.alerts["reported_at"])
    return EffectResult(
        log=log,
        panel=panel,
        estimate=est,
        wording={lang: wording(est, lang) for lang in ("zh", "en")},
        synthetic=bool(sc.synthetic or src.synthetic),
        notes=notes,
        headline=None if context is None else context.as_dict(),
    )


def effect_table(est: EffectEstimate) -> pd.DataFrame:
    """``effect.csv``: one ``overall`` row, then one ``event`` row per month since the start."""
    overall = pd.DataFrame(
        {"row_type": ["overall"], "event_time": [np.nan], "pct": [est.pct],
         "pct_lo": [est.pct_lo], "pct_hi": [est.pct_hi], "coef": [est.log_ratio],
         "se": [est.se], "n_units": [est.n_treated]}
    )  # fmt: skip
    ev = est.event.assign(row_type="event")
    out = pd.concat([overall, ev], ignore_index=True)
    return out[columns_of("effect.csv")]


def effect_summary(res: EffectResult) -> dict[str, Any]:
    """``effect.json``: the estimate, the checks, the counts and the wording."""
    e = res.estimate
    return {
        "method": e.method,
        "unit": res.panel.unit,
        "months": [res.panel.months[0], res.panel.months[-1]],
        "effect_pct": round(e.pct, 2),
        "ci95_pct": [round(e.pct_lo, 2), round(e.pct_hi, 2)],
        "log_rate_ratio": e.log_ratio,
        "se": e.se,
        "p": e.p,
        "ci_covers_zero": e.ci_covers_zero,
        "pretrend_p": None if np.isnan(e.pretrend_p) else e.pretrend_p,
        "pretrend_ok": e.pretrend_ok,
        "claim": e.claim,
        "areas": {
            "used": e.n_units,
            "treated": e.n_treated,
            "control": e.n_control,
            "dropped_no_alerts": e.n_dropped_zero,
            "dropped_treated_from_start": e.n_dropped_always,
        },
        "months_used": e.n_periods,
        "treated_alerts": e.treated_alerts,
        "log": {k: res.log.facts.get(k) for k in ("path", "rows_loaded", "rows_rejected")},
        "wording": res.wording,
        "headline_context": res.headline,
        "synthetic": res.synthetic,
        "notes": list(res.notes),
    }


def write_effect(res: EffectResult, out_dir: str | Path) -> list[Path]:
    """Write ``effect.csv``, ``effect.json`` and the log's ``campaign_log_rejects.csv``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [
        write_output(out, "effect.csv", effect_table(res.estimate)),
        write_json(out / "effect.json", effect_summary(res)),
    ]
    if len(res.log.rejects):
        files.append(write_output(out, "campaign_log_rejects.csv", res.log.rejects))
    return files
