"""Context for the headline month-on-month / year-on-year change (issue 13).

"Alerts fell 24% month on month" means little if they fall every year between those two months.
For the latest full month of the alerts this module gives the same month-on-month change in the
previous years' same months (seasonality) and tests whether this year's change is outside the
range chance would give around the seasonal change: given the two months' total, the latest
month's count is binomial under "the change equals the seasonal one" (``p0 = r / (1 + r)``,
``r`` the mean seasonal ratio of the previous years, or 1 without history), and an exact
two-sided binomial test gives the p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from geo_outreach.i18n import t


@dataclass(frozen=True)
class HeadlineContext:
    """The latest month's change and its seasonal context (see module docstring)."""

    month: str
    alerts: int
    prev_alerts: int
    mom_pct: float
    yoy_pct: float | None
    previous_years: tuple[dict[str, Any], ...]
    seasonal_pct: float | None
    p_vs_seasonal: float
    outside_chance: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (with the zh/en wording)."""
        return {
            "month": self.month,
            "alerts": self.alerts,
            "previous_month_alerts": self.prev_alerts,
            "mom_pct": round(self.mom_pct, 2),
            "yoy_pct": None if self.yoy_pct is None else round(self.yoy_pct, 2),
            "same_change_previous_years": list(self.previous_years),
            "seasonal_mom_pct": None if self.seasonal_pct is None else round(self.seasonal_pct, 2),
            "p_vs_seasonal": self.p_vs_seasonal,
            "outside_chance": self.outside_chance,
            "wording": {lang: headline_wording(self, lang) for lang in ("zh", "en")},
        }


def _pct(a: float, b: float) -> float:
    return 100.0 * (a / b - 1.0) if b > 0 else float("nan")


def headline_context(reported_at: pd.Series, *, alpha: float = 0.05) -> HeadlineContext | None:
    """Return the latest month's MoM change in context; None with fewer than 2 months.

    Parameters
    ----------
    reported_at
        Alert times (tz-aware).
    alpha
        Level of the test against the seasonal change.

    Returns
    -------
    HeadlineContext or None
        The latest month, its MoM and YoY change, the same change in previous years and the
        test of this year's change against the seasonal one.
    """
    months = reported_at.dt.tz_localize(None).dt.to_period("M")
    counts = months.value_counts().sort_index()
    if len(counts) < 2:
        return None
    full = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
    counts = counts.reindex(full, fill_value=0)
    last = full[-1]
    n2, n1 = int(counts[last]), int(counts[last - 1])
    prev: list[dict[str, Any]] = []
    for k in range(1, 10):
        a, b = last - 12 * k, last - 12 * k - 1
        if b in counts.index and a in counts.index and counts[b] > 0:
            prev.append({"from": str(b), "to": str(a), "pct": round(_pct(counts[a], counts[b]), 2)})
    ratios = [1 + p["pct"] / 100 for p in prev]
    r = float(np.mean(ratios)) if ratios else 1.0
    p = float(stats.binomtest(n2, n1 + n2, r / (1 + r)).pvalue) if n1 + n2 > 0 else 1.0
    yoy = _pct(n2, counts[last - 12]) if (last - 12) in counts.index else None
    return HeadlineContext(
        month=str(last), alerts=n2, prev_alerts=n1, mom_pct=_pct(n2, n1),
        yoy_pct=yoy, previous_years=tuple(prev),
        seasonal_pct=100 * (r - 1) if ratios else None, p_vs_seasonal=p,
        outside_chance=bool(p < alpha),
    )  # fmt: skip


def headline_wording(c: HeadlineContext, lang: str) -> str:
    """Plain-language sentence on whether the latest change is more than season and chance."""
    base = t("season_mom", lang).format(month=c.month, mom=f"{c.mom_pct:+.1f}%")
    if c.seasonal_pct is not None:
        seasonal = f"{c.seasonal_pct:+.1f}%"
        base += t("season_prev", lang).format(seasonal=seasonal, n=len(c.previous_years))
    key = "season_outside" if c.outside_chance else "season_inside"
    return base + t(key, lang).format(p=c.p_vs_seasonal)
