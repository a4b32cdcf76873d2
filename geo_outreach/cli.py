"""The ``geo-outreach`` command: thin commands over the library.

Exit codes: 0 ok, 1 ran but a check failed, 2 bad input or usage. Expected errors print
one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
from pathlib import Path

from geo_outreach import __version__
from geo_outreach._errors import GeoOutreachError

log = logging.getLogger("geo_outreach")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_SCENARIO = REPO_ROOT / "data" / "sample" / "xinhui_demo.toml"


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda msg: print(f"[geo-outreach] {msg}", file=sys.stderr, flush=True)


def _demo_scenario_path() -> Path:
    if not DEMO_SCENARIO.is_file():
        raise GeoOutreachError(
            f"the bundled demo scenario is missing ({DEMO_SCENARIO}); run from a clone of the "
            "repository installed with `pip install -e .` (make demo does this)"
        )
    return DEMO_SCENARIO


def _run_plan(scenario_path: Path, args: argparse.Namespace) -> int:
    from geo_outreach.plan import build_plan
    from geo_outreach.scenario import load_scenario, with_overrides

    sc = load_scenario(scenario_path)
    sc = with_overrides(sc, dir=Path(args.out) if args.out else None,
                        basemap=getattr(args, "basemap", None), lang=getattr(args, "lang", None))
    result = build_plan(sc, progress=_progress(args.quiet),
                        command="geo-outreach " + " ".join(sys.argv[1:]) if sys.argv[1:] else None)
    m = result.manifest
    print(f"Plan written to {result.out_dir.resolve()}")
    rows = m["rows"]
    print(f"  alerts used: {rows['alerts']} ({rows['alerts_outside']} outside every precinct), "
          f"venues: {rows['venues']}, rows rejected: {rows['rejected']} (see rejects.csv)")
    if m.get("synthetic"):
        print("  NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data; the maps say so.")
    for name in ("map.html", "briefing.html", "briefing.pdf"):
        if name in result.files:
            print(f"  {name}: {result.files[name].resolve()}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return _run_plan(_demo_scenario_path(), args)


def cmd_plan(args: argparse.Namespace) -> int:
    return _run_plan(Path(args.scenario), args)


def cmd_validate(args: argparse.Namespace) -> int:
    from geo_outreach.io import load_study
    from geo_outreach.plan import rejects_summary
    from geo_outreach.scenario import load_scenario

    sc = load_scenario(args.scenario)
    data = load_study(sc)
    print(f"{'layer':<10} {'rows loaded':>12} {'rejected':>9}  file")
    for rec in data.inputs:
        print(f"{rec['layer']:<10} {rec['rows_loaded']:>12} {rec['rows_rejected']:>9}  {rec['path']}")
    for r in rejects_summary(data.rejects):
        print(f"  rejected {r['layer']}: {r['rows']} x {r['reason']}")
    outside = int((data.alerts["precinct_id"] == "outside").sum())
    print(f"alerts outside every precinct (kept, counted as 'outside'): {outside}")
    print(f"working CRS: {data.crs.to_string()}; every layer is usable")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from geo_outreach import maps

    files = maps.render_outputs(Path(args.outdir), basemap=args.basemap, lang=args.lang)
    for name, path in files.items():
        print(f"{name}: {Path(path).resolve()}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Copy the demo scenario and its data into DIR, with paths rewritten to DIR/data."""
    target = Path(args.dir)
    src = _demo_scenario_path()
    text = src.read_text(encoding="utf-8")
    data_dir = target / "data"
    data_dir.mkdir(parents=True, exist_ok=True)

    def relocate(match: re.Match) -> str:
        key, value = match.group(1), match.group(2)
        source = (src.parent / value).resolve()
        if key == "dir":
            return f'{key} = "outputs"'
        if not source.is_file():
            raise GeoOutreachError(f"{src}: {key} = {value!r} does not exist; the demo data is incomplete")
        shutil.copy2(source, data_dir / source.name)
        for extra in source.parent.glob("README*"):
            shutil.copy2(extra, data_dir / f"{source.parent.name}_{extra.name}")
        return f'{key} = "data/{source.name}"'

    new_text = re.sub(r'^(path|dir)\s*=\s*"([^"]+)"', relocate, text, flags=re.MULTILINE)
    scenario = target / "scenario.toml"
    if scenario.exists() and not args.force:
        raise GeoOutreachError(f"{scenario} exists already; use --force to overwrite it")
    scenario.write_text(new_text, encoding="utf-8")
    print(f"Scenario template: {scenario.resolve()}")
    print(f"Sample data copied to {data_dir.resolve()} (SYNTHETIC alerts and venues, ILLUSTRATIVE precincts)")
    print(f"Next: geo-outreach validate {scenario}  then  geo-outreach plan {scenario}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="geo-outreach",
        description="Where to put anti-fraud outreach: alert analytics, placements and offline maps.",
    )
    p.add_argument("--version", action="version", version=f"geo-outreach {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
        sp.add_argument("--verbose", "-v", action="store_true", help="log details")

    def plan_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--out", help="output folder (overrides [output] dir)")
        sp.add_argument("--basemap", help="none (offline, default), osm, tianditu, amap or a tile URL template")
        sp.add_argument("--lang", choices=["zh", "en"], help="map and briefing language")

    sp = sub.add_parser("demo", help="run the bundled Xinhui sample scenario")
    plan_opts(sp)
    common(sp)
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("plan", help="run a scenario and write maps and tables")
    sp.add_argument("scenario", help="scenario TOML file")
    plan_opts(sp)
    common(sp)
    sp.set_defaults(func=cmd_plan)

    sp = sub.add_parser("validate", help="load every layer and report rows loaded/rejected")
    sp.add_argument("scenario")
    common(sp)
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("init", help="write a scenario template plus the sample data into DIR")
    sp.add_argument("dir")
    sp.add_argument("--force", action="store_true", help="overwrite an existing scenario.toml")
    common(sp)
    sp.set_defaults(func=cmd_init)

    sp = sub.add_parser("render", help="re-render maps and briefing from a finished plan's outputs")
    sp.add_argument("outdir")
    sp.add_argument("--basemap")
    sp.add_argument("--lang", choices=["zh", "en"])
    common(sp)
    sp.set_defaults(func=cmd_render)

    for module_name in ("cover_cmd", "osm", "evaluate"):
        try:
            module = __import__(f"geo_outreach.{module_name}", fromlist=["add_parser"])
        except ModuleNotFoundError as exc:
            if exc.name != f"geo_outreach.{module_name}":
                raise
            continue
        if hasattr(module, "add_parser"):
            module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``geo-outreach`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    level = logging.DEBUG if getattr(args, "verbose", False) else (
        logging.ERROR if getattr(args, "quiet", False) else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except GeoOutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
