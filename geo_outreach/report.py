"""The briefing: ``briefing.html`` (one print-friendly A4-landscape page) and a static map as
``briefing.png`` / ``briefing.pdf`` for slides and documents.

Everything is drawn from the files of an output folder (read by
:func:`geo_outreach.maps.load_output_folder`) with matplotlib, offline: Chinese text uses a CJK
font found on the machine (Debian's ``fonts-noto-cjk``: Noto Sans CJK); without one a warning is
logged and Chinese characters may show as boxes. The static map is drawn in the plan's metric
CRS (the density raster's, else the precincts' UTM zone) so the scale bar is true, with a north
arrow, legend, title and the synthetic-data banner. ``briefing.html`` embeds that map as a PNG
and the coverage curves as inline SVG; it loads nothing from anywhere.
"""

from __future__ import annotations

import base64
import io
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach.i18n import MESSAGES, channel_label, check_lang, t
from geo_outreach.maps import (
    CHORO_COLORS,
    DENSITY_FLOOR,
    HOT_COLORS,
    OutputFolder,
    _breaks,
    _classify,
    _get,
    _hot_level,
    _isnum,
    channel_info,
    choropleth_metric,
    display_reach,
    esc,
    fmt_num,
    fmt_pct,
    fmt_share,
    fmt_sig,
    generated_at,
    load_output_folder,
)
from geo_outreach.outputs import atomic_write, write_text

log = logging.getLogger(__name__)

__all__ = ["headline_figures", "render_briefing", "static_map_figure"]

DISTRICT_ID = "all"  # monthly_trends.csv row holding the district totals
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei",
                "PingFang SC", "Noto Sans CJK JP")
# Debian fonts-noto-cjk; registered explicitly in case matplotlib's font cache predates them
CJK_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


# --------------------------------------------------------------------------- figures


def _district_monthly(folder: OutputFolder) -> pd.Series | None:
    """Alerts per month (YYYY-MM) for the whole district."""
    tr = folder.monthly_trends
    if tr is not None and {"month", "alerts"} <= set(tr.columns):
        if "precinct_id" in tr.columns:
            ids = tr["precinct_id"].astype(str)
            # a district row ("all"), when the stats stage wrote one, is the total already
            tr = tr[ids == DISTRICT_ID] if (ids == DISTRICT_ID).any() else tr
        s = tr.groupby(tr["month"].astype(str).str[:7])["alerts"].sum()
        return s.sort_index()
    a = folder.alerts
    if a is not None and "reported_at" in a.columns and not a.empty:
        ts = pd.to_datetime(a["reported_at"].astype(str).str[:7], format="%Y-%m", errors="coerce")
        s = ts.dropna().dt.strftime("%Y-%m").value_counts().sort_index()
        months = pd.period_range(s.index.min(), s.index.max(), freq="M").astype(str)
        return s.reindex(months, fill_value=0)
    return None


def _poisson_p(a: float, b: float) -> float | None:
    """Two-sided p-value that two Poisson counts share one rate (conditional binomial test)."""
    from scipy.stats import binomtest

    n = round(a + b)
    if n <= 0:
        return None
    return float(binomtest(round(a), n, 0.5).pvalue)


def headline_figures(folder: OutputFolder) -> dict[str, Any]:
    """District totals: alerts in the period, in the latest month, MoM and YoY change (percent)
    with a two-sided Poisson test p-value each."""
    out: dict[str, Any] = {"total": None, "month": None, "latest": None, "mom_pct": None,
                           "mom_p": None, "yoy_pct": None, "yoy_p": None}
    if folder.alerts is not None:
        out["total"] = len(folder.alerts)
    elif "alerts" in folder.precincts.columns:
        out["total"] = int(pd.to_numeric(folder.precincts["alerts"], errors="coerce").sum())
    s = _district_monthly(folder)
    if s is None or s.empty:
        return out
    month = s.index[-1]
    cur = float(s.iloc[-1])
    out.update(month=month, latest=int(cur))
    tr = folder.monthly_trends
    if tr is not None and "precinct_id" in tr.columns and {"mom_p", "yoy_p"} <= set(tr.columns):
        row = tr[(tr["precinct_id"].astype(str) == DISTRICT_ID) & (tr["month"].astype(str).str[:7] == month)]
        if len(row) == 1:  # the stats stage's own figures for the district
            r = row.iloc[0]
            out.update({k: (float(r[k]) if _isnum(r.get(k)) else None)
                        for k in ("mom_pct", "yoy_pct", "mom_p", "yoy_p")})
            return out
    prev_m = str(pd.Period(month, freq="M") - 1)
    yoy_m = str(pd.Period(month, freq="M") - 12)
    for key, ref in (("mom", prev_m), ("yoy", yoy_m)):
        if ref in s.index:
            r = float(s[ref])
            out[f"{key}_pct"] = (cur - r) / r * 100.0 if r > 0 else None
            out[f"{key}_p"] = _poisson_p(cur, r)
    return out


# --------------------------------------------------------------------------- static map


def cjk_font() -> str | None:
    """A CJK-capable font family for matplotlib, or None (Chinese would show as boxes)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    for path in CJK_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((fam for fam in CJK_FAMILIES if fam in names), None)


def _mpl_text(s: Any) -> str:
    """Plain text for matplotlib (a '$' would start mathtext)."""
    return str(s).replace("$", r"\$")


def _scale_length(span_m: float) -> float:
    target = span_m / 5
    for v in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000):
        if v >= target:
            return float(v)
    return 100000.0


def static_map_figure(folder: OutputFolder, *, lang: str = "zh") -> Any:
    """A matplotlib Figure (A4 landscape) of the plan: choropleth, density, hot spots,
    placements with reach, patrol route; title, legend, scale bar, north arrow."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    lang = check_lang(lang)
    font = cjk_font()
    if font is None:
        log.warning("no CJK font found (install fonts-noto-cjk); Chinese text in briefing.png/pdf "
                    "may show as boxes")
    rc = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "pdf.fonttype": 42,
          "axes.unicode_minus": False}
    with plt.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        crs = None
        dens = None
        if folder.density_path is not None:
            try:
                import rasterio

                with warnings.catch_warnings(), rasterio.open(folder.density_path) as src:
                    warnings.filterwarnings("ignore", message="Use `@` matmul",
                                            category=PendingDeprecationWarning)
                    arr = src.read(1, masked=True).astype(float).filled(np.nan)
                    crs = src.crs.to_wkt() if src.crs else None
                    b = src.bounds
                    dens = (arr, (b.left, b.right, b.bottom, b.top))
            except Exception as exc:  # noqa: BLE001 - the map is still useful without it
                log.warning("%s: density skipped in the static map (%s)", folder.density_path, exc)
                dens = None
        if crs is None:
            crs = folder.precincts.estimate_utm_crs()
            dens = None

        def proj(g: Any) -> Any:
            return None if g is None or g.empty else g.to_crs(crs)

        fig = plt.figure(figsize=(11.69, 8.27), dpi=100)
        ax = fig.add_axes((0.02, 0.04, 0.70, 0.84))
        ax.set_axis_off()
        ax.set_aspect("equal")
        handles: list[Any] = []

        pr = proj(folder.precincts)
        metric = choropleth_metric(folder.precincts)
        colors = ["#eeeeee"] * len(pr)
        if metric:
            vals = pd.to_numeric(pr[metric], errors="coerce").to_numpy(float)
            brk = _breaks(vals, len(CHORO_COLORS))
            colors = [CHORO_COLORS[min(_classify(v, brk), len(CHORO_COLORS) - 1)] if np.isfinite(v)
                      else "#eeeeee" for v in vals]
            edges = [0.0, *brk, float(np.nanmax(vals)) if np.isfinite(vals).any() else 0.0]
            unit = t("legend_rate_unit" if metric == "alerts_per_10k" else "legend_alerts_unit", lang)
            handles.append(mpatches.Patch(color="none", label=unit))
            for i in range(len(brk) + 1):
                handles.append(mpatches.Patch(facecolor=CHORO_COLORS[i], edgecolor="#333",
                                              label=f"{fmt_num(edges[i], 1)} – {fmt_num(edges[i + 1], 1)}"))
        pr.plot(ax=ax, color=colors, edgecolor="#222", linewidth=1.0, alpha=0.6, zorder=1)
        if folder.streets is not None and not folder.streets.empty:
            proj(folder.streets).plot(ax=ax, color="#8c8c8c", linewidth=0.4, zorder=2)
        if dens is not None:
            arr, extent = dens
            finite = arr[np.isfinite(arr) & (arr > 0)]
            if finite.size:
                vmax = float(np.quantile(finite, 0.99))
                from matplotlib import colormaps
                from matplotlib.cm import ScalarMappable
                from matplotlib.colors import Normalize

                # same encoding as the web map: faint where density is low, so the
                # choropleth stays readable; nothing below DENSITY_FLOOR of the top value
                norm = np.clip(np.nan_to_num(arr) / vmax, 0, 1)
                rgba = colormaps["YlOrRd"](norm)
                rgba[..., 3] = np.where(np.isfinite(arr) & (norm > DENSITY_FLOOR), 0.25 + 0.6 * np.sqrt(norm), 0.0)
                ax.imshow(rgba, extent=extent, origin="upper", zorder=3, interpolation="bilinear")
                im = ScalarMappable(norm=Normalize(0, vmax), cmap="YlOrRd")
                cax = fig.add_axes((0.74, 0.08, 0.22, 0.018))
                cb = fig.colorbar(im, cax=cax, orientation="horizontal")
                cb.set_label(f"{t('layer_density', lang)} ({t('legend_density_unit', lang)})", fontsize=8)
                cb.ax.tick_params(labelsize=7)
        if folder.hotspots is not None and not folder.hotspots.empty:
            hs = proj(folder.hotspots)
            lv = np.array([_hot_level(r) for _, r in hs.iterrows()])
            hot = hs[lv > 0]
            if not hot.empty:
                hot.plot(ax=ax, facecolor="none", edgecolor=HOT_COLORS[3], linewidth=0.8, zorder=4)
                handles.append(mpatches.Patch(facecolor="none", edgecolor=HOT_COLORS[3],
                                              label=t("legend_hot", lang)))
        if folder.uncovered is not None and not folder.uncovered.empty:
            proj(folder.uncovered).plot(ax=ax, facecolor="none", edgecolor="#d7191c", linewidth=1.8,
                                        linestyle="--", zorder=5)
            handles.append(mpatches.Patch(facecolor="none", edgecolor="#d7191c", linestyle="--",
                                          label=t("legend_uncovered", lang)))
        for _, row in pr.iterrows():
            p = row.geometry.representative_point()
            ax.text(p.x, p.y, _mpl_text(str(row["name"])[:16]), fontsize=8, ha="center", va="center", zorder=9,
                    color="#111", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6})
        chans = channel_info(folder, lang)
        pl = proj(folder.placements)
        rc_ = proj(display_reach(folder.reach))
        for ch in chans:
            if pl is None or "channel" not in pl.columns:
                break
            sub = pl[pl["channel"].astype(str) == ch["name"]]
            if sub.empty:
                continue
            rsub = rc_[rc_["channel"].astype(str) == ch["name"]] if rc_ is not None and "channel" in rc_.columns else None
            radius = ch["info"].get("radius_m")
            if rsub is not None and not rsub.empty:
                rsub.plot(ax=ax, facecolor=ch["color"], edgecolor=ch["color"], alpha=0.15, zorder=6)
            elif _isnum(radius):
                sub.buffer(float(radius)).plot(ax=ax, facecolor=ch["color"], edgecolor=ch["color"],
                                               alpha=0.15, zorder=6)
            ax.scatter(sub.geometry.x, sub.geometry.y, s=110, color=ch["color"], edgecolor="white",
                       linewidth=1.2, zorder=10)
            for _, r in sub.iterrows():
                rk = _get(r, "rank")
                ax.text(r.geometry.x, r.geometry.y, str(int(float(rk))) if _isnum(rk) else "",
                        fontsize=6.5, color="white", ha="center", va="center", zorder=11, weight="bold")
            handles.append(Line2D([], [], marker="o", linestyle="none", markersize=8, color=ch["color"],
                                  label=f"{t('layer_placements', lang)}: {_mpl_text(ch['label'])}"))
        if folder.patrol is not None and not folder.patrol.empty:
            pt = proj(folder.patrol)
            lines = pt[pt.geom_type.isin(["LineString", "MultiLineString"])]
            if not lines.empty:
                lines.plot(ax=ax, color="#08306b", linewidth=2, linestyle="--", zorder=8)
                handles.append(Line2D([], [], color="#08306b", linestyle="--", label=t("layer_patrol", lang)))
        if folder.clusters is not None and not folder.clusters.empty:
            proj(folder.clusters).plot(ax=ax, facecolor="none", edgecolor="#6a3d9a", linewidth=1.2,
                                       linestyle=":", zorder=7)
            handles.append(mpatches.Patch(facecolor="none", edgecolor="#6a3d9a", linestyle=":",
                                          label=t("legend_cluster", lang)))

        x0, y0, x1, y1 = pr.total_bounds
        pad = 0.03 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        # scale bar (metres, the axes are in a metric CRS)
        L = _scale_length(x1 - x0)
        sx, sy = x0, y0 - pad * 0.6
        ax.add_patch(mpatches.Rectangle((sx, sy), L / 2, pad * 0.18, facecolor="black", zorder=12))
        ax.add_patch(mpatches.Rectangle((sx + L / 2, sy), L / 2, pad * 0.18, facecolor="white",
                                        edgecolor="black", zorder=12))
        ax.text(sx + L, sy + pad * 0.3, f"{L / 1000:g} km" if L >= 1000 else f"{L:g} m", fontsize=8,
                ha="right", va="bottom", zorder=12)
        ax.text(sx, sy + pad * 0.3, "0", fontsize=8, ha="left", va="bottom", zorder=12)
        # north arrow (grid north; UTM convergence near Jiangmen is < 1°)
        ax.annotate(t("north", lang), xy=(0.965, 0.97), xytext=(0.965, 0.86), xycoords="axes fraction",
                    ha="center", va="center", fontsize=12, weight="bold",
                    arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 2})

        title = folder.title or t("default_title", lang)
        start, end = folder.period
        fig.text(0.02, 0.965, _mpl_text(title), fontsize=16, weight="bold", va="center")
        if start or end:
            fig.text(0.02, 0.925, _mpl_text(f"{t('period', lang)}: {start} – {end}"), fontsize=10, va="center")
        if folder.synthetic:
            fig.text(0.98, 0.965, t("synthetic_banner", lang), fontsize=10, color="white", ha="right",
                     va="center", weight="bold", bbox={"boxstyle": "square,pad=0.4", "fc": "#b30000", "ec": "none"})
            for i, n in enumerate(folder.notes[:3]):
                fig.text(0.98, 0.93 - 0.022 * i, _mpl_text(n)[:110], fontsize=7, color="#b30000", ha="right",
                         va="center")
        if handles:
            fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.735, 0.86), fontsize=8,
                       title=t("legend", lang), title_fontsize=9, frameon=True)
        fig.text(0.98, 0.01, f"geo_outreach · {generated_at()}", fontsize=6, color="#666", ha="right")
    return fig


# --------------------------------------------------------------------------- HTML


def coverage_svg(curve: pd.DataFrame, color: str, *, width: int = 180, height: int = 70) -> str:
    """A small inline SVG of a coverage curve (sites → covered share)."""
    if curve is None or curve.empty or "k" not in curve.columns:
        return ""
    ks = pd.to_numeric(curve["k"], errors="coerce").to_numpy(float)
    if "covered_share" in curve.columns:
        ys = pd.to_numeric(curve["covered_share"], errors="coerce").to_numpy(float)
    else:
        ys = pd.to_numeric(curve["covered_weight"], errors="coerce").to_numpy(float)
        ys = ys / np.nanmax(ys) if np.nanmax(ys) > 0 else ys
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
    return (
        f'<svg class="curve" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">'
        f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="#888"/>'
        f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" stroke="#888"/>'
        f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>'
        + "".join(f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="2" fill="{color}"/>' for k, v in zip(ks[1:], ys[1:]))
        + f'<text x="{ml - 3}" y="{mt + 7}" font-size="8" text-anchor="end">{esc(fmt_share(ymax))}</text>'
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

MAX_ROWS_PER_CHANNEL = 5


def _sig_html(p: Any, lang: str) -> str:
    s = fmt_sig(p, lang)
    if not s:
        return ""
    cls = ' class="sig"' if float(p) < 0.05 else ""
    return f"<span{cls}>{esc(s)}</span>"


def briefing_html(folder: OutputFolder, *, lang: str = "zh", map_png: bytes | None = None) -> str:
    """The briefing page as one self-contained HTML string (A4 landscape when printed)."""
    lang = check_lang(lang)
    title = folder.title or t("default_title", lang)
    start, end = folder.period
    hf = headline_figures(folder)
    h: list[str] = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{esc(title)} · {esc(t('briefing_title_suffix', lang))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{esc(title)} · {esc(t('briefing_title_suffix', lang))}</h1>",
    ]
    if start or end:
        h.append(f'<div class="period">{esc(t("period", lang))}: {esc(start)} – {esc(end)}</div>')
    h.append("</header>")
    if folder.synthetic:
        notes = "".join(f"<small>{esc(n)}</small>" for n in folder.notes)
        h.append(f'<div class="banner" id="synthetic-banner">{esc(t("synthetic_banner", lang))}'
                 f"<br>{notes}</div>")
    h.append('<div class="grid"><section class="left">')
    h.append(f'<h2>{esc(t("headline", lang))}</h2><div class="cards" id="headline">')
    h.append(f'<div class="card"><div class="s">{esc(t("alerts_total", lang))}</div>'
             f'<div class="v">{esc(fmt_num(hf["total"]))}</div></div>')
    if hf["latest"] is not None:
        h.append(f'<div class="card"><div class="s">{esc(t("alerts_latest_month", lang))} '
                 f'({esc(hf["month"])})</div><div class="v">{esc(fmt_num(hf["latest"]))}</div></div>')
        for key in ("mom", "yoy"):
            h.append(f'<div class="card"><div class="s">{esc(t(key, lang))}</div>'
                     f'<div class="v">{esc(fmt_pct(hf[key + "_pct"]))}</div>'
                     f'<div class="s">{_sig_html(hf[key + "_p"], lang)}</div></div>')
    h.append("</div>")
    if map_png:
        b64 = base64.b64encode(map_png).decode("ascii")
        h.append(f'<div class="map"><img id="briefing-map" alt="{esc(t("map", lang))}" '
                 f'src="data:image/png;base64,{b64}"></div>')
    h.append(f'<div class="meta"><a href="map.html">{esc(t("open_map", lang))}</a></div>')
    h.append('</section><section class="right">')
    h.append(_precinct_table(folder, lang))
    h.append(_channel_tables(folder, lang))
    h.append("</section></div>")
    h.append(_backtest_section(folder, lang))
    h.append(f"<footer>geo_outreach · {esc(t('generated', lang))} {esc(generated_at())}</footer>")
    h.append("</body></html>")
    return "\n".join(h)


def _precinct_table(folder: OutputFolder, lang: str) -> str:
    pr = folder.precincts.copy()
    if "alerts" in pr.columns:
        pr = pr.assign(_a=pd.to_numeric(pr["alerts"], errors="coerce")).sort_values("_a", ascending=False)
    has_trend = "last_month_alerts" in pr.columns
    head = [t("precinct", lang), t("population", lang), t("alerts", lang), t("alerts_per_10k", lang)]
    if has_trend:
        month = next((str(m) for m in pr["last_month"] if m is not None and str(m) != "nan"), "") \
            if "last_month" in pr.columns else ""
        head += [f"{month} {t('alerts', lang)}".strip(), t("mom", lang), t("yoy", lang)]
    rows = [f'<h2>{esc(t("precinct_table", lang))}</h2><table id="precinct-table"><thead><tr>']
    rows += [f'<th{" class=n" if i else ""}>{esc(c)}</th>' for i, c in enumerate(head)]
    rows.append("</tr></thead><tbody>")
    for _, r in pr.iterrows():
        cells = [esc(r["name"]), esc(fmt_num(_get(r, "population"))), esc(fmt_num(_get(r, "alerts"))),
                 esc(fmt_num(_get(r, "alerts_per_10k"), 1))]
        if has_trend:
            cells.append(esc(fmt_num(_get(r, "last_month_alerts"))))
            for k in ("mom", "yoy"):
                p = _get(r, f"{k}_p")
                sig = _isnum(p) and float(p) < 0.05
                text = esc(fmt_pct(_get(r, f"{k}_pct")) + ("*" if sig else ""))
                cells.append(f'<span class="sig">{text}</span>' if sig else text)
        rows.append("<tr>" + "".join(f'<td{" class=n" if i else ""}>{c}</td>' for i, c in enumerate(cells))
                    + "</tr>")
    rows.append("</tbody></table>")
    if has_trend:
        rows.append(f'<div class="meta">* p &lt; 0.05 ({esc(t("significant", lang))})</div>')
    return "".join(rows)


def _channel_tables(folder: OutputFolder, lang: str) -> str:
    chans = channel_info(folder, lang)
    if not chans:
        return ""
    pl = folder.placements
    cc = folder.coverage_curve
    names = dict(zip(folder.precincts["precinct_id"].astype(str), folder.precincts["name"].astype(str)))
    out = [f'<h2>{esc(t("placements_table", lang))}</h2><div class="channels">']
    for ch in chans:
        info = ch["info"]
        sub = pl[pl["channel"].astype(str) == ch["name"]] if pl is not None and "channel" in pl.columns else None
        curve = cc[cc["channel"].astype(str) == ch["name"]] if cc is not None and "channel" in cc.columns else None
        meta = [f"{t('budget', lang)} {fmt_num(info.get('budget'))}" if _isnum(info.get("budget")) else "",
                f"{t('covered_share', lang)} {fmt_share(info.get('covered_share'))}"
                if _isnum(info.get("covered_share")) else "",
                f"{t('radius_m', lang)} {fmt_num(info.get('radius_m'))}" if _isnum(info.get("radius_m")) else "",
                f"{t('status', lang)} {info.get('status')}" if info.get("status") else "",
                f"{t('gap', lang)} {fmt_share(info.get('gap'))}" if _isnum(info.get("gap")) else ""]
        svg = coverage_svg(curve, ch["color"], width=150, height=48) if curve is not None else ""
        out.append(f'<div class="channel" data-channel="{esc(ch["name"])}" style="border-color:{ch["color"]}">'
                   f'<div class="top"><div><h3 style="color:{ch["color"]}">{esc(ch["label"])}</h3>'
                   f'<div class="meta">{esc(" · ".join(m for m in meta if m))}</div></div>'
                   f'<div title="{esc(t("coverage_curve", lang))}">{svg}</div></div>')
        if sub is not None and not sub.empty:
            if "rank" in sub.columns:
                sub = sub.assign(_r=pd.to_numeric(sub["rank"], errors="coerce")).sort_values("_r")
            out.append(f'<table class="placements"><thead><tr><th>#</th>'
                       f'<th>{esc(t("name", lang))}</th><th>{esc(t("precinct", lang))}</th>'
                       f'<th class=n>{esc(t("marginal_weight", lang))}</th>'
                       f'<th class=n>{esc(t("cumulative_share", lang))}</th></tr></thead><tbody>')
            for _, r in sub.head(MAX_ROWS_PER_CHANNEL).iterrows():
                rk = _get(r, "rank")
                pid = str(_get(r, "precinct_id") or "")
                out.append(
                    f"<tr><td>{esc(int(float(rk)) if _isnum(rk) else '')}</td>"
                    f"<td>{esc(_get(r, 'name') or _get(r, 'venue_id') or '')}</td>"
                    f"<td>{esc(names.get(pid, pid))}</td>"
                    f"<td class=n>{esc(fmt_num(_get(r, 'marginal_weight'), 1))}</td>"
                    f"<td class=n>{esc(fmt_share(_get(r, 'cumulative_share')))}</td></tr>")
            out.append("</tbody></table>")
            if len(sub) > MAX_ROWS_PER_CHANNEL:
                out.append(f'<div class="more">+{len(sub) - MAX_ROWS_PER_CHANNEL} '
                           f'{esc(t("more_sites", lang))}</div>')
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


BACKTEST_METHODS = ("plan", "random", "naive_hotspot", "topk_no_overlap", "oracle")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _backtest_title(summary: dict[str, Any], lang: str) -> str:
    """'Backtest · split 2026-05-01 · test period 2026-05-01 – 2026-10-31' (plain text)."""
    splits = summary.get("splits")
    splits = [s for s in splits if isinstance(s, dict)] if isinstance(splits, list) else []
    parts = [t("backtest", lang)]
    rolling = summary.get("rolling")
    if _isnum(rolling) and int(float(rolling)) > 0:
        parts.append(f"{int(float(rolling))} {t('backtest_rolling', lang)}")
    elif summary.get("summary_split"):
        parts.append(f"{t('backtest_split', lang)} {summary['summary_split']}")
    starts = sorted(str(s["test_start"]) for s in splits if s.get("test_start"))
    ends = sorted(str(s["test_end"]) for s in splits if s.get("test_end"))
    if starts or ends:
        parts.append(f"{t('backtest_test_period', lang)} {starts[0] if starts else ''} – {ends[-1] if ends else ''}")
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


def _backtest_table(entry: dict[str, Any], methods: list[str], summary: dict[str, Any], lang: str) -> str:
    labels = summary.get("method_labels")
    fallback = labels.get(lang) if isinstance(labels, dict) and isinstance(labels.get(lang), dict) else {}
    head = "".join(f"<th class=n>{esc(t(key, lang))}</th>" for key in (
        "backtest_sites", "backtest_hit_rate", "backtest_pai", "backtest_pei", "backtest_share_of_oracle"))
    rows = [f'<table class="backtest-table"><thead><tr><th>{esc(t("backtest_method", lang))}</th>{head}'
            "</tr></thead><tbody>"]
    for m in methods:
        r = entry.get(m)
        if not isinstance(r, dict):
            continue
        key = f"method_{m}"
        label = t(key, lang) if key in MESSAGES else (fallback.get(m) or m)
        hr, lo, hi = r.get("hit_rate"), r.get("hit_rate_lo"), r.get("hit_rate_hi")
        ci = (f' <span class="ci">({esc(fmt_share(lo))}–{esc(fmt_share(hi))})</span>'
              if _isnum(lo) and _isnum(hi) else "")
        k = r.get("k")
        rows.append(
            f'<tr class="{esc(m)}" data-method="{esc(m)}"><td>{esc(label)}</td>'
            f"<td class=n>{esc(int(float(k)) if _isnum(k) else '–')}</td>"
            f"<td class=n>{esc(fmt_share(hr))}{ci}</td>"
            f"<td class=n>{esc(fmt_num(r.get('pai'), 1))}</td>"
            f"<td class=n>{esc(fmt_num(r.get('pei'), 2))}</td>"
            f"<td class=n>{esc(fmt_share(r.get('share_of_oracle')))}</td></tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _backtest_section(folder: OutputFolder, lang: str) -> str:
    """The backtest section from ``evaluation.json`` (``geo-outreach evaluate``); '' without it.

    Every value taken from the JSON is escaped; the chart (``evaluation.png``) is embedded as a
    ``data:`` URI so the page stays self-contained."""
    summary = folder.evaluation_summary
    if not isinstance(summary, dict):
        return ""
    chans = summary.get("channels")
    if not isinstance(chans, dict) or not chans:
        return ""
    methods = summary.get("methods")
    methods = [m for m in methods if isinstance(m, str)] if isinstance(methods, list) else list(BACKTEST_METHODS)
    info = {c["name"]: c for c in channel_info(folder, lang)}
    all_key = "all"
    order = [all_key] if isinstance(chans.get(all_key), dict) else []
    order += [n for n in info if n in chans and n != all_key]
    order += [n for n in chans if n not in order]
    out = [f'<section class="backtest" id="backtest"><h2>{esc(_backtest_title(summary, lang))}</h2>']
    meta = [t("backtest_intro", lang)]
    n_test = next((e["plan"]["test_alerts"] for e in (chans.get(n) for n in order)
                   if isinstance(e, dict) and isinstance(e.get("plan"), dict)
                   and _isnum(e["plan"].get("test_alerts"))), None)
    if n_test is not None:  # the same alerts for every channel (those inside the study area)
        meta.append(f"{t('backtest_test_alerts', lang)}: {fmt_num(n_test)}")
    out.append(f'<div class="meta">{esc(" ".join(meta))}</div><div class="bt-grid">')
    chart = _backtest_chart(folder)
    if chart:
        b64 = base64.b64encode(chart).decode("ascii")
        out.append(f'<div class="bt-chart"><img id="backtest-chart" alt="{esc(t("backtest_chart", lang))}" '
                   f'src="data:image/png;base64,{b64}"></div>')
    for name in order:
        entry = chans[name]
        if not isinstance(entry, dict):
            continue
        if name == all_key:
            label, color = t("backtest_all_channels", lang), "#333"
        else:
            ch = info.get(name)
            label = ch["label"] if ch else channel_label(str(name), lang, entry.get("label"))
            color = ch["color"] if ch else "#999"
        head = entry.get("headline")
        sentence = (head.get(lang) or head.get("en") or "") if isinstance(head, dict) else ""
        radius = entry.get("radius_m")
        sub = " · ".join(x for x in (
            f"{t('distance', lang)} {_distance_label(entry['distance'], lang)}" if entry.get("distance") else "",
            f"{t('radius_m', lang)} {fmt_num(radius)}" if _isnum(radius) else "") if x)
        out.append(f'<div class="bt-channel" data-channel="{esc(name)}" style="border-color:{color}">'
                   f'<h3 style="color:{color}">{esc(label)}</h3>'
                   + (f'<div class="meta">{esc(sub)}</div>' if sub else "")
                   + f'<div class="headline">{esc(sentence)}</div>'
                   + _backtest_table(entry, methods, summary, lang) + "</div>")
    out.append("</div>")
    out.append(f'<div class="meta">{esc(t("backtest_definitions", lang))}</div>')
    notes = summary.get("notes")
    notes = [str(n) for n in notes if n is not None] if isinstance(notes, list) else []
    if notes:
        out.append(f'<div class="more">{esc(t("notes", lang))}: {esc(" · ".join(notes[:6]))}'
                   + (f" (+{len(notes) - 6})" if len(notes) > 6 else "") + "</div>")
    out.append("</section>")
    return "".join(out)


# --------------------------------------------------------------------------- writing


def render_briefing(folder: OutputFolder | str | Path, *, lang: str | None = None) -> dict[str, Path]:
    """Write ``briefing.png``, ``briefing.pdf`` and ``briefing.html`` into the output folder.

    PNG/PDF are skipped with a logged warning when the static map cannot be drawn (the HTML is
    then written without the map image).
    """
    if not isinstance(folder, OutputFolder):
        folder = load_output_folder(folder)
    lang = check_lang(lang if lang is not None else (folder.manifest.get("output") or {}).get("lang") or "zh")
    written: dict[str, Path] = {}
    png_bytes: bytes | None = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
            png_bytes = _write_static_map(folder, lang, written)
    except Exception as exc:  # noqa: BLE001 - the interactive map and tables are still useful
        log.warning("briefing.png/briefing.pdf not written: the static map failed (%s: %s)",
                    type(exc).__name__, exc)
    written["briefing_html"] = write_text(folder.path / "briefing.html",
                                          briefing_html(folder, lang=lang, map_png=png_bytes))
    return written


def _write_static_map(folder: OutputFolder, lang: str, written: dict[str, Path]) -> bytes:
    """Write briefing.png (150 dpi) and briefing.pdf; return a lighter PNG for the HTML page."""
    import matplotlib.pyplot as plt

    fig = static_map_figure(folder, lang=lang)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
        png = buf.getvalue()
        written["briefing_png"] = atomic_write(folder.path / "briefing.png", lambda p: p.write_bytes(png))
        written["briefing_pdf"] = atomic_write(
            folder.path / "briefing.pdf",
            lambda p: fig.savefig(p, format="pdf", metadata={"CreationDate": None}))
        small = io.BytesIO()
        fig.savefig(small, format="png", dpi=110, metadata={"Software": None})
        return small.getvalue()
    finally:
        plt.close(fig)
