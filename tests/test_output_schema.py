"""The output schema is data (_validate.OUTPUT_COLUMNS) and every stage writer checks against it."""

from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import outputs
from geo_outreach._validate import columns_of


def test_write_output_refuses_a_table_that_breaks_the_schema(tmp_path: Path):
    good = pd.DataFrame([["plazas", 1, 10.0, 0.5]], columns=columns_of("coverage_curve.csv"))
    assert outputs.write_output(tmp_path, "coverage_curve.csv", good).is_file()
    swapped = good[["channel", "covered_weight", "k", "covered_share"]]
    with pytest.raises(RuntimeError, match="coverage_curve.csv.*out of order"):
        outputs.write_output(tmp_path / "x", "coverage_curve.csv", swapped)
    with pytest.raises(RuntimeError, match="missing columns \\['covered_share'\\]"):
        outputs.write_output(
            tmp_path / "x", "coverage_curve.csv", good.drop(columns="covered_share")
        )
    assert not (tmp_path / "x").exists()  # nothing written when the check fails


def test_columns_of_refuses_optional_and_wildcard_specs():
    assert columns_of("coverage_curve.csv") == ["channel", "k", "covered_weight", "covered_share"]
    with pytest.raises(ValueError, match="wildcard"):
        columns_of("precinct_stats.csv")  # has cat_* columns
