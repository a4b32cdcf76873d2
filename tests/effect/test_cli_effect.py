"""``geo-outreach effect`` and ``geo-outreach log validate`` on the bundled sample (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach._validate import EFFECT_OUTPUT_FILES, check_output
from geo_outreach.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "xinhui_demo.toml"
LOG = REPO / "data" / "sample" / "campaign_log.csv"


def test_log_validate_lists_rejects_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "validate", str(LOG)]) == 1
    out = capsys.readouterr().out
    assert "99 rows usable, 4 rejected" in out
    assert "row 100, column 结束日期: end date before start date" in out
    assert "add --scenario" in out


def test_effect_on_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["effect", str(SAMPLE), "--log", str(LOG), "--out", str(tmp_path),
               "--synthetic-log", "-q"])  # fmt: skip
    assert rc == 0
    out = capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == set(EFFECT_OUTPUT_FILES)
    check_output("effect.csv", pd.read_csv(tmp_path / "effect.csv"))
    check_output("campaign_log_rejects.csv", pd.read_csv(tmp_path / "campaign_log_rejects.csv"))
    s = json.loads((tmp_path / "effect.json").read_text(encoding="utf-8"))
    assert s["log"]["rows_loaded"] == 97 and s["log"]["rows_rejected"] == 6
    assert s["areas"]["treated"] + s["areas"]["control"] == s["areas"]["used"] == 11
    assert s["synthetic"] is True and "SYNTHETIC campaign log" in s["notes"]
    # the sample alerts have no planted effect: the verdict must not claim one
    assert s["claim"] is False
    assert s["wording"]["zh"] in out
    assert (tmp_path / "effect.png").stat().st_size > 10_000


def test_effect_needs_a_log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["effect", str(SAMPLE), "--log", str(tmp_path / "nope.csv"), "-q"])
    assert rc == 2
    assert "file not found (campaign_log layer)" in capsys.readouterr().err


def test_sample_log_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_campaign_log", REPO / "scripts" / "make_campaign_log.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--out", str(tmp_path / "log.csv")]) == 0
    assert (tmp_path / "log.csv").read_bytes() == LOG.read_bytes()
