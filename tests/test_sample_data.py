"""The bundled Xinhui sample (data/sample, data/boundaries/xinhui_precincts.geojson) is what
the demo and many tests stand on: check the committed files, offline and fast."""

from __future__ import annotations

import bz2
import io
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach._validate import OSM_TAG_KINDS, VENUE_KINDS, osm_tags_query
from geo_outreach.crs import gcj02_to_wgs84
from geo_outreach.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = REPO / "data/boundaries"
SAMPLE = REPO / "data/sample"
PRECINCTS = BOUNDARIES / "xinhui_precincts.geojson"
VENUES = SAMPLE / "xinhui_venues.osm.bz2"
STREETS = SAMPLE / "xinhui_streets.osm.bz2"
ALERTS = SAMPLE / "alerts.csv"
GENERATED = [
    Path("data/boundaries/xinhui_precincts.geojson"),
    Path("data/sample/xinhui_venues.osm.bz2"),
    Path("data/sample/xinhui_streets.osm.bz2"),
    Path("data/sample/alerts.csv"),
    Path("data/sample/README.md"),
    # issue 12: the playbook sample files
    Path("data/sample/police_grid.geojson"),
    Path("data/sample/community_grid.geojson"),
    Path("data/sample/residents.csv"),
    Path("data/sample/firms.csv"),
    Path("data/sample/schools.csv"),
]
HEADERS = ["警情编号", "报警时间", "案件类别", "受害人年龄段", "涉案金额(元)", "经度", "纬度"]
UTM = "EPSG:32649"


@pytest.fixture(scope="module")
def outline_utm() -> shapely.Geometry:
    return gpd.read_file(BOUNDARIES / "xinhui_outline_wgs84.geojson").to_crs(UTM).union_all()


@pytest.fixture(scope="module")
def precincts() -> gpd.GeoDataFrame:
    return gpd.read_file(PRECINCTS)


@pytest.fixture(scope="module")
def alerts() -> pd.DataFrame:
    return pd.read_csv(ALERTS, encoding="gbk", dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- precincts


def test_precincts_are_eleven_valid_illustrative(precincts):
    seats = pd.read_csv(BOUNDARIES / "township_seats.csv", dtype={"code9": str})
    assert len(precincts) == 11
    assert sorted(precincts["precinct_id"]) == sorted(seats["code9"])
    assert precincts["precinct_id"].map(type).eq(str).all()
    assert precincts.is_valid.all()
    assert set(precincts.geom_type) <= {"Polygon", "MultiPolygon"}
    assert precincts["illustrative"].eq(True).all()
    assert precincts["note"].str.contains("ILLUSTRATIVE").all()
    assert precincts["note"].str.contains("SYNTHETIC").all()
    pop = precincts.set_index("precinct_id")["population"]
    assert 800_000 < pop.sum() < 900_000
    assert 300_000 < pop["440705001"] < 400_000  # 会城
    assert pop.drop("440705001").between(25_000, 95_000).all()


def test_precincts_partition_the_outline(precincts, outline_utm):
    geoms = precincts.to_crs(UTM).geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert shapely.intersection(geoms[i], geoms[j]).area < 1.0
    union = shapely.union_all(geoms)
    assert abs(union.area - outline_utm.area) / outline_utm.area < 1e-3
    assert shapely.symmetric_difference(union, outline_utm).area / outline_utm.area < 1e-3


def test_each_precinct_contains_its_seat(precincts):
    seats = pd.read_csv(BOUNDARIES / "township_seats.csv", dtype={"code9": str})
    by_id = precincts.set_index("precinct_id").geometry
    for row in seats.itertuples():
        assert by_id[row.code9].contains(shapely.Point(row.lon, row.lat)), row.name


# --------------------------------------------------------------------------- venues


def _kind(tags: pd.Series) -> str | None:
    for key, value, kind in OSM_TAG_KINDS:
        if key in tags.index and tags[key] == value:
            return kind
    return None


def test_venues_load_with_osmnx_and_cover_every_kind(outline_utm):
    import osmnx as ox

    raw = VENUES.read_bytes()
    head = bz2.decompress(raw)[:300].decode("utf-8")
    assert '<osm version="0.6" generator="geo_outreach make_sample.py">' in head
    assert "<bounds " in head

    gdf = ox.features_from_xml(VENUES, tags=osm_tags_query())
    kinds = gdf.apply(_kind, axis=1)
    assert kinds.notna().all()
    counts = kinds.value_counts()
    mapped = {kind for _, _, kind in OSM_TAG_KINDS}
    assert set(counts.index) == mapped
    assert mapped <= set(VENUE_KINDS)
    assert counts["bus_stop"] >= 250 and counts["logistics"] >= 100 and counts["plaza"] >= 50
    # closed ways exercise the polygon -> centroid path
    ways = gdf.loc["way"]
    assert len(ways) >= 5 and set(ways.geom_type) == {"Polygon"}
    assert set(gdf.index.get_level_values("element")) == {"node", "way"}
    assert gdf["name"].notna().all()
    assert gdf["note"].eq("synthetic").all()
    assert gdf.index.get_level_values("id").is_unique
    pts = gdf.to_crs(UTM).representative_point()
    assert shapely.contains_xy(outline_utm, pts.x, pts.y).all()


# --------------------------------------------------------------------------- streets


def test_streets_load_as_one_walkable_graph():
    import osmnx as ox

    G = ox.graph_from_xml(STREETS, simplify=True, retain_all=True)
    assert len(G) > 1_000
    largest = max(nx.weakly_connected_components(G), key=len)
    assert len(largest) / len(G) > 0.95
    highways = {h for _, _, h in G.edges(data="highway") if isinstance(h, str)}
    assert {"residential", "tertiary", "secondary", "footway"} <= highways


# --------------------------------------------------------------------------- alerts


def test_alerts_are_gbk_with_chinese_headers(alerts):
    raw = ALERTS.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk").splitlines()[0].split(",") == HEADERS
    assert list(alerts.columns) == HEADERS
    assert 2_200 <= len(alerts) <= 2_600


def test_alerts_content_and_messy_rows(alerts):
    ids = alerts["警情编号"]
    assert ids.str.fullmatch(r"JQ\d{8}\d{5}").all()
    dup = alerts[ids.duplicated(keep=False)]
    assert dup["警情编号"].nunique() == 2 and len(dup) == 4
    assert not alerts.drop_duplicates().duplicated("警情编号").any()  # duplicates are exact copies
    when = pd.to_datetime(alerts["报警时间"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    assert sorted(alerts.loc[when.isna(), "报警时间"]) == ["2025-13-45", "待补录"]
    assert when.min() >= pd.Timestamp("2024-11-01") and when.max() < pd.Timestamp("2026-11-01")
    assert (alerts["经度"] == "").sum() == 3 and (alerts["纬度"] == "").sum() == 3
    lon = pd.to_numeric(alerts["经度"], errors="coerce")
    assert (lon < 90).sum() == 2  # the two swapped rows
    cats = set(alerts["案件类别"])
    assert "养老/保健品诈骗" in cats and "冒充公检法" in cats and len(cats) == 11
    assert set(alerts["受害人年龄段"]) == {"18-25", "26-35", "36-45", "46-59", "60+"}
    # the designed structure: evening peak, fewer alerts in the second year
    hours = when.dropna().dt.hour
    assert hours.between(19, 22).mean() > 0.3
    first = (when < pd.Timestamp("2025-11-01")).sum()
    second = (when >= pd.Timestamp("2025-11-01")).sum()
    assert second < first
    old = alerts.loc[alerts["案件类别"] == "养老/保健品诈骗", "受害人年龄段"]
    assert (old == "60+").mean() > 0.6


def test_alert_coordinates_are_gcj02(alerts, outline_utm):
    lon = pd.to_numeric(alerts["经度"], errors="coerce")
    lat = pd.to_numeric(alerts["纬度"], errors="coerce")
    ok = lon.between(112, 114) & lat.between(21.5, 23.5)
    assert ok.sum() >= len(alerts) - 10
    glon, glat = lon[ok].to_numpy(), lat[ok].to_numpy()
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    g = gpd.GeoSeries(gpd.points_from_xy(glon, glat), crs="EPSG:4326").to_crs(UTM)
    w = gpd.GeoSeries(gpd.points_from_xy(wlon, wlat), crs="EPSG:4326").to_crs(UTM)
    shift = g.distance(w)
    assert 500 < shift.median() < 660
    median = shapely.Point(np.median(w.x), np.median(w.y))
    assert outline_utm.contains(median)
    inside = shapely.contains_xy(outline_utm, w.x, w.y)
    assert inside.mean() > 0.99
    assert (~inside).sum() == 3  # 2 just outside (valid) + 1 in Guangzhou
    # read as WGS84 by mistake, a visible share would fall outside the district
    assert shapely.contains_xy(outline_utm, g.x, g.y).mean() < inside.mean()


# --------------------------------------------------------------------------- scenario + rebuild


def test_demo_scenario_parses():
    sc = load_scenario(SAMPLE / "xinhui_demo.toml")
    assert sc.synthetic and sc.alerts.synthetic and sc.precincts.illustrative
    assert sc.alerts.datum == "gcj02"
    assert sc.precincts.path.resolve() == PRECINCTS.resolve()
    assert sc.alerts.path.resolve() == ALERTS.resolve()
    assert [v.path.resolve() for v in sc.venues] == [VENUES.resolve()]
    assert sc.streets is not None and sc.streets.path.resolve() == STREETS.resolve()
    assert {c.name for c in sc.channels if c.type != "visits"} == {  # issue 12: + visits
        "square_dance",
        "banners",
        "cafe_sleeves",
        "parcel_stickers",
        "patrols",
    }
    assert sc.channel("patrols").type == "patrol"
    assert sc.output.dir.resolve() == (REPO / "outputs/xinhui").resolve()


def test_sample_files_are_small():
    total = sum((REPO / p).stat().st_size for p in GENERATED)
    assert total < 2_000_000


def test_generator_reproduces_committed_files(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts/make_sample.py"), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for rel in GENERATED:
        assert (tmp_path / rel).read_bytes() == (REPO / rel).read_bytes(), rel


def test_readme_lists_messy_rows():
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "ILLUSTRATIVE" in text and "GCJ-02" in text and "GBK" in text
    alerts = pd.read_csv(io.BytesIO(ALERTS.read_bytes()), encoding="gbk", dtype=str)
    assert alerts["警情编号"][alerts["报警时间"] == "待补录"].iloc[0] in text
