"""The playbook stage in a plan: files written by the schema, read back, drawn and described."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import icalendar
import numpy as np
import pandas as pd
import pytest

from geo_outreach._errors import ScenarioError
from geo_outreach.plan import build_plan
from geo_outreach.playbook.grid import generated_grid
from geo_outreach.render.folder import load_output_folder
from geo_outreach.render.playbook import playbook_layers, playbook_section
from geo_outreach.render.webmap import render_map
from geo_outreach.scenario import load_scenario
from tests.conftest import square_precincts, xy_to_lonlat
from tests.render.browser_helpers import chromium_available

XSS = "<img src=x onerror=window.__xss=1>"

PLAYBOOK = """
[channels.plazas]
label = "广场"
venue_kinds = ["plaza"]
budget = 3
radius_m = 600
stock = 1000
min_per_site = 100

[channels.firms]
label = "企业走访"
type = "visits"
firms = "firms.csv"
radius_m = 800
window_start = 2025-06-15
window_end = 2025-06-16
daily_capacity = 2

[channels.elderly]
label = "入户走访"
type = "visits"
residents = "residents.csv"
grid_size_m = 1000
officer_per_week = 3
worker_per_week = 5

[campaign]
start = 2025-06-01
end = 2025-06-21

[[key_dates]]
date = 2025-06-15
end = 2025-06-16
title = "洽谈会"
"""


@pytest.fixture
def scenario(scenario_factory, tmp_path: Path) -> Path:
    recs = []
    for vid, x, y in [("V0", 500, 1000), ("V1", 3000, 1000), ("V2", 5000, 1000), ("V3", 1500, 500)]:
        lon, lat = xy_to_lonlat(x, y)
        recs.append(
            {"venue_id": vid, "kind": "plaza", "name": f"广场{vid}", "lon": lon, "lat": lat}
        )
    pd.DataFrame(recs).to_csv(tmp_path / "venues.csv", index=False)
    rng = np.random.default_rng(4)
    x, y = rng.uniform(100, 5900, 9), rng.uniform(100, 1900, 9)
    lon, lat = xy_to_lonlat(x, y)
    names = [f"企业{i}" for i in range(7)] + ["=1+1", XSS]
    pd.DataFrame({"firm_id": [f"F{i}" for i in range(9)], "name": names,
                  "employees": rng.integers(10, 300, 9), "lon": lon, "lat": lat}).to_csv(
        tmp_path / "firms.csv", index=False)  # fmt: skip
    cells = generated_grid(square_precincts(), 1000.0, "C")
    eld = rng.integers(0, 40, len(cells))
    pd.DataFrame({"cell_id": cells["cell_id"], "elderly": eld, "living_alone": eld // 3}).to_csv(
        tmp_path / "residents.csv", index=False
    )
    return scenario_factory(venues='[[venues]]\npath = "venues.csv"\n', extra=PLAYBOOK)


def test_plan_writes_reads_and_draws_the_playbook(scenario: Path):
    sc = load_scenario(scenario)
    plan = build_plan(sc, render=False)
    out = Path(plan.out_dir or "")
    assert plan.playbook is not None
    mat = pd.read_csv(out / "materials.csv", encoding="utf-8-sig")
    assert mat["quantity"].sum() == 1000 and (mat["quantity"] >= 100).all() and len(mat) == 3
    sched = pd.read_csv(out / "visit_schedule.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(sched) == 9 and set(sched["status"]) <= {"scheduled", "shortfall"}
    visits = pd.read_csv(out / "visits.csv", encoding="utf-8-sig")
    assert visits["households"].sum() == plan.manifest["playbook"]["households_scheduled"]  # type: ignore[index]
    cal = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    evs = list(cal.walk("VEVENT"))
    assert len(evs) == 2 and {str(e["SUMMARY"]) for e in evs} >= {"洽谈会"}
    icss = sorted((out / "visit_calendars").glob("*.ics"))
    n = sum(len(list(icalendar.Calendar.from_ical(p.read_bytes()).walk("VEVENT"))) for p in icss)
    assert n == (sched["status"] == "scheduled").sum() and n > 0
    assert "visit_calendars/" + icss[0].name in plan.files
    # the visits channels are not placed, and the placement channel is
    assert set(plan.manifest["channels"]) == {"plazas"}  # type: ignore[index]
    # the map gets a layer per piece, the briefing a section, values escaped
    labels = [lay.label for lay in playbook_layers(out, "wgs84", "zh")]
    assert any(s.startswith("老年人走访网格") for s in labels) and "警格" in labels
    assert any(s.startswith("企业走访") for s in labels) and any("物料" in s for s in labels)
    html = playbook_section(out, "zh")
    assert "物料分配" in html and "推荐宣传时段" in html and "洽谈会" in html
    assert "企业走访" in html and "老年人走访" in html and "1,000" in html
    en = playbook_section(out, "en")
    assert "Materials" in en and "Recommended times" in en and "Elderly visits" in en
    page = render_map(load_output_folder(out), lang="zh")
    name = "老年人走访网格"
    assert (name in page or json.dumps(name)[1:-1] in page) and XSS not in page
    assert "$(`" not in page  # no folium jQuery popup: the page loads no jQuery
    assert "bindPopup" in page


def test_a_plan_without_playbook_keys_writes_no_playbook_file(scenario_factory, tmp_path):
    sc = load_scenario(scenario_factory())
    plan = build_plan(sc, render=False)
    names = {p.name for p in Path(plan.out_dir or "").iterdir()}
    assert plan.playbook is None
    assert not names & {"materials.csv", "calendar.csv", "calendar.ics", "visits.csv"}
    assert playbook_section(plan.out_dir or "", "zh") == ""


def test_campaign_and_visit_settings_are_checked(scenario_factory):
    bad = scenario_factory(extra="[campaign]\nstart = 2025-06-10\nend = 2025-06-01\n")
    with pytest.raises(ScenarioError, match="campaign.end 2025-06-01 is before"):
        load_scenario(bad)
    quoted = scenario_factory(extra='[campaign]\nstart = "2025-06-10"\nend = 2025-06-11\n')
    with pytest.raises(ScenarioError, match="a date like 2026-06-15"):
        load_scenario(quoted)
    sc = load_scenario(scenario_factory(extra="[[key_dates]]\ndate = 2025-06-10\ntitle = 'x'\n"))
    assert sc.key_dates[0].date == dt.date(2025, 6, 10) and sc.campaign is None


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright")
def test_playbook_layers_open_offline_and_toggle(scenario: Path, tmp_path: Path):
    from tests.render.browser_helpers import PageWatch, launch_chromium

    plan = build_plan(load_scenario(scenario), render=False)
    page_path = tmp_path / "map.html"
    page_path.write_text(render_map(load_output_folder(plan.out_dir or "")), encoding="utf-8")
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        watch = PageWatch(page)
        page.goto(page_path.as_uri())
        page.wait_for_timeout(800)
        cells = page.locator(".leaflet-go-pb-grid-pane path.leaflet-interactive")
        assert cells.count() == 0  # the grid layer starts hidden, and so does its legend entry
        assert "老年人走访网格（预期效益）" not in page.inner_text(".go-legend")
        assert "走访企业" in page.inner_text(".go-legend")  # the firm layer is on
        grid = page.locator(".leaflet-control-layers-overlays label", has_text="老年人走访网格")
        grid.locator("input").click()
        page.wait_for_timeout(300)
        assert "老年人走访网格（预期效益）" in page.inner_text(".go-legend")
        assert cells.count() == int((plan.playbook.grid["role"] == "community").sum())  # type: ignore[union-attr]
        # a click on a cell opens the cell's popup (its pane lies above the precinct layer)
        box = cells.first.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        titles = page.locator(".leaflet-popup-content .go-pop-title").all_inner_texts()
        assert len(titles) == 1 and titles[0].startswith("网格 C")
        firms = page.locator(".leaflet-go-pb-points-pane path.leaflet-interactive")
        assert firms.count() == 9  # the firms; the material sites start hidden
        assert watch.errors == [] and watch.outside == []
        assert page.evaluate("window.__xss") is None


def test_placement_only_drops_the_visits_channels(scenario: Path):
    from geo_outreach.scenario import placement_only

    sc = load_scenario(scenario)
    assert [c.name for c in sc.channels] == ["plazas", "firms", "elderly"]
    assert [c.name for c in placement_only(sc).channels] == ["plazas"]


def test_visits_xlsx_and_placements_quantity_match_the_csv_files(scenario: Path):
    """issue 12 xlsx: visits.xlsx and placements.xlsx's 数量 column, the same bytes twice."""
    from geo_outreach.render.exports import write_exports, write_visits_xlsx, write_xlsx

    out = Path(build_plan(load_scenario(scenario), render=False).out_dir or "")
    written = write_exports(out)
    assert set(written) == {"outputs.gpkg", "placements.xlsx", "visits.xlsx"}
    first = {n: written[n].read_bytes() for n in ("placements.xlsx", "visits.xlsx")}
    assert (
        write_visits_xlsx(out) is not None
        and write_xlsx(out).read_bytes() == first["placements.xlsx"]
    )
    assert (out / "visits.xlsx").read_bytes() == first["visits.xlsx"]  # same bytes twice
    ids = {"visitor_id": str, "cell_id": str, "target_id": str}
    read = {"dtype": ids, "keep_default_na": False, "na_values": [""]}
    sheets = pd.read_excel(out / "visits.xlsx", sheet_name=None,
                           dtype={"走访人": str, "网格单元": str, "对象编号": str})  # fmt: skip
    assert list(sheets) == ["说明", "入户走访", "企业走访"]
    visits = pd.read_csv(out / "visits.csv", encoding="utf-8-sig", **read)
    sheet = sheets["入户走访"]
    assert list(sheet.columns) == ["走访人", "角色", "网格单元", "顺序", "周次", "安排户数",
                                   "方式", "状态"]  # fmt: skip
    assert len(sheet) == len(visits) > 0
    for head, col in (("走访人", "visitor_id"), ("网格单元", "cell_id")):
        assert sheet[head].astype(str).tolist() == visits[col].astype(str).tolist()
    zh = {"police": "社区民警（警格）", "community": "网格员", "door": "上门", "phone": "电话",
          "scheduled": "已安排", "partial": "部分安排", "shortfall": "未能安排"}  # fmt: skip
    for head, col in (("角色", "role"), ("方式", "mode"), ("状态", "status")):
        assert sheet[head].tolist() == [zh[v] for v in visits[col]]
    for head, col in (("顺序", "order"), ("周次", "week"), ("安排户数", "households")):
        assert sheet[head].tolist() == pytest.approx(visits[col].tolist(), nan_ok=True)
    sched = pd.read_csv(out / "visit_schedule.csv", encoding="utf-8-sig", **read)
    firms = sheets["企业走访"]
    assert len(firms) == len(sched) == 9
    assert firms["对象编号"].tolist() == sched["target_id"].tolist()
    assert firms["走访对象"].astype(str).tolist() == sched["target"].astype(str).tolist()
    assert firms["状态"].tolist() == [zh[v] for v in sched["status"]]
    assert set(firms["类型"]) == {"企业"}
    for head, col in (("开始", "start"), ("结束", "end")):  # the time of day; the date beside
        assert firms[head].fillna("").tolist() == sched[col].fillna("").str[11:16].tolist()
    assert "'=1+1" in set(firms["走访对象"])  # as in the csv (quoted there): text, no formula
    assert firms["派出所"].astype(str).tolist() == sched["station"].astype(str).tolist()
    # placements.xlsx: the material quantity of each site, as in materials.csv
    mat = pd.read_csv(out / "materials.csv", encoding="utf-8-sig", dtype={"venue_id": str})
    place = pd.read_excel(out / "placements.xlsx", sheet_name="广场", dtype={"场所编号": str})
    place = place[pd.to_numeric(place["排序"], errors="coerce").notna()]
    got = dict(zip(place["场所编号"], place["数量"].astype(int)))
    assert got == dict(zip(mat["venue_id"], mat["quantity"])) and sum(got.values()) == 1000
    # placements.xlsx: the per-precinct summary sheet is materials_by_precinct.csv
    by_p = pd.read_csv(out / "materials_by_precinct.csv", encoding="utf-8-sig")
    summary = pd.read_excel(out / "placements.xlsx", sheet_name="各辖区投放点位与物料")
    assert list(summary.columns) == ["渠道", "辖区", "点位", "数量"]
    assert summary["辖区"].tolist() == by_p["precinct"].tolist()
    assert summary["点位"].tolist() == by_p["sites"].tolist()
    assert summary["数量"].sum() == by_p["quantity"].sum() == 1000


def test_visit_targets_never_wear_a_channel_colour():
    """Firms and schools on the map must not look like numbered placements (issue 11)."""
    from geo_outreach.render import playbook as rp
    from geo_outreach.render.style import CHANNEL_COLORS, PATROL_COLOR

    used = {rp.TARGET_RING, *rp.TARGET_FILLS.values()}
    assert not used & {c.lower() for c in (*CHANNEL_COLORS, PATROL_COLOR)}
    assert rp.TARGET_FILLS["firm"] != rp.TARGET_FILLS["school"]


def test_sites_per_precinct_and_the_notes_in_the_briefing_language(scenario: Path):
    """Issue 12 gaps: materials_by_precinct.csv and the shortfall notes in zh and en."""
    plan = build_plan(load_scenario(scenario), render=False)
    out = Path(plan.out_dir or "")
    bp = pd.read_csv(out / "materials_by_precinct.csv", encoding="utf-8-sig",
                     dtype={"precinct_id": str})  # fmt: skip
    placed = pd.read_csv(out / "placements.csv", encoding="utf-8-sig", dtype={"precinct_id": str})
    assert set(bp["channel"]) == {"plazas"} and set(bp["precinct_id"]) >= {"A", "B", "C"}
    got = bp.set_index("precinct_id")["sites"]
    want = placed[placed["channel"] == "plazas"].groupby("precinct_id").size()
    assert got[got > 0].to_dict() == want.to_dict() and got.sum() == 3
    assert bp["quantity"].sum() == 1000  # the stock, split by precinct
    summary = plan.manifest["playbook"]  # type: ignore[index]
    assert summary["sites_per_precinct"]["plazas"] == want.to_dict()
    # 2025-06-15 is a Sunday: one working day, 2 visits a station -> a shortfall somewhere
    items = summary["note_items"]
    assert any(i["key"] == "pbn_short_firm" for i in items)
    zh, en = playbook_section(out, "zh"), playbook_section(out, "en")
    assert "各辖区投放点位与物料" in zh and "Sites and materials per precinct" in en
    assert "无法安排（缺口）" in zh and "cannot be visited" not in zh
    assert "cannot be visited (shortfall)" in en and "缺口" not in en
    # an English page names a channel without an English name by its id, not its Chinese label
    assert "企业走访" in zh and "企业走访" not in en and "firms: " in en


def test_legend_has_entries_for_the_playbook_and_emerging_layers(scenario: Path):
    """Issue 12 gaps: legend rows for the grid, police grid, visits, materials, emerging."""
    import shapely

    plan = build_plan(load_scenario(scenario), render=False)
    out = Path(plan.out_dir or "")
    cell = shapely.box(113.03, 22.52, 113.04, 22.53)
    props = {
        "cell_id": "E1",
        "precinct_id": "A",
        "precinct_name": "甲",
        "alerts": 9,
        "pattern": "intensifying",
        "hot_months": 3,
        "first_hot_month": "2025-01",
        "run_start_month": "2025-03",
        "last_month_z": 2.5,
        "mk_z": 2.1,
        "mk_p": 0.03,
    }
    feats = [{"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(cell)}]
    (out / "emerging_hotspots.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8"
    )  # fmt: skip
    from geo_outreach.outputs import sha256_file

    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    name = "emerging_hotspots.geojson"
    m["outputs_sha256"][name] = sha256_file(out / name)
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    for lang, words in (("zh", ["老年人走访网格（预期效益）", "警格", "走访企业", "物料数量",
                                "新兴热点", "加剧热点"]),
                        ("en", ["Elderly visit grid (benefit)", "Police grid", "Firm visit",
                                "Material quantity", "Intensifying"])):  # fmt: skip
        page = render_map(load_output_folder(out), lang=lang)
        data = json.loads(page.split('id="geo-outreach-data">', 1)[1].split("</script>", 1)[0])
        legend = data["legend"]
        for w in words:
            assert w in legend, (lang, w)
        assert 'data-groups="emerging"' in legend and 'data-groups="pb_grid"' in legend
        assert set(data["legend_layers"]) >= {"emerging"}
        # every legend block names layers the page has (a group or a legend-only layer)
        import re

        names = set(data["groups"]) | set(data["legend_layers"])
        for keys in re.findall(r'data-groups="([^"]*)"', legend):
            assert set(keys.split()) <= names, keys


def test_materials_box_lists_the_rest_in_one_row_so_rows_add_up(scenario: Path, monkeypatch):
    """More sites than the box shows: one "其余 N 个点位" row holding the sum of the rest."""
    import re

    from geo_outreach.render import playbook as rp

    out = Path(build_plan(load_scenario(scenario), render=False).out_dir or "")
    mat = pd.read_csv(out / "materials.csv", encoding="utf-8-sig")
    monkeypatch.setattr(rp, "MAX_ROWS", 2)
    html = playbook_section(out, "zh")
    rest = mat.sort_values("quantity", ascending=False)["quantity"].iloc[2:].sum()
    match = re.search(r"其余 1 个点位</td><td[^>]*>([\d,]+)<", html)
    assert match is not None and int(match.group(1).replace(",", "")) == rest
    assert "1 other sites" in playbook_section(out, "en")
