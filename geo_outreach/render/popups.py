"""Plain-language popups of the plan map (issue 11): why this site, who it reaches, when to go.

A planner reads sentences, not column names: no internal key (``share_pct``, ``peak_share``,
``feature``, a channel's scenario key) reaches a popup. Every value is escaped by
:func:`geo_outreach.render.format.popup_html` or :func:`esc`.
"""

from __future__ import annotations

import re
from typing import Any

from geo_outreach.i18n import MESSAGES, category_label, t
from geo_outreach.render.format import esc, fmt_num, fmt_pct, fmt_share, get, isnum, popup_html
from geo_outreach.render.style import ChannelStyle

__all__ = [
    "cluster_popup",
    "hotspot_popup",
    "peak_text",
    "site_name",
    "site_popup",
    "stop_popup",
    "uncovered_popup",
]

_JUNCTION = re.compile(r"^(.+)与(.+)交叉口$")
#: derived names written by the channels stage -> their English message (place names kept)
_DERIVED = (
    (re.compile(r"^巡逻点：近 (.+)$"), "map_patrol_near"),
    (re.compile(r"^路口：近 (.+)$"), "map_junction_near"),
    (re.compile(r"^巡逻点 (\S+)$"), "map_patrol_cell"),
    (re.compile(r"^路口 (\S+)$"), "map_junction_id"),
)


def site_name(name: Any, lang: str) -> str:
    """Name a derived site in the page's language (the street and venue names stay as given).

    Parameters
    ----------
    name
        The name written by the channels stage (``"xx路与yy路交叉口"``, ``"巡逻点：近 xx"``).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        Plain text.
    """
    s = "" if name is None else str(name)
    if lang != "en":
        return s
    m = _JUNCTION.match(s)
    if m:
        return t("map_junction_name", lang).format(a=m.group(1), b=m.group(2))
    for pattern, key in _DERIVED:
        m = pattern.match(s)
        if m:
            return t(key, lang).format(name=m.group(1))
    return s


def peak_text(peak_windows: list[dict[str, Any]], lang: str) -> str:
    """Write the busiest time windows as one line, e.g. ``"周六 19-22时 (6%)、周二 19-22时 (6%)"``.

    Parameters
    ----------
    peak_windows
        ``manifest.json`` ``peak_windows``.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        '' when there is none.
    """
    parts = []
    for w in peak_windows[:3]:
        label = w.get(f"label_{lang}") or w.get("label_zh") or w.get("label_en") or ""
        share = w.get("share")
        parts.append(f"{label} ({fmt_share(share)})" if isnum(share) else str(label))
    return ("、" if lang == "zh" else "; ").join(p for p in parts if p)


def _audience(channel: str, lang: str) -> str:
    key = f"map_audience_{channel}"
    return t(key if key in MESSAGES else "map_audience_other", lang)


def _trend(prow: Any, pid: Any, lang: str) -> str | None:
    if prow is None:
        return None if pid is None else str(pid)
    if get(prow, "latest_month") is None:
        return str(prow["name"])
    return t("map_precinct_text", lang).format(
        name=prow["name"],
        month=get(prow, "latest_month"),
        n=fmt_num(get(prow, "latest_alerts")),
        mom=fmt_pct(get(prow, "mom_pct")),
    )


def site_popup(row: Any, ch: ChannelStyle, prow: Any, peaks: str, lang: str) -> str:
    """Build the popup of one placement.

    Parameters
    ----------
    row
        A row of ``placements.geojson``.
    ch
        Its channel.
    prow
        Its precinct's row of ``precincts.geojson`` (None when unknown).
    peaks
        :func:`peak_text` of the plan.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        HTML (escaped).
    """
    rank = get(row, "rank")
    rank_s = str(int(float(rank))) if isnum(rank) else "–"
    name = site_name(get(row, "name") or get(row, "venue_id") or "", lang)
    title = t("map_site_title", lang).format(channel=ch.label, rank=rank_s, name=name)
    if bool(get(row, "existing")):
        title += t("map_existing_note", lang)
    radius = ch.info.get("radius_m")
    dist = str(ch.info.get("distance") or "straight")
    mode_key = f"distance_{dist}"
    mode = t(mode_key, lang) if mode_key in MESSAGES else dist
    why = t("map_why_text", lang).format(
        mode=mode, radius=fmt_num(radius), n=fmt_num(get(row, "covered_weight"))
    )
    if isnum(get(row, "marginal_weight")) and isnum(get(row, "cumulative_share")):
        why += " " if lang == "en" else ""
        why += t("map_gain_text", lang).format(
            gain=fmt_num(get(row, "marginal_weight")),
            rank=rank_s,
            cum=fmt_share(get(row, "cumulative_share")),
        )
    rows: list[tuple[str, Any]] = [
        (t("map_why", lang), why),
        (t("map_who", lang), _audience(ch.name, lang)),
        (t("map_when", lang), t("map_when_text", lang).format(windows=peaks) if peaks else None),
        (t("map_where", lang), _trend(prow, get(row, "precinct_id"), lang)),
    ]
    return popup_html(title, rows)


def stop_popup(row: Any, name: str, peaks: str, lang: str) -> str:
    """Build the popup of one patrol stop (``patrol_route.geojson``, feature ``stop``).

    Parameters
    ----------
    row
        The stop's row.
    name
        Its human name.
    peaks
        :func:`peak_text` of the plan ('' to show the stop's own ``windows``).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        HTML (escaped).
    """
    order = get(row, "order")
    order_s = str(int(float(order))) if isnum(order) else "–"
    title = t("map_stop_title", lang).format(order=order_s, name=site_name(name, lang))
    why = t("map_stop_text", lang).format(
        n=fmt_num(get(row, "alerts")), cw=fmt_num(get(row, "covered_weight"))
    )
    windows = t("map_when_text", lang).format(windows=peaks) if peaks else get(row, "windows")
    rows: list[tuple[str, Any]] = [
        (t("map_why", lang), why),
        (t("map_who", lang), _audience("patrols", lang)),
        (t("map_when", lang), None if windows is None else str(windows)),
    ]
    return popup_html(title, rows)


def cluster_popup(row: Any, lang: str) -> str:
    """Build the popup of one alert cluster (``clusters.geojson``).

    Parameters
    ----------
    row
        The cluster's row.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        HTML (escaped).
    """
    share = get(row, "share_pct")
    peak = get(row, "peak_hours")
    cats = get(row, "top_categories")
    if cats is not None and lang == "en":
        cats = "; ".join(
            re.sub(
                r"^(.*?)(\s+\d+%)?$",
                lambda m: category_label(m.group(1), lang) + (m.group(2) or ""),
                c.strip(),
            )
            for c in str(cats).split(";")
        )
    rows: list[tuple[str, Any]] = [
        (
            t("alerts", lang),
            t("map_cluster_alerts", lang).format(
                n=fmt_num(get(row, "alerts")), share=fmt_pct(share, signed=False)
            ),
        ),
        (t("top_categories", lang), cats),
        (
            t("peak_hours", lang),
            None
            if peak is None
            else t("map_cluster_peak", lang).format(
                hours=peak, share=fmt_share(get(row, "peak_share"))
            ),
        ),
        (t("area_km2", lang), fmt_num(get(row, "area_km2"), 1)),
    ]
    title = t("map_cluster_title", lang).format(id=get(row, "cluster_id") or "")
    return popup_html(title.strip(), rows)


def hotspot_popup(row: Any, level: int, lang: str) -> str:
    """Build the popup of one significant hot or cold cell.

    Parameters
    ----------
    row
        The cell's row of ``hotspots.geojson``.
    level
        Its signed level (+3 = hot at 99 %).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        HTML (escaped).
    """
    conf = {3: 99, 2: 95, 1: 90}.get(abs(level), 90)
    key = "map_hot_text" if level > 0 else "map_cold_text"
    text = t(key, lang).format(conf=conf, n=fmt_num(get(row, "alerts")))
    title = t("legend_hot" if level > 0 else "legend_cold", lang)
    return f'<div class="go-pop-title">{esc(title)}</div><div class="go-pop-text">{esc(text)}</div>'


def uncovered_popup(row: Any, lang: str) -> str:
    """Build the popup of one uncovered hot-spot cell.

    Parameters
    ----------
    row
        The cell's row of ``uncovered_hotspots.geojson``.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        HTML (escaped).
    """
    title = t("layer_uncovered", lang)
    text = t("map_uncovered_text", lang)
    return f'<div class="go-pop-title">{esc(title)}</div><div class="go-pop-text">{esc(text)}</div>'
