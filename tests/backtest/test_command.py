"""``geo-outreach evaluate`` in-process: files, printed summary, exit codes, the briefing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import backtest
from geo_outreach.cli import main
from tests.backtest.conftest import FAST
from tests.conftest import layout_rows


def test_cli_evaluate_writes_files_and_summary(layout, tmp_path: Path, capsys):
    sc = layout()
    out = tmp_path / "eval"
    assert main(["evaluate", str(sc), "--split", "2025-05-01", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "plan" in printed and "oracle" in printed and "perfect hindsight" in printed
    listed = [line.split(":")[0] for line in printed.splitlines() if line.startswith("evaluation.")]
    assert listed == list(backtest.OUTPUT_FILES)
    csv = pd.read_csv(out / "evaluation.csv", encoding="utf-8-sig")
    assert list(csv.columns) == backtest.CSV_COLUMNS and len(csv) == len(backtest.METHODS)
    summary = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert summary["schema"] == backtest.SCHEMA and summary["summary_split"] == "2025-05-01"
    entry = summary["channels"]["plazas"]
    assert entry["plan"]["share_of_oracle"] == 1.0 and entry["plan_beats_baselines"] is True
    assert "100%" in entry["headline"]["en"] and "事后最优" in entry["headline"]["zh"]
    assert (out / "evaluation.png").read_bytes()[:4] == b"\x89PNG"
    assert summary["inputs"] and all(len(r["sha256"]) == 64 for r in summary["inputs"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "2030-01-01"], "data period is 2025-01-"),
        (["--split", "2024-12-01"], "outside the data"),
        (["--split", "2025-05-01", "--rolling", "3"], "past the end"),
        (["--split", "2025-05-01", "--until", "2025-04-01"], "before the split"),
    ],
)
def test_cli_bad_split_exit_2_one_line(layout, tmp_path: Path, capsys, args, message):
    code = main(["evaluate", str(layout()), *args, "--out", str(tmp_path / "x"), *FAST])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "x" / "evaluation.csv").exists()


def test_cli_usage_errors_exit_2(layout, capsys):
    sc = str(layout())
    assert main(["evaluate", sc]) == 2  # --split is required
    assert main(["evaluate", sc, "--split", "May 2025"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_scenario_without_channels_is_a_clear_error(scenario_factory, tmp_path: Path, capsys):
    sc = scenario_factory(layout_rows())
    assert main(["evaluate", str(sc), "--split", "2025-05-01", "--quiet"]) == 2
    assert "no [channels" in capsys.readouterr().err


def test_cli_evaluate_rerenders_the_briefing_of_a_plan(layout, tmp_path: Path, capsys):
    sc = str(layout())
    out = tmp_path / "run"
    assert (
        main(["evaluate", sc, "--split", "2025-05-01", "--out", str(out), *FAST]) == 0
    )  # no plan yet
    assert (
        "run `geo-outreach plan" in capsys.readouterr().out and not (out / "briefing.html").exists()
    )
    assert main(["plan", sc, "--out", str(out), "--quiet"]) == 0
    (out / "briefing.html").unlink()  # so the next one is the evaluate command's
    assert main(["evaluate", sc, "--split", "2025-05-01", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert f"briefing.html: {(out / 'briefing.html').resolve()}" in printed
    page = (out / "briefing.html").read_text(encoding="utf-8")
    sec = page[page.index('<section class="backtest" id="backtest">') :]
    assert "回测" in sec and "切分日 2025-05-01" in sec and "广场：方案达到事后最优的 100%" in sec
    assert 'id="backtest-chart"' in sec and "data:image/png;base64," in sec
