"""Calendar: recommended slots from the reached alerts' time profile; calendar.ics parses."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import icalendar
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo_outreach.playbook.schedule import (
    best_slot,
    calendar_events,
    calendar_table,
    channel_slots,
    write_ics,
)
from geo_outreach.scenario import Campaign, ChannelConfig, KeyDate
from tests.conftest import UTM, X0, Y0

TZ = "Asia/Shanghai"


def _alerts(times: list[str], xy: list[tuple[float, float]], cats: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "reported_at": pd.to_datetime(times).tz_localize(TZ),
            "category": cats,
            "age_band": "",
        },
        geometry=[Point(X0 + x, Y0 + y) for x, y in xy],
        crs=UTM,
    )


def test_slot_is_the_busiest_window_of_the_reached_alerts():
    # near the site: Saturday/Sunday/Friday evenings 19-21h; far away: Monday mornings
    near = [f"2026-03-{d:02d} {h}:30" for d in (6, 7, 8, 13, 14, 15) for h in (19, 20)]
    far = [f"2026-03-{d:02d} 09:10" for d in (2, 9, 16, 23, 30) for _ in range(4)]
    alerts = _alerts(near + far, [(100, 100)] * len(near) + [(5000, 100)] * len(far),
                     ["刷单返利"] * (len(near) + len(far)))  # fmt: skip
    sites = gpd.GeoDataFrame({"channel": ["dance"]}, geometry=[Point(X0, Y0)], crs=UTM)
    ch = ChannelConfig("dance", label="广场舞", radius_m=500)
    (slot,) = channel_slots([ch], sites, alerts, TZ)
    assert slot.start_hour == 19 and slot.weekdays == ("FR", "SA", "SU")
    assert slot.alerts == len(near) and slot.share == 1.0
    # all alerts (no site filter): the Monday mornings win
    slot = best_slot(ch, alerts, TZ)
    assert slot.start_hour in (8, 9) and "MO" in slot.weekdays


def test_category_weights_shift_the_slot():
    times = ["2026-03-02 10:00"] * 3 + ["2026-03-03 20:00"] * 2
    alerts = _alerts(times, [(0, 0)] * 5, ["刷单返利"] * 3 + ["养老/保健品诈骗"] * 2)
    plain = best_slot(ChannelConfig("c"), alerts, TZ)
    weighted = best_slot(ChannelConfig("c", category_weights={"养老/保健品诈骗": 5.0}), alerts, TZ)
    assert plain.start_hour in (9, 10) and weighted.start_hour in (19, 20)


def test_no_alerts_gives_an_evening_default_with_zero_share():
    slot = best_slot(ChannelConfig("c"), _alerts([], [], []), TZ)
    assert slot.share == 0.0 and slot.start_hour == 19 and slot.alerts == 0


def test_calendar_csv_and_ics_round_trip(tmp_path):
    times = [f"2026-03-{d:02d} 19:30" for d in (6, 7, 8)]
    slot = best_slot(ChannelConfig("dance", label="广场舞"), _alerts(times, [(0, 0)] * 3,
                     ["x"] * 3), TZ)  # fmt: skip
    camp = Campaign(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    keys = [KeyDate(dt.date(2026, 6, 15), "商贸洽谈会", end=dt.date(2026, 6, 24))]
    table = calendar_table([slot], camp, keys, TZ)
    assert table["kind"].tolist() == ["slot", "key_date"]
    first = dt.datetime.fromisoformat(table.loc[0, "start"])
    assert first.date() >= camp.start and first.weekday() in (4, 5, 6) and first.hour == 19
    path = write_ics(tmp_path / "c.ics", calendar_events([slot], camp, keys, TZ), name="测试")
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    ev = events[0]
    assert ev.decoded("dtstart") == first
    rule = ev["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and set(rule["BYDAY"]) == set(slot.weekdays)
    assert rule["UNTIL"][0].astimezone(dt.UTC).date() in (camp.end, camp.end + dt.timedelta(1))
    fair = events[1]
    assert str(fair["SUMMARY"]) == "商贸洽谈会"
    assert fair.decoded("dtstart") == dt.date(2026, 6, 15)
    assert fair.decoded("dtend") == dt.date(2026, 6, 25)  # exclusive end: 10 days
    # deterministic bytes
    again = write_ics(tmp_path / "d.ics", calendar_events([slot], camp, keys, TZ), name="测试")
    assert again.read_bytes() == path.read_bytes()


def test_without_a_campaign_slots_have_no_dates():
    slot = best_slot(ChannelConfig("c"), _alerts(["2026-03-06 19:00"], [(0, 0)], ["x"]), TZ)
    table = calendar_table([slot], None, [], TZ)
    assert table.loc[0, "start"] == "" and table.loc[0, "hours"] == "19:00-21:00"
    assert np.isclose(table.loc[0, "share"], 1.0)


def test_patrol_slots_are_the_peak_windows_and_calendar_ics_keeps_each(tmp_path):
    """Issue 12 gaps: patrols take the plan's peak windows, not the reached-alerts slot."""
    from geo_outreach.hotspots import peak_windows

    times = [f"2026-03-{d:02d} 20:30" for d in (7, 14, 21)] * 3 + ["2026-03-03 09:00"] * 4
    alerts = _alerts(times, [(0, 0)] * len(times), ["刷单返利"] * len(times))
    wins = peak_windows(alerts)
    assert wins[0]["label_zh"].startswith("周六")
    far = gpd.GeoDataFrame({"channel": ["pat", "dance"]},
                           geometry=[Point(X0 + 9000, Y0), Point(X0, Y0)], crs=UTM)  # fmt: skip
    pat = ChannelConfig("pat", label="巡逻", type="patrol", radius_m=400)
    dance = ChannelConfig("dance", label="广场舞", radius_m=400)
    slots = channel_slots([pat, dance], far, alerts, TZ, wins)
    peaks = [s for s in slots if s.channel == "pat"]
    assert len(peaks) == len(wins) and all(s.source == "peak" for s in peaks)
    for s, w in zip(peaks, wins, strict=True):
        assert (s.start_hour, s.start_hour + s.hours) == (w["start_hour"], w["end_hour"])
        assert s.weekdays == tuple(("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d]
                                   for d in w["weekdays"])  # fmt: skip
        assert s.share == w["share"]
    # the patrol site reaches no alert: without the windows it would get the empty default
    assert channel_slots([pat], far, alerts, TZ)[0].alerts == 0
    camp = Campaign(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    table = calendar_table(slots, camp, [], TZ)
    rows = table[table["channel"] == "pat"]
    assert rows["kind"].tolist() == ["peak"] * len(wins)
    assert rows["hours"].iloc[0] == f"{wins[0]['start_hour']:02d}:00-{wins[0]['end_hour']:02d}:00"
    path = write_ics(tmp_path / "c.ics", calendar_events(slots, camp, [], TZ), name="c")
    evs = list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))
    uids = [str(e["UID"]) for e in evs]
    assert len(uids) == len(set(uids)) == len(wins) + 1
    sat = next(e for e in evs if str(e["UID"]) == "slot-pat@geo-outreach")
    assert sat["RRULE"]["BYDAY"] == ["SA"]
    assert sat["DTEND"].dt - sat["DTSTART"].dt == dt.timedelta(hours=3)
