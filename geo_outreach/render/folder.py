"""Reading a plan's output folder back for rendering, by the schema in ``_validate``.

Rendering reads only files, so ``geo-outreach render OUTDIR`` can redraw a finished plan without
recomputing it. ``manifest.json`` and ``precincts.geojson`` are required; an optional file that is
missing leaves its layer out. Every table read is checked against
:data:`geo_outreach._validate.OUTPUT_COLUMNS`: the renderer uses the columns the writers wrote,
under their names, and a file from another version is an error that names the fix.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_outreach._errors import InputDataError
from geo_outreach._validate import REQUIRED_OUTPUTS, output_columns
from geo_outreach.outputs import excel_unescape, sha256_file

log = logging.getLogger(__name__)

__all__ = ["OutputFolder", "load_output_folder", "with_alerts"]


@dataclass(frozen=True)
class OutputFolder:
    """The files of a plan's output folder, read back for rendering (all WGS84).

    Optional layers that were not written are ``None``. Columns are those of
    :data:`geo_outreach._validate.OUTPUT_COLUMNS`.
    """

    path: Path
    manifest: dict[str, Any]
    precincts: gpd.GeoDataFrame
    alerts: pd.DataFrame | None = None
    venues: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    hotspots: gpd.GeoDataFrame | None = None
    clusters: gpd.GeoDataFrame | None = None
    placements: gpd.GeoDataFrame | None = None
    coverage_curve: pd.DataFrame | None = None
    reach: gpd.GeoDataFrame | None = None
    patrol: gpd.GeoDataFrame | None = None
    uncovered: gpd.GeoDataFrame | None = None
    monthly_trends: pd.DataFrame | None = None
    precinct_stats: pd.DataFrame | None = None
    evaluation: pd.DataFrame | None = None
    evaluation_summary: dict[str, Any] | None = None  # evaluation.json (``geo-outreach evaluate``)
    density_path: Path | None = None
    #: issue 14: the rows of ``alerts.csv`` when the table was not read (``alerts`` is None;
    #: :func:`with_alerts` reads it)
    alert_rows: int | None = None

    @property
    def title(self) -> str:
        """The plan's title from the manifest ('' when none)."""
        return str(self.manifest.get("title") or "")

    @property
    def synthetic(self) -> bool:
        """Whether the inputs include synthetic or illustrative data."""
        return bool(self.manifest.get("synthetic")) or bool(self.notes)

    @property
    def notes(self) -> list[str]:
        """The manifest's notes on the data (synthetic, illustrative ...)."""
        notes = self.manifest.get("notes") or []
        return [str(n) for n in notes] if isinstance(notes, list) else [str(notes)]

    @property
    def period(self) -> tuple[str, str]:
        """First and last alert day (ISO dates, '' when unknown)."""
        p = self.manifest.get("period") or {}
        return str(p.get("start") or ""), str(p.get("end") or "")

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        """The manifest's channel summaries by channel name."""
        ch = self.manifest.get("channels") or {}
        return ch if isinstance(ch, dict) else {}


_ID_COLUMNS = {
    c: str
    for c in (
        "alert_id",
        "precinct_id",
        "venue_id",
        "channel",
        "month",
        "category",
        "age_band",
        "name",
        "kind",
    )
}
_FIX = "re-run `geo-outreach plan`"


def _checked(path: Path, frame: pd.DataFrame) -> None:
    """Check a table read back (an empty GeoJSON layer has no properties to check)."""
    problems = [] if frame.empty else output_columns(path.name, frame.columns)
    if problems:
        raise InputDataError(
            f"{path}: " + "; ".join(problems) + "; it was not written by this version of "
            "geo_outreach: " + _FIX
        )


def _read_geo(path: Path) -> gpd.GeoDataFrame | None:
    if not path.is_file():
        return None
    try:
        # strings stay strings: GDAL would otherwise turn text like "19:00" into a time
        gdf = gpd.read_file(path, DATE_AS_STRING="YES")
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types for broken files
        raise InputDataError(f"{path}: cannot read ({exc}); {_FIX}") from None
    _checked(path, gdf)
    if gdf.crs is None or gdf.crs.is_geographic:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    else:
        gdf = gdf.to_crs("EPSG:4326")
    for col in ("precinct_id", "venue_id", "channel"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("string").fillna("").astype(str)
    out: gpd.GeoDataFrame = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return out


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=_ID_COLUMNS, keep_default_na=True)
    except Exception as exc:  # noqa: BLE001 - parser, encoding and OS errors alike
        raise InputDataError(f"{path}: cannot read ({exc}); {_FIX}") from None
    _checked(path, df)
    return excel_unescape(df)


def _read_json_optional(path: Path) -> dict[str, Any] | None:
    """Read an optional JSON object (``evaluation.json``).

    ``None`` when missing, and with a logged warning when unreadable or not an object (the rest
    of the folder still renders).
    """
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        log.warning("%s: not read (%s); re-run `geo-outreach evaluate`", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s: expected a JSON object; ignored", path)
        return None
    return data


def _read_manifest(out: Path) -> dict[str, Any]:
    for required in REQUIRED_OUTPUTS:
        if not (out / required).is_file():
            raise InputDataError(
                f"{out}: no {required} in this folder; run `geo-outreach plan SCENARIO` first "
                f"(or pass the output folder of a finished plan)"
            )
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: not valid JSON ({exc}); {_FIX}") from None
    if not isinstance(manifest, dict):
        raise InputDataError(f"{path}: expected a JSON object; {_FIX}")
    return manifest


def _check_hashes(out: Path, manifest: dict[str, Any]) -> None:
    """Refuse a folder whose data files differ from the sha256 the plan recorded (#10)."""
    recorded = manifest.get("outputs_sha256")
    if not isinstance(recorded, dict):
        return  # a folder from before the hashes were recorded: nothing to compare
    problems = []
    for name, digest in sorted(recorded.items()):
        path = out / str(name)
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name} was changed after the plan wrote it")
    if problems:
        raise InputDataError(
            f"{out}: " + "; ".join(problems[:5]) + " (sha256 differs from manifest.json); "
            "the folder was edited, truncated or mixed with another run: " + _FIX
        )


def _same_plan(
    out: Path, manifest: dict[str, Any], summary: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Return the backtest summary only when it was made for this folder's plan (#10)."""
    if summary is None:
        return None
    plan = manifest.get("plan_hash")
    if plan is None:
        return summary  # a folder from before plan hashes: nothing to compare
    if summary.get("plan_hash") != plan:
        log.warning(
            "%s: evaluation.json belongs to another plan (plan_hash differs); the backtest "
            "section is left out. Re-run `geo-outreach evaluate` for this plan",
            out,
        )
        return None
    return summary


def load_output_folder(
    out_dir: str | Path,
    *,
    alerts: bool = True,
    manifest: dict[str, Any] | None = None,
    verify: bool = True,
) -> OutputFolder:
    """Read the files of an output folder.

    Parameters
    ----------
    out_dir
        The output folder of a plan (``geo-outreach plan``).
    alerts
        Also read ``alerts.csv`` (issue 14: ``plan`` on many alerts reads it only in the worker
        process that draws the web map, :func:`with_alerts`).
    manifest
        The manifest to use instead of ``manifest.json`` (issue 14: ``plan`` draws the
        briefing's static maps before it writes ``manifest.json``; the hashes are then not
        checked: the files were written by the same run a moment ago).
    verify
        Check the files' sha256 against ``manifest.json`` (``plan`` renders the folder it has
        just hashed: ``False``).

    Returns
    -------
    OutputFolder
        Every file that is there, read and checked.

    Raises
    ------
    InputDataError
        When the folder lacks ``manifest.json`` or ``precincts.geojson`` (run ``geo-outreach plan``
        first), a file cannot be read, or a table's columns are not those this version writes.
    """
    out = Path(out_dir)
    if manifest is None:
        manifest = _read_manifest(out)
        if verify:
            _check_hashes(out, manifest)
    precincts = _read_geo(out / "precincts.geojson")
    if precincts is None or "precinct_id" not in precincts.columns:
        raise InputDataError(f"{out / 'precincts.geojson'}: no precinct_id property; {_FIX}")
    density = out / "density.tif"
    evaluation_summary = _same_plan(out, manifest, _read_json_optional(out / "evaluation.json"))
    evaluation = _read_csv(out / "evaluation.csv") if evaluation_summary is not None else None
    return OutputFolder(
        path=out,
        manifest=manifest,
        precincts=precincts,
        alerts=_read_csv(out / "alerts.csv") if alerts else None,
        venues=_read_geo(out / "venues.geojson"),
        streets=_read_geo(out / "streets.geojson"),
        hotspots=_read_geo(out / "hotspots.geojson"),
        clusters=_read_geo(out / "clusters.geojson"),
        placements=_read_geo(out / "placements.geojson"),
        coverage_curve=_read_csv(out / "coverage_curve.csv"),
        reach=_read_geo(out / "reach.geojson"),
        patrol=_read_geo(out / "patrol_route.geojson"),
        uncovered=_read_geo(out / "uncovered_hotspots.geojson"),
        monthly_trends=_read_csv(out / "monthly_trends.csv"),
        precinct_stats=_read_csv(out / "precinct_stats.csv"),
        evaluation=evaluation,
        evaluation_summary=evaluation_summary,
        density_path=density if density.is_file() else None,
    )


def with_alerts(folder: OutputFolder) -> OutputFolder:
    """Return ``folder`` with ``alerts.csv`` read (itself when it was read already)."""
    if folder.alerts is not None:
        return folder
    return dataclasses.replace(folder, alerts=_read_csv(folder.path / "alerts.csv"))


def with_alert_lonlat(folder: OutputFolder) -> OutputFolder:
    """Return ``folder`` with only the ``lon``, ``lat`` columns of ``alerts.csv`` read.

    Issue 14: what the web map's grid of alert totals needs (above
    :data:`geo_outreach.render.layers.MAX_ALERT_POINTS` alerts): pyarrow reads the two columns
    (889k rows: ~0.2 s instead of ~0.8 s for the whole table), the same values in the same
    order. Any problem with the file: :func:`with_alerts`, which says what is wrong.
    """
    if folder.alerts is not None:
        return folder
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = folder.path / "alerts.csv"
    cols = {"lon": pa.float64(), "lat": pa.float64()}
    opts = pacsv.ConvertOptions(include_columns=list(cols), column_types=cols)
    try:
        table = pacsv.read_csv(path, convert_options=opts)
    except (OSError, pa.ArrowException):
        return with_alerts(folder)
    lonlat = pd.DataFrame({c: table.column(c).to_numpy() for c in cols})
    return dataclasses.replace(folder, alerts=lonlat)
