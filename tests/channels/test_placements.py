"""channels.placements: plans, existing sites, summaries, curves, reach, uncovered hot spots and
the files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo_outreach import channels
from geo_outreach.scenario import ChannelConfig
from tests.channels.conftest import WINDOWS, hotspots, make_data


def test_plan_channels_placements_and_summary():
    data = make_data()
    chs = (
        ChannelConfig(
            name="square_dance",
            label="广场舞",
            venue_kinds=("plaza", "park"),
            budget=2,
            radius_m=400,
            distance="walk",
            category_weights={"冒充公检法": 3.0},
        ),
        ChannelConfig(
            name="cafe",
            venue_kinds=("cafe",),
            budget=1,
            radius_m=300,
            distance="straight",
            category_weights={"刷单返利": 5.0},
        ),
    )
    res = channels.plan_channels(data, chs, hotspots=hotspots())
    pl = res.placements
    assert list(pl.columns) == channels.PLACEMENT_COLUMNS + ["geometry"]
    sd = pl[pl["channel"] == "square_dance"]
    assert sd["venue_id"].tolist() == ["v_plaza_a", "v_plaza_b"]
    assert sd["rank"].tolist() == [1, 2]
    assert sd["marginal_weight"].tolist() == [18.0, 4.0]
    assert np.all(np.diff(sd["cumulative_share"]) > 0)
    assert sd["cumulative_share"].iloc[-1] == pytest.approx(22 / 23)
    assert pl[pl["channel"] == "cafe"]["venue_id"].tolist() == [
        "v_cafe_b"
    ]  # weighted toward 刷单返利
    s = res.summaries["square_dance"]
    for key in (
        "label",
        "status",
        "gap",
        "covered_weight",
        "total_weight",
        "covered_share",
        "upper_bound",
        "method",
        "seconds",
        "radius_m",
        "budget",
        "distance",
        "notes",
    ):
        assert key in s
    assert s["label"] == "广场舞" and s["distance"] == "walk" and s["status"] == "optimal"
    json.dumps(res.summaries, ensure_ascii=False)  # JSON-able for manifest.json
    curve = res.curves[res.curves["channel"] == "square_dance"]
    assert curve["k"].tolist() == [0, 1, 2] and curve["covered_weight"].is_monotonic_increasing
    reach = res.reach[res.reach["channel"] == "square_dance"]
    assert len(reach) == 2 and reach.geometry.is_valid.all()
    # walking reach follows the grid, so it is smaller than the 400 m circle
    assert reach.geometry.area.iloc[0] < np.pi * 400**2
    # the hot cell in A and the one in B are reached; the hot90 cell at (1600, 200) is not
    assert res.uncovered_hotspots["cell_id"].tolist() == ["r1c8"]


def test_existing_venue_flagged_and_not_budgeted():
    data = make_data()
    ch = ChannelConfig(
        name="sd", venue_kinds=("plaza", "park"), budget=1, radius_m=400, existing=("v_plaza_a",)
    )
    res = channels.plan_channels(data, (ch,))
    pl = res.placements
    assert pl["existing"].tolist() == [True, False]
    assert pl["rank"].tolist() == [0, 1]
    assert pl["venue_id"].tolist() == ["v_plaza_a", "v_plaza_b"]


def test_write_channels(tmp_path):
    data = make_data()
    chs = (
        ChannelConfig(name="sd", venue_kinds=("plaza",), budget=2, radius_m=400, distance="walk"),
        ChannelConfig(name="patrols", type="patrol", budget=2, radius_m=400),
    )
    res = channels.plan_channels(data, chs, hotspots=hotspots(), peak_windows=WINDOWS)
    paths = channels.write_channels(res, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "placements.csv",
            "placements.geojson",
            "coverage_curve.csv",
            "reach.geojson",
            "patrol_route.geojson",
            "uncovered_hotspots.geojson",
        ]
    )
    csv = pd.read_csv(tmp_path / "placements.csv", encoding="utf-8-sig")
    assert list(csv.columns) == [
        "channel",
        "rank",
        "venue_id",
        "name",
        "kind",
        "precinct_id",
        "lon",
        "lat",
        "covered_weight",
        "marginal_weight",
        "cumulative_share",
        "existing",
    ]
    assert csv["lon"].between(113, 114).all() and csv["lat"].between(22, 23).all()
    gj = json.loads((tmp_path / "placements.geojson").read_text(encoding="utf-8"))
    assert len(gj["features"]) == len(csv)
    curve = pd.read_csv(tmp_path / "coverage_curve.csv", encoding="utf-8-sig")
    assert list(curve.columns) == ["channel", "k", "covered_weight", "covered_share"]
    # deterministic: a second write is byte-identical
    first = {p.name: p.read_bytes() for p in paths}
    paths2 = channels.write_channels(
        channels.plan_channels(data, chs, hotspots=hotspots(), peak_windows=WINDOWS), tmp_path
    )
    assert {p.name: p.read_bytes() for p in paths2} == first
