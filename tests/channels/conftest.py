"""Builders of the channel tests: a street grid over the three square precincts, alerts and
venues near them, hot-spot cells, a peak time window."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely
from shapely.geometry import Point

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
            for v in ([(i + 1) * 1000 + j] if i + 1 < nx_ else []) + (
                [i * 1000 + j + 1] if j + 1 < ny else []
            ):
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
            "reported_at": pd.date_range(
                "2025-01-01 19:00", periods=len(spots), freq="D", tz="Asia/Shanghai"
            ),
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
        {
            "venue_id": [v[0] for v in venues],
            "kind": [v[1] for v in venues],
            "name": [v[2] for v in venues],
            "precinct_id": [v[3] for v in venues],
        },
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
    cells = [
        ("r9c2", 6, 3.5, "hot99", 350, 350),
        ("r5c15", 4, 2.2, "hot95", 2900, 900),
        ("r5c25", 1, 0.3, "ns", 4900, 900),
        ("r1c1", 0, -0.5, "ns", 1200, 1500),
        ("r1c8", 2, 1.8, "hot90", 1600, 200),
    ]
    return gpd.GeoDataFrame(
        {
            "cell_id": [c[0] for c in cells],
            "alerts": [c[1] for c in cells],
            "gi_z": [c[2] for c in cells],
            "hot_class": [c[3] for c in cells],
        },
        geometry=[
            shapely.box(X0 + c[4], Y0 + c[5], X0 + c[4] + 200, Y0 + c[5] + 200) for c in cells
        ],
        crs=UTM,
    )


WINDOWS = [
    {
        "label_zh": "周五 19-22时",
        "label_en": "Fri 19-22h",
        "start_hour": 19,
        "end_hour": 22,
        "share": 0.4,
    }
]
