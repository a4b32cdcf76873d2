"""Backtest: hit rate / PAI arithmetic by hand, each baseline on a constructed case, rolling
splits, determinism, another city's column names, and the CLI contract.

The end-to-end layout (metres east/north of the south-west corner of the 3 square precincts,
6 km x 2 km = 12 km² in all; plaza reach 300 m, straight line):

- cluster P at (620, 1000): 6 alerts a month, reached by V0 (500, 1000) and V1 (700, 1000);
- 1 alert a month at (300, 1000): reached by V0 only;
- cluster Q at (3000, 1000): 4 alerts a month, reached by V2 only;
- 1 alert a month at (5000, 1000): reached by V3 (5000, 1000) only;
- V4 (1000, 1800) reaches nothing.

With 2 sites the best is {V0, V2} (11 of 12 a month) while the two sites that reach most alerts
on their own are V0 (7) and V1 (6), which overlap (7 of 12 together).
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from shapely.geometry import box

from geo_outreach import coverage as cov
from geo_outreach import evaluate as ev
from geo_outreach._errors import ScenarioError
from geo_outreach.cli import main
from geo_outreach.scenario import load_scenario
from tests.conftest import xy_to_lonlat

VENUES_XY = {"V0": (500, 1000), "V1": (700, 1000), "V2": (3000, 1000), "V3": (5000, 1000), "V4": (1000, 1800)}
MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
SPOTS = [((620, 1000), 6), ((300, 1000), 1), ((3000, 1000), 4), ((5000, 1000), 1)]
FAST = ["--n-boot", "50", "--n-random", "8", "--quiet"]


# --------------------------------------------------------------------------- fixtures


def layout_rows(headers: tuple[str, ...] = ("警情编号", "报警时间", "案件类别", "经度", "纬度")) -> list[dict]:
    """Alerts of the layout above, one set per month, with small jitter (< 15 m)."""
    rng = np.random.default_rng(7)
    rows = []
    n = 0
    for month in MONTHS:
        for (x, y), count in SPOTS:
            for i in range(count):
                lon, lat = xy_to_lonlat(x + rng.uniform(-10, 10), y + rng.uniform(-10, 10))
                h_id, h_time, h_cat, h_lon, h_lat = headers
                rows.append({h_id: f"A{n:04d}", h_time: f"{month}-{1 + (3 * i + n) % 27:02d} 1{i % 10}:05",
                             h_cat: ["刷单返利", "冒充公检法"][n % 2], h_lon: f"{float(lon):.7f}",
                             h_lat: f"{float(lat):.7f}"})
                n += 1
    return rows


def venues_csv(path: Path) -> Path:
    recs = []
    for vid, (x, y) in VENUES_XY.items():
        lon, lat = xy_to_lonlat(x, y)
        recs.append({"venue_id": vid, "kind": "plaza", "name": f"广场{vid}", "lon": float(lon), "lat": float(lat)})
    pd.DataFrame(recs).to_csv(path, index=False, encoding="utf-8")
    return path


CHANNELS = """
[channels.plazas]
label = "广场"
venue_kinds = ["plaza"]
budget = 2
radius_m = 300
"""


@pytest.fixture
def layout(scenario_factory, tmp_path: Path):
    """Scenario path of the layout (venues CSV with a kind column, one plaza channel)."""

    def make(rows: list[dict] | None = None, *, channels: str = CHANNELS, alerts_extra: str = "") -> Path:
        venues_csv(tmp_path / "venues.csv")
        return scenario_factory(layout_rows() if rows is None else rows, alerts_extra=alerts_extra,
                                venues='[[venues]]\npath = "venues.csv"\n', extra=channels)

    return make


def _row(df: pd.DataFrame, method: str, channel: str = "plazas", split: str = "2025-05-01") -> pd.Series:
    sel = df[(df["method"] == method) & (df["channel"] == channel) & (df["split"] == split)]
    assert len(sel) == 1
    return sel.iloc[0]


# --------------------------------------------------------------------------- arithmetic


def test_pai_hand_case_ten_alerts_four_hit_five_percent_area():
    study = shapely.union_all([box(0, 0, 2000, 2000), box(2000, 0, 4000, 2000), box(4000, 0, 6000, 2000)])
    reach = [box(100, 100, 700, 1100)]  # 600 m x 1000 m = 0.6 km² = 5% of 12 km²
    covered = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    hr = ev.hit_rate(covered)
    share = ev.area_share(reach, study)
    assert hr == pytest.approx(0.4)
    assert share == pytest.approx(0.05)
    assert ev.pai(hr, share) == pytest.approx(8.0)
    # weighted: the 4 covered alerts weigh 2 each, the 6 others 1 -> 8 / 14
    w = np.where(covered, 2.0, 1.0)
    assert ev.hit_rate(covered, w) == pytest.approx(8 / 14)
    # reach outside the study area does not count; overlapping reach counts once
    assert ev.area_share([box(-600, 100, 600, 1100)], study) == pytest.approx(0.05)
    assert ev.area_share([box(100, 100, 700, 1100), box(100, 100, 700, 1100)], study) == pytest.approx(0.05)
    assert math.isnan(ev.pai(0.4, 0.0))


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    covered = np.array([True] * 4 + [False] * 6)
    idx1 = ev.bootstrap_index(10, n_boot=400, seed=3)
    idx2 = ev.bootstrap_index(10, n_boot=400, seed=3)
    assert np.array_equal(idx1, idx2)
    b = ev.bootstrap_hit_rates(covered, None, idx1)
    assert b.shape == (400,) and ((b >= 0) & (b <= 1)).all()
    lo, hi = np.percentile(b, [2.5, 97.5])
    assert lo < 0.4 < hi
    assert ev.bootstrap_hit_rates(np.ones(10, dtype=bool), None, idx1).min() == 1.0


# --------------------------------------------------------------------------- baselines (unit)


def test_topk_picks_overlapping_sites_where_the_plan_picks_disjoint_ones():
    # rows 0-4 reached by columns 0 and 1 (and row 5 by 0 alone); rows 6-9 by column 2
    a = np.zeros((10, 3), dtype=np.uint8)
    a[0:6, 0] = 1
    a[0:5, 1] = 1
    a[6:10, 2] = 1
    a = sp.csr_matrix(a)
    w = np.ones(10)
    assert ev.topk_sites(a, w, 2) == [0, 1]
    plan = cov.maximize_coverage(a, w, 2, method="exact")
    assert sorted(plan.chosen) == [0, 2]
    assert cov.covered_weight(a, w, [0, 1]) == 6 < cov.covered_weight(a, w, plan.chosen) == 10
    assert ev.topk_sites(a, w, 2, existing=[0]) == [1, 2]


def test_naive_hotspot_one_candidate_per_cell_densest_first():
    cand = np.array([[0.0, 0.0], [100.0, 0.0], [1000.0, 0.0], [5000.0, 0.0]])
    cells = np.array([[10.0, 0.0], [20.0, 0.0], [990.0, 0.0], [4900.0, 0.0], [60.0, 0.0]])
    value = np.array([9.0, 8.0, 5.0, 1.0, np.nan])
    # cell 0 -> cand 0; cell 1's nearest is cand 0 again (skipped); cell 2 -> cand 2
    assert ev.naive_hotspot_sites(cand, 2, cells, value) == [0, 2]
    assert ev.naive_hotspot_sites(cand, 3, cells, value) == [0, 2, 3]
    # cells run out: the free candidates nearest the densest cell fill the rest
    assert ev.naive_hotspot_sites(cand, 4, cells, value) == [0, 2, 3, 1]
    assert ev.naive_hotspot_sites(cand, 2, cells, value, existing=[0]) == [1, 2]


def test_random_sites_distinct_seeded_and_never_existing():
    rng = np.random.default_rng(1)
    draws = [ev.random_sites(6, 3, rng=rng, existing=[2]) for _ in range(50)]
    assert all(len(set(d)) == 3 and 2 not in d and all(0 <= j < 6 for j in d) for d in draws)
    again = [ev.random_sites(6, 3, rng=np.random.default_rng(1), existing=[2])]
    assert again[0] == draws[0]


# --------------------------------------------------------------------------- split windows


def test_split_windows_single_and_rolling():
    period = (date(2025, 1, 3), date(2025, 6, 28))
    (w,) = ev.split_windows(period, split=date(2025, 5, 1))
    assert (w.split, w.test_end) == (date(2025, 5, 1), date(2025, 6, 28))
    (w,) = ev.split_windows(period, split=date(2025, 5, 1), until=date(2025, 5, 20))
    assert w.test_end == date(2025, 5, 20)
    ws = ev.split_windows(period, split=date(2025, 2, 1), rolling=4)
    assert [(x.split.isoformat(), x.test_end.isoformat()) for x in ws] == [
        ("2025-02-01", "2025-02-28"), ("2025-03-01", "2025-03-31"), ("2025-04-01", "2025-04-30"),
        ("2025-05-01", "2025-05-31")]
    ws = ev.split_windows(period, split=date(2025, 1, 31), rolling=2)
    assert [x.split for x in ws] == [date(2025, 1, 31), date(2025, 2, 28)]
    with pytest.raises(ScenarioError, match="data period is 2025-01-03..2025-06-28"):
        ev.split_windows(period, split=date(2025, 7, 1))
    with pytest.raises(ScenarioError, match="outside the data"):
        ev.split_windows(period, split=date(2025, 1, 3))  # nothing to train on
    with pytest.raises(ScenarioError, match="past the end"):
        ev.split_windows(period, split=date(2025, 5, 1), rolling=3)
    with pytest.raises(ScenarioError, match="before the split"):
        ev.split_windows(period, split=date(2025, 5, 1), until=date(2025, 4, 1))


# --------------------------------------------------------------------------- end to end


def test_evaluate_scores_plan_and_baselines_on_the_layout(layout):
    sc = load_scenario(layout())
    df = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=200, n_random=30, seed=5)
    assert list(df.columns) == ev.CSV_COLUMNS
    assert set(df["method"]) == set(ev.METHODS) and set(df["channel"]) == {"plazas"}
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
    for m in ev.METHODS:
        assert orc["covered_weight"] >= _row(df, m)["covered_weight"] - 1e-9
    assert plan["share_of_oracle"] == pytest.approx(1.0) and plan["pei"] == pytest.approx(1.0)
    # random: mean and spread lie between the worst and the best 2-site choice
    hits = {frozenset(c): h for c, h in {
        ("V0", "V1"): 14, ("V0", "V2"): 22, ("V0", "V3"): 16, ("V0", "V4"): 14, ("V1", "V2"): 20,
        ("V1", "V3"): 14, ("V1", "V4"): 12, ("V2", "V3"): 10, ("V2", "V4"): 8, ("V3", "V4"): 2}.items()}
    lo, hi = min(hits.values()) / 24 - 1e-7, max(hits.values()) / 24 + 1e-7  # CSV rounding
    assert lo <= rnd["hit_rate_lo"] <= rnd["hit_rate"] <= rnd["hit_rate_hi"] <= hi
    assert rnd["random_sd"] > 0
    assert rnd["hit_rate"] < plan["hit_rate"]


def test_every_draw_scored_the_same_way_as_brute_force(layout):
    """hit rate of each method = brute-force count of test alerts within 300 m of its sites."""
    sc = load_scenario(layout())
    df = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=20, n_random=5, seed=1)
    best = max(itertools.combinations(VENUES_XY, 2),
               key=lambda c: sum(n for (x, y), n in SPOTS
                                 if any(math.dist((x, y), VENUES_XY[v]) <= 300 for v in c)))
    assert set(best) == {"V0", "V2"}
    assert _row(df, "oracle")["hits"] == 22


def test_weighted_hit_rate_uses_the_channel_weights(layout):
    channels = CHANNELS + 'category_weights = { "刷单返利" = 3.0 }\n'
    sc = load_scenario(layout(channels=channels))
    df = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=20, n_random=5)
    plan = _row(df, "plan")
    assert plan["hit_rate_unweighted"] == pytest.approx(plan["hits"] / plan["test_alerts"])
    assert plan["test_weight"] > plan["test_alerts"]  # some alerts weigh 3
    assert plan["hit_rate"] == pytest.approx(plan["covered_weight"] / plan["test_weight"])


def test_rolling_splits_count_and_mean(layout):
    sc = load_scenario(layout())
    df = ev.evaluate(sc, split=date(2025, 3, 1), rolling=3, n_boot=20, n_random=5)
    assert list(dict.fromkeys(df["split"])) == ["2025-03-01", "2025-04-01", "2025-05-01", "mean"]
    per = df[(df["channel"] == "plazas") & (df["method"] == "plan") & (df["split"] != "mean")]
    assert list(per["test_end"]) == ["2025-03-31", "2025-04-30", "2025-05-31"]
    assert list(per["test_alerts"]) == [12, 12, 12]
    assert list(per["train_alerts"]) == [24, 36, 48]
    mean = _row(df, "plan", split="mean")
    assert mean["test_alerts"] == 36
    assert mean["hit_rate"] == pytest.approx(per["hit_rate"].mean(), abs=1e-6)
    assert df.attrs["summary"]["summary_split"] == "mean"


def test_same_seed_same_table(layout):
    sc = load_scenario(layout())
    a = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=50, n_random=10, seed=11)
    b = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=50, n_random=10, seed=11)
    pd.testing.assert_frame_equal(a, b)


def test_other_city_column_names_and_two_channels_with_patrol(layout, tmp_path: Path):
    headers = ("事件号", "发生于", "类型说明", "X坐标", "Y坐标")
    mapping = 'columns = { id = "事件号", time = "发生于", category = "类型说明", lon = "X坐标", lat = "Y坐标" }'
    channels = CHANNELS + "\n[channels.patrols]\ntype = \"patrol\"\nbudget = 2\nradius_m = 400\n"
    sc = load_scenario(layout(layout_rows(headers), channels=channels, alerts_extra=mapping))
    df = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=20, n_random=5)
    assert set(df["channel"]) == {"plazas", "patrols", "all"}
    for ch in ("plazas", "patrols", "all"):
        orc = _row(df, "oracle", channel=ch)
        for m in ev.METHODS:
            assert orc["hit_rate"] >= _row(df, m, channel=ch)["hit_rate"] - 1e-9
    allp = _row(df, "plan", channel="all")
    assert allp["hit_rate"] >= _row(df, "plan", channel="plazas")["hit_rate_unweighted"] - 1e-9
    paths = ev.write_evaluation(df, tmp_path / "o", lang="en")
    assert [p.name for p in paths] == list(ev.OUTPUT_FILES)
    assert all(p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- CLI


def test_cli_evaluate_writes_files_and_summary(layout, tmp_path: Path, capsys):
    sc = layout()
    out = tmp_path / "eval"
    assert main(["evaluate", str(sc), "--split", "2025-05-01", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "plan" in printed and "oracle" in printed and "perfect hindsight" in printed
    csv = pd.read_csv(out / "evaluation.csv", encoding="utf-8-sig")
    assert list(csv.columns) == ev.CSV_COLUMNS and len(csv) == len(ev.METHODS)
    summary = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert summary["schema"] == ev.SCHEMA and summary["summary_split"] == "2025-05-01"
    entry = summary["channels"]["plazas"]
    assert entry["plan"]["share_of_oracle"] == 1.0 and entry["plan_beats_baselines"] is True
    assert "100%" in entry["headline"]["en"] and "事后最优" in entry["headline"]["zh"]
    assert (out / "evaluation.png").read_bytes()[:4] == b"\x89PNG"
    assert summary["inputs"] and all(len(r["sha256"]) == 64 for r in summary["inputs"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "2030-01-01"], "data period is 2025-01-"),
        (["--split", "2024-12-01"], "outside the data"),
        (["--split", "2025-05-01", "--rolling", "3"], "past the end"),
        (["--split", "2025-05-01", "--until", "2025-04-01"], "before the split"),
    ],
)
def test_cli_bad_split_exit_2_one_line(layout, tmp_path: Path, capsys, args, message):
    code = main(["evaluate", str(layout()), *args, "--out", str(tmp_path / "x"), *FAST])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "x" / "evaluation.csv").exists()


def test_cli_usage_errors_exit_2(layout, capsys):
    sc = str(layout())
    assert main(["evaluate", sc]) == 2  # --split is required
    assert main(["evaluate", sc, "--split", "May 2025"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_scenario_without_channels_is_a_clear_error(scenario_factory, tmp_path: Path, capsys):
    sc = scenario_factory(layout_rows())
    assert main(["evaluate", str(sc), "--split", "2025-05-01", "--quiet"]) == 2
    assert "no [channels" in capsys.readouterr().err


def test_backtest_plan_is_what_plan_channels_chooses_on_the_training_alerts(layout):
    """The evaluated plan is the pipeline's own plan fitted on the alerts before the split."""
    import dataclasses

    from geo_outreach import analytics, channels
    from geo_outreach.io import load_study

    chans = CHANNELS + "\n[channels.patrols]\ntype = \"patrol\"\nbudget = 2\nradius_m = 400\n"
    sc = load_scenario(layout(channels=chans))
    data = load_study(sc)
    df = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=10, n_random=3, data=data)
    split = pd.Timestamp("2025-05-01").tz_localize(sc.scenario.timezone)
    train = dataclasses.replace(data, alerts=data.alerts[data.alerts["reported_at"] < split].reset_index(drop=True))
    res = analytics.run_analytics(train, sc.analysis)
    planned = channels.plan_channels(train, sc.channels, hotspots=res.hotspots, seed=sc.scenario.seed)
    for ch in ("plazas", "patrols"):
        pl = planned.placements[planned.placements["channel"] == ch].sort_values("rank")
        assert _row(df, "plan", channel=ch)["sites"].split(";") == list(pl["venue_id"])
    assert _row(df, "plan")["sites"] == "V0;V2"
    assert _row(df, "topk_no_overlap")["sites"] == "V0;V1"


def test_resamples_in_blocks_are_the_same_every_time(monkeypatch):
    monkeypatch.setattr(ev, "MAX_BOOT_CELLS", 25)  # blocks of 2 resamples of 10 alerts
    r = ev.Resamples(10, 7, 4)
    blocks = list(r.blocks())
    assert [len(b) for b in blocks] == [2, 2, 2, 1]
    covered = np.arange(10) < 4
    a = ev.bootstrap_hit_rates(covered, None, r)
    assert np.array_equal(a, ev.bootstrap_hit_rates(covered, None, r))
    assert np.array_equal(a, ev.bootstrap_hit_rates(covered, None, ev.bootstrap_index(10, n_boot=7, seed=4)))


def grid_streets_osm(path: Path, *, step: int = 250) -> Path:
    """A street grid every ``step`` m over the 6 km x 2 km layout, as OSM XML."""
    xs, ys = range(0, 6001, step), range(0, 2001, step)
    ids = {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for x in xs:
        for y in ys:
            ids[x, y] = len(ids) + 1
            lon, lat = xy_to_lonlat(x, y)
            lines.append(f'<node id="{ids[x, y]}" lat="{float(lat):.7f}" lon="{float(lon):.7f}"/>')
    way = 1
    for y in ys:
        refs = "".join(f'<nd ref="{ids[x, y]}"/>' for x in xs)
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for x in xs:
        refs = "".join(f'<nd ref="{ids[x, y]}"/>' for y in ys)
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_walking_channel_scored_on_walking_reach(layout, tmp_path: Path):
    import dataclasses

    from geo_outreach import channels
    from geo_outreach.io import load_study

    grid_streets_osm(tmp_path / "streets.osm")
    chans = CHANNELS.replace("radius_m = 300", 'radius_m = 300\ndistance = "walk"')
    sc = load_scenario(layout(channels='\n[streets]\npath = "streets.osm"\n' + chans))
    data = load_study(sc)
    df = ev.evaluate(sc, split=date(2025, 5, 1), n_boot=10, n_random=3, data=data)
    plan = _row(df, "plan")
    assert plan["distance"] == "walk" and plan["hits"] > 0
    # hits = test alerts within 300 m walking of the plan's sites, by the coverage engine
    cand = channels.channel_candidates(data, sc.channels[0])
    cols = [int(np.flatnonzero(cand["venue_id"] == v)[0]) for v in plan["sites"].split(";")]
    test = data.alerts[data.alerts["reported_at"] >= pd.Timestamp("2025-05-01").tz_localize(sc.scenario.timezone)]
    a = cov.coverage_matrix_network(data.streets, np.column_stack([test.geometry.x, test.geometry.y]),
                                    np.column_stack([cand.geometry.x, cand.geometry.y]), 300.0)
    assert plan["hits"] == int(ev.covered_mask(a, cols).sum())
    # area = union of the walking service areas, smaller than the straight-line circles
    areas = cov.service_areas(data.streets, np.column_stack([cand.geometry.x, cand.geometry.y])[cols], 300.0)
    assert plan["area_share"] == pytest.approx(ev.area_share(areas, data.study_area), rel=1e-6)
    circle = shapely.area(shapely.Point(0, 0).buffer(300, quad_segs=16))
    assert 0 < plan["area_share"] < 2 * circle / 12e6
    # and the plan is the pipeline's own plan on the training alerts
    split = pd.Timestamp("2025-05-01").tz_localize(sc.scenario.timezone)
    train = dataclasses.replace(data, alerts=data.alerts[data.alerts["reported_at"] < split].reset_index(drop=True))
    planned = channels.plan_channels(train, sc.channels, seed=sc.scenario.seed).placements
    assert plan["sites"].split(";") == list(planned.sort_values("rank")["venue_id"])


def test_rolling_summary_lists_each_split_for_the_briefing(layout, tmp_path: Path):
    sc = load_scenario(layout())
    df = ev.evaluate(sc, split=date(2025, 4, 1), rolling=2, n_boot=10, n_random=3)
    ev.write_evaluation(df, tmp_path)
    summary = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    splits = summary["per_split"]["plazas"]
    assert [s["split"] for s in splits] == ["2025-04-01", "2025-05-01"]
    assert all(s["test_alerts"] == 12 and s["oracle_hit_rate"] >= s["plan_hit_rate"] for s in splits)
    assert summary["channels"]["plazas"]["plan"]["test_alerts"] == 24  # the mean rows sum the months


def test_cli_evaluate_rerenders_the_briefing_of_a_plan(layout, tmp_path: Path, capsys):
    sc = str(layout())
    out = tmp_path / "run"
    assert main(["evaluate", sc, "--split", "2025-05-01", "--out", str(out), *FAST]) == 0  # no plan yet
    assert "run `geo-outreach plan" in capsys.readouterr().out and not (out / "briefing.html").exists()
    assert main(["plan", sc, "--out", str(out), "--quiet"]) == 0
    (out / "briefing.html").unlink()  # so the next one is the evaluate command's
    assert main(["evaluate", sc, "--split", "2025-05-01", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert f"briefing.html: {(out / 'briefing.html').resolve()}" in printed
    page = (out / "briefing.html").read_text(encoding="utf-8")
    sec = page[page.index('<section class="backtest" id="backtest">'):]
    assert "回测" in sec and "切分日 2025-05-01" in sec and "广场：方案达到事后最优的 100%" in sec
    assert 'id="backtest-chart"' in sec and "data:image/png;base64," in sec
