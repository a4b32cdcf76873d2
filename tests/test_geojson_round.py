"""Issue 14: GeoJSON coordinates rounded by numpy are Python's ``round`` value for value."""

from __future__ import annotations

import numpy as np
import pytest

from geo_outreach._geojson import round_like_python


@pytest.mark.parametrize("precision", [4, 5, 6])
def test_round_like_python_equals_round(precision: int) -> None:
    rng = np.random.default_rng(precision)
    ties = np.round(rng.uniform(-200, 200, 3000), precision) + 0.5 * 10.0**-precision
    values = np.concatenate(
        [
            rng.uniform(-200, 200, 6000),  # degrees
            ties,  # a half in the last place: where the product's rounding could mislead
            np.round(rng.uniform(-1, 1, 3000), precision + 1),
            rng.uniform(-1e12, 1e12, 500),
            [0.0, -0.0, 1e-9, -1e-9, 2.5e-6, np.nan, np.inf, -np.inf, 1e300, 5e-324],
        ]
    ).reshape(-1, 2)
    got = round_like_python(values, precision).ravel().tolist()
    want = [round(float(v), precision) for v in values.ravel()]
    assert [repr(v) for v in got] == [repr(v) for v in want]
