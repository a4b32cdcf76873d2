"""Precinct statistics and monthly trends on a hand-made layout (3 squares A, B, C of 2 km)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_outreach._errors import InputDataError
from geo_outreach.join import assign_precincts
from geo_outreach.stats import (
    change_p,
    format_change,
    monthly_trends,
    pct_change,
    precinct_stats,
)
from tests.conftest import UTM, X0, Y0, square_precincts

TZ = "Asia/Shanghai"


def make_alerts(spots: list[tuple[float, float, str, str]]) -> gpd.GeoDataFrame:
    """(dx, dy, 'YYYY-MM-DD HH:MM', category) in metres from the layout's south-west corner."""
    dx, dy, t, cat = zip(*spots, strict=True)
    g = gpd.GeoDataFrame(
        {
            "alert_id": [f"a{i}" for i in range(len(spots))],
            "reported_at": pd.to_datetime(list(t)).tz_localize(TZ),
            "category": list(cat),
            "age_band": "",
        },
        geometry=gpd.points_from_xy(X0 + np.array(dx), Y0 + np.array(dy)),
        crs=UTM,
    )
    g["precinct_id"] = assign_precincts(g, square_precincts())
    return g


@pytest.fixture
def layout() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """10 alerts: A 4 (+1 on the A|B border -> A), B 2 (+1 on B|C -> B), C 1, outside 1."""
    spots = [
        (500, 500, "2025-01-05 19:10", "刷单返利"),
        (600, 500, "2025-01-06 20:10", "刷单返利"),
        (700, 1500, "2025-02-07 09:00", "冒充公检法"),
        (1500, 1000, "2025-03-08 21:00", "刷单返利"),
        (2000, 1000, "2025-03-09 22:00", "冒充公检法"),  # A|B border -> A (sorts first)
        (2500, 500, "2025-01-10 10:00", "刷单返利"),
        (3500, 1500, "2025-03-11 11:00", "刷单返利"),
        (4000, 300, "2025-03-12 12:00", "冒充公检法"),  # B|C border -> B
        (5000, 1000, "2025-02-13 13:00", "刷单返利"),
        (7000, 1000, "2025-03-14 14:00", "刷单返利"),  # 1 km east of C: outside
    ]
    return make_alerts(spots), square_precincts()


def test_precinct_counts_match_hand_layout(layout):
    alerts, prec = layout
    df = precinct_stats(alerts, prec)
    assert df["precinct_id"].tolist() == ["A", "B", "C", "outside"]
    assert df["alerts"].tolist() == [5, 3, 1, 1]
    assert df["alerts_outside"].tolist() == [1, 1, 1, 1]
    assert df["area_km2"].iloc[:3].tolist() == [4.0, 4.0, 4.0]
    assert math.isnan(df["area_km2"].iloc[3])
    assert df["alerts_per_km2"].iloc[:3].tolist() == [1.25, 0.75, 0.25]
    # population A 20000, B 10000, C 5000 -> per 10k residents
    assert df["alerts_per_10k"].iloc[:3].tolist() == [2.5, 3.0, 2.0]
    assert df["cat_刷单返利"].tolist() == [3, 2, 1, 1]
    assert df["cat_冒充公检法"].tolist() == [2, 1, 0, 0]
    assert df["top_category"].tolist() == ["刷单返利", "刷单返利", "刷单返利", "刷单返利"]
    assert df["share_pct"].tolist() == [50.0, 30.0, 10.0, 10.0]
    # latest month 2025-03: A 2 (from 1 in Feb), B 2 (from 0), C 0 (from 1)
    assert set(df["latest_month"]) == {"2025-03"}
    assert df["latest_alerts"].tolist() == [2, 2, 0, 1]
    assert df["mom_pct"].iloc[0] == 100.0
    assert math.isnan(df["mom_pct"].iloc[1])  # earlier month zero -> n/a
    assert df["mom_pct"].iloc[2] == -100.0
    assert df["mom_significant"].tolist() == [False, False, False, False]


def test_population_unknown_gives_nan_rate(layout):
    alerts, prec = layout
    prec = prec.assign(population=[np.nan, 10000.0, 5000.0])
    df = precinct_stats(alerts, prec)
    assert math.isnan(df["alerts_per_10k"].iloc[0])
    assert df["alerts_per_10k"].iloc[1] == 3.0
    no_pop = precinct_stats(alerts, prec.drop(columns="population"))
    assert no_pop["alerts_per_10k"].isna().all()


def test_monthly_trends_shape_and_zero_months(layout):
    alerts, prec = layout
    tr = monthly_trends(alerts, prec)
    assert list(tr.columns) == [
        "precinct_id",
        "month",
        "alerts",
        "mom_pct",
        "yoy_pct",
        "mom_p",
        "yoy_p",
        "mom_significant",
        "yoy_significant",
        "days_covered",
        "partial",
    ]
    assert tr["precinct_id"].unique().tolist() == ["all", "A", "B", "C", "outside"]
    assert tr["month"].unique().tolist() == ["2025-01", "2025-02", "2025-03"]
    b = tr[tr.precinct_id == "B"]["alerts"].tolist()
    assert b == [1, 0, 2]  # Feb present as 0
    # "all" = every alert inside the study area (outside excluded)
    assert tr[tr.precinct_id == "all"]["alerts"].tolist() == [3, 2, 4]
    # first month: no earlier month -> NaN; year on year: no data a year back -> NaN everywhere
    assert tr[tr.month == "2025-01"]["mom_pct"].isna().all()
    assert tr[tr.month == "2025-01"]["mom_p"].isna().all()
    assert tr["yoy_pct"].isna().all() and tr["yoy_p"].isna().all()
    assert not tr["yoy_significant"].any()
    assert np.isfinite(tr["mom_pct"].dropna()).all()
    # data from 2025-01-05 to 2025-03-14: January and March are partial, for every series
    district = tr[tr.precinct_id == "all"]
    assert district["days_covered"].tolist() == [27, 28, 14]
    assert district["partial"].tolist() == [True, False, True]
    assert tr.groupby("month")["days_covered"].nunique().eq(1).all()


def test_partial_month_flag_on_generated_months():
    """Whole months are not partial; a month cut short in its own timezone is."""
    spots = [(500, 500, "2025-04-01 00:30", "x"), (600, 500, "2025-05-31 23:50", "y")]
    tr = monthly_trends(make_alerts(spots), square_precincts())
    district = tr[tr.precinct_id == "all"]
    assert district["days_covered"].tolist() == [30, 31]
    assert not district["partial"].any()
    spots.append((700, 500, "2025-06-12 08:00", "z"))
    tr = monthly_trends(make_alerts(spots), square_precincts())
    district = tr[tr.precinct_id == "all"].set_index("month")
    assert district.loc["2025-06", "days_covered"] == 12
    assert district["partial"].tolist() == [False, False, True]


def test_single_month_gives_na_changes():
    alerts = make_alerts(
        [(500, 500, "2025-07-01 10:00", "x"), (2500, 500, "2025-07-20 10:00", "y")]
    )
    tr = monthly_trends(alerts, square_precincts())
    assert tr["month"].unique().tolist() == ["2025-07"]
    assert tr[["mom_pct", "yoy_pct", "mom_p", "yoy_p"]].isna().all().all()
    st = precinct_stats(alerts, square_precincts())
    assert st[["mom_pct", "yoy_pct"]].isna().all().all()


def test_police_report_arithmetic():
    assert float(pct_change(93, 123)) == -24.39
    assert float(pct_change(93, 102)) == -8.82
    assert float(pct_change(4, 2)) == 100.0
    assert math.isnan(float(pct_change(5, 0)))
    assert math.isnan(float(pct_change(5, np.nan)))
    assert math.isnan(float(pct_change(0, 0)))


def test_mom_yoy_on_known_numbers():
    """93 alerts in July 2025, 123 in June 2025, 102 in July 2024."""
    t = ["2024-07-15 10:00"] * 102 + ["2025-06-15 10:00"] * 123 + ["2025-07-15 10:00"] * 93
    alerts = make_alerts([(500, 500, s, "刷单返利") for s in t])
    tr = monthly_trends(alerts, square_precincts())
    row = tr[(tr.precinct_id == "A") & (tr.month == "2025-07")].iloc[0]
    assert row["alerts"] == 93
    assert row["mom_pct"] == -24.39
    assert row["yoy_pct"] == -8.82
    assert not row["mom_significant"] or row["mom_p"] < 0.05
    assert row["mom_p"] == pytest.approx(0.048221, abs=1e-6)  # binomtest(93, 216, 0.5)
    assert row["mom_significant"]
    assert row["yoy_p"] > 0.05 and not row["yoy_significant"]
    # months between are present with 0 alerts; a zero earlier month gives n/a
    assert len(tr[tr.precinct_id == "A"]) == 13
    jun = tr[(tr.precinct_id == "A") & (tr.month == "2025-06")].iloc[0]
    assert math.isnan(jun["mom_pct"]) and jun["mom_p"] < 1e-30
    assert "2025年7月警情93宗，环比下降24.39%，同比下降8.82%（变化不显著）" == format_change(
        "2025-07", 93, mom_pct=-24.39, yoy_pct=-8.82, mom_p=row["mom_p"], yoy_p=row["yoy_p"]
    )


def test_two_to_four_is_not_significant():
    p = float(change_p(4, 2))
    assert p == pytest.approx(0.6875)
    assert p > 0.05
    assert math.isnan(float(change_p(0, 0)))
    assert math.isnan(float(change_p(3, np.nan)))
    assert float(change_p(30, 5)) < 0.05


def test_format_change_english_and_na():
    s = format_change("2025-07", 93, mom_pct=-24.39, yoy_pct=float("nan"), lang="en")
    assert s == "93 alerts in July 2025, −24.39% month on month, n/a year on year"
    assert format_change("2025-07", 4, mom_pct=100.0, mom_p=0.69, lang="en").endswith(
        "+100.00% month on month (not significant), n/a year on year"
    )
    assert "同比无可比数据" in format_change("2025-07", 4, mom_pct=0.0)


def test_empty_alerts_names_the_filter(layout):
    alerts, prec = layout
    with pytest.raises(InputDataError, match="category = 诈骗X.*no alerts left"):
        from geo_outreach.stats import check_alerts

        check_alerts(alerts.iloc[:0], source="alerts (category = 诈骗X)")
    with pytest.raises(InputDataError, match="no alerts left"):
        precinct_stats(alerts.iloc[:0], prec)


def test_unknown_precinct_id_is_an_error(layout):
    alerts, prec = layout
    with pytest.raises(InputDataError, match="not in the precinct layer"):
        monthly_trends(alerts, prec[prec.precinct_id != "C"])


def test_inputs_not_mutated(layout):
    alerts, prec = layout
    a0, p0 = alerts.copy(), prec.copy()
    precinct_stats(alerts, prec)
    pd.testing.assert_frame_equal(alerts, a0)
    pd.testing.assert_frame_equal(prec, p0)
