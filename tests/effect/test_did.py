"""The staggered difference-in-differences estimator on seeded generated panels (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_outreach._errors import InputDataError
from geo_outreach.effect.did import estimate_effect
from geo_outreach.effect.run import wording


def panel(
    seed: int, *, effect: float = 0.0, pretrend: float = 0.0, n_units: int = 30, n_periods: int = 24
) -> pd.DataFrame:
    """Poisson counts with area and month effects; 2/3 of areas treated at months 8, 12 or 16.

    ``effect``: log rate ratio from the start on; ``pretrend``: log slope per month of the
    treated areas before their start (rising into it).
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(np.log(6), 0.5, n_units)
    b = 0.2 * np.sin(np.arange(n_periods) / 12 * 2 * np.pi) + rng.normal(0, 0.05, n_periods)
    cohort = np.full(n_units, -1)
    treated = rng.choice(n_units, n_units * 2 // 3, replace=False)
    cohort[treated] = rng.choice([8, 12, 16], len(treated))
    rows = []
    for u in range(n_units):
        g = cohort[u]
        for t in range(n_periods):
            log_mu = a[u] + b[t]
            if g >= 0:
                log_mu += effect if t >= g else pretrend * (t - g)
            rows.append((f"u{u}", t, rng.poisson(np.exp(log_mu)), g))
    return pd.DataFrame(rows, columns=["unit_id", "period", "alerts", "cohort"])


def test_recovers_planted_minus_20_percent() -> None:
    est = estimate_effect(panel(1, effect=np.log(0.8)))
    assert est.pct_lo <= -20.0 <= est.pct_hi
    assert est.pct_hi < 0 and est.pretrend_ok and est.claim
    assert (est.n_treated, est.n_control) == (20, 10)
    ev = est.event.set_index("event_time")
    assert ev.loc[-1, "pct"] == 0 and ev.index.min() == -4 and ev.index.max() == 6
    assert ev.loc[[-4, -3, -2], "pct_lo"].lt(0).all() and ev.loc[[-4, -3, -2], "pct_hi"].gt(0).all()
    assert "-2" in wording(est, "en") and "95% CI" in wording(est, "en")


def test_planted_effect_recovered_in_most_seeds() -> None:
    inside = [estimate_effect(panel(50 + s, effect=np.log(0.8))) for s in range(10)]
    assert sum(e.pct_lo <= -20.0 <= e.pct_hi for e in inside) >= 8


def test_no_effect_ci_covers_zero_in_90_percent() -> None:
    runs = [estimate_effect(panel(100 + s)) for s in range(60)]
    assert np.mean([e.ci_covers_zero for e in runs]) >= 0.90
    # and the pre-trend check (a 5% test) does not fail parallel trends too often
    assert np.mean([e.pretrend_ok for e in runs]) >= 0.85
    assert np.mean([e.claim for e in runs]) <= 0.10


def test_planted_pretrend_fails_the_check_and_wording_refuses() -> None:
    est = estimate_effect(panel(2, pretrend=0.1))
    assert not est.pretrend_ok and est.pretrend_p < 0.05
    assert not est.claim
    assert "cannot be attributed" in wording(est, "en")
    assert "不能归因" in wording(est, "zh")


def test_no_effect_wording_does_not_claim() -> None:
    est = next(e for e in (estimate_effect(panel(100 + s)) for s in range(5)) if e.ci_covers_zero)
    assert not est.claim
    assert "cannot tell" in wording(est, "en")


def test_sparse_area_month_without_alerts_does_not_blow_up() -> None:
    df = panel(3, effect=np.log(0.8))
    lonely = df["unit_id"] == "u0"
    df.loc[lonely, "cohort"] = 20  # a cohort of one area...
    df.loc[lonely & (df["period"] == 20), "alerts"] = 0  # ...with no alert in its first month
    est = estimate_effect(df)
    assert est.event["pct"].between(-90, 200).all()


def test_zero_area_and_no_treated_are_explained() -> None:
    df = panel(4)
    df.loc[df["unit_id"] == "u1", "alerts"] = 0
    assert estimate_effect(df).n_dropped_zero == 1
    none = df.assign(cohort=-1)
    with pytest.raises(InputDataError, match="no area received outreach"):
        estimate_effect(none)
