"""channels.patrol: patrol stops on hot-spot cells, the tour, the route and its time windows."""

from __future__ import annotations

import pytest

from geo_outreach import channels
from geo_outreach._errors import InputDataError
from geo_outreach.scenario import ChannelConfig
from tests.channels.conftest import WINDOWS, hotspots, make_data
from tests.conftest import X0, Y0


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


def test_patrol_without_hotspots_is_an_error():
    data = make_data()
    with pytest.raises(InputDataError, match="hot-spot"):
        channels.plan_channels(
            data, (ChannelConfig(name="p", type="patrol", budget=2, radius_m=300),)
        )


def test_tour_order_uncrosses_a_square():
    import numpy as np

    # corners of a 100 m square listed crosswise: the tour goes round the edge from stop 0
    xy = np.array([[0.0, 0.0], [100.0, 100.0], [100.0, 0.0], [0.0, 100.0], [50.0, -10.0]])
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    order = channels.tour_order(dist)
    assert order[0] == 0 and sorted(order) == [0, 1, 2, 3, 4]
    length = sum(dist[order[i], order[(i + 1) % 5]] for i in range(5))
    assert length == pytest.approx(300 + 2 * np.hypot(50, 10))
    assert channels.tour_order(dist[:3, :3]) == [0, 1, 2]


def test_patrol_route_without_streets_is_straight_and_says_so():
    data = make_data(streets=False)
    ch = ChannelConfig(name="patrols", type="patrol", budget=2, radius_m=400)
    res = channels.plan_channels(data, (ch,), hotspots=hotspots())
    line = res.patrol_route[res.patrol_route["feature"] == "route"]
    assert (
        line.geometry.iloc[0].geom_type == "LineString" and len(line.geometry.iloc[0].coords) == 3
    )
    assert line["windows"].iloc[0] == ""
    notes = res.summaries["patrols"]["notes"]
    assert any("straight-line distances" in n for n in notes)
    assert any("no peak time windows" in n for n in notes)


# issue 15: exact short tours, heuristic + bound above


def _random_dist(k: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(k, 2))
    return np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])


@pytest.mark.parametrize("closed", [True, False])
@pytest.mark.parametrize("k", [3, 4, 5, 6, 7, 8])
def test_held_karp_equals_brute_force(k, closed):
    import itertools

    from geo_outreach.channels.patrol import held_karp, tour_length

    for seed in range(3):
        dist = _random_dist(k, 100 * k + seed)
        best = min(
            tour_length(dist, [0, *perm], closed) for perm in itertools.permutations(range(1, k))
        )
        order = held_karp(dist, closed=closed)
        assert order[0] == 0 and sorted(order) == list(range(k))
        assert tour_length(dist, order, closed) == pytest.approx(best, rel=1e-12)


def test_tour_order_is_exact_up_to_12_stops_and_bounded_above():
    from geo_outreach.channels.patrol import (
        EXACT_TOUR_MAX_STOPS,
        held_karp,
        one_tree_bound,
        tour_gap,
        tour_length,
    )

    dist = _random_dist(EXACT_TOUR_MAX_STOPS, 7)
    order = channels.tour_order(dist)
    assert tour_length(dist, order) == pytest.approx(tour_length(dist, held_karp(dist)))
    assert tour_gap(dist, order) == 0.0
    # the 1-tree bound is a lower bound (<= the shortest tour) and not a trivial one
    for seed in range(3):
        d10 = _random_dist(10, seed)
        opt = tour_length(d10, held_karp(d10))
        lb = one_tree_bound(d10)
        assert 0.85 * opt <= lb <= opt + 1e-6
    # above 12 stops: heuristic tour, gap to the bound reported, deterministic
    d20 = _random_dist(20, 3)
    o20 = channels.tour_order(d20)
    assert o20[0] == 0 and sorted(o20) == list(range(20))
    assert o20 == channels.tour_order(d20)
    gap = tour_gap(d20, o20)
    assert 0.0 <= gap < 0.1
    assert tour_length(d20, o20) == pytest.approx(one_tree_bound(d20) * (1 + gap))


def test_patrol_route_reports_tour_gap():
    data = make_data()
    ch = ChannelConfig(name="patrols", type="patrol", budget=3, radius_m=400)
    res = channels.plan_channels(data, (ch,), hotspots=hotspots(), peak_windows=WINDOWS)
    route = res.patrol_route
    line = route[route["feature"] == "route"]
    assert line["tour_gap"].iloc[0] == 0.0
    assert route[route["feature"] == "stop"]["tour_gap"].isna().all()
