"""Issue 14: ``change_p`` on arrays gives scipy ``binomtest``'s p-values exactly."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from geo_outreach.stats import change_p


def test_change_p_equals_scipy_binomtest() -> None:
    rng = np.random.default_rng(11)
    grid = np.array([(a, b) for a in range(26) for b in range(26)])
    big = rng.integers(0, 20_000, size=(60, 2))
    close = rng.integers(100, 3_000, size=(60, 1)) + np.array([[0, 0]])
    close[:, 1] += rng.integers(-3, 4, size=60)  # near-equal counts: the tolerance matters
    pairs = np.vstack([grid, big, close]).astype(float)
    got = change_p(pairs[:, 0], pairs[:, 1])
    want = [
        np.nan if a + b == 0 else float(sps.binomtest(int(a), int(a + b), 0.5).pvalue)
        for a, b in pairs
    ]
    np.testing.assert_array_equal(got, np.array(want))  # bit for bit, NaN where both are 0
    assert np.isnan(change_p(np.array([3.0, 1.0]), np.array([np.nan, 1.0]))[0])
