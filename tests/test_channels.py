"""channels.py: demand weights, candidates (incl. junctions), plans, patrols, outputs, errors."""

from __future__ import annotations

import dataclasses
import json
import logging
from types import SimpleNamespace

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo_outreach import channels
from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.scenario import ChannelConfig
from tests.conftest import UTM, X0, Y0, square_precincts


def grid_graph(step: float = 200.0, nx_: int = 31, ny: int = 11) -> nx.MultiDiGraph:
    """A street grid over the three precincts (6 km x 2 km), both directions, 'length' in m."""
    g = nx.MultiDiGraph(crs=UTM)
    for i in range(nx_):
        for j in range(ny):
            g.add_node(i * 1000 + j, x=X0 + i * step, y=Y0 + j * step)
    for i in range(nx_):
        for j in range(ny):
            u = i * 1000 + j
            for v in ([(i + 1) * 1000 + j] if i + 1 < nx_ else []) + ([i * 1000 + j + 1] if j + 1 < ny else []):
                g.add_edge(u, v, length=step)
                g.add_edge(v, u, length=step)
    return g


def make_data(*, streets: bool = True, venues: list[tuple] | None = None) -> SimpleNamespace:
    """Alerts: a cluster of 6 elderly-fraud alerts near (450, 450) in A, 4 youth alerts near
    (3000, 1000) in B, 1 in C and 1 outside. Venues: plazas and cafés near them."""
    prec = square_precincts()
    spots = (
        [((450, 450), "冒充公检法", "60+")] * 6
        + [((3000, 1000), "刷单返利", "18-25")] * 4
        + [((5000, 1000), "刷单返利", "26-35")]
        + [((7000, 1000), "刷单返利", "26-35")]
    )
    alerts = gpd.GeoDataFrame(
        {
            "alert_id": [f"a{i}" for i in range(len(spots))],
            "reported_at": pd.date_range("2025-01-01 19:00", periods=len(spots), freq="D", tz="Asia/Shanghai"),
            "category": [s[1] for s in spots],
            "age_band": [s[2] for s in spots],
            "precinct_id": ["A"] * 6 + ["B"] * 4 + ["C", "outside"],
        },
        geometry=[Point(X0 + x, Y0 + y) for (x, y), _, _ in spots],
        crs=UTM,
    )
    if venues is None:
        venues = [
            ("v_plaza_a", "plaza", "甲广场", "A", 420, 400),
            ("v_plaza_b", "plaza", "乙广场", "B", 3050, 1000),
            ("v_park_c", "park", "丙公园", "C", 5000, 1100),
            ("v_cafe_a", "cafe", "甲咖啡", "A", 600, 600),
            ("v_cafe_b", "cafe", "乙咖啡", "B", 2950, 950),
        ]
    ven = gpd.GeoDataFrame(
        {"venue_id": [v[0] for v in venues], "kind": [v[1] for v in venues], "name": [v[2] for v in venues],
         "precinct_id": [v[3] for v in venues]},
        geometry=[Point(X0 + v[4], Y0 + v[5]) for v in venues],
        crs=UTM,
    )
    return SimpleNamespace(
        precincts=prec,
        alerts=alerts,
        venues=ven,
        streets=grid_graph() if streets else None,
        study_area=shapely.union_all(prec.geometry.values),
        crs=prec.crs,
    )


def hotspots() -> gpd.GeoDataFrame:
    cells = [("r9c2", 6, 3.5, "hot99", 350, 350), ("r5c15", 4, 2.2, "hot95", 2900, 900),
             ("r5c25", 1, 0.3, "ns", 4900, 900), ("r1c1", 0, -0.5, "ns", 1200, 1500),
             ("r1c8", 2, 1.8, "hot90", 1600, 200)]
    return gpd.GeoDataFrame(
        {"cell_id": [c[0] for c in cells], "alerts": [c[1] for c in cells], "gi_z": [c[2] for c in cells],
         "hot_class": [c[3] for c in cells]},
        geometry=[shapely.box(X0 + c[4], Y0 + c[5], X0 + c[4] + 200, Y0 + c[5] + 200) for c in cells],
        crs=UTM,
    )


WINDOWS = [{"label_zh": "周五 19-22时", "label_en": "Fri 19-22h", "start_hour": 19, "end_hour": 22, "share": 0.4}]


def test_weights_and_demand_aggregation():
    data = make_data()
    ch = ChannelConfig(name="sd", venue_kinds=("plaza",), category_weights={"冒充公检法": 3.0}, age_weights={"60+": 2.0})
    w = channels.channel_weights(data.alerts, ch)
    assert w[:6].tolist() == [6.0] * 6 and w[6:].tolist() == [1.0] * 6
    demand, n_out = channels.channel_demand(data.alerts, ch)
    assert n_out == 1
    assert len(demand) == 3  # three unique locations inside precincts
    assert demand["weight"].sum() == 36 + 4 + 1
    assert sorted(demand["alerts"]) == [1, 4, 6]


def test_plan_channels_placements_and_summary():
    data = make_data()
    chs = (
        ChannelConfig(name="square_dance", label="广场舞", venue_kinds=("plaza", "park"), budget=2, radius_m=400,
                      distance="walk", category_weights={"冒充公检法": 3.0}),
        ChannelConfig(name="cafe", venue_kinds=("cafe",), budget=1, radius_m=300, distance="straight",
                      category_weights={"刷单返利": 5.0}),
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
    assert pl[pl["channel"] == "cafe"]["venue_id"].tolist() == ["v_cafe_b"]  # weighted toward 刷单返利
    s = res.summaries["square_dance"]
    for key in ("label", "status", "gap", "covered_weight", "total_weight", "covered_share", "upper_bound",
                "method", "seconds", "radius_m", "budget", "distance", "notes"):
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
    ch = ChannelConfig(name="sd", venue_kinds=("plaza", "park"), budget=1, radius_m=400, existing=("v_plaza_a",))
    res = channels.plan_channels(data, (ch,))
    pl = res.placements
    assert pl["existing"].tolist() == [True, False]
    assert pl["rank"].tolist() == [0, 1]
    assert pl["venue_id"].tolist() == ["v_plaza_a", "v_plaza_b"]


def test_walk_falls_back_to_straight_without_streets(caplog):
    data = make_data(streets=False)
    ch = ChannelConfig(name="sd", venue_kinds=("plaza",), budget=1, radius_m=400, distance="walk")
    with caplog.at_level(logging.WARNING, logger="geo_outreach.channels"):
        res = channels.plan_channels(data, (ch,))
    assert "straight-line" in caplog.text
    s = res.summaries["sd"]
    assert s["distance"] == "straight" and any("straight-line" in n for n in s["notes"])


def test_junction_candidates_degree_and_dedup():
    g = nx.MultiDiGraph(crs=UTM)
    # a 4-way junction at 0, a 5-way at 1 only 20 m away (dedup keeps the 5-way), a 4-way at 2 far away
    pts = {0: (0, 0), 1: (20, 0), 2: (1000, 0)}
    for n, (x, y) in pts.items():
        g.add_node(n, x=X0 + x, y=Y0 + y)
    k = 10
    for hub, deg in ((0, 4), (1, 5), (2, 4)):
        for _ in range(deg):
            g.add_node(k, x=X0 + pts[hub][0] + 5 * k, y=Y0 + 50)
            g.add_edge(hub, k, length=10.0)
            g.add_edge(k, hub, length=10.0)  # both directions: still one neighbour
            k += 1
    j = channels.junctions(g)
    assert j["venue_id"].tolist() == ["junction:1", "junction:2"]
    assert j["degree"].tolist() == [5, 4]
    assert (j["kind"] == "junction").all()


def test_banner_channel_uses_junctions():
    data = make_data()
    ch = ChannelConfig(name="banners", venue_kinds=("junction",), budget=2, radius_m=300)
    res = channels.plan_channels(data, (ch,))
    ids = res.placements["venue_id"].tolist()
    assert len(ids) == 2 and all(i.startswith("junction:") for i in ids)
    assert res.summaries["banners"]["covered_weight"] == 10


def test_patrol_route_with_windows():
    data = make_data()
    ch = ChannelConfig(name="patrols", type="patrol", budget=3, radius_m=400)
    res = channels.plan_channels(data, (ch,), hotspots=hotspots(), peak_windows=WINDOWS)
    route = res.patrol_route
    stops = route[route["feature"] == "stop"]
    line = route[route["feature"] == "route"]
    assert len(stops) == 3 and len(line) == 1
    assert stops["order"].tolist() == [1, 2, 3]
    assert set(stops["cell_id"]) <= {"r9c2", "r5c15", "r1c8"}
    assert "周五 19-22时" in line["windows"].iloc[0]
    assert line.geometry.iloc[0].geom_type == "LineString"
    assert line["length_m"].iloc[0] > 0
    # stops sit on street nodes (multiples of 200 m on the grid)
    for p in stops.geometry:
        assert (p.x - X0) % 200 == pytest.approx(0) and (p.y - Y0) % 200 == pytest.approx(0)


def test_write_channels(tmp_path):
    data = make_data()
    chs = (
        ChannelConfig(name="sd", venue_kinds=("plaza",), budget=2, radius_m=400, distance="walk"),
        ChannelConfig(name="patrols", type="patrol", budget=2, radius_m=400),
    )
    res = channels.plan_channels(data, chs, hotspots=hotspots(), peak_windows=WINDOWS)
    paths = channels.write_channels(res, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(["placements.csv", "placements.geojson", "coverage_curve.csv", "reach.geojson",
                            "patrol_route.geojson", "uncovered_hotspots.geojson"])
    csv = pd.read_csv(tmp_path / "placements.csv", encoding="utf-8-sig")
    assert list(csv.columns) == ["channel", "rank", "venue_id", "name", "kind", "precinct_id", "lon", "lat",
                                 "covered_weight", "marginal_weight", "cumulative_share", "existing"]
    assert csv["lon"].between(113, 114).all() and csv["lat"].between(22, 23).all()
    gj = json.loads((tmp_path / "placements.geojson").read_text(encoding="utf-8"))
    assert len(gj["features"]) == len(csv)
    curve = pd.read_csv(tmp_path / "coverage_curve.csv", encoding="utf-8-sig")
    assert list(curve.columns) == ["channel", "k", "covered_weight", "covered_share"]
    # deterministic: a second write is byte-identical
    first = {p.name: p.read_bytes() for p in paths}
    paths2 = channels.write_channels(channels.plan_channels(data, chs, hotspots=hotspots(), peak_windows=WINDOWS), tmp_path)
    assert {p.name: p.read_bytes() for p in paths2} == first


@pytest.mark.parametrize(
    ("change", "data_kw", "match"),
    [
        ({"venue_kinds": ("school",)}, {}, "no venues of kinds \\['school'\\]"),
        ({"budget": 5}, {}, "budget = 5 but only 2 candidate venues"),
        ({"radius_m": 0.0}, {}, "radius_m must be > 0"),
        ({}, {"venues": [("dup", "plaza", "x", "A", 0, 0), ("dup", "plaza", "y", "B", 2500, 0)]}, "duplicate candidate venue ids \\['dup'\\]"),
        ({"existing": ("v_nowhere",)}, {}, "existing lists \\['v_nowhere'\\] which are not venues"),
    ],
)
def test_channel_errors(change, data_kw, match):
    data = make_data(**data_kw)
    ch = dataclasses.replace(ChannelConfig(name="sd", venue_kinds=("plaza",), budget=1, radius_m=400), **change)
    with pytest.raises(InputDataError, match=match):
        channels.plan_channels(data, (ch,))


def test_min_per_precinct_infeasible_names_precinct():
    data = make_data()
    ch = ChannelConfig(name="sd", venue_kinds=("plaza", "park"), budget=3, radius_m=400, min_per_precinct=2)
    with pytest.raises(InfeasiblePlanError, match="'A'"):
        channels.plan_channels(data, (ch,))
    ok = ChannelConfig(name="sd", venue_kinds=("plaza", "park"), budget=3, radius_m=400, min_per_precinct=1)
    res = channels.plan_channels(data, (ok,))
    assert sorted(res.placements["precinct_id"]) == ["A", "B", "C"]


def test_patrol_without_hotspots_is_an_error():
    data = make_data()
    with pytest.raises(InputDataError, match="hot-spot"):
        channels.plan_channels(data, (ChannelConfig(name="p", type="patrol", budget=2, radius_m=300),))
