"""``osm fetch`` against a loopback Overpass/Nominatim look-alike (tests/overpass_stub.py).

osmnx runs unmodified; only its endpoint settings point at 127.0.0.1. No test leaves the
machine: every URL is loopback and NO_PROXY keeps a configured proxy out of the way.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import parse_qs

import geopandas as gpd
import osmnx as ox
import pytest

from geo_outreach import cli, osm
from geo_outreach._errors import InputDataError, NetworkUnavailableError
from tests.overpass_stub import AREA, EXPECTED_KINDS, GRID_LATS, GRID_LONS, StubServer

PLACE = "新会区, 江门市, 广东省"
WATCHED_SETTINGS = (
    "overpass_url",
    "nominatim_url",
    "requests_timeout",
    "use_cache",
    "cache_folder",
    "cache_only_mode",
    "overpass_rate_limit",
    "all_oneway",
    "doh_url_template",
    "default_crs",
    "http_user_agent",
)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")


def _settings_snapshot() -> dict:
    snap = {name: getattr(ox.settings, name) for name in WATCHED_SETTINGS}
    snap["getaddrinfo"] = socket.getaddrinfo
    return snap


def _cli(argv: list[str]) -> int:
    """``geo-outreach ARGV`` in-process; the exit code."""
    return cli.main(argv)


@pytest.fixture
def closed_port():
    """A loopback port that refuses connections (bound, never listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_fetch_place_writes_loadable_venues_and_streets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # osmnx's default cache folder is ./cache
    before = _settings_snapshot()
    out = tmp_path / "xinhui.osm"
    lines: list[str] = []
    with StubServer() as stub:
        meta = osm.fetch_osm(
            place=PLACE,
            out=out,
            overpass_url=stub.overpass_url,
            nominatim_url=stub.nominatim_url,
            timeout_s=5,
            progress=lines.append,
        )
        requests = list(stub.requests)

    # what osmnx asked: our reachability checks, one Nominatim search, two Overpass queries
    paths = [(m, p.split("?")[0]) for m, p, _ in requests]
    assert paths == [
        ("GET", "/api/status"),
        ("GET", "/status"),
        ("GET", "/search"),
        ("POST", "/api/interpreter"),
        ("POST", "/api/interpreter"),
    ]
    assert "q=%E6%96%B0%E4%BC%9A%E5%8C%BA" in requests[2][1]  # 新会区, URL-encoded
    assert parse_qs(requests[3][2])["data"][0].startswith("[out:json][timeout:5];")

    # osmnx global state is restored, no HTTP cache was written
    assert _settings_snapshot() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "xinhui.osm",
        "xinhui_fetch.json",
        "xinhui_venues.geojson",
    ]

    # venues: ids, kinds (first match of OSM_TAG_KINDS), names, points in WGS84
    venues = gpd.read_file(tmp_path / "xinhui_venues.geojson")
    assert list(venues.columns) == ["venue_id", "kind", "name", "geometry"]
    assert dict(zip(venues["venue_id"], venues["kind"], strict=True)) == EXPECTED_KINDS
    assert venues.crs.to_epsg() == 4326 and set(venues.geom_type) == {"Point"}
    by_id = venues.set_index("venue_id")
    assert by_id.loc["osm:node/1003", "name"] == "顺丰速运营业点"
    assert by_id.loc["osm:node/1005", "name"] == "驿站"  # name:zh when name is missing
    park = by_id.loc["osm:way/2001", "geometry"]  # centroid of the park polygon
    assert park.x == pytest.approx(113.032, abs=1e-5) and park.y == pytest.approx(22.467, abs=1e-5)

    # streets: OSM XML that osmnx reads offline, without warnings, into the same grid
    graph = ox.graph_from_xml(out, bidirectional=True, simplify=False)
    assert sorted(graph.nodes) == list(range(5001, 5010))
    assert graph.number_of_edges() == 24  # 12 street segments, walkable both ways
    assert graph.has_edge(5002, 5001) and graph.has_edge(5001, 5002)  # oneway=yes street
    xs = sorted({round(d["x"], 6) for _, d in graph.nodes(data=True)})
    ys = sorted({round(d["y"], 6) for _, d in graph.nodes(data=True)})
    assert xs == list(GRID_LONS) and ys == list(GRID_LATS)
    assert ox.graph_from_xml(out, bidirectional=True).number_of_nodes() > 0  # simplified too

    # provenance and the returned summary
    written = json.loads((tmp_path / "xinhui_fetch.json").read_text(encoding="utf-8"))
    assert written == meta
    assert meta["place"] == PLACE and meta["bbox"] == list(AREA)
    assert meta["venue_kinds"] == {
        "cafe": 1,
        "logistics": 2,
        "park": 1,
        "plaza": 1,
        "post_office": 1,
    }
    assert "OpenStreetMap contributors" in meta["attribution"]
    assert lines[0].startswith("geocoding") and lines[-1].startswith("wrote")


def test_cli_fetch_bbox_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with StubServer() as stub:
        code = _cli(
            [
                "osm",
                "fetch",
                "--bbox",
                *map(str, AREA),
                "--out",
                str(tmp_path / "a.osm"),
                "--overpass-url",
                stub.overpass_url,
                "--timeout",
                "4.5",
                "--quiet",
            ]
        )
        assert code == 0
        query = parse_qs(stub.requests[-1][2])["data"][0]
        assert query.startswith("[out:json][timeout:5];")  # Overpass wants whole seconds
        assert not any(p.startswith("/search") for _, p, _ in stub.requests)  # no geocoding
    assert capsys.readouterr().err == ""  # --quiet
    assert (tmp_path / "a.osm").is_file() and (tmp_path / "a_venues.geojson").is_file()


def test_no_network_plain_message_and_exit_2(
    tmp_path: Path, closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _settings_snapshot()
    url = f"http://127.0.0.1:{closed_port}"
    with pytest.raises(NetworkUnavailableError) as info:
        osm.fetch_osm(
            place=PLACE,
            out=tmp_path / "x.osm",
            overpass_url=f"{url}/api",
            nominatim_url=url,
            timeout_s=5,
        )
    msg = str(info.value)
    assert msg.startswith("could not reach the OpenStreetMap servers (")
    assert "connection refused" in msg and "check the network or proxy" in msg
    assert "[venues] path = " in msg and "\n" not in msg
    assert _settings_snapshot() == before
    assert list(tmp_path.iterdir()) == []  # nothing half-written

    code = _cli(
        [
            "osm",
            "fetch",
            "--place",
            PLACE,
            "--out",
            str(tmp_path / "x.osm"),
            "--overpass-url",
            f"{url}/api",
            "--nominatim-url",
            url,
            "--timeout",
            "5",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not reach the OpenStreetMap servers" in err
    assert "Traceback" not in err


def test_http_error_from_overpass_is_network_error(tmp_path: Path) -> None:
    match = r"HTTP 502 Bad Gateway\): check"
    with (
        StubServer(mode="overpass_502") as stub,
        pytest.raises(NetworkUnavailableError, match=match),
    ):
        osm.fetch_osm(
            bbox=AREA, out=tmp_path / "x.osm", overpass_url=stub.overpass_url, timeout_s=5
        )


def test_unknown_place_is_input_error(tmp_path: Path) -> None:
    match = "Nominatim found no area for place 'Atlantis'"
    with StubServer() as stub, pytest.raises(InputDataError, match=match):
        osm.fetch_osm(
            place="Atlantis",
            out=tmp_path / "x.osm",
            overpass_url=stub.overpass_url,
            nominatim_url=stub.nominatim_url,
            timeout_s=5,
        )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bbox", "113.05", "22.45", "113.03", "22.47", "--out", "x.osm"], "west < east"),
        (["--place", PLACE, "--out", "x.geojson"], "must be a file name ending in .osm"),
    ],
)
def test_cli_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(["osm", "fetch", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_wired_into_geo_outreach_cli(
    tmp_path: Path, closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo_outreach.cli import main

    url = f"http://127.0.0.1:{closed_port}/api"
    code = main(
        [
            "osm",
            "fetch",
            "--bbox",
            *map(str, AREA),
            "--out",
            str(tmp_path / "x.osm"),
            "--overpass-url",
            url,
            "--timeout",
            "5",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: could not reach the OpenStreetMap servers (")
        and err.count("\n") == 1
    )


def test_fetched_files_load_with_the_project_loaders(tmp_path: Path) -> None:
    import pyproj
    from shapely.geometry import box

    from geo_outreach import io
    from geo_outreach.scenario import StreetLayer, VenueLayer

    with StubServer() as stub:
        osm.fetch_osm(
            bbox=AREA, out=tmp_path / "x.osm", overpass_url=stub.overpass_url, timeout_s=5
        )
    crs = pyproj.CRS("EPSG:32649")
    precincts = gpd.GeoDataFrame(
        {"precinct_id": ["P1"], "name": ["会城"]}, geometry=[box(*AREA)], crs="EPSG:4326"
    ).to_crs(crs)
    venues, rejects, _ = io.load_venues(
        VenueLayer(path=tmp_path / "x_venues.geojson"),
        precincts_m=precincts,
        study_area=precincts.union_all(),
        crs=crs,
    )
    assert dict(zip(venues["venue_id"], venues["kind"], strict=True)) == EXPECTED_KINDS
    assert rejects.empty and set(venues["precinct_id"]) == {"P1"}
    graph, facts = io.load_streets(StreetLayer(path=tmp_path / "x.osm"), crs=crs)
    assert facts["rows_loaded"] > 0 and graph.graph["crs"] == crs


def test_cli_progress_goes_through_the_one_reporter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """osm.py prints nothing itself: the CLI's reporter prefixes every progress line."""
    with StubServer() as stub:
        code = _cli(
            [
                "osm",
                "fetch",
                "--bbox",
                *map(str, AREA),
                "--out",
                str(tmp_path / "a.osm"),
                "--overpass-url",
                stub.overpass_url,
                "--timeout",
                "5",
            ]
        )
    cap = capsys.readouterr()
    assert code == 0 and cap.out == ""
    lines = cap.err.splitlines()
    assert lines and all(line.startswith("[geo-outreach] ") for line in lines)
    assert any("downloading venues" in line for line in lines) and "wrote " in lines[-1]


def test_library_checks_raise_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="west < east"):
        osm.check_bbox((113.05, 22.45, 113.03, 22.47))
    with pytest.raises(InputDataError, match="ending in .osm"):
        osm.fetch_osm(bbox=AREA, out=tmp_path / "x.geojson")
    assert list(tmp_path.iterdir()) == []
