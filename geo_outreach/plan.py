"""Run the pipeline stages for a scenario: :func:`build_plan`.

Stages: load (io) -> base layers -> analytics -> channels -> manifest -> render (map + briefing).
Each stage gets the previous stages' results as arguments; nothing is kept in globals. The
writers and the provenance of ``manifest.json`` live in :mod:`geo_outreach.outputs`; this
module only runs the stages, times them and reports progress through a callback.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo_outreach import _parallel, analytics, channels, playbook
from geo_outreach.analytics import AnalyticsResult
from geo_outreach.channels import ChannelsResult
from geo_outreach.io import StudyData, load_study
from geo_outreach.effect.emerging import write_emerging  # issue 13
from geo_outreach.manifest import build_manifest, write_base_layers
from geo_outreach._errors import GeoOutreachError
from geo_outreach.outputs import (
    plan_hash,
    run_info,
    sha256_file,
    staged_output,
    write_json,
    write_output,
)
from geo_outreach.playbook import PlaybookResult
from geo_outreach.render import (
    draw_briefing_maps_early,
    load_output_folder,
    render_briefings,
    render_maps,
    render_outputs,
)
from geo_outreach.render.effect import write_effect_chart  # issue 13
from geo_outreach.render.exports import (  # issue 11 briefing
    GPKG_MAX_ALERT_POINTS,
    gpkg_alerts_note,
    write_exports,
)
from geo_outreach.render.folder import with_alert_lonlat, with_alerts
from geo_outreach.render.layers import MAX_ALERT_POINTS
from geo_outreach.scenario import ChannelConfig, Scenario
from geo_outreach.scenario_checks import weight_key_warnings

if TYPE_CHECKING:  # issue 14: imported where the effect runs (statsmodels: a worker at 1M)
    from geo_outreach.effect.run import EffectResult

Progress = Callable[[str], None]
_Timer = _parallel.StageTimer  # issue 14: times the stages, here and in worker processes


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
    # issue 12: materials, calendar and visits (None when the scenario asks for none)
    playbook: PlaybookResult | None = None
    # issue 13: the campaign log's effect (None without a [campaign_log] or when not written)
    effect: EffectResult | None = None


@dataclass(frozen=True)
class _Stages:
    """What the computing stages returned (before the manifest and rendering)."""

    data: StudyData
    analytics: AnalyticsResult
    channels: ChannelsResult | None
    playbook: PlaybookResult | None
    warnings: list[str]


#: Issue 14: from this many alerts, ``plan`` runs the base layers, the emerging hot spots, the
#: effect, the visits, the web maps and the exports in worker processes beside the other stages
#: (:mod:`geo_outreach._parallel`); smaller runs stay serial (the sample: forking would cost more
#: than it saves, and the run is short anyway).
PARALLEL_ALERTS = 100_000


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
    if not write:
        st = _compute(sc, _Timer(progress), None, {}, None)
        return Plan(
            scenario=sc,
            data=st.data,
            analytics=st.analytics,
            channels=st.channels,
            playbook=st.playbook,
        )
    run = run_info(sc, command)
    out_dir = Path(sc.output.dir)
    try:
        with staged_output(out_dir) as stage:
            plan = _write_plan(sc, stage, progress=progress, render=render, run=run)
    except OSError as exc:
        raise GeoOutreachError(f"run into {out_dir} stopped: {_os_reason(exc)}") from None
    final = {name: out_dir / name for name in plan.files}
    return dataclasses.replace(plan, out_dir=out_dir, files=final)


def _os_reason(exc: OSError) -> str:
    """Return an OSError as one plain line (what failed, on which file)."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}; check the folder exists, is writable and has space"


def _compute(
    sc: Scenario,
    timer: _Timer,
    out_dir: Path | None,
    files: dict[str, Path],
    jobs: dict[str, _parallel.Job] | None,
    *,
    render: bool = False,
) -> _Stages:
    """Run load, analytics, channels and playbook; write their files into ``out_dir`` if given.

    Issue 14: with ``jobs`` (a dict to fill) and a large run on 2+ cores, the base layers, the
    emerging hot spots, the effect and the visits channels start in worker processes right
    after the load: they need only the loaded data, and only later stages read what they
    write. They are collected where the serial run would have run them, so the files are
    listed in the same order (:meth:`_Timer.finish`; base layers and effect: by the caller).
    With ``render`` the briefing's static maps start in a worker once the channels are
    written (:func:`_start_briefing_maps`).
    """
    with timer("load"):
        data = load_study(sc, progress=timer.progress)  # issue 14: dask partitions
    # what makes validate fail is a warning here: the plan runs, and says so
    warnings = list(data.warnings) + layer_problems(data.inputs) + scenario_warnings(sc, data)
    if out_dir is not None:
        if jobs is not None and len(data.alerts) >= PARALLEL_ALERTS and _parallel.can_fork():
            _start_workers(sc, data, out_dir, timer, jobs)
        else:
            with timer("base layers"):
                files.update(write_base_layers(data, out_dir, sc.output.alerts_parquet))

    with timer("analytics"):
        result = analytics.run_analytics(data, sc.analysis)
        if out_dir is not None:
            files.update(_write_analytics(result, data, out_dir))
    if out_dir is not None:  # issue 13: emerging hot spots (grid x month trend)
        if jobs and "emerging hot spots" in jobs:  # issue 14: ran beside the analytics
            em = timer.finish("emerging hot spots", jobs)
        else:
            with timer("emerging hot spots"):
                em = write_emerging(data.alerts, data.study_area, data.precincts, out_dir)
        files.update({em.name: em} if em is not None else {})

    ch: ChannelsResult | None = None
    if placed_channels(sc):
        with timer("channels"):
            ch = place_channels(sc, data, result)
            if out_dir is not None:
                written = channels.write_channels(ch, out_dir)
                files.update({Path(p).name: Path(p) for p in written})
        if render and jobs and "base layers" in jobs and out_dir and _parallel.can_fork():
            _start_briefing_maps(sc, data, ch, out_dir, timer, files, jobs)
    visit_plans = timer.finish("visits", jobs) if jobs and "visits" in jobs else None
    pb = _run_playbook(sc, data, ch, result.peak_windows, timer, out_dir, files, visit_plans)
    return _Stages(data, result, ch, pb, warnings)


def placed_channels(sc: Scenario) -> list[ChannelConfig]:
    """Return the scenario's channels that get placements (issue 12: visits are not placed)."""
    return [c for c in sc.channels if c.type != "visits"]


def place_channels(sc: Scenario, data: StudyData, result: AnalyticsResult) -> ChannelsResult:
    """Choose the placements of :func:`placed_channels` (the channels stage of plan, validate)."""
    return channels.plan_channels(
        data,
        placed_channels(sc),
        hotspots=result.hotspots,
        peak_windows=result.peak_windows,
        seed=sc.scenario.seed,
    )


def _start_workers(
    sc: Scenario, data: StudyData, out_dir: Path, timer: _Timer, jobs: dict[str, _parallel.Job]
) -> None:
    """Issue 14: start the stages that need only the loaded data in worker processes.

    (The forecast channels' cross-validation, 2.4 CPU s at 1M alerts, was tried here too: on 2
    cores no faster, since these workers already fill the second core while the parent runs the
    analytics and the channels.)
    """
    base = lambda: write_base_layers(data, out_dir, sc.output.alerts_parquet)  # noqa: E731
    timer.start("base layers", base, jobs)
    emerging = lambda: write_emerging(data.alerts, data.study_area, data.precincts, out_dir)  # noqa: E731
    timer.start("emerging hot spots", emerging, jobs)
    if sc.campaign_log is not None:  # reads only the scenario, the data and its log
        timer.start("effect", lambda: _effect_files(sc, data, out_dir, None), jobs)
    if playbook.has_playbook(sc) and any(c.type == "visits" for c in sc.channels):
        visits = lambda: playbook.plan_visit_channels(sc, data.precincts, data.alerts)  # noqa: E731
        timer.start("visits", visits, jobs)  # needs no placement


def _write_plan(
    sc: Scenario, out_dir: Path, *, progress: Progress | None, render: bool, run: dict[str, Any]
) -> Plan:
    """Run the stages and write every file into ``out_dir`` (the staging folder)."""
    timer = _Timer(progress)
    files: dict[str, Path] = {}
    jobs: dict[str, _parallel.Job] = {}
    try:
        return _write_stages(sc, out_dir, timer, files, jobs, render=render, run=run)
    finally:
        for job in jobs.values():  # a stage failed: stop the workers still running
            _parallel.cancel(job)


def _write_stages(
    sc: Scenario,
    out_dir: Path,
    timer: _Timer,
    files: dict[str, Path],
    jobs: dict[str, _parallel.Job],
    *,
    render: bool,
    run: dict[str, Any],
) -> Plan:
    """Run the stages for :func:`_write_plan` (``jobs``: the worker processes it started)."""
    st = _compute(sc, timer, out_dir, files, jobs, render=render)
    data, result, ch = st.data, st.analytics, st.channels
    _collect_base_layers(timer, files, jobs)
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
            "plan_hash": plan_hash(outputs),
            "warnings": st.warnings,
            "run": run,
            **({"playbook": st.playbook.summary} if st.playbook is not None else {}),  # issue 12
        },
    )
    files["manifest.json"] = write_json(out_dir / "manifest.json", manifest)
    if "effect" in jobs:  # issue 14: ran in a worker since the load
        effect, written = timer.finish("effect", jobs)
        files.update(written)
    else:
        effect = _run_effect(sc, data, timer, out_dir, files)  # issue 13: before the one render

    if render:
        langs = sc.output.langs or sc.output.lang
        with timer("render"):
            if timer.workers and _parallel.can_fork():  # issue 14: exports and maps beside
                rendered = _render_beside(sc, data, out_dir, timer, jobs)
            else:
                if "briefing maps" in jobs:  # no fork now: let it end (its PNG is drawn again)
                    timer.finish("briefing maps", jobs)
                folder = load_output_folder(out_dir)  # issue 14: read once, for the exports too
                rendered = render_outputs(folder, basemap=sc.output.basemap, lang=langs)
        if "map" in jobs:  # the maps first, as render_outputs lists them
            rendered = {**timer.finish("map", jobs), **rendered}
        files.update({Path(p).name: Path(p) for p in rendered.values()})
        # issue 11 briefing: outputs.gpkg (QGIS, styled) and placements.xlsx (Excel)
        if "exports" in jobs:
            files.update(timer.finish("exports", jobs))
        else:
            with timer("exports"):
                files.update(write_exports(folder))  # the folder read for the render
        gpkg_note = gpkg_alerts_note(len(data.alerts), files)  # issue 14: big runs, no alert points
        if gpkg_note is not None:
            manifest["outputs_gpkg"] = gpkg_note
    if render or effect is not None:  # the stages timed after the manifest was first written
        manifest["timings_s"] = dict(timer.seconds)
        manifest["timings_cpu_s"] = dict(timer.cpu_seconds)  # issue 14: each stage's process
        if timer.workers:  # issue 14: the stages run in worker processes, and beside what
            manifest["timings_overlap"] = timer.overlaps()
        files["manifest.json"] = write_json(out_dir / "manifest.json", manifest)
    return Plan(
        scenario=sc,
        data=data,
        analytics=result,
        channels=ch,
        out_dir=out_dir,
        files=files,
        manifest=manifest,
        playbook=st.playbook,
        effect=effect,
    )


def _collect_base_layers(
    timer: _Timer, files: dict[str, Path], jobs: dict[str, _parallel.Job]
) -> None:
    """Issue 14: wait for the base layers' worker; its files first, as the serial run lists them."""
    if "base layers" in jobs:
        base = timer.finish("base layers", jobs)
        files_now = dict(files)
        files.clear()
        files.update({**base, **files_now})


def _start_briefing_maps(
    sc: Scenario,
    data: StudyData,
    ch: ChannelsResult,
    out_dir: Path,
    timer: _Timer,
    files: dict[str, Path],
    jobs: dict[str, _parallel.Job],
) -> None:
    """Issue 14: draw the briefing's static maps in a worker while the playbook runs.

    They need the layers (the base layers' streets: collected first) and the manifest's title,
    period, notes and channels: the worker builds them with :func:`build_manifest`, as the
    manifest written later holds them. :func:`_render_beside` collects the maps.
    """
    _collect_base_layers(timer, files, jobs)
    langs = sc.output.langs or sc.output.lang

    def draw() -> dict[str, Any]:
        manifest = build_manifest(sc, data, timings={}, channels=ch.summaries)
        # as manifest.json will hold it (write_json): sorted keys (the channels' order and
        # colours on the map), JSON types
        manifest = json.loads(json.dumps(manifest, sort_keys=True, default=str))
        return draw_briefing_maps_early(out_dir, manifest, lang=langs)

    timer.start("briefing maps", draw, jobs, nice=0)  # the render waits for it: not nicer


def _render_beside(
    sc: Scenario, data: StudyData, out_dir: Path, timer: _Timer, jobs: dict[str, _parallel.Job]
) -> dict[str, Path]:
    """Issue 14: the briefing here while worker processes draw the web maps and the exports.

    Only the map worker reads ``alerts.csv`` (the briefing needs its row count, the exports
    leave the alert points out above ``GPKG_MAX_ALERT_POINTS``). Returns the briefing files.
    """
    # the files were hashed into manifest.json by this run a moment ago: not checked again
    folder = load_output_folder(out_dir, alerts=False, verify=False)
    folder = dataclasses.replace(folder, alert_rows=len(data.alerts))  # the rows it holds
    langs = sc.output.langs or sc.output.lang
    few = len(data.alerts) <= GPKG_MAX_ALERT_POINTS
    timer.start("exports", lambda: write_exports(with_alerts(folder) if few else folder), jobs)
    # above MAX_ALERT_POINTS the map draws grid totals: it needs the alerts' lon/lat only
    alerts = with_alerts if len(data.alerts) <= MAX_ALERT_POINTS else with_alert_lonlat
    maps = lambda: render_maps(alerts(folder), basemap=sc.output.basemap, lang=langs)  # noqa: E731
    timer.start("map", maps, jobs, nice=0)  # the longest render job: the plan ends with it
    if "briefing maps" not in jobs:
        return render_briefings(folder, lang=langs)
    # the page is built while the worker still draws its maps
    return render_briefings(folder, lang=langs, drawn=lambda: timer.finish("briefing maps", jobs))


def _run_effect(
    sc: Scenario, data: StudyData, timer: _Timer, out_dir: Path, files: dict[str, Path]
) -> EffectResult | None:
    """Issue 13: the effect of the scenario's ``[campaign_log]`` (``None`` without one).

    Writes the effect files and chart next to the plan, before the map and briefing are
    rendered (issue 14: rendered once, not again after the effect), reusing the plan's layers.
    """
    if sc.campaign_log is None:
        return None
    with timer("effect"):
        res, written = _effect_files(sc, data, out_dir, timer.progress)
        files.update(written)
    return res


def _effect_files(
    sc: Scenario, data: StudyData, out_dir: Path, progress: Progress | None
) -> tuple[EffectResult, dict[str, Path]]:
    """Estimate the effect of the scenario's campaign log; write its files and chart."""
    from geo_outreach.effect.run import run_effect, scenario_log, write_effect

    src = scenario_log(sc)
    if src is None:  # pragma: no cover - callers check first
        raise GeoOutreachError("the scenario has no [campaign_log]")
    res = run_effect(sc, src, progress=progress, study=data)
    written = write_effect(res, out_dir)
    langs = sc.output.langs or (sc.output.lang,)
    written.append(write_effect_chart(out_dir, lang=langs[0]))
    return res, {Path(p).name: Path(p) for p in written}


def _run_playbook(
    sc: Scenario,
    data: StudyData,
    ch: ChannelsResult | None,
    peak_windows: list[dict[str, Any]],
    timer: _Timer,
    out_dir: Path | None,
    files: dict[str, Path],
    visit_plans: playbook.VisitPlans | None = None,
) -> PlaybookResult | None:
    """Issue 12: materials, calendar and visits after the channels (written when ``out_dir``).

    The patrol calendar uses ``peak_windows``, the same windows the patrol route and the
    manifest show. ``visit_plans``: the visits channels, already planned in a worker process
    (issue 14).
    """
    if not playbook.has_playbook(sc):
        return None
    with timer("playbook"):
        placements = ch.placements if ch is not None else data.venues.iloc[:0].assign(channel="")
        pb = playbook.run_playbook(
            sc,
            data.precincts,
            data.alerts,
            placements,
            peak_windows=peak_windows,
            visit_plans=visit_plans,
        )
        if out_dir is not None:
            for p in playbook.write_playbook(pb, sc, out_dir):
                files[Path(p).relative_to(out_dir).as_posix()] = Path(p)
    return pb


def scenario_warnings(sc: Scenario, data: StudyData) -> list[str]:
    """Return the scenario's warnings that need the data (weight keys matching no alert)."""
    alerts = data.alerts
    # issue 14: the distinct values only (the check builds a set of them; 1M alerts ~5 s)
    categories = alerts["category"].astype(str).unique() if "category" in alerts else []
    ages = alerts["age_band"].astype(str).unique() if "age_band" in alerts else []
    return weight_key_warnings(sc, categories, ages)


def _write_analytics(result: AnalyticsResult, data: StudyData, out_dir: Path) -> dict[str, Path]:
    """Write the analytics files and ``precincts.geojson`` (polygons + statistics columns)."""
    files = {Path(p).name: Path(p) for p in analytics.write_analytics(result, out_dir)}
    stats = result.precinct_stats
    stats_cols = [c for c in stats.columns if c not in ("name", "population", "area_km2")]
    precincts = data.precincts.merge(stats[stats_cols], on="precinct_id", how="left")
    files["precincts.geojson"] = write_output(out_dir, "precincts.geojson", precincts)
    return files


# --------------------------------------------------------------------------- validate (#10)

#: Layers whose rows are counted by ``validate`` (the street graph's nodes are not rows).
ROW_LAYERS = ("precincts", "alerts", "venues")
#: ``validate`` fails when fewer than this share of a layer's rows load.
MIN_LOADED_SHARE = 0.01


def layer_problems(inputs: tuple[dict[str, Any], ...]) -> list[str]:
    """Return a problem per layer that loads no usable row, or fewer than 1% of its rows."""
    problems = []
    for rec in inputs:
        if rec.get("layer") not in ROW_LAYERS:
            continue
        loaded, rejected = int(rec["rows_loaded"]), int(rec["rows_rejected"])
        total = loaded + rejected
        where = f"{rec['layer']} ({rec['path']})"
        if loaded == 0:
            problems.append(
                f"{where}: no usable row of {total}; see the rejected rows (validate --rejects 20)"
            )
        elif loaded < MIN_LOADED_SHARE * total:
            problems.append(
                f"{where}: only {loaded} of {total} rows load (under 1%); the columns or the "
                "datum are probably wrong: see the rejected rows (validate --rejects 20)"
            )
    return problems
