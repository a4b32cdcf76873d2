"""docs/SCENARIO.md is generated from the scenario dataclasses and stays in step (issue 10)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from geo_outreach.scenario_checks import RANGES
from geo_outreach.scenario_doc import _SKIP, SECTIONS, missing_descriptions, scenario_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "SCENARIO.md"


def test_scenario_md_matches_the_dataclasses():
    assert DOC.read_text(encoding="utf-8") == scenario_markdown(), (
        "docs/SCENARIO.md is out of date: run `python scripts/make_scenario_doc.py`"
    )


def test_every_key_is_described():
    assert missing_descriptions() == [], "add these keys to KEYS in geo_outreach/scenario_doc.py"


def test_every_key_appears_with_type_default_and_ranges():
    text = scenario_markdown()
    for header, cls, _ in SECTIONS:
        section = text[text.index(f"## `{header}`") :]
        section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else None]
        for f in dataclasses.fields(cls):
            if f"{cls.__name__}.{f.name}" not in _SKIP:
                assert f"| `{f.name}` |" in section, (header, f.name)
    assert "| `radius_m` | number | `500.0` | > 0 and <= 50000 (metres, at most 50 km) |" in text
    assert "| `min_share_per_precinct` | number | `0.0` | >= 0 and <= 1 (a share) |" in text
    assert "| `path` | path | **required** |" in text
    # every range the checks use is shown on a key of that name
    for key, rng in RANGES.items():
        assert f"| `{key}` |" in text and rng.text() in text, key


def test_readme_links_the_reference():
    assert "docs/SCENARIO.md" in (ROOT / "README.md").read_text(encoding="utf-8")
