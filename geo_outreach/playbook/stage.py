"""Run the playbook stage after the channels: :func:`run_playbook`, :func:`write_playbook`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_outreach._validate import columns_of
from geo_outreach.outputs import write_output
from geo_outreach.playbook.grid import GRID_COLUMNS, VISIT_COLUMNS, plan_grid_visits
from geo_outreach.hotspots import peak_windows as compute_peak_windows
from geo_outreach.playbook.materials import (
    MATERIAL_COLUMNS,
    materials_by_precinct,
    plan_materials,
)
from geo_outreach.playbook.notes import Note, note, note_text
from geo_outreach.playbook.schedule import (
    Slot,
    calendar_events,
    calendar_table,
    channel_slots,
    write_ics,
)
from geo_outreach.playbook.visits import (
    SCHEDULE_COLUMNS,
    check_visits_channel,
    plan_visits,
    write_station_calendars,
)
from geo_outreach.scenario import Scenario

#: Campaign length (weeks) for grid-visit capacity when the scenario has no ``campaign``.
DEFAULT_WEEKS = 4


@dataclass(frozen=True)
class PlaybookResult:
    """Materials, calendar and visits (issue 12).

    Attributes
    ----------
    materials
        ``materials.csv`` rows (quantity per site of every channel with a stock).
    by_precinct
        ``materials_by_precinct.csv`` rows (sites and material per precinct and channel).
    calendar
        ``calendar.csv`` rows (weekly slot per placement channel, key dates).
    slots
        The recommended slots.
    schedule
        ``visit_schedule.csv`` rows (firm and school visits).
    visits
        ``visits.csv`` rows (grid visits to elderly residents).
    grid
        ``visit_grid.geojson`` (both grids, community cells scored; working CRS).
    notes
        Shortfalls and labels in plain language (English).
    note_items
        The same notes as message keys + values (:mod:`.notes`), shown in the briefing's
        language.
    summary
        Counts for manifest.json and the briefing.
    """

    materials: pd.DataFrame
    by_precinct: pd.DataFrame
    calendar: pd.DataFrame
    slots: tuple[Slot, ...]
    schedule: pd.DataFrame
    visits: pd.DataFrame
    grid: gpd.GeoDataFrame
    notes: tuple[str, ...]
    note_items: tuple[Note, ...]
    summary: dict[str, Any]


def campaign_weeks(sc: Scenario) -> int:
    """Whole weeks of the campaign (at least 1); :data:`DEFAULT_WEEKS` without a campaign."""
    if sc.campaign is None:
        return DEFAULT_WEEKS
    return max(1, math.ceil(((sc.campaign.end - sc.campaign.start).days + 1) / 7))


def has_playbook(sc: Scenario) -> bool:
    """Return True when the scenario asks for any playbook output."""
    return bool(
        sc.campaign is not None
        or sc.key_dates
        or any(c.type == "visits" or c.stock > 0 for c in sc.channels)
    )


@dataclass(frozen=True)
class VisitPlans:
    """The visits channels' plans (:func:`plan_visit_channels`): they need no placement."""

    schedules: list[pd.DataFrame]
    visits: list[pd.DataFrame]
    grids: list[gpd.GeoDataFrame]
    notes: list[Note]


def plan_visit_channels(
    sc: Scenario, precincts: gpd.GeoDataFrame, alerts: gpd.GeoDataFrame
) -> VisitPlans:
    """Plan the firm/school visits and the elderly grid visits of ``sc``'s visits channels.

    Issue 14: they depend on the layers only, not on the placements, so ``plan`` can run
    them beside the channels stage (in a worker process) and hand them to :func:`run_playbook`.
    """
    tz = sc.scenario.timezone
    schedules, visit_frames, grids = [], [], []
    notes: list[Note] = []
    weeks = campaign_weeks(sc)
    if sc.campaign is None and any(c.residents is not None for c in sc.channels):
        notes.append(note("pbn_no_campaign", weeks=weeks))
    for ch in sc.channels:
        if ch.type != "visits":
            continue
        check_visits_channel(ch)
        if ch.firms is not None or ch.schools is not None:
            vp = plan_visits(ch, precincts, alerts, tz)
            schedules.append(vp.schedule)
            notes += vp.items
        if ch.residents is not None:
            gv = plan_grid_visits(ch, precincts, alerts, weeks)
            visit_frames.append(gv.visits)
            grids.append(gv.cells)
            notes += gv.items
    return VisitPlans(schedules, visit_frames, grids, notes)


def run_playbook(
    sc: Scenario, precincts: gpd.GeoDataFrame, alerts: gpd.GeoDataFrame,
    placements: gpd.GeoDataFrame, *, peak_windows: Sequence[dict[str, Any]] | None = None,
    visit_plans: VisitPlans | None = None,
) -> PlaybookResult:  # fmt: skip
    """Plan materials, the calendar and the visits of scenario ``sc``.

    Parameters
    ----------
    sc
        The scenario (channels, ``campaign``, ``key_dates``).
    precincts, alerts
        The study's layers (working CRS).
    placements
        The channels stage's placements (working CRS).
    peak_windows
        The plan's peak windows (``manifest.json`` ``peak_windows``, the ones the patrol route
        shows); computed from ``alerts`` by the same function when not given.
    visit_plans
        :func:`plan_visit_channels` already run (issue 14: beside the channels stage);
        planned here when not given.

    Returns
    -------
    PlaybookResult
    """
    tz = sc.scenario.timezone
    placing = [c for c in sc.channels if c.type != "visits"]
    materials = plan_materials(placing, placements)
    by_precinct = materials_by_precinct(placing, placements, materials, precincts)
    if peak_windows is None and any(c.type == "patrol" for c in placing):
        peak_windows = compute_peak_windows(alerts) if len(alerts) else []
    slots = tuple(channel_slots(placing, placements, alerts, tz, peak_windows))
    calendar = calendar_table(slots, sc.campaign, sc.key_dates, tz)
    part = visit_plans if visit_plans is not None else plan_visit_channels(sc, precincts, alerts)
    schedules, visit_frames, grids, notes = part.schedules, part.visits, part.grids, part.notes
    schedule = pd.concat(schedules, ignore_index=True) if schedules else _empty(SCHEDULE_COLUMNS)
    visits = pd.concat(visit_frames, ignore_index=True) if visit_frames else _empty(VISIT_COLUMNS)
    grid = (
        gpd.GeoDataFrame(pd.concat(grids, ignore_index=True), geometry="geometry", crs=alerts.crs)
        if grids
        else gpd.GeoDataFrame({c: [] for c in GRID_COLUMNS}, geometry=[], crs=alerts.crs)
    )
    texts = [note_text(n, "en") for n in notes]
    return PlaybookResult(
        materials=materials,
        by_precinct=by_precinct,
        calendar=calendar,
        slots=slots,
        schedule=schedule,
        visits=visits,
        grid=grid,
        notes=tuple(texts),
        note_items=tuple(notes),
        summary=_summary(materials, schedule, visits, grid, texts)
        | {"labels": {c.name: c.label or c.name for c in sc.channels}, "note_items": notes}
        | {"sites_per_precinct": _per_precinct(by_precinct)},
    )


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


def _summary(
    materials: pd.DataFrame, schedule: pd.DataFrame, visits: pd.DataFrame,
    grid: gpd.GeoDataFrame, notes: list[str],
) -> dict[str, Any]:  # fmt: skip
    done = schedule[schedule["status"] == "scheduled"]
    return {
        "materials_sites": len(materials),
        "materials_total": int(materials["quantity"].sum()) if len(materials) else 0,
        "targets": len(schedule),
        "targets_scheduled": len(done),
        "targets_shortfall": int((schedule["status"] != "scheduled").sum()),
        "scheduled_per_station": {
            str(c): {str(k): int(v) for k, v in g.groupby("station_id").size().items()}
            for c, g in done.groupby("channel", sort=True)
        },
        "cells_scored": int((grid["role"] == "community").sum()) if len(grid) else 0,
        "households_scheduled": int(visits["households"].sum()) if len(visits) else 0,
        "visit_shortfall_rows": int((visits["status"] != "scheduled").sum()) if len(visits) else 0,
        "notes": list(notes),
    }


def _per_precinct(by_precinct: pd.DataFrame) -> dict[str, dict[str, int]]:
    """``{channel: {precinct_id: sites}}`` of the precincts with sites (manifest summary)."""
    got = by_precinct[by_precinct["sites"] > 0]
    return {
        str(c): {str(k): int(v) for k, v in zip(g["precinct_id"], g["sites"], strict=True)}
        for c, g in got.groupby("channel", sort=False)
    }


def write_playbook(result: PlaybookResult, sc: Scenario, out_dir: str | Path) -> list[Path]:
    """Write the playbook's files into ``out_dir``.

    Files: calendar.csv, calendar.ics (with a campaign), and when they have rows materials.csv,
    materials_by_precinct.csv,
    visit_schedule.csv (+ ``visit_calendars/<channel>_<station>.ics``), visits.csv and
    visit_grid.geojson.

    Returns
    -------
    list of pathlib.Path
        The paths written.
    """
    out = Path(out_dir)
    paths = [write_output(out, "calendar.csv", result.calendar)]
    if len(result.materials):
        paths.append(write_output(out, "materials.csv", result.materials[MATERIAL_COLUMNS]))
    if len(result.by_precinct):
        paths.append(write_output(out, "materials_by_precinct.csv", result.by_precinct))
    if sc.campaign is not None:
        events = calendar_events(result.slots, sc.campaign, sc.key_dates, sc.scenario.timezone)
        title = sc.scenario.title or sc.scenario.name
        paths.append(write_ics(out / "calendar.ics", events, name=title))
    if len(result.schedule):
        paths.append(write_output(out, "visit_schedule.csv", result.schedule))
        label = {c.name: c.label or c.name for c in sc.channels}
        for ch, grp in result.schedule.groupby("channel", sort=True):
            paths += write_station_calendars(grp, out, label[str(ch)], sc.scenario.timezone)
    if len(result.visits):
        paths.append(write_output(out, "visits.csv", result.visits[columns_of("visits.csv")]))
        paths.append(write_output(out, "visit_grid.geojson", result.grid))
    return paths
