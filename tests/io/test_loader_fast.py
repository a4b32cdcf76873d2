"""Issue 14 (10M rows): the loader's fast paths give exactly the answers of the plain ones.

The grid point-in-precinct join against the exact spatial-index join (borders, holes,
vertices), arrow number and time parsing against the object-column path, the pandas engine's
threaded slices against one slice, and Parquet reads of only the used columns.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from geo_outreach import crs as _crs
from geo_outreach import io
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
