"""Issue 13: evaluate compares raw and forecast demand on the same splits (bundled sample)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import backtest
from geo_outreach._validate import OUTSIDE
from geo_outreach.forecast import choose_forecast
from geo_outreach.io import load_study
from geo_outreach.render.backtest_section import _demand_line
from geo_outreach.scenario import load_scenario, placement_only

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xinhui_demo.toml"


def test_raw_and_forecast_hit_rates_on_the_same_split() -> None:
    sc = placement_only(load_scenario(SAMPLE))
    data = load_study(sc)
    res = backtest.evaluate(sc, split=date(2026, 5, 1), n_boot=0, n_random=1, data=data)
    df = res.table
    plan = df[(df["method"] == "plan") & (df["channel"] != "all")].set_index("channel")
    assert set(plan.index) == {c.name for c in sc.channels}
    assert plan.at["banners", "demand"] == "forecast"  # the demo sets it on banners only
    assert set(plan["demand"].drop("banners")) == {"raw"}
    for name, r in plan.iterrows():
        assert 0 < r["raw_hit_rate"] <= 1 and 0 < r["forecast_hit_rate"] <= 1, name
        # the plan row is the configured demand's plan, scored on the same test alerts
        used = r["forecast_hit_rate"] if r["demand"] == "forecast" else r["raw_hit_rate"]
        assert r["hit_rate"] == pytest.approx(used, abs=1e-8), name
    # the forecast was chosen on the alerts before the split only
    ts = pd.Timestamp("2026-05-01", tz=sc.scenario.timezone)
    a = data.alerts[data.alerts["precinct_id"].astype(str) != OUTSIDE]
    choice = choose_forecast(a[a["reported_at"] < ts], data.study_area, train_end=ts)
    assert choice.folds == ("2026-02", "2026-03", "2026-04")
    assert set(plan["forecast_bandwidth_m"]) == {choice.bandwidth_m}
    assert set(plan["forecast_half_life_days"]) == {choice.half_life_days}
    # the "all" rows carry no demand comparison
    assert (df.loc[df["channel"] == "all", "demand"] == "").all()
    assert df.loc[df["channel"] == "all", "raw_hit_rate"].isna().all()
    entry = res.summary["channels"]["banners"]
    assert entry["demand"]["used"] == "forecast"
    assert entry["demand"]["forecast_hit_rate"] == pytest.approx(
        plan.at["banners", "forecast_hit_rate"], rel=1e-5
    )
    line = _demand_line(entry, "zh")
    assert "按原始警情选点命中" in line and "方案使用预测需求" in line
    assert "timings_s" in res.summary and res.summary["timings_s"]["forecast_plans"] > 0


def test_too_short_a_training_period_falls_back_to_raw_with_a_note() -> None:
    sc = placement_only(load_scenario(SAMPLE))
    sc = sc.__class__(**{**sc.__dict__, "channels": (sc.channel("banners"),)})
    res = backtest.evaluate(sc, split=date(2025, 1, 15), n_boot=0, n_random=1)
    r = res.table[(res.table["method"] == "plan")].iloc[0]
    assert r["demand"] == "forecast" and math.isnan(r["forecast_hit_rate"])
    assert r["hit_rate"] == pytest.approx(r["raw_hit_rate"])
    assert any("no forecast demand" in n and "raw demand used" in n for n in res.summary["notes"])
