"""backtest.windows: one split, rolling monthly splits, and the errors naming the data period."""

from __future__ import annotations

from datetime import date

import pytest

from geo_outreach._errors import ScenarioError
from geo_outreach.backtest.windows import add_months, split_windows


def test_split_windows_single_and_rolling():
    period = (date(2025, 1, 3), date(2025, 6, 28))
    (w,) = split_windows(period, split=date(2025, 5, 1))
    assert (w.split, w.test_end) == (date(2025, 5, 1), date(2025, 6, 28))
    (w,) = split_windows(period, split=date(2025, 5, 1), until=date(2025, 5, 20))
    assert w.test_end == date(2025, 5, 20)
    ws = split_windows(period, split=date(2025, 2, 1), rolling=4)
    assert [(x.split.isoformat(), x.test_end.isoformat()) for x in ws] == [
        ("2025-02-01", "2025-02-28"),
        ("2025-03-01", "2025-03-31"),
        ("2025-04-01", "2025-04-30"),
        ("2025-05-01", "2025-05-31"),
    ]
    ws = split_windows(period, split=date(2025, 1, 31), rolling=2)
    assert [x.split for x in ws] == [date(2025, 1, 31), date(2025, 2, 28)]
    with pytest.raises(ScenarioError, match="data period is 2025-01-03..2025-06-28"):
        split_windows(period, split=date(2025, 7, 1))
    with pytest.raises(ScenarioError, match="outside the data"):
        split_windows(period, split=date(2025, 1, 3))  # nothing to train on
    with pytest.raises(ScenarioError, match="past the end"):
        split_windows(period, split=date(2025, 5, 1), rolling=3)
    with pytest.raises(ScenarioError, match="before the split"):
        split_windows(period, split=date(2025, 5, 1), until=date(2025, 4, 1))
    with pytest.raises(ScenarioError, match="whole number"):
        split_windows(period, split=date(2025, 5, 1), rolling=-1)


def test_add_months_clips_to_the_month_length():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
