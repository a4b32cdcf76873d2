"""Coverage curve and gap analysis."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach.coverage.curves import coverage_curve, covered_weight, gap_analysis


def test_coverage_curve_monotone_and_nested(random_instance, brute):
    a, w = random_instance(21, n=80, m=10)
    curve = coverage_curve(a, w, 6)
    assert list(curve.columns) == ["k", "covered_weight", "covered_share"]
    assert curve["k"].tolist() == list(range(7))
    assert curve["covered_weight"].iloc[0] == 0
    assert (np.diff(curve["covered_weight"]) >= 0).all()
    assert curve["covered_share"].iloc[-1] <= 1.0
    for k in range(1, 7):
        assert curve["covered_weight"].iloc[k] >= (1 - 1 / math.e) * brute(a, w, k) - 1e-9
    with_existing = coverage_curve(a, w, 3, existing=[0])
    assert with_existing["covered_weight"].iloc[0] == covered_weight(a, w, [0])


def test_gap_analysis_hand_case():
    # sites: 0 covers rows 0,1 ; 1 covers rows 1,2 ; 2 covers row 3. Row 4 is uncovered.
    a = sp.csr_matrix(
        np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.uint8)
    )
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    g = gap_analysis(a, w, [0, 1, 2])
    assert g["site"].tolist() == [0, 1, 2, -1]
    assert g["covered_weight"].tolist() == [3.0, 5.0, 4.0, 5.0]
    assert g["unique_weight"].tolist() == [1.0, 3.0, 4.0, 5.0]
    assert g["role"].tolist()[-1] == "uncovered"
    assert g["unique_share"].iloc[-1] == pytest.approx(5 / 15)
