"""Shared parts of the commands: the progress reporter, the demo scenario, common options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import get_args

from geo_outreach._errors import GeoOutreachError
from geo_outreach.render.naming import parse_langs
from geo_outreach.scenario import Lang

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SCENARIO = REPO_ROOT / "data" / "sample" / "xinhui_demo.toml"
LANGS = list(get_args(Lang))

Progress = Callable[[str], None]
Command = Callable[[argparse.Namespace], int]


def _progress(args: argparse.Namespace) -> Progress | None:
    """Return the one progress reporter: ``[geo-outreach] msg`` on stderr; None if ``--quiet``."""
    if getattr(args, "quiet", False):
        return None

    def report(msg: str) -> None:
        print(f"[geo-outreach] {msg}", file=sys.stderr, flush=True)

    return report


def _packaged_demo() -> Path:
    """Return the demo scenario shipped inside an installed wheel (``geo_outreach/_data``)."""
    return Path(str(resources.files("geo_outreach") / "_data" / "sample" / DEMO_SCENARIO.name))


def _demo_scenario_path() -> Path:
    """Return the demo scenario: the checkout's ``data/sample``, else the installed copy."""
    for path in (DEMO_SCENARIO, _packaged_demo()):
        if path.is_file():
            return path
    raise GeoOutreachError(
        f"the bundled demo scenario is missing (looked for {DEMO_SCENARIO} and "
        f"{_packaged_demo()}); reinstall geo_outreach (`pip install --force-reinstall`)"
    )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-05-01") from None


def _common(sp: argparse.ArgumentParser, command: Command) -> None:
    sp.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
    sp.add_argument("--verbose", "-v", action="store_true", help="log details")
    sp.set_defaults(func=command)


def _lang_arg(value: str) -> tuple[str, ...]:
    """``--lang zh``, ``--lang en`` or ``--lang zh,en`` (issue 11 briefing)."""
    try:
        return parse_langs(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _plan_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--out", help="output folder (overrides [output] dir)")
    sp.add_argument(
        "--basemap", help="none (offline, default), osm, tianditu, amap or a tile URL template"
    )
    sp.add_argument(
        "--lang", type=_lang_arg, help="map and briefing language: zh, en or both (zh,en)"
    )
