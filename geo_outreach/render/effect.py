"""The effect estimate drawn: the event-study chart ``effect.png``, a briefing section (issue 13).

Both read ``effect.csv`` / ``effect.json`` from an output folder (written by
:func:`geo_outreach.effect.run.write_effect`), so ``geo-outreach render`` can redraw them.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_outreach._validate import check_output
from geo_outreach.effect.emerging import emerging_lines
from geo_outreach.i18n import t
from geo_outreach.outputs import atomic_write
from geo_outreach.render.format import esc
from geo_outreach.render.geometry import shift
from geo_outreach.render.style import cjk_font


def write_effect_chart(out_dir: str | Path, *, lang: str = "zh") -> Path:
    """Draw the event study (% change per month since the start, 95% CIs) to ``effect.png``.

    Parameters
    ----------
    out_dir
        Folder with ``effect.csv`` and ``effect.json``.
    lang
        ``"zh"`` (when a CJK font is installed) or ``"en"``.

    Returns
    -------
    pathlib.Path
        The written PNG.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    table = pd.read_csv(out / "effect.csv")
    summary: dict[str, Any] = json.loads((out / "effect.json").read_text(encoding="utf-8"))
    font = cjk_font()
    lang = lang if (lang == "en" or font is not None) else "en"
    ev = table[table["row_type"] == "event"].sort_values("event_time")
    x = ev["event_time"].to_numpy(dtype=float)
    y = ev["pct"].to_numpy(dtype=float)
    lo = y - ev["pct_lo"].to_numpy(dtype=float)
    hi = ev["pct_hi"].to_numpy(dtype=float) - y
    style: dict[Any, Any] = {"axes.spines.top": False, "axes.spines.right": False}
    if font:
        style["font.family"] = [font, "DejaVu Sans"]
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
        pre = x < 0
        for mask, color in ((pre, "#7f7f7f"), (~pre, "#d62728")):
            ax.errorbar(x[mask], y[mask], yerr=np.vstack([lo[mask], hi[mask]]), fmt="o",
                        color=color, capsize=3, lw=1)  # fmt: skip
        ticks = [int(v) for v in x]
        names = [str(v) for v in ticks]
        if len(ticks) > 1:  # the window's ends hold every earlier / later month
            names[0], names[-1] = f"≤{ticks[0]}", f"≥{ticks[-1]}"
        ax.set_xticks(ticks, names)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="#999999", lw=0.8, ls="--")
        ax.set_xlabel(t("effect_chart_x", lang))
        ax.set_ylabel(t("effect_chart_y", lang))
        ax.set_title(t("effect_chart_title", lang), fontsize=10)
        lo_ci, hi_ci = summary["ci95_pct"]
        note = f"{summary['effect_pct']:+.1f}% (95% CI {lo_ci:+.1f}% … {hi_ci:+.1f}%)"
        if summary.get("pretrend_p") is not None:
            ok = t("effect_pretrend_ok" if summary.get("pretrend_ok") else "effect_pretrend_bad",
                   lang)  # fmt: skip
            note += f"\n{ok} (p = {summary['pretrend_p']:.3f})"
        ax.text(0.01, 0.02, note, transform=ax.transAxes, fontsize=8)
        if summary.get("synthetic"):
            fig.text(0.5, 0.98, t("synthetic_banner", lang), ha="center", va="top",
                     color="#b00020", fontsize=9, weight="bold")  # fmt: skip
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        path = atomic_write(out / "effect.png", lambda p: fig.savefig(p, format="png"))
        plt.close(fig)
    return path


def effect_section_html(out_dir: str | Path, *, lang: str = "zh") -> str:
    """Return the briefing's effect section (empty when the folder has no ``effect.json``)."""
    path = Path(out_dir) / "effect.json"
    if not path.is_file():
        return ""
    s: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    text = html.escape(str(s["wording"].get(lang, s["wording"]["en"])))
    ctx = s.get("headline_context") or {}
    if ctx.get("wording"):
        text += "</p><p>" + html.escape(str(ctx["wording"].get(lang, ctx["wording"]["en"])))
    img = '<img src="effect.png" alt="event study" style="max-width:min(100%,760px)">'
    if not (Path(out_dir) / "effect.png").is_file():
        img = ""
    return (
        f'<section class="effect"><h2>{html.escape(t("effect_title", lang))}</h2>'
        f"<p>{text}</p>{img}</section>"
    )


#: Map colours of the emerging hot-spot patterns (new and intensifying stand out).
PATTERN_COLORS: dict[str, str] = {
    "new": "#e31a1c",
    "consecutive": "#fd8d3c",
    "intensifying": "#800026",
    "persistent": "#bd0026",
    "diminishing": "#feb24c",
    "sporadic": "#fed976",
    "oscillating": "#c994c7",
    "historical": "#969696",
    # cold-spot patterns: blues, darker where colder or longer
    "new_cold": "#6baed6",
    "consecutive_cold": "#4292c6",
    "intensifying_cold": "#08306b",
    "persistent_cold": "#08519c",
    "diminishing_cold": "#9ecae1",
    "sporadic_cold": "#c6dbef",
    "oscillating_cold": "#807dba",
    "historical_cold": "#bdbdbd",
}


def _emerging(out_dir: str | Path) -> gpd.GeoDataFrame | None:
    path = Path(out_dir) / "emerging_hotspots.geojson"
    if not path.is_file():
        return None
    gdf = gpd.read_file(path)
    if len(gdf) == 0:  # no cell with a pattern: an empty GeoJSON has no columns to check
        return None
    check_output(path.name, gdf)
    return gdf


def add_emerging_layer(m: Any, out_dir: str | Path, datum: str, lang: str) -> bool:
    """Add the emerging hot spots to a folium map as one layer (hidden at first).

    Parameters
    ----------
    m
        The folium map.
    out_dir
        Folder with ``emerging_hotspots.geojson`` (nothing is added without it).
    datum
        The base map's datum (cells are shifted to it).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    bool
        Whether a layer was added.
    """
    import folium

    gdf = _emerging(out_dir)
    if gdf is None:
        return False
    gdf = shift(gdf, datum)
    gdf["label"] = [t(f"pattern_{p}", lang) for p in gdf["pattern"]]
    gdf["color"] = [PATTERN_COLORS.get(p, "#969696") for p in gdf["pattern"]]
    layer = folium.FeatureGroup(name=esc(t("layer_emerging", lang)), show=False)
    folium.GeoJson(
        gdf[["label", "precinct_name", "alerts", "run_start_month", "color", "geometry"]],
        style_function=lambda f: {"color": f["properties"]["color"], "weight": 1.5,
                                  "fillColor": f["properties"]["color"], "fillOpacity": 0.35},
        tooltip=folium.GeoJsonTooltip(["label", "precinct_name", "alerts", "run_start_month"],
                                      aliases=["", "", "", ""]),
    ).add_to(layer)  # fmt: skip
    layer.add_to(m)
    return True


def emerging_section_html(out_dir: str | Path, *, lang: str = "zh") -> str:
    """Return the briefing's emerging hot-spot lines (empty without the file)."""
    gdf = _emerging(out_dir)
    path = Path(out_dir) / "emerging_hotspots.geojson"
    if gdf is None and not path.is_file():
        return ""
    lines = emerging_lines(gdf, lang) if gdf is not None else []
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines) or (
        f"<li>{html.escape(t('emerging_none', lang))}</li>"
    )
    return (
        f'<section class="emerging"><h2>{html.escape(t("emerging_title", lang))}</h2>'
        f"<ul>{items}</ul></section>"
    )


def effect_sections_html(out_dir: str | Path, *, lang: str = "zh") -> str:
    """Return the emerging hot-spot and effect sections of the briefing (issue 13)."""
    return emerging_section_html(out_dir, lang=lang) + effect_section_html(out_dir, lang=lang)


# --------------------------------------------------------------------------- issue 13: demand


def _forecast_why(fc: dict[str, Any], lang: str) -> str:
    hl = fc.get("half_life_days")
    half = t("demand_no_decay", lang) if hl is None else t("demand_half_life", lang).format(d=hl)
    folds = list(fc.get("folds") or [])
    span = f"{folds[0]}–{folds[-1]}" if folds else ""
    return t("demand_forecast_line", lang).format(
        bw=float(fc.get("bandwidth_m") or 0.0), half=half, span=span,
        hit=100 * float(fc.get("cv_hit_rate") or 0.0),
        raw=100 * float(fc.get("cv_raw_hit_rate") or 0.0),
    )  # fmt: skip


def demand_html(manifest: dict[str, Any], *, lang: str = "zh") -> str:
    """One paragraph: which demand each placement channel planned on, and why (issue 13).

    Forecast channels get the chosen bandwidth and half-life and the month-ahead hit rates that
    chose them (the same for every channel of a plan); the others are named as raw.
    """
    chans = {
        name: c for name, c in (manifest.get("channels") or {}).items()
        if isinstance(c, dict) and c.get("type", "venues") != "visits" and "demand" in c
    }  # fmt: skip
    if not chans:
        return ""
    fc_names = [str(c.get("label") or n) for n, c in chans.items() if c.get("forecast")]
    raw_names = [str(c.get("label") or n) for n, c in chans.items() if not c.get("forecast")]
    sep = "、" if lang == "zh" else ", "
    parts = []
    if fc_names:
        fc = next(c["forecast"] for c in chans.values() if c.get("forecast"))
        parts.append(t("demand_forecast_head", lang).format(names=sep.join(fc_names))
                     + _forecast_why(fc, lang))  # fmt: skip
        if raw_names:
            parts.append(t("demand_raw_rest", lang).format(names=sep.join(raw_names)))
    else:
        parts.append(t("demand_raw_all", lang))
    return f'<p class="demand" id="demand-used">{esc(" ".join(parts))}</p>'
