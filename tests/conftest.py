"""Tiny layers whose answers can be checked by hand.

Three 2 km x 2 km square precincts side by side (A, B, C from west to east) near Huicheng,
built in UTM 49N (EPSG:32649) and written as WGS84 GeoJSON. ``xy_to_lonlat`` turns metre
offsets from the south-west corner into WGS84 lon/lat.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import box

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
UTM = "EPSG:32649"
X0, Y0 = 708000.0, 2492000.0  # south-west corner, metres (113.04 E, 22.52 N: Huicheng)

_to_ll = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def xy_to_lonlat(dx: float | np.ndarray, dy: float | np.ndarray) -> tuple:
    """Metres east/north of the south-west corner -> WGS84 lon, lat."""
    return _to_ll.transform(X0 + np.asarray(dx, dtype=float), Y0 + np.asarray(dy, dtype=float))


def square_precincts() -> gpd.GeoDataFrame:
    """Precincts A (0-2 km), B (2-4 km), C (4-6 km) in UTM 49N."""
    return gpd.GeoDataFrame(
        {
            "precinct_id": ["A", "B", "C"],
            "name": ["甲街道", "乙镇", "丙镇"],
            "population": [20000.0, 10000.0, 5000.0],
        },
        geometry=[box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000) for i in range(3)],
        crs=UTM,
    )


@pytest.fixture
def precincts_file(tmp_path: Path) -> Path:
    path = tmp_path / "precincts.geojson"
    square_precincts().to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def alert_rows() -> list[dict]:
    """10 good alerts: 5 in A, 3 in B, 1 in C, 1 outside (1 km east of C) -- WGS84."""
    spots = (
        [(500, 500)] * 3
        + [(1500, 1000), (1999, 1999)]
        + [(2500, 500), (3000, 1000), (3500, 1500)]
        + [(5000, 1000)]
        + [(7000, 1000)]
    )
    rows = []
    for i, (dx, dy) in enumerate(spots):
        lon, lat = xy_to_lonlat(dx, dy)
        rows.append(
            {
                "警情编号": f"JQ{i:03d}",
                "报警时间": f"2025-0{1 + i % 3}-1{i % 9} 19:2{i % 10}:00",
                "案件类别": ["刷单返利", "冒充公检法"][i % 2],
                "受害人年龄段": ["18-25", "60+"][i % 2],
                "经度": f"{float(lon):.7f}",
                "纬度": f"{float(lat):.7f}",
            }
        )
    return rows


@pytest.fixture
def scenario_factory(tmp_path: Path, precincts_file: Path):
    """Write alerts (rows -> CSV in the given encoding) and a scenario; return its path."""

    def make(
        rows: list[dict] | None = None,
        *,
        encoding: str = "utf-8",
        extra: str = "",
        alerts_name: str = "alerts.csv",
        alerts_extra: str = "",
        venues: str = "",
    ) -> Path:
        import pandas as pd

        rows = alert_rows() if rows is None else rows
        apath = tmp_path / alerts_name
        if alerts_name.endswith(".csv"):
            pd.DataFrame(rows).to_csv(apath, index=False, encoding=encoding)
        elif alerts_name.endswith(".xlsx"):
            pd.DataFrame(rows).to_excel(apath, index=False)
        sc = tmp_path / "scenario.toml"
        sc.write_text(
            f"""
[scenario]
name = "test"
title = "测试"

[precincts]
path = "{precincts_file.name}"
population_column = "population"

[alerts]
path = "{alerts_name}"
{alerts_extra}
{venues}
[output]
dir = "out"
{extra}
""",
            encoding="utf-8",
        )
        return sc

    return make


# --------------------------------------------------------------------------- backtest layout
# (shared by tests/backtest and test_reproducible)
#
# Metres east/north of the south-west corner of the 3 square precincts, 6 km x 2 km = 12 km²
# in all; plaza reach 300 m, straight line:
# - cluster P at (620, 1000): 6 alerts a month, reached by V0 (500, 1000) and V1 (700, 1000);
# - 1 alert a month at (300, 1000): reached by V0 only;
# - cluster Q at (3000, 1000): 4 alerts a month, reached by V2 only;
# - 1 alert a month at (5000, 1000): reached by V3 (5000, 1000) only;
# - V4 (1000, 1800) reaches nothing.
# With 2 sites the best is {V0, V2} (11 of 12 a month) while the two sites that reach most
# alerts on their own are V0 (7) and V1 (6), which overlap (7 of 12 together).

VENUES_XY = {
    "V0": (500, 1000),
    "V1": (700, 1000),
    "V2": (3000, 1000),
    "V3": (5000, 1000),
    "V4": (1000, 1800),
}
MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
SPOTS = [((620, 1000), 6), ((300, 1000), 1), ((3000, 1000), 4), ((5000, 1000), 1)]

CHANNELS = """
[channels.plazas]
label = "广场"
venue_kinds = ["plaza"]
budget = 2
radius_m = 300
"""


LAYOUT_HEADERS = ("警情编号", "报警时间", "案件类别", "经度", "纬度")


def layout_rows(headers: tuple[str, ...] = LAYOUT_HEADERS) -> list[dict]:
    """Alerts of the layout above, one set per month, with small jitter (< 15 m)."""
    rng = np.random.default_rng(7)
    rows = []
    n = 0
    for month in MONTHS:
        for (x, y), count in SPOTS:
            for i in range(count):
                lon, lat = xy_to_lonlat(x + rng.uniform(-10, 10), y + rng.uniform(-10, 10))
                h_id, h_time, h_cat, h_lon, h_lat = headers
                day = 1 + (3 * i + n) % 27
                rows.append(
                    {
                        h_id: f"A{n:04d}",
                        h_time: f"{month}-{day:02d} 1{i % 10}:05",
                        h_cat: ["刷单返利", "冒充公检法"][n % 2],
                        h_lon: f"{float(lon):.7f}",
                        h_lat: f"{float(lat):.7f}",
                    }
                )
                n += 1
    return rows


def venues_csv(path: Path) -> Path:
    """The layout's five plazas as a venues CSV (venue_id, kind, name, lon, lat)."""
    import pandas as pd

    recs = []
    for vid, (x, y) in VENUES_XY.items():
        lon, lat = xy_to_lonlat(x, y)
        recs.append(
            {
                "venue_id": vid,
                "kind": "plaza",
                "name": f"广场{vid}",
                "lon": float(lon),
                "lat": float(lat),
            }
        )
    pd.DataFrame(recs).to_csv(path, index=False, encoding="utf-8")
    return path
