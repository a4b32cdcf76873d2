"""Scenario TOML -> frozen dataclasses; unknown keys are errors with a suggestion."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from geo_outreach._errors import ScenarioError
from geo_outreach.scenario import load_scenario, parse_scenario, scenario_to_dict

BASE = {"precincts": {"path": "p.geojson"}, "alerts": {"path": "a.csv"}}


def test_minimal_scenario_defaults_and_relative_paths(tmp_path: Path):
    sc = parse_scenario(BASE, base=tmp_path)
    assert sc.precincts.path == tmp_path / "p.geojson"
    assert sc.alerts.datum == "wgs84"  # the default datum, stated in the manifest
    assert sc.channels == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.alerts.datum = "gcj02"  # type: ignore[misc]


def test_unknown_key_suggests_nearest(tmp_path: Path):
    data = {**BASE, "alerts": {"path": "a.csv", "datun": "gcj02"}}
    with pytest.raises(ScenarioError, match=r"unknown key alerts.datun; did you mean 'datum'"):
        parse_scenario(data, base=tmp_path)


def test_unknown_section_and_bad_values(tmp_path: Path):
    with pytest.raises(
        ScenarioError, match=r"unknown section \[chanels\]; did you mean 'channels'"
    ):
        parse_scenario({**BASE, "chanels": {}}, base=tmp_path)
    with pytest.raises(ScenarioError, match=r"alerts.datum = 'mars' is not one of"):
        parse_scenario({**BASE, "alerts": {"path": "a.csv", "datum": "mars"}}, base=tmp_path)
    with pytest.raises(ScenarioError, match="radius_m must be > 0"):
        parse_scenario(
            {**BASE, "channels": {"x": {"venue_kinds": ["cafe"], "radius_m": 0}}}, base=tmp_path
        )
    with pytest.raises(ScenarioError, match="budget must be a whole number"):
        parse_scenario(
            {**BASE, "channels": {"x": {"venue_kinds": ["cafe"], "budget": "8"}}}, base=tmp_path
        )
    with pytest.raises(ScenarioError, match=r"needs a \[alerts\] section"):
        parse_scenario({"precincts": {"path": "p"}}, base=tmp_path)


def test_channels_and_weights_parse(tmp_path: Path):
    data = {
        **BASE,
        "channels": {
            "square_dance": {
                "venue_kinds": ["plaza", "park"],
                "budget": 8,
                "radius_m": 800,
                "distance": "walk",
                "category_weights": {"养老/保健品诈骗": 3},
                "age_weights": {"60+": 2.0},
            }
        },
    }
    sc = parse_scenario(data, base=tmp_path)
    ch = sc.channel("square_dance")
    assert ch.venue_kinds == ("plaza", "park") and ch.radius_m == 800.0
    assert ch.category_weights == {"养老/保健品诈骗": 3.0}
    assert scenario_to_dict(sc)["channels"][0]["name"] == "square_dance"


def test_load_scenario_errors_name_the_file(tmp_path: Path):
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[alerts\npath = 1", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad.toml: not valid TOML"):
        load_scenario(bad)
