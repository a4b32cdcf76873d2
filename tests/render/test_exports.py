"""outputs.gpkg (every layer, styled for QGIS) and placements.xlsx (one sheet per channel)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach.render import load_output_folder
from geo_outreach.render.exports import (
    write_exports,
    write_gpkg,
    write_visits_xlsx,
    write_xlsx,
)
from tests.render.browser_helpers import make_output_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_output_folder(tmp_path_factory.mktemp("exports") / "run", n_alerts=300)


def test_gpkg_has_every_layer_and_a_default_style_for_each(folder: Path) -> None:
    import pyogrio

    path = write_gpkg(folder)
    first = path.read_bytes()
    assert write_gpkg(folder).read_bytes() == first  # the same bytes on a second run
    layers = {str(name): geom for name, geom in pyogrio.list_layers(path)}
    expected = {
        "precincts",
        "streets",
        "hotspots",
        "uncovered_hotspots",
        "clusters",
        "reach",
        "venues",
        "alerts",
        "patrol_route",
        "patrol_stops",
        "placements",
    }
    assert set(layers) - {"layer_styles"} == expected
    f = load_output_folder(folder)
    # row counts: nothing dropped on the way (alerts: every row with coordinates)
    assert pyogrio.read_info(path, layer="alerts")["features"] == len(f.alerts)
    assert pyogrio.read_info(path, layer="placements")["features"] == len(f.placements)
    assert pyogrio.read_info(path, layer="precincts")["features"] == len(f.precincts)
    info = pyogrio.read_info(path, layer="precincts")
    assert "alerts_per_10k" in list(info["fields"]) and "EPSG" in info["crs"]
    assert info["crs"].endswith("4326")
    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(expected)  # one style row per layer
    for name, geom_col, default, qml in rows:
        assert default == 1 and geom_col == "geom"
        root = ET.fromstring(qml.split("'SYSTEM'>", 1)[1])  # well-formed QML
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
    by_layer = {r[0]: r[3] for r in rows}
    # placements are coloured per channel, precincts labelled by name
    for ch in f.placements["channel"].unique():
        assert f'value="{ch}"' in by_layer["placements"]
    assert 'fieldName="name"' in by_layer["precincts"]
    geom_cols = {pyogrio.read_info(path, layer=n)["geometry_name"] for n in expected}
    assert geom_cols == {"geom"}


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, dtype={"场所编号": str})


def test_xlsx_matches_placements_csv_and_is_byte_identical(folder: Path) -> None:
    path = write_xlsx(folder)
    first = path.read_bytes()
    assert write_xlsx(folder).read_bytes() == first  # same bytes on a second run
    sheets = _sheets(path)
    assert list(sheets)[0] == "说明"
    assert "合成" in sheets["说明"].to_string()  # synthetic data is labelled in the file
    pl = pd.read_csv(folder / "placements.csv", encoding="utf-8-sig", dtype={"precinct_id": str})
    f = load_output_folder(folder)
    names = dict(zip(f.precincts["precinct_id"], f.precincts["name"]))
    labels = {ch: (f.channels.get(ch) or {}).get("label") for ch in pl["channel"].unique()}
    assert len(sheets) == 1 + len(f.channels)  # a sheet per channel (patrol: header only)
    for ch, sub in pl.groupby("channel"):
        sheet = sheets[labels[ch]]
        for head in ("排序", "站点", "辖区", "覆盖警情", "新增覆盖警情", "累计覆盖率", "建议时段"):
            assert head in sheet.columns
        sheet = sheet[pd.to_numeric(sheet["排序"], errors="coerce").notna()]
        sub = sub.sort_values("rank")
        assert sheet["排序"].astype(int).tolist() == sub["rank"].tolist()
        assert sheet["站点"].tolist() == sub["name"].astype(str).tolist()
        assert sheet["场所编号"].tolist() == sub["venue_id"].astype(str).tolist()
        assert sheet["辖区"].tolist() == [names[p] for p in sub["precinct_id"]]
        for col, src in (
            ("覆盖警情", "covered_weight"),
            ("新增覆盖警情", "marginal_weight"),
            ("累计覆盖率", "cumulative_share"),
            ("经度(WGS84)", "lon"),
            ("纬度(WGS84)", "lat"),
        ):
            assert sheet[col].astype(float).tolist() == pytest.approx(sub[src].tolist(), abs=1e-6)
        assert sheet["数量"].isna().all()  # issue 12 xlsx: no materials.csv, an empty column


def test_xlsx_percent_format_and_header(folder: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(write_xlsx(folder))
    ws = wb.worksheets[1]
    assert ws.freeze_panes == "A2"
    share_col = [c.value for c in ws[1]].index("累计覆盖率") + 1
    assert ws.cell(2, share_col).number_format == "0.0%"
    assert wb.properties.modified.year == 2000  # fixed, so the bytes do not change


def test_exports_of_a_folder_without_optional_layers(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=80, complete=False)
    written = write_exports(out)
    assert set(written) == {"outputs.gpkg", "placements.xlsx"}  # no visits, no visits.xlsx
    assert write_visits_xlsx(out) is None and not (out / "visits.xlsx").exists()
    assert all(p.is_file() and p.stat().st_size > 0 for p in written.values())


def test_gpkg_leaves_out_the_alert_points_above_the_cap_and_says_so(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a 1M-alert run writes no per-alert layer; the manifest note says where they are."""
    import shutil

    import pyogrio

    from geo_outreach.render import exports

    run = tmp_path / "run"
    shutil.copytree(folder, run)
    n = len(load_output_folder(run).alerts)
    assert exports.gpkg_alerts_note(n, ["alerts.csv"]) is None  # under the cap: all points
    monkeypatch.setattr(exports, "GPKG_MAX_ALERT_POINTS", n - 1)
    path = write_gpkg(run)
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    assert "alerts" not in layers and "placements" in layers
    with sqlite3.connect(path) as con:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
    assert "alerts" not in styled
    note = exports.gpkg_alerts_note(n, ["alerts.csv", "venues.geojson"])
    assert note == {
        "alerts_layer": "omitted",
        "alerts": n,
        "max_alert_points": n - 1,
        "alert_points_in": ["alerts.csv"],
    }
