"""The analytics stage end to end: run_analytics on StudyData, write_analytics outputs."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_outreach._errors import InputDataError
from geo_outreach.analytics import OUTPUT_FILES, AnalyticsResult, run_analytics, write_analytics
from geo_outreach.density import DensityGrid
from geo_outreach.io import StudyData
from geo_outreach.join import assign_precincts
from geo_outreach.scenario import AnalysisConfig
from tests.conftest import UTM, X0, Y0, square_precincts

TZ = "Asia/Shanghai"


def study(x, y, times, cats) -> StudyData:
    prec = square_precincts()
    prec["area_km2"] = prec.area / 1e6
    alerts = gpd.GeoDataFrame(
        {
            "alert_id": [f"a{i}" for i in range(len(x))],
            "reported_at": pd.to_datetime(times).tz_localize(TZ),
            "category": cats,
            "age_band": "",
        },
        geometry=gpd.points_from_xy(X0 + np.asarray(x, float), Y0 + np.asarray(y, float)),
        crs=UTM,
    )
    alerts["precinct_id"] = assign_precincts(alerts, prec)
    venues = gpd.GeoDataFrame(
        {"venue_id": [], "kind": [], "name": [], "precinct_id": []}, geometry=[], crs=UTM
    )
    return StudyData(
        precincts=prec,
        alerts=alerts,
        venues=venues,
        streets=None,
        study_area=prec.union_all(),
        crs=prec.crs,
        rejects=pd.DataFrame(),
    )


@pytest.fixture
def data() -> StudyData:
    rng = np.random.default_rng(5)
    n_blob, n_bg = 150, 150
    x = np.r_[rng.normal(1000, 120, n_blob), rng.uniform(-500, 6500, n_bg)]
    y = np.r_[rng.normal(1000, 120, n_blob), rng.uniform(0, 2000, n_bg)]
    day = rng.integers(0, 420, n_blob + n_bg)
    hour = np.r_[rng.integers(19, 22, n_blob), rng.integers(0, 24, n_bg)]
    t = (
        pd.Timestamp("2024-06-01")
        + pd.to_timedelta(day, unit="D")
        + pd.to_timedelta(hour, unit="h")
    )
    cats = rng.choice(
        ["刷单返利", "冒充公检法", "投资理财"], n_blob + n_bg, p=[0.5, 0.3, 0.2]
    ).tolist()
    return study(x, y, t, cats)


def test_run_and_write(data, tmp_path):
    res = run_analytics(data, AnalysisConfig(cluster_eps_m=200, cluster_min_samples=10))
    assert isinstance(res, AnalyticsResult) and isinstance(res.density, DensityGrid)
    assert res.precinct_stats["precinct_id"].tolist() == ["A", "B", "C", "outside"]
    assert res.precinct_stats["alerts"].sum() == len(data.alerts)
    assert res.monthly_trends["month"].iloc[0] == "2024-06"
    assert res.hotspots.crs == data.crs and (res.hotspots.hot_class == "hot99").any()
    assert len(res.clusters) >= 1 and res.clusters.iloc[0]["alerts"] >= 100
    assert res.peak_windows and res.peak_windows[0]["start_hour"] in range(17, 22)
    assert {"precinct_id", "cluster_id"} <= set(res.time_profile["group_type"])
    assert res.settings["hotspot_cell_m"] == 250.0

    paths = write_analytics(res, tmp_path)
    assert [p.name for p in paths] == list(OUTPUT_FILES)
    stats = pd.read_csv(tmp_path / "precinct_stats.csv", encoding="utf-8-sig")
    assert stats["alerts_outside"].nunique() == 1
    trends = (tmp_path / "monthly_trends.csv").read_text(encoding="utf-8-sig").splitlines()
    assert (
        trends[0]
        == "precinct_id,month,alerts,mom_pct,yoy_pct,mom_p,yoy_p,mom_significant,yoy_significant,"
        "days_covered,partial"
    )
    assert "inf" not in "".join(trends)
    hot = json.loads((tmp_path / "hotspots.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in hot["features"]]
    assert all(p["alerts"] > 0 or p["hot_class"] != "ns" for p in props)
    assert len(props) < len(res.hotspots)
    lon, lat = hot["features"][0]["geometry"]["coordinates"][0][0]
    assert 108 < lon < 115 and 21 < lat < 24  # WGS84 degrees, not UTM metres
    clusters = json.loads((tmp_path / "clusters.geojson").read_text(encoding="utf-8"))
    assert clusters["features"][0]["properties"]["cluster_id"] == 1

    # deterministic: a second run writes byte-identical files
    before = {p.name: p.read_bytes() for p in paths}
    again = write_analytics(
        run_analytics(data, AnalysisConfig(cluster_eps_m=200, cluster_min_samples=10)),
        tmp_path / "again",
    )
    assert {p.name: p.read_bytes() for p in again} == before


def test_inputs_not_mutated(data):
    a0, p0 = data.alerts.copy(), data.precincts.copy()
    run_analytics(data, AnalysisConfig())
    pd.testing.assert_frame_equal(data.alerts, a0)
    pd.testing.assert_frame_equal(data.precincts, p0)


def test_empty_alerts_is_a_clear_error(data):
    empty = StudyData(**{**data.__dict__, "alerts": data.alerts.iloc[:0]})
    with pytest.raises(InputDataError, match="no alerts left after loading and filtering"):
        run_analytics(empty, AnalysisConfig())
    with pytest.raises(InputDataError, match=r"category_weights weigh every alert 0"):
        run_analytics(
            data,
            AnalysisConfig(category_weights={"刷单返利": 0.0, "冒充公检法": 0.0, "投资理财": 0.0}),
        )


def test_one_month_and_one_point(tmp_path):
    d = study([1000.0] * 20, [1000.0] * 20, ["2025-07-03 20:00"] * 20, ["刷单返利"] * 20)
    res = run_analytics(d, AnalysisConfig())
    assert res.monthly_trends[["mom_pct", "yoy_pct"]].isna().all().all()
    assert len(res.clusters) == 1 and res.clusters.iloc[0]["alerts"] == 20
    vals = res.density.values
    assert np.isfinite(vals[~np.isnan(vals)]).all() and np.nanmax(vals) > 0
    assert np.isfinite(res.hotspots["gi_z"]).all()
    paths = write_analytics(res, tmp_path)
    text = (tmp_path / "monthly_trends.csv").read_text(encoding="utf-8-sig")
    assert "A,2025-07,20,,,,,False,False" in text
    assert all(p.exists() for p in paths)


def test_hotspots_for_is_the_stages_hot_spot_step(data):
    from geo_outreach.analytics import hotspots_for

    cfg = AnalysisConfig(cluster_eps_m=200, cluster_min_samples=10)
    full = run_analytics(data, cfg).hotspots
    pd.testing.assert_frame_equal(hotspots_for(data, cfg, data.alerts), full)
    assert (full["hot_class"] == "hot99").any()  # the blob at (1000, 1000)
    # on a subset (a backtest's training period): the same as the whole stage on that subset
    before = data.alerts["reported_at"] < pd.Timestamp("2025-01-01", tz=TZ)
    early = data.alerts[before].reset_index(drop=True)
    sub = StudyData(**{**data.__dict__, "alerts": early})
    expected = run_analytics(sub, cfg).hotspots
    got = hotspots_for(data, cfg, early)
    pd.testing.assert_frame_equal(got, expected)
    assert 0 < got["alerts"].sum() < full["alerts"].sum()
