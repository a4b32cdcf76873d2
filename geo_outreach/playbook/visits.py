"""Enterprise and school visits by the community police (``type = "visits"`` + firms/schools).

Each firm (or school) goes to the station of the precinct it lies in. Its exposure is the
density of targeted alerts near it (alerts within ``radius_m``, weighted by the channel's
``category_weights``; only the listed categories count when weights are given) per km², times
its size (employees or students). Each station visits its firms in order of exposure, one
``visit_minutes`` slot after another from the first working hour (none overlapping the
``lunch`` break), at most ``daily_capacity`` a day, on the ``weekdays`` (Monday-Friday by
default) from ``window_start`` to ``window_end`` except the ``skip_dates`` (public holidays).
What does not fit is listed with ``status = "shortfall"`` and a note giving the shortfall and
the capacity that would fit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo_outreach._errors import InputDataError, ScenarioError
from geo_outreach._validate import OUTSIDE, columns_of
from geo_outreach.join import assign_precincts
from geo_outreach.playbook.notes import Note, note, note_text
from geo_outreach.playbook.schedule import write_ics
from geo_outreach.playbook.tables import read_targets
from geo_outreach.scenario import ChannelConfig
from geo_outreach.stats import weights_per_value

SCHEDULE_COLUMNS = columns_of("visit_schedule.csv")


@dataclass(frozen=True)
class VisitPlan:
    """The visit schedule of one visits channel.

    Attributes
    ----------
    schedule
        :data:`SCHEDULE_COLUMNS`, one row per firm/school (``status`` scheduled, shortfall or
        outside).
    notes
        Plain-language notes (shortfalls, firms outside every precinct), in English.
    items
        The same notes as message keys + values (:mod:`.notes`), for the briefing's language.
    """

    schedule: pd.DataFrame
    notes: tuple[str, ...]
    items: tuple[Note, ...] = ()


def exposure(targets: gpd.GeoDataFrame, alerts: gpd.GeoDataFrame, ch: ChannelConfig) -> np.ndarray:
    """Targeted alert density near each target (per km², within ``radius_m``) x its size."""
    if len(targets) == 0:
        return np.zeros(0)
    w = np.ones(len(alerts))
    if ch.category_weights:
        w = weights_per_value(alerts["category"], ch.category_weights, 0.0)  # issue 14
    keep = w > 0
    area_km2 = math.pi * (ch.radius_m / 1000.0) ** 2
    dens = np.zeros(len(targets))
    if keep.any():
        a = alerts[keep]
        tree = cKDTree(np.column_stack([a.geometry.x, a.geometry.y]))
        near = tree.query_ball_point(
            np.column_stack([targets.geometry.x, targets.geometry.y]), r=ch.radius_m
        )
        wk = w[keep]
        dens = np.array([wk[idx].sum() for idx in near]) / area_km2
    return np.asarray(dens * targets["size"].to_numpy(dtype=float))


def _window(ch: ChannelConfig) -> tuple[dt.date, dt.date]:
    if ch.window_start is None or ch.window_end is None:
        raise ScenarioError(
            f"channels.{ch.name} (visits) needs window_start and window_end, e.g. "
            "window_start = 2026-06-15 and window_end = 2026-06-24"
        )
    if ch.window_end < ch.window_start:
        raise ScenarioError(f"channels.{ch.name}.window_end is before window_start")
    return ch.window_start, ch.window_end


def lunch_break(ch: ChannelConfig) -> tuple[int, int] | None:
    """Return the lunch break in minutes after midnight (``lunch = "12:00-14:00"``), or None.

    An empty ``lunch = ""`` means no break.
    """
    text = ch.lunch.strip()
    if not text:
        return None
    try:
        a, b = (dt.time.fromisoformat(x.strip()) for x in text.split("-"))
    except ValueError:
        raise ScenarioError(
            f"channels.{ch.name}.lunch = {ch.lunch!r} is not a time range; write it like "
            '"12:00-14:00" (or "" for no lunch break)'
        ) from None
    start, end = a.hour * 60 + a.minute, b.hour * 60 + b.minute
    if end <= start:
        raise ScenarioError(
            f"channels.{ch.name}.lunch = {ch.lunch!r}: the end is not after the start"
        )
    return start, end


def day_slots(ch: ChannelConfig) -> list[dt.time]:
    """Visit start times in one working day (``work_hours``, ``visit_minutes``, capacity).

    Visits follow each other from the first working hour; one that would overlap the lunch
    break starts when the break ends instead, and none ends after the last working hour.
    """
    if len(ch.work_hours) != 2 or not 0 <= ch.work_hours[0] < ch.work_hours[1] <= 24:
        raise ScenarioError(f"channels.{ch.name}.work_hours must be [start, end], e.g. [9, 17]")
    if ch.visit_minutes <= 0 or ch.daily_capacity < 1:
        raise ScenarioError(f"channels.{ch.name}: visit_minutes and daily_capacity must be > 0")
    lunch = lunch_break(ch)
    t, end = ch.work_hours[0] * 60, ch.work_hours[1] * 60
    out: list[dt.time] = []
    while len(out) < ch.daily_capacity:
        if lunch is not None and t < lunch[1] and t + ch.visit_minutes > lunch[0]:
            t = max(t, lunch[1])  # would overlap the break: start after it
            continue
        if t + ch.visit_minutes > end:
            break
        out.append(dt.time(*divmod(t, 60)))
        t += ch.visit_minutes
    return out


def working_days(ch: ChannelConfig) -> list[dt.date]:
    """Return the window's visiting days (on ``weekdays``, not in ``skip_dates``)."""
    first, last = _window(ch)
    bad = sorted(set(ch.weekdays) - set(range(1, 8)))
    if bad or not ch.weekdays:
        raise ScenarioError(
            f"channels.{ch.name}.weekdays = {list(ch.weekdays)}: list ISO weekdays 1 (Monday) to "
            "7 (Sunday), e.g. weekdays = [1, 2, 3, 4, 5]"
        )
    skip = set(ch.skip_dates)
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    days = [d for d in days if d.isoweekday() in ch.weekdays and d not in skip]
    if not days:
        raise ScenarioError(
            f"channels.{ch.name}: no working day between {first} and {last} (weekdays = "
            f"{list(ch.weekdays)}, {len(skip)} skip_dates); widen the window or allow more weekdays"
        )
    return days


def schedule_station(
    n: int, days: Sequence[dt.date], slots: Sequence[dt.time]
) -> list[tuple[dt.date, dt.time] | None]:
    """Day and time of the ``n`` visits of one station, in order; ``None`` past capacity."""
    cells = [(d, t) for d in days for t in slots]
    return [cells[i] if i < len(cells) else None for i in range(n)]


def _target_table(ch: ChannelConfig) -> tuple[Path, str]:
    if ch.firms is not None:
        return ch.firms, "firm"
    if ch.schools is not None:
        return ch.schools, "school"
    raise ScenarioError(
        f"channels.{ch.name} (visits) needs a firms, schools or residents table"
    )  # pragma: no cover - checked by the caller


def plan_visits(
    ch: ChannelConfig,
    precincts: gpd.GeoDataFrame,
    alerts: gpd.GeoDataFrame,
    timezone: str,
) -> VisitPlan:
    """Assign, order and schedule the firm or school visits of channel ``ch``.

    Parameters
    ----------
    ch
        A ``type = "visits"`` channel with ``firms`` or ``schools``, a window, capacity.
    precincts, alerts
        The study's layers (working CRS).
    timezone
        The scenario time zone (visit times are local).

    Returns
    -------
    VisitPlan
    """
    path, kind = _target_table(ch)
    targets = read_targets(path, kind, precincts.crs).reset_index(drop=True)
    targets["station_id"] = assign_precincts(targets, precincts).to_numpy()
    targets["exposure"] = exposure(targets, alerts, ch)
    first, last = _window(ch)
    days = working_days(ch)
    slots = day_slots(ch)
    names = dict(zip(precincts["precinct_id"].astype(str), precincts["name"].astype(str)))
    tz = ZoneInfo(timezone)
    ll = targets.geometry.to_crs("EPSG:4326")
    targets["lon"], targets["lat"] = np.round(ll.x, 6), np.round(ll.y, 6)
    rows: list[dict[str, object]] = []
    notes: list[Note] = []
    label = ch.label or ch.name
    for station, grp in targets.groupby("station_id", sort=True):
        grp = grp.sort_values(["exposure", "target_id"], ascending=[False, True], kind="stable")
        placed = (
            schedule_station(len(grp), days, slots) if station != OUTSIDE else [None] * len(grp)
        )
        short = sum(p is None for p in placed)
        if station == OUTSIDE:
            ids = grp["target_id"].tolist()[:5]
            notes.append(
                note(f"pbn_outside_{kind}", label=label, channel=ch.name, n=len(grp), ids=ids)
            )
        elif short:
            notes.append(
                note(
                    f"pbn_short_{kind}", label=label, channel=ch.name,
                    station=names.get(str(station), station), n=len(grp),
                    slots=len(days) * len(slots), days=len(days), first=first, last=last,
                    short=short, need=math.ceil(len(grp) / len(days)),
                )
            )  # fmt: skip
        for order, ((_, r), p) in enumerate(zip(grp.iterrows(), placed, strict=True), start=1):
            start = end = date = ""
            if p is not None:
                t0 = dt.datetime.combine(p[0], p[1], tz)
                date = p[0].isoformat()
                start = t0.isoformat()
                end = (t0 + dt.timedelta(minutes=ch.visit_minutes)).isoformat()
            status = "outside" if station == OUTSIDE else ("scheduled" if p else "shortfall")
            rows.append(
                {
                    "channel": ch.name,
                    "station_id": str(station),
                    "station": names.get(str(station), ""),
                    "order": order,
                    "target_id": r["target_id"],
                    "target": r["target"],
                    "kind": kind,
                    "employees": int(r["size"]),
                    "exposure": round(float(r["exposure"]), 3),
                    "date": date,
                    "start": start,
                    "end": end,
                    "status": status,
                    "lon": r["lon"],
                    "lat": r["lat"],
                }
            )
    return VisitPlan(
        pd.DataFrame(rows, columns=SCHEDULE_COLUMNS),
        tuple(note_text(n, "en") for n in notes),
        tuple(notes),
    )


def write_station_calendars(
    schedule: pd.DataFrame, out_dir: Path, label: str, timezone: str = "Asia/Shanghai"
) -> list[Path]:
    """Write one ``visit_calendars/<channel>_<station_id>.ics`` per station with visits."""
    tz = ZoneInfo(timezone)
    done = schedule[schedule["status"] == "scheduled"]
    paths = []
    for (channel, station), grp in done.groupby(["channel", "station_id"], sort=True):
        events: list[dict[str, object]] = [
            {
                "uid": f"visit-{channel}-{r.target_id}@geo-outreach",
                "summary": f"{label}：{r.target}",
                "dtstart": dt.datetime.fromisoformat(str(r.start)).astimezone(tz),
                "dtend": dt.datetime.fromisoformat(str(r.end)).astimezone(tz),
                "location": f"{r.target} ({r.lat}, {r.lon} WGS84)",
                "description": f"走访顺序 {r.order}；暴露指数 {r.exposure}",
            }
            for r in grp.itertuples()
        ]
        name = f"{grp['station'].iloc[0]} {label}"
        path = out_dir / "visit_calendars" / f"{channel}_{station}.ics"
        paths.append(write_ics(path, events, name=name))
    return paths


def check_visits_channel(ch: ChannelConfig) -> None:
    """Refuse a visits channel without any table to plan from."""
    if ch.firms is None and ch.schools is None and ch.residents is None:
        raise InputDataError(
            f'channels.{ch.name} has type = "visits" but no firms, schools or residents table; '
            'add one (e.g. firms = "firms.csv")'
        )
