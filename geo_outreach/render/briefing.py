"""The briefing: ``briefing.html``, ``briefing.png`` and ``briefing.pdf``.

``briefing.html`` prints as A4-landscape pages (styled by ``assets/briefing.css``): a one-page
summary in plain words, a close-up of the densest area, every site per channel, the precincts,
and a technical appendix. ``briefing.pdf`` is that page printed by headless Chromium
(:mod:`geo_outreach.render.pdf`); ``briefing.png`` is the static map for slides.
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
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach.i18n import check_lang, t
from geo_outreach.outputs import atomic_write, write_text
from geo_outreach.render.assets import asset
from geo_outreach.render.backtest_section import backtest_section
from geo_outreach.render.playbook import playbook_section  # issue 12
from geo_outreach.render.effect import demand_html, effect_sections_html  # issue 13
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
from geo_outreach.render.naming import lang_name
from geo_outreach.render.pdf import PdfPrintError, chromium_executable, print_pdf
from geo_outreach.render.sites import channel_sites
from geo_outreach.render.static_map import densest_bounds, static_map_crs, static_map_figure
from geo_outreach.render.style import ChannelStyle
from geo_outreach.render.summary import (
    HeadlineFigures,
    appendix_html,
    headline_figures,
    site_tables_html,
    summary_html,
)

log = logging.getLogger(__name__)

__all__ = [
    "BriefingMaps",
    "HeadlineFigures",
    "briefing_html",
    "coverage_svg",
    "draw_briefing_maps",
    "headline_figures",
    "render_briefing",
]


# --------------------------------------------------------------------------- HTML


def coverage_svg(
    curve: pd.DataFrame | None, color: str, *, width: int = 180, height: int = 70
) -> str:
    """Draw a coverage curve (sites -> covered share) as a small inline SVG.

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


def _head_html(folder: OutputFolder, lang: str) -> list[str]:
    title = folder.title or t("default_title", lang)
    start, end = folder.period
    suffix = esc(t("briefing_title_suffix", lang))
    html_lang = "zh-CN" if lang == "zh" else "en"
    h: list[str] = [
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">',
        f"<title>{esc(title)} · {suffix}</title>",
        f"<style>{asset('briefing.css')}</style></head><body>",
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
        label = "alerts_latest_month" if hf.partial_month is None else "alerts_complete_month"
        h.append(
            f'<div class="card"><div class="s">{esc(t(label, lang))} '
            f'({esc(hf.month)})</div><div class="v">{esc(fmt_num(hf.latest))}</div></div>'
        )
        for key, pct, p in (("mom", hf.mom_pct, hf.mom_p), ("yoy", hf.yoy_pct, hf.yoy_p)):
            h.append(
                f'<div class="card"><div class="s">{esc(t(key, lang))}</div>'
                f'<div class="v">{esc(fmt_pct(pct))}</div>'
                f'<div class="s">{sig_html(p, lang)}</div></div>'
            )
    h.append("</div>")
    if hf.partial_month is not None:
        key = "partial_month_note" if hf.month != hf.partial_month else "partial_month_only"
        note = t(key, lang).format(
            month=hf.partial_month,
            days="?" if hf.partial_days is None else hf.partial_days,
            complete=hf.month,
        )
        h.append(f'<p class="note" id="partial-month">{esc(note)}</p>')
    return h


def _img(png: bytes, id_: str, alt: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return f'<img id="{id_}" alt="{esc(alt)}" src="data:image/png;base64,{b64}">'


def briefing_html(
    folder: OutputFolder,
    *,
    lang: str = "zh",
    map_png: bytes | None = None,
    inset_png: bytes | None = None,
) -> str:
    """Build the briefing as one self-contained HTML string (A4 landscape pages in print).

    The first page is the summary in plain words (what, where, when, expected reach) with the
    headline figures and the district map; then the close-up of the densest area, every site of
    every channel, the precinct table, and the appendix (solver details, backtest).

    Parameters
    ----------
    folder
        The output folder.
    lang
        ``zh`` (default) or ``en``.
    map_png
        The static map as PNG bytes, embedded as a ``data:`` URI (left out when None).
    inset_png
        The close-up map of the densest area (left out when None).

    Returns
    -------
    str
        The page; every user-supplied string in it is escaped.
    """
    return _briefing_page(folder, check_lang(lang))(map_png, inset_png)


def _briefing_page(folder: OutputFolder, lang: str) -> Callable[[bytes | None, bytes | None], str]:
    """Build the briefing around its two map images; return what puts them in.

    Issue 14: ``plan`` builds the page while a worker process draws the maps.
    """
    sites = channel_sites(folder, lang)
    h = _head_html(folder, lang)
    h.append('<section class="page" id="page-summary"><div class="grid"><div class="left">')
    h.append(summary_html(folder, sites, lang))
    h.append(demand_html(folder.manifest, lang=lang))  # issue 13: which demand, and why
    h += _cards_html(headline_figures(folder), lang)
    map_link = lang_name("map.html", lang)
    h.append(
        f'<div class="meta"><a href="{esc(map_link)}">{esc(t("open_map", lang))}</a></div>'
        '</div><div class="right">'
    )
    top, h = "\n".join(h), []
    h.append(site_tables_html(sites, lang))
    h.append(f'<section id="precincts">{_precinct_table(folder, lang)}</section>')
    curves = {
        cs.channel.name: coverage_svg(_rows_of(folder.coverage_curve, cs.channel), cs.channel.color)
        for cs in sites
    }
    h.append(appendix_html(sites, curves, lang))
    h.append(playbook_section(folder.path, lang))  # issue 12: materials, calendar, visits
    h.append(backtest_section(folder, lang))
    h.append(effect_sections_html(folder.path, lang=lang))  # issue 13: emerging + effect
    h.append(f"<footer>geo_outreach · {esc(t('generated', lang))} {esc(generated_at())}</footer>")
    h.append("</body></html>")
    bottom = "\n".join(h)

    def page(map_png: bytes | None, inset_png: bytes | None) -> str:
        parts = [top]
        if map_png:
            alt = t("overview_map", lang)
            parts.append(f'<div class="map">{_img(map_png, "briefing-map", alt)}</div>')
        parts.append("</div></div></section>")
        if inset_png:
            parts.append(
                f'<section class="page" id="inset"><h2>{esc(t("inset_title", lang))}</h2>'
                f'<div class="map">{_img(inset_png, "inset-map", t("inset_title", lang))}</div>'
                "</section>"
            )
        return "\n".join([*parts, bottom])

    return page


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
    head = [
        t("precinct", lang),
        t("population", lang),
        t("alerts", lang),
        t("alerts_per_10k", lang),
    ]
    if has_trend:
        head += [f"{month} {t('alerts', lang)}".strip(), t("mom", lang), t("yoy", lang)]
    rows = [f'<h2>{esc(t("precinct_table", lang))}</h2><table id="precinct-table"><thead><tr>']
    rows += [f"<th{' class=n' if i else ''}>{esc(c)}</th>" for i, c in enumerate(head)]
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
        tds = "".join(f"<td{' class=n' if i else ''}>{c}</td>" for i, c in enumerate(cells))
        rows.append("<tr>" + tds + "</tr>")
    rows.append("</tbody></table>")
    if has_trend:
        rows.append(f'<div class="meta">* p &lt; 0.05 ({esc(t("significant", lang))})</div>')
    return "".join(rows)


def _rows_of(frame: pd.DataFrame | None, ch: ChannelStyle) -> pd.DataFrame | None:
    return frame[frame["channel"].astype(str) == ch.name] if frame is not None else None


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class BriefingMaps:
    """The static maps drawn for one briefing, as PNG/PDF bytes (None when not drawn)."""

    overview: bytes | None = None
    inset: bytes | None = None
    pdf: bytes | None = None


def render_briefing(
    folder: OutputFolder | str | Path, *, lang: str | None = None, pdf: bool = True
) -> dict[str, Path]:
    """Write the briefing (HTML, PNG map, PDF) into the output folder.

    Chinese files are ``briefing.html`` / ``.png`` / ``.pdf``; other languages get a suffix
    (``briefing.en.html`` ...) so they sit beside the Chinese ones.

    Parameters
    ----------
    folder
        The output folder, read or as a path.
    lang
        ``zh`` or ``en``; default: the manifest's ``output.lang``, else ``zh``.
    pdf
        Also write the PDF: the whole briefing printed by headless Chromium, or, without
        Chromium, the map page drawn by matplotlib (with a logged warning).

    Returns
    -------
    dict
        The written files by kind (``briefing_png``, ``briefing_pdf``, ``briefing_html``). PNG
        and the fallback PDF are skipped with a logged warning when the static map cannot be
        drawn (the HTML is then written without the map images).
    """
    written, finish = start_briefing(folder, lang=lang, pdf=pdf)
    written.update(finish())
    return written


def start_briefing(
    folder: OutputFolder | str | Path,
    *,
    lang: str | None = None,
    pdf: bool = True,
    drawn: Callable[[], tuple[BriefingMaps, dict[str, Path]]] | None = None,
) -> tuple[dict[str, Path], Callable[[], dict[str, Path]]]:
    """Write the briefing's PNG and HTML, and start printing its PDF in the background.

    Issue 14: Chromium prints for ~3 s in its own process; the caller draws the web map
    meanwhile and then calls ``finish``. ``drawn``: returns what :func:`draw_briefing_maps`
    returns for this folder and language (``plan`` draws the maps in a worker process while
    the playbook runs, and builds the page meanwhile); else they are drawn here. Other
    arguments as :func:`render_briefing`.

    Returns
    -------
    tuple
        The files written so far by kind, and ``finish``: waits for Chromium and returns
        ``{"briefing_pdf": path}`` (the matplotlib map page when Chromium failed; ``{}`` when
        no PDF could be written). Call it from the thread that called this function: the
        fallback draws with matplotlib, which is not thread-safe.
    """
    if not isinstance(folder, OutputFolder):
        folder = load_output_folder(folder)
    default = (folder.manifest.get("output") or {}).get("lang") or "zh"
    lang = check_lang(lang if lang is not None else default)
    if drawn is None:
        maps, png = draw_briefing_maps(folder, lang, pdf=pdf)
        page = _briefing_page(folder, lang)(maps.overview, maps.inset)
    else:  # the maps are being drawn in a worker: build the page meanwhile
        build = _briefing_page(folder, lang)
        maps, png = drawn()
        page = build(maps.overview, maps.inset)
    written = dict(png)
    html_path = write_text(folder.path / lang_name("briefing.html", lang), page)
    written["briefing_html"] = html_path
    if not pdf:
        return written, dict
    pdf_path = folder.path / lang_name("briefing.pdf", lang)
    printed: dict[str, Path | PdfPrintError] = {}

    def print_it() -> None:  # the thread only waits on Chromium (a subprocess: no GIL held)
        try:
            printed["pdf"] = print_pdf(html_path, pdf_path)
        except PdfPrintError as exc:
            printed["pdf"] = exc

    thread = threading.Thread(target=print_it, name="briefing pdf", daemon=True)
    thread.start()

    def finish() -> dict[str, Path]:
        thread.join()
        got = printed.get("pdf", PdfPrintError("Chromium printing stopped"))
        if isinstance(got, Path):
            return {"briefing_pdf": got}
        return _fallback_written(folder, lang, maps, pdf_path, got)

    return written, finish


def draw_briefing_maps(
    folder: OutputFolder, lang: str, *, pdf: bool = True
) -> tuple[BriefingMaps, dict[str, Path]]:
    """Draw the briefing's static maps and write ``briefing.png`` (the first half of the render).

    Parameters
    ----------
    folder
        The output folder (its manifest needs only the title, period, notes and channels).
    lang
        ``zh`` or ``en``.
    pdf
        Also draw the map page as a PDF when there is no Chromium (the fallback PDF).

    Returns
    -------
    tuple
        The maps for the page, and ``{"briefing_png": path}`` (both empty, with a logged
        warning, when the static map fails: the interactive map and tables are still useful).
    """
    written: dict[str, Path] = {}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Glyph .* missing from font", category=UserWarning
            )
            maps = _draw_maps(folder, lang, written, fallback_pdf=pdf and not chromium_executable())
    except Exception as exc:  # noqa: BLE001 - the interactive map and tables are still useful
        log.warning(
            "briefing.png and the map pages not drawn: the static map failed (%s: %s)",
            type(exc).__name__,
            exc,
        )
        return BriefingMaps(), {}
    return maps, written


def _fallback_written(
    folder: OutputFolder, lang: str, maps: BriefingMaps, pdf_path: Path, exc: PdfPrintError
) -> dict[str, Path]:
    """Chromium failed: write the matplotlib map page as the PDF (``{}`` when it fails too)."""
    if maps.pdf is None and maps.overview is not None:
        maps = BriefingMaps(maps.overview, maps.inset, _fallback_pdf(folder, lang))
    if maps.pdf is None:
        log.warning("%s not written: %s; the static map failed too", pdf_path.name, exc)
        return {}
    log.warning(
        "%s: %s; wrote only the map page (matplotlib) instead of the whole briefing",
        pdf_path.name,
        exc,
    )
    data = maps.pdf
    return {"briefing_pdf": atomic_write(pdf_path, lambda p: p.write_bytes(data))}


def _savefig(fig: Any, fmt: str, dpi: int | None = None) -> bytes:
    buf = io.BytesIO()
    meta = {"Software": None} if fmt == "png" else {"CreationDate": None}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


def _fallback_pdf(folder: OutputFolder, lang: str) -> bytes | None:
    """Draw the map page as a PDF (matplotlib), for when Chromium cannot print the briefing."""
    import matplotlib.pyplot as plt

    try:
        fig = static_map_figure(folder, lang=lang)
    except Exception:  # noqa: BLE001 - the caller logs that no PDF was written
        return None
    try:
        return _savefig(fig, "pdf")
    finally:
        plt.close(fig)


def _draw_maps(
    folder: OutputFolder, lang: str, written: dict[str, Path], *, fallback_pdf: bool
) -> BriefingMaps:
    """Write briefing.png (150 dpi); return lighter PNGs for the page (and the fallback PDF)."""
    import matplotlib.pyplot as plt

    box = densest_bounds(folder, static_map_crs(folder))
    fig = static_map_figure(folder, lang=lang, box=box)
    try:
        png = _savefig(fig, "png", 150)
        written["briefing_png"] = atomic_write(
            folder.path / lang_name("briefing.png", lang), lambda p: p.write_bytes(png)
        )
        overview = _savefig(fig, "png", 110)
        fallback = _savefig(fig, "pdf") if fallback_pdf else None
    finally:
        plt.close(fig)
    inset = None
    if box is not None:
        fig = static_map_figure(folder, lang=lang, bounds=box)
        try:
            inset = _savefig(fig, "png", 110)
        finally:
            plt.close(fig)
    return BriefingMaps(overview=overview, inset=inset, pdf=fallback)
