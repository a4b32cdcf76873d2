"""The Python API (``import geo_outreach as go``): ``go.plan`` and ``go.evaluate`` compute without
writing or printing when ``out`` is None, and write the same bytes as the CLI when it is given."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import geo_outreach as go
from geo_outreach._errors import InputDataError
from geo_outreach.api import evaluate
from geo_outreach.cli import main
from tests.conftest import xy_to_lonlat

CHANNELS = """
[channels.plazas]
label = "广场"
venue_kinds = ["plaza"]
budget = 2
radius_m = 300
"""
FAST = {"n_boot": 20, "n_random": 4}
VOLATILE = ("briefing.html", "briefing.png", "briefing.pdf", "manifest.json", "evaluation.json")


@pytest.fixture
def scenario(scenario_factory, tmp_path: Path) -> Path:
    """The three-precinct scenario with four plazas and one venue channel."""
    venues = [("V0", 500, 1000), ("V1", 700, 1000), ("V2", 3000, 1000), ("V3", 5000, 1000)]
    recs = []
    for vid, x, y in venues:
        lon, lat = xy_to_lonlat(x, y)
        recs.append(
            {
                "venue_id": vid,
                "kind": "plaza",
                "name": f"广场{vid}",
                "lon": float(lon),
                "lat": float(lat),
            }
        )
    pd.DataFrame(recs).to_csv(tmp_path / "venues.csv", index=False, encoding="utf-8")
    return scenario_factory(venues='[[venues]]\npath = "venues.csv"\n', extra=CHANNELS)


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _same_bytes(a: Path, b: Path) -> list[str]:
    """Names of the files of ``a`` (volatile ones aside) whose bytes differ from ``b``'s."""
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    return [
        p.name
        for p in sorted(a.iterdir())
        if p.name not in VOLATILE and p.read_bytes() != (b / p.name).read_bytes()
    ]


def test_package_exports_the_api_and_the_stage_modules():
    assert callable(go.plan) and callable(go.load_scenario) and callable(go.cover)
    for name in ("io", "analytics", "channels", "coverage", "outputs", "osm", "scenario"):
        assert getattr(go, name).__name__ == f"geo_outreach.{name}"
    assert go.plan.__module__ == "geo_outreach.api"


def test_plan_without_out_computes_and_writes_nothing(scenario: Path, tmp_path: Path, capsys):
    before = _tree(tmp_path)
    messages: list[str] = []
    p = go.plan(scenario, progress=messages.append)
    assert _tree(tmp_path) == before  # not even the scenario's [output] dir
    assert capsys.readouterr() == ("", "")  # the library never prints
    assert isinstance(p, go.Plan) and p.out_dir is None and p.files == {} and p.manifest is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.files = {}  # type: ignore[misc]
    assert len(p.data.alerts) == 10 and set(p.data.precincts["precinct_id"]) == {"A", "B", "C"}
    assert p.analytics.precinct_stats["alerts"].sum() == 10
    assert p.channels is not None
    assert set(p.channels.placements["channel"]) == {"plazas"}
    assert len(p.channels.placements) == 2
    assert messages[0] == "load ..." and "channels: done in" in messages[-1]


def test_plan_with_out_writes_the_same_bytes_as_the_cli(scenario: Path, tmp_path: Path, capsys):
    p = go.plan(scenario, out=tmp_path / "api")
    assert main(["plan", str(scenario), "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    capsys.readouterr()
    assert p.out_dir == tmp_path / "api"
    assert {"map.html", "placements.csv", "precincts.geojson", "manifest.json"} <= set(p.files)
    assert all(path.is_file() for path in p.files.values())
    assert _same_bytes(tmp_path / "api", tmp_path / "cli") == []
    m_api = json.loads((tmp_path / "api" / "manifest.json").read_text(encoding="utf-8"))
    m_cli = json.loads((tmp_path / "cli" / "manifest.json").read_text(encoding="utf-8"))
    assert m_api["outputs_sha256"] == m_cli["outputs_sha256"]
    assert p.manifest is not None and p.manifest["outputs_sha256"] == m_api["outputs_sha256"]


def test_evaluate_without_out_writes_nothing(scenario: Path, tmp_path: Path, capsys):
    before = _tree(tmp_path)
    result = evaluate(scenario, split="2025-03-01", **FAST)
    assert _tree(tmp_path) == before
    assert capsys.readouterr() == ("", "")
    assert set(result.table["channel"]) >= {"plazas"} and "oracle" in set(result.table["method"])
    assert result.summary["summary_split"] == "2025-03-01"
    with pytest.raises(InputDataError, match="not a date"):
        evaluate(scenario, split="March 2025", **FAST)


def test_evaluate_with_out_writes_the_same_bytes_as_the_cli(scenario: Path, tmp_path: Path, capsys):
    assert go.plan(scenario, out=tmp_path / "api", render=False).files
    evaluate(scenario, split="2025-03-01", out=tmp_path / "api", **FAST)
    assert main(["plan", str(scenario), "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    assert (
        main(
            [
                "evaluate",
                str(scenario),
                "--split",
                "2025-03-01",
                "--out",
                str(tmp_path / "cli"),
                "--n-boot",
                "20",
                "--n-random",
                "4",
                "--quiet",
            ]
        )
        == 0
    )
    assert "briefing.html: " in capsys.readouterr().out  # the CLI re-rendered the plan's briefing
    for name in ("evaluation.csv", "evaluation.png", "evaluation.json", "briefing.html"):
        assert (tmp_path / "api" / name).is_file(), name
    # the api run wrote no map.html (render=False), so compare the evaluation files only
    for name in ("evaluation.csv", "evaluation.png"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "geo_outreach", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"geo-outreach {go.__version__}"
    proc = subprocess.run(
        [sys.executable, "-m", "geo_outreach", "plan"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "scenario" in proc.stderr
