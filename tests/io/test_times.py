"""Issue 10, time stamps: every unusable time is a reject with its reason, never a crash."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo_outreach._errors import ScenarioError
from geo_outreach._times import parse_time_column
from geo_outreach.io import load_study
from geo_outreach.scenario import load_scenario
from tests.conftest import alert_rows

TZ = "Asia/Shanghai"


def _col(values: list) -> pd.Series:
    return pd.Series(values, dtype=object)


def test_placeholder_dates_are_rejected_not_a_crash():
    p = parse_time_column(
        _col(["9999-12-31", "0001/01/01", "2262-05-01 10:00", "1900-01-01", "2025-07-14 08:00"]),
        TZ,
    )
    assert p.reasons.tolist()[:4] == ["time out of range"] * 4
    assert p.reasons.iloc[4] == "" and p.times.iloc[4].hour == 8
    assert p.times.iloc[:4].isna().all()


def test_future_and_period_rejected_with_reason():
    now = pd.Timestamp("2026-01-01", tz=TZ)
    period = (pd.Timestamp("2025-01-01", tz=TZ), pd.Timestamp("2025-12-31 23:59:59", tz=TZ))
    p = parse_time_column(
        _col(["2099-12-01 10:00", "2024-06-01 10:00", "2025-06-01 10:00"]),
        TZ,
        not_after=now,
        period=period,
    )
    assert p.reasons.iloc[0] == "time in the future (after the run date 2026-01-01)"
    assert p.reasons.iloc[1].startswith("time outside the scenario period (2025-01-01 to")
    assert p.reasons.iloc[2] == ""


def test_dst_ambiguous_and_nonexistent_resolved_deterministically():
    tz = "America/New_York"
    p = parse_time_column(_col(["2024-11-03 01:30", "2024-03-10 02:30", "2024-03-10 02:30"]), tz)
    assert (p.reasons == "").all()
    fall, gap = p.times.iloc[0], p.times.iloc[1]
    assert fall.utcoffset() == pd.Timedelta(hours=-4)  # first occurrence, still daylight time
    assert (gap.hour, gap.minute) == (3, 0)  # moved forward to the end of the gap
    assert p.times.iloc[1] == p.times.iloc[2]


def test_day_month_order_decided_per_file():
    # 13/01 decides the file is day first: 05/01 is 5 January, not May 1
    p = parse_time_column(_col(["05/01/2025 10:00", "13/01/2025 11:00"]), TZ)
    assert p.order == "day first" and not p.warnings
    assert [t.month for t in p.times] == [1, 1] and [t.day for t in p.times] == [5, 13]
    # 01/13 decides month first
    p = parse_time_column(_col(["05/01/2025", "01/13/2025"]), TZ)
    assert p.order == "month first" and [t.month for t in p.times] == [5, 1]


def test_ambiguous_order_warns_and_layer_can_choose():
    p = parse_time_column(_col(["05/01/2025", "06/02/2025"]), TZ, column="Date")
    assert p.order == "month first" and len(p.warnings) == 1
    assert "ambiguous" in p.warnings[0] and "'Date'" in p.warnings[0]
    p = parse_time_column(_col(["05/01/2025", "06/02/2025"]), TZ, dayfirst=True)
    assert [t.month for t in p.times] == [1, 2] and not p.warnings
    # a row contradicting the chosen order is rejected, the others kept
    p = parse_time_column(_col(["13/01/2025", "01/14/2025"]), TZ, dayfirst=True)
    assert p.reasons.iloc[0] == "" and p.reasons.iloc[1].startswith("unparseable time")


def test_time_format_excel_serials_and_time_only():
    fmt = "%d.%m.%Y %Hh%M"
    p = parse_time_column(_col(["14.07.2025 19h23", "2025-07-14"]), TZ, time_format=fmt)
    assert p.times.iloc[0].hour == 19 and p.reasons.iloc[1].startswith("unparseable time")
    p = parse_time_column(_col([45852.5, "45852.75", dt.datetime(2025, 7, 14, 9, 0)]), TZ)
    assert [str(t.date()) for t in p.times] == ["2025-07-14"] * 3
    assert [t.hour for t in p.times] == [12, 18, 9]
    p = parse_time_column(_col(["08:00", "8时30分", dt.time(8, 0), ""]), TZ)
    assert p.reasons.tolist() == ["time without a date"] * 3 + ["no time"]


def test_loader_rejects_bad_times_and_keeps_the_rest(scenario_factory):
    rows = alert_rows()
    good = dict(rows[2])
    rows += [
        {**good, "警情编号": "T1", "报警时间": "9999-12-31"},  # row 12
        {**good, "警情编号": "T2", "报警时间": "2099-01-01 10:00"},  # row 13
        {**good, "警情编号": "T3", "报警时间": "08:00"},  # row 14
        {**good, "警情编号": "T4", "报警时间": "2024-12-31 10:00"},  # row 15
    ]
    sc = scenario_factory(rows, extra='[period]\nstart = 2025-01-01\nend = "2025-12-31"\n')
    data = load_study(load_scenario(sc))
    rej = data.rejects.set_index("row")
    assert len(data.alerts) == 10
    assert rej.loc[12, "reason"] == "time out of range" and rej.loc[12, "value"] == "9999-12-31"
    assert rej.loc[13, "reason"].startswith("time in the future")
    assert rej.loc[14, "reason"] == "time without a date"
    assert rej.loc[15, "reason"].startswith("time outside the scenario period")
    assert data.alerts["reported_at"].max().year == 2025
    assert any("no [scenario] timezone set" in w for w in data.warnings)


def test_timezone_typo_is_a_scenario_error_with_suggestion(scenario_factory):
    sc = scenario_factory()
    text = sc.read_text(encoding="utf-8").replace('name = "test"', 'timezone = "Asia/Shangai"')
    sc.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r'scenario.timezone.*did you mean "Asia/Shanghai"'):
        load_scenario(sc)


def test_bad_time_format_and_reversed_period_are_one_line_errors(scenario_factory):
    from geo_outreach._errors import InputDataError

    with pytest.raises(InputDataError, match=r"\[alerts\] time_format = '%Q' is not a usable"):
        load_study(load_scenario(scenario_factory(alerts_extra='time_format = "%Q"')))
    sc = scenario_factory(extra="[period]\nstart = 2025-02-01\nend = 2024-01-01\n")
    with pytest.raises(ScenarioError, match=r"period.start = '2025-02-01' is after period.end"):
        load_scenario(sc)


def _near_miss_cells(n: int, seed: int) -> list[str]:
    """Seeded time cells in and just around the byte-level fast path's shapes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    junk = np.array(["-", "/", " ", ":", "T", "年", "日", "", ".", "0", "7", "\u3000"])
    cells = []
    for _ in range(n):
        y, mo, d = rng.integers(1985, 2270), rng.integers(0, 14), rng.integers(0, 33)
        h, mi, s = rng.integers(0, 26), rng.integers(0, 62), rng.integers(0, 62)
        tail = "".join(rng.choice(junk, rng.integers(0, 3)).tolist())
        cells.append(
            [
                f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}",
                f"{y}/{mo}/{d} {h}:{mi:02d}",
                f"{y}-{mo}-{d}",
                f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi}",
                f"{d:02d}/{mo:02d}/{y} {h}:{mi:02d}",
                f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}{tail}",
                f"{tail}{y}/{mo}-{d}{tail[:1]}",
            ][rng.integers(0, 7)]
        )
    return cells


@pytest.mark.parametrize("dayfirst", [None, True])
def test_byte_level_fast_path_reads_as_the_general_path(monkeypatch, dayfirst):
    """Issue 14: the numpy reader of ``YYYY-M-D H:MM`` cells changes no time, reason or order."""
    import numpy as np

    from geo_outreach import _times

    cells = pd.Series(_near_miss_cells(1200, 11), dtype="str")
    now = pd.Timestamp("2026-12-01", tz=TZ)
    fast = parse_time_column(cells, TZ, dayfirst=dayfirst, not_after=now)
    taken, _ = _times._plain_times(cells.str.strip())
    assert 0.2 < taken.mean() < 0.9  # both paths are exercised
    none = (np.zeros(len(cells), dtype=bool), np.full(len(cells), "NaT", dtype="datetime64[ns]"))
    monkeypatch.setattr(_times, "_plain_times", lambda _text: none)
    slow = parse_time_column(cells, TZ, dayfirst=dayfirst, not_after=now)
    assert fast.times.equals(slow.times)
    assert fast.reasons.equals(slow.reasons)
    assert (fast.order, fast.warnings) == (slow.order, slow.warnings)
