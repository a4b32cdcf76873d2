"""channels.problem: demand weights and aggregation, candidates (incl. junctions), the
channel problem and solve_channel, and the errors that name the fix."""

from __future__ import annotations

import dataclasses
import logging

import networkx as nx
import numpy as np
import pytest

from geo_outreach import channels
from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.scenario import ChannelConfig
from tests.channels.conftest import make_data
from tests.conftest import UTM, X0, Y0


def test_weights_and_demand_aggregation():
    data = make_data()
    ch = ChannelConfig(
        name="sd",
        venue_kinds=("plaza",),
        category_weights={"冒充公检法": 3.0},
        age_weights={"60+": 2.0},
    )
    w = channels.channel_weights(data.alerts, ch)
    assert w[:6].tolist() == [6.0] * 6 and w[6:].tolist() == [1.0] * 6
    demand, n_out = channels.channel_demand(data.alerts, ch)
    assert n_out == 1
    assert len(demand) == 3  # three unique locations inside precincts
    assert demand["weight"].sum() == 36 + 4 + 1
    assert sorted(demand["alerts"]) == [1, 4, 6]


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
    # a 4-way junction at 0, a 5-way at 1 only 20 m away (dedup keeps the 5-way), a 4-way at 2
    # far away
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


@pytest.mark.parametrize(
    ("change", "data_kw", "match"),
    [
        ({"venue_kinds": ("school",)}, {}, "no venues of kinds \\['school'\\]"),
        ({"budget": 5}, {}, "budget = 5 but only 2 candidate venues"),
        ({"radius_m": 0.0}, {}, "radius_m must be > 0"),
        (
            {},
            {"venues": [("dup", "plaza", "x", "A", 0, 0), ("dup", "plaza", "y", "B", 2500, 0)]},
            "duplicate candidate venue ids \\['dup'\\]",
        ),
        ({"existing": ("v_nowhere",)}, {}, "existing lists \\['v_nowhere'\\] which are not venues"),
    ],
)
def test_channel_errors(change, data_kw, match):
    data = make_data(**data_kw)
    ch = dataclasses.replace(
        ChannelConfig(name="sd", venue_kinds=("plaza",), budget=1, radius_m=400), **change
    )
    with pytest.raises(InputDataError, match=match):
        channels.plan_channels(data, (ch,))


def test_min_per_precinct_infeasible_names_precinct():
    data = make_data()
    ch = ChannelConfig(
        name="sd", venue_kinds=("plaza", "park"), budget=3, radius_m=400, min_per_precinct=2
    )
    with pytest.raises(InfeasiblePlanError, match="'A'"):
        channels.plan_channels(data, (ch,))
    ok = ChannelConfig(
        name="sd", venue_kinds=("plaza", "park"), budget=3, radius_m=400, min_per_precinct=1
    )
    res = channels.plan_channels(data, (ok,))
    assert sorted(res.placements["precinct_id"]) == ["A", "B", "C"]


def _plaza() -> ChannelConfig:
    return ChannelConfig(
        name="sd",
        venue_kinds=("plaza", "park"),
        budget=1,
        radius_m=400,
        category_weights={"冒充公检法": 3.0},
    )


def test_problem_per_alert_rows_or_aggregated_locations():
    data = make_data(streets=False)
    ch = _plaza()
    agg = channels.channel_problem(data, ch, data.alerts)
    assert len(agg.demand) == 3 and agg.n_outside == 1
    assert any("1 alerts outside every precinct" in n for n in agg.notes)
    inside = data.alerts[data.alerts["precinct_id"] != "outside"].reset_index(drop=True)
    per = channels.channel_problem(data, ch, inside, aggregate=False)
    assert len(per.demand) == len(inside) == 11 and per.n_outside == 0
    assert per.weights.tolist() == channels.channel_weights(inside, ch).tolist()
    assert list(per.cand_ids) == list(agg.cand_ids) == ["v_park_c", "v_plaza_a", "v_plaza_b"]
    assert per.matrix.shape == (11, 3) and agg.matrix.shape == (3, 3)
    # the same total weight within reach of each candidate, whichever the demand rows
    np.testing.assert_allclose(per.matrix.T @ per.weights, agg.matrix.T @ agg.weights)


def test_solve_channel_on_rows_is_solving_those_alerts():
    data = make_data(streets=False)
    ch = dataclasses.replace(_plaza(), budget=2)
    inside = data.alerts[data.alerts["precinct_id"] != "outside"].reset_index(drop=True)
    per = channels.channel_problem(data, ch, inside, aggregate=False)
    rows = np.arange(6, 11)  # the B and C alerts only
    on_rows = channels.solve_channel(per, rows=rows)
    alone = channels.solve_channel(
        channels.channel_problem(data, ch, inside.iloc[rows], aggregate=False)
    )
    assert on_rows.chosen == alone.chosen and on_rows.covered_weight == alone.covered_weight == 5
    assert [per.cand_ids[j] for j in on_rows.chosen] == ["v_plaza_b", "v_park_c"]
    assert len(channels.solve_channel(per, rows=rows, k=1).chosen) == 1


def test_reach_geometries_are_circles_or_walking_areas_and_cached():
    ch = _plaza()
    straight = channels.channel_problem(make_data(streets=False), ch, make_data().alerts)
    (circle,) = channels.reach_geometries(straight, [1])
    assert circle.area == pytest.approx(np.pi * 400**2, rel=0.01)
    assert channels.reach_geometries(straight, [1])[0] is circle  # cached
    data = make_data()
    from geo_outreach import coverage as cov

    walk = channels.channel_problem(
        data,
        dataclasses.replace(ch, distance="walk"),
        data.alerts,
        network=cov.prepare_network(data.streets),
    )
    assert walk.distance == "walk"
    (area,) = channels.reach_geometries(walk, [1])
    assert 0 < area.area < circle.area
