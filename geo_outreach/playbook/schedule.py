"""When to hold events: recommended weekly slots per channel and the campaign calendar.

For each placement channel the alerts its chosen sites reach (straight-line ``radius_m``,
weighted by the channel's category and age weights) are binned by weekday and hour (scenario
time zone); the recommended slot is the busiest ``hours``-long window of the day and the three
busiest weekdays in it. A patrol channel instead takes the plan's peak windows (one slot
each, the windows its route shows, :func:`geo_outreach.hotspots.peak_windows`; ``kind = peak``
in ``calendar.csv``). Over the scenario's ``campaign = {start, end}`` each slot repeats weekly;
``[[key_dates]]`` (e.g. a trade fair) are added as all-day events. ``calendar.csv`` lists them,
``calendar.ics`` (written with the ``icalendar`` package) imports into phones.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo_outreach._validate import columns_of
from geo_outreach.outputs import atomic_write
from geo_outreach.scenario import Campaign, ChannelConfig, KeyDate
from geo_outreach.stats import weights_per_value

CALENDAR_COLUMNS = columns_of("calendar.csv")
#: iCalendar weekday codes, Monday first (pandas ``day_of_week`` order).
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
SLOT_HOURS = 2
N_WEEKDAYS = 3


@dataclass(frozen=True)
class Slot:
    """A recommended weekly slot of one channel.

    Attributes
    ----------
    channel, label
        The channel.
    weekdays
        iCalendar codes of the chosen weekdays (``("FR", "SA", "SU")``).
    start_hour
        First hour of the window (local time); the window lasts :data:`SLOT_HOURS` hours.
    share
        Share of the channel's reached alert weight that falls in the slot.
    alerts
        Number of alerts the channel's sites reach (for a ``peak`` slot: in the window).
    hours
        Length of the window in hours.
    source
        ``reached`` (from the alerts the sites reach) or ``peak`` (a patrol channel's peak
        window, computed once for the whole plan by :func:`geo_outreach.hotspots.peak_windows`;
        ``share`` is then of all alerts).
    """

    channel: str
    label: str
    weekdays: tuple[str, ...]
    start_hour: int
    share: float
    alerts: int
    hours: int = SLOT_HOURS
    source: str = "reached"


def _weights(ch: ChannelConfig, alerts: pd.DataFrame) -> np.ndarray:
    w = np.ones(len(alerts))
    if ch.category_weights:
        w *= weights_per_value(alerts["category"], ch.category_weights, 1.0)  # issue 14
    if ch.age_weights:
        w *= weights_per_value(alerts["age_band"], ch.age_weights, 1.0)
    return w


def alert_xy(alerts: gpd.GeoDataFrame) -> np.ndarray:
    """Return the alerts' point coordinates, n x 2 (NaN for an empty point, as ``geometry.x``)."""
    g = alerts.geometry.values
    return np.column_stack([shapely.get_x(g), shapely.get_y(g)])


def reached_alerts(
    alerts: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    radius_m: float,
    xy: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of the alerts within ``radius_m`` (straight line) of any site (working CRS).

    ``xy``: the alerts' coordinates (n x 2) when the caller has them (issue 14: read once for
    every channel, not once per channel). Only the alerts in the sites' bounding box grown by
    the radius are measured (the others are farther on one axis alone); each is measured as
    before, so the mask is the same.
    """
    if len(alerts) == 0 or len(sites) == 0:
        return np.zeros(len(alerts), dtype=bool)
    pts = alert_xy(alerts) if xy is None else xy
    at = np.column_stack([sites.geometry.x, sites.geometry.y])
    pad = radius_m * (1.0 + 1e-9) + 1e-6  # a margin: no rounding can put a point left out inside
    box = ((pts >= at.min(axis=0) - pad) & (pts <= at.max(axis=0) + pad)).all(axis=1)
    near = np.flatnonzero(box)
    mask = np.zeros(len(alerts), dtype=bool)
    if len(near):
        d, _ = cKDTree(at).query(pts[near], k=1)
        mask[near] = d <= radius_m
    return mask


def best_slot(
    ch: ChannelConfig, alerts: pd.DataFrame, timezone: str, *, hours: int = SLOT_HOURS
) -> Slot:
    """Find the busiest ``hours``-long daily window and its three busiest weekdays for ``alerts``.

    Parameters
    ----------
    ch
        The channel (name, label and weights).
    alerts
        The alerts it reaches (``reported_at`` tz-aware, ``category``, ``age_band``).
    timezone
        The scenario time zone (hours are local).
    hours
        Window length.

    Returns
    -------
    Slot
        With ``share = 0`` and an evening default (19:00, Fri-Sun) when there are no alerts.
    """
    if len(alerts) == 0:
        return Slot(ch.name, ch.label or ch.name, ("FR", "SA", "SU"), 19, 0.0, 0)
    t = alerts["reported_at"].dt.tz_convert(timezone)
    grid = np.zeros((7, 24))
    np.add.at(grid, (t.dt.day_of_week.to_numpy(), t.dt.hour.to_numpy()), _weights(ch, alerts))
    by_hour = grid.sum(axis=0)
    window = np.array([by_hour[[(h + k) % 24 for k in range(hours)]].sum() for h in range(24)])
    # ties: the window that starts at the busier hour, then the earlier one
    start = max(
        range(24), key=lambda h: (round(float(window[h]), 9), round(float(by_hour[h]), 9), -h)
    )
    cols = [(start + k) % 24 for k in range(hours)]
    per_day = grid[:, cols].sum(axis=1)
    days = sorted(np.argsort(-per_day, kind="stable")[:N_WEEKDAYS].tolist())
    share = float(per_day[days].sum() / grid.sum()) if grid.sum() > 0 else 0.0
    return Slot(
        ch.name, ch.label or ch.name, tuple(WEEKDAYS[d] for d in days), start, share, len(alerts)
    )


def peak_slots(ch: ChannelConfig, peak_windows: Sequence[dict[str, Any]]) -> list[Slot]:
    """Return a patrol channel's slots: one per peak window (the windows its route shows).

    Parameters
    ----------
    ch
        The patrol channel.
    peak_windows
        ``manifest.json`` ``peak_windows`` (dicts with ``weekdays`` (0 = Monday),
        ``start_hour``, ``end_hour``, ``alerts``, ``share``), best first.

    Returns
    -------
    list of Slot
        Empty without windows.
    """
    out = []
    for w in peak_windows:
        days = tuple(WEEKDAYS[int(d)] for d in w.get("weekdays", []) if 0 <= int(d) < 7)
        start, end = int(w["start_hour"]), int(w["end_hour"])
        if not days or end <= start:
            continue
        out.append(
            Slot(ch.name, ch.label or ch.name, days, start, float(w.get("share", 0.0)),
                 int(w.get("alerts", 0)), hours=end - start, source="peak")
        )  # fmt: skip
    return out


def channel_slots(
    channels: Sequence[ChannelConfig],
    placements: gpd.GeoDataFrame,
    alerts: gpd.GeoDataFrame,
    timezone: str,
    peak_windows: Sequence[dict[str, Any]] | None = None,
) -> list[Slot]:
    """Slots per placement channel: from the alerts its sites reach; patrols: the peak windows.

    A patrol channel takes ``peak_windows`` (the windows its route was given) when there are
    any; without them it falls back to the reached alerts like the other channels.
    """
    slots = []
    xy = alert_xy(alerts)  # issue 14: once, not per channel
    for ch in channels:
        if ch.type == "visits":
            continue
        if ch.type == "patrol" and peak_windows:
            peaks = peak_slots(ch, peak_windows)
            if peaks:
                slots += peaks
                continue
        sites = placements[placements["channel"].astype(str) == ch.name]
        mask = reached_alerts(alerts, sites, ch.radius_m, xy)
        slots.append(best_slot(ch, alerts[mask], timezone))
    return slots


def _hours(slot: Slot) -> str:
    return f"{slot.start_hour:02d}:00-{(slot.start_hour + slot.hours) % 24:02d}:00"


def _first_day(start: dt.date, weekdays: Sequence[str]) -> dt.date:
    for k in range(7):
        d = start + dt.timedelta(days=k)
        if WEEKDAYS[d.weekday()] in weekdays:
            return d
    return start  # pragma: no cover - weekdays is never empty


def calendar_table(
    slots: Sequence[Slot],
    campaign: Campaign | None,
    key_dates: Sequence[KeyDate],
    timezone: str,
) -> pd.DataFrame:
    """``calendar.csv``: one ``slot`` row per channel and one ``key_date`` row per key date.

    A slot's ``start``/``end`` are its first occurrence in the campaign (ISO, local time;
    blank without a campaign); it repeats weekly on ``weekdays`` until the campaign ends.
    """
    tz = ZoneInfo(timezone)
    rows = []
    for s in slots:
        start = end = ""
        if campaign is not None:
            day = _first_day(campaign.start, s.weekdays)
            t0 = dt.datetime.combine(day, dt.time(s.start_hour), tz)
            start = t0.isoformat()
            end = (t0 + dt.timedelta(hours=s.hours)).isoformat()
        rows.append(
            {
                "channel": s.channel,
                "label": s.label,
                "kind": "peak" if s.source == "peak" else "slot",
                "start": start,
                "end": end,
                "weekdays": ",".join(s.weekdays),
                "hours": _hours(s),
                "share": round(s.share, 4),
                "title": f"{s.label}（每周 {','.join(s.weekdays)} {_hours(s)}）",
            }
        )
    for k in key_dates:
        rows.append(
            {
                "channel": "",
                "label": "",
                "kind": "key_date",
                "start": k.date.isoformat(),
                "end": (k.end or k.date).isoformat(),
                "weekdays": "",
                "hours": "",
                "share": np.nan,
                "title": k.title,
            }
        )
    return pd.DataFrame(rows, columns=CALENDAR_COLUMNS)


def write_ics(path: Path, events: Sequence[dict[str, object]], *, name: str) -> Path:
    """Write an iCalendar file of ``events`` (dicts: uid, summary, dtstart, dtend, rrule?).

    ``dtstart``/``dtend`` are tz-aware datetimes, or dates for all-day events (``dtend`` is then
    the day after the last day, as RFC 5545 wants). Deterministic: DTSTAMP is the first event's
    start, so the same plan gives the same bytes.
    """
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//geo_outreach//playbook//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for e in events:
        ev = icalendar.Event()
        ev.add("uid", str(e["uid"]))
        ev.add("dtstamp", stamp)
        ev.add("summary", str(e["summary"]))
        ev.add("dtstart", e["dtstart"])
        ev.add("dtend", e["dtend"])
        if e.get("rrule"):
            ev.add("rrule", e["rrule"])
        if e.get("description"):
            ev.add("description", str(e["description"]))
        if e.get("location"):
            ev.add("location", str(e["location"]))
        cal.add_component(ev)
    if hasattr(cal, "add_missing_timezones"):
        _add_missing_timezones(cal)
    return atomic_write(path, lambda p: p.write_bytes(cal.to_ical()))


@functools.lru_cache(maxsize=16)
def _vtimezone(tzid: str) -> Any:
    """Return the VTIMEZONE component of ``tzid`` (``None`` for a zone icalendar does not know).

    Issue 14: icalendar builds it by walking the zone's UTC offsets over 1970-2038 (~75,000
    ``utcoffset`` calls, ~0.1 s); a plan writes ~20 calendars in one zone, so it is built once
    per process and copied into each calendar.
    """
    import icalendar

    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:
        return None


def _add_missing_timezones(cal: Any) -> None:
    """``Calendar.add_missing_timezones()`` (same components, same place) from a cache."""
    at = len(cal.timezones)
    for tzid in cal.get_missing_tzids():
        tz = _vtimezone(tzid)
        if tz is not None:
            cal.subcomponents.insert(at, copy.deepcopy(tz))
            at += 1


def calendar_events(
    slots: Sequence[Slot], campaign: Campaign, key_dates: Sequence[KeyDate], timezone: str
) -> list[dict[str, object]]:
    """List the ``calendar.ics`` events: each slot weekly over the campaign, key dates all-day."""
    tz = ZoneInfo(timezone)
    until = dt.datetime.combine(campaign.end, dt.time(23, 59, 59), tz).astimezone(dt.UTC)
    events: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for s in slots:
        day = _first_day(campaign.start, s.weekdays)
        t0 = dt.datetime.combine(day, dt.time(s.start_hour), tz)
        nth = seen[s.channel] = seen.get(s.channel, -1) + 1
        peak = s.source == "peak"
        events.append(
            {
                "uid": f"slot-{s.channel}{f'-{nth}' if nth else ''}@geo-outreach",
                "summary": f"{s.label}：{'巡逻' if peak else '反诈宣传'}",
                "dtstart": t0,
                "dtend": t0 + dt.timedelta(hours=s.hours),
                "rrule": {"FREQ": "WEEKLY", "BYDAY": list(s.weekdays), "UNTIL": until},
                "description": (
                    f"警情高峰时段：全部警情的 {100 * s.share:.0f}% 发生在此时段"
                    if peak
                    else f"覆盖警情的 {100 * s.share:.0f}% 发生在此时段（按警情时间分布推荐）"
                ),
            }
        )
    for i, k in enumerate(key_dates):
        events.append(
            {
                "uid": f"key-{i}-{k.date.isoformat()}@geo-outreach",
                "summary": k.title,
                "dtstart": k.date,
                "dtend": (k.end or k.date) + dt.timedelta(days=1),
            }
        )
    return events
