"""Forecast demand, the reporting side (issue 13).

The maths (the surface, the cross-validated choice of bandwidth and half-life, the demand grid)
lives in :mod:`geo_outreach.forecast`, on the analytics floor, because the channels plan and
backtest on it (``demand = "forecast"``); this module re-exports it for the effect package and
turns a choice into the table of every candidate's cross-validated hit rate.
"""

from __future__ import annotations

import math

import pandas as pd

from geo_outreach.forecast import (
    BANDWIDTHS,
    HALF_LIVES,
    ForecastChoice,
    choose_forecast,
    demand_surface,
    forecast_cells,
)

__all__ = [
    "BANDWIDTHS",
    "HALF_LIVES",
    "ForecastChoice",
    "choose_forecast",
    "demand_surface",
    "forecast_cells",
    "candidate_table",
]


def candidate_table(choice: ForecastChoice) -> pd.DataFrame:
    """Every candidate's CV hit rate, best first, the chosen one and the raw one flagged.

    Columns: bandwidth_m, half_life_days (NaN = no time weighting), hit_rate, chosen, raw.
    """
    t = choice.table.copy()
    t["chosen"] = (t["bandwidth_m"] == choice.bandwidth_m) & (
        t["half_life_days"] == choice.half_life_days
    )
    t["raw"] = (t["bandwidth_m"] == 0) & t["half_life_days"].map(math.isinf)
    t["half_life_days"] = t["half_life_days"].where(~t["half_life_days"].map(math.isinf))
    return t.sort_values("hit_rate", ascending=False, kind="stable").reset_index(drop=True)
