"""The backtest section of the briefing, from ``evaluation.json`` (``geo-outreach evaluate``).

Every value taken from the JSON is escaped; the chart (``evaluation.png``, a fixed name, never a
path taken from the JSON) is embedded as a ``data:`` URI so the page stays self-contained.
"""

from __future__ import annotations

import base64
from typing import Any

from geo_outreach.i18n import MESSAGES, channel_label, t
from geo_outreach.render.folder import OutputFolder
from geo_outreach.render.format import esc, fmt_num, fmt_share, isnum
from geo_outreach.render.style import ChannelStyle, channel_info

__all__ = ["BACKTEST_METHODS", "backtest_section"]

BACKTEST_METHODS = ("plan", "random", "naive_hotspot", "topk_no_overlap", "oracle")
ALL_CHANNELS = "all"  # evaluation.json: the entry for every channel together
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


def _demand_line(entry: dict[str, Any], lang: str) -> str:
    """Issue 13: the plan's hit rate with raw and with forecast demand on the same split."""
    d = entry.get("demand")
    if not isinstance(d, dict) or not isnum(d.get("raw_hit_rate")):
        return ""
    hl = d.get("forecast_half_life_days")
    half = (
        t("demand_half_life", lang).format(d=float(hl)) if isnum(hl)
        else t("demand_no_decay_short", lang)
    )  # fmt: skip
    bw = d.get("forecast_bandwidth_m")
    used = t("demand_used_forecast" if d.get("used") == "forecast" else "demand_used_raw", lang)
    text = t("backtest_demand_line", lang).format(
        raw=fmt_share(d.get("raw_hit_rate")), fc=fmt_share(d.get("forecast_hit_rate")),
        bw=fmt_num(bw) if isnum(bw) else "–", half=half, used=used,
    )  # fmt: skip
    return f'<div class="demand-compare">{esc(text)}</div>'


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
        + _demand_line(entry, lang)  # issue 13
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


def backtest_section(folder: OutputFolder, lang: str) -> str:
    """Build the backtest section from ``evaluation.json``; '' without it.

    Parameters
    ----------
    folder
        The output folder (``evaluation_summary``, ``evaluation.png``, channel styles).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        ``<section class="backtest">`` HTML, escaped.
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
    out = [
        f'<section class="backtest" id="backtest"><h2>{esc(_backtest_title(summary, lang))}</h2>'
    ]
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
