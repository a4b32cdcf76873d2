"""``geo-outreach cover``: maximal covering for any two point files.

    geo-outreach cover --demand alerts.csv --candidates venues.csv --radius-m 800 --budget 8
        [--crs EPSG:32649] [--x COL --y COL --weight COL --id COL]
        [--method auto|greedy|exact] [--time-limit S] [--out chosen.csv] [--json]

Files are CSV (UTF-8, with or without BOM) or GeoJSON/GeoPackage. Coordinates are metres
when ``--crs`` is a projected CRS, otherwise lon/lat (WGS84, the default), projected to the
local UTM zone (``estimate_utm_crs``) before measuring straight-line distances. GeoJSON
geometries are used as they are (their CRS wins). ``--x/--y`` default to the first of
``x``/``lon``/``lng``/``longitude`` and ``y``/``lat``/``latitude`` found; ``--weight``
defaults to 1 per row; ``--id`` (candidates) defaults to ``id`` if present, else the row
number.

``--json`` prints one JSON object: covered_weight, total_weight, covered_share,
upper_bound, gap, status, method, seconds, chosen (candidate ids in rank order), marginal,
radius_m, budget, n_demand, n_candidates, notes. Errors print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach._errors import GeoOutreachError, InputDataError
from geo_outreach.coverage import METHODS, coverage_matrix_euclidean, maximize_coverage

X_NAMES = ("x", "lon", "lng", "longitude", "经度")
Y_NAMES = ("y", "lat", "latitude", "纬度")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``cover`` command to an argparse sub-parser collection."""
    p = subparsers.add_parser(
        "cover",
        help="choose K sites among candidate points that cover the most demand within a radius",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("--demand", required=True, help="demand points (CSV or GeoJSON)")
    p.add_argument("--candidates", required=True, help="candidate sites (CSV or GeoJSON)")
    p.add_argument("--radius-m", type=float, required=True, help="reach of a site in metres")
    p.add_argument("--budget", type=int, required=True, help="number of sites to choose")
    p.add_argument("--crs", default="EPSG:4326", help="CRS of CSV coordinates (default EPSG:4326 lon/lat)")
    p.add_argument("--x", help="x / longitude column")
    p.add_argument("--y", help="y / latitude column")
    p.add_argument("--weight", help="demand weight column (default: 1 per row)")
    p.add_argument("--id", help="candidate id column (default: 'id' if present, else row number)")
    p.add_argument("--method", choices=list(METHODS), default="auto")
    p.add_argument("--time-limit", type=float, default=20.0, help="solver time limit in seconds")
    p.add_argument("--out", help="write the chosen sites to this CSV")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)
    return p


def _pick(cols: list[str], wanted: str | None, names: tuple[str, ...], what: str, path: Path) -> str:
    if wanted:
        if wanted not in cols:
            raise InputDataError(f"{path}: no column {wanted!r} (columns: {cols}); check --{what}")
        return wanted
    low = {c.lower(): c for c in cols}
    for n in names:
        if n in low:
            return low[n]
    raise InputDataError(f"{path}: no {what} column among {cols}; name it with --{what}")


def _read_points(path: Path, args: argparse.Namespace, *, role: str) -> tuple[pd.DataFrame, np.ndarray, Any]:
    """Return (frame, xy in the file CRS, CRS) for a CSV or vector file."""
    import pyproj

    if not path.is_file():
        raise InputDataError(f"{path}: {role} file not found; check --{role}")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json", ".gpkg", ".shp"):
        import geopandas as gpd

        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - pyogrio/fiona raise several types
            raise InputDataError(f"{path}: cannot read ({exc})") from None
        if len(gdf) and not (gdf.geom_type == "Point").all():
            raise InputDataError(f"{path}: {role} geometries must be Points")
        crs = gdf.crs or pyproj.CRS.from_user_input(args.crs)
        xy = np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()]) if len(gdf) else np.zeros((0, 2))
        return pd.DataFrame(gdf.drop(columns="geometry")), xy, pyproj.CRS.from_user_input(crs)
    try:
        df = pd.read_csv(path, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(f"{path}: not a readable UTF-8 CSV ({exc})") from None
    cols = [str(c) for c in df.columns]
    xc = _pick(cols, args.x, X_NAMES, "x", path)
    yc = _pick(cols, args.y, Y_NAMES, "y", path)
    try:
        xy = df[[xc, yc]].to_numpy(dtype=float)
    except ValueError:
        raise InputDataError(f"{path}: columns {xc!r}/{yc!r} must be numbers") from None
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = (np.flatnonzero(bad)[:5] + 2).tolist()
        raise InputDataError(f"{path}: {int(bad.sum())} rows lack coordinates (lines {rows}); fill or drop them")
    try:
        crs = pyproj.CRS.from_user_input(args.crs)
    except pyproj.exceptions.CRSError:
        raise InputDataError(f"--crs {args.crs!r} is not a CRS pyproj knows (try EPSG:32649)") from None
    return df, xy, crs


def _to_metres(xy_d: np.ndarray, crs_d: Any, xy_c: np.ndarray, crs_c: Any) -> tuple[np.ndarray, np.ndarray, str]:
    import geopandas as gpd

    def proj(xy: np.ndarray, crs: Any, target: Any) -> np.ndarray:
        if crs == target:
            return xy
        g = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs).to_crs(target)
        return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])

    if crs_d.is_projected:
        target = crs_d
    elif crs_c.is_projected:
        target = crs_c
    else:
        both = np.vstack([xy_d, xy_c])
        if (np.abs(both[:, 0]) > 180).any() or (np.abs(both[:, 1]) > 90).any():
            raise InputDataError(
                "coordinates are not lon/lat degrees; pass the projected CRS of the files with --crs"
            )
        target = gpd.GeoSeries(gpd.points_from_xy(both[:, 0], both[:, 1]), crs=crs_d).estimate_utm_crs()
    return proj(xy_d, crs_d, target), proj(xy_c, crs_c, target), target.to_string()


def solve_files(args: argparse.Namespace) -> dict[str, Any]:
    """Run the command's work and return the JSON-able result (raises GeoOutreachError)."""
    if not (args.radius_m > 0):
        raise InputDataError(f"--radius-m must be > 0, got {args.radius_m:g}")
    if args.budget < 1:
        raise InputDataError(f"--budget must be at least 1, got {args.budget}")
    if not (args.time_limit > 0):
        raise InputDataError(f"--time-limit must be > 0, got {args.time_limit:g}")
    dem, dxy, dcrs = _read_points(Path(args.demand), args, role="demand")
    cand, cxy, ccrs = _read_points(Path(args.candidates), args, role="candidates")
    if len(cand) == 0:
        raise InputDataError(f"{args.candidates}: no candidate sites")
    if args.weight:
        if args.weight not in dem.columns:
            raise InputDataError(f"{args.demand}: no column {args.weight!r} (columns: {list(dem.columns)}); check --weight")
        w = pd.to_numeric(dem[args.weight], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(w).all() or (w < 0).any():
            raise InputDataError(f"{args.demand}: --weight column {args.weight!r} must hold numbers >= 0")
    else:
        w = np.ones(len(dem))
    if args.id:
        if args.id not in cand.columns:
            raise InputDataError(f"{args.candidates}: no column {args.id!r} (columns: {list(cand.columns)}); check --id")
        ids = cand[args.id].astype(str).tolist()
    elif "id" in cand.columns:
        ids = cand["id"].astype(str).tolist()
    else:
        ids = [str(i) for i in range(len(cand))]
    dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
    if len(dup):
        raise InputDataError(f"{args.candidates}: duplicate candidate ids {list(dup[:5])}; make the id column unique")
    if args.budget > len(ids):
        raise InputDataError(
            f"--budget {args.budget} is larger than the {len(ids)} candidates in {args.candidates}; lower it"
        )
    dm, cm, crs_used = _to_metres(dxy, dcrs, cxy, ccrs)
    a = coverage_matrix_euclidean(dm, cm, args.radius_m)
    sol = maximize_coverage(a, w, args.budget, method=args.method, time_limit_s=args.time_limit)
    out = {
        "covered_weight": sol.covered_weight,
        "total_weight": sol.total_weight,
        "covered_share": sol.covered_share,
        "upper_bound": sol.upper_bound,
        "gap": sol.gap,
        "status": sol.status,
        "method": sol.method,
        "seconds": round(sol.seconds, 4),
        "chosen": [ids[j] for j in sol.chosen],
        "marginal": list(sol.marginal),
        "radius_m": args.radius_m,
        "budget": args.budget,
        "n_demand": len(w),
        "n_candidates": len(ids),
        "crs": crs_used,
        "notes": list(sol.notes),
    }
    if args.out:
        from geo_outreach.outputs import write_csv

        cum = np.cumsum(sol.marginal) if sol.marginal else np.zeros(0)
        rows = pd.DataFrame(
            {
                "rank": np.arange(1, len(sol.chosen) + 1),
                "id": [ids[j] for j in sol.chosen],
                "x": [cxy[j, 0] for j in sol.chosen],
                "y": [cxy[j, 1] for j in sol.chosen],
                "marginal_weight": list(sol.marginal),
                "cumulative_weight": cum,
                "cumulative_share": cum / sol.total_weight if sol.total_weight > 0 else cum * 0,
            }
        )
        write_csv(args.out, rows)
        out["out"] = str(args.out)
    return out


def run(args: argparse.Namespace) -> int:
    """Execute ``cover``; print the result; return the exit code (0 ok, 2 bad input)."""
    try:
        res = solve_files(args)
    except GeoOutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res, ensure_ascii=False, sort_keys=True))
    else:
        print(
            f"{len(res['chosen'])} sites cover {res['covered_weight']:g} of {res['total_weight']:g} "
            f"({100 * res['covered_share']:.1f}%); upper bound {res['upper_bound']:.6g}, "
            f"gap {100 * res['gap']:.2f}% ({res['status']}, {res['method']}, {res['seconds']:.2f} s)"
        )
        print("chosen (rank order): " + ", ".join(res["chosen"]))
        if res.get("out"):
            print(f"written: {res['out']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (tests, ``python -m geo_outreach.cover_cmd``): parse and run ``cover``."""
    parser = argparse.ArgumentParser(prog="geo-outreach")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    try:
        args = parser.parse_args(["cover", *(argv or [])] if not argv or argv[0] != "cover" else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
