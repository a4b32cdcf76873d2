"""``cover``: the generic maximal-coverage command."""

from __future__ import annotations

import argparse
import json
from typing import get_args

from geo_outreach.cli._common import (
    _common,
)
from geo_outreach.scenario import Method


def cmd_cover(args: argparse.Namespace) -> int:
    """``geo-outreach cover``: maximal covering for any two point files."""
    from geo_outreach import api  # issue 14: imported when run, not for --help

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
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="optional solver safety net in seconds (default: none; the solve is budgeted "
        "by work, so the answer is the same on any machine)",
    )
    p.add_argument("--out", help="write the chosen sites to this CSV")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    _common(p, cmd_cover)
