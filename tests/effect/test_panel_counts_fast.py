"""Issue 14: the panel's alert counts by bincount equal the groupby they replaced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_outreach.effect.exposure import _unit_month_counts


@pytest.mark.parametrize("dtype", ["str", object])
def test_unit_month_counts_equal_groupby_size(dtype: object) -> None:
    rng = np.random.default_rng(13)
    n = 2000
    uid = pd.Series(rng.choice(["440705103", "440705114", "outside", "u9"], n), dtype=dtype)
    uid[::11] = None  # dropped, as groupby drops missing keys
    labels = np.array(["2025-01", "2025-02", "2025-04"], dtype=object)
    month = rng.integers(0, 2, n)  # 2025-04 never occurs: no row for it
    want = (
        pd.DataFrame({"unit_id": uid.to_numpy(), "month": labels[month]})
        .query("unit_id != 'outside'")
        .groupby(["unit_id", "month"])
        .size()
    )
    got = _unit_month_counts(uid, month, labels)
    idx = pd.MultiIndex.from_product(
        [["440705103", "440705114", "u9", "u0"], list(labels)], names=["unit_id", "month"]
    )
    pd.testing.assert_series_equal(
        got.reindex(idx, fill_value=0), want.reindex(idx, fill_value=0), check_names=False
    )
    assert got.sum() == want.sum() > 0
