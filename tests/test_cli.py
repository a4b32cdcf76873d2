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
    code = main(["validate", str(scenario_factory(rows)), "--quiet"])
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
    assert "2413" in out  # the sample's usable alerts: 2,423 rows, 10 rejected (issue 13 thinned)
    assert main(["init", str(target)]) == 2  # refuses to overwrite without --force
    assert main(["init", str(target), "--force"]) == 0


def test_demo_end_to_end_writes_every_output(demo_run):
    """The bundled scenario through the CLI: all five channels on walking distance, every file.

    The run is the session's ``demo_run`` (tests/conftest.py; shared with the map tests)."""
    import json

    import pandas as pd

    out = demo_run.out
    assert demo_run.code == 0
    assert len(demo_run.renders) == 1  # issue 14: the map and briefing are rendered once
    printed = demo_run.printed
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
    assert len(stats) == 12 and stats["alerts"].sum() == 2413  # 11 precincts + outside
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["synthetic"] is True and m["datums"]["alerts"] == "gcj02"
    assert {r["layer"]: r["rows_loaded"] for r in m["inputs"]}["alerts"] == 2413
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
        "cafe_sleeves": 15,  # issue 12: 150,000 sleeves to 15 cafés (was 6)
        "parcel_stickers": 8,
        "patrols": 6,
        "square_dance": 8,
    }
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '<script src="http' not in html and "合成" in html  # offline, labelled synthetic
    # issue 13: banners plan on forecast demand, the manifest records the choice, the briefing
    # says which demand was used and why; the [campaign_log] section gives the effect files
    fc = m["channels"]["banners"]["forecast"]
    assert m["channels"]["banners"]["demand"] == "forecast" and fc["bandwidth_m"] > 0
    assert m["channels"]["square_dance"]["demand"] == "raw"
    brief = (out / "briefing.html").read_text(encoding="utf-8")
    assert "本方案按预测需求选点（横幅/LED标语）：带宽" in brief
    assert (out / "effect.json").is_file() and (out / "effect.png").is_file()
    assert "宣传效果评估（双重差分）" in brief  # rendered after the effect, in the one render
    assert m["timings_s"]["effect"] > 0 and m["timings_cpu_s"]["effect"] > 0  # issue 14
    # issue 12: the patrol calendar is the peak windows the patrol route shows
    cal = pd.read_csv(out / "calendar.csv", encoding="utf-8-sig", keep_default_na=False)
    peaks = cal[cal["channel"] == "patrols"]
    assert set(peaks["kind"]) == {"peak"} and len(peaks) == len(m["peak_windows"]) >= 1
    for (_, r), w in zip(peaks.iterrows(), m["peak_windows"], strict=True):
        assert r["hours"] == f"{w['start_hour']:02d}:00-{w['end_hour']:02d}:00"
        assert float(r["share"]) == w["share"]


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


# --------------------------------------------------------------------------- validate (#10)


def _validate_errors(capsys) -> tuple[str, list[str]]:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), captured.err
    assert "Traceback" not in captured.err
    return captured.out, lines


def test_validate_fails_when_under_1_percent_of_a_layer_loads(scenario_factory, capsys):
    good = alert_rows()[0]
    rows = [good] + [{**good, "警情编号": f"X{i}", "经度": ""} for i in range(150)]
    assert main(["validate", str(scenario_factory(rows)), "--quiet"]) == 2
    out, errors = _validate_errors(capsys)
    assert "rows loaded" in out  # the table is still printed
    assert any("only 1 of 151 rows load (under 1%)" in e for e in errors)


def test_validate_fails_when_no_row_is_usable(scenario_factory, capsys):
    rows = [{**r, "经度": ""} for r in alert_rows()]
    assert main(["validate", str(scenario_factory(rows)), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "alerts" in err and "Traceback" not in err


def test_validate_fails_when_a_channel_has_no_candidate_venues(
    scenario_factory, tmp_path: Path, capsys
):
    from tests.conftest import layout_rows, venues_csv

    venues_csv(tmp_path / "venues.csv")  # plazas only
    channels = '[channels.cafes]\nvenue_kinds = ["cafe"]\nbudget = 2\nradius_m = 300\n'
    sc = scenario_factory(layout_rows(), venues='[[venues]]\npath = "venues.csv"\n', extra=channels)
    assert main(["validate", str(sc), "--quiet"]) == 2
    out, errors = _validate_errors(capsys)
    assert "channel cafes: 0 candidate venues" in out
    assert errors == [
        "error: channels.cafes: no candidate venues of kinds ['cafe']; add such venues to a "
        "venues file or change venue_kinds"
    ]


def test_validate_runs_the_channel_checks_plan_runs(scenario_factory, tmp_path: Path, capsys):
    from tests.conftest import CHANNELS, layout_rows, venues_csv

    venues_csv(tmp_path / "venues.csv")
    extra = CHANNELS + 'existing = ["NOPE"]\ncategory_weights = { "刷单" = 2.0 }\n'
    sc = scenario_factory(layout_rows(), venues='[[venues]]\npath = "venues.csv"\n', extra=extra)
    assert main(["validate", str(sc), "--quiet"]) == 2
    out, errors = _validate_errors(capsys)
    assert "channel plazas: 5 candidate venues" in out
    assert "warning: channels.plazas.category_weights: '刷单' match no alert category; " in out
    assert "the alerts have: 冒充公检法, 刷单返利" in out
    assert len(errors) == 1 and "NOPE" in errors[0]
    # the same scenario without the unknown existing site validates, warning kept
    sc.write_text(sc.read_text(encoding="utf-8").replace('existing = ["NOPE"]', ""), "utf-8")
    assert main(["validate", str(sc), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "every channel checked: the plan can run" in out and "warning: " in out


def test_validate_rejects_n_prints_the_first_rejected_rows(scenario_factory, capsys):
    rows = alert_rows() + [
        {**alert_rows()[0], "警情编号": f"Z{i}", "报警时间": "not a time"} for i in range(5)
    ]
    assert main(["validate", str(scenario_factory(rows)), "--rejects", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "first 2 of 5 rejected rows:" in out
    listed = [line for line in out.splitlines() if line.startswith("  alerts alerts.csv:")]
    assert len(listed) == 2 and "[报警时间]" in listed[0] and "'not a time'" in listed[0]


# --------------------------------------------------------------------------- init (#10)

FILE_TOKEN = r"[\w./-]+\.(?:md|csv|geojson|toml|bz2|osm|py|xlsx|gpkg|shp)\b"


def _files_named_in_comments(scenario: Path) -> list[str]:
    """Files the comments of a scenario name (commented-out keys such as `# path = ...` are
    optional settings, not pointers, and are skipped)."""
    import re

    names = []
    for line in scenario.read_text(encoding="utf-8").splitlines():
        if "#" not in line:
            continue
        comment = line[line.index("#") + 1 :]
        if re.match(r"\s*\w+\s*=", comment):
            continue
        names += re.findall(FILE_TOKEN, comment)
    return names


def test_init_comments_name_only_files_that_are_there(tmp_path: Path, capsys):
    target = tmp_path / "demo"
    assert main(["init", str(target)]) == 0
    named = _files_named_in_comments(target / "scenario.toml")
    assert {"data/sample_README.md", "data/boundaries_README.md", "SCENARIO.md"} <= set(named)
    assert [n for n in named if not (target / n).is_file()] == []
    assert "scripts/make_sample.py" not in named  # the repository's script is not there


def _city_data(data: Path, n_alerts: int = 48) -> None:
    """Three squares in Chicago (America/Chicago: daylight saving), alerts and venues (WGS84)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import box

    data.mkdir(parents=True, exist_ok=True)
    lon0, lat0, d = -87.66, 41.87, 0.02
    gpd.GeoDataFrame(
        {"precinct_id": ["P1", "P2", "P3"], "name": ["West", "Centre", "East"]},
        geometry=[box(lon0 + i * d, lat0, lon0 + (i + 1) * d, lat0 + d) for i in range(3)],
        crs="EPSG:4326",
    ).to_file(data / "precincts.geojson", driver="GeoJSON")
    rng = np.random.default_rng(3)
    days = pd.Timestamp("2025-01-06") + pd.to_timedelta(rng.integers(0, 300, n_alerts), "D")
    times = days + pd.to_timedelta(rng.integers(8, 22, n_alerts), "h")
    pd.DataFrame(
        {
            "id": [f"CHI{i:03d}" for i in range(n_alerts)],
            "reported_at": times.strftime("%Y-%m-%d %H:%M"),
            "category": rng.choice(["phishing", "romance scam", "fake investment"], n_alerts),
            "lon": (lon0 + rng.uniform(0.002, 3 * d - 0.002, n_alerts)).round(6),
            "lat": (lat0 + rng.uniform(0.002, d - 0.002, n_alerts)).round(6),
        }
    ).to_csv(data / "alerts.csv", index=False)
    pd.DataFrame(
        {
            "venue_id": [f"V{i}" for i in range(8)],
            "kind": ["plaza", "park", "cafe", "plaza", "cafe", "park", "cafe", "plaza"],
            "name": [f"Venue {i}" for i in range(8)],
            "lon": (lon0 + np.linspace(0.004, 3 * d - 0.004, 8)).round(6),
            "lat": [round(lat0 + d / 2, 6)] * 8,
        }
    ).to_csv(data / "venues.csv", index=False)


def test_init_blank_template_for_another_city_validates_and_plans(tmp_path: Path, capsys):
    import json

    target = tmp_path / "chicago"
    assert main(["init", str(target), "--blank"]) == 0
    scenario = target / "scenario.toml"
    text = scenario.read_text(encoding="utf-8")
    assert "xinhui" not in text.lower() and "新会" not in text  # nothing of the demo
    assert (target / "data").is_dir() and (target / "SCENARIO.md").is_file()
    assert [n for n in _files_named_in_comments(scenario) if not (target / n).is_file()] == []
    assert main(["validate", str(scenario), "--quiet"]) == 2  # no data yet: one clear line
    assert "precincts.geojson" in capsys.readouterr().err
    _city_data(target / "data")
    filled = text.replace('"Europe/Berlin"', '"America/Chicago"')
    filled = filled.replace("synthetic = false", "synthetic = true")  # made-up alerts: say so
    scenario.write_text(filled, encoding="utf-8")
    assert main(["validate", str(scenario), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "alerts               48         0" in out and "EPSG:32616" in out
    assert "channel plazas: 5 candidate venues" in out and "channel cafes: 3" in out
    assert main(["plan", str(scenario), "--quiet"]) == 0
    m = json.loads((target / "outputs" / "manifest.json").read_text(encoding="utf-8"))
    assert m["rows"]["alerts"] == 48 and set(m["channels"]) == {"plazas", "cafes"}
    assert m["synthetic"] is True
    assert (target / "outputs" / "map.en.html").is_file()  # lang = "en": .en files
    assert main(["init", str(target), "--blank"]) == 2  # never overwrites without --force


def test_unexpected_error_is_one_line_and_verbose_shows_it(scenario_factory, capsys, monkeypatch):
    import importlib

    import pytest

    validate = importlib.import_module("geo_outreach.validate")  # issue 14: split from plan

    def boom(sc, progress=None):  # issue 14: load_study takes the progress callback
        raise ValueError("Cannot infer dst time from 2025-11-02 01:30:00")

    monkeypatch.setattr(validate, "load_study", boom)
    sc = str(scenario_factory())
    assert main(["validate", sc, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: unexpected ValueError: Cannot infer dst time")
    assert "--verbose" in err
    with pytest.raises(ValueError, match="dst"):
        main(["validate", sc, "--verbose"])


def test_plan_warns_when_a_layer_barely_loads(scenario_factory, tmp_path: Path, capsys):
    import json

    good = alert_rows()
    rows = good + [{**good[0], "警情编号": f"X{i}", "经度": ""} for i in range(1000)]
    out = tmp_path / "run"
    assert main(["plan", str(scenario_factory(rows)), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "warning: alerts (" in printed and "only 10 of 1010 rows load (under 1%)" in printed
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any("under 1%" in w for w in m["warnings"])
