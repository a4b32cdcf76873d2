"""Loaders: every format, encodings, datums, and every reject reason."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach import crs
from geo_outreach._errors import InputDataError
from geo_outreach.io import detect_encoding, load_study, parse_times
from geo_outreach.scenario import load_scenario
from tests.conftest import DATA, X0, Y0, alert_rows, square_precincts, xy_to_lonlat


def _load(path: Path):
    return load_study(load_scenario(path))


def test_hand_layout_counts_and_outside_kept(scenario_factory):
    data = _load(scenario_factory())
    counts = data.alerts["precinct_id"].value_counts().to_dict()
    assert counts == {"A": 5, "B": 3, "C": 1, "outside": 1}
    assert data.crs.to_epsg() == 32649
    assert isinstance(data.alerts["reported_at"].dtype, pd.DatetimeTZDtype)
    assert str(data.alerts["reported_at"].dt.tz) == "Asia/Shanghai"
    assert data.rejects.empty
    assert [r["rows_loaded"] for r in data.inputs] == [3, 10]
    assert all(len(r["sha256"]) == 64 for r in data.inputs)


def test_point_on_shared_border_goes_to_one_precinct_deterministically(scenario_factory):
    rows = alert_rows()[:1]
    lon, lat = xy_to_lonlat(2000.0, 1000.0)  # exactly on the A|B border (in UTM)
    rows[0].update({"经度": repr(float(lon)), "纬度": repr(float(lat))})
    data = _load(scenario_factory(rows))
    assert data.alerts["precinct_id"].tolist() == ["A"]  # the lower precinct_id wins a border
    assert len(data.alerts) == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_detected(scenario_factory, encoding):
    data = _load(scenario_factory(encoding=encoding))
    assert len(data.alerts) == 10
    assert set(data.alerts["category"]) == {"刷单返利", "冒充公检法"}
    rec = data.inputs[1]
    assert rec["encoding"] in (
        {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}.get(encoding, "gb18030"),
    )


def test_gbk_bytes_are_not_utf8():
    raw = "经度,纬度\n113.0,22.5\n".encode("gbk")
    assert detect_encoding(raw) == "gb18030"
    assert detect_encoding(b"\xef\xbb\xbfa,b\n") == "utf-8-sig"


def test_xlsx_and_english_headers(scenario_factory):
    rows = [
        {
            "id": r["警情编号"],
            "Date": r["报警时间"],
            "Category": r["案件类别"],
            "Longitude": r["经度"],
            "Latitude": r["纬度"],
        }
        for r in alert_rows()
    ]
    data = _load(scenario_factory(rows, alerts_name="alerts.xlsx"))
    assert len(data.alerts) == 10
    assert (data.alerts["age_band"] == "").all()


def test_geojson_alerts(scenario_factory, tmp_path: Path):
    rows = alert_rows()
    g = gpd.GeoDataFrame(
        {
            "alert_id": [r["警情编号"] for r in rows],
            "date": [r["报警时间"] for r in rows],
            "category": [r["案件类别"] for r in rows],
        },
        geometry=gpd.points_from_xy(
            [float(r["经度"]) for r in rows], [float(r["纬度"]) for r in rows]
        ),
        crs="EPSG:4326",
    )
    g.to_file(tmp_path / "alerts.geojson", driver="GeoJSON")
    data = _load(scenario_factory(alerts_name="alerts.geojson"))
    assert data.alerts["precinct_id"].value_counts()["A"] == 5


def test_column_map_in_scenario(scenario_factory):
    rows = [
        {"编号X": r["警情编号"], "T": r["报警时间"], "X": r["经度"], "Y2": r["纬度"]}
        for r in alert_rows()
    ]
    sc = scenario_factory(
        rows, alerts_extra='columns = { id = "编号X", time = "T", lon = "X", lat = "Y2" }'
    )
    assert len(_load(sc).alerts) == 10


def test_gcj02_alerts_are_converted(scenario_factory):
    rows = alert_rows()
    for r in rows:
        glon, glat = crs.wgs84_to_gcj02(np.array([float(r["经度"])]), np.array([float(r["纬度"])]))
        r["经度"], r["纬度"] = f"{glon[0]:.8f}", f"{glat[0]:.8f}"
    data = _load(scenario_factory(rows, alerts_extra='datum = "gcj02"'))
    assert data.alerts["precinct_id"].value_counts().to_dict() == {
        "A": 5,
        "B": 3,
        "C": 1,
        "outside": 1,
    }
    # declared wrongly as WGS84 the same file lands ~560 m north-east: the 1999,1999 point leaves A
    wrong = _load(scenario_factory(rows))
    assert wrong.alerts["precinct_id"].tolist() != data.alerts["precinct_id"].tolist()


def test_every_reject_reason_is_reported_with_row_and_column(scenario_factory):
    rows = alert_rows()
    good = dict(rows[2])
    rows += [
        {**good, "警情编号": "X1", "经度": "", "纬度": ""},  # row 12
        {**good, "警情编号": "X2", "经度": good["纬度"], "纬度": good["经度"]},  # row 13
        {**good, "警情编号": "X3", "报警时间": "待补录"},  # row 14
        {**good, "警情编号": "X4", "报警时间": ""},  # row 15
        {**rows[3]},  # row 16
        {**good, "警情编号": "X5", "经度": "116.40", "纬度": "39.90"},  # row 17 Beijing
        {**good, "警情编号": "X6", "经度": "200", "纬度": "95"},  # row 18
    ]
    data = _load(scenario_factory(rows, encoding="gbk"))
    rej = data.rejects.set_index("row")
    assert len(data.alerts) == 10 and len(rej) == 7
    assert rej.loc[12, "reason"] == "no coordinates" and rej.loc[12, "column"] == "经度/纬度"
    assert rej.loc[13, "reason"].startswith("probable lat/lon swap")
    assert rej.loc[14, "reason"] == "unparseable time" and rej.loc[14, "value"] == "待补录"
    assert rej.loc[15, "reason"] == "no time"
    assert rej.loc[16, "reason"] == "duplicate id (same as row 5)"
    assert rej.loc[17, "reason"].startswith("far outside the study area")
    assert rej.loc[18, "reason"] == "coordinates out of range"
    assert set(rej["file"]) == {str(Path(data.inputs[1]["path"]))}
    # nothing lost: loaded + rejected == rows in the file
    assert data.inputs[1]["rows_loaded"] + data.inputs[1]["rows_rejected"] == len(rows)


def test_missing_required_column_is_one_clear_error(scenario_factory):
    rows = [{k: v for k, v in r.items() if k != "纬度"} for r in alert_rows()]
    with pytest.raises(
        InputDataError,
        match=r"alerts.csv: required columns not found: \['lat'\].*map them in \[alerts\] columns",
    ):
        _load(scenario_factory(rows))


def test_no_usable_rows_and_missing_file(scenario_factory, tmp_path: Path):
    rows = [{**r, "经度": "", "纬度": ""} for r in alert_rows()]
    with pytest.raises(InputDataError, match="no usable alert rows"):
        _load(scenario_factory(rows))
    sc = scenario_factory()
    (tmp_path / "alerts.csv").unlink()
    with pytest.raises(InputDataError, match=r"alerts.csv: file not found \(alerts layer\)"):
        _load(sc)


def test_projected_precincts_without_crs_stop_the_run(scenario_factory, tmp_path: Path):
    sq = square_precincts().rename(columns={"precinct_id": "code"})
    shp = tmp_path / "precincts_shp" / "p.shp"
    shp.parent.mkdir()
    sq.to_file(shp)
    shp.with_suffix(".prj").unlink()
    sc = scenario_factory()
    text = sc.read_text(encoding="utf-8").replace(
        'path = "precincts.geojson"', 'path = "precincts_shp/p.shp"'
    )
    sc.write_text(text, encoding="utf-8")
    with pytest.raises(
        InputDataError, match=r"p.shp: the file has no CRS and its coordinates are projected"
    ):
        _load(sc)


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_precincts_geopackage_and_shapefile(scenario_factory, tmp_path: Path, fmt):
    path = tmp_path / f"p.{fmt}"
    square_precincts().rename(columns={"precinct_id": "code"}).to_file(
        path
    )  # UTM with CRS: reprojected on load
    sc = scenario_factory()
    sc.write_text(
        sc.read_text(encoding="utf-8").replace("precincts.geojson", path.name), encoding="utf-8"
    )
    data = _load(sc)
    assert sorted(data.precincts["precinct_id"]) == ["A", "B", "C"]
    assert data.precincts["area_km2"].round(3).tolist() == [4.0, 4.0, 4.0]


def test_overlapping_precincts_are_named(scenario_factory, tmp_path: Path):
    sq = square_precincts()
    sq.loc[1, "geometry"] = shapely.affinity.translate(sq.geometry[1], xoff=-500)
    sq.to_crs("EPSG:4326").to_file(tmp_path / "precincts.geojson", driver="GeoJSON")
    with pytest.raises(InputDataError, match=r"precinct polygons overlap: A & B"):
        _load(scenario_factory())


def test_osm_xml_venues_real_west_oakland(tmp_path: Path):
    """Real OSM XML (osmnx's own test file) through features_from_xml, with kinds mapped."""
    from geo_outreach._parse import Rejects, read_osm_venues

    rej = Rejects("venues", "x")
    df = read_osm_venues(DATA / "west_oakland_osmnx.osm.bz2", rej)
    kinds = df["kind"].value_counts().to_dict()
    assert kinds.get("cafe") == 1 and kinds.get("post_office") == 2 and kinds.get("school") == 1
    assert kinds.get("park", 0) >= 1
    assert df["venue_id"].str.match(r"osm:(node|way|relation)/\d+").all()
    assert df["venue_id"].is_unique


def test_csv_venues_with_kind_column_and_rejects(scenario_factory, tmp_path: Path):
    lon, lat = xy_to_lonlat(np.array([500, 2500, 4500, 4600]), np.array([500, 500, 500, 600]))
    pd.DataFrame(
        {
            "venue_id": ["v1", "v2", "v3", "v3"],
            "kind": ["plaza", "cafe", "spaceport", "cafe"],
            "name": ["<b>广场</b>", "咖啡", "x", "dup"],
            "lon": lon,
            "lat": lat,
        }
    ).to_csv(tmp_path / "venues.csv", index=False)
    sc = scenario_factory(venues='[[venues]]\npath = "venues.csv"\n')
    data = _load(sc)
    assert data.venues["venue_id"].tolist() == ["v1", "v2", "v3"]
    assert data.venues["precinct_id"].tolist() == ["A", "B", "C"]
    assert data.venues["name"].iloc[0] == "<b>广场</b>"  # kept verbatim; escaped at render time
    reasons = data.rejects.loc[data.rejects["layer"] == "venues", "reason"].tolist()
    assert reasons[0].startswith("unknown kind 'spaceport'")
    assert len(reasons) == 1  # the second v3 row is fine once the first is rejected


def test_parse_times_formats():
    s = pd.Series(
        [
            "2025-07-14 19:23:00",
            "2025/7/14 19:23",
            "2025年7月14日 19时23分",
            "待补录",
            "2025-13-45",
            "2025-07-14T11:23:00+00:00",
        ],
        dtype=object,
    )
    t = parse_times(s, "Asia/Shanghai")
    assert t.isna().tolist() == [False, False, False, True, True, False]
    assert (t.dropna().dt.strftime("%H:%M") == "19:23").all()


def test_geojson_venues_and_bd09_datum(scenario_factory, tmp_path: Path):
    lon, lat = xy_to_lonlat(np.array([500.0, 2500.0]), np.array([500.0, 500.0]))
    blon, blat = crs.from_wgs84_lonlat(np.asarray(lon), np.asarray(lat), "bd09")
    gpd.GeoDataFrame(
        {"venue_id": ["p1", "c1"], "kind": ["Plaza", "cafe"], "name": ["广场", "咖啡"]},
        geometry=gpd.points_from_xy(blon, blat),
        crs="EPSG:4326",
    ).to_file(tmp_path / "venues.geojson", driver="GeoJSON")
    data = _load(scenario_factory(venues='[[venues]]\npath = "venues.geojson"\ndatum = "bd09"\n'))
    assert data.venues["kind"].tolist() == ["plaza", "cafe"]
    assert data.venues["precinct_id"].tolist() == ["A", "B"]
    back = data.venues.to_crs(crs="EPSG:32649").geometry
    assert abs(back.x.iloc[0] - (X0 + 500)) < 1.0 and abs(back.y.iloc[0] - (Y0 + 500)) < 1.0
