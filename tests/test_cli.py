"""The CLI in-process: exit codes (0 ok, 2 bad input/usage) and one-line errors."""

from __future__ import annotations

from pathlib import Path

from geo_outreach.cli import main
from tests.conftest import alert_rows


def test_validate_ok_prints_table(scenario_factory, capsys):
    rows = alert_rows() + [{**alert_rows()[0], "警情编号": "Z", "经度": ""}]
    code = main(["validate", str(scenario_factory(rows))])
    out = capsys.readouterr().out
    assert code == 0
    assert "alerts" in out and "rows loaded" in out
    assert "rejected alerts: 1 x no coordinates" in out
    assert "outside every precinct (kept, counted as 'outside'): 1" in out


def test_validate_bad_layer_exit_2_one_line(scenario_factory, capsys):
    rows = [{k: v for k, v in r.items() if k != "经度"} for r in alert_rows()]
    code = main(["validate", str(scenario_factory(rows))])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "alerts.csv" in err
    assert "Traceback" not in err


def test_scenario_typo_exit_2(scenario_factory, capsys):
    sc = scenario_factory(extra="basemapp = 'none'")
    assert main(["validate", str(sc)]) == 2
    assert "did you mean 'basemap'" in capsys.readouterr().err


def test_usage_error_exit_2(capsys):
    assert main(["plan"]) == 2
    assert main(["no-such-command"]) == 2


def test_missing_scenario_exit_2(tmp_path: Path, capsys):
    assert main(["plan", str(tmp_path / "missing.toml"), "--quiet"]) == 2
    assert "scenario file not found" in capsys.readouterr().err


def test_init_copies_sample_and_the_scenario_validates(tmp_path: Path, capsys):
    target = tmp_path / "myplan"
    assert main(["init", str(target)]) == 0
    scenario = target / "scenario.toml"
    text = scenario.read_text(encoding="utf-8")
    assert 'path = "data/alerts.csv"' in text and 'dir = "outputs"' in text
    assert (target / "data" / "xinhui_precincts.geojson").is_file()
    assert main(["validate", str(scenario)]) == 0
    out = capsys.readouterr().out
    assert "2427" in out  # the sample's usable alerts: 2,437 rows, 10 rejected
    assert main(["init", str(target)]) == 2  # refuses to overwrite without --force
    assert main(["init", str(target), "--force"]) == 0
