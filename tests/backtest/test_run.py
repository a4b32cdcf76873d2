"""backtest.run: evaluate() end to end on the layout of tests/conftest.py (hand-checkable
numbers), rolling splits, determinism, another city's column names, walking reach, and the
plan being the pipeline's own plan (one solve_channel for both)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach import analytics, backtest, channels
from geo_outreach import coverage as cov
from geo_outreach.backtest import metrics
from geo_outreach.backtest import run as backtest_run
from geo_outreach.channels import placements as channel_placements
from geo_outreach.channels import problem as channel_problem_mod
from geo_outreach.io import load_study
from geo_outreach.render.chart import write_evaluation_chart
from geo_outreach.scenario import load_scenario
from tests.backtest.conftest import grid_streets_osm
from tests.conftest import CHANNELS, SPOTS, VENUES_XY, layout_rows

PATROLS = '\n[channels.patrols]\ntype = "patrol"\nbudget = 2\nradius_m = 400\n'


def _row(
    df: pd.DataFrame, method: str, channel: str = "plazas", split: str = "2025-05-01"
) -> pd.Series:
    sel = df[(df["method"] == method) & (df["channel"] == channel) & (df["split"] == split)]
    assert len(sel) == 1
    return sel.iloc[0]


def _training(data, sc, split: str = "2025-05-01"):
    ts = pd.Timestamp(split).tz_localize(sc.scenario.timezone)
    before = data.alerts[data.alerts["reported_at"] < ts].reset_index(drop=True)
    return dataclasses.replace(data, alerts=before)


def test_evaluate_scores_plan_and_baselines_on_the_layout(layout):
    sc = load_scenario(layout())
    result = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=200, n_random=30, seed=5)
    df = result.table
    assert isinstance(result, backtest.BacktestResult) and not df.attrs
    assert list(df.columns) == backtest.CSV_COLUMNS
    assert set(df["method"]) == set(backtest.METHODS) and set(df["channel"]) == {"plazas"}
    plan, topk, orc, rnd = (_row(df, m) for m in ("plan", "topk_no_overlap", "oracle", "random"))
    # test period May-June: 24 alerts; the plan {V0, V2} reaches all but the 2 at V3
    assert plan["test_alerts"] == 24 and plan["train_alerts"] == 48
    assert plan["hits"] == 22 and plan["hit_rate"] == pytest.approx(22 / 24)
    circle = shapely.area(shapely.Point(0, 0).buffer(300, quad_segs=16))
    assert plan["area_share"] == pytest.approx(2 * circle / 12e6, rel=1e-5)
    assert plan["pai"] == pytest.approx(plan["hit_rate"] / plan["area_share"], rel=1e-5)
    assert plan["hit_rate_lo"] <= plan["hit_rate"] <= plan["hit_rate_hi"]
    # top-k ignores overlap: V0 and V1 reach the same cluster -> 14 of 24
    assert topk["hits"] == 14 and topk["hit_rate"] < plan["hit_rate"]
    # the oracle is at least as good as every method, and the plan is optimal here
    for m in backtest.METHODS:
        assert orc["covered_weight"] >= _row(df, m)["covered_weight"] - 1e-9
    assert plan["share_of_oracle"] == pytest.approx(1.0) and plan["pei"] == pytest.approx(1.0)
    # random: mean and spread lie between the worst and the best 2-site choice
    hits = {
        frozenset(c): h
        for c, h in {
            ("V0", "V1"): 14,
            ("V0", "V2"): 22,
            ("V0", "V3"): 16,
            ("V0", "V4"): 14,
            ("V1", "V2"): 20,
            ("V1", "V3"): 14,
            ("V1", "V4"): 12,
            ("V2", "V3"): 10,
            ("V2", "V4"): 8,
            ("V3", "V4"): 2,
        }.items()
    }
    lo, hi = min(hits.values()) / 24 - 1e-7, max(hits.values()) / 24 + 1e-7  # CSV rounding
    assert lo <= rnd["hit_rate_lo"] <= rnd["hit_rate"] <= rnd["hit_rate_hi"] <= hi
    assert rnd["random_sd"] > 0
    assert rnd["hit_rate"] < plan["hit_rate"]
    assert result.summary["summary_split"] == "2025-05-01"
    assert result.summary["channels"]["plazas"]["plan"]["hits"] == 22


def test_every_draw_scored_the_same_way_as_brute_force(layout):
    """hit rate of each method = brute-force count of test alerts within 300 m of its sites."""
    sc = load_scenario(layout())
    df = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=20, n_random=5, seed=1).table
    best = max(
        itertools.combinations(VENUES_XY, 2),
        key=lambda c: sum(
            n for (x, y), n in SPOTS if any(math.dist((x, y), VENUES_XY[v]) <= 300 for v in c)
        ),
    )
    assert set(best) == {"V0", "V2"}
    assert _row(df, "oracle")["hits"] == 22


def test_weighted_hit_rate_uses_the_channel_weights(layout):
    chans = CHANNELS + 'category_weights = { "刷单返利" = 3.0 }\n'
    sc = load_scenario(layout(channels=chans))
    df = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=20, n_random=5).table
    plan = _row(df, "plan")
    assert plan["hit_rate_unweighted"] == pytest.approx(plan["hits"] / plan["test_alerts"])
    assert plan["test_weight"] > plan["test_alerts"]  # some alerts weigh 3
    assert plan["hit_rate"] == pytest.approx(plan["covered_weight"] / plan["test_weight"])


def test_rolling_splits_count_and_mean(layout):
    sc = load_scenario(layout())
    result = backtest.evaluate(sc, split=date(2025, 3, 1), rolling=3, n_boot=20, n_random=5)
    df = result.table
    assert list(dict.fromkeys(df["split"])) == ["2025-03-01", "2025-04-01", "2025-05-01", "mean"]
    per = df[(df["channel"] == "plazas") & (df["method"] == "plan") & (df["split"] != "mean")]
    assert list(per["test_end"]) == ["2025-03-31", "2025-04-30", "2025-05-31"]
    assert list(per["test_alerts"]) == [12, 12, 12]
    assert list(per["train_alerts"]) == [24, 36, 48]
    mean = _row(df, "plan", split="mean")
    assert mean["test_alerts"] == 36
    assert mean["hit_rate"] == pytest.approx(per["hit_rate"].mean(), abs=1e-6)
    assert result.summary["summary_split"] == "mean"


def test_same_seed_same_table(layout):
    sc = load_scenario(layout())
    a = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=50, n_random=10, seed=11)
    b = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=50, n_random=10, seed=11)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_progress_goes_to_the_callback_and_nothing_is_printed(layout, capsys):
    sc = load_scenario(layout())
    said: list[str] = []
    backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=5, n_random=2, progress=said.append)
    assert said[0] == "load ..." and any(
        s.startswith("split 2025-05-01: 48 training") for s in said
    )
    assert capsys.readouterr() == ("", "")


def test_other_city_column_names_and_two_channels_with_patrol(layout, tmp_path: Path):
    headers = ("事件号", "发生于", "类型说明", "X坐标", "Y坐标")
    mapping = (
        'columns = { id = "事件号", time = "发生于", category = "类型说明", lon = "X坐标", '
        'lat = "Y坐标" }'
    )
    sc = load_scenario(
        layout(layout_rows(headers), channels=CHANNELS + PATROLS, alerts_extra=mapping)
    )
    result = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=20, n_random=5)
    df = result.table
    assert set(df["channel"]) == {"plazas", "patrols", "all"}
    for ch in ("plazas", "patrols", "all"):
        orc = _row(df, "oracle", channel=ch)
        for m in backtest.METHODS:
            assert orc["hit_rate"] >= _row(df, m, channel=ch)["hit_rate"] - 1e-9
    allp = _row(df, "plan", channel="all")
    assert allp["hit_rate"] >= _row(df, "plan", channel="plazas")["hit_rate_unweighted"] - 1e-9
    paths = backtest.write_evaluation(result, tmp_path / "o")
    paths.insert(1, write_evaluation_chart(result, tmp_path / "o" / "evaluation.png", lang="en"))
    assert [p.name for p in paths] == list(backtest.OUTPUT_FILES)
    assert all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "o" / "evaluation.png").read_bytes()[:4] == b"\x89PNG"


def test_plan_and_backtest_solve_the_same_channel_problem(layout, monkeypatch):
    """Plan and backtest go through the one solve_channel, on problems with the same sites,
    distance model and demand weights, and choose the same sites on the same training alerts."""
    real = channel_problem_mod.solve_channel
    calls: dict[str, list] = {"plan": [], "backtest": []}

    def spy(where: str):
        def solve(problem, **kw):
            calls[where].append((problem, kw))
            return real(problem, **kw)

        return solve

    monkeypatch.setattr(channel_placements, "solve_channel", spy("plan"))
    monkeypatch.setattr(backtest_run, "solve_channel", spy("backtest"))
    sc = load_scenario(layout(channels=CHANNELS + PATROLS))
    data = load_study(sc)
    df = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=10, n_random=3, data=data).table
    train = _training(data, sc)
    hot = analytics.hotspots_for(train, sc.analysis, train.alerts)
    planned = channels.plan_channels(train, sc.channels, hotspots=hot, seed=sc.scenario.seed)
    assert [p.name for p, _ in calls["plan"]] == ["plazas", "patrols"]
    for ch in ("plazas", "patrols"):
        ((plan_pr, _),) = [c for c in calls["plan"] if c[0].name == ch]
        # the backtest's first solve of a channel is its plan (the second is the oracle)
        bt_pr, bt_kw = next(c for c in calls["backtest"] if c[0].name == ch)
        assert list(plan_pr.cand_ids) == list(bt_pr.cand_ids)
        assert plan_pr.existing == bt_pr.existing and plan_pr.distance == bt_pr.distance
        rows = bt_kw["rows"]
        assert bt_pr.weights[rows].sum() == pytest.approx(plan_pr.weights.sum())
        pl = planned.placements[planned.placements["channel"] == ch].sort_values("rank")
        assert _row(df, "plan", channel=ch)["sites"].split(";") == list(pl["venue_id"])
    assert _row(df, "plan")["sites"] == "V0;V2"
    assert _row(df, "topk_no_overlap")["sites"] == "V0;V1"


def test_walking_channel_scored_on_walking_reach(layout, tmp_path: Path):
    grid_streets_osm(tmp_path / "streets.osm")
    chans = CHANNELS.replace("radius_m = 300", 'radius_m = 300\ndistance = "walk"')
    sc = load_scenario(layout(channels='\n[streets]\npath = "streets.osm"\n' + chans))
    data = load_study(sc)
    df = backtest.evaluate(sc, split=date(2025, 5, 1), n_boot=10, n_random=3, data=data).table
    plan = _row(df, "plan")
    assert plan["distance"] == "walk" and plan["hits"] > 0
    # hits = test alerts within 300 m walking of the plan's sites, by the coverage engine
    cand = channels.channel_candidates(data, sc.channels[0])
    cols = [int(np.flatnonzero(cand["venue_id"] == v)[0]) for v in plan["sites"].split(";")]
    ts = pd.Timestamp("2025-05-01").tz_localize(sc.scenario.timezone)
    test = data.alerts[data.alerts["reported_at"] >= ts]
    cxy = np.column_stack([cand.geometry.x, cand.geometry.y])
    a = cov.coverage_matrix_network(
        data.streets, np.column_stack([test.geometry.x, test.geometry.y]), cxy, 300.0
    )
    assert plan["hits"] == int(metrics.covered_mask(a, cols).sum())
    # area = union of the walking service areas, smaller than the straight-line circles
    areas = cov.service_areas(data.streets, cxy[cols], 300.0)
    assert plan["area_share"] == pytest.approx(metrics.area_share(areas, data.study_area), rel=1e-6)
    circle = shapely.area(shapely.Point(0, 0).buffer(300, quad_segs=16))
    assert 0 < plan["area_share"] < 2 * circle / 12e6
    # and the plan is the pipeline's own plan on the training alerts
    planned = channels.plan_channels(
        _training(data, sc), sc.channels, seed=sc.scenario.seed
    ).placements
    assert plan["sites"].split(";") == list(planned.sort_values("rank")["venue_id"])


def test_rolling_summary_lists_each_split_for_the_briefing(layout, tmp_path: Path):
    sc = load_scenario(layout())
    result = backtest.evaluate(sc, split=date(2025, 4, 1), rolling=2, n_boot=10, n_random=3)
    backtest.write_evaluation(result, tmp_path)
    summary = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    assert summary == json.loads(json.dumps(result.summary))
    splits = summary["per_split"]["plazas"]
    assert [s["split"] for s in splits] == ["2025-04-01", "2025-05-01"]
    assert all(
        s["test_alerts"] == 12 and s["oracle_hit_rate"] >= s["plan_hit_rate"] for s in splits
    )
    assert (
        summary["channels"]["plazas"]["plan"]["test_alerts"] == 24
    )  # the mean rows sum the months


def test_format_table_lists_the_summary_split(layout):
    sc = load_scenario(layout())
    result = backtest.evaluate(sc, split=date(2025, 3, 1), rolling=2, n_boot=10, n_random=3)
    lines = backtest.format_table(result).splitlines()
    assert lines[0].split()[:3] == ["channel", "method", "k"] and set(lines[1]) == {"-"}
    assert len(lines) == 2 + len(backtest.METHODS)  # the mean rows only
    plan = next(line for line in lines[2:] if line.split()[1] == "plan")
    hit_rate = _row(result.table, "plan", split="mean")["hit_rate"]
    assert plan.split()[:4] == ["plazas", "plan", "2", f"{100 * hit_rate:.1f}%"]
