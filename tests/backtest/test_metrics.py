"""backtest.metrics: hit rate / PAI arithmetic by hand, seeded bootstrap, resample blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geo_outreach._errors import InputDataError
from geo_outreach.backtest import metrics


def test_pai_hand_case_ten_alerts_four_hit_five_percent_area():
    study = shapely.union_all(
        [box(0, 0, 2000, 2000), box(2000, 0, 4000, 2000), box(4000, 0, 6000, 2000)]
    )
    reach = [box(100, 100, 700, 1100)]  # 600 m x 1000 m = 0.6 km² = 5% of 12 km²
    covered = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    hr = metrics.hit_rate(covered)
    share = metrics.area_share(reach, study)
    assert hr == pytest.approx(0.4)
    assert share == pytest.approx(0.05)
    assert metrics.pai(hr, share) == pytest.approx(8.0)
    # weighted: the 4 covered alerts weigh 2 each, the 6 others 1 -> 8 / 14
    w = np.where(covered, 2.0, 1.0)
    assert metrics.hit_rate(covered, w) == pytest.approx(8 / 14)
    # reach outside the study area does not count; overlapping reach counts once
    assert metrics.area_share([box(-600, 100, 600, 1100)], study) == pytest.approx(0.05)
    twice = [box(100, 100, 700, 1100), box(100, 100, 700, 1100)]
    assert metrics.area_share(twice, study) == pytest.approx(0.05)
    assert math.isnan(metrics.pai(0.4, 0.0))
    assert math.isnan(metrics.hit_rate(covered, np.zeros(10)))
    with pytest.raises(InputDataError, match="study area has no area"):
        metrics.area_share(reach, shapely.Point(0, 0))


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    covered = np.array([True] * 4 + [False] * 6)
    idx1 = metrics.bootstrap_index(10, n_boot=400, seed=3)
    idx2 = metrics.bootstrap_index(10, n_boot=400, seed=3)
    assert np.array_equal(idx1, idx2)
    b = metrics.bootstrap_hit_rates(covered, None, idx1)
    assert b.shape == (400,) and ((b >= 0) & (b <= 1)).all()
    lo, hi = metrics.percentile_ci(b)
    assert lo < 0.4 < hi
    assert metrics.bootstrap_hit_rates(np.ones(10, dtype=bool), None, idx1).min() == 1.0


def test_resamples_in_blocks_are_the_same_every_time(monkeypatch):
    monkeypatch.setattr(metrics, "MAX_BOOT_CELLS", 25)  # blocks of 2 resamples of 10 alerts
    r = metrics.Resamples(10, 7, 4)
    blocks = list(r.blocks())
    assert [len(b) for b in blocks] == [2, 2, 2, 1]
    covered = np.arange(10) < 4
    a = metrics.bootstrap_hit_rates(covered, None, r)
    assert np.array_equal(a, metrics.bootstrap_hit_rates(covered, None, r))
    whole = metrics.bootstrap_index(10, n_boot=7, seed=4)
    assert np.array_equal(a, metrics.bootstrap_hit_rates(covered, None, whole))


def test_ci_and_mean_skip_non_finite_values():
    assert metrics.percentile_ci([np.nan, np.inf]) == (pytest.approx(math.nan, nan_ok=True),) * 2
    assert metrics.nanmean([1.0, np.nan, 3.0]) == 2.0
    assert math.isnan(metrics.nanmean([np.nan]))
