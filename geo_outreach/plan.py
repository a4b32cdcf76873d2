"""Run the pipeline stages for a scenario: :func:`build_plan`.

Stages: load (io) -> base layers -> analytics -> channels -> manifest -> render (map + briefing).
Each stage gets the previous stages' results as arguments; nothing is kept in globals. The
writers and the provenance of ``manifest.json`` live in :mod:`geo_outreach.outputs`; this
module only runs the stages, times them and reports progress through a callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_outreach import analytics, channels
from geo_outreach.analytics import AnalyticsResult
from geo_outreach.channels import ChannelsResult
from geo_outreach.io import StudyData, load_study
from geo_outreach.manifest import build_manifest, write_base_layers
from geo_outreach.outputs import run_info, sha256_file, write_json, write_output
from geo_outreach.render import render_outputs
from geo_outreach.render.exports import write_exports  # issue 11 briefing
from geo_outreach.scenario import Scenario

Progress = Callable[[str], None]


@dataclass
class _Timer:
    """Times named stages and reports progress (``progress=None``: quiet)."""

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
class Plan:
    """What a plan run computed and, when it wrote them, its files.

    Attributes
    ----------
    scenario
        The scenario as run (CLI overrides applied).
    data
        The loaded study data (working CRS).
    analytics
        Statistics, density, hot spots and clusters.
    channels
        Placements per channel (``None`` when the scenario has no channels).
    out_dir
        The output folder, ``None`` when nothing was written.
    files
        File name -> path of every file written (empty when nothing was written).
    manifest
        The content of ``manifest.json`` (``None`` when nothing was written).
    """

    scenario: Scenario
    data: StudyData
    analytics: AnalyticsResult
    channels: ChannelsResult | None
    out_dir: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None


#: The former name of :class:`Plan`.
PlanResult = Plan


def build_plan(
    sc: Scenario,
    *,
    progress: Progress | None = None,
    render: bool = True,
    write: bool = True,
    command: str | None = None,
) -> Plan:
    """Run every stage for ``sc`` and, with ``write``, write the outputs into ``sc.output.dir``.

    Parameters
    ----------
    sc
        The scenario (see :mod:`geo_outreach.scenario`).
    progress
        Called with a short message as each stage starts and ends (``None``: silent).
    render
        Also write ``map.html`` and the briefing (:func:`geo_outreach.render.render_outputs`);
        only with ``write``.
    write
        Write the output files. ``False`` computes the stages and writes nothing.
    command
        The command line, recorded in ``manifest.json``.

    Returns
    -------
    Plan
        The stage results, and the files written.
    """
    run = run_info(sc, command) if write else {}
    out_dir = Path(sc.output.dir)
    if write:
        out_dir.mkdir(parents=True, exist_ok=True)
    timer = _Timer(progress)
    files: dict[str, Path] = {}

    with timer("load"):
        data = load_study(sc)
    if write:
        with timer("base layers"):
            files.update(write_base_layers(data, out_dir))

    with timer("analytics"):
        result = analytics.run_analytics(data, sc.analysis)
        if write:
            files.update(_write_analytics(result, data, out_dir))

    ch: ChannelsResult | None = None
    if sc.channels:
        with timer("channels"):
            ch = channels.plan_channels(
                data,
                sc.channels,
                hotspots=result.hotspots,
                peak_windows=result.peak_windows,
                seed=sc.scenario.seed,
            )
            if write:
                files.update({Path(p).name: Path(p) for p in channels.write_channels(ch, out_dir)})
    if not write:
        return Plan(scenario=sc, data=data, analytics=result, channels=ch)

    outputs = {name: sha256_file(path) for name, path in sorted(files.items())}
    manifest = build_manifest(
        sc,
        data,
        timings=timer.seconds,
        channels=ch.summaries if ch is not None else {},
        extra={
            "analysis": result.settings,
            "peak_windows": result.peak_windows,
            "outputs_sha256": outputs,
            "run": run,
        },
    )
    files["manifest.json"] = write_json(out_dir / "manifest.json", manifest)

    if render:
        with timer("render"):
            rendered = render_outputs(
                out_dir, basemap=sc.output.basemap, lang=sc.output.langs or sc.output.lang
            )
            files.update({Path(p).name: Path(p) for p in rendered.values()})
        # issue 11 briefing: outputs.gpkg (QGIS, styled) and placements.xlsx (Excel)
        with timer("exports"):
            files.update(write_exports(out_dir))
        manifest["timings_s"] = dict(timer.seconds)
        files["manifest.json"] = write_json(out_dir / "manifest.json", manifest)
    return Plan(
        scenario=sc,
        data=data,
        analytics=result,
        channels=ch,
        out_dir=out_dir,
        files=files,
        manifest=manifest,
    )


def _write_analytics(result: AnalyticsResult, data: StudyData, out_dir: Path) -> dict[str, Path]:
    """Write the analytics files and ``precincts.geojson`` (polygons + statistics columns)."""
    files = {Path(p).name: Path(p) for p in analytics.write_analytics(result, out_dir)}
    stats = result.precinct_stats
    stats_cols = [c for c in stats.columns if c not in ("name", "population", "area_km2")]
    precincts = data.precincts.merge(stats[stats_cols], on="precinct_id", how="left")
    files["precincts.geojson"] = write_output(out_dir, "precincts.geojson", precincts)
    return files
