"""The briefing: ``briefing.html`` (one print-friendly A4-landscape page) and the static map as
``briefing.png`` / ``briefing.pdf`` for slides and documents.

Everything is drawn from the files of an output folder, offline. ``briefing.html`` embeds the
static map (:mod:`geo_outreach.render.static_map`) as a PNG, the coverage curves as inline SVG
and, after ``geo-outreach evaluate``, the backtest section from ``evaluation.json``; it loads
nothing from anywhere. District figures and their p-values are those the stats stage wrote into
``monthly_trends.csv`` (the ``all`` rows): the briefing recomputes nothing.
"""

from __future__ import annotations

import base64
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach._validate import DISTRICT_ID
from geo_outreach.i18n import MESSAGES, channel_label, check_lang, t
from geo_outreach.outputs import atomic_write, write_text
from geo_outreach.render.folder import OutputFolder, load_output_folder
from geo_outreach.render.format import (
    esc,
    fmt_num,
    fmt_pct,
    fmt_share,
    generated_at,
    get,
    isnum,
    sig_html,
)
from geo_outreach.render.static_map import static_map_figure
from geo_outreach.render.style import ChannelStyle, channel_info

log = logging.getLogger(__name__)

__all__ = [
    "HeadlineFigures",
    "briefing_html",
    "coverage_svg",
    "headline_figures",
    "render_briefing",
]

MAX_ROWS_PER_CHANNEL = 5
BACKTEST_METHODS = ("plan", "random", "naive_hotspot", "topk_no_overlap", "oracle")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ALL_CHANNELS = "all"  # evaluation.json: the entry for every channel together


# --------------------------------------------------------------------------- figures


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
    """

    total: int | None = None
    month: str | None = None
    latest: int | None = None
    mom_pct: float | None = None
    mom_p: float | None = None
    yoy_pct: float | None = None
    yoy_p: float | None = None


def _total(folder: OutputFolder) -> int | None:
    if folder.alerts is not None:
        return len(folder.alerts)
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
        p-values); only the total without that file.
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
    return HeadlineFigures(
        total=total,
        month=str(r["month"]),
        latest=int(r["alerts"]),
        mom_pct=_num_or_none(r["mom_pct"]),
        mom_p=_num_or_none(r["mom_p"]),
        yoy_pct=_num_or_none(r["yoy_pct"]),
        yoy_p=_num_or_none(r["yoy_p"]),
    )


# --------------------------------------------------------------------------- HTML


def coverage_svg(
    curve: pd.DataFrame | None, color: str, *, width: int = 180, height: int = 70
) -> str:
    """A small inline SVG of a coverage curve (sites -> covered share).

    Parameters
    ----------
    curve
        The channel's rows of ``coverage_curve.csv`` (``k``, ``covered_share``).
    color
        The line colour.
    width, height
        The size in pixels.

    Returns
    -------
    str
        ``<svg>...</svg>``, or '' without a curve.
    """
    if curve is None or curve.empty or "k" not in curve.columns:
        return ""
    ks = pd.to_numeric(curve["k"], errors="coerce").to_numpy(float)
    ys = pd.to_numeric(curve["covered_share"], errors="coerce").to_numpy(float)
    ok = np.isfinite(ks) & np.isfinite(ys)
    ks, ys = np.r_[0.0, ks[ok]], np.r_[0.0, ys[ok]]
    order = np.argsort(ks)
    ks, ys = ks[order], ys[order]
    kmax = max(float(ks.max()), 1.0)
    ymax = max(float(ys.max()), 1e-9)
    ml, mb, mt, mr = 26, 14, 6, 6
    pw, ph = width - ml - mr, height - mb - mt

    def x(k: float) -> float:
        return ml + pw * k / kmax

    def y(v: float) -> float:
        return mt + ph * (1 - v / ymax)

    pts = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in zip(ks, ys))
    dots = "".join(
        f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="2" fill="{color}"/>'
        for k, v in zip(ks[1:], ys[1:])
    )
    return (
        f'<svg class="curve" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">'
        f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="#888"/>'
        f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" stroke="#888"/>'
        f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>'
        + dots
        + f'<text x="{ml - 3}" y="{mt + 7}" font-size="8" text-anchor="end">'
        f"{esc(fmt_share(ymax))}</text>"
        f'<text x="{ml - 3}" y="{mt + ph}" font-size="8" text-anchor="end">0</text>'
        f'<text x="{ml + pw}" y="{height - 2}" font-size="8" text-anchor="end">{int(kmax)}</text>'
        "</svg>"
    )


_CSS = """
@page { size: A4 landscape; margin: 6mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 0 auto; padding: 8px; font-size: 11px; color: #111; background: #fff; max-width: 1500px; }
header { display: flex; align-items: baseline; gap: 14px; }
header h1 { font-size: 18px; margin: 0; }
header .period { color: #444; }
.banner { background: #b30000; color: #fff; padding: 3px 8px; font-weight: bold; margin: 4px 0; }
.banner small { font-weight: normal; }
.banner small + small::before { content: " · "; }
.grid { display: grid; grid-template-columns: 43% minmax(0, 1fr); gap: 10px; }
.map img { width: 100%; border: 1px solid #999; display: block; }
.cards { display: flex; gap: 6px; margin: 2px 0 6px; }
.card { border: 1px solid #bbb; border-radius: 4px; padding: 3px 7px; flex: 1; }
.card .v { font-size: 17px; font-weight: bold; }
.card .s { color: #555; font-size: 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 1px 3px; text-align: left; font-size: 10px; }
th { white-space: nowrap; }
td.n, th.n { text-align: right; white-space: nowrap; }
h2 { font-size: 13px; margin: 4px 0 3px; }
h3 { font-size: 12px; margin: 0; }
.channels { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 10px; }
.channel { break-inside: avoid; border-top: 3px solid #999; padding-top: 2px; }
.channel .top { display: flex; justify-content: space-between; align-items: flex-start; gap: 4px; }
.meta { color: #444; font-size: 9.5px; }
.more { color: #666; font-size: 9.5px; }
.sig { color: #b30000; font-weight: bold; }
footer { color: #777; font-size: 9px; margin-top: 4px; }
.backtest { margin-top: 10px; border-top: 2px solid #444; padding-top: 4px; }
.backtest .bt-grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px 12px; align-items: start; }
.backtest .bt-chart { grid-column: span 2; }
.backtest .bt-chart img { width: 100%; border: 1px solid #ccc; display: block; }
.bt-channel { break-inside: avoid; border-top: 3px solid #999; padding-top: 2px; }
.bt-channel .headline { font-size: 10px; margin: 1px 0 3px; }
.bt-channel tr.plan td { font-weight: bold; background: #fff3f0; }
.bt-channel .ci { color: #555; font-weight: normal; }
@media print {
  html { zoom: 0.78; }
  body { padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  .backtest { break-before: page; border-top: none; margin-top: 0; }
}
"""


def _head_html(folder: OutputFolder, lang: str) -> list[str]:
    title = folder.title or t("default_title", lang)
    start, end = folder.period
    suffix = esc(t("briefing_title_suffix", lang))
    h: list[str] = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{esc(title)} · {suffix}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{esc(title)} · {suffix}</h1>",
    ]
    if start or end:
        h.append(f'<div class="period">{esc(t("period", lang))}: {esc(start)} – {esc(end)}</div>')
    h.append("</header>")
    if folder.synthetic:
        notes = "".join(f"<small>{esc(n)}</small>" for n in folder.notes)
        h.append(
            f'<div class="banner" id="synthetic-banner">{esc(t("synthetic_banner", lang))}'
            f"<br>{notes}</div>"
        )
    return h


def _cards_html(hf: HeadlineFigures, lang: str) -> list[str]:
    h = [
        f'<h2>{esc(t("headline", lang))}</h2><div class="cards" id="headline">',
        f'<div class="card"><div class="s">{esc(t("alerts_total", lang))}</div>'
        f'<div class="v">{esc(fmt_num(hf.total))}</div></div>',
    ]
    if hf.latest is not None:
        h.append(
            f'<div class="card"><div class="s">{esc(t("alerts_latest_month", lang))} '
            f'({esc(hf.month)})</div><div class="v">{esc(fmt_num(hf.latest))}</div></div>'
        )
        for key, pct, p in (("mom", hf.mom_pct, hf.mom_p), ("yoy", hf.yoy_pct, hf.yoy_p)):
            h.append(
                f'<div class="card"><div class="s">{esc(t(key, lang))}</div>'
                f'<div class="v">{esc(fmt_pct(pct))}</div>'
                f'<div class="s">{sig_html(p, lang)}</div></div>'
            )
    h.append("</div>")
    return h


def briefing_html(folder: OutputFolder, *, lang: str = "zh", map_png: bytes | None = None) -> str:
    """The briefing page as one self-contained HTML string (A4 landscape when printed).

    Parameters
    ----------
    folder
        The output folder.
    lang
        ``zh`` (default) or ``en``.
    map_png
        The static map as PNG bytes, embedded as a ``data:`` URI (left out when None).

    Returns
    -------
    str
        The page; every user-supplied string in it is escaped.
    """
    lang = check_lang(lang)
    h = _head_html(folder, lang)
    h.append('<div class="grid"><section class="left">')
    h += _cards_html(headline_figures(folder), lang)
    if map_png:
        b64 = base64.b64encode(map_png).decode("ascii")
        h.append(
            f'<div class="map"><img id="briefing-map" alt="{esc(t("map", lang))}" '
            f'src="data:image/png;base64,{b64}"></div>'
        )
    h.append(f'<div class="meta"><a href="map.html">{esc(t("open_map", lang))}</a></div>')
    h.append('</section><section class="right">')
    h.append(_precinct_table(folder, lang))
    h.append(_channel_tables(folder, lang))
    h.append("</section></div>")
    h.append(_backtest_section(folder, lang))
    h.append(f"<footer>geo_outreach · {esc(t('generated', lang))} {esc(generated_at())}</footer>")
    h.append("</body></html>")
    return "\n".join(h)


def _trend_cells(r: Any) -> list[str]:
    cells = [esc(fmt_num(get(r, "latest_alerts")))]
    for k in ("mom", "yoy"):
        p = get(r, f"{k}_p")
        sig = isnum(p) and float(p) < 0.05
        text = esc(fmt_pct(get(r, f"{k}_pct")) + ("*" if sig else ""))
        cells.append(f'<span class="sig">{text}</span>' if sig else text)
    return cells


def _precinct_table(folder: OutputFolder, lang: str) -> str:
    pr = folder.precincts
    pr = pr.assign(_a=pd.to_numeric(pr["alerts"], errors="coerce")).sort_values(
        "_a", ascending=False
    )
    month = next((str(m) for m in pr["latest_month"] if m is not None and str(m) != "nan"), "")
    has_trend = bool(month)
    head = [t("precinct", lang), t("population", lang), t("alerts", lang), t("alerts_per_10k", lang)]
    if has_trend:
        head += [f"{month} {t('alerts', lang)}".strip(), t("mom", lang), t("yoy", lang)]
    rows = [f'<h2>{esc(t("precinct_table", lang))}</h2><table id="precinct-table"><thead><tr>']
    rows += [f'<th{" class=n" if i else ""}>{esc(c)}</th>' for i, c in enumerate(head)]
    rows.append("</tr></thead><tbody>")
    for _, r in pr.iterrows():
        cells = [
            esc(r["name"]),
            esc(fmt_num(get(r, "population"))),
            esc(fmt_num(get(r, "alerts"))),
            esc(fmt_num(get(r, "alerts_per_10k"), 1)),
        ]
        if has_trend:
            cells += _trend_cells(r)
        tds = "".join(f'<td{" class=n" if i else ""}>{c}</td>' for i, c in enumerate(cells))
        rows.append("<tr>" + tds + "</tr>")
    rows.append("</tbody></table>")
    if has_trend:
        rows.append(f'<div class="meta">* p &lt; 0.05 ({esc(t("significant", lang))})</div>')
    return "".join(rows)


def _channel_meta(info: dict[str, Any], lang: str) -> str:
    meta = [
        f"{t('budget', lang)} {fmt_num(info.get('budget'))}" if isnum(info.get("budget")) else "",
        f"{t('covered_share', lang)} {fmt_share(info.get('covered_share'))}"
        if isnum(info.get("covered_share"))
        else "",
        f"{t('radius_m', lang)} {fmt_num(info.get('radius_m'))}"
        if isnum(info.get("radius_m"))
        else "",
        f"{t('status', lang)} {info.get('status')}" if info.get("status") else "",
        f"{t('gap', lang)} {fmt_share(info.get('gap'))}" if isnum(info.get("gap")) else "",
    ]
    return " · ".join(m for m in meta if m)


def _placements_rows(sub: pd.DataFrame, names: dict[str, str], lang: str) -> list[str]:
    sub = sub.assign(_r=pd.to_numeric(sub["rank"], errors="coerce")).sort_values("_r")
    out = [
        f"<table class=\"placements\"><thead><tr><th>#</th>"
        f'<th>{esc(t("name", lang))}</th><th>{esc(t("precinct", lang))}</th>'
        f'<th class=n>{esc(t("marginal_weight", lang))}</th>'
        f'<th class=n>{esc(t("cumulative_share", lang))}</th></tr></thead><tbody>'
    ]
    for _, r in sub.head(MAX_ROWS_PER_CHANNEL).iterrows():
        rk = get(r, "rank")
        pid = str(get(r, "precinct_id") or "")
        out.append(
            f"<tr><td>{esc(int(float(rk)) if isnum(rk) else '')}</td>"
            f"<td>{esc(get(r, 'name') or get(r, 'venue_id') or '')}</td>"
            f"<td>{esc(names.get(pid, pid))}</td>"
            f"<td class=n>{esc(fmt_num(get(r, 'marginal_weight'), 1))}</td>"
            f"<td class=n>{esc(fmt_share(get(r, 'cumulative_share')))}</td></tr>"
        )
    out.append("</tbody></table>")
    if len(sub) > MAX_ROWS_PER_CHANNEL:
        out.append(
            f'<div class="more">+{len(sub) - MAX_ROWS_PER_CHANNEL} '
            f'{esc(t("more_sites", lang))}</div>'
        )
    return out


def _rows_of(frame: pd.DataFrame | None, ch: ChannelStyle) -> pd.DataFrame | None:
    return frame[frame["channel"].astype(str) == ch.name] if frame is not None else None


def _channel_tables(folder: OutputFolder, lang: str) -> str:
    chans = channel_info(folder, lang)
    if not chans:
        return ""
    prec = folder.precincts
    names = dict(zip(prec["precinct_id"].astype(str), prec["name"].astype(str)))
    out = [f'<h2>{esc(t("placements_table", lang))}</h2><div class="channels">']
    for ch in chans:
        sub = _rows_of(folder.placements, ch)
        curve = _rows_of(folder.coverage_curve, ch)
        svg = coverage_svg(curve, ch.color, width=150, height=48) if curve is not None else ""
        out.append(
            f'<div class="channel" data-channel="{esc(ch.name)}" style="border-color:{ch.color}">'
            f'<div class="top"><div><h3 style="color:{ch.color}">{esc(ch.label)}</h3>'
            f'<div class="meta">{esc(_channel_meta(ch.info, lang))}</div></div>'
            f'<div title="{esc(t("coverage_curve", lang))}">{svg}</div></div>'
        )
        if sub is not None and not sub.empty:
            out += _placements_rows(sub, names, lang)
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


# --------------------------------------------------------------------------- backtest


def _backtest_title(summary: dict[str, Any], lang: str) -> str:
    """'Backtest · split 2026-05-01 · test period 2026-05-01 – 2026-10-31' (plain text)."""
    splits = summary.get("splits")
    splits = [s for s in splits if isinstance(s, dict)] if isinstance(splits, list) else []
    parts = [t("backtest", lang)]
    rolling = summary.get("rolling")
    if isnum(rolling) and int(float(rolling)) > 0:
        parts.append(f"{int(float(rolling))} {t('backtest_rolling', lang)}")
    elif summary.get("summary_split"):
        parts.append(f"{t('backtest_split', lang)} {summary['summary_split']}")
    starts = sorted(str(s["test_start"]) for s in splits if s.get("test_start"))
    ends = sorted(str(s["test_end"]) for s in splits if s.get("test_end"))
    if starts or ends:
        first, last = starts[0] if starts else "", ends[-1] if ends else ""
        parts.append(f"{t('backtest_test_period', lang)} {first} – {last}")
    return " · ".join(parts)


def _distance_label(distance: Any, lang: str) -> str:
    key = f"distance_{distance}"
    return t(key, lang) if key in MESSAGES else str(distance)


def _backtest_chart(folder: OutputFolder) -> bytes | None:
    path = folder.path / "evaluation.png"  # fixed name: never a path taken from the JSON
    try:
        data = path.read_bytes() if path.is_file() else b""
    except OSError:
        return None
    return data if data.startswith(_PNG_MAGIC) else None


def _method_row(m: str, r: dict[str, Any], label: str) -> str:
    lo, hi = r.get("hit_rate_lo"), r.get("hit_rate_hi")
    ci = (
        f' <span class="ci">({esc(fmt_share(lo))}–{esc(fmt_share(hi))})</span>'
        if isnum(lo) and isnum(hi)
        else ""
    )
    k = r.get("k")
    return (
        f'<tr class="{esc(m)}" data-method="{esc(m)}"><td>{esc(label)}</td>'
        f"<td class=n>{esc(int(float(k)) if isnum(k) else '–')}</td>"
        f"<td class=n>{esc(fmt_share(r.get('hit_rate')))}{ci}</td>"
        f"<td class=n>{esc(fmt_num(r.get('pai'), 1))}</td>"
        f"<td class=n>{esc(fmt_num(r.get('pei'), 2))}</td>"
        f"<td class=n>{esc(fmt_share(r.get('share_of_oracle')))}</td></tr>"
    )


def _backtest_table(
    entry: dict[str, Any], methods: list[str], summary: dict[str, Any], lang: str
) -> str:
    labels = summary.get("method_labels")
    own = labels.get(lang) if isinstance(labels, dict) else None
    fallback = own if isinstance(own, dict) else {}
    keys = ("backtest_sites", "backtest_hit_rate", "backtest_pai", "backtest_pei",
            "backtest_share_of_oracle")  # fmt: skip
    head = "".join(f"<th class=n>{esc(t(key, lang))}</th>" for key in keys)
    rows = [
        f'<table class="backtest-table"><thead><tr><th>{esc(t("backtest_method", lang))}</th>'
        f"{head}</tr></thead><tbody>"
    ]
    for m in methods:
        r = entry.get(m)
        if not isinstance(r, dict):
            continue
        key = f"method_{m}"
        label = t(key, lang) if key in MESSAGES else (fallback.get(m) or m)
        rows.append(_method_row(m, r, label))
    rows.append("</tbody></table>")
    return "".join(rows)


def _backtest_order(chans: dict[str, Any], info: dict[str, ChannelStyle]) -> list[str]:
    """``all`` first, then the plan's channels in their order, then any other."""
    order = [ALL_CHANNELS] if isinstance(chans.get(ALL_CHANNELS), dict) else []
    order += [n for n in info if n in chans and n != ALL_CHANNELS]
    order += [n for n in chans if n not in order]
    return order


def _backtest_intro(chans: dict[str, Any], order: list[str], lang: str) -> str:
    meta = [t("backtest_intro", lang)]
    entries = (chans.get(n) for n in order)
    n_test = next(
        (
            e["plan"]["test_alerts"]
            for e in entries
            if isinstance(e, dict)
            and isinstance(e.get("plan"), dict)
            and isnum(e["plan"].get("test_alerts"))
        ),
        None,
    )
    if n_test is not None:  # the same alerts for every channel (those inside the study area)
        meta.append(f"{t('backtest_test_alerts', lang)}: {fmt_num(n_test)}")
    return " ".join(meta)


def _backtest_channel(
    name: str, entry: dict[str, Any], ch: ChannelStyle | None, tables: str, lang: str
) -> str:
    if name == ALL_CHANNELS:
        label, color = t("backtest_all_channels", lang), "#333"
    else:
        label = ch.label if ch else channel_label(str(name), lang, entry.get("label"))
        color = ch.color if ch else "#999"
    head = entry.get("headline")
    sentence = (head.get(lang) or head.get("en") or "") if isinstance(head, dict) else ""
    radius = entry.get("radius_m")
    distance = entry.get("distance")
    parts = (
        f"{t('distance', lang)} {_distance_label(distance, lang)}" if distance else "",
        f"{t('radius_m', lang)} {fmt_num(radius)}" if isnum(radius) else "",
    )
    sub = " · ".join(x for x in parts if x)
    return (
        f'<div class="bt-channel" data-channel="{esc(name)}" style="border-color:{color}">'
        f'<h3 style="color:{color}">{esc(label)}</h3>'
        + (f'<div class="meta">{esc(sub)}</div>' if sub else "")
        + f'<div class="headline">{esc(sentence)}</div>'
        + tables
        + "</div>"
    )


def _backtest_notes(summary: dict[str, Any], lang: str) -> str:
    notes = summary.get("notes")
    notes = [str(n) for n in notes if n is not None] if isinstance(notes, list) else []
    if not notes:
        return ""
    more = f" (+{len(notes) - 6})" if len(notes) > 6 else ""
    return f'<div class="more">{esc(t("notes", lang))}: {esc(" · ".join(notes[:6]))}{more}</div>'


def _backtest_section(folder: OutputFolder, lang: str) -> str:
    """The backtest section from ``evaluation.json`` (``geo-outreach evaluate``); '' without it.

    Every value taken from the JSON is escaped; the chart (``evaluation.png``) is embedded as a
    ``data:`` URI so the page stays self-contained.
    """
    summary = folder.evaluation_summary
    if not isinstance(summary, dict):
        return ""
    chans = summary.get("channels")
    if not isinstance(chans, dict) or not chans:
        return ""
    methods = summary.get("methods")
    methods = (
        [m for m in methods if isinstance(m, str)]
        if isinstance(methods, list)
        else list(BACKTEST_METHODS)
    )
    info = {c.name: c for c in channel_info(folder, lang)}
    order = _backtest_order(chans, info)
    out = [f'<section class="backtest" id="backtest"><h2>{esc(_backtest_title(summary, lang))}</h2>']
    out.append(f'<div class="meta">{esc(_backtest_intro(chans, order, lang))}</div>')
    out.append('<div class="bt-grid">')
    chart = _backtest_chart(folder)
    if chart:
        b64 = base64.b64encode(chart).decode("ascii")
        out.append(
            f'<div class="bt-chart"><img id="backtest-chart" '
            f'alt="{esc(t("backtest_chart", lang))}" src="data:image/png;base64,{b64}"></div>'
        )
    for name in order:
        entry = chans[name]
        if isinstance(entry, dict):
            tables = _backtest_table(entry, methods, summary, lang)
            out.append(_backtest_channel(name, entry, info.get(name), tables, lang))
    out.append("</div>")
    out.append(f'<div class="meta">{esc(t("backtest_definitions", lang))}</div>')
    out.append(_backtest_notes(summary, lang))
    out.append("</section>")
    return "".join(out)


# --------------------------------------------------------------------------- writing


def render_briefing(
    folder: OutputFolder | str | Path, *, lang: str | None = None
) -> dict[str, Path]:
    """Write ``briefing.png``, ``briefing.pdf`` and ``briefing.html`` into the output folder.

    Parameters
    ----------
    folder
        The output folder, read or as a path.
    lang
        ``zh`` or ``en``; default: the manifest's ``output.lang``, else ``zh``.

    Returns
    -------
    dict
        The written files by kind (``briefing_png``, ``briefing_pdf``, ``briefing_html``). PNG
        and PDF are skipped with a logged warning when the static map cannot be drawn (the HTML
        is then written without the map image).
    """
    if not isinstance(folder, OutputFolder):
        folder = load_output_folder(folder)
    default = (folder.manifest.get("output") or {}).get("lang") or "zh"
    lang = check_lang(lang if lang is not None else default)
    written: dict[str, Path] = {}
    png_bytes: bytes | None = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Glyph .* missing from font", category=UserWarning
            )
            png_bytes = _write_static_map(folder, lang, written)
    except Exception as exc:  # noqa: BLE001 - the interactive map and tables are still useful
        log.warning(
            "briefing.png/briefing.pdf not written: the static map failed (%s: %s)",
            type(exc).__name__,
            exc,
        )
    page = briefing_html(folder, lang=lang, map_png=png_bytes)
    written["briefing_html"] = write_text(folder.path / "briefing.html", page)
    return written


def _write_static_map(folder: OutputFolder, lang: str, written: dict[str, Path]) -> bytes:
    """Write briefing.png (150 dpi) and briefing.pdf; return a lighter PNG for the HTML page."""
    import matplotlib.pyplot as plt

    fig = static_map_figure(folder, lang=lang)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
        png = buf.getvalue()
        written["briefing_png"] = atomic_write(
            folder.path / "briefing.png", lambda p: p.write_bytes(png)
        )
        written["briefing_pdf"] = atomic_write(
            folder.path / "briefing.pdf",
            lambda p: fig.savefig(p, format="pdf", metadata={"CreationDate": None}),
        )
        small = io.BytesIO()
        fig.savefig(small, format="png", dpi=110, metadata={"Software": None})
        return small.getvalue()
    finally:
        plt.close(fig)
