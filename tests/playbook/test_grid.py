"""Grid visits: generated grid covers each precinct once, capacity, walking order, shortfall."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geo_outreach._errors import InputDataError
from geo_outreach.playbook.grid import (
    benefit_scores,
    generated_grid,
    plan_grid_visits,
    walk_order,
)
from geo_outreach.scenario import ChannelConfig
from tests.conftest import REPO, UTM, X0, Y0, square_precincts

TZ = "Asia/Shanghai"


def _covers_exactly_once(precincts: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> None:
    for pid, geom in zip(precincts["precinct_id"], precincts.geometry, strict=True):
        mine = cells[cells["precinct_id"] == pid]
        assert len(mine) > 0
        # no gap: the union is the precinct; no overlap: the areas add up to it
        assert shapely.union_all(mine.geometry.values).symmetric_difference(geom).area < 1.0
        assert abs(mine.area.sum() - geom.area) < 1.0
        assert all(geom.buffer(1e-6).contains(g) for g in mine.geometry)
    assert cells["cell_id"].is_unique


def test_generated_grid_covers_each_precinct_exactly_once():
    sq = square_precincts()
    tri = gpd.GeoDataFrame(
        {"precinct_id": ["T"]},
        geometry=[Polygon([(X0, Y0), (X0 + 3700, Y0 + 300), (X0 + 900, Y0 + 2900)])],
        crs=UTM,
    )
    for precincts, size in ((sq, 700.0), (tri, 450.0)):
        _covers_exactly_once(precincts, generated_grid(precincts, size, "C"))
    xinhui = gpd.read_file(REPO / "data" / "boundaries" / "xinhui_precincts.geojson").to_crs(UTM)
    _covers_exactly_once(xinhui, generated_grid(xinhui, 2000.0, "P"))


def test_benefit_is_smoothed_rate_times_elderly():
    alerts = np.array([1.0, 0.0, 10.0, 0.0])
    elderly = np.array([1.0, 100.0, 100.0, 0.0])
    b = benefit_scores(alerts, elderly)
    r, k = 11.0 / 201.0, 100.0  # district rate, median elderly of populated cells
    assert np.allclose(b, [(1 + k * r) / (1 + k) * 1, (0 + k * r) / 200 * 100,
                           (10 + k * r) / 200 * 100, 0.0])  # fmt: skip
    assert b[0] < 1.0  # one alert among one resident is pulled towards the district rate
    assert b[2] > b[1] > 0


def test_walk_order_is_a_nearest_neighbour_permutation():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 1000, (12, 2))
    order = walk_order(xy, 3)
    assert order[0] == 3 and sorted(order) == list(range(12))
    for i in range(1, len(order)):
        here, left = xy[order[i - 1]], order[i:]
        d = [np.hypot(*(xy[j] - here)) for j in left]
        assert np.isclose(np.hypot(*(xy[order[i]] - here)), min(d))


def _alerts() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(11)
    xy = rng.uniform([0, 0], [6000, 2000], (200, 2))
    return gpd.GeoDataFrame(
        {
            "reported_at": pd.Timestamp("2026-01-05 10:00", tz=TZ),
            "category": rng.choice(["养老/保健品诈骗", "冒充公检法", "刷单返利"], 200),
            "age_band": rng.choice(["60+", "26-35"], 200),
        },
        geometry=[Point(X0 + a, Y0 + b) for a, b in xy],
        crs=UTM,
    )


def _residents(path: Path, cells: gpd.GeoDataFrame) -> Path:
    rng = np.random.default_rng(2)
    eld = rng.integers(0, 120, len(cells))
    pd.DataFrame(
        {"cell_id": cells["cell_id"], "elderly": eld,
         "living_alone": (eld * rng.uniform(0, 0.5, len(cells))).astype(int)}
    ).to_csv(path, index=False)  # fmt: skip
    return path


def _channel(residents: Path, **kw: object) -> ChannelConfig:
    base: dict[str, object] = {
        "type": "visits", "label": "入户走访", "residents": residents, "grid_size_m": 500.0,
        "category_weights": {"养老/保健品诈骗": 3.0, "冒充公检法": 2.0},
        "officer_per_week": 15, "worker_per_week": 40, "door_if_alone_share": 0.2,
    }  # fmt: skip
    base.update(kw)
    return ChannelConfig("elderly", **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("officer", "worker", "weeks"), [(15, 40, 2), (200, 500, 4), (1, 2, 1)])
def test_capacity_is_never_exceeded_and_the_rest_is_shortfall(tmp_path, officer, worker, weeks):
    sq = square_precincts()
    comm = generated_grid(sq, 500.0, "C")
    ch = _channel(_residents(tmp_path / "r.csv", comm), officer_per_week=officer,
                  worker_per_week=worker)  # fmt: skip
    gv = plan_grid_visits(ch, sq, _alerts(), weeks)
    v, cells = gv.visits, gv.cells
    assert any("generated" in n for n in gv.notes)
    c = cells[cells["role"] == "community"].set_index("cell_id")
    assert len(c) == len(comm) and c["benefit"].notna().all()
    pol = v[v["role"] == "police"]
    wk = v[v["role"] == "community"]
    assert (pol.groupby("visitor_id")["households"].sum() <= officer * weeks).all()
    assert (wk.groupby("visitor_id")["households"].sum() <= worker * weeks).all()
    assert v["week"].between(0, weeks).all()
    # households served + shortfall = the need of each cell
    need_alone = c["living_alone"].reindex(pol["cell_id"]).to_numpy()
    assert (pol["households"].to_numpy() <= need_alone).all()
    full = pol["households"].to_numpy() == need_alone
    assert ((pol["status"] == "scheduled").to_numpy() == full).all()
    if not full.all():
        assert any("shortfall" in n for n in gv.notes)
    # a police grid's visited cells form a walk 1..n; shortfall rows have order 0
    for _, grp in pol.groupby("visitor_id"):
        visited = grp[grp["households"] > 0]
        assert sorted(visited["order"]) == list(range(1, len(visited) + 1))
        assert (grp.loc[grp["households"] == 0, "order"] == 0).all()
        # the walk starts at the cell of highest benefit
        first = visited.sort_values("order").iloc[0]
        assert first["benefit"] == visited["benefit"].max()
    # mode by the scenario rule
    share = c["living_alone"] / c["elderly"].clip(lower=1)
    want = np.where(share >= 0.2, "door", "phone")
    assert (v["mode"].to_numpy() == pd.Series(want, index=c.index)[v["cell_id"]].to_numpy()).all()


def test_grid_files_are_used_and_residents_errors_are_clear(tmp_path):
    sq = square_precincts()
    comm = generated_grid(sq, 1000.0, "X")
    path = tmp_path / "community.geojson"
    comm.rename(columns={"cell_id": "grid_id"}).to_crs("EPSG:4326").to_file(path)
    ch = _channel(_residents(tmp_path / "r.csv", comm), community_grid=path)
    gv = plan_grid_visits(ch, sq, _alerts(), 2)
    c = gv.cells[gv.cells["role"] == "community"]
    assert sorted(c["cell_id"]) == sorted(comm["cell_id"]) and not c["generated"].any()
    assert gv.cells.loc[gv.cells["role"] == "police", "generated"].all()
    bad = pd.read_csv(tmp_path / "r.csv")
    bad.loc[3, "cell_id"] = "nowhere"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputDataError, match=r"bad.csv, line 5, column 'cell_id': cell 'nowhere'"):
        plan_grid_visits(_channel(tmp_path / "bad.csv", community_grid=path), sq, _alerts(), 2)
    bad = pd.read_csv(tmp_path / "r.csv")
    bad.loc[0, "living_alone"] = bad.loc[0, "elderly"] + 1
    bad.to_csv(tmp_path / "bad2.csv", index=False)
    with pytest.raises(InputDataError, match="line 2: living_alone"):
        plan_grid_visits(_channel(tmp_path / "bad2.csv", community_grid=path), sq, _alerts(), 2)


def test_shortfall_note_counts_the_households_left(tmp_path):
    sq = square_precincts()
    comm = generated_grid(sq, 500.0, "C")
    ch = _channel(_residents(tmp_path / "r.csv", comm), officer_per_week=5, worker_per_week=10)
    gv = plan_grid_visits(ch, sq, _alerts(), 1)
    total = int(pd.read_csv(tmp_path / "r.csv")["elderly"].sum())
    served = int(gv.visits["households"].sum())
    assert 0 < served < total
    assert any(f"{total - served} of {total} elderly households cannot be visited" in n
               for n in gv.notes)  # fmt: skip


def test_officer_rows_follow_the_walk_and_weeks_follow_capacity(tmp_path):
    sq = square_precincts()
    comm = generated_grid(sq, 500.0, "C")
    ch = _channel(_residents(tmp_path / "r.csv", comm), officer_per_week=20, worker_per_week=40)
    pol = plan_grid_visits(ch, sq, _alerts(), 3).visits.query("role == 'police'")
    for _, grp in pol.groupby("visitor_id", sort=False):
        walked = grp[grp["order"] > 0]
        assert walked["order"].tolist() == list(range(1, len(walked) + 1))  # rows in walk order
        before = walked["households"].cumsum() - walked["households"]
        assert (walked["week"].to_numpy() == (before // 20 + 1).to_numpy()).all()
        assert walked["week"].max() <= 3
