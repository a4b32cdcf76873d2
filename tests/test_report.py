"""Briefing outputs: headline figures, the self-contained briefing page, the static map."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import report
from geo_outreach.i18n import t
from geo_outreach.maps import load_output_folder
from tests.browser_helpers import make_output_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_output_folder(tmp_path_factory.mktemp("brief") / "run", n_alerts=500)


def test_headline_figures_match_monthly_totals(folder: Path) -> None:
    f = load_output_folder(folder)
    hf = report.headline_figures(f)
    tr = pd.read_csv(folder / "monthly_trends.csv", encoding="utf-8-sig")
    by_month = tr.groupby("month")["alerts"].sum()
    assert hf["total"] == 500
    assert hf["month"] == by_month.index.max() == "2025-06"
    assert hf["latest"] == by_month.iloc[-1]
    prev = by_month.loc["2025-05"]
    assert hf["mom_pct"] == pytest.approx((by_month.iloc[-1] - prev) / prev * 100)
    assert 0 <= hf["mom_p"] <= 1 and 0 <= hf["yoy_p"] <= 1


def test_poisson_p_value() -> None:
    assert report._poisson_p(10, 10) == pytest.approx(1.0)
    assert report._poisson_p(40, 10) < 0.001
    assert report._poisson_p(0, 0) is None


def test_briefing_html_is_self_contained_and_complete(folder: Path) -> None:
    written = report.render_briefing(folder)
    page = written["briefing_html"].read_text(encoding="utf-8")
    assert not re.search(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"?https?:", page)
    assert "<script" not in page
    assert "@page { size: A4 landscape" in page
    assert 'src="data:image/png;base64,' in page  # the static map
    assert page.count("<svg") == 2  # one coverage curve per channel with a curve
    rows = re.search(r'<table id="precinct-table">.*?</table>', page, re.DOTALL).group(0)
    assert rows.count("<tr>") == 1 + 6
    assert page.count('class="channel"') == 3  # square_dance, cafe_sleeves, patrol
    for key in ("headline", "alerts_latest_month", "mom", "yoy", "precinct_table", "placements_table"):
        assert t(key, "zh") in page
    assert 'id="synthetic-banner"' in page


def test_briefing_escapes_user_text(folder: Path) -> None:
    page = report.briefing_html(load_output_folder(folder))
    assert "<img src=x" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in page


def test_briefing_in_english(folder: Path) -> None:
    page = report.briefing_html(load_output_folder(folder), lang="en")
    assert "Headline figures" in page and "要点" not in page


def test_static_map_png_and_pdf(folder: Path) -> None:
    written = report.render_briefing(folder)
    png, pdf = written["briefing_png"], written["briefing_pdf"]
    from PIL import Image

    with Image.open(png) as im:
        assert im.size[0] > im.size[1] > 1000  # A4 landscape at 150 dpi
        import numpy as np

        assert np.asarray(im.convert("L"), dtype=float).std() > 10  # not blank
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert b"NotoSansCJK" in pdf.read_bytes() or b"Noto" in pdf.read_bytes()  # CJK font embedded


def test_missing_cjk_font_is_a_warning(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(report, "_cjk_font", lambda: None)
    with caplog.at_level(logging.WARNING, logger="geo_outreach.report"):
        fig = report.static_map_figure(load_output_folder(folder))
    import matplotlib.pyplot as plt

    plt.close(fig)
    assert "no CJK font" in caplog.text


def test_static_map_failure_keeps_the_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    out = make_output_folder(tmp_path / "run", n_alerts=80, complete=False)

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("no display")

    monkeypatch.setattr(report, "static_map_figure", boom)
    with caplog.at_level(logging.WARNING, logger="geo_outreach.report"):
        written = report.render_briefing(out)
    assert set(written) == {"briefing_html"}
    assert "briefing.png/briefing.pdf not written" in caplog.text


def test_coverage_svg() -> None:
    svg = report.coverage_svg(pd.DataFrame({"k": [1, 2, 3], "covered_share": [0.2, 0.35, 0.4]}), "#123456")
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and "40.0%" in svg
    assert report.coverage_svg(pd.DataFrame(), "#000") == ""


def test_district_row_and_latest_columns_from_the_stats_stage(tmp_path: Path) -> None:
    """The stats stage writes an ``all`` row per month in monthly_trends.csv and names the
    precinct fields latest_month/latest_alerts: both are understood."""
    out = make_output_folder(tmp_path / "run", n_alerts=300)
    tr = pd.read_csv(out / "monthly_trends.csv", encoding="utf-8-sig", dtype={"precinct_id": str})
    total = tr.groupby("month", as_index=False)["alerts"].sum().assign(precinct_id="all")
    total["mom_pct"], total["yoy_pct"], total["mom_p"], total["yoy_p"] = 12.5, -3.0, 0.01, 0.7
    pd.concat([total, tr]).to_csv(out / "monthly_trends.csv", index=False, encoding="utf-8-sig")
    f = load_output_folder(out)
    hf = report.headline_figures(f)
    assert hf["latest"] == total["alerts"].iloc[-1]  # not doubled by the district row
    assert (hf["mom_pct"], hf["mom_p"], hf["yoy_p"]) == (12.5, 0.01, 0.7)
    page = report.briefing_html(f)
    assert "+12.5%" in page and 'class="sig">p=0.010' in page

    import geopandas as gpd

    pr = gpd.read_file(out / "precincts.geojson").rename(
        columns={"last_month": "latest_month", "last_month_alerts": "latest_alerts"})
    pr.to_file(out / "precincts.geojson", driver="GeoJSON")
    f = load_output_folder(out)
    assert f.precincts["last_month"].iloc[0] == "2025-06"
    assert f.precincts["last_month_alerts"].notna().all()
    pr.drop(columns=["latest_month", "latest_alerts", "mom_pct", "yoy_pct", "mom_p", "yoy_p"]).to_file(
        out / "precincts.geojson", driver="GeoJSON")
    f = load_output_folder(out)  # filled from monthly_trends.csv
    assert f.precincts["last_month"].iloc[0] == "2025-06" and "mom_p" in f.precincts.columns
