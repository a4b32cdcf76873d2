"""``demo``, ``plan``, ``validate``, ``render`` and ``init``: the planning commands.

Issue 14: the library is imported inside each command, so ``geo-outreach --help`` and a usage
error answer at once, without loading pandas, scipy and the rest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from geo_outreach.cli._common import (
    DEMO_SCENARIO,
    _common,
    _demo_scenario_path,
    _lang_arg,
    _plan_options,
    _progress,
)
from geo_outreach.render import render_outputs  # light: the render package imports lazily
from geo_outreach.render.naming import lang_name
from geo_outreach.scenario import load_scenario, with_overrides

if TYPE_CHECKING:
    import pandas as pd


def _run_plan(scenario_path: Path, args: argparse.Namespace) -> int:
    sc = load_scenario(scenario_path)
    langs = args.lang  # issue 11 briefing: --lang zh,en renders both, side by side
    sc = with_overrides(
        sc,
        dir=Path(args.out) if args.out else None,
        basemap=args.basemap,
        lang=langs[0] if langs else None,
        langs=langs,
    )
    from geo_outreach.plan import build_plan

    command = "geo-outreach " + " ".join(sys.argv[1:]) if sys.argv[1:] else None
    result = build_plan(sc, progress=_progress(args), command=command)
    m = result.manifest or {}
    print(f"Plan written to {Path(sc.output.dir).resolve()}")
    rows = m["rows"]
    print(
        f"  alerts used: {rows['alerts']} ({rows['alerts_outside']} outside every precinct), "
        f"venues: {rows['venues']}, rows rejected: {rows['rejected']} (see rejects.csv)"
    )
    if m.get("synthetic"):
        print("  NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data; the maps say so.")
    for warning in m.get("warnings") or []:
        print(f"  warning: {warning}")
    for name in ("map.html", "briefing.html", "briefing.pdf"):
        for lang in langs or (sc.output.lang,):
            shown = lang_name(name, lang)
            if shown in result.files:
                print(f"  {shown}: {result.files[shown].resolve()}")
    for name in ("placements.xlsx", "visits.xlsx", "outputs.gpkg"):  # Excel and QGIS (#11, #12)
        if name in result.files:
            print(f"  {name}: {result.files[name].resolve()}")
    # issue 13: [campaign_log] -> effect files (issue 14: inside the plan, before its one render)
    if result.effect is not None and sc.campaign_log is not None:
        name = Path(sc.campaign_log.path).name
        print(f"  effect of the campaign log {name}: {result.effect.wording['en']}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``geo-outreach demo``: the bundled Xinhui sample scenario."""
    path = _demo_scenario_path()
    if args.out is None and path != DEMO_SCENARIO:
        args.out = "outputs/demo"  # installed: never write next to the package
    return _run_plan(path, args)  # issue 13: the demo scenario has a [campaign_log]


def cmd_plan(args: argparse.Namespace) -> int:
    """``geo-outreach plan SCENARIO``."""
    return _run_plan(Path(args.scenario), args)


# --------------------------------------------------------------------------- validate, render, init


def cmd_validate(args: argparse.Namespace) -> int:
    """``geo-outreach validate SCENARIO``: every check ``plan`` runs; exit 2 on a problem."""
    from geo_outreach._validate import OUTSIDE
    from geo_outreach.manifest import rejects_summary
    from geo_outreach.validate import validate_scenario

    sc = load_scenario(args.scenario)
    v = validate_scenario(sc, progress=_progress(args), run_stages=not args.quick)
    data = v.data
    print(f"{'layer':<10} {'rows loaded':>12} {'rejected':>9}  file")
    for rec in data.inputs:
        print(
            f"{rec['layer']:<10} {rec['rows_loaded']:>12} {rec['rows_rejected']:>9}  {rec['path']}"
        )
    for r in rejects_summary(data.rejects):
        print(f"  rejected {r['layer']}: {r['rows']} x {r['reason']}")
    if args.rejects:
        _print_rejects(data.rejects, args.rejects)
    outside = int((data.alerts["precinct_id"] == OUTSIDE).sum())
    print(f"alerts outside every precinct (kept, counted as 'outside'): {outside}")
    for name, n in v.candidates.items():
        print(f"channel {name}: {n} candidate venues")
    for w in v.warnings:
        print(f"warning: {w}")
    if not v.ok:
        for problem in v.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    checked = "layers and candidates" if args.quick else "layers, analytics and every channel"
    print(f"working CRS: {data.crs.to_string()}; {checked} checked: the plan can run")
    return 0


def _print_rejects(rejects: pd.DataFrame, n: int) -> None:
    """Print the first ``n`` rejected rows: layer, file:row, column, reason, value."""
    import pandas as pd

    print(f"first {min(n, len(rejects))} of {len(rejects)} rejected rows:")
    for rec in rejects.head(n).to_dict("records"):
        value = "" if pd.isna(rec.get("value")) else str(rec.get("value"))
        print(
            f"  {rec.get('layer')} {Path(str(rec.get('file'))).name}:{rec.get('row')} "
            f"[{rec.get('column')}] {rec.get('reason')}: {value!r}"
        )


def cmd_render(args: argparse.Namespace) -> int:
    """``geo-outreach render OUTDIR``: re-render maps and briefing from a plan's outputs."""
    files = render_outputs(Path(args.outdir), basemap=args.basemap, lang=args.lang)
    for name, path in files.items():
        print(f"{name}: {Path(path).resolve()}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """``geo-outreach init DIR``: the demo scenario and its data, paths rewritten to DIR/data."""
    from geo_outreach.project_init import init_blank, init_from_demo

    target = Path(args.dir)
    if args.blank:
        scenario = init_blank(target, force=args.force)
        print(f"Scenario template: {scenario.resolve()} (key reference: {target / 'SCENARIO.md'})")
        print(f"Put your precincts, alerts and venues in {(target / 'data').resolve()}")
        print("and change the values marked CHANGE; then:")
        print(f"  geo-outreach validate {scenario}  then  geo-outreach plan {scenario}")
        return 0
    scenario = init_from_demo(target, _demo_scenario_path(), force=args.force)
    print(f"Scenario template: {scenario.resolve()}")
    print(
        f"Sample data copied to {(target / 'data').resolve()} "
        "(SYNTHETIC alerts and venues, ILLUSTRATIVE precincts)"
    )
    print(f"Next: geo-outreach validate {scenario}  then  geo-outreach plan {scenario}")
    return 0


def _add_plan_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser("demo", help="run the bundled Xinhui sample scenario")
    _plan_options(sp)
    _common(sp, cmd_demo)

    sp = sub.add_parser("plan", help="run a scenario and write maps and tables")
    sp.add_argument("scenario", help="scenario TOML file")
    _plan_options(sp)
    _common(sp, cmd_plan)

    sp = sub.add_parser(
        "validate", help="run every check plan runs (layers, candidates, channels); write nothing"
    )
    sp.add_argument("scenario")
    sp.add_argument(
        "--rejects", type=int, default=0, metavar="N", help="print the first N rejected rows"
    )
    sp.add_argument(
        "--quick", action="store_true", help="check layers and candidates only (no solver)"
    )
    _common(sp, cmd_validate)

    sp = sub.add_parser(
        "init", help="write the demo scenario and its data (or --blank: a template) into DIR"
    )
    sp.add_argument("dir")
    sp.add_argument("--force", action="store_true", help="overwrite an existing scenario.toml")
    sp.add_argument(
        "--blank",
        action="store_true",
        help="a commented template for your own city instead of the Xinhui demo",
    )
    _common(sp, cmd_init)

    sp = sub.add_parser("render", help="re-render maps and briefing from a finished plan's outputs")
    sp.add_argument("outdir")
    sp.add_argument("--basemap")
    sp.add_argument("--lang", type=_lang_arg, help="zh, en or both (zh,en)")
    _common(sp, cmd_render)
