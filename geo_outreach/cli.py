"""The ``geo-outreach`` command: every command, thin over the library.

Commands: ``demo``, ``plan``, ``validate``, ``init``, ``render``, ``cover``, ``evaluate`` and
``osm fetch``. This is the only module that prints: progress goes to stderr as
``[geo-outreach] ...`` lines (off with ``--quiet``; ``--verbose`` adds logged details), results
to stdout.

Exit codes: 0 ok, 1 ran but a check failed, 2 bad input or usage. Expected errors
(:class:`~geo_outreach._errors.GeoOutreachError`) print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from importlib import resources
from datetime import date
from pathlib import Path
from typing import get_args

import pandas as pd

from geo_outreach import api, osm
from geo_outreach._errors import GeoOutreachError
from geo_outreach._version import __version__
from geo_outreach._validate import OUTSIDE
from geo_outreach.backtest import BacktestResult, format_table
from geo_outreach.effect.log import LogSource, load_campaign_log  # issue 13
from geo_outreach.effect.run import run_effect, write_effect  # issue 13
from geo_outreach.io import load_study
from geo_outreach.manifest import rejects_summary
from geo_outreach.plan import build_plan, validate_scenario
from geo_outreach.project_init import init_blank, init_from_demo
from geo_outreach.render import render_outputs
from geo_outreach.render.effect import write_effect_chart  # issue 13
from geo_outreach.render.naming import lang_name, parse_langs
from geo_outreach.scenario import Lang, Method, load_scenario, with_overrides

REPO_ROOT = Path(__file__).resolve().parent.parent
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


# --------------------------------------------------------------------------- plan, demo


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
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``geo-outreach demo``: the bundled Xinhui sample scenario."""
    path = _demo_scenario_path()
    if args.out is None and path != DEMO_SCENARIO:
        args.out = "outputs/demo"  # installed: never write next to the package
    rc = _run_plan(path, args)
    _demo_effect(args)  # issue 13
    return rc


def cmd_plan(args: argparse.Namespace) -> int:
    """``geo-outreach plan SCENARIO``."""
    return _run_plan(Path(args.scenario), args)


# --------------------------------------------------------------------------- validate, render, init


def cmd_validate(args: argparse.Namespace) -> int:
    """``geo-outreach validate SCENARIO``: every check ``plan`` runs; exit 2 on a problem."""
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


# --------------------------------------------------------------------------- cover


def cmd_cover(args: argparse.Namespace) -> int:
    """``geo-outreach cover``: maximal covering for any two point files."""
    res = api.cover(
        args.demand,
        args.candidates,
        radius_m=args.radius_m,
        budget=args.budget,
        crs=args.crs,
        x=args.x,
        y=args.y,
        weight=args.weight,
        id_column=args.id,
        method=args.method,
        time_limit_s=args.time_limit,
        out=args.out,
    )
    if args.json:
        print(json.dumps(res.as_dict(), ensure_ascii=False, sort_keys=True))
        return 0
    print(
        f"{len(res.chosen)} sites cover {res.covered_weight:g} of {res.total_weight:g} "
        f"({100 * res.covered_share:.1f}%); upper bound {res.upper_bound:.6g}, "
        f"gap {100 * res.gap:.2f}% ({res.status}, {res.method}, {res.seconds:.2f} s)"
    )
    print("chosen (rank order): " + ", ".join(res.chosen))
    if res.out:
        print(f"written: {res.out}")
    return 0


# --------------------------------------------------------------------------- evaluate


def _backtest_lines(result: BacktestResult) -> list[str]:
    """Return the terminal report of a backtest: the table, a headline per channel, notes."""
    summary = result.summary
    lines = [format_table(result)]
    lines += [entry["headline"]["en"] for entry in summary["channels"].values()]
    if summary["synthetic"]:
        lines.append("NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data.")
    return lines


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``geo-outreach evaluate SCENARIO --split DATE``: backtest, write, re-render the briefing."""
    sc = with_overrides(load_scenario(args.scenario), dir=Path(args.out) if args.out else None)
    result = api.evaluate(
        sc,
        split=args.split,
        until=args.until,
        rolling=args.rolling,
        seed=args.seed,
        n_boot=args.n_boot,
        n_random=args.n_random,
        progress=_progress(args),
    )
    written = api.write_backtest(result, sc.output.dir, lang=sc.output.lang)
    for line in _backtest_lines(result):
        print(line)
    for p in written.files:
        print(f"{p.name}: {p.resolve()}")
    if written.briefing is not None:
        print(f"briefing.html: {written.briefing.resolve()}")
    else:
        print(
            f"briefing: no plan in {Path(sc.output.dir)}; run `geo-outreach plan "
            f"{args.scenario}` there first to get the backtest section in briefing.html"
        )
    return 0


# --------------------------------------------------------------------------- issue 13: effect, log


DEMO_LOG = REPO_ROOT / "data" / "sample" / "campaign_log.csv"


def _demo_effect(args: argparse.Namespace) -> None:
    """Estimate the effect of the SYNTHETIC sample campaign log; refresh the demo briefing."""
    sc = load_scenario(_demo_scenario_path())
    out = Path(args.out) if args.out else Path(sc.output.dir)
    log = _demo_scenario_path().parent / DEMO_LOG.name  # the clone's or the installed copy
    res = run_effect(sc, LogSource(log, synthetic=True), progress=_progress(args))
    write_effect(res, out)
    lang = args.lang or sc.output.lang
    write_effect_chart(out, lang=lang)
    render_outputs(out, basemap=args.basemap, lang=lang)
    print(f"  effect of the sample campaign log: {res.wording['en']}")


def _log_source(args: argparse.Namespace, synthetic: bool) -> LogSource:
    return LogSource(Path(args.log), datum=args.datum, synthetic=synthetic)


def cmd_effect(args: argparse.Namespace) -> int:
    """``geo-outreach effect SCENARIO --log LOG --out DIR``: estimate the outreach effect."""
    sc = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path(sc.output.dir)
    res = run_effect(
        sc, _log_source(args, args.synthetic_log), unit=args.unit, cell_m=args.cell_m,
        progress=_progress(args),
    )  # fmt: skip
    files = write_effect(res, out)
    files.append(write_effect_chart(out, lang=args.lang or sc.output.lang))
    if (out / "manifest.json").is_file():  # a plan is there: refresh its briefing
        render_outputs(out, basemap=sc.output.basemap, lang=args.lang or sc.output.lang)
    print(res.wording["zh" if (args.lang or sc.output.lang) == "zh" else "en"])
    print(
        f"  campaign log: {res.log.facts['rows_loaded']} rows used, "
        f"{res.log.facts['rows_rejected']} rejected"
    )
    if res.synthetic:
        print("  NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data; the chart says so.")
    for p in files:
        print(f"  {p.name}: {p.resolve()}")
    return 0


def cmd_log_validate(args: argparse.Namespace) -> int:
    """``geo-outreach log validate LOG [--scenario SC]``: check a log; exit 1 if rows fail."""
    src = _log_source(args, False)
    if args.scenario:
        sc = load_scenario(args.scenario)
        data = load_study(sc)
        log = load_campaign_log(
            src, tz=sc.scenario.timezone, channels=sc.channels, venues=data.venues,
            study_area=data.study_area, crs=data.crs,
        )  # fmt: skip
    else:
        log = load_campaign_log(src, tz="Asia/Shanghai")
    print(f"campaign log {args.log}: {log.facts['rows_loaded']} rows usable, "
          f"{log.facts['rows_rejected']} rejected")  # fmt: skip
    for r in log.rejects.itertuples(index=False):
        print(f"  row {r.row}, column {r.column}: {r.reason} ({r.value})")
    if not args.scenario:
        print("  (channels and site ids not checked: add --scenario SCENARIO to check them)")
    return 1 if len(log.rejects) else 0


def _add_effect(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "effect",
        help="did the outreach work? difference-in-differences on the campaign log",
        description="Compare alerts in areas the logged outreach reached with areas it did not "
        "reach yet (or never), month by month; report the % change with a 95%% CI, the "
        "pre-trend check and an event-study chart (effect.csv, effect.json, effect.png).",
    )
    sp.add_argument("scenario", help="scenario TOML file")
    sp.add_argument("--log", required=True, help="campaign log (CSV or XLSX)")
    sp.add_argument("--out", help="output folder (default: the scenario's [output] dir)")
    sp.add_argument("--datum", choices=["wgs84", "gcj02", "bd09"],
                    help="datum of the log's coordinates when it has no 坐标系 column")  # fmt: skip
    sp.add_argument("--unit", choices=["precinct", "grid"], default="precinct")
    sp.add_argument("--cell-m", type=float, default=1000.0, help="grid cell size (--unit grid)")
    sp.add_argument("--synthetic-log", action="store_true", help="label the log SYNTHETIC")
    sp.add_argument("--lang", choices=LANGS)
    _common(sp, cmd_effect)
    parser = sub.add_parser("log", help="the campaign log (what outreach was done)")
    log_sub = parser.add_subparsers(dest="log_command", metavar="COMMAND", required=True)
    val = log_sub.add_parser("validate", help="check a campaign log; list rejected rows")
    val.add_argument("log", help="campaign log (CSV or XLSX)")
    val.add_argument("--scenario", help="also check channels and site ids against a scenario")
    val.add_argument("--datum", choices=["wgs84", "gcj02", "bd09"],
                     help="datum of the coordinates when the log has no 坐标系 column")  # fmt: skip
    _common(val, cmd_log_validate)


# --------------------------------------------------------------------------- osm fetch


def cmd_osm_fetch(args: argparse.Namespace) -> int:
    """``geo-outreach osm fetch``: download venues and the walking network of an area."""
    bbox = osm.check_bbox(args.bbox) if args.bbox is not None else None
    osm.output_paths(args.out)
    osm.fetch_osm(
        place=args.place,
        bbox=bbox,
        out=args.out,
        overpass_url=args.overpass_url,
        nominatim_url=args.nominatim_url,
        timeout_s=args.timeout,
        progress=_progress(args),
    )
    return 0


# --------------------------------------------------------------------------- parser


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


COVER_DESCRIPTION = (
    "Choose K sites among candidate points that cover the most demand within a radius. Files are "
    "CSV (UTF-8, with or without BOM) or GeoJSON/GeoPackage; CSV coordinates are lon/lat unless "
    "--crs is a projected CRS. --json prints one JSON object: covered_weight, total_weight, "
    "covered_share, upper_bound, gap, status, method, seconds, chosen (candidate ids in rank "
    "order), marginal, radius_m, budget, n_demand, n_candidates, crs, notes."
)


def _add_cover(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cover",
        help="choose K sites among candidate points that cover the most demand within a radius",
        description=COVER_DESCRIPTION,
    )
    p.add_argument("--demand", required=True, help="demand points (CSV or GeoJSON)")
    p.add_argument("--candidates", required=True, help="candidate sites (CSV or GeoJSON)")
    p.add_argument("--radius-m", type=float, required=True, help="reach of a site in metres")
    p.add_argument("--budget", type=int, required=True, help="number of sites to choose")
    p.add_argument(
        "--crs", default="EPSG:4326", help="CRS of CSV coordinates (default EPSG:4326 lon/lat)"
    )
    p.add_argument("--x", help="x / longitude column")
    p.add_argument("--y", help="y / latitude column")
    p.add_argument("--weight", help="demand weight column (default: 1 per row)")
    p.add_argument("--id", help="candidate id column (default: 'id' if present, else row number)")
    p.add_argument("--method", choices=list(get_args(Method)), default="auto")
    p.add_argument("--time-limit", type=float, default=20.0, help="solver time limit in seconds")
    p.add_argument("--out", help="write the chosen sites to this CSV")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    _common(p, cmd_cover)


def _add_evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "evaluate",
        help="backtest: plan on alerts before a split date, score on the alerts after it",
        description="Plan each channel from alerts before --split and score hit rate, PAI and "
        "PEI* on the alerts after it, against random, naive hot-spot, top-k and "
        "oracle placements.",
    )
    sp.add_argument("scenario", help="scenario TOML file")
    sp.add_argument("--split", required=True, type=_date, help="first test day, YYYY-MM-DD")
    sp.add_argument("--until", type=_date, help="last test day, YYYY-MM-DD (default: last alert)")
    sp.add_argument(
        "--rolling",
        type=int,
        default=0,
        metavar="N",
        help="N monthly splits from --split, each tested on the following month",
    )
    sp.add_argument("--out", help="output folder (overrides [output] dir)")
    sp.add_argument(
        "--seed",
        type=int,
        help="seed of the bootstrap and random baseline (default: scenario seed)",
    )
    sp.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples (default 500)")
    sp.add_argument("--n-random", type=int, default=50, help="random placements (default 50)")
    _common(sp, cmd_evaluate)


def _add_osm(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("osm", help="OpenStreetMap data (needs the internet)")
    osm_sub = parser.add_subparsers(dest="osm_command", metavar="COMMAND", required=True)
    fetch = osm_sub.add_parser(
        "fetch",
        help="download venues and the walking network of an area",
        description=(
            "Download venues (squares, parks, cafés, courier points, post offices, schools, "
            "markets, bus stops) and the walking network from OpenStreetMap. Writes OUT (.osm, "
            "streets), OUT_venues.geojson and OUT_fetch.json. Data © OpenStreetMap "
            "contributors, ODbL."
        ),
    )
    where = fetch.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", help='place name, e.g. "新会区, 江门市, 广东省"')
    where.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        metavar=("W", "S", "E", "N"),
        help="bounding box in WGS84 degrees: west south east north",
    )
    fetch.add_argument("--out", required=True, type=Path, help="street file to write (*.osm)")
    fetch.add_argument(
        "--overpass-url", help=f"Overpass API base URL (default {osm.DEFAULT_OVERPASS_URL})"
    )
    fetch.add_argument(
        "--nominatim-url", help=f"Nominatim base URL (default {osm.DEFAULT_NOMINATIM_URL})"
    )
    fetch.add_argument(
        "--timeout", type=float, default=180.0, help="seconds per request (default 180)"
    )
    _common(fetch, cmd_osm_fetch)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    p = argparse.ArgumentParser(
        prog="geo-outreach",
        description="Where to put anti-fraud outreach: alert analytics, placements and offline "
        "maps.",
    )
    p.add_argument("--version", action="version", version=f"geo-outreach {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_plan_commands(sub)
    _add_cover(sub)
    _add_osm(sub)
    _add_evaluate(sub)
    _add_effect(sub)  # issue 13
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``geo-outreach`` console script; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.verbose:
        level = logging.DEBUG
    else:
        level = logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    command: Command = args.func
    try:
        return int(command(args) or 0)
    except GeoOutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # issue 10: file system trouble (out dir is a file, disk full ...)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - issue 10: never a traceback for a planner
        if args.verbose:
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (an input geo-outreach does not "
            "handle yet, or a bug); run again with --verbose for the details and report them",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
