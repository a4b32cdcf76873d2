"""Issue 14 (10M rows): the loader's fast paths give exactly the answers of the plain ones.

The grid point-in-precinct join against the exact spatial-index join (borders, holes,
vertices), arrow number and time parsing against the object-column path, the pandas engine's
threaded slices against one slice, and Parquet reads of only the used columns.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import Polygon

from geo_outreach import crs as _crs
from geo_outreach import _pool, io
from geo_outreach._parquet import row_group_ranges
from geo_outreach._parse import to_float
from geo_outreach._precincts import load_precincts
from geo_outreach._times import parse_time_column
from geo_outreach.join import assign_precincts, precinct_codes, precinct_grid
from geo_outreach.scenario import load_scenario
from tests.conftest import UTM, X0, Y0, square_precincts

ROOT = Path(__file__).resolve().parents[2]
NOW = pd.Timestamp("2026-12-01", tz="Asia/Shanghai")


def _precincts() -> gpd.GeoDataFrame:
    """The three squares plus a slanted precinct with a hole (ids out of order)."""
    sq = square_precincts()
    slant = Polygon(
        [(X0, Y0 + 2000), (X0 + 6000, Y0 + 2000), (X0 + 5000, Y0 + 4500), (X0 + 700, Y0 + 3900)],
        holes=[[(X0 + 2000, Y0 + 2500), (X0 + 3000, Y0 + 2500), (X0 + 2500, Y0 + 3300)]],
    )
    extra = gpd.GeoDataFrame({"precinct_id": ["0D"]}, geometry=[slant], crs=UTM)
    return gpd.GeoDataFrame(pd.concat([sq[["precinct_id", "geometry"]], extra]), crs=UTM)


@pytest.mark.parametrize("cells", [40, 5000, None])  # None: under GRID_MIN_POINTS, no grid
def test_grid_join_equals_the_exact_join(cells):
    prec = _precincts()
    rng = np.random.default_rng(14)
    x = rng.uniform(X0 - 500, X0 + 6500, 20_000)
    y = rng.uniform(Y0 - 500, Y0 + 5000, 20_000)
    ring = shapely.get_coordinates(shapely.boundary(prec.geometry.values))
    mid = (ring[:-1] + ring[1:]) / 2  # on the borders (and a few chords between rings)
    on_x = np.full(200, X0 + 2000.0)  # the shared A|B border: A by the border rule
    x = np.r_[x, ring[:, 0], mid[:, 0], on_x, np.nan]
    y = np.r_[y, ring[:, 1], mid[:, 1], rng.uniform(Y0, Y0 + 1999, 200), 1.0]
    grid = precinct_grid(prec, cells=cells) if cells else None
    codes, ids = precinct_codes(x, y, prec, grid)
    got = np.append(ids, "outside").astype(object)[codes]
    want = assign_precincts(gpd.GeoSeries(gpd.points_from_xy(x, y), crs=UTM), prec).to_numpy()
    assert (got == want).all()
    assert set(got[-201:-1]) == {"A"}
    if grid is not None:  # most cells are whole: the exact test is the exception
        assert (grid.cell == -2).mean() < 0.9


def test_arrow_numbers_equal_the_object_path():
    rng = np.random.default_rng(3)
    v = rng.uniform(-180, 180, 2000)
    cells = [f"{a:.{k}f}" for a, k in zip(v, rng.integers(0, 17, len(v)), strict=True)]
    cells += [repr(a) for a in v[:200]]
    cells += ["1e5", "-0", "+3.5", ".5", "5.", " 7.25 ", "0x10", "inf", "nan", "1_000", "",
              None, "待定", "113,05", "东经113度5分30秒", "22°30.5'N", "1.5e-3"]  # fmt: skip
    arrow = to_float(pd.Series(cells, dtype="str"))
    plain = to_float(pd.Series(cells, dtype=object))
    pd.testing.assert_series_equal(arrow, plain)
    assert arrow.iloc[-2] == pytest.approx(22.508333333)


def test_arrow_times_equal_the_object_path():
    cells = ["2025/7/14 19:23", "14/07/2025 19:23", "2025年7月14日 19时23分", " ", None, "待补录",
             "19:23", "9999-12-31", "45678", "45678.5", "2025-7-4 9:05", "2025/13/01",
             "2025-07-04", "3/4/2025 8:00", "2025-07-04 09:05:07"]  # fmt: skip
    got = [
        parse_time_column(pd.Series(cells, dtype=d), "Asia/Shanghai", not_after=NOW)
        for d in ("str", object)
    ]
    pd.testing.assert_series_equal(got[0].times, got[1].times)
    pd.testing.assert_series_equal(got[0].reasons, got[1].reasons)
    assert (got[0].order, got[0].warnings) == (got[1].order, got[1].warnings)
    assert got[0].times.iloc[1] == pd.Timestamp("2025-07-14 19:23+08:00")


def _make_large():
    spec = importlib.util.spec_from_file_location("make_large", ROOT / "scripts/make_large.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """2000 messy make_large rows as CSV and Parquet, with the loader's keyword arguments."""
    out = tmp_path_factory.mktemp("messy")
    ml = _make_large()
    df = ml.make_frame(2000, 11)
    csv = out / "alerts.csv"
    df.to_csv(csv, index=False)
    df.to_parquet(out / "alerts.parquet", index=False)
    sc = load_scenario(ml.write_scenario(csv, out))
    ll, _, _ = load_precincts(sc.precincts)
    crs = _crs.working_crs(ll)
    pm = ll.to_crs(crs)
    area = shapely.union_all(pm.geometry.values)
    kw = {"tz": "Asia/Shanghai", "precincts_m": pm, "study_area": area, "crs": crs, "now": NOW}
    return {"dir": out, "sc": sc, "kw": kw, "csv": csv, "columns": list(df.columns)}


@pytest.mark.parametrize("threads", [1, 2])
def test_threaded_slices_equal_one_slice(messy, monkeypatch, threads):
    cfg = messy["sc"].alerts
    whole, rej, facts = io.load_alerts(cfg, **messy["kw"])
    monkeypatch.setattr(io, "CLEAN_ROWS", 300)
    monkeypatch.setattr(io, "CLEAN_THREADS", threads)
    sliced, rej2, facts2 = io.load_alerts(cfg, **messy["kw"])
    pd.testing.assert_frame_equal(pd.DataFrame(sliced), pd.DataFrame(whole))
    pd.testing.assert_frame_equal(rej2, rej)
    assert facts2 == facts
    assert rej["reason"].str.startswith("duplicate id").any()  # the global pass ran on slices


@pytest.mark.parametrize("fmt", ["csv", "parquet", "row_groups"])
def test_process_slices_equal_one_slice(messy, monkeypatch, tmp_path, fmt):
    """Slices cleaned in 2 worker processes give the threaded path's alerts, rejects, facts.

    ``parquet``: one row group, read by the parent in batches; ``row_groups``: groups of 300
    rows (= the slices), which the workers read themselves (``_pool.ParquetRange``).
    """
    cfg = messy["sc"].alerts
    if fmt != "csv":
        path = messy["dir"] / "alerts.parquet"
        if fmt == "row_groups":
            pq.write_table(pq.read_table(path), tmp_path / "groups.parquet", row_group_size=300)
            path = tmp_path / "groups.parquet"
            assert len(row_group_ranges(path, 300) or []) == 7  # 2000 rows: 6 x 300 + 200
        cfg = dataclasses.replace(cfg, path=path)
    want, want_rej, want_facts = io.load_alerts(cfg, **messy["kw"])  # small: threads
    monkeypatch.setattr(io, "CLEAN_ROWS", 300)
    monkeypatch.setattr(io, "PROCESS_MIN_ROWS", 1)
    _pool.WORKER_STATS.clear()
    got, rej, facts = io.load_alerts(cfg, **messy["kw"])
    assert _pool.WORKER_STATS and os.getpid() not in _pool.WORKER_STATS  # cleaned elsewhere
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want))
    assert got.crs == want.crs
    pd.testing.assert_frame_equal(rej, want_rej)
    assert facts == want_facts
    assert rej["reason"].str.startswith("duplicate id").any()  # across slices, after the pool


def test_row_group_ranges_keep_groups_whole(tmp_path):
    path = tmp_path / "g.parquet"
    pq.write_table(pa.table({"a": np.arange(1000)}), path, row_group_size=200)
    assert row_group_ranges(path, 450) == [(0, 400), (400, 800), (800, 1000)]
    assert row_group_ranges(path, 200) == [
        (0, 200),
        (200, 400),
        (400, 600),
        (600, 800),
        (800, 1000),
    ]
    assert row_group_ranges(path, 99) is None  # a group of 200 > 2 x 99: decoded many times


def test_small_layers_are_not_sent_to_processes(messy, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a 2,000-row layer started worker processes")

    monkeypatch.setattr(io, "clean_in_processes", no_pool)
    monkeypatch.setattr(io, "start_early", no_pool)
    alerts, _, _ = io.load_alerts(messy["sc"].alerts, **messy["kw"])
    assert len(alerts) > 1000


def test_workers_do_not_rerun_an_unguarded_script(tmp_path):
    """A script without ``if __name__ == "__main__":`` runs once, not again in each worker."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from geo_outreach import _pool\n"
        "_pool.PRELOAD.clear()  # the fork server imports nothing: a cheaper test\n"
        "print('script ran', flush=True)\n"
        "with _pool._main_hidden():\n"
        "    pool = ProcessPoolExecutor(1, mp_context=_pool._mp_context())\n"
        "    got = pool.submit(abs, -3)\n"
        "print('worker says', got.result(), flush=True)\n"
        "pool.shutdown()\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["script ran", "worker says 3"]


def test_parquet_reads_only_the_used_columns(messy):
    cfg = dataclasses.replace(messy["sc"].alerts, path=messy["dir"] / "alerts.parquet")
    df, cols, _, _ = io.read_alerts(cfg)
    used = {c for c in cols.values() if c}
    assert set(df.columns) == used | {"_row"}
    assert set(messy["columns"]) - used  # the file has columns the loader does not read
    got, rej, _ = io.load_alerts(cfg, **messy["kw"])
    want, want_rej, _ = io.load_alerts(messy["sc"].alerts, **messy["kw"])
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want))
    assert (rej["row"].astype(int) + 1 == want_rej["row"].astype(int)).all()  # parquet row + 1
    assert (rej["column"] == want_rej["column"]).all()


def test_squares_need_no_exact_test_inside():
    prec = square_precincts()
    grid = precinct_grid(prec, cells=600)
    inner = shapely.points(X0 + 1000.0, Y0 + 1000.0)
    ix = int((shapely.get_x(inner) - grid.x0) // grid.size)
    iy = int((shapely.get_y(inner) - grid.y0) // grid.size)
    assert grid.ids[grid.cell[ix, iy]] == "A"  # a whole cell inside A: no exact test
