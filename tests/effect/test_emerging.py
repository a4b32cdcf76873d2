"""Emerging hot spots: Mann-Kendall vs scipy, Gi* per bin vs esda, the patterns (issue 13)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import Point, box

from geo_outreach.effect.emerging import (
    MannKendall,
    classify_pattern,
    emerging_hotspots,
    emerging_lines,
    mann_kendall,
    space_time_cube,
)

UTM = "EPSG:32649"
X0, Y0 = 708000.0, 2492000.0
TZ = "Asia/Shanghai"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mann_kendall_matches_kendall_tau(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0, 1, 24) + 0.05 * seed * np.arange(24), 1)  # ties on purpose
    x[:3] = x[3]
    ours = mann_kendall(x)
    ref = stats.kendalltau(np.arange(len(x)), x, method="asymptotic")
    assert np.sign(ours.s) == np.sign(ref.statistic)
    assert ours.p == pytest.approx(ref.pvalue, rel=1e-9)


def test_mann_kendall_flat_and_short_series() -> None:
    assert mann_kendall(np.ones(10)).p == 1.0
    assert mann_kendall(np.array([1.0, 2.0])).p == 1.0


NO_TREND = MannKendall(0.0, 0.0, 1.0)
UP = MannKendall(50.0, 3.0, 0.003)
DOWN = MannKendall(-50.0, -3.0, 0.003)


def seq(text: str) -> tuple[np.ndarray, np.ndarray]:
    """'H' hot, 'C' cold, '.' neither."""
    return np.array([c == "H" for c in text]), np.array([c == "C" for c in text])


@pytest.mark.parametrize(
    ("months", "trend", "pattern"),
    [
        ("..........H", NO_TREND, "new"),
        (".......HHHH", NO_TREND, "consecutive"),
        ("HHHHHHHHHHH", UP, "intensifying"),
        ("HHHHHHHHHHH", NO_TREND, "persistent"),
        ("HHHHHHHHHHH", DOWN, "diminishing"),
        ("..H..H...HH", NO_TREND, "sporadic"),
        ("C.H..C...HH", NO_TREND, "oscillating"),
        ("HHHHHHHHHHHHHHHHHHHH.", NO_TREND, "historical"),
        ("..H..H.....", NO_TREND, "none"),
        # cold spots: the same patterns with hot and cold swapped, the trend's sign flipped
        ("..........C", NO_TREND, "new_cold"),
        (".......CCCC", NO_TREND, "consecutive_cold"),
        ("CCCCCCCCCCC", DOWN, "intensifying_cold"),
        ("CCCCCCCCCCC", NO_TREND, "persistent_cold"),
        ("CCCCCCCCCCC", UP, "diminishing_cold"),
        ("..C..C...CC", NO_TREND, "sporadic_cold"),
        ("H.C..H...CC", NO_TREND, "oscillating_cold"),
        ("CCCCCCCCCCCCCCCCCCCC.", NO_TREND, "historical_cold"),
        ("..C..C.....", NO_TREND, "none"),
        ("HHHHHHHHHHC", NO_TREND, "new_cold"),  # the last month decides hot or cold
    ],
)
def test_patterns(months: str, trend: MannKendall, pattern: str) -> None:
    hot, cold = seq(months)
    assert classify_pattern(hot, cold, trend) == pattern


def test_every_pattern_has_a_label_and_a_colour() -> None:
    from geo_outreach.effect.emerging import PATTERNS
    from geo_outreach.i18n import t
    from geo_outreach.render.effect import PATTERN_COLORS

    assert len(PATTERNS) == 17 and len(set(PATTERNS)) == 17
    for p in PATTERNS:
        assert t(f"pattern_{p}", "zh") and t(f"pattern_{p}", "en")
        assert p == "none" or p in PATTERN_COLORS


def planted_alerts(seed: int = 7) -> tuple[gpd.GeoDataFrame, object, gpd.GeoDataFrame]:
    """12 months on a 10 x 10 km area of 1 km cells (west and east precincts).

    Background noise, a 2 x 2-cell blob that turns hot in the last month (around 2, 2 km) and one
    hot in the last 4 months (around 7, 7 km).
    """
    rng = np.random.default_rng(seed)
    months = pd.period_range("2026-01", "2026-12", freq="M")
    pts, times = [], []
    for k, m in enumerate(months):
        day = m.start_time
        for _ in range(100):  # background, uniform
            pts.append(Point(X0 + rng.uniform(0, 10000), Y0 + rng.uniform(0, 10000)))
            times.append(day + pd.Timedelta(days=int(rng.integers(0, 28))))
        for cx, cy, start in ((2000, 2000, 11), (7000, 7000, 8)):
            if k >= start:
                for _ in range(200):
                    dx, dy = rng.uniform(-950, 950, 2)
                    pts.append(Point(X0 + cx + dx, Y0 + cy + dy))
                    times.append(day + pd.Timedelta(days=int(rng.integers(0, 28))))
    alerts = gpd.GeoDataFrame(
        {"reported_at": pd.DatetimeIndex(times).tz_localize(TZ)}, geometry=pts, crs=UTM
    )
    area = box(X0, Y0, X0 + 10000, Y0 + 10000)
    precincts = gpd.GeoDataFrame(
        {"precinct_id": ["W", "E"], "name": ["西镇", "东镇"]},
        geometry=[box(X0, Y0, X0 + 5000, Y0 + 10000), box(X0 + 5000, Y0, X0 + 10000, Y0 + 10000)],
        crs=UTM,
    )
    return alerts, area, precincts


def test_gi_star_per_bin_matches_esda() -> None:
    import esda  # the reference comes with the [test] extra: missing must fail, not skip
    import libpysal

    alerts, area, _ = planted_alerts()
    cube = space_time_cube(alerts, area, cell_m=1000.0, distance_m=1500.0)
    assert cube.counts.shape == (100, 12) and cube.counts.sum() == len(alerts)
    cent = cube.cells.geometry.centroid
    w = libpysal.weights.DistanceBand(
        np.column_stack([cent.x, cent.y]), threshold=1500.0, binary=True, silence_warnings=True
    )
    for j in (0, 11):
        ref = esda.getisord.G_Local(cube.counts[:, j], w, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(cube.z[:, j], ref.Zs, rtol=1e-6, atol=1e-6)


def test_planted_new_and_consecutive_hot_spots_are_found() -> None:
    alerts, area, precincts = planted_alerts()
    out = emerging_hotspots(alerts, area, precincts, cell_m=1000.0, distance_m=1500.0)
    cent = out.geometry.centroid
    near = {(cx, cy): ((cent.x - X0 - cx).abs() < 1000) & ((cent.y - Y0 - cy).abs() < 1000)
            for cx, cy in ((2000, 2000), (7000, 7000))}  # fmt: skip
    assert set(out.loc[near[(2000, 2000)], "pattern"]) == {"new"}
    assert set(out.loc[near[(7000, 7000)], "pattern"]) == {"consecutive"}
    assert set(out.loc[near[(7000, 7000)], "run_start_month"]) == {"2026-09"}
    # the 8 planted cells + a few edge neighbours, no more
    assert (out["pattern"].isin(["new", "consecutive"])).sum() <= 12
    lines = emerging_lines(out, "en")
    assert "4 new hot spot(s) in 东镇 since 2026-09" in lines  # the 4-month blob
    west = [line for line in lines if "西镇" in line]
    assert len(west) == 1 and west[0].endswith("new hot spot(s) in 西镇 since 2026-12")


def test_month_bins_count_like_a_grid_per_month() -> None:
    """Issue 14: one pass over the alerts gives the counts of one grid_cells call per month."""
    from geo_outreach.effect.emerging import _month_bins
    from geo_outreach.hotspots import grid_cells

    rng = np.random.default_rng(2)
    x0, y0, n = 708000.0, 2492000.0, 2000
    times = pd.Timestamp("2026-01-01", tz=TZ) + pd.to_timedelta(rng.integers(0, 200, n), "D")
    alerts = gpd.GeoDataFrame(
        {"reported_at": times},
        geometry=gpd.points_from_xy(rng.uniform(x0 - 500, x0 + 4500, n),
                                    rng.uniform(y0 - 500, y0 + 3500, n)),
        crs=UTM,
    )  # fmt: skip
    area = box(x0, y0, x0 + 4000, y0 + 3000)
    months = ["2026-02", "2026-03", "2026-05"]  # not every month, and not the first
    cells, counts = _month_bins(alerts, area, 1000.0, months)
    month_of = alerts["reported_at"].dt.strftime("%Y-%m")
    for j, m in enumerate(months):
        expected = grid_cells(alerts[month_of == m], area, cell_m=1000.0)["alerts"]
        assert counts[:, j].tolist() == expected.astype(float).tolist()
    assert 0 < counts.sum() < n
