"""The headline MoM change in the context of season and chance (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_outreach.effect.season import headline_context, headline_wording


def times(counts: dict[str, int]) -> pd.Series:
    out = []
    for month, n in counts.items():
        start = pd.Timestamp(month + "-01")
        out += [start + pd.Timedelta(hours=int(h)) for h in np.linspace(0, 24 * 27, n)]
    return pd.Series(pd.DatetimeIndex(out).tz_localize("Asia/Shanghai"))


def test_a_seasonal_drop_is_within_chance() -> None:
    # every year alerts fall ~25% from June to July: this year's -24% is season, not outreach
    c = headline_context(times({"2024-06": 200, "2024-07": 150, "2025-06": 208, "2025-07": 158}))
    assert c is not None and c.month == "2025-07"
    assert round(c.mom_pct, 1) == -24.0
    assert c.previous_years[0]["pct"] == -25.0 and c.yoy_pct is not None
    assert round(c.yoy_pct, 2) == 5.33
    assert not c.outside_chance and c.p_vs_seasonal > 0.5
    assert "within what season and chance" in headline_wording(c, "en")


def test_a_drop_against_the_season_is_outside_chance() -> None:
    # usually +25% from June to July; this year -40%
    c = headline_context(times({"2024-06": 200, "2024-07": 250, "2025-06": 200, "2025-07": 120}))
    assert c is not None and c.outside_chance and c.p_vs_seasonal < 0.001
    assert c.seasonal_pct == 25.0
    assert "超出季节规律" in headline_wording(c, "zh")


def test_without_history_the_test_is_against_no_change() -> None:
    c = headline_context(times({"2025-06": 30, "2025-07": 27}))
    assert c is not None and c.seasonal_pct is None and c.previous_years == ()
    assert not c.outside_chance
    assert headline_context(times({"2025-06": 30})) is None
