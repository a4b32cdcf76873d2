"""The parts of the briefing a planner reads: the plain-words summary and every site per channel.

Also the appendix with the technical details (method, solver status, optimality gap, radius,
candidates), which stay out of the main view. All text comes from :mod:`geo_outreach.i18n`
and every value is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo_outreach._validate import DISTRICT_ID
from geo_outreach.i18n import t
from geo_outreach.render.folder import OutputFolder
from geo_outreach.render.format import esc, fmt_num, fmt_share, isnum
from geo_outreach.render.sites import ChannelSites, site_headers, top_precincts

__all__ = [
    "HeadlineFigures",
    "appendix_html",
    "headline_figures",
    "site_tables_html",
    "summary_html",
]

#: Site-table columns shown in the briefing (the xlsx has them all).
BRIEFING_COLUMNS = ("rank", "name", "kind", "precinct", "marginal", "cumulative_share", "when")
_NUMERIC = {"rank", "covered", "marginal", "cumulative_share"}


def _peak_text(folder: OutputFolder, lang: str) -> str:
    peaks = folder.manifest.get("peak_windows") or []
    labels = [
        str(p.get(f"label_{lang}") or "")
        for p in (peaks if isinstance(peaks, list) else [])
        if isinstance(p, dict)
    ]
    return t("list_sep", lang).join(x for x in labels if x)


def _channel_sentence(cs: ChannelSites, lang: str) -> str:
    sites, info = cs.sites, cs.channel.info
    if sites.empty:
        return (
            f"<li><b>{esc(cs.channel.label)}</b>{esc(t('colon', lang))}"
            f"{esc(t('no_sites_channel', lang))}</li>"
        )
    where = t("list_sep", lang).join(top_precincts(sites))
    whens = sites["when"].astype(str)
    when = whens.mode().iloc[0] if not whens.empty and whens.str.len().gt(0).any() else ""
    share = info.get("covered_share")
    if not isnum(share):
        share = sites["cumulative_share"].max()
    weight = info.get("covered_weight")
    parts = [
        t("summary_sites", lang).format(n=len(sites)),
        t("summary_where", lang).format(where=where) if where else "",
        t("summary_when", lang).format(when=when) if when else "",
        t("summary_reach", lang).format(share=fmt_share(share), n=fmt_num(weight))
        if isnum(weight)
        else t("summary_reach_share", lang).format(share=fmt_share(share)),
    ]
    body = t("clause_sep", lang).join(p for p in parts if p)
    return f"<li><b>{esc(cs.channel.label)}</b>{esc(t('colon', lang))}{esc(body)}</li>"


def summary_html(folder: OutputFolder, sites: list[ChannelSites], lang: str) -> str:
    """Build the one-page summary in plain words: what, where, when, expected reach.

    Parameters
    ----------
    folder
        The output folder.
    sites
        Every channel's sites (:func:`geo_outreach.render.sites.channel_sites`).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        ``<section id="summary">``.
    """
    total = sum(len(cs.sites) for cs in sites)
    h = [f'<section id="summary"><h2>{esc(t("summary_title", lang))}</h2>']
    if total:
        h.append(
            f'<p class="what">{esc(t("summary_what", lang).format(n=total, k=len(sites)))}</p>'
        )
        h.append('<ul class="plain">')
        h += [_channel_sentence(cs, lang) for cs in sites]
        h.append("</ul>")
    else:
        h.append(f"<p>{esc(t('summary_no_sites', lang))}</p>")
    peak = _peak_text(folder, lang)
    if peak:
        h.append(f'<p class="when">{esc(t("summary_peak", lang).format(when=peak))}</p>')
    h.append(f'<p class="how">{esc(t("summary_how", lang))}</p></section>')
    return "".join(h)


def _cell(key: str, v: Any, lang: str) -> str:
    if key == "cumulative_share":
        text = fmt_share(v)
    elif key in ("marginal", "covered"):
        text = fmt_num(v, 1) if isnum(v) and float(v) % 1 else fmt_num(v)
    elif key == "rank":
        text = str(int(float(v))) if isnum(v) else ""
    else:
        text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
    cls = " class=n" if key in _NUMERIC else ""
    return f"<td{cls}>{esc(text)}</td>"


def site_tables_html(sites: list[ChannelSites], lang: str) -> str:
    """Every chosen site per channel: rank, name, kind, precinct, reach, share, time.

    Parameters
    ----------
    sites
        Every channel's sites.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        ``<section id="sites">`` with one ``table.sites`` per channel ('' without sites).
    """
    if not sites:
        return ""
    head = site_headers(lang)
    h = [f'<section id="sites"><h2>{esc(t("sites_title", lang))}</h2>']
    h.append(f'<p class="meta">{esc(t("sites_note", lang))}</p>')
    for cs in sites:
        ch = cs.channel
        h.append(
            f'<div class="site-block" data-channel="{esc(ch.name)}">'
            f'<h3 style="color:{ch.color};border-color:{ch.color}">{esc(ch.label)} '
            f'<span class="count">· {esc(t("summary_sites", lang).format(n=len(cs.sites)))}'
            f"</span></h3>"
        )
        if cs.sites.empty:
            h.append(f'<p class="meta">{esc(t("no_sites_channel", lang))}</p></div>')
            continue
        h.append('<table class="sites"><thead><tr>')
        h += [
            f"<th{' class=n' if c in _NUMERIC else ''}>{esc(head[c])}</th>"
            for c in BRIEFING_COLUMNS
        ]
        h.append("</tr></thead><tbody>")
        for _, r in cs.sites.iterrows():
            h.append("<tr>" + "".join(_cell(c, r[c], lang) for c in BRIEFING_COLUMNS) + "</tr>")
        h.append("</tbody></table></div>")
    h.append("</section>")
    return "".join(h)


_TECH_KEYS = (
    ("method", "tech_method"),
    ("status", "status"),
    ("gap", "gap"),
    ("distance", "tech_distance"),
    ("radius_m", "radius_m"),
    ("candidates", "tech_candidates"),
    ("budget", "budget"),
    ("covered_weight", "tech_covered_weight"),
    ("upper_bound", "tech_upper_bound"),
    ("seconds", "tech_seconds"),
)


def _tech_value(key: str, v: Any) -> str:
    if key == "gap":
        return fmt_share(v)
    if isnum(v):
        return fmt_num(v, 2 if key == "seconds" else 0)
    return "" if v is None else str(v)


def appendix_html(sites: list[ChannelSites], curves: dict[str, str], lang: str) -> str:
    """Build the technical appendix: each channel's solver settings, status and curve.

    Parameters
    ----------
    sites
        Every channel's sites (their manifest summaries are shown).
    curves
        Channel name -> inline SVG coverage curve ('' when none).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        ``<section id="appendix">`` ('' without channels).
    """
    if not sites:
        return ""
    keys = [(k, label) for k, label in _TECH_KEYS if any(k in cs.channel.info for cs in sites)]
    h = [
        f'<section id="appendix"><h2>{esc(t("appendix_title", lang))}</h2>',
        f'<p class="meta">{esc(t("appendix_note", lang))}</p>',
        '<table id="tech-table"><thead><tr>',
        f"<th>{esc(t('channel', lang))}</th>",
    ]
    h += [f"<th class=n>{esc(t(label, lang))}</th>" for _, label in keys]
    h.append(f"<th>{esc(t('coverage_curve', lang))}</th></tr></thead><tbody>")
    for cs in sites:
        info = cs.channel.info
        tds = "".join(f"<td class=n>{esc(_tech_value(k, info.get(k)))}</td>" for k, _ in keys)
        h.append(
            f'<tr data-channel="{esc(cs.channel.name)}"><td>{esc(cs.channel.label)}</td>{tds}'
            f"<td>{curves.get(cs.channel.name, '')}</td></tr>"
        )
    h.append("</tbody></table>")
    notes = [
        f"<li><b>{esc(cs.channel.label)}</b>: {esc(n)}</li>"
        for cs in sites
        for n in (cs.channel.info.get("notes") or [])
        if isinstance(n, str)
    ]
    if notes:
        h.append(f'<ul class="tech-notes">{"".join(notes)}</ul>')
    h.append("</section>")
    return "".join(h)


# --------------------------------------------------------------------------- headline figures


@dataclass(frozen=True)
class HeadlineFigures:
    """District totals for the briefing's headline cards.

    Attributes
    ----------
    total
        Alerts in the period (None when unknown).
    month
        The latest month ("YYYY-MM"), None without ``monthly_trends.csv``.
    latest
        Alerts in that month.
    mom_pct, yoy_pct
        Month-on-month and year-on-year change in percent.
    mom_p, yoy_p
        Their two-sided p-values, as the stats stage wrote them.
    partial_month, partial_days
        The data's last month and its days of data when that month is partial (then ``month``
        and the changes are the last complete month's); None otherwise.
    """

    total: int | None = None
    month: str | None = None
    latest: int | None = None
    mom_pct: float | None = None
    mom_p: float | None = None
    yoy_pct: float | None = None
    yoy_p: float | None = None
    partial_month: str | None = None
    partial_days: int | None = None


def _is_partial(r: Any) -> bool:
    v = r.get("partial") if hasattr(r, "get") else None
    return str(v).strip().lower() in ("true", "1", "1.0")


def _total(folder: OutputFolder) -> int | None:
    if folder.alerts is not None:
        return len(folder.alerts)
    if folder.alert_rows is not None:  # issue 14: alerts.csv counted, not read
        return folder.alert_rows
    return int(pd.to_numeric(folder.precincts["alerts"], errors="coerce").sum())


def _num_or_none(v: Any) -> float | None:
    return float(v) if isnum(v) else None


def headline_figures(folder: OutputFolder) -> HeadlineFigures:
    """District totals: alerts in the period and in the latest month, MoM and YoY change.

    Parameters
    ----------
    folder
        The output folder.

    Returns
    -------
    HeadlineFigures
        Read from the ``all`` rows of ``monthly_trends.csv`` (the stats stage's figures and
        p-values); only the total without that file. When the latest month is partial
        (``partial`` column), the figures are the last complete month's and
        ``partial_month``/``partial_days`` name the partial one.
    """
    total = _total(folder)
    tr = folder.monthly_trends
    if tr is None:
        return HeadlineFigures(total=total)
    district = tr[tr["precinct_id"].astype(str) == DISTRICT_ID]
    district = district.assign(month=district["month"].astype(str).str[:7]).sort_values("month")
    if district.empty:
        return HeadlineFigures(total=total)
    r = district.iloc[-1]
    partial_month, partial_days = None, None
    if _is_partial(r):
        partial_month = str(r["month"])
        days = _num_or_none(pd.to_numeric(r.get("days_covered"), errors="coerce"))
        partial_days = None if days is None else int(days)
        complete = [i for i in range(len(district) - 1) if not _is_partial(district.iloc[i])]
        if complete:
            r = district.iloc[complete[-1]]
    return HeadlineFigures(
        total=total,
        partial_month=partial_month,
        partial_days=partial_days,
        month=str(r["month"]),
        latest=int(r["alerts"]),
        mom_pct=_num_or_none(r["mom_pct"]),
        mom_p=_num_or_none(r["mom_p"]),
        yoy_pct=_num_or_none(r["yoy_pct"]),
        yoy_p=_num_or_none(r["yoy_p"]),
    )
