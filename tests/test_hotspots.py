"""Gi* (checked against esda), DBSCAN clusters, time profiles and peak windows."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach._errors import InputDataError
from geo_outreach.hotspots import (
    HOT_CLASSES,
    alert_clusters,
    classify,
    cluster_labels,
    gi_star,
    grid_cells,
    hotspot_cells,
    peak_windows,
    time_profile,
)
from tests.conftest import UTM, X0, Y0

TZ = "Asia/Shanghai"


def points(x, y, *, times=None, cats=None, precinct=None) -> gpd.GeoDataFrame:
    n = len(x)
    t = pd.to_datetime(times if times is not None else ["2025-01-15 10:00"] * n).tz_localize(TZ)
    return gpd.GeoDataFrame(
        {
            "alert_id": [str(i) for i in range(n)],
            "reported_at": t,
            "category": cats if cats is not None else ["x"] * n,
            "precinct_id": precinct if precinct is not None else ["A"] * n,
        },
        geometry=gpd.points_from_xy(X0 + np.asarray(x, float), Y0 + np.asarray(y, float)),
        crs=UTM,
    )


@pytest.fixture
def seeded_cells() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    x = np.r_[rng.normal(1500, 300, 300), rng.uniform(0, 5000, 300)]
    y = np.r_[rng.normal(3500, 300, 300), rng.uniform(0, 5000, 300)]
    area = shapely.box(X0, Y0, X0 + 5000, Y0 + 5000)
    return grid_cells(points(x, y), area, cell_m=250)


def test_grid_cells_counts():
    a = points([10, 260, 260, 490, 1999], [10, 10, 20, 499, 1999])
    area = shapely.box(X0, Y0, X0 + 1000, Y0 + 500)
    cells = grid_cells(a, area, cell_m=250)
    assert len(cells) == 8  # 4 x 2 cells
    counts = dict(zip(cells.cell_id, cells.alerts, strict=True))
    assert counts["r1c0"] == 1 and counts["r1c1"] == 2 and counts["r0c1"] == 1
    assert cells.alerts.sum() == 4  # the point at (1999, 1999) is beyond the area
    assert cells.geometry.area.eq(250 * 250).all()


@pytest.mark.parametrize("distance_m", [260.0, 400.0, 760.0])
def test_gi_star_matches_esda(seeded_cells, distance_m):
    import esda  # the reference comes with the [test] extra: missing must fail, not skip
    import libpysal

    ours = gi_star(seeded_cells, distance_m=distance_m)
    cent = seeded_cells.geometry.centroid
    pts = np.column_stack([cent.x, cent.y])
    w = libpysal.weights.DistanceBand(pts, threshold=distance_m, binary=True, silence_warnings=True)
    ref = esda.getisord.G_Local(
        seeded_cells["alerts"].to_numpy(dtype=float), w, transform="B", star=True, permutations=0
    )
    np.testing.assert_allclose(ours["gi_z"].to_numpy(), ref.Zs, rtol=1e-6, atol=1e-6)
    # esda's p_norm is one-sided; ours is two-sided
    np.testing.assert_allclose(ours["p"].to_numpy(), 2 * ref.p_norm, rtol=1e-6, atol=1e-12)


def test_gi_star_finds_the_blob(seeded_cells):
    out = gi_star(seeded_cells, distance_m=400)
    assert set(out["hot_class"]) <= set(HOT_CLASSES)
    hot = out[out.hot_class == "hot99"]
    assert len(hot) >= 3
    c = hot.geometry.union_all().centroid
    assert abs(c.x - (X0 + 1500)) < 400 and abs(c.y - (Y0 + 3500)) < 400
    assert (out["p_fdr"] >= out["p"] - 1e-15).all()
    raw = gi_star(seeded_cells, distance_m=400, fdr=False)
    assert (raw.hot_class != "ns").sum() >= (out.hot_class != "ns").sum()
    assert list(seeded_cells.columns) == [
        "cell_id",
        "row",
        "col",
        "alerts",
        "geometry",
    ]  # not mutated


def test_gi_star_constant_values_and_bad_distance(seeded_cells):
    flat = seeded_cells.assign(alerts=3)
    out = gi_star(flat, distance_m=400)
    assert (out.gi_z == 0).all() and (out.hot_class == "ns").all()
    with pytest.raises(InputDataError, match="gi_distance_m"):
        gi_star(seeded_cells, distance_m=0)


def test_classify_levels():
    z = np.array([3.0, 2.0, 1.7, 0.1, -1.7, -2.0, -3.0])
    p = np.array([0.001, 0.03, 0.08, 0.9, 0.08, 0.03, 0.001])
    assert classify(z, p).tolist() == list(HOT_CLASSES)


def test_hotspot_cells_convenience():
    a = points([100.0] * 20 + [1900.0], [100.0] * 20 + [1900.0])
    out = hotspot_cells(a, shapely.box(X0, Y0, X0 + 2000, Y0 + 2000), cell_m=200, distance_m=300)
    assert out["alerts"].sum() == 21
    assert {"gi_z", "p", "p_fdr", "hot_class", "neighbours"} <= set(out.columns)
    assert np.isfinite(out["gi_z"]).all()


def test_dbscan_recovers_seeded_blobs():
    rng = np.random.default_rng(11)
    xa, ya = rng.normal(1000, 60, 120), rng.normal(1000, 60, 120)
    xb, yb = rng.normal(4000, 60, 60), rng.normal(3000, 60, 60)
    xn, yn = rng.uniform(0, 6000, 30), rng.uniform(0, 6000, 30)
    hours = np.r_[np.full(120, 20), np.full(60, 9), np.full(30, 3)]
    times = [f"2025-03-0{1 + i % 7} {h:02d}:30" for i, h in enumerate(hours)]
    cats = ["刷单返利"] * 84 + ["冒充电商物流客服"] * 36 + ["投资理财"] * 60 + ["x"] * 30
    a = points(np.r_[xa, xb, xn], np.r_[ya, yb, yn], times=times, cats=cats)
    lab = cluster_labels(a, eps_m=150, min_samples=10)
    assert (lab.iloc[:120] == 1).mean() > 0.95
    assert (lab.iloc[120:180] == 2).mean() > 0.95
    assert (lab.iloc[180:] == -1).mean() > 0.8
    cl = alert_clusters(a, eps_m=150, min_samples=10)
    assert cl["cluster_id"].tolist() == [1, 2]
    first = cl.iloc[0]
    assert first["top_categories"].startswith("刷单返利 7")
    assert "冒充电商物流客服 3" in first["top_categories"]
    assert first["peak_hours"] == "19-22"  # all at 20:30: the window centred on it
    assert cl.iloc[1]["top_categories"].startswith("投资理财 9")
    assert cl.geometry.contains(shapely.points(X0 + 1000, Y0 + 1000)).iloc[0]
    # same result when the grid snapping path is used
    snapped = cluster_labels(a, eps_m=150, min_samples=10, max_sites=10)
    assert (snapped.iloc[:120] == 1).mean() > 0.9


def test_all_alerts_at_one_point_make_one_cluster():
    a = points([500.0] * 20, [500.0] * 20)
    cl = alert_clusters(a, eps_m=300, min_samples=15)
    assert len(cl) == 1 and cl.iloc[0]["alerts"] == 20
    g = cl.geometry.iloc[0]
    assert g.is_valid and g.geom_type == "Polygon" and g.area > 7000  # 50 m buffer
    few = alert_clusters(a.iloc[:5], eps_m=300, min_samples=15)
    assert len(few) == 0 and "cluster_id" in few.columns


def test_time_profile_counts():
    times = [
        "2025-03-07 19:10",
        "2025-03-07 19:50",
        "2025-03-07 21:00",  # Fri
        "2025-03-08 08:00",
        "2025-03-10 19:00",
    ]  # Sat, Mon
    a = points([0.0] * 5, [0.0] * 5, times=times, precinct=["A", "A", "B", "B", "outside"])
    a["cluster_id"] = [1, 1, 1, -1, -1]
    tp = time_profile(a)
    assert list(tp.columns) == ["group_type", "group_id", "weekday", "hour", "alerts"]
    assert len(tp) == 168 * (1 + 3 + 1)
    assert tp.alerts.sum() == 5 + 5 + 3

    def get(gt, gid, wd, h):
        return int(
            tp.query(
                "group_type == @gt and group_id == @gid and weekday == @wd and hour == @h"
            ).alerts.iloc[0]
        )

    assert get("all", "all", 4, 19) == 2
    assert get("precinct_id", "A", 4, 19) == 2
    assert get("precinct_id", "B", 5, 8) == 1
    assert get("precinct_id", "outside", 0, 19) == 1
    assert get("cluster_id", "1", 4, 21) == 1
    with pytest.raises(InputDataError, match="no column"):
        time_profile(a, by="nope")


def test_peak_windows():
    times = (
        ["2025-03-07 19:10"] * 5
        + ["2025-03-07 21:30"] * 2
        + ["2025-03-14 20:00"] * 3  # Fri
        + ["2025-03-10 08:15"] * 4
        + ["2025-03-11 13:00"] * 1
    )
    a = points([0.0] * len(times), [0.0] * len(times), times=times)
    w = peak_windows(a, hours=3, top=3)
    assert w[0] == {
        "label_zh": "周五 19-22时",
        "label_en": "Fri 19-22h",
        "weekdays": [4],
        "start_hour": 19,
        "end_hour": 22,
        "alerts": 10,
        "share": round(10 / 15, 4),
    }
    assert w[1]["label_en"] == "Mon 7-10h" and w[1]["alerts"] == 4  # centred on 08:15
    assert w[2]["weekdays"] == [1] and w[2]["alerts"] == 1
    daily = peak_windows(a, hours=2, top=1, by_weekday=False)
    assert daily[0]["label_zh"] == "每天 19-21时" and daily[0]["weekdays"] == list(range(7))
    assert peak_windows(a.iloc[:0]) == []
