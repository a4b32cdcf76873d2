"""``geo-outreach evaluate`` on top of :mod:`geo_outreach.backtest`.

# shim: removed at integration (the command moves into geo_outreach/cli.py; the backtest
# itself is geo_outreach.backtest, its chart geo_outreach.render.chart).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from geo_outreach.backtest import evaluate, format_table, write_evaluation
from geo_outreach.backtest.summary import CHART_NAME
from geo_outreach.render.chart import write_evaluation_chart


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-05-01") from None


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``geo-outreach evaluate`` to the CLI."""
    sp = subparsers.add_parser(
        "evaluate",
        help="backtest: plan on alerts before a split date, score on the alerts after it",
        description="Plan each channel from alerts before --split and score hit rate, PAI and "
        "PEI* on the alerts after it, against random, naive hot-spot, top-k and oracle placements.",
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
    sp.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
    sp.add_argument("--verbose", "-v", action="store_true", help="log details")
    sp.set_defaults(func=run)
    return sp


def run(args: argparse.Namespace) -> int:
    """Run ``geo-outreach evaluate``: exit 0 when written; bad input raises GeoOutreachError."""
    from geo_outreach.scenario import load_scenario, with_overrides

    sc = load_scenario(args.scenario)
    sc = with_overrides(sc, dir=Path(args.out) if args.out else None)
    quiet = args.quiet
    progress = (
        None if quiet else (lambda msg: print(f"[geo-outreach] {msg}", file=sys.stderr, flush=True))
    )
    result = evaluate(
        sc,
        split=args.split,
        until=args.until,
        rolling=args.rolling,
        seed=args.seed,
        n_boot=args.n_boot,
        n_random=args.n_random,
        progress=progress,
    )
    out = Path(sc.output.dir)
    csv_path, json_path = write_evaluation(result, out)
    chart = write_evaluation_chart(result, out / CHART_NAME, lang=sc.output.lang)
    summary = result.summary
    print(format_table(result))
    for entry in summary["channels"].values():
        print(entry["headline"]["en"])
    if summary["synthetic"]:
        print("NOTE: the inputs include SYNTHETIC / ILLUSTRATIVE data.")
    for p in (csv_path, chart, json_path):
        print(f"{p.name}: {p.resolve()}")
    if (out / "manifest.json").is_file() and (out / "precincts.geojson").is_file():
        from geo_outreach import report

        written = report.render_briefing(out, lang=sc.output.lang)  # now with the backtest section
        print(f"briefing.html: {written['briefing_html'].resolve()}")
    else:
        print(
            f"briefing: no plan in {out}; run `geo-outreach plan {args.scenario}` there first "
            f"to get the backtest section in briefing.html"
        )
    return 0
