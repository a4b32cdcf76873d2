"""map.html and briefing.html in a real browser (Debian chromium via Playwright), offline.

Every request except file:// and data: is blocked and recorded; the tests assert none was even
attempted, that no console error occurred, that the layers were drawn (counting SVG paths and
markers), that a placement's popup explains the choice, and that no injected script ran.
Screenshots go to pytest's tmp dir and are copied to outputs/screenshots/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from geo_outreach.render import render_outputs
from tests.render.browser_helpers import (
    SCREENSHOT_DIR,
    PageWatch,
    chromium_available,
    launch_chromium,
    make_output_folder,
    pixel_std,
    save_screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium_available(),
        reason="needs /usr/bin/chromium and the playwright package (make chromium; "
        "pip install -e '.[test]')",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Any:
    with launch_chromium() as b:
        yield b


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return render_outputs(make_output_folder(tmp_path_factory.mktemp("browser") / "run"))


def open_page(browser: Any, path: Path, *, wait_map: bool = True) -> tuple[Any, PageWatch]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    watch = PageWatch(page)
    page.goto(path.resolve().as_uri(), wait_until="load")
    if wait_map:
        page.wait_for_function("window.geoOutreach !== undefined", timeout=10_000)
    return page, watch


def count(page: Any, selector: str) -> int:
    return int(page.evaluate(f"document.querySelectorAll({selector!r}).length"))


def test_map_offline_layers_legend_popup(
    browser: Any, rendered: dict[str, Path], tmp_path: Path
) -> None:
    page, watch = open_page(browser, rendered["map"])
    try:
        assert watch.outside == [] and watch.blocked == []
        assert watch.errors == []
        assert page.evaluate("typeof L") == "object" and page.evaluate("L.version") == "1.9.3"
        assert count(page, ".leaflet-container") == 1
        # drawn features: outlines and names of precincts always, the density on, the
        # choropleth, hot spots and clusters off by default (one density-like layer at a time)
        assert count(page, "path.go-poutline") == 6 and count(page, ".go-plabel") == 6
        assert count(page, "path.go-precinct") == 0
        assert count(page, "path.go-hotspot") == 0 and count(page, "path.go-cluster") == 0
        assert count(page, "img.leaflet-image-layer") == 1  # density overlay
        assert count(page, "path.go-reach") == 5
        assert count(page, "path.go-uncovered") == 1
        assert (
            page.evaluate(
                "document.querySelector('path.go-uncovered').getAttribute('fill-opacity')"
            )
            == "0"
        )  # hot-spot outlines, not fills
        assert count(page, "path.go-patrol-line") == 1
        assert count(page, ".go-rank") == 5 + 3  # placements + patrol stops
        assert count(page, ".go-rank.go-existing") == 1 and count(page, ".go-rank.go-stop") == 3
        assert count(page, ".go-venue-icon") == 60
        assert count(page, ".leaflet-control-layers-overlays label") == 11
        counts = page.evaluate("window.geoOutreach.counts")
        assert counts["alerts"] == 400 and counts["streets"] == 16
        # switching the hidden layers on draws them (outlines)
        page.evaluate(
            "['precincts', 'hotspots', 'clusters'].forEach(k => "
            "window.geoOutreach.map.addLayer(window.geoOutreach.groups[k]))"
        )
        assert count(page, "path.go-precinct") == 6 and count(page, "path.go-cluster") == 2
        assert count(page, "path.go-hotspot") >= 1
        # channel colours are never venue colours; the legend draws patrol stops as on the map
        colors = page.evaluate(
            "[...document.querySelectorAll('.go-rank')].map(e => e.style.backgroundColor)"
        )
        venue_colors = page.evaluate(
            "[...document.querySelectorAll('.go-venue')].map(e => e.style.backgroundColor)"
        )
        assert colors and venue_colors and not set(colors) & set(venue_colors)
        stop_style = (
            "(e => [getComputedStyle(e).borderRadius, getComputedStyle(e).backgroundColor])"
        )
        on_map = page.evaluate(f"{stop_style}(document.querySelector('.go-rank.go-stop'))")
        in_key = page.evaluate(
            f"{stop_style}(document.querySelector('.go-legend .go-key.go-stop'))"
        )
        assert on_map == in_key
        # furniture; the channel key comes first in the legend
        for sel in (".go-legend", ".leaflet-control-scale", "#go-synthetic-banner", ".go-title"):
            assert page.locator(sel).is_visible(), sel
        legend = page.inner_text(".go-legend")
        assert "警情密度" in legend and legend.index("广场舞宣传") < legend.index("警情密度")
        banner = page.inner_text("#go-synthetic-banner")
        assert "合成" in banner and "警情" in banner and "不代表真实警情" in banner
        page.click("#go-synthetic-banner summary")
        assert "<img src=x onerror" in page.inner_text("#go-synthetic-banner")  # shown as text
        # click the top square-dance placement and read, in plain words, why it was chosen
        marker = page.locator('.go-rank[title^="广场舞宣传 #1 "]')
        page.evaluate("""() => {
            const m = document.querySelector('.go-rank[title^="广场舞宣传 #1 "]');
            const r = m.getBoundingClientRect();
            const map = window.geoOutreach.map;
            map.setView(map.containerPointToLatLng([r.x + r.width / 2, r.y + r.height / 2]), 14,
                        {animate: false});
        }""")
        marker.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5000)
        text = popup.inner_text()
        for word in ("为什么选这里", "历史警情", "能覆盖谁", "广场", "在哪里", "环比"):
            assert word in text, word
        for key in ("share_pct", "peak_share", "square_dance", "feature", "covered_weight"):
            assert key not in text, key
        assert "<img src=x onerror=window.__xss=1>" in text  # the venue name, as text
        page.evaluate(
            "window.geoOutreach.map.closePopup(); window.geoOutreach.map.fitBounds("
            "window.geoOutreach.groups.precincts.getBounds(), {animate: false})"
        )
        # hover every precinct: tooltips of escaped names must not run anything
        for i in range(6):
            page.locator("path.go-precinct").nth(i).hover(force=True)
        assert page.evaluate("window.__xss") is None
        assert watch.errors == [] and watch.outside == []
        shot = save_screenshot(page, tmp_path, "map_test.png")
        assert pixel_std(shot) > 15, "map screenshot looks blank"
        assert (SCREENSHOT_DIR / "map_test.png").is_file()
    finally:
        page.close()


def test_briefing_offline(browser: Any, rendered: dict[str, Path], tmp_path: Path) -> None:
    page, watch = open_page(browser, rendered["briefing_html"], wait_map=False)
    try:
        assert watch.outside == [] and watch.blocked == [] and watch.errors == []
        assert page.evaluate("document.getElementById('briefing-map').naturalWidth") > 500
        assert page.locator("#headline").is_visible()
        assert count(page, "#precinct-table tbody tr") == 6
        assert count(page, ".site-block") == 3 and count(page, "svg.curve") == 2
        assert page.locator("#synthetic-banner").is_visible()
        assert "<img src=x onerror" in page.inner_text("body")
        assert page.evaluate("window.__xss") is None
        shot = save_screenshot(page, tmp_path, "briefing_test.png")
        assert pixel_std(shot) > 15, "briefing screenshot looks blank"
        pdf = tmp_path / "briefing_print.pdf"
        page.pdf(path=str(pdf), landscape=True, format="A4", print_background=True)
        assert pdf.read_bytes()[:5] == b"%PDF-"
    finally:
        page.close()


def test_english_map(browser: Any, tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "en", n_alerts=150, n_venues=30)
    written = render_outputs(out, lang="en")
    page, watch = open_page(browser, written["map"])
    try:
        assert watch.errors == [] and watch.outside == []
        assert "Legend" in page.inner_text(".go-legend")
        assert "Alerts by precinct" in page.inner_text(".leaflet-control-layers")
    finally:
        page.close()


def test_large_map_aggregates_and_clusters(browser: Any, tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "big", n_alerts=6000, n_venues=800)
    written = render_outputs(out)
    page, watch = open_page(browser, written["map"])
    try:
        assert watch.errors == [] and watch.outside == []
        counts = page.evaluate("window.geoOutreach.counts")
        assert counts["venues"] == 800 and counts["alerts"] < 6000  # grid cells
        # venues are off by default when clustered; switch the layer on and see clusters
        page.evaluate("window.geoOutreach.map.addLayer(window.geoOutreach.groups.venues)")
        page.wait_for_selector(".go-vcluster", timeout=5000)
        assert 0 < count(page, ".go-vcluster") < 300
    finally:
        page.close()


def test_tile_basemap_still_works_offline(
    browser: Any, rendered: dict[str, Path], tmp_path: Path
) -> None:
    out = make_output_folder(tmp_path / "osm", n_alerts=100, n_venues=20)
    written = render_outputs(out, basemap="osm")
    page, watch = open_page(browser, written["map"])
    try:
        assert count(page, "path.go-poutline") == 6
        assert all("tile.openstreetmap.org" in u for u in watch.outside)  # only tiles were tried
        assert page.locator(".go-legend").is_visible()
        assert [
            e for e in watch.errors if "ERR_FAILED" not in e and "Failed to load" not in e
        ] == []
    finally:
        page.close()


def test_legend_lists_only_the_layers_that_are_on(browser: Any, rendered: dict[str, Path]) -> None:
    """Issue 12 gaps: a legend entry shows while its layer is on, and hides when it is off."""
    page, watch = open_page(browser, rendered["map"])

    def shown() -> str:
        return str(page.inner_text(".go-legend"))

    def toggle(keys: list[str], on: bool) -> None:
        verb = "addLayer" if on else "removeLayer"
        page.evaluate(
            f"{keys!r}.forEach(k => window.geoOutreach.map.{verb}(window.geoOutreach.groups[k]))"
        )

    try:
        # hot spots and the choropleth start hidden: so do their entries; density is on
        text = shown()
        assert "警情密度" in text and "热点（Gi*）" not in text and "辖区警情" not in text
        assert "覆盖范围" in text
        toggle(["hotspots", "precincts"], True)
        text = shown()
        assert "热点（Gi*）" in text and "热点（显著）" in text and "辖区警情" in text
        toggle(["hotspots"], False)
        assert "热点（Gi*）" not in shown() and "辖区警情" in shown()
        # a channel's row goes with its layer; the channel key goes when every channel is off
        data = "JSON.parse(document.getElementById('geo-outreach-data').textContent)"
        chans = page.evaluate(f"{data}.channels.map(c => [c.group, c.label])")
        keys = [k for k, _ in chans]
        assert chans[0][1] in shown()
        toggle(keys[:1], False)
        assert chans[0][1] not in shown() and chans[1][1] in shown()
        toggle(keys + ["patrol"], False)
        assert "覆盖范围" not in shown() and "巡逻" not in shown()
        toggle(keys, True)
        assert "覆盖范围" in shown()
        assert watch.errors == [] and watch.outside == []
    finally:
        page.close()
