"""The ``geo-outreach`` command: every command, thin over the library.

Commands: ``demo``, ``plan``, ``validate``, ``init``, ``render``, ``cover``, ``evaluate`` and
``osm fetch``. This package is the only part that prints: progress goes to stderr as
``[geo-outreach] ...`` lines (off with ``--quiet``; ``--verbose`` adds logged details), results
to stdout.

Exit codes: 0 ok, 1 ran but a check failed, 2 bad input or usage. Expected errors
(:class:`~geo_outreach._errors.GeoOutreachError`) print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from geo_outreach._errors import GeoOutreachError
from geo_outreach._version import __version__
from geo_outreach.cli._common import Command
from geo_outreach.cli.cover import _add_cover
from geo_outreach.cli.evaluate import _add_effect, _add_evaluate
from geo_outreach.cli.osm import _add_osm
from geo_outreach.cli.plan import _add_plan_commands

__all__ = ["build_parser", "main"]


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
