"""Reading an output folder by the schema in ``geo_outreach._validate``, and the render layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach._errors import InputDataError
from geo_outreach._validate import (
    OUTPUT_COLUMNS,
    OUTPUT_FILES,
    REQUIRED_OUTPUTS,
    check_output,
    output_columns,
)
from geo_outreach.render import load_output_folder
from tests.render.browser_helpers import make_output_folder

RENDER = Path(__file__).resolve().parents[2] / "geo_outreach" / "render"
#: The render floor, bottom to top: a module may import only modules before it.
RENDER_ORDER = (
    "folder",
    "format",
    "style",
    "geometry",
    "playbook",  # issue 12: playbook layers + briefing section (format, geometry only)
    "popups",  # issue 11 map
    "layers",
    "assets",
    "effect",  # issue 13
    "legend",  # the map legend (split out of webmap)
    "webmap",
    "static_map",
    "backtest_section",
    "naming",  # issue 11 briefing: file names per language
    "pdf",  # issue 11 briefing: Chromium print-to-PDF
    "sites",  # issue 11 briefing: every site per channel
    "summary",  # issue 11 briefing: summary, site tables, appendix
    "briefing",
    "exports",  # issue 11 briefing: outputs.gpkg, placements.xlsx
    "__init__",
)


def test_every_table_is_an_output_file() -> None:
    assert set(OUTPUT_COLUMNS) <= set(OUTPUT_FILES)
    assert set(REQUIRED_OUTPUTS) <= set(OUTPUT_FILES)
    assert len(OUTPUT_FILES) == len(set(OUTPUT_FILES))


def test_output_columns_spelling() -> None:
    """``name?`` may be left out, ``prefix*`` matches any number of columns, order counts."""
    cols = [
        "precinct_id",
        "name",
        "population",
        "area_km2",
        "alerts",
        "share_pct",
        "alerts_outside",
        "alerts_per_km2",
        "alerts_per_10k",
        "cat_a",
        "cat_b",
        "top_category",
        "latest_month",
        "latest_alerts",
        "mom_pct",
        "yoy_pct",
        "mom_p",
        "yoy_p",
        "mom_significant",
        "yoy_significant",
        "geometry",
    ]
    assert output_columns("precincts.geojson", cols) == []
    with_flag = cols[:3] + ["illustrative"] + cols[3:]
    assert output_columns("precincts.geojson", with_flag) == []
    no_cats = [c for c in cols if not c.startswith("cat_")]
    assert output_columns("precincts.geojson", no_cats) == []
    swapped = [
        "precinct_id",
        "month",
        "mom_pct",
        "alerts",
        "yoy_pct",
        "mom_p",
        "yoy_p",
        "mom_significant",
        "yoy_significant",
        "days_covered",
        "partial",
    ]
    assert output_columns("monthly_trends.csv", swapped) == [
        "columns out of order (expected ['precinct_id', 'month', 'alerts', 'mom_pct', 'yoy_pct', "
        "'mom_p', 'yoy_p', 'mom_significant', 'yoy_significant', 'days_covered', 'partial'])"
    ]
    assert output_columns("coverage_curve.csv", ["channel", "k", "covered_share"]) == [
        "missing columns ['covered_weight']"
    ]


def test_check_output_names_the_fix() -> None:
    good = pd.DataFrame(columns=list(OUTPUT_COLUMNS["coverage_curve.csv"]))
    check_output("coverage_curve.csv", good)
    with pytest.raises(
        InputDataError, match=r"coverage_curve.csv: unexpected columns \['x'\].*re-run"
    ):
        check_output("coverage_curve.csv", good.assign(x=1))


def test_fixture_folder_follows_the_schema(tmp_path: Path) -> None:
    """The test fixture writes exactly the tables the pipeline writes (else the reader says so)."""
    out = make_output_folder(tmp_path / "run", n_alerts=80)
    folder = load_output_folder(out)
    assert folder.placements is not None and folder.patrol is not None
    assert list(folder.placements.columns[:-1]) == list(OUTPUT_COLUMNS["placements.geojson"])


def test_render_modules_import_only_downwards() -> None:
    """No cycle inside render/: each module imports only the modules below it in the floor."""
    for name in RENDER_ORDER:
        tree = ast.parse((RENDER / f"{name}.py").read_text(encoding="utf-8"))
        below = set(RENDER_ORDER[: RENDER_ORDER.index(name)])
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            for mod in mods:
                if mod.startswith("geo_outreach.render"):
                    sub = mod.split(".")[2] if mod.count(".") >= 2 else "__init__"
                    assert sub in below, f"render/{name}.py imports {mod}"
                elif mod.startswith("geo_outreach."):
                    top = mod.split(".")[1]
                    assert top not in {"maps", "report", "plan", "cli", "evaluate", "api"}, (
                        f"render/{name}.py imports the higher module {mod}"
                    )
    assert sorted(p.stem for p in RENDER.glob("*.py") if p.stem != "chart") == sorted(RENDER_ORDER)


def test_the_maps_lonlat_read_is_alerts_csv_lon_lat(tmp_path: Path) -> None:
    # issue 14: above MAX_ALERT_POINTS the map worker reads only lon/lat (pyarrow): the same
    # numbers in the same order as the whole table read, so the grid totals are the same
    from geo_outreach.render import render_maps
    from geo_outreach.render.folder import with_alert_lonlat, with_alerts
    from geo_outreach.render.layers import MAX_ALERT_POINTS

    out = make_output_folder(tmp_path / "o", n_alerts=MAX_ALERT_POINTS + 500)
    folder = load_output_folder(out, alerts=False, verify=False)
    whole, lonlat = with_alerts(folder).alerts, with_alert_lonlat(folder).alerts
    assert whole is not None and lonlat is not None and list(lonlat.columns) == ["lon", "lat"]
    pd.testing.assert_frame_equal(lonlat, whole[["lon", "lat"]].reset_index(drop=True))
    a = render_maps(with_alerts(folder), basemap="none", lang="zh")["map"].read_bytes()
    b = render_maps(with_alert_lonlat(folder), basemap="none", lang="zh")["map"].read_bytes()
    assert a == b and b'"mode":"grid"' in a  # the grid of totals, not the points


def test_the_maps_lonlat_read_of_a_broken_alerts_csv_says_what_is_wrong(tmp_path: Path) -> None:
    from geo_outreach.render.folder import with_alert_lonlat

    out = make_output_folder(tmp_path / "o", n_alerts=50)
    folder = load_output_folder(out, alerts=False, verify=False)
    (out / "alerts.csv").write_text("alert_id,when\nA1,2025-01-01\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"alerts\.csv"):
        with_alert_lonlat(folder)  # no lon/lat: the whole-table reader names the problem
