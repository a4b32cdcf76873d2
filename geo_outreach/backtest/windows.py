"""Backtest periods: one split, or ``N`` monthly rolling splits."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from geo_outreach._errors import ScenarioError


def day_start(d: date, tz: str) -> pd.Timestamp:
    """Midnight at the start of day ``d`` in timezone ``tz``."""
    return pd.Timestamp(d).tz_localize(tz)


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months (day clipped to the month's length)."""
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass(frozen=True)
class Window:
    """One backtest split: train on ``[start, split)``, test on ``[split, test_end]`` (days)."""

    split: date
    test_end: date  # inclusive

    def label(self) -> str:
        """Return the split day as ``YYYY-MM-DD`` (the ``split`` column)."""
        return self.split.isoformat()


def split_windows(
    period: tuple[date, date], *, split: date, until: date | None = None, rolling: int = 0
) -> list[Window]:
    """Cut the data period into backtest windows; see :func:`geo_outreach.backtest.evaluate`.

    Parameters
    ----------
    period
        First and last alert day.
    split
        First test day.
    until
        Last test day (default the last alert day).
    rolling
        ``0``: one window; ``N``: ``N`` monthly windows from ``split``.

    Returns
    -------
    list of Window

    Raises
    ------
    ScenarioError
        When a split leaves no training or no test alerts, naming the data period.
    """
    first, last = period
    end = last if until is None else min(until, last)
    span = f"the data period is {first.isoformat()}..{last.isoformat()}"
    if isinstance(rolling, bool) or rolling < 0:
        raise ScenarioError(f"--rolling must be a whole number >= 0, got {rolling!r}")
    if not first < split <= last:
        raise ScenarioError(
            f"split {split.isoformat()} is outside the data: {span}; choose a split after the "
            "first alert day and on or before the last, so there are alerts to plan from and to "
            "test on"
        )
    if until is not None and until < split:
        raise ScenarioError(
            f"--until {until.isoformat()} is before the split {split.isoformat()}; {span}"
        )
    if rolling == 0:
        return [Window(split, end)]
    out = []
    for i in range(rolling):
        s = add_months(split, i)
        if s > end:
            raise ScenarioError(
                f"rolling split {i + 1} of {rolling} ({s.isoformat()}) is past the end of the "
                f"test data ({end.isoformat()}); {span}; use fewer --rolling months or an earlier "
                "--split"
            )
        out.append(Window(s, min(add_months(split, i + 1) - timedelta(days=1), end)))
    return out
