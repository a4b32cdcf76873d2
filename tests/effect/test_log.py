"""Campaign log loading and checking, and exposure per area and month (issue 13)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import Point, box

from geo_outreach import crs as _crs
from geo_outreach._errors import InputDataError
from geo_outreach.effect.exposure import build_panel, exposure, grid_units, precinct_units
from geo_outreach.effect.log import LogSource, load_campaign_log
from geo_outreach.scenario import ChannelConfig

UTM = pyproj.CRS("EPSG:32649")
X0, Y0 = 708000.0, 2492000.0
TZ = "Asia/Shanghai"
CHANNELS = (
    ChannelConfig(name="square_dance", label="广场舞宣传", venue_kinds=("plaza",), radius_m=500),
    ChannelConfig(name="cafe_sleeves", label="咖啡杯套", venue_kinds=("cafe",), radius_m=300),
)
HEADER = "记录编号,渠道,点位编号,经度,纬度,坐标系,开始日期,结束日期,数量\n"


def precincts() -> gpd.GeoDataFrame:
    """Two 2 km squares side by side, A (west) and B (east)."""
    return gpd.GeoDataFrame(
        {"precinct_id": ["A", "B"], "name": ["甲", "乙"]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)],
        crs=UTM,
    )


def venues() -> gpd.GeoDataFrame:
    """v1 in the middle of A; v2 on the A/B border."""
    return gpd.GeoDataFrame(
        {"venue_id": ["v1", "v2"], "kind": ["plaza", "plaza"]},
        geometry=[Point(X0 + 1000, Y0 + 1000), Point(X0 + 2000, Y0 + 1000)],
        crs=UTM,
    )


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    t = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


def load(path: Path, **kw: object) -> object:
    p = precincts()
    return load_campaign_log(
        LogSource(path, **kw),  # type: ignore[arg-type]
        tz=TZ,
        channels=CHANNELS,
        venues=venues(),
        study_area=shapely.union_all(p.geometry.values),
        crs=UTM,
    )


def test_site_ids_and_gcj02_coordinates_are_placed(tmp_path: Path) -> None:
    lon, lat = lonlat(500, 500)
    glon, glat = _crs.from_wgs84_lonlat(np.array([lon]), np.array([lat]), "gcj02")
    path = tmp_path / "log.csv"
    path.write_text(
        HEADER
        + "a1,广场舞宣传,v1,,,,2026-03-05,2026-03-05,1\n"
        + f"a2,cafe_sleeves,,{glon[0]:.7f},{glat[0]:.7f},GCJ-02,2026/4/1,2026年4月30日,500\n",
        encoding="utf-8",
    )
    log = load(path)
    acts = log.activities  # type: ignore[attr-defined]
    assert list(acts["channel"]) == ["square_dance", "cafe_sleeves"]
    assert list(acts["radius_m"]) == [500, 300]
    assert acts.geometry.iloc[0].distance(Point(X0 + 1000, Y0 + 1000)) < 1e-6
    # GCJ-02 turned back to the true point (the ~600 m offset removed), within a few metres
    assert acts.geometry.iloc[1].distance(Point(X0 + 500, Y0 + 500)) < 5
    assert acts["end"].iloc[1] == pd.Timestamp("2026-04-30", tz=TZ)
    assert len(log.rejects) == 0  # type: ignore[attr-defined]


def test_every_bad_row_is_rejected_with_row_column_and_reason(tmp_path: Path) -> None:
    lon, lat = lonlat(500, 500)
    path = tmp_path / "log.csv"
    path.write_text(
        HEADER
        + "a1,广场舞宣传,v1,,,,2026-03-05,2026-03-05,1\n"  # ok, row 2
        + "a2,抖音直播,v1,,,,2026-03-05,2026-03-05,1\n"  # row 3
        + "a3,广场舞宣传,v1,,,,2026-03-05,2026-03-01,1\n"  # row 4
        + f"a4,广场舞宣传,,{lon},{lat},,2026-03-05,2026-03-05,1\n"  # row 5
        + "a5,广场舞宣传,v1,,,,2026-03-05,2026-03-05,0\n"  # row 6
        + "a6,广场舞宣传,v9,,,,2026-03-05,2026-03-05,1\n"  # row 7
        + "a7,广场舞宣传,v1,,,,someday,2026-03-05,1\n"  # row 8
        + f"a8,广场舞宣传,,{lon},{lat},mars,2026-03-05,2026-03-05,1\n"  # row 9
        + "a9,广场舞宣传,,,,,2026-03-05,2026-03-05,1\n",  # row 10
        encoding="utf-8",
    )
    log = load(path)
    rej = log.rejects.set_index("row")  # type: ignore[attr-defined]
    assert len(log.activities) == 1  # type: ignore[attr-defined]
    assert list(rej.index) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert rej.loc[3, "reason"].startswith("unknown channel") and rej.loc[3, "column"] == "渠道"
    assert rej.loc[4, "reason"] == "end date before start date"
    assert "no datum declared" in rej.loc[5, "reason"] and rej.loc[5, "column"] == "坐标系"
    assert rej.loc[6, "column"] == "数量"
    assert rej.loc[7, "value"] == "v9"
    assert "start date" in rej.loc[8, "reason"]
    assert rej.loc[9, "reason"].startswith("unknown datum")
    assert rej.loc[10, "reason"] == "neither a site id nor coordinates"
    # the declared default datum makes the coordinate row usable
    assert len(load(path, datum="wgs84").activities) == 2  # type: ignore[attr-defined]


def test_missing_columns_and_empty_log_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("渠道,开始日期,数量\n广场舞宣传,2026-03-05,1\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="结束日期"):
        load(path)
    path.write_text(HEADER + "a1,抖音直播,v1,,,,2026-03-05,2026-03-05,1\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="no usable campaign log rows.*unknown channel"):
        load(path)


def test_english_xlsx_without_a_scenario(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    pd.DataFrame(
        {"channel": ["banners"], "site_id": ["x"], "start": ["2026-01-01"],
         "end": ["2026-01-31"], "quantity": [3]}
    ).to_excel(path, index=False)  # fmt: skip
    log = load_campaign_log(LogSource(path), tz=TZ)
    assert log.facts["format"] == "xlsx" and log.facts["rows_loaded"] == 1


def activities(rows: list[tuple[str, float, float, str, str, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "channel": [r[0] for r in rows],
            "radius_m": [500.0] * len(rows),
            "start": [pd.Timestamp(r[3], tz=TZ) for r in rows],
            "end": [pd.Timestamp(r[4], tz=TZ) for r in rows],
            "quantity": [r[5] for r in rows],
        },
        geometry=[Point(X0 + r[1], Y0 + r[2]) for r in rows],
        crs=UTM,
    )


def test_exposure_spreads_quantity_over_days_and_area() -> None:
    units = precinct_units(precincts())
    acts = activities(
        [
            ("square_dance", 1000, 1000, "2026-03-31", "2026-04-01", 2.0),  # inside A, 2 months
            ("square_dance", 2000, 1000, "2026-05-10", "2026-05-10", 4.0),  # on the A/B border
        ]
    )
    exp = exposure(acts, units, ["2026-03", "2026-04", "2026-05"])
    e = exp.set_index(["unit_id", "month"])["exposure"]
    assert e[("A", "2026-03")] == pytest.approx(1.0)
    assert e[("A", "2026-04")] == pytest.approx(1.0)
    assert e[("A", "2026-05")] == pytest.approx(2.0, rel=1e-3)
    assert e[("B", "2026-05")] == pytest.approx(2.0, rel=1e-3)
    assert ("B", "2026-03") not in e.index


def test_panel_counts_alerts_and_first_treated_month() -> None:
    units = precinct_units(precincts())
    times = pd.to_datetime(["2026-01-10", "2026-02-10", "2026-02-11", "2026-03-10"]).tz_localize(TZ)
    alerts = gpd.GeoDataFrame(
        {"reported_at": times, "precinct_id": ["A", "A", "B", "A"]},
        geometry=[Point(X0 + 100, Y0 + 100)] * 4,
        crs=UTM,
    )
    acts = activities([("square_dance", 1000, 1000, "2026-02-01", "2026-02-01", 1.0)])
    panel = build_panel(alerts, acts, units)
    f = panel.frame.set_index(["unit_id", "month"])
    assert panel.months == ("2026-01", "2026-02", "2026-03")
    assert list(f.loc["A", "alerts"]) == [1, 1, 1] and list(f.loc["B", "alerts"]) == [0, 1, 0]
    assert set(f.loc["A", "cohort"]) == {1} and set(f.loc["B", "cohort"]) == {-1}


def test_grid_units_cover_the_study_area() -> None:
    area = shapely.union_all(precincts().geometry.values)
    g = grid_units(area, UTM, 1000.0)
    assert len(g) == 8 and g.geometry.area.sum() == pytest.approx(area.area)
