"""manifest.street_lines: street context lines are deterministic whatever order osmnx built
edges in."""

from __future__ import annotations

import networkx as nx
from shapely.geometry import LineString

from geo_outreach.manifest import street_lines
from tests.conftest import UTM, X0, Y0


def _graph(reverse_first: bool, highway_order: list[str]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs=UTM)
    for n, (x, y) in {1: (X0, Y0), 2: (X0 + 100, Y0), 3: (X0 + 100, Y0 + 100)}.items():
        g.add_node(n, x=x, y=y)
    edges = [(1, 2, {"highway": "residential"}), (2, 3, {"highway": list(highway_order)})]
    both = []
    for u, v, d in edges:
        fwd = (
            u,
            v,
            {
                **d,
                "length": 100.0,
                "geometry": LineString(
                    [(g.nodes[u]["x"], g.nodes[u]["y"]), (g.nodes[v]["x"], g.nodes[v]["y"])]
                ),
            },
        )
        rev = (
            v,
            u,
            {
                **d,
                "length": 100.0,
                "geometry": LineString(
                    [(g.nodes[v]["x"], g.nodes[v]["y"]), (g.nodes[u]["x"], g.nodes[u]["y"])]
                ),
            },
        )
        both += [rev, fwd] if reverse_first else [fwd, rev]
    for u, v, d in both[::-1] if reverse_first else both:
        g.add_edge(u, v, **d)
    return g


def test_street_lines_are_deterministic_and_deduplicated():
    a = street_lines(_graph(False, ["footway", "path"]))
    b = street_lines(_graph(True, ["path", "footway"]))
    assert len(a) == 2  # one line per street segment, reverse duplicates dropped
    assert a["highway"].tolist() == b["highway"].tolist() == ["footway", "residential"]
    assert a.to_json() == b.to_json()
