"""Tiny layers whose answers can be checked by hand.

Three 2 km x 2 km square precincts side by side (A, B, C from west to east) near Huicheng,
built in UTM 49N (EPSG:32649) and written as WGS84 GeoJSON. ``xy_to_lonlat`` turns metre
offsets from the south-west corner into WGS84 lon/lat.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# --------------------------------------------------------------------------- test-suite time
# ``make test`` runs pytest on 2 processes (pytest-xdist ``-n 2 --dist loadscope
# --no-loadscope-reorder``; ``make test PYTEST_ARGS=`` runs serially): a test
# file runs whole in one process, so its module fixtures (a rendered folder, a browser) are
# built once, as in a serial run. Costly read-only outputs (the demo run, the engine's pandas
# reference plan) are built once per run for both processes (``build_once``). Session fixtures
# that are servers (the Dask cluster, PostgreSQL) start in each process that needs them.

#: test files (relative to tests/) that take longest, in the order the processes should start
#: them (longest first, so that neither process is left with a long file at the end); the demo
#: run (``demo_run``) is built by the first of them, long before test_cli.py needs it
SLOW_FIRST = (
    "render/test_map_glance.py",
    "test_wheel.py",
    "engine/test_dask_engine.py",
    "test_cli.py",
    "test_api.py",
    "render/test_browser.py",
    "backtest/test_command.py",
    "backtest/test_demand.py",
    "effect/test_cli_effect.py",
    "engine/test_postgis.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, put the slowest files first (tests keep their order within a file)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    tests = Path(__file__).resolve().parent
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}

    def key(item: pytest.Item) -> int:
        path = Path(item.path).resolve()
        rel = path.relative_to(tests).as_posix() if path.is_relative_to(tests) else ""
        return rank.get(rel, len(rank))

    items.sort(key=key)  # stable


def build_once(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """Build a read-only folder once per test run, shared by the pytest-xdist processes.

    ``build(folder)`` fills the empty ``folder`` and returns JSON-able facts about the run. In
    a serial run this is a plain temp folder; under xdist the first process to get here builds
    it in the run's shared temp folder (under a file lock), the others wait and reuse it.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = factory.mktemp(name)
        return folder, build(folder)
    import fcntl

    root = factory.getbasetemp().parent  # this run's temp folder, shared by its processes
    folder, facts = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not facts.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a failed earlier attempt
            folder.mkdir()
            facts.write_text(json.dumps(build(folder)), encoding="utf-8")
        return folder, json.loads(facts.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DemoRun:
    """One ``geo-outreach demo --quiet`` run: its folder (read-only!), exit code, stdout and the
    folders ``render_outputs`` was called on during the run."""

    out: Path
    code: int
    printed: str
    renders: tuple[Path, ...]


def _run_demo(folder: Path) -> dict[str, Any]:
    from geo_outreach.cli import main
    from geo_outreach.render import render_outputs

    renders: list[str] = []

    def counted(out: Any, **kw: Any) -> dict[str, Path]:
        renders.append(str(getattr(out, "path", out)))  # a path, or the folder read once (plan)
        return render_outputs(out, **kw)

    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(printed):
        for name in ("geo_outreach.plan", "geo_outreach.cli.plan", "geo_outreach.cli.evaluate"):
            mp.setattr(importlib.import_module(name), "render_outputs", counted)
        code = main(["demo", "--out", str(folder / "demo"), "--quiet"])
    return {"code": code, "printed": printed.getvalue(), "renders": renders}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The bundled demo through the CLI, run once per test run (it costs ~50 CPU s).

    Tests must not write into ``out``: copy it first (``shutil.copytree``) to re-render it.
    ``render_outputs`` is wrapped (as ``tests/test_cli.py`` did with ``monkeypatch``) so that a
    test can check the map and briefing are rendered once.
    """
    folder, facts = build_once(tmp_path_factory, "demo_run", _run_demo)
    return DemoRun(
        out=folder / "demo",
        code=facts["code"],
        printed=facts["printed"],
        renders=tuple(Path(p) for p in facts["renders"]),
    )


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
