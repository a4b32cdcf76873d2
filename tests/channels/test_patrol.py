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
