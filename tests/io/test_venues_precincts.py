"""Issue 10, venues and precincts: Chinese kinds, kind mapping, bad/repeated ids, KML/KMZ."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach._errors import InputDataError
from geo_outreach.io import load_study
from geo_outreach.scenario import load_scenario
from tests.conftest import square_precincts, xy_to_lonlat


def _load(path: Path):
    return load_study(load_scenario(path))


def test_chinese_venue_kinds_and_scenario_mapping(scenario_factory, tmp_path: Path):
    xs = np.array([300, 600, 900, 1200, 1500, 2500, 2800, 3100, 3400, 4500])
    lon, lat = xy_to_lonlat(xs, np.full(len(xs), 500))
    kinds = ["广场", "公园", "咖啡", "驿站", "邮局", "学校", "农贸市场", "公交站"]
    kinds += ["社区活动中心", "网吧"]
    pd.DataFrame(
        {"编号": [f"v{i}" for i in range(10)], "类型": kinds, "经度": lon, "纬度": lat}
    ).to_csv(tmp_path / "venues.csv", index=False)
    sc = scenario_factory(
        venues='[[venues]]\npath = "venues.csv"\nkinds = { "社区活动中心" = "plaza" }\n'
    )
    data = _load(sc)
    assert data.venues["kind"].tolist() == [
        "plaza", "park", "cafe", "logistics", "post_office", "school", "market", "bus_stop",
        "plaza",
    ]  # fmt: skip
    reason = data.rejects.loc[data.rejects["layer"] == "venues", "reason"].tolist()
    assert len(reason) == 1 and reason[0].startswith("unknown kind '网吧'")
    assert 'kinds = { "网吧" = "plaza" }' in reason[0]
    bad = scenario_factory(venues='[[venues]]\npath = "venues.csv"\nkinds = { "网吧" = "bar" }\n')
    with pytest.raises(InputDataError, match=r"kinds = \{'网吧': 'bar'\}: the right side"):
        _load(bad)


def _write_precincts(tmp_path: Path, ids: list, name: str = "precincts.geojson") -> None:
    sq = square_precincts()
    sq["code"] = ids
    sq.drop(columns="precinct_id").to_crs("EPSG:4326").to_file(tmp_path / name, driver="GeoJSON")


def test_empty_and_null_precinct_id_rejected_with_reason(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    _write_precincts(tmp_path, ["A", None, " "])
    data = _load(sc)
    assert data.precincts["precinct_id"].tolist() == ["A"]
    rej = data.rejects[data.rejects["layer"] == "precincts"]
    assert rej["reason"].tolist() == ["empty precinct id"] * 2
    assert rej["row"].tolist() == ["feature 2", "feature 3"]
    assert "nan" not in set(data.alerts["precinct_id"])


def test_duplicate_precinct_ids_error_or_merged(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    _write_precincts(tmp_path, ["A", "B", "B"])
    with pytest.raises(InputDataError, match=r"1 precinct ids repeat \('B'\).*merge_duplicate_ids"):
        _load(sc)
    text = sc.read_text(encoding="utf-8").replace(
        'population_column = "population"',
        'population_column = "population"\nmerge_duplicate_ids = true',
    )
    sc.write_text(text, encoding="utf-8")
    data = _load(sc)
    assert data.precincts["precinct_id"].tolist() == ["A", "B"]
    b = data.precincts.set_index("precinct_id").loc["B"]
    assert b["area_km2"] == pytest.approx(8.0, rel=1e-3)
    assert b["population"] == 15000.0  # the parts' populations differ: summed
    assert data.alerts["precinct_id"].value_counts().to_dict() == {"A": 5, "B": 4, "outside": 1}


def test_empty_id_column_never_chosen(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    sq = square_precincts()
    sq["id"] = [None, None, None]  # an empty "id" column, the real ids are in "code"
    sq["code"] = ["A", "B", "C"]
    sq.drop(columns="precinct_id").to_crs("EPSG:4326").to_file(
        tmp_path / "precincts.geojson", driver="GeoJSON"
    )
    data = _load(sc)
    assert data.precincts["precinct_id"].tolist() == ["A", "B", "C"]
    assert data.inputs[0]["id_column"] == "code"


@pytest.mark.parametrize("fmt", ["kml", "kmz"])
def test_kml_and_kmz_precincts(scenario_factory, tmp_path: Path, fmt):
    sq = square_precincts().to_crs("EPSG:4326")
    kml = tmp_path / "p.kml"
    sq[["precinct_id", "geometry"]].rename(columns={"precinct_id": "Name"}).assign(
        Description=""
    ).to_file(kml, driver="KML")
    path = kml
    if fmt == "kmz":
        path = tmp_path / "p.kmz"
        with zipfile.ZipFile(path, "w") as z:
            z.write(kml, "doc.kml")
    sc = scenario_factory()
    text = sc.read_text(encoding="utf-8").replace("precincts.geojson", path.name)
    sc.write_text(text.replace('population_column = "population"\n', ""), encoding="utf-8")
    data = _load(sc)
    assert data.precincts["precinct_id"].tolist() == ["A", "B", "C"]
    assert not shapely.has_z(data.precincts.geometry.values).any()
    assert data.alerts["precinct_id"].value_counts()["A"] == 5
