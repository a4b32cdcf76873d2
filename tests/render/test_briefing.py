"""Briefing outputs: headline figures, the self-contained briefing page, the static map."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach._errors import InputDataError
from geo_outreach.i18n import t
from geo_outreach.render import briefing
from geo_outreach.render import load_output_folder, static_map
from geo_outreach.render.pdf import chromium_executable
from tests.render.browser_helpers import SCREENSHOT_DIR, make_output_folder

needs_pdf_tools = pytest.mark.skipif(
    chromium_executable() is None or shutil.which("pdftotext") is None,
    reason="needs chromium and pdftotext (Debian poppler-utils; `make test` installs both)",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_output_folder(tmp_path_factory.mktemp("brief") / "run", n_alerts=500)


def test_headline_figures_match_monthly_totals(folder: Path) -> None:
    f = load_output_folder(folder)
    hf = briefing.headline_figures(f)
    tr = pd.read_csv(folder / "monthly_trends.csv", encoding="utf-8-sig")
    district = tr[tr["precinct_id"] == "all"].set_index("month")
    by_month = tr[tr["precinct_id"] != "all"].groupby("month")["alerts"].sum()
    assert hf.total == 500
    assert hf.month == by_month.index.max() == "2025-06"
    assert hf.latest == by_month.iloc[-1] == district.loc["2025-06", "alerts"]
    prev = by_month.loc["2025-05"]
    assert hf.mom_pct == pytest.approx((by_month.iloc[-1] - prev) / prev * 100, abs=1e-3)
    # the p-values are the stats stage's, read from the file, not recomputed
    assert (hf.mom_p, hf.yoy_p) == (
        district.loc["2025-06", "mom_p"],
        district.loc["2025-06", "yoy_p"],
    )


def test_briefing_html_is_self_contained_and_complete(folder: Path) -> None:
    written = briefing.render_briefing(folder)
    page = written["briefing_html"].read_text(encoding="utf-8")
    assert not re.search(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"?https?:", page)
    assert "<script" not in page
    assert "@page { size: A4 landscape" in page
    assert 'src="data:image/png;base64,' in page  # the static map
    assert page.count("<svg") == 2  # one coverage curve per channel with a curve
    rows = re.search(r'<table id="precinct-table">.*?</table>', page, re.DOTALL).group(0)
    assert rows.count("<tr>") == 1 + 6
    assert page.count('class="site-block"') == 3  # square_dance, cafe_sleeves, patrol
    for key in ("headline", "alerts_latest_month", "mom", "yoy", "precinct_table", "summary_title"):
        assert t(key, "zh") in page
    assert 'id="synthetic-banner"' in page


def _site_blocks(page: str) -> dict[str, list[list[str]]]:
    """channel -> rows of cell texts of its table.sites (no rows for a channel without sites)."""
    out = {}
    for block in page.split('<div class="site-block" data-channel="')[1:]:
        ch, body = block.split('"', 1)
        body = body.split("</div>", 1)[0]
        tbody = body.split("<tbody>")[1] if "<tbody>" in body else ""
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in tbody.split("<tr>")[1:]]
        out[ch] = rows
    return out


def test_briefing_lists_every_site_with_precinct_reach_and_rank(folder: Path) -> None:
    import html

    f = load_output_folder(folder)
    page = briefing.briefing_html(f)
    blocks = _site_blocks(page)
    pl = pd.read_csv(folder / "placements.csv", encoding="utf-8-sig", dtype={"precinct_id": str})
    names = dict(zip(f.precincts["precinct_id"], f.precincts["name"]))
    assert set(blocks) == set(pl["channel"]) | {"patrol"}
    assert blocks["patrol"] == []  # in the manifest, no placements: shown, not dropped
    for ch, sub in pl.groupby("channel"):
        sub = sub.sort_values("rank")
        rows = blocks[ch]
        assert len(rows) == len(sub) > 0  # every site, not only the top 5
        assert [int(r[0]) for r in rows] == sub["rank"].tolist()
        assert [html.unescape(r[1]) for r in rows] == sub["name"].astype(str).tolist()
        assert [html.unescape(r[3]) for r in rows] == [names[p] for p in sub["precinct_id"]]
        assert [float(r[4].replace(",", "")) for r in rows] == pytest.approx(
            sub["marginal_weight"].tolist(), abs=0.051
        )
        assert all(r[6] == "" for r in rows)  # no time_profile.csv here: blank, not invented


def test_suggested_time_is_the_precincts_busiest_window(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=120)
    f = load_output_folder(out)
    pl = f.placements
    busy, quiet = str(pl["precinct_id"].iloc[0]), "nobody"
    rows = [("all", "all", 1, 9, 5), ("all", "all", 5, 20, 9)]  # district: Sat 19-22 / 20-23
    rows += [("precinct_id", busy, 2, h, 10) for h in (14, 15, 16)]  # Wed 14-17, 30 alerts
    rows += [("precinct_id", quiet, 0, 8, 3)]  # too few alerts for a window of its own
    pd.DataFrame(rows, columns=["group_type", "group_id", "weekday", "hour", "alerts"]).to_csv(
        out / "time_profile.csv", index=False, encoding="utf-8-sig"
    )
    from geo_outreach.render.sites import channel_sites, suggested_times

    times = suggested_times(f, "zh")
    assert times[busy] == "周三 14-17时"
    assert quiet not in times and times[""] in ("周六 18-21时", "周六 19-22时", "周六 20-23时")
    assert suggested_times(f, "en")[busy] == "Wed 14-17h"
    for cs in channel_sites(f, "zh"):
        for _, r in cs.sites.iterrows():
            pid = pl.loc[pl["name"] == r["name"], "precinct_id"].iloc[0]
            assert r["when"] == times.get(pid, times[""])
    page = briefing.briefing_html(f)
    summary = page[page.index('id="summary"') : page.index('id="sites"')]
    assert "建议时段 周三 14-17时" in summary  # the "when" of the plain-words summary


def test_summary_first_and_solver_words_only_in_the_appendix(folder: Path) -> None:
    page = briefing.briefing_html(load_output_folder(folder))
    summary, sites, appendix = (page.index(f'id="{i}"') for i in ("summary", "sites", "appendix"))
    assert summary < sites < appendix
    for word in (t("status", "zh"), t("gap", "zh"), "optimal"):
        assert word in page[appendix:] and word not in page[:appendix]
    text = re.sub(r"<[^>]+>", "", page[summary:sites])
    # what, where, when, expected reach, in words
    assert "个投放点" in text and "主要在" in text and "预计覆盖" in text


def test_briefing_escapes_user_text(folder: Path) -> None:
    page = briefing.briefing_html(load_output_folder(folder))
    assert "<img src=x" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in page


def test_briefing_in_english(folder: Path) -> None:
    page = briefing.briefing_html(load_output_folder(folder), lang="en")
    assert "Headline figures" in page and "要点" not in page


def test_static_map_png_and_pdf(folder: Path) -> None:
    written = briefing.render_briefing(folder)
    png, pdf = written["briefing_png"], written["briefing_pdf"]
    from PIL import Image

    with Image.open(png) as im:
        assert im.size[0] > im.size[1] > 1000  # A4 landscape at 150 dpi
        import numpy as np

        assert np.asarray(im.convert("L"), dtype=float).std() > 10  # not blank
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert b"NotoSansCJK" in pdf.read_bytes() or b"Noto" in pdf.read_bytes()  # CJK font embedded


def test_missing_cjk_font_is_a_warning(
    folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(static_map, "cjk_font", lambda: None)
    with caplog.at_level(logging.WARNING, logger="geo_outreach.render.static_map"):
        fig = static_map.static_map_figure(load_output_folder(folder))
    import matplotlib.pyplot as plt

    plt.close(fig)
    assert "no CJK font" in caplog.text


def test_static_map_failure_keeps_the_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=80, complete=False)

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("no display")

    monkeypatch.setattr(briefing, "static_map_figure", boom)
    with caplog.at_level(logging.WARNING, logger="geo_outreach.render.briefing"):
        written = briefing.render_briefing(out)
    # the whole briefing is still printed (by Chromium) when there is one; no map PNG
    pdf = {"briefing_pdf"} if chromium_executable() else set()
    assert set(written) == {"briefing_html"} | pdf
    assert "briefing.png and the map pages not drawn" in caplog.text


def test_coverage_svg() -> None:
    svg = briefing.coverage_svg(
        pd.DataFrame({"k": [1, 2, 3], "covered_share": [0.2, 0.35, 0.4]}), "#123456"
    )
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and "40.0%" in svg
    assert briefing.coverage_svg(pd.DataFrame(), "#000") == ""


def test_district_figures_are_read_from_the_stats_stage(tmp_path: Path) -> None:
    """The headline shows the ``all`` rows of monthly_trends.csv as written (change and
    p-values), and the district row is not added to the precinct rows."""
    out = make_output_folder(tmp_path / "run", n_alerts=300)
    tr = pd.read_csv(out / "monthly_trends.csv", encoding="utf-8-sig", dtype={"precinct_id": str})
    last = (tr["precinct_id"] == "all") & (tr["month"] == tr["month"].max())
    tr.loc[last, ["mom_pct", "yoy_pct", "mom_p", "yoy_p"]] = [12.5, -3.0, 0.01, 0.7]
    tr.to_csv(out / "monthly_trends.csv", index=False, encoding="utf-8-sig")
    f = load_output_folder(out)
    hf = briefing.headline_figures(f)
    assert hf.latest == tr.loc[last, "alerts"].iloc[0]
    assert hf.latest == tr[(tr["precinct_id"] != "all") & (tr["month"] == hf.month)]["alerts"].sum()
    assert (hf.mom_pct, hf.mom_p, hf.yoy_p) == (12.5, 0.01, 0.7)
    page = briefing.briefing_html(f)
    assert "+12.5%" in page and 'class="sig">p=0.010' in page


def test_briefing_does_not_lead_with_a_partial_month(tmp_path: Path) -> None:
    """When the latest month is partial, the headline is the last complete month's and the
    page says in plain words that the latest month is partial (issue 10)."""
    out = make_output_folder(tmp_path / "run", n_alerts=300)
    tr = pd.read_csv(out / "monthly_trends.csv", encoding="utf-8-sig", dtype={"precinct_id": str})
    latest = tr["month"].max()
    tr.loc[tr["month"] == latest, ["days_covered", "partial"]] = [12, True]
    tr.to_csv(out / "monthly_trends.csv", index=False, encoding="utf-8-sig")
    f = load_output_folder(out)
    hf = briefing.headline_figures(f)
    assert (hf.partial_month, hf.partial_days) == (latest, 12)
    complete = tr[(tr["precinct_id"] == "all") & (tr["month"] < latest)].iloc[-1]
    assert hf.month == complete["month"] < latest
    assert hf.latest == complete["alerts"]
    assert hf.mom_p == complete["mom_p"] and hf.yoy_p == complete["yoy_p"]
    page = briefing.briefing_html(f)
    headline = page[page.index('id="headline"') :]
    assert f"({complete['month']})" in headline and f"({latest})" not in headline
    assert t("alerts_complete_month") in headline and t("alerts_latest_month") not in headline
    assert f"{latest} 只有 12 天数据，环比、同比以 {complete['month']} 为准" in page
    en = briefing.briefing_html(f, lang="en")
    assert f"{latest} has only 12 days of data; MoM and YoY are for {complete['month']}" in en
    # a complete latest month has no note
    assert 'id="partial-month"' not in briefing.briefing_html(
        load_output_folder(make_output_folder(tmp_path / "full", n_alerts=120))
    )


def test_columns_are_read_by_the_schema_not_guessed(tmp_path: Path) -> None:
    """A precinct layer whose fields are not those the stats stage writes is an error that
    names the file and the fix, not a guess."""
    import geopandas as gpd

    out = make_output_folder(tmp_path / "run", n_alerts=120)
    pr = gpd.read_file(out / "precincts.geojson").rename(
        columns={"latest_month": "last_month", "latest_alerts": "last_month_alerts"}
    )
    pr.to_file(out / "precincts.geojson", driver="GeoJSON")
    with pytest.raises(
        InputDataError, match=r"precincts.geojson: missing columns.*re-run `geo-outreach plan`"
    ):
        load_output_folder(out)
    make_output_folder(tmp_path / "fresh", n_alerts=120)
    (out / "precincts.geojson").write_bytes((tmp_path / "fresh" / "precincts.geojson").read_bytes())
    assert "latest_month" in load_output_folder(out).precincts.columns
    cc = pd.read_csv(out / "coverage_curve.csv", encoding="utf-8-sig")
    cc.assign(status="optimal").to_csv(
        out / "coverage_curve.csv", index=False, encoding="utf-8-sig"
    )
    with pytest.raises(
        InputDataError, match=r"coverage_curve.csv: unexpected columns \['status'\]"
    ):
        load_output_folder(out)


# --------------------------------------------------------------------------- backtest section

EVIL = "<img src=x onerror=alert(1)>"


def _evaluation_json(out: Path, *, label: str = "广场舞宣传") -> dict:
    """A small evaluation.json (schema geo_outreach.evaluation/1) and an evaluation.png."""
    import json

    from PIL import Image

    def m(k: int, hr: float, lo: float, hi: float, area: float, pei: float, so: float) -> dict:
        return {
            "k": k,
            "hit_rate": hr,
            "hit_rate_lo": lo,
            "hit_rate_hi": hi,
            "area_share": area,
            "pai": hr / area,
            "pei": pei,
            "share_of_oracle": so,
            "random_sd": None,
            "test_alerts": 120,
        }

    def entry(lab: str) -> dict:
        return {
            "label": lab,
            "distance": "walk",
            "radius_m": 800.0,
            "plan": m(8, 0.284, 0.231, 0.337, 0.004, 0.92, 0.984),
            "random": m(8, 0.036, 0.01, 0.12, 0.0034, 0.14, 0.124),
            "naive_hotspot": m(8, 0.17, 0.12, 0.22, 0.0032, 0.7, 0.592),
            "topk_no_overlap": m(8, 0.267, 0.21, 0.32, 0.0036, 1.0, 0.927),
            "oracle": m(8, 0.288, 0.23, 0.34, 0.0039, 1.0, 1.0),
            "best_baseline": "topk_no_overlap",
            "plan_beats_baselines": True,
            "headline": {
                "en": f"{lab}: the plan reaches 98% of what perfect hindsight would",
                "zh": f"{lab}：方案达到事后最优的 98%",
            },
        }

    summary = {
        "schema": "geo_outreach.evaluation/1",
        "title": "测试",
        "synthetic": True,
        "period": {"start": "2024-01-01", "end": "2025-06-30"},
        "summary_split": "2025-04-01",
        "rolling": 0,
        "splits": [{"split": "2025-04-01", "test_start": "2025-04-01", "test_end": "2025-06-30"}],
        "methods": ["plan", "random", "naive_hotspot", "topk_no_overlap", "oracle"],
        "method_labels": {"en": {}, "zh": {}},
        "notes": [f"note {EVIL}"],
        "definitions": {},
        "channels": {"square_dance": entry(label), "all": entry("全部渠道")},
    }
    (out / "evaluation.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    Image.new("RGB", (40, 20), "white").save(out / "evaluation.png")
    return summary


def _section(page: str) -> str:
    m = re.search(r'<section class="backtest" id="backtest">.*?</section>', page, re.DOTALL)
    assert m, "no backtest section"
    return m.group(0)


def test_briefing_backtest_section_from_evaluation_json(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=200)
    assert load_output_folder(out).evaluation_summary is None
    page = briefing.briefing_html(load_output_folder(out))
    assert (
        'id="backtest"' not in page and t("backtest", "zh") not in page
    )  # nothing without the file

    _evaluation_json(out)
    f = load_output_folder(out)
    assert f.evaluation_summary["summary_split"] == "2025-04-01"
    sec = _section(briefing.briefing_html(f))
    assert "回测" in sec and "2025-04-01" in sec and "2025-06-30" in sec
    assert "广场舞宣传：方案达到事后最优的 98%" in sec  # the headline sentence (zh)
    assert "全部渠道：方案达到事后最优的 98%" in sec
    assert sec.count('class="bt-channel"') == 2 and sec.count('data-method="plan"') == 2
    plan_row = re.search(r'<tr class="plan".*?</tr>', sec).group(0)
    for number in (
        "28.4%",
        "(23.1%–33.7%)",
        "71.0",
        "0.92",
        "98.4%",
    ):  # hit rate, CI, PAI, PEI*, of oracle
        assert number in plan_row
    for key in (
        "method_random",
        "method_naive_hotspot",
        "method_topk_no_overlap",
        "method_oracle",
        "backtest_hit_rate",
        "backtest_pei",
        "backtest_share_of_oracle",
    ):
        assert t(key, "zh") in sec
    assert re.search(r'<img id="backtest-chart" alt="[^"]*" src="data:image/png;base64,iVBOR', sec)
    assert "evaluation.png" not in sec  # embedded, not linked


def test_briefing_backtest_section_escapes_json_values(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=120, complete=False)
    _evaluation_json(out, label=EVIL)
    import json

    data = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    data["channels"][EVIL] = data["channels"].pop("square_dance")  # a hostile channel name too
    data["summary_split"] = EVIL
    (out / "evaluation.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for lang in ("zh", "en"):
        sec = _section(briefing.briefing_html(load_output_folder(out), lang=lang))
        assert "<img src=x" not in sec
        assert "&lt;img src=x onerror=alert(1)&gt;" in sec


def test_briefing_backtest_section_in_english(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=120, lang="en")
    _evaluation_json(out)
    sec = _section(briefing.briefing_html(load_output_folder(out), lang="en"))
    assert "Backtest · split 2025-04-01 · test period 2025-04-01 – 2025-06-30" in sec
    assert "Square-dance events" in sec and "All channels" in sec  # catalogue labels in English
    assert "the plan reaches 98% of what perfect hindsight would" in sec
    for label in (
        "Plan",
        "Random",
        "Naive hot spot",
        "Top-k (overlap ignored)",
        "Oracle (hindsight)",
        "Hit rate (95% CI)",
        "Share of oracle",
        "walking",
    ):
        assert label in sec
    assert "回测" not in sec and "方法" not in sec and "事后最优" not in sec


def test_broken_evaluation_json_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=120, complete=False)
    (out / "evaluation.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="geo_outreach.render.folder"):
        f = load_output_folder(out)
    assert f.evaluation_summary is None and "evaluation.json" in caplog.text
    assert 'id="backtest"' not in briefing.briefing_html(f)


# --------------------------------------------------------------------------- PDF


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


@needs_pdf_tools
def test_pdf_is_the_whole_briefing_with_the_site_tables(folder: Path) -> None:
    written = briefing.render_briefing(folder)
    pdf = written["briefing_pdf"]
    pages = [p for p in _pdf_pages(pdf) if p.strip()]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info and "841.92 x 594.96" in info  # A4 landscape
    assert len(pages) >= 3  # summary, sites, appendix
    text = "\f".join(pages)
    assert t("summary_title", "zh") in pages[0]  # the plain-words summary comes first
    assert t("sites_title", "zh") in text and t("appendix_title", "zh") in text
    pl = pd.read_csv(folder / "placements.csv", encoding="utf-8-sig")
    for name in pl["name"].astype(str):
        if "<" not in name:  # the XSS test name is shown escaped, as text
            assert name in text
    for head in ("站点", "辖区", "新增覆盖警情", "累计覆盖率", "建议时段"):
        assert head in text
    # page breaks do not cut a channel's table: each table's rows are on one page
    for ch_name in pl["name"].astype(str).groupby(pl["channel"]):
        names = [n for n in ch_name[1] if "<" not in n]
        on = {i for i, p in enumerate(pages) for n in names if n in p}
        assert len(on) <= 1 or not names
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(pdf), str(SCREENSHOT_DIR / "briefing_pdf_page")],
            check=True,
        )


def test_pdf_falls_back_to_the_map_page_without_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=80)
    monkeypatch.setenv("GEO_OUTREACH_CHROMIUM", "")
    with caplog.at_level(logging.WARNING, logger="geo_outreach.render.briefing"):
        written = briefing.render_briefing(out)
    assert "no Chromium found" in caplog.text and "only the map page" in caplog.text
    data = written["briefing_pdf"].read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 1


def test_close_up_of_the_densest_sites_is_labelled_synthetic(folder: Path) -> None:
    import matplotlib.pyplot as plt

    f = load_output_folder(folder)
    crs = static_map.static_map_crs(f)
    box = static_map.densest_bounds(f, crs, radius_m=5000, min_sites=2, max_extent=10)
    assert box is not None
    pts = f.placements.to_crs(crs).geometry
    inside = (pts.x >= box[0]) & (pts.x <= box[2]) & (pts.y >= box[1]) & (pts.y <= box[3])
    assert inside.sum() >= 2  # the group is in the close-up
    assert static_map.densest_bounds(f, crs, min_sites=len(f.placements) + 1) is None
    assert static_map.densest_bounds(f, crs, radius_m=5000, min_sites=2, max_extent=0.01) is None
    for kw in ({"bounds": box}, {"box": box}):
        fig = static_map.static_map_figure(f, **kw)
        texts = [x.get_text() for x in fig.texts] + [x.get_text() for x in fig.axes[0].texts]
        plt.close(fig)
        assert t("synthetic_banner", "zh") in texts
        assert any(t("inset_title" if "bounds" in kw else "inset_box", "zh") in x for x in texts)
