"""Issue 13: ``demand = "forecast"`` on a channel (channels.demand + geo_outreach.forecast)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_outreach.channels.demand import channel_weights
from geo_outreach.channels.problem import channel_problem, solve_channel
from geo_outreach.forecast import ForecastChoice, forecast_cells
from geo_outreach.io import load_study
from geo_outreach.scenario import load_scenario

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xinhui_demo.toml"
UTM = "EPSG:32649"
TZ = "Asia/Shanghai"


def _choice(bw: float, hl: float) -> ForecastChoice:
    return ForecastChoice(bw, hl, 0.5, 0.4, pd.DataFrame())


def test_forecast_cells_raw_is_the_binned_weight_and_smoothing_keeps_the_total() -> None:
    x0, y0 = 700000.0, 2490000.0
    pts = gpd.points_from_xy([x0 + 100, x0 + 120, x0 + 900], [y0 + 100, y0 + 110, y0 + 400])
    at = pd.Timestamp("2026-06-01", tz=TZ)
    alerts = gpd.GeoDataFrame(
        {"reported_at": [at - pd.Timedelta(days=d) for d in (10, 40, 5)]}, geometry=pts, crs=UTM
    )
    area = box(x0, y0, x0 + 1000, y0 + 500)
    raw = forecast_cells(alerts, area, _choice(0.0, math.inf), at=at, cell_m=250.0)
    assert raw["weight"].tolist() == [1.0, 2.0] and raw["alerts"].tolist() == [1, 2]
    w = np.array([2.0, 1.0, 1.0])
    smooth = forecast_cells(alerts, area, _choice(250.0, 30.0), at=at, weights=w, cell_m=250.0)
    decay = (w * 0.5 ** (np.array([10, 40, 5]) / 30.0)).sum()
    assert smooth["weight"].sum() == pytest.approx(decay)  # scaled to the time-weighted weight
    assert len(smooth) > len(raw) and smooth["alerts"].sum() == 3


def test_a_forecast_channel_plans_on_the_surface_through_the_one_problem() -> None:
    sc = load_scenario(SAMPLE)
    data = load_study(sc)
    ch = dataclasses.replace(sc.channel("cafe_sleeves"), distance="straight", demand="forecast")
    pr = channel_problem(data, ch, data.alerts)
    fc = pr.forecast
    assert fc is not None and fc.folds == ("2026-08", "2026-09", "2026-10")
    assert fc.train_end == "2026-11-01" and fc.hit_rate >= fc.raw_hit_rate
    assert any(n.startswith("forecast demand: bandwidth") for n in pr.notes)
    d = pr.demand
    assert list(d.columns) == ["x", "y", "precinct_id", "weight", "alerts"]
    assert (d["precinct_id"] != "outside").all() and (d["weight"] > 0).all()
    inside = data.alerts[data.alerts["precinct_id"] != "outside"]
    total = channel_weights(inside, ch).sum()
    if math.isinf(fc.half_life_days):  # no decay: the surface keeps the channel's total weight
        assert d["weight"].sum() == pytest.approx(total, rel=0.02)  # minus cells outside
    assert pr.matrix.shape == (len(d), pr.m)
    sol = solve_channel(pr)
    assert len(sol.chosen) == ch.budget
    # raw demand (the default) is untouched: one row per unique alert location
    raw = channel_problem(data, dataclasses.replace(ch, demand="raw"), data.alerts)
    assert raw.forecast is None and raw.demand["alerts"].sum() == len(inside)
    # the backtest's per-alert rows ignore the setting (they are the scoring rows)
    per_alert = channel_problem(data, ch, data.alerts, aggregate=False)
    assert per_alert.forecast is None and len(per_alert.demand) == len(data.alerts)


def test_channel_demand_groups_like_a_pandas_groupby() -> None:
    """Issue 14: the numpy grouping gives the rows, order and sums of the groupby it replaced."""
    from geo_outreach.channels.demand import channel_demand

    rng = np.random.default_rng(3)
    n = 3000
    x = 700000.0 + rng.integers(0, 40, n) * 10.0 + rng.choice([0.0, 0.004, 0.006], n)
    y = 2490000.0 + rng.integers(0, 40, n) * 10.0
    pid = rng.choice(["p2", "p10", "p1", "outside"], n)
    cat = rng.choice(["a", "b", "c"], n)
    alerts = gpd.GeoDataFrame(
        {"precinct_id": pid, "category": cat, "age_band": ""},
        geometry=gpd.points_from_xy(x, y), crs=UTM,
    )  # fmt: skip
    sc = load_scenario(SAMPLE)
    ch = dataclasses.replace(sc.channel("cafe_sleeves"), category_weights={"a": 2.5, "b": 0.0})
    got, n_out = channel_demand(alerts, ch)
    a = alerts[alerts["precinct_id"] != "outside"]
    ref = (
        pd.DataFrame({"x": np.round(a.geometry.x, 2), "y": np.round(a.geometry.y, 2),
                      "precinct_id": a["precinct_id"].astype(str),
                      "weight": channel_weights(a, ch), "alerts": 1})
        .groupby(["x", "y", "precinct_id"], sort=True, as_index=False)
        .agg(weight=("weight", "sum"), alerts=("alerts", "sum"))
    )  # fmt: skip
    ref = ref[ref["weight"] > 0].reset_index(drop=True)
    assert n_out == int((pid == "outside").sum()) and len(got) < len(a)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_channel_demand_takes_the_places_made_once() -> None:
    """Issue 14: the plan makes the alerts' places once and passes them to every channel."""
    from geo_outreach.channels.demand import alert_places, channel_demand

    rng = np.random.default_rng(143)
    sc = load_scenario(SAMPLE)
    ch = dataclasses.replace(sc.channel("cafe_sleeves"), category_weights={"a": 3.0})

    def table(n: int) -> gpd.GeoDataFrame:
        xy = 700000.0 + np.round(rng.uniform(0, 50, (n, 2)))  # many alerts per place
        return gpd.GeoDataFrame(
            {"precinct_id": rng.choice(["A", "B", "outside"], n), "category": "a"},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM,
        )  # fmt: skip

    first, second = table(3000), table(2000)
    places = alert_places(first)
    got, n_out = channel_demand(first, ch, places)
    pd.testing.assert_frame_equal(got, channel_demand(first, ch)[0], check_exact=True)
    assert n_out == int((first["precinct_id"] == "outside").sum()) == places.n_out
    assert got["alerts"].sum() == 3000 - n_out and got["weight"].sum() == 3.0 * (3000 - n_out)
    with pytest.raises(ValueError, match="another alert table"):
        channel_demand(second, ch, places)


def test_the_centimetre_key_orders_like_the_lexsort() -> None:
    """Issue 14: one integer sort key gives the three-key lexsort's order, ties included."""
    from geo_outreach.channels.demand import _xy_order

    rng = np.random.default_rng(8)
    x = np.round(700000.0 + rng.integers(0, 50, 20000) * 0.37 + rng.uniform(0, 0.02, 20000), 2)
    y = np.round(2490000.0 - rng.integers(0, 50, 20000) * 0.51, 2)
    codes = rng.integers(0, 4, 20000)
    want = np.lexsort((codes, y, x))
    assert np.array_equal(_xy_order(x, y, codes, 4), want)
    x[5] = np.nan  # not finite: the plain lexsort
    assert np.array_equal(_xy_order(x, y, codes, 4), np.lexsort((codes, y, x)))
