"""The demo's map read at a glance (issue 11), in Chromium with the network blocked.

One demo plan (``geo-outreach demo``: the session's ``demo_run``, shared with test_cli) is
rendered in Chinese and, in a copy, in English. The tests check what a planner sees: no
placement marker hides another at the default view (nor zoomed in), the legend and the layer
list collapse, a popup opened at the default view is fully on screen and below the title card,
the what-if sliders change the markers and the covered share, the English page has no Chinese
outside place names, and two renders are byte-identical.
Screenshots go to outputs/screenshots/ (map_default, map_768, map_zoomed, map_popup,
map_whatif, map_en).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from geo_outreach.render import render_outputs
from tests.render.browser_helpers import (
    PageWatch,
    chromium_available,
    launch_chromium,
    pixel_std,
    save_screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
OVERLAPS = """() => {
    const r = [...document.querySelectorAll('.go-rank')].map(e => e.getBoundingClientRect());
    const bad = [];
    for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
        const a = r[i], b = r[j];
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
            a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) bad.push([i, j]);
    }
    return {n: r.length, bad: bad};
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_run: Any) -> dict[str, Path]:
    """The session's demo run (tests/conftest.py, read-only) and an English copy of it."""
    assert demo_run.code == 0
    out = demo_run.out
    en = tmp_path_factory.mktemp("glance") / "demo_en"
    shutil.copytree(out, en)
    written = render_outputs(en, lang="en")
    return {"out": out, "map": out / "map.html", "en": written["map"], "en_dir": en}


@pytest.fixture(scope="module")
def browser() -> Any:
    with launch_chromium() as b:
        yield b


def open_map(browser: Any, path: Path, height: int = 900) -> tuple[Any, PageWatch]:
    page = browser.new_page(viewport={"width": 1366, "height": height})
    watch = PageWatch(page)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.geoOutreach !== undefined", timeout=10_000)
    page.evaluate("document.fonts.ready.then(() => 1)")  # the title card has its final height
    page.wait_for_timeout(100)
    return page, watch


def n_placements(out: Path) -> int:
    return len(gpd.read_file(out / "placements.geojson"))


@pytest.mark.parametrize("height", [900, 768])
def test_no_overlapping_markers_at_default_view(
    browser: Any, demo: dict[str, Path], tmp_path: Path, height: int
) -> None:
    page, watch = open_map(browser, demo["map"], height)
    try:
        assert watch.errors == [] and watch.outside == []
        res = page.evaluate(OVERLAPS)
        for _ in range(30):  # a loaded machine may still be running the first zoom/spread
            if not res["bad"]:
                break
            page.wait_for_timeout(200)
            res = page.evaluate(OVERLAPS)
        # every placement is drawn once (patrol placements as the route's stops)
        assert res["n"] == n_placements(demo["out"]) and res["n"] >= 30
        assert res["bad"] == [], f"{len(res['bad'])} overlapping marker pairs"
        assert page.evaluate("window.geoOutreach.counts.spread") > 0  # some had to move
        # no marker that lies below the title card is pushed up under it
        header = page.evaluate("document.getElementById('go-header').getBoundingClientRect()")
        tops = page.evaluate(
            "[...document.querySelectorAll('.go-rank')].map(e => e.getBoundingClientRect().top)"
        )
        assert min(tops) >= header["bottom"] - 1, (min(tops), header)
        if height == 768:  # the layer list starts folded on a short screen; the legend does not
            assert not page.locator(".leaflet-control-layers-list").is_visible()
            assert page.locator(".go-legend .go-panel-body").is_visible()
        shot = save_screenshot(page, tmp_path, f"map_{'default' if height == 900 else 768}.png")
        assert pixel_std(shot) > 15
        # zoomed in on the county town: still no overlap
        page.evaluate(
            "(() => { const m = window.geoOutreach.map; "
            "m.setView([22.548, 113.03], m.getZoom() + 2, {animate: false}); })()"
        )
        page.wait_for_timeout(200)
        assert page.evaluate(OVERLAPS)["bad"] == []
        if height == 900:
            save_screenshot(page, tmp_path, "map_zoomed.png")
    finally:
        page.close()


def test_panels_collapse_and_expand(browser: Any, demo: dict[str, Path]) -> None:
    page, _ = open_map(browser, demo["map"])
    try:
        for panel, body in (
            (".go-legend", ".go-legend .go-panel-body"),
            (".leaflet-control-layers", ".leaflet-control-layers-list"),
        ):
            assert page.locator(body).is_visible()
            h0 = page.locator(panel).bounding_box()["height"]
            page.locator(f"{panel} .go-toggle").click()
            assert not page.locator(body).is_visible()
            assert page.locator(panel).bounding_box()["height"] < min(h0, 40)
            page.locator(f"{panel} .go-toggle").click()
            assert page.locator(body).is_visible()
        legend = page.inner_text(".go-legend")
        assert legend.index("宣传渠道") < legend.index("警情密度")  # the channel key first
    finally:
        page.close()


def test_popup_at_default_view_is_fully_visible(
    browser: Any, demo: dict[str, Path], tmp_path: Path
) -> None:
    page, watch = open_map(browser, demo["map"], 768)
    try:
        header = page.evaluate("document.getElementById('go-header').getBoundingClientRect()")
        # the marker nearest to the title card: its popup would open under the title unpanned
        idx = page.evaluate(
            "(() => { const r = [...document.querySelectorAll('.go-rank')]"
            ".map(e => e.getBoundingClientRect().top); return r.indexOf(Math.min(...r)); })()"
        )
        page.locator(".go-rank").nth(idx).click()
        popup = page.locator(".leaflet-popup")
        popup.wait_for(state="visible", timeout=5000)
        page.wait_for_timeout(600)  # auto-pan animation
        box = popup.bounding_box()
        assert box["y"] >= header["bottom"] - 1, (box, header)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366
        assert box["y"] + box["height"] <= 768
        text = page.inner_text(".leaflet-popup-content")
        assert "为什么选这里" in text and "能覆盖谁" in text and "什么时候去" in text
        for key in ("share_pct", "peak_share", "feature", "patrols", "渠道:", "stop"):
            assert key not in text, key
        save_screenshot(page, tmp_path, "map_popup.png")
        assert watch.errors == []
    finally:
        page.close()


def test_whatif_slider_changes_markers_and_share(
    browser: Any, demo: dict[str, Path], tmp_path: Path
) -> None:
    page, _ = open_map(browser, demo["map"])
    try:
        curve = json.loads(
            page.evaluate("document.getElementById('geo-outreach-data').textContent")
        )["channels"]
        sliders = page.locator("input.go-wi-range")
        assert sliders.count() == len([c for c in curve if len(c["curve"]) > 1]) >= 3
        before = page.evaluate("document.querySelectorAll('.go-rank').length")
        ci = int(sliders.first.get_attribute("data-ci"))
        n = len(curve[ci]["curve"]) - 1
        val = page.locator(f'.go-wi-val[data-ci="{ci}"]')
        share_full = val.inner_text()
        sliders.first.fill("2")
        after = page.evaluate("document.querySelectorAll('.go-rank').length")
        assert after == before - (n - 2)
        expected = f"{round(curve[ci]['curve'][2] * 100, 1):.1f}%"
        assert val.inner_text() != share_full and expected in val.inner_text()
        assert page.evaluate(OVERLAPS)["bad"] == []
        save_screenshot(page, tmp_path, "map_whatif.png")
        sliders.first.fill("0")
        assert page.evaluate("document.querySelectorAll('.go-rank').length") == before - n
        assert "0.0%" in val.inner_text()
        sliders.first.fill(str(n))
        assert page.evaluate("document.querySelectorAll('.go-rank').length") == before
    finally:
        page.close()


def test_english_map_has_no_chinese_outside_place_names(
    browser: Any, demo: dict[str, Path], tmp_path: Path
) -> None:
    html = demo["en"].read_text(encoding="utf-8")
    names: set[str] = set()
    for f in ("venues.geojson", "placements.geojson", "precincts.geojson"):
        names |= set(gpd.read_file(demo["en_dir"] / f)["name"].dropna().astype(str))
    rest = html
    for n in sorted(names, key=len, reverse=True):
        rest = rest.replace(n, "")
    assert CJK.findall(rest) == []
    for word in ("未分类", "辖区外", "全部渠道"):
        assert word not in html
    page, watch = open_map(browser, demo["en"])
    try:
        banner = page.inner_text("#go-synthetic-banner")
        assert "synthetic: population, alerts, venues, streets" in banner
        assert "illustrative: precinct boundaries" in banner and "not real alerts" in banner
        assert "Why here" in html and "Patrol stop near " in html
        save_screenshot(page, tmp_path, "map_en.png")
        assert watch.errors == []
    finally:
        page.close()


def test_map_is_byte_identical_across_renders(demo: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(demo["out"], again)
    render_outputs(again)
    assert (again / "map.html").read_bytes() == demo["map"].read_bytes()
