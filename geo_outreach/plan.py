"""Run the pipeline stages for a scenario and write every output (see :mod:`geo_outreach.outputs`).

Stages: load (io) -> base layers -> analytics -> channels -> manifest -> render (maps/report).
Each stage gets the previous stages' results as arguments; nothing is kept in globals.
"""

from __future__ import annotations

import logging
import platform
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

import geo_outreach
from geo_outreach import analytics, channels
from geo_outreach._validate import OUTSIDE
from geo_outreach.io import StudyData, load_study, sha256_file
from geo_outreach.outputs import write_csv, write_geojson, write_json
from geo_outreach.scenario import Scenario, scenario_to_dict

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

KEY_PACKAGES = ("geopandas", "shapely", "pyproj", "pyogrio", "pandas", "numpy", "scipy",
                "scikit-learn", "osmnx", "networkx", "folium", "highspy", "rasterio", "matplotlib")


@dataclass
class _Timer:
    """Times named stages and reports progress (``progress(None)`` = quiet)."""

    progress: Progress | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(f"{name} ...")
        t0 = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - t0, 3)
        if self.progress:
            self.progress(f"{name}: done in {self.seconds[name]:.1f} s")


@dataclass(frozen=True)
class PlanResult:
    """What a plan run produced."""

    out_dir: Path
    files: dict[str, Path]
    manifest: dict[str, Any]
    data: StudyData


def package_versions() -> dict[str, str]:
    """Versions of geo_outreach and its key dependencies (for manifest.json)."""
    out = {"geo_outreach": geo_outreach.__version__, "python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def rejects_summary(rejects: pd.DataFrame) -> list[dict[str, Any]]:
    """Counts of rejected rows by layer, file and reason (reason text without numbers)."""
    if rejects.empty:
        return []
    reason = rejects["reason"].str.replace(r"\s*\(.*\)$", "", regex=True)
    grouped = rejects.assign(reason=reason).groupby(["layer", "file", "reason"], sort=True).size()
    return [{"layer": k[0], "file": k[1], "reason": k[2], "rows": int(v)} for k, v in grouped.items()]


def write_base_layers(data: StudyData, out_dir: Path) -> dict[str, Path]:
    """Write the cleaned input layers (WGS84) that maps and later runs read back."""
    files: dict[str, Path] = {}
    files["rejects.csv"] = write_csv(out_dir / "rejects.csv", data.rejects.astype({"row": str}))
    a = data.alerts.to_crs("EPSG:4326")
    alerts = pd.DataFrame(
        {
            "alert_id": a["alert_id"],
            "reported_at": a["reported_at"].map(lambda t: t.isoformat()),
            "category": a["category"],
            "age_band": a["age_band"],
            "precinct_id": a["precinct_id"],
            "lon": a.geometry.x.round(6),
            "lat": a.geometry.y.round(6),
        }
    ).sort_values(["reported_at", "alert_id"], kind="stable")
    files["alerts.csv"] = write_csv(out_dir / "alerts.csv", alerts)
    venues = data.venues[["venue_id", "kind", "name", "precinct_id", "geometry"]].sort_values("venue_id")
    files["venues.geojson"] = write_geojson(out_dir / "venues.geojson", venues)
    if data.streets is not None:
        files["streets.geojson"] = write_geojson(out_dir / "streets.geojson", street_lines(data.streets), precision=5)
    return files


def street_lines(graph: Any, *, simplify_m: float = 3.0) -> gpd.GeoDataFrame:
    """One line per street segment, for drawing as context.

    Reverse duplicates are dropped (the u < v direction is kept) and rows are sorted by
    highway and node ids, so the file is byte-identical whatever order osmnx built edges in.
    """
    import osmnx as ox

    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    # merged edges carry a list of highway values in set order: take the smallest, deterministically
    highway = edges["highway"].map(lambda h: min(map(str, h)) if isinstance(h, list) else h) if "highway" in edges else ""
    table = pd.DataFrame({"highway": pd.Series(highway).astype(str).to_numpy(), "a": np.minimum(u, v),
                          "b": np.maximum(u, v), "reverse": u > v, "key": edges["key"].to_numpy()})
    order = table.sort_values(["highway", "a", "b", "key", "reverse"], kind="stable").index
    table = table.loc[order]
    keep = ~table.duplicated(["a", "b", "key"]).to_numpy()
    rows = order[keep]
    return gpd.GeoDataFrame({"highway": table["highway"].to_numpy()[keep]},
                            geometry=edges.geometry.simplify(simplify_m).to_numpy()[rows], crs=edges.crs)


def period_of(data: StudyData) -> dict[str, str]:
    """First and last alert day (ISO dates, scenario timezone)."""
    t = data.alerts["reported_at"]
    return {"start": t.min().date().isoformat(), "end": t.max().date().isoformat()}


def build_manifest(sc: Scenario, data: StudyData, *, timings: dict[str, float],
                   channels: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to audit and reproduce a run."""
    return {
        "title": sc.scenario.title or sc.scenario.name,
        "scenario_name": sc.scenario.name,
        "synthetic": bool(sc.synthetic or data.notes),
        "notes": list(data.notes),
        "period": period_of(data),
        "working_crs": data.crs.to_string(),
        "datums": {rec["layer"]: rec.get("datum", "wgs84") for rec in data.inputs},
        "datum_statement": "All outputs are WGS84 (EPSG:4326); inputs were converted from their declared datums on load.",
        "output": {"dir": str(sc.output.dir), "basemap": sc.output.basemap, "lang": sc.output.lang},
        "scenario": scenario_to_dict(sc),
        "inputs": list(data.inputs),
        "rejects": rejects_summary(data.rejects),
        "rows": {
            "precincts": len(data.precincts),
            "alerts": len(data.alerts),
            "alerts_outside": int((data.alerts["precinct_id"] == OUTSIDE).sum()),
            "venues": len(data.venues),
            "rejected": len(data.rejects),
        },
        "seed": sc.scenario.seed,
        "versions": package_versions(),
        "timings_s": dict(timings),
        "channels": channels or {},
        **(extra or {}),
    }


def run_info(sc: Scenario, command: str | None) -> dict[str, Any]:
    """When and with what code and command a run was made (the volatile part of the manifest)."""
    info: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git_commit": _git_commit(),
    }
    if sc.path is not None and Path(sc.path).is_file():
        info["scenario_file"] = {"path": str(Path(sc.path).resolve()), "sha256": sha256_file(Path(sc.path))}
    return info


def _git_commit() -> str | None:
    """The commit of the geo_outreach checkout, if it is one (None for an installed wheel)."""
    root = Path(geo_outreach.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def build_plan(sc: Scenario, *, progress: Progress | None = None, render: bool = True,
               command: str | None = None) -> PlanResult:
    """Run every stage for ``sc`` and write the outputs into ``sc.output.dir``.

    Parameters
    ----------
    sc
        The scenario (see :mod:`geo_outreach.scenario`).
    progress
        Called with a short message as each stage starts and ends (``None``: silent).
    render
        Also write ``map.html`` and the briefing (:func:`geo_outreach.maps.render_outputs`).
    command
        The command line, recorded in ``manifest.json``.
    """
    run = run_info(sc, command)
    out_dir = Path(sc.output.dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timer = _Timer(progress)
    files: dict[str, Path] = {}

    with timer("load"):
        data = load_study(sc)
    with timer("base layers"):
        files.update(write_base_layers(data, out_dir))

    with timer("analytics"):
        result = analytics.run_analytics(data, sc.analysis)
        for path in analytics.write_analytics(result, out_dir):
            files[Path(path).name] = Path(path)
        stats_cols = [c for c in result.precinct_stats.columns if c not in ("name", "population", "area_km2")]
        precincts = data.precincts.merge(result.precinct_stats[stats_cols], on="precinct_id", how="left")
        files["precincts.geojson"] = write_geojson(out_dir / "precincts.geojson", precincts)

    channel_summary: dict[str, Any] = {}
    if sc.channels:
        with timer("channels"):
            ch = channels.plan_channels(data, sc.channels, hotspots=result.hotspots,
                                        peak_windows=result.peak_windows, seed=sc.scenario.seed)
            for path in channels.write_channels(ch, out_dir):
                files[Path(path).name] = Path(path)
            channel_summary = ch.summaries

    outputs = {name: sha256_file(path) for name, path in sorted(files.items())}
    manifest = build_manifest(sc, data, timings=timer.seconds, channels=channel_summary,
                              extra={"analysis": result.settings, "peak_windows": result.peak_windows,
                                     "outputs_sha256": outputs, "run": run})
    files["manifest.json"] = write_json(out_dir / "manifest.json", manifest)

    if render:
        from geo_outreach import maps

        with timer("render"):
            rendered = maps.render_outputs(out_dir, basemap=sc.output.basemap, lang=sc.output.lang)
            files.update({Path(p).name: Path(p) for p in rendered.values()})
        manifest["timings_s"] = dict(timer.seconds)
        files["manifest.json"] = write_json(out_dir / "manifest.json", manifest)
    return PlanResult(out_dir=out_dir, files=files, manifest=manifest, data=data)
