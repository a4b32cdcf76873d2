"""Issue 14 (load CPU): the alert cleaning's shortcuts give exactly the plain rules' answers.

The far-outside pre-test per 1 km cell against the test per point, the duplicate-id pass
(one factorize) against ``duplicated`` and a group-by, and the category / age-band text rules
run once per distinct value against the same rules per row.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from geo_outreach._alerts import (
    NO_CATEGORY,
    _age_bands,
    _categories,
    _drop_duplicate_ids,
    _surely_near,
)
from tests.conftest import UTM, X0, Y0


def test_surely_near_only_claims_points_within_the_limit():
    area = Polygon([(X0, Y0), (X0 + 9000, Y0), (X0 + 4000, Y0 + 7000)])
    rng = np.random.default_rng(7)
    limit = 3000.0
    angle = rng.uniform(0, 2 * np.pi, 40_000)
    radius = rng.uniform(0, 12_000, 40_000)  # many near the limit around the triangle
    x = X0 + 4000 + radius * np.cos(angle)
    y = Y0 + 3000 + radius * np.sin(angle)
    x, y = np.r_[x, np.nan, np.inf], np.r_[y, 1.0, 2.0]
    sure = _surely_near(x, y, area, limit)
    within = shapely.dwithin(shapely.points(x[:-2], y[:-2]), area, limit)
    assert not (sure[:-2] & ~within).any()  # never a point beyond the limit
    assert sure[:-2].sum() > 0.8 * within.sum()  # and most near points skip the test per point
    assert not sure[-2:].any()  # not finite: left to the test per point


def _dups_reference(ids: list[str], rows: np.ndarray) -> tuple[list[int], list[str]]:
    """Rows (in row order) repeating an earlier row's id, and their reasons, the plain way."""
    frame = pd.DataFrame({"id": ids, "row": rows}).sort_values("row", kind="stable")
    dup = frame["id"].duplicated(keep="first")
    first = frame.groupby("id", sort=False)["row"].transform("first")
    reasons = [f"duplicate id (same as row {r})" for r in first[dup]]
    return frame["row"][dup].tolist(), reasons


@pytest.mark.parametrize("seed", range(6))
def test_duplicate_ids_equal_the_plain_rule(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    ids = [f"JQ{int(v):03d}" if v >= 0 else "" for v in rng.integers(-1, n // 3 + 2, n)]
    rows = rng.permutation(n) + 2 if seed % 2 else np.arange(n) + 2
    cut = int(rng.integers(0, n))
    frames = [
        gpd.GeoDataFrame(
            {"alert_id": pd.array(ids[a:b], dtype="str"), "_row": rows[a:b]},
            geometry=shapely.points(rows[a:b], rows[a:b]),
            crs=UTM,
        )
        for a, b in ((0, cut), (cut, n))
        if b > a
    ]
    kept, rej = _drop_duplicate_ids(frames, column="警情编号", source="a.csv")
    want_rows, want_reasons = _dups_reference(ids, rows)
    assert rej["row"].tolist() == want_rows
    assert rej["reason"].tolist() == want_reasons
    assert sorted(kept["_row"].tolist() + want_rows) == sorted(rows.tolist())
    assert kept["_row"].is_monotonic_increasing and kept["alert_id"].is_unique


CELLS = [" 刷单 ", "", None, "nan", "刷单", "   ", "其他", " nan", "60+ ", np.nan]


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_text_rules_per_distinct_value_equal_the_rules_per_row(dtype):
    values = pd.Series(CELLS * 3, dtype=dtype)
    cats, ages = _categories(values), _age_bands(values)

    def text(v: object) -> str | None:
        return v.strip() if isinstance(v, str) else None

    want_cats = [NO_CATEGORY if not text(v) else text(v) for v in values]
    want_ages = ["" if text(v) is None or v == "nan" else text(v) for v in values]
    assert cats.dtype == object and cats.tolist() == want_cats
    assert ages.dtype == object and ages.tolist() == want_ages
