"""map.html rendered from an output folder: offline, escaped, bilingual, layered, GCJ-02 aware.

Assertions are on the rendered, parsed HTML (the JSON payload ``map.js`` draws), not on bytes;
what a real browser shows is tested in test_browser.py.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

from geo_outreach._errors import InputDataError, ScenarioError
from geo_outreach.i18n import MESSAGES, t
from geo_outreach.render import load_output_folder, render_map, render_outputs, resolve_basemap
from tests.render.browser_helpers import make_output_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_output_folder(tmp_path_factory.mktemp("out") / "run")


@pytest.fixture(scope="module")
def page_zh(folder: Path) -> str:
    return render_map(load_output_folder(folder))


def payload(page: str) -> dict:
    m = re.search(
        r'<script type="application/json" id="geo-outreach-data">(.*?)</script>', page, re.DOTALL
    )
    assert m, "no data payload in the page"
    return json.loads(m.group(1))


def channel(data: dict, name: str) -> dict:
    return next(c for c in data["channels"] if c["name"] == name)


def metres(a: list[float], b: list[float]) -> float:
    """Distance between two [lat, lon] points (haversine)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def test_render_outputs_writes_map_and_briefing(folder: Path) -> None:
    written = render_outputs(folder)
    assert set(written) == {"map", "briefing_html", "briefing_png", "briefing_pdf"}
    for p in written.values():
        assert p.is_file() and p.stat().st_size > 1000
    assert written["briefing_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert written["briefing_pdf"].read_bytes()[:5] == b"%PDF-"


def test_offline_no_external_scripts_or_styles(page_zh: str) -> None:
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page_zh, re.IGNORECASE)
    for tag in tags:
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", tag, re.IGNORECASE), tag
    assert "cdn" not in " ".join(tags).lower()
    for host in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn", "fontawesome"):
        assert host not in page_zh
    assert "L.map(" in page_zh and "L.MarkerClusterGroup" in page_zh  # Leaflet + plugin inlined
    assert "tileLayer(" not in page_zh
    assert "sourceMappingURL" not in page_zh


def test_css_images_are_inlined(page_zh: str) -> None:
    assert "url(images/" not in page_zh
    assert "url(data:image/png;base64," in page_zh


def test_user_strings_are_escaped(page_zh: str) -> None:
    assert "<img src=x" not in page_zh
    assert "<script>window.__xss" not in page_zh
    data = payload(page_zh)
    text = json.dumps(data, ensure_ascii=False)
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in text  # shown as text, not markup
    venue_names = [p[3] for p in data["venues"]["pts"]]
    assert any(n.startswith("&lt;img") for n in venue_names)
    # the precinct called <img ...> is escaped in its tooltip, the banner note in the header
    assert any("&lt;img" in p["t"] for p in data["precincts"])
    header = re.search(r'<div class="go-header".*?</div></div>', page_zh, re.DOTALL).group(0)
    assert "&lt;img src=x" in header and "<img" not in header


def test_chinese_by_default_english_on_request(folder: Path, page_zh: str) -> None:
    en = render_map(load_output_folder(folder), lang="en")
    assert '<html lang="zh-CN">' in page_zh and '<html lang="en">' in en
    for key in ("legend", "layer_precincts", "layer_density", "layer_hotspots", "map_why"):
        assert t(key, "zh") in page_zh
        assert t(key, "en") in en
    assert "图例" not in en and "辖区警情" not in en
    with pytest.raises(ValueError, match="unknown language"):
        render_map(load_output_folder(folder), lang="fr")


def test_manifest_output_settings_are_the_defaults(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "en", n_alerts=120, lang="en")
    written = render_outputs(out)
    assert '<html lang="en">' in written["map"].read_text(encoding="utf-8")
    assert "Legend" in written["map"].read_text(encoding="utf-8")


def test_catalogue_is_complete() -> None:
    for key, entry in MESSAGES.items():
        assert entry.get("zh") and entry.get("en"), key


def test_layers_present(page_zh: str) -> None:
    d = payload(page_zh)
    assert len(d["precincts"]) == 6
    assert d["alerts"]["mode"] == "points" and len(d["alerts"]["pts"]) == 400
    assert d["hotspots"] and d["clusters"] and d["uncovered"] and d["streets"]
    assert len(d["venues"]["pts"]) == 60 and not d["venues"]["cluster"]
    ch = {c["name"]: c for c in d["channels"]}
    assert [len(ch[n]["sites"]) for n in ("square_dance", "cafe_sleeves")] == [3, 2]
    assert [len(ch[n]["reach"]) for n in ("square_dance", "cafe_sleeves")] == [3, 2]
    # walking/circle polygons from reach.geojson, else circles of the channel's radius
    assert "g" in ch["square_dance"]["reach"][0] and ch["cafe_sleeves"]["reach"][0]["r"] == 300
    assert sum(s["existing"] for s in ch["cafe_sleeves"]["sites"]) == 1
    assert len(d["patrol"]["stops"]) == 3 and len(d["patrol"]["lines"]) == 1
    assert "19:00–19:45" in d["patrol"]["stops"][0]["t"]  # time windows in the stop popup
    for key in (
        "precincts",
        "alerts",
        "hotspots",
        "clusters",
        "venues",
        "uncovered",
        "patrol",
        "context",
        "ch0",
        "ch1",
    ):
        assert key in d["groups"]
    assert "L.imageOverlay(" in page_zh and "data:image/png;base64," in page_zh  # density
    assert "control.layers" in page_zh
    # legend in real units, title, period, banner, scale bar
    assert t("legend_density_unit", "zh") in d["legend"]
    assert "新会区反诈宣传投放方案（测试）" in page_zh and "2024-01-01" in page_zh
    assert 'id="go-synthetic-banner"' in page_zh
    assert "L.control.scale(" in page_zh


def test_placement_popup_says_why(page_zh: str) -> None:
    """Plain words: why this site, who it reaches, where; no internal key."""
    site = channel(payload(page_zh), "square_dance")["sites"][1]
    for key in ("map_why", "map_who", "map_where", "map_audience_square_dance"):
        assert t(key, "zh") in site["t"], key
    assert "800 米内" in site["t"] and "起历史警情" in site["t"]
    assert re.search(r"前 2 个点合计覆盖本渠道 \d+\.\d%", site["t"])
    for internal in ("square_dance", "covered_weight", "share_pct", "cumulative_share"):
        assert internal not in site["t"]


def test_no_synthetic_banner_for_real_data(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "real", n_alerts=100, synthetic=False)
    page = render_map(load_output_folder(out))
    assert "go-synthetic-banner" not in page


def test_amap_shifts_every_layer_to_gcj02(folder: Path, page_zh: str) -> None:
    amap = render_map(load_output_folder(folder), basemap="amap")
    a, b = payload(page_zh), payload(amap)
    pairs = [
        (a["precincts"][0]["g"][0][0], b["precincts"][0]["g"][0][0]),
        (
            channel(a, "square_dance")["sites"][0]["ll"],
            channel(b, "square_dance")["sites"][0]["ll"],
        ),
        (
            channel(a, "square_dance")["reach"][0]["g"][0][0],
            channel(b, "square_dance")["reach"][0]["g"][0][0],
        ),
        (a["venues"]["pts"][3][:2], b["venues"]["pts"][3][:2]),
        (a["alerts"]["pts"][5][:2], b["alerts"]["pts"][5][:2]),
        (a["patrol"]["stops"][0]["ll"], b["patrol"]["stops"][0]["ll"]),
        (a["hotspots"][0]["g"][0][0], b["hotspots"][0]["g"][0][0]),
    ]
    for p, q in pairs:
        assert 450 < metres(p, q) < 650, (p, q)
    assert "webrd0{s}.is.autonavi.com" in amap
    ov = re.findall(r"L\.imageOverlay\(\s*\"data:[^\"]+\",\s*(\[\[.*?\]\])", amap, re.DOTALL)
    ov0 = re.findall(r"L\.imageOverlay\(\s*\"data:[^\"]+\",\s*(\[\[.*?\]\])", page_zh, re.DOTALL)
    sw_a, sw_0 = json.loads(ov[0])[0], json.loads(ov0[0])[0]
    assert 450 < metres(sw_0, sw_a) < 650


@pytest.mark.parametrize(
    "choice,expect",
    [
        ("osm", "tile.openstreetmap.org"),
        ("tianditu", "tianditu.gov.cn"),
        ("http://10.1.2.3/tiles/{z}/{x}/{y}.png", "10.1.2.3/tiles"),
    ],
)
def test_tile_basemaps(folder: Path, choice: str, expect: str) -> None:
    page = render_map(load_output_folder(folder), basemap=choice)
    assert expect in page and "tileLayer(" in page
    assert not payload(page).get("streets")  # tiles replace the vector context
    assert resolve_basemap(choice)[3] == "wgs84"


def test_custom_gcj02_basemap_and_bad_basemap() -> None:
    assert resolve_basemap("gcj02+http://x/{z}/{x}/{y}.png")[3] == "gcj02"
    with pytest.raises(ScenarioError, match="tile URL template"):
        resolve_basemap("google")


def test_missing_required_files_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"no manifest.json.*geo-outreach plan"):
        render_outputs(tmp_path)
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"no precincts.geojson.*geo-outreach plan"):
        render_outputs(tmp_path)


def test_early_plan_renders_what_exists(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "early", n_alerts=150, complete=False)
    written = render_outputs(out)
    d = payload(written["map"].read_text(encoding="utf-8"))
    assert d["channels"] == [] and "hotspots" not in d and "patrol" not in d
    assert len(d["precincts"]) == 6 and d["venues"]["pts"] and d["alerts"]["pts"]
    assert written["briefing_html"].is_file()


def test_large_inputs_are_aggregated(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "big", n_alerts=8000, n_venues=900)
    d = payload(render_map(load_output_folder(out)))
    assert d["alerts"]["mode"] == "grid"
    assert sum(c[4] for c in d["alerts"]["cells"]) == 8000
    assert len(d["alerts"]["cells"]) < 8000
    assert d["venues"]["cluster"] is True


def test_rendering_is_deterministic(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert render_map(load_output_folder(folder)) == render_map(load_output_folder(copy))


def test_cli_render_rerenders_a_finished_plan(folder: Path, tmp_path: Path) -> None:
    from geo_outreach import cli

    copy = tmp_path / "plan"
    shutil.copytree(folder, copy)
    for name in ("map.html", "briefing.html", "briefing.png", "briefing.pdf"):
        (copy / name).unlink(missing_ok=True)
    assert cli.main(["render", str(copy), "--lang", "en"]) == 0
    # issue 11: English goes beside the Chinese files (map.en.html ...), not over them
    assert "Legend" in (copy / "map.en.html").read_text(encoding="utf-8")
    assert (copy / "briefing.en.pdf").is_file() and (copy / "briefing.en.png").is_file()
    assert not (copy / "map.html").exists()
    assert cli.main(["render", str(tmp_path / "nothing-here")]) == 2


def test_payload_cannot_close_its_script_element() -> None:
    from geo_outreach.render.assets import json_for_script

    raw = {"a": "</script><!--<script>alert(1)</script>", "b": "普通文字 & <b>"}
    text = json_for_script(raw)
    assert "</script" not in text.lower() and "<!--" not in text
    assert json.loads(text) == raw


def test_hot_levels_of_a_table_equal_the_row_by_row_levels():
    """Issue 14: the static map and the hot-spot layer read every cell's level at once."""
    import numpy as np
    import pandas as pd

    from geo_outreach._validate import HOT_CLASS_LEVELS
    from geo_outreach.render.style import hot_level, hot_levels

    cells = pd.DataFrame({"hot_class": [*HOT_CLASS_LEVELS, None, np.nan, "x", ""]})
    expected = [hot_level(r) for _, r in cells.iterrows()]
    assert hot_levels(cells).tolist() == expected
    assert sorted(set(expected)) == [-3, -2, -1, 0, 1, 2, 3]
    assert hot_levels(cells.drop(columns="hot_class")).tolist() == [0] * len(cells)


def test_display_reach_cleans_a_reach_layer_once():
    """Issue 14: the web map and the static maps share one cleaned reach layer."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geo_outreach.render.geometry import display_reach

    reach = gpd.GeoDataFrame(
        {"channel": ["a", "b"]},
        geometry=[Point(708000, 2492000).buffer(300), Point(709000, 2492500).buffer(500)],
        crs="EPSG:32649",
    ).to_crs("EPSG:4326")
    first = display_reach(reach)
    assert display_reach(reach) is first
    copy = reach.copy()
    again = display_reach(copy)  # another frame: cleaned again, same shapes
    assert again is not first and again.geom_equals_exact(first.geometry, 1e-9).all()
    assert display_reach(reach, close_m=10.0) is not first
