"""Human names for derived sites (issue 11): junctions by their streets, patrol stops by a venue."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import shapely

from geo_outreach.channels.patrol import nearest_venue_names, stop_names
from geo_outreach.channels.problem import junctions
from geo_outreach.render.popups import site_name

CRS = "EPSG:32649"


def _graph() -> nx.MultiDiGraph:
    """A cross of two named streets at node 1 and an unnamed cross at node 10."""
    g = nx.MultiDiGraph(crs=CRS)
    pos = {1: (0, 0), 2: (100, 0), 3: (-100, 0), 4: (0, 100), 5: (0, -100)}
    pos |= {10: (5000, 0), 11: (5100, 0), 12: (4900, 0), 13: (5000, 100)}
    for n, (x, y) in pos.items():
        g.add_node(n, x=float(x), y=float(y))
    named = {2: "冈州大道", 3: "冈州大道", 4: "新会路", 5: ["新会路", "新会路"]}
    for n, name in named.items():
        g.add_edge(1, n, name=name, length=100.0)
        g.add_edge(n, 1, name=name, length=100.0)
    for n in (11, 12, 13):
        g.add_edge(10, n, length=100.0)
        g.add_edge(n, 10, length=100.0)
    return g


def test_junction_named_by_its_two_streets() -> None:
    j = junctions(_graph(), min_degree=3, dedup_m=10.0).set_index("venue_id")
    assert j.loc["junction:1", "name"] == "冈州大道与新会路交叉口"
    assert j.loc["junction:10", "name"] == ""  # no street names: named after a venue later
    assert site_name("冈州大道与新会路交叉口", "en") == "冈州大道 / 新会路 junction"


def _venues() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["明珠站", "裕华农贸市场", "", "远处广场"],
            "kind": ["bus_stop", "market", "cafe", "plaza"],
        },
        geometry=[
            shapely.Point(10, 0),
            shapely.Point(60, 0),
            shapely.Point(1, 1),
            shapely.Point(900, 0),
        ],
        crs=CRS,
    )


def test_nearest_named_venue_prefers_a_landmark_nearby() -> None:
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(1500, 0)], crs=CRS)
    # the market (60 m) beats the bus stop (10 m): a planner finds a market; the unnamed cafe
    # is skipped; far away the plaza is the nearest name
    assert nearest_venue_names(pts, _venues()) == ["裕华农贸市场", "远处广场"]
    assert nearest_venue_names(pts, None) == ["", ""]


def test_patrol_stops_named_near_a_venue() -> None:
    cand = gpd.GeoDataFrame(
        {"cell_id": ["r1c1", "r2c2"]},
        geometry=[shapely.Point(0, 0), shapely.Point(1500, 0)],
        crs=CRS,
    )
    names = stop_names(cand, _venues())
    assert names == ["巡逻点：近 裕华农贸市场", "巡逻点：近 远处广场"]
    assert stop_names(cand, None) == ["巡逻点 r1c1", "巡逻点 r2c2"]
    assert site_name(names[0], "en") == "Patrol stop near 裕华农贸市场"
    assert site_name(names[0], "zh") == names[0]
    assert site_name("路口：近 明珠站", "en") == "Junction near 明珠站"
