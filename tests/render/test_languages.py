"""Languages side by side: ``--lang en`` writes ``*.en.*`` beside the Chinese files (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_outreach.cli import main
from geo_outreach.render import render_outputs
from geo_outreach.render.naming import lang_name, parse_langs
from tests.render.browser_helpers import make_output_folder


def test_lang_name_and_parse_langs() -> None:
    assert lang_name("map.html", "zh") == "map.html"
    assert lang_name("briefing.pdf", "en") == "briefing.en.pdf"
    assert parse_langs("zh,en") == ("zh", "en")
    assert parse_langs(" en , zh,en") == ("en", "zh")
    assert parse_langs(None) == ("zh",)
    with pytest.raises(ValueError, match="unknown language 'fr'; use one of zh, en"):
        parse_langs("zh,fr")


def _stub_pdf(html: Path, pdf: Path) -> Path:
    pdf.write_bytes(b"%PDF-1.4 stub for the naming test")
    return pdf


def test_languages_side_by_side_never_over_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo_outreach.render import briefing

    monkeypatch.setattr(briefing, "print_pdf", _stub_pdf)  # PDF printing: test_briefing.py
    out = make_output_folder(tmp_path / "run", n_alerts=100, n_venues=20)
    written = render_outputs(out, lang="zh,en")
    names = {k: p.name for k, p in written.items()}
    assert names == {
        "map": "map.html",
        "briefing_png": "briefing.png",
        "briefing_html": "briefing.html",
        "briefing_pdf": "briefing.pdf",
        "map_en": "map.en.html",
        "briefing_png_en": "briefing.en.png",
        "briefing_html_en": "briefing.en.html",
        "briefing_pdf_en": "briefing.en.pdf",
    }
    zh_page = (out / "briefing.html").read_text(encoding="utf-8")
    en_page = (out / "briefing.en.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in zh_page and 'href="map.html"' in zh_page
    assert 'lang="en"' in en_page and 'href="map.en.html"' in en_page
    assert 'lang="en"' in (out / "map.en.html").read_text(encoding="utf-8")
    zh_map = (out / "map.html").read_bytes()
    # re-rendering English from the command line leaves the Chinese files alone
    assert main(["render", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "map.en.html" in printed and "briefing.en.html" in printed
    assert (out / "map.html").read_bytes() == zh_map
    assert 'lang="zh-CN"' in (out / "briefing.html").read_text(encoding="utf-8")
    assert main(["render", str(out), "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert "unknown language 'fr'" in err and "Traceback" not in err


def test_plan_lang_zh_en_renders_both(
    scenario_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import importlib

    from geo_outreach.render import briefing

    plan_mod = importlib.import_module("geo_outreach.plan")  # geo_outreach.plan is also a function

    monkeypatch.setattr(briefing, "print_pdf", _stub_pdf)
    seen: list[object] = []
    real = plan_mod.render_outputs

    def spy(out_dir, *, basemap=None, lang=None):
        seen.append(lang)
        return real(out_dir, basemap=basemap, lang=lang)

    monkeypatch.setattr(plan_mod, "render_outputs", spy)
    sc = str(scenario_factory())
    out = tmp_path / "run"
    assert main(["plan", sc, "--out", str(out), "--quiet", "--lang", "zh,en"]) == 0
    assert seen == [("zh", "en")]
    printed = capsys.readouterr().out
    for name in ("map.html", "map.en.html", "briefing.html", "briefing.en.html"):
        assert (out / name).is_file() and f"  {name}: " in printed
    assert (out / "outputs.gpkg").is_file() and (out / "placements.xlsx").is_file()
    assert "  placements.xlsx: " in printed and "  outputs.gpkg: " in printed
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"lang": "zh"' in manifest
