"""Did it work: ``evaluate`` (backtest), ``effect`` and ``log validate`` (issue 13)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from geo_outreach.cli._common import (
    LANGS,
    _common,
    _date,
    _progress,
)
from geo_outreach._errors import ScenarioError
from geo_outreach.render import render_outputs  # light: the render package imports lazily
from geo_outreach.scenario import Scenario, load_scenario, with_overrides

if TYPE_CHECKING:  # issue 14: the library is imported when a command runs, not for --help
    from geo_outreach.backtest import BacktestResult
    from geo_outreach.effect.log import LogSource


def _backtest_lines(result: BacktestResult) -> list[str]:
    """Return the terminal report of a backtest: the table, a headline per channel, notes."""
    from geo_outreach.backtest import format_table

    summary = result.summary
    lines = [format_table(result)]
    lines += [entry["headline"]["en"] for entry in summary["channels"].values()]
    if summary["synthetic"]:
        lines.append("NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data.")
    return lines


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``geo-outreach evaluate SCENARIO --split DATE``: backtest, write, re-render the briefing."""
    from geo_outreach import api

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


def _log_source(args: argparse.Namespace, synthetic: bool, sc: Scenario | None = None) -> LogSource:
    from geo_outreach.effect.log import LogSource
    from geo_outreach.effect.run import scenario_log

    if args.log:
        return LogSource(Path(args.log), datum=args.datum, synthetic=synthetic)
    src = scenario_log(sc) if sc is not None else None
    if src is None:
        raise ScenarioError(
            "no campaign log: pass --log LOG or add a [campaign_log] section with a path to the "
            "scenario"
        )
    if args.datum:
        src = dataclasses.replace(src, datum=args.datum)
    return dataclasses.replace(src, synthetic=src.synthetic or synthetic)


def cmd_effect(args: argparse.Namespace) -> int:
    """``geo-outreach effect SCENARIO --log LOG --out DIR``: estimate the outreach effect."""
    from geo_outreach.effect.run import run_effect, write_effect
    from geo_outreach.render.effect import write_effect_chart

    sc = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path(sc.output.dir)
    res = run_effect(
        sc, _log_source(args, args.synthetic_log, sc), unit=args.unit, cell_m=args.cell_m,
        channels=tuple(args.channel or ()), progress=_progress(args),
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
    from geo_outreach.effect.log import load_campaign_log
    from geo_outreach.io import load_study

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
    sp.add_argument("--log", help="campaign log (CSV or XLSX; default: the scenario's "
                    "[campaign_log])")  # fmt: skip
    sp.add_argument("--out", help="output folder (default: the scenario's [output] dir)")
    sp.add_argument("--datum", choices=["wgs84", "gcj02", "bd09"],
                    help="datum of the log's coordinates when it has no 坐标系 column")  # fmt: skip
    sp.add_argument("--unit", choices=["precinct", "grid"], default="precinct")
    sp.add_argument("--cell-m", type=float, default=1000.0, help="grid cell size (--unit grid)")
    sp.add_argument("--synthetic-log", action="store_true", help="label the log SYNTHETIC")
    sp.add_argument(
        "--channel", action="append", metavar="NAME",
        help="only this channel's activities are the treatment (repeatable)",
    )  # fmt: skip
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
