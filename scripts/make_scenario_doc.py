"""Write docs/SCENARIO.md from the scenario dataclasses (issue 10)."""

from pathlib import Path

from geo_outreach.scenario_doc import missing_descriptions, scenario_markdown

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    missing = missing_descriptions()
    if missing:
        raise SystemExit(f"describe these keys in geo_outreach/scenario_doc.py KEYS: {missing}")
    target = ROOT / "docs" / "SCENARIO.md"
    target.write_text(scenario_markdown(), encoding="utf-8")
    print(f"wrote {target}")
