"""Firm and school visits: assignment, exposure order, window, capacity, shortfall, .ics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import icalendar
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo_outreach._errors import InputDataError, ScenarioError
from geo_outreach.playbook.visits import plan_visits, write_station_calendars
from geo_outreach.scenario import ChannelConfig
from tests.conftest import UTM, X0, Y0, square_precincts, xy_to_lonlat

TZ = "Asia/Shanghai"


def _firms(path: Path, n: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.uniform(50, 5950, n)
    y = rng.uniform(50, 1950, n)
    x[-1] = 9000.0  # one firm outside every precinct
    lon, lat = xy_to_lonlat(x, y)
    pd.DataFrame(
        {
            "firm_id": [f"F{i:03d}" for i in range(n)],
            "name": [f"企业{i}" for i in range(n)],
            "employees": rng.integers(5, 500, n),
            "lon": lon,
            "lat": lat,
        }
    ).to_csv(path, index=False)
    return path


def _alerts(n: int = 60) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    xy = rng.uniform([0, 0], [2000, 2000], (n, 2))  # all in precinct A
    return gpd.GeoDataFrame(
        {
            "reported_at": pd.Timestamp("2026-01-05 10:00", tz=TZ),
            "category": ["冒充领导熟人", "刷单返利"] * (n // 2),
            "age_band": "",
        },
        geometry=[Point(X0 + a, Y0 + b) for a, b in xy],
        crs=UTM,
    )


def _channel(firms: Path, **kw: object) -> ChannelConfig:
    base: dict[str, object] = {
        "type": "visits",
        "label": "企业走访",
        "firms": firms,
        "radius_m": 500.0,
        "category_weights": {"冒充领导熟人": 1.0},
        "window_start": dt.date(2026, 6, 15),
        "window_end": dt.date(2026, 6, 24),
        "daily_capacity": 2,
        "work_hours": (9, 17),
        "visit_minutes": 90,
    }
    base.update(kw)
    return ChannelConfig("firms", **base)  # type: ignore[arg-type]


def _check_schedule(s: pd.DataFrame, ch: ChannelConfig) -> None:
    done = s[s["status"] == "scheduled"]
    assert set(s["status"]) <= {"scheduled", "shortfall", "outside"}
    assert ((s["status"] == "scheduled") == (s["date"] != "")).all()
    days = pd.to_datetime(done["date"]).dt.date
    assert days.between(ch.window_start, ch.window_end).all()
    per_day = done.groupby(["station_id", "date"]).size()
    assert per_day.max() <= ch.daily_capacity
    lunch = [int(x[:2]) * 60 + int(x[3:]) for x in ch.lunch.split("-")] if ch.lunch else None
    for start, end in zip(done["start"], done["end"], strict=True):
        t0, t1 = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
        assert t0.hour >= ch.work_hours[0] and (t1.hour, t1.minute) <= (ch.work_hours[1], 0)
        # never on a day off (weekend by default, skip_dates) and never across the lunch break
        assert t0.isoweekday() in ch.weekdays and t0.date() not in ch.skip_dates
        if lunch:
            a, b = t0.hour * 60 + t0.minute, t1.hour * 60 + t1.minute
            assert b <= lunch[0] or a >= lunch[1], (start, end)
    # a station's visits happen in its exposure order, and no two overlap
    for _, grp in done.groupby("station_id"):
        grp = grp.sort_values("order")
        assert grp["exposure"].is_monotonic_decreasing
        assert pd.Index(grp["start"]).is_monotonic_increasing and grp["start"].is_unique


@pytest.mark.parametrize(("n", "cap"), [(30, 2), (71, 1), (71, 3)])
def test_every_firm_is_scheduled_in_the_window_or_in_the_shortfall(tmp_path, n, cap):
    ch = _channel(_firms(tmp_path / "firms.csv", n), daily_capacity=cap)
    vp = plan_visits(ch, square_precincts(), _alerts(), TZ)
    s = vp.schedule
    assert sorted(s["target_id"]) == [f"F{i:03d}" for i in range(n)]
    assert s.loc[s["target_id"] == f"F{n - 1:03d}", "status"].item() == "outside"
    assert any("outside every precinct" in m for m in vp.notes)
    _check_schedule(s, ch)
    # June 15-24 2026 has 8 weekdays; 9:00, 10:30, (lunch 12-14) 14:00, 15:30 -> 4 a day
    slots = 8 * min(cap, 4)
    for sid, grp in s[s["status"] != "outside"].groupby("station_id"):
        assert (grp["status"] == "scheduled").sum() == min(len(grp), slots), sid
        short = (grp["status"] == "shortfall").sum()
        if short:
            assert any(f"{short} cannot be visited" in m for m in vp.notes)


def test_infeasible_window_names_the_shortfall_and_the_capacity_needed(tmp_path):
    ch = _channel(_firms(tmp_path / "firms.csv", 40), daily_capacity=1,
                  window_end=dt.date(2026, 6, 16))  # fmt: skip
    vp = plan_visits(ch, square_precincts(), _alerts(), TZ)
    s = vp.schedule
    a = s[s["station_id"] == "A"]
    assert (a["status"] == "scheduled").sum() == 2
    msg = next(m for m in vp.notes if "甲街道" in m)
    assert f"{len(a) - 2} cannot be visited" in msg and "Raise daily_capacity to" in msg


def test_exposure_ranks_firms_near_targeted_alerts_first(tmp_path):
    path = tmp_path / "f.csv"
    lon, lat = xy_to_lonlat(np.array([1000.0, 1000.0, 1900.0]), np.array([1000.0, 1000.0, 100.0]))
    firms = {"id": ["near_big", "near_small", "far"], "name": ["a", "b", "c"],
             "employees": [100, 10, 1000], "lon": lon, "lat": lat}  # fmt: skip
    pd.DataFrame(firms).to_csv(path, index=False)
    al = gpd.GeoDataFrame(
        {"reported_at": [pd.Timestamp("2026-01-05", tz=TZ)] * 4,
         "category": ["冒充领导熟人"] * 3 + ["刷单返利"], "age_band": ""},
        geometry=[Point(X0 + 1000, Y0 + 1000)] * 3 + [Point(X0 + 1900, Y0 + 100)], crs=UTM,
    )  # fmt: skip
    s = plan_visits(_channel(path), square_precincts(), al, TZ).schedule
    assert s.sort_values("order")["target_id"].tolist() == ["near_big", "near_small", "far"]
    assert s.set_index("target_id")["exposure"]["far"] == 0.0


def test_station_calendars_parse(tmp_path):
    ch = _channel(_firms(tmp_path / "firms.csv", 20))
    s = plan_visits(ch, square_precincts(), _alerts(), TZ).schedule
    paths = write_station_calendars(s, tmp_path / "out", "企业走访")
    assert {p.name for p in paths} == {
        f"firms_{k}.ics" for k in s.loc[s["status"] == "scheduled", "station_id"].unique()
    }  # noqa: E501
    total = 0
    for p in paths:
        cal = icalendar.Calendar.from_ical(p.read_bytes())
        evs = list(cal.walk("VEVENT"))
        total += len(evs)
        for ev in evs:
            start = ev.decoded("dtstart")
            assert start.tzinfo is not None and str(ev["SUMMARY"]).startswith("企业走访：")
            assert ev.decoded("dtend") - start == dt.timedelta(minutes=90)
    assert total == (s["status"] == "scheduled").sum()


def test_bad_rows_and_settings_are_clear_errors(tmp_path):
    path = _firms(tmp_path / "firms.csv", 5)
    df = pd.read_csv(path)
    df.loc[2, "lat"] = None
    df.to_csv(path, index=False)
    with pytest.raises(InputDataError, match=r"firms.csv, line 4, column 'lat'"):
        plan_visits(_channel(path), square_precincts(), _alerts(), TZ)
    ok = _firms(tmp_path / "ok.csv", 5)
    with pytest.raises(ScenarioError, match="needs window_start and window_end"):
        plan_visits(_channel(ok, window_end=None), square_precincts(), _alerts(), TZ)
    with pytest.raises(ScenarioError, match="work_hours"):
        plan_visits(_channel(ok, work_hours=(17, 9)), square_precincts(), _alerts(), TZ)
    with pytest.raises(InputDataError, match="no size column"):
        df.drop(columns="employees").to_csv(tmp_path / "x.csv", index=False)
        plan_visits(_channel(tmp_path / "x.csv"), square_precincts(), _alerts(), TZ)


def test_comment_lines_are_skipped_and_lines_are_counted(tmp_path):
    path = _firms(tmp_path / "firms.csv", 4)
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",", ",x", 2)  # data row 3 -> file line 5 after the comment
    path.write_text("# SYNTHETIC firms\n" + "\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"firms.csv, line 5, column 'employees'"):
        plan_visits(_channel(path), square_precincts(), _alerts(), TZ)


# ---- issue 12 (gaps): weekends, lunch break, public holidays


def test_no_visit_on_a_weekend_a_holiday_or_across_lunch_and_the_shortfall_follows(tmp_path):
    holiday = dt.date(2026, 6, 19)  # a Friday (Dragon Boat Festival 2026)
    # 2-hour visits: 9:00-11:00, then 11:00 would cross lunch -> 14:00-16:00, 16:00 too late
    ch = _channel(_firms(tmp_path / "firms.csv", 71), daily_capacity=3, visit_minutes=120,
                  skip_dates=(holiday,))  # fmt: skip
    vp = plan_visits(ch, square_precincts(), _alerts(), TZ)
    s = vp.schedule
    _check_schedule(s, ch)
    done = s[s["status"] == "scheduled"]
    days = set(pd.to_datetime(done["date"]).dt.date)
    assert not any(d.isoweekday() >= 6 for d in days) and holiday not in days
    assert dt.date(2026, 6, 18) in days  # the weekdays around it are used
    assert {str(x)[11:16] for x in done["start"]} == {"09:00", "14:00"}
    # 7 visiting days (8 weekdays - the holiday) x 2 slots; the rest is the shortfall
    a = s[s["station_id"] == "A"]
    assert len(a) > 14 and (a["status"] == "scheduled").sum() == 14
    msg = next(m for m in vp.notes if "甲街道" in m)
    assert "14 visit slots on 7 working days" in msg and f"{len(a) - 14} cannot be visited" in msg


def test_weekend_visits_when_the_scenario_allows_them(tmp_path):
    ch = _channel(_firms(tmp_path / "firms.csv", 71), daily_capacity=1,
                  weekdays=(6, 7), lunch="")  # fmt: skip
    s = plan_visits(ch, square_precincts(), _alerts(), TZ).schedule
    _check_schedule(s, ch)
    done = s[s["status"] == "scheduled"]
    assert set(pd.to_datetime(done["date"]).dt.day_of_week) == {5, 6}  # June 20, 21
    assert done.groupby("station_id").size().max() == 2


def test_a_visit_that_would_cross_lunch_starts_after_it():
    from geo_outreach.playbook.visits import day_slots

    ch = ChannelConfig("v", type="visits", daily_capacity=9, work_hours=(9, 17),
                       visit_minutes=90)  # fmt: skip
    assert [x.strftime("%H:%M") for x in day_slots(ch)] == ["09:00", "10:30", "14:00", "15:30"]
    no_lunch = ChannelConfig("v", type="visits", daily_capacity=9, visit_minutes=90, lunch="")
    assert len(day_slots(no_lunch)) == 5
    late = ChannelConfig("v", type="visits", work_hours=(14, 17), lunch="11:30-13:30")
    assert day_slots(late)[0] == dt.time(14, 0)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"lunch": "noon"}, "lunch = 'noon' is not a time range"),
        ({"lunch": "14:00-12:00"}, "the end is not after the start"),
        ({"weekdays": (0, 1)}, "ISO weekdays 1 .Monday. to 7"),
        ({"weekdays": (6, 7), "window_end": dt.date(2026, 6, 19)}, "no working day"),
    ],
)
def test_bad_days_or_lunch_are_scenario_errors(tmp_path, kw, match):
    ch = _channel(_firms(tmp_path / "firms.csv", 5), **kw)
    with pytest.raises(ScenarioError, match=match):
        plan_visits(ch, square_precincts(), _alerts(), TZ)


def test_shortfall_notes_exist_in_chinese_and_english(tmp_path):
    from geo_outreach.playbook.notes import note_text

    ch = _channel(_firms(tmp_path / "firms.csv", 40), daily_capacity=1,
                  window_end=dt.date(2026, 6, 16))  # fmt: skip
    vp = plan_visits(ch, square_precincts(), _alerts(), TZ)
    assert len(vp.items) == len(vp.notes) >= 2
    zh = [note_text(i, "zh") for i in vp.items]
    en = [note_text(i, "en") for i in vp.items]
    assert en == list(vp.notes)
    short = next(z for z in zh if "甲街道" in z)
    assert "无法安排（缺口）" in short and "2 个走访时段" in short
    assert any("位于所有辖区之外" in z for z in zh)
