"""Spacing conflicts and group minimums, checked up front."""

from __future__ import annotations

import numpy as np
import pytest

from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.coverage.constraints import (
    group_minimums,
    share_minimums,
    site_minimums,
    spacing_conflicts,
)


def test_spacing_conflicts_are_strict_and_symmetric():
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [250.0, 0.0]])
    conf = spacing_conflicts(xy, 150.0, 3)
    assert conf == [{1}, {0}, set()]  # 150 m apart exactly is allowed
    assert spacing_conflicts(xy, 0.0, 3) is None
    with pytest.raises(InputDataError, match="needs cand_xy"):
        spacing_conflicts(None, 150.0, 3)
    with pytest.raises(InputDataError, match="2 rows for 3 candidates"):
        spacing_conflicts(xy[:2], 150.0, 3)


def test_group_minimums_scalar_mapping_and_labels():
    labels = np.array(["A", "B", "A"], dtype=object)
    assert group_minimums(2, labels, "min_per_group", int) == {"A": 2, "B": 2}
    assert group_minimums({"A": 1, "B": 0}, labels, "min_per_group", int) == {"A": 1}
    assert group_minimums(0, labels, "min_per_group", int) == {}
    assert group_minimums(None, None, "min_per_group", int) == {}
    with pytest.raises(InputDataError, match="min_share_per_group needs"):
        group_minimums(0.5, None, "min_share_per_group", float)


def test_site_minimums_count_existing_and_name_the_group():
    g = np.array(["A", "A", "B", "B", "C"], dtype=object)
    allowed = np.array([False, True, True, True, True])  # column 0 is an existing site
    res = site_minimums({"A": 2, "B": 1}, g, [0], allowed, 2)
    assert res.existing_per_group == {"A": 1}
    assert [(s.group, s.cols.tolist(), s.need) for s in res.groups] == [
        ("A", [1], 1),
        ("B", [2, 3], 1),
    ]
    with pytest.raises(InfeasiblePlanError, match="'C' needs 2 sites but has only 1"):
        site_minimums({"C": 2}, g, [0], allowed, 5)
    with pytest.raises(InfeasiblePlanError, match="need 2 new sites but the budget is 1"):
        site_minimums({"A": 2, "B": 1}, g, [0], allowed, 1)


def test_share_minimums_subtract_what_existing_sites_cover():
    g = np.array(["A", "A", "B"], dtype=object)
    w = np.array([2.0, 2.0, 4.0])
    covered = np.array([True, False, False])
    red_groups = np.array(["A", "B"], dtype=object)  # reduced rows: row 1 (A), row 2 (B)
    red_w = np.array([2.0, 4.0])
    (a,) = share_minimums({"A": 0.75}, g, w, covered, red_groups, red_w)
    assert a.group == "A" and a.rows.tolist() == [0]
    assert a.need_weight == pytest.approx(1.0)  # 75% of 4, minus the 2 already covered
    assert share_minimums({"A": 0.5}, g, w, covered, red_groups, red_w) == []
    with pytest.raises(InfeasiblePlanError, match="'B' needs 100%"):
        share_minimums({"B": 1.0}, g, w, covered, red_groups, np.array([2.0, 3.0]))
