"""Start a project folder: ``geo-outreach init`` (demo copy) and ``init --blank`` (another city).

The CLI prints what was written; this module only writes it.
"""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

from geo_outreach._errors import GeoOutreachError
from geo_outreach.scenario_doc import scenario_markdown

INIT_HEADER = """\
# Demo scenario for the Xinhui (新会区) sample, copied here by `geo-outreach init`.
# ALL DATA HERE IS SYNTHETIC (alerts, venues, streets) or ILLUSTRATIVE (precinct boundaries,
# population): see data/sample_README.md and data/boundaries_README.md (source, licence, CRS).
# Every key, its type, default, range and an example: SCENARIO.md in this folder.
# Paths are relative to this file's folder. For your own city: geo-outreach init DIR --blank
"""


def _write_scenario(target: Path, text: str, force: bool) -> Path:
    """Write DIR/scenario.toml (refused when it exists, unless ``force``) and DIR/SCENARIO.md."""
    scenario = target / "scenario.toml"
    if scenario.exists() and not force:
        raise GeoOutreachError(f"{scenario} exists already; use --force to overwrite it")
    target.mkdir(parents=True, exist_ok=True)
    scenario.write_text(text, encoding="utf-8")
    (target / "SCENARIO.md").write_text(scenario_markdown(), encoding="utf-8")
    return scenario


def init_blank(target: Path, *, force: bool = False) -> Path:
    """Write the commented template for another city and an empty ``data`` folder.

    Parameters
    ----------
    target
        The project folder (created).
    force
        Overwrite an existing ``scenario.toml``.

    Returns
    -------
    pathlib.Path
        The written ``scenario.toml`` (beside it ``SCENARIO.md``, the key reference).
    """
    template = resources.files("geo_outreach") / "assets" / "blank_scenario.toml"
    scenario = _write_scenario(target, template.read_text(encoding="utf-8"), force)
    (target / "data").mkdir(exist_ok=True)
    return scenario


def _strip_header(text: str) -> str:
    """Drop the leading comment block of the demo scenario (it speaks of the repository)."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    return "".join(lines[i:])


#: Scenario keys whose value is a file that ``init`` copies into DIR/data (``dir``: the output).
INIT_FILE_KEYS = ("path", "dir", "firms", "schools", "police_grid", "community_grid", "residents")


def init_from_demo(target: Path, src: Path, *, force: bool = False) -> Path:
    """Copy the demo scenario ``src`` and every file it names into ``target`` (data in DIR/data).

    Parameters
    ----------
    target
        The project folder (created).
    src
        The demo scenario (the clone's or the installed package's copy).
    force
        Overwrite an existing ``scenario.toml``.

    Returns
    -------
    pathlib.Path
        The written ``scenario.toml``, its paths rewritten to ``data/...``.
    """
    if (target / "scenario.toml").exists() and not force:
        raise GeoOutreachError(f"{target / 'scenario.toml'} exists already; use --force")
    text = src.read_text(encoding="utf-8")
    data_dir = target / "data"
    data_dir.mkdir(parents=True, exist_ok=True)

    def relocate(match: re.Match[str]) -> str:
        key, value = match.group(1), match.group(2)
        source = (src.parent / value).resolve()
        if key == "dir":
            return f'{key} = "outputs"'
        if not source.is_file():
            raise GeoOutreachError(
                f"{src}: {key} = {value!r} does not exist; the demo data is incomplete"
            )
        shutil.copy2(source, data_dir / source.name)
        for extra in source.parent.glob("README*"):
            shutil.copy2(extra, data_dir / f"{source.parent.name}_{extra.name}")
        return f'{key} = "data/{source.name}"'

    keys = "|".join(INIT_FILE_KEYS)
    new_text = re.sub(rf'^({keys})\s*=\s*"([^"]+)"', relocate, text, flags=re.MULTILINE)
    return _write_scenario(target, INIT_HEADER + "\n" + _strip_header(new_text), force)
