"""Outputs that stay honest (issue 10): OSError -> one line, staged runs, a lock, leftovers
cleaned, tamper checks before rendering, no backtest from another plan, Excel-safe CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import outputs
from geo_outreach._errors import GeoOutreachError, InputDataError
from geo_outreach.cli import main
from geo_outreach.render import load_output_folder
from tests.conftest import CHANNELS, alert_rows, layout_rows, venues_csv


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


@pytest.fixture
def plan_dir(scenario_factory, tmp_path: Path) -> tuple[Path, Path]:
    """A small plan (one channel, no render: fast) in tmp/run; returns (scenario, out)."""
    venues_csv(tmp_path / "venues.csv")
    sc = scenario_factory(layout_rows(), venues='[[venues]]\npath = "venues.csv"\n', extra=CHANNELS)
    out = tmp_path / "run"
    from geo_outreach.plan import build_plan
    from geo_outreach.scenario import load_scenario, with_overrides

    build_plan(with_overrides(load_scenario(sc), dir=out), render=False)
    return sc, out


# --------------------------------------------------------------------------- OSError -> exit 2


def test_out_dir_that_is_a_file_is_one_line_exit_2(scenario_factory, tmp_path: Path, capsys):
    sc = scenario_factory()
    target = tmp_path / "taken"
    target.write_text("not a folder", encoding="utf-8")
    assert main(["plan", str(sc), "--out", str(target), "--quiet"]) == 2
    assert "is a file, not a folder" in _one_line_error(capsys)
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_disk_full_mid_run_is_one_line_exit_2_and_leaves_no_staging(
    scenario_factory, tmp_path: Path, capsys, monkeypatch
):
    import errno

    sc = scenario_factory()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.csv"))

    monkeypatch.setattr(outputs, "write_csv", full)
    assert main(["plan", str(sc), "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = _one_line_error(capsys)
    assert "No space left on device" in err and "x.csv" in err
    assert not (tmp_path / "run").exists()
    assert [p.name for p in tmp_path.glob(".run.staging-*")] == []


def test_unwritable_out_dir_is_one_line_exit_2(scenario_factory, tmp_path: Path, capsys):
    sc = scenario_factory()
    # a path under a file cannot be created, whoever runs the test (root ignores chmod)
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert main(["plan", str(sc), "--out", str(tmp_path / "f" / "run"), "--quiet"]) == 2
    _one_line_error(capsys)


def test_folder_with_other_files_is_refused_not_replaced(scenario_factory, tmp_path, capsys):
    sc = scenario_factory()
    mine = tmp_path / "docs"
    mine.mkdir()
    (mine / "report.docx").write_bytes(b"precious")
    assert main(["plan", str(sc), "--out", str(mine), "--quiet"]) == 2
    assert "report.docx" in _one_line_error(capsys)
    assert (mine / "report.docx").read_bytes() == b"precious"


# --------------------------------------------------------------------------- staging and lock


HOLD = """
import sys, time
from geo_outreach import outputs
with outputs.staged_output(sys.argv[1]) as stage:
    (stage / "placements.csv").write_text("half", encoding="utf-8")
    print(stage, flush=True)
    time.sleep(60)
"""


def test_second_concurrent_run_is_refused_and_a_killed_run_is_cleaned(plan_dir, capsys):
    sc, out = plan_dir
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / ".placements.csv.x1.tmp.csv").write_text("partial", encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        stage = Path(holder.stdout.readline().strip())  # the other run is writing now
        assert stage.is_dir() and stage.parent == out.parent
        assert main(["plan", str(sc), "--out", str(out), "--quiet"]) == 2
        assert "another geo-outreach run is writing" in _one_line_error(capsys)
        # the refused run touched nothing: the folder is the previous plan's
        assert {p.name: p.read_bytes() for p in out.iterdir() if ".tmp" not in p.name} == before
    finally:
        holder.kill()  # killed mid-run: its staging folder stays behind
        holder.wait()
        holder.stdout.close()
    assert stage.is_dir()
    assert main(["plan", str(sc), "--out", str(out), "--quiet"]) == 0
    assert not stage.exists()  # cleaned by the next run
    assert not list(out.glob(".*.tmp*"))
    assert {p.name for p in out.iterdir()} >= set(before)


def test_staged_output_swaps_whole_folder_and_keeps_old_on_failure(tmp_path: Path):
    out = tmp_path / "run"
    with outputs.staged_output(out) as stage:
        (stage / "manifest.json").write_text("{}", encoding="utf-8")
        assert not out.exists()  # nothing appears before the end
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"
    with pytest.raises(RuntimeError), outputs.staged_output(out) as stage:
        (stage / "manifest.json").write_text('{"new": 1}', encoding="utf-8")
        raise RuntimeError("interrupted")
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.lock", "run"]
    with outputs.staged_output(out), pytest.raises(GeoOutreachError, match="another"):
        with outputs.staged_output(out):
            pass


def test_staged_folder_gets_the_usual_permissions(tmp_path: Path):
    import os
    import stat

    plain = tmp_path / "plain"
    plain.mkdir()
    with outputs.staged_output(tmp_path / "run") as stage:
        assert os.access(stage, os.W_OK)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_run_killed_between_the_two_renames_gets_its_folder_back(tmp_path: Path):
    out = tmp_path / "run"
    old = tmp_path / ".run.old-abc"
    old.mkdir()
    (old / "manifest.json").write_text("{}", encoding="utf-8")
    outputs.clean_leftovers(out)
    assert (out / "manifest.json").is_file() and not old.exists()


# --------------------------------------------------------------------------- render checks


def test_render_refuses_a_tampered_or_truncated_folder(plan_dir, capsys):
    _, out = plan_dir
    load_output_folder(out)  # intact: reads
    stats = out / "precinct_stats.csv"
    good = stats.read_bytes()
    stats.write_bytes(good.replace(b"A", b"Z", 1))
    with pytest.raises(InputDataError, match="precinct_stats.csv was changed after the plan"):
        load_output_folder(out)
    assert main(["render", str(out), "--quiet"]) == 2
    assert "sha256 differs" in _one_line_error(capsys)
    stats.write_bytes(good)
    placements = out / "placements.geojson"
    placements.write_bytes(placements.read_bytes()[:100])  # truncated
    with pytest.raises(InputDataError, match="placements.geojson was changed"):
        load_output_folder(out)
    placements.unlink()
    with pytest.raises(InputDataError, match="placements.geojson is missing"):
        load_output_folder(out)


def test_backtest_of_another_plan_is_never_shown(plan_dir, caplog):
    _, out = plan_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plan_hash"] == outputs.plan_hash(manifest["outputs_sha256"])
    assert outputs.read_plan_hash(out) == manifest["plan_hash"]
    summary = {"channels": {}, "synthetic": True}
    (out / "evaluation.json").write_text(
        json.dumps({**summary, "plan_hash": "f" * 64}), encoding="utf-8"
    )
    folder = load_output_folder(out)
    assert folder.evaluation_summary is None and folder.evaluation is None
    assert "belongs to another plan" in caplog.text
    (out / "evaluation.json").write_text(json.dumps(summary), encoding="utf-8")  # no hash
    assert load_output_folder(out).evaluation_summary is None
    (out / "evaluation.json").write_text(
        json.dumps({**summary, "plan_hash": manifest["plan_hash"]}), encoding="utf-8"
    )
    assert load_output_folder(out).evaluation_summary is not None


# --------------------------------------------------------------------------- Excel


def test_csv_text_cells_are_escaped_numbers_are_not(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "value": [
                '=HYPERLINK("http://x")',
                "+1+2",
                "-cmd|' /C calc'!A0",
                "@SUM(A1)",
                "ok",
                "-3.5",
                "'quoted",
                "\tTab",
            ],
            "n": [-1.5, -2, 0, 3, 4, 5, 6, 7],
        }
    )
    path = outputs.write_csv(tmp_path / "rejects.csv", frame)
    raw = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(raw["value"]) == [
        '\'=HYPERLINK("http://x")',
        "'+1+2",
        "'-cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "ok",
        "-3.5",
        "''quoted",
        "'\tTab",
    ]
    assert raw["n"].tolist() == [-1.5, -2, 0, 3, 4, 5, 6, 7]  # still numbers
    assert path.read_text(encoding="utf-8-sig").splitlines()[1].endswith(",-1.5")
    back = outputs.excel_unescape(raw.copy())
    assert list(back["value"]) == list(frame["value"])  # the renderer reads the original


def test_plan_csv_escapes_an_injected_category_and_render_reads_it_back(
    scenario_factory, tmp_path: Path
):
    rows = alert_rows()
    rows[0]["案件类别"] = '=HYPERLINK("http://evil")'
    sc = scenario_factory(rows)
    out = tmp_path / "run"
    assert main(["plan", str(sc), "--out", str(out), "--quiet"]) == 0
    raw = pd.read_csv(out / "alerts.csv", encoding="utf-8-sig", dtype=str)
    assert '\'=HYPERLINK("http://evil")' in set(raw["category"])
    assert not raw.stack().str.startswith(("=", "+", "@")).any()
    stats = pd.read_csv(out / "precinct_stats.csv", encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(stats["alerts"])
    folder = load_output_folder(out)
    assert '=HYPERLINK("http://evil")' in set(folder.alerts["category"])
