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


def test_english_is_written_beside_chinese_not_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_OUTREACH_CHROMIUM", "")  # the matplotlib PDF: faster, same naming
    out = make_output_folder(tmp_path / "run", n_alerts=120, n_venues=20)
    zh = render_outputs(out, lang="zh")
    before = {k: p.read_bytes() for k, p in zh.items() if p.suffix == ".html"}
    en = render_outputs(out, lang="en")
    assert {p.name for p in en.values()} == {
        "map.en.html",
        "briefing.en.html",
        "briefing.en.png",
        "briefing.en.pdf",
    }
    # the Chinese pages are still there, still Chinese
    for k, p in zh.items():
        assert p.is_file()
    for k, data in before.items():
        page = zh[k].read_text(encoding="utf-8")
        assert 'lang="zh-CN"' in page and "Headline figures" not in page
    assert 'lang="en"' in en["briefing_html"].read_text(encoding="utf-8")
    # the English briefing links to the English map
    assert 'href="map.en.html"' in en["briefing_html"].read_text(encoding="utf-8")
    assert 'href="map.html"' in zh["briefing_html"].read_text(encoding="utf-8")


def test_render_both_languages_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GEO_OUTREACH_CHROMIUM", "")
    out = make_output_folder(tmp_path / "run", n_alerts=100, n_venues=20)
    assert main(["render", str(out), "--lang", "zh,en"]) == 0
    printed = capsys.readouterr().out
    for name in ("map.html", "map.en.html", "briefing.html", "briefing.en.html"):
        assert (out / name).is_file() and name in printed
    assert main(["render", str(out), "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert "unknown language 'fr'" in err and "Traceback" not in err
