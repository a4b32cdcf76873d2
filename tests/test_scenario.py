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


# --------------------------------------------------------------------------- value checks (#10)

CH = {"venue_kinds": ["cafe"]}


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("channel", "radius_m", float("nan"), r"channels.x.radius_m = nan is not a number"),
        ("channel", "radius_m", float("inf"), r"channels.x.radius_m = inf is not a number"),
        ("channel", "radius_m", 0, r"channels.x.radius_m must be > 0 and <= 50000"),
        ("channel", "radius_m", 50_001, r"radius_m must be > 0 and <= 50000 .*got 50001"),
        ("channel", "budget", 0, r"channels.x.budget must be >= 1"),
        ("channel", "min_share_per_precinct", 1.5, r"min_share_per_precinct must be >= 0 and <= 1"),
        ("channel", "min_share_per_precinct", -0.1, r"min_share_per_precinct must be >= 0"),
        ("channel", "time_limit_s", float("-inf"), r"time_limit_s = -inf is not a number"),
        ("scenario", "seed", -1, r"scenario.seed must be >= 0"),
        ("alerts", "max_outside_km", float("nan"), r"alerts.max_outside_km = nan"),
        ("alerts", "max_outside_km", -2, r"alerts.max_outside_km must be >= 0"),
        ("analysis", "bandwidth_m", 60_000, r"analysis.bandwidth_m must be > 0 and <= 50000"),
        ("analysis", "cell_m", -5, r"analysis.cell_m must be > 0"),
        ("analysis", "half_life_days", 0, r"analysis.half_life_days must be > 0"),
    ],
)
def test_every_number_is_checked_when_read(tmp_path: Path, section, key, value, message):
    data = {**BASE, "channels": {"x": dict(CH)}}
    if section == "channel":
        data["channels"]["x"][key] = value
    elif section == "alerts":
        data["alerts"] = {"path": "a.csv", key: value}
    else:
        data[section] = {key: value}
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data, base=tmp_path)


def test_nan_weights_and_toml_nan_literal_are_errors(tmp_path: Path):
    data = {**BASE, "channels": {"x": {**CH, "age_weights": {"60+": float("nan")}}}}
    with pytest.raises(ScenarioError, match=r"channels.x.age_weights.60\+ = nan is not a number"):
        parse_scenario(data, base=tmp_path)
    data = {**BASE, "channels": {"x": {**CH, "category_weights": {"a": -1}}}}
    with pytest.raises(ScenarioError, match=r"category_weights.a must be >= 0"):
        parse_scenario(data, base=tmp_path)
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[precincts]\npath = "p.geojson"\n[alerts]\npath = "a.csv"\n'
        "[channels.x]\nvenue_kinds = ['cafe']\nradius_m = nan\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"s.toml: channels.x.radius_m = nan is not a number"):
        load_scenario(toml)


def test_edge_values_are_accepted(tmp_path: Path):
    ch = {**CH, "radius_m": 50_000, "min_share_per_precinct": 1.0, "budget": 1}
    sc = parse_scenario(
        {
            **BASE,
            "scenario": {"seed": 0},
            "channels": {"x": ch},
            "alerts": {"path": "a.csv", "max_outside_km": 0},
        },
        base=tmp_path,
    )
    assert sc.channel("x").radius_m == 50_000.0 and sc.scenario.seed == 0


def test_weight_keys_matching_no_value_are_warnings_listing_the_values(tmp_path: Path):
    from geo_outreach.scenario_checks import weight_key_warnings

    data = {
        **BASE,
        "analysis": {"category_weights": {"刷单返利": 2.0}},
        "channels": {
            "x": {
                **CH,
                "category_weights": {"刷单": 2.0, "刷单返利": 1.0},
                "age_weights": {"60+": 2},
            }
        },
    }
    sc = parse_scenario(data, base=tmp_path)
    warnings = weight_key_warnings(sc, ["刷单返利", "冒充公检法", "刷单返利"], ["60+", ""])
    assert warnings == [
        "channels.x.category_weights: '刷单' match no alert category; "
        "the alerts have: 冒充公检法, 刷单返利"
    ]
    warnings = weight_key_warnings(sc, ["冒充公检法"], [])
    assert len(warnings) == 3 and warnings[2].endswith("the alerts have: (none)")
