"""``osm fetch``: download OpenStreetMap venues and streets (needs the internet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo_outreach.cli._common import (
    _common,
    _progress,
)


def cmd_osm_fetch(args: argparse.Namespace) -> int:
    """``geo-outreach osm fetch``: download venues and the walking network of an area."""
    from geo_outreach import osm  # issue 14: imported when run, not for --help

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


#: ``osm.DEFAULT_OVERPASS_URL`` and ``osm.DEFAULT_NOMINATIM_URL``, for the help text without
#: importing :mod:`geo_outreach.osm` (geopandas ...); tests/test_cli_lazy.py keeps them equal
OVERPASS_URL = "https://overpass-api.de/api"
NOMINATIM_URL = "https://nominatim.openstreetmap.org/"


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
    fetch.add_argument("--overpass-url", help=f"Overpass API base URL (default {OVERPASS_URL})")
    fetch.add_argument("--nominatim-url", help=f"Nominatim base URL (default {NOMINATIM_URL})")
    fetch.add_argument(
        "--timeout", type=float, default=180.0, help="seconds per request (default 180)"
    )
    _common(fetch, cmd_osm_fetch)
