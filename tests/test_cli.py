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


def test_demo_end_to_end_writes_every_output(tmp_path: Path, capsys):
    """The bundled scenario through the CLI: all five channels on walking distance, every file."""
    import json

    import pandas as pd

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"map.html: {out.resolve() / 'map.html'}" in printed
    for name in (
        "map.html",
        "briefing.html",
        "precinct_stats.csv",
        "monthly_trends.csv",
        "density.tif",
        "hotspots.geojson",
        "clusters.geojson",
        "placements.csv",
        "coverage_curve.csv",
        "patrol_route.geojson",
        "rejects.csv",
        "manifest.json",
    ):
        assert (out / name).is_file(), name
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig")
    assert len(rejects) == 10 and set(rejects["layer"]) == {"alerts"}
    stats = pd.read_csv(
        out / "precinct_stats.csv", encoding="utf-8-sig", dtype={"precinct_id": str}
    )
    assert len(stats) == 12 and stats["alerts"].sum() == 2427  # 11 precincts + outside
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["synthetic"] is True and m["datums"]["alerts"] == "gcj02"
    assert {r["layer"]: r["rows_loaded"] for r in m["inputs"]}["alerts"] == 2427
    assert set(m["channels"]) == {
        "square_dance",
        "banners",
        "cafe_sleeves",
        "parcel_stickers",
        "patrols",
    }
    # every table the demo wrote has the columns of the output schema, and no file is unlisted
    from geo_outreach._validate import OUTPUT_COLUMNS, OUTPUT_FILES, output_columns

    for name in OUTPUT_COLUMNS:
        if not (out / name).is_file() or name == "evaluation.csv":
            continue
        if name.endswith(".csv"):
            cols = list(pd.read_csv(out / name, nrows=0, encoding="utf-8-sig").columns)
        else:
            feats = json.loads((out / name).read_text(encoding="utf-8"))["features"]
            assert feats, f"{name} is empty in the demo"
            cols = list(feats[0]["properties"])
        assert output_columns(name, cols) == [], name
    assert {p.name for p in out.iterdir()} <= set(OUTPUT_FILES)
    assert {c["distance"] for n, c in m["channels"].items() if n != "banners"} == {"walk"}
    placements = pd.read_csv(out / "placements.csv", encoding="utf-8-sig")
    assert placements.groupby("channel").size().to_dict() == {
        "banners": 10,
        "cafe_sleeves": 6,
        "parcel_stickers": 8,
        "patrols": 6,
        "square_dance": 8,
    }
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '<script src="http' not in html and "合成" in html  # offline, labelled synthetic


def test_every_command_lives_in_the_one_parser():
    import argparse

    from geo_outreach.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {
        "demo",
        "plan",
        "validate",
        "init",
        "render",
        "cover",
        "evaluate",
        "osm",
        "effect",  # issue 13
        "log",  # issue 13
    }
    for name, parser in sub.choices.items():
        if name not in ("osm", "log"):
            assert {"--quiet", "--verbose"} <= set(parser._option_string_actions), name


def test_progress_lines_on_stderr_and_quiet_turns_them_off(scenario_factory, capsys):
    sc = str(scenario_factory())
    out = Path(sc).parent / "run"
    assert main(["plan", sc, "--out", str(out)]) == 0
    cap = capsys.readouterr()
    lines = cap.err.splitlines()
    assert lines[0] == "[geo-outreach] load ..." and all(
        x.startswith("[geo-outreach] ") for x in lines
    )
    assert cap.out.startswith(f"Plan written to {out.resolve()}")
    assert main(["plan", sc, "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_library_modules_never_print():
    """Only cli.py prints (an AST walk, so comments and strings do not count)."""
    import ast

    import geo_outreach

    allowed = {"cli.py"}
    package = Path(geo_outreach.__file__).parent
    printing = []
    for path in sorted(package.rglob("*.py")):
        if path.name in allowed and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                printing.append(f"{path.relative_to(package)}:{node.lineno}")
    assert printing == []
