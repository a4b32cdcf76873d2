"""The static map of the briefing (``briefing.png`` / ``briefing.pdf``), drawn with matplotlib.

The map is drawn in the plan's metric CRS (the density raster's, else the precincts' UTM zone)
so the scale bar is true: choropleth, streets, density, hot spots, uncovered hot spots, precinct
labels, placements with reach, patrol route and clusters, one function each; then the furniture
(scale bar, north arrow, title, synthetic-data banner, legend). Chinese text uses a CJK font
found on the machine (:func:`geo_outreach.render.style.cjk_font`); without one a warning is
logged and Chinese characters may show as boxes.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geo_outreach._validate import PATROL_ROUTE
from geo_outreach.i18n import check_lang, t
from geo_outreach.render.folder import OutputFolder
from geo_outreach.render.format import generated_at, get, isnum, mpl_text
from geo_outreach.render.geometry import display_reach
from geo_outreach.render.style import (
    CHORO_COLORS,
    DENSITY_FLOOR,
    HOT_COLORS,
    PATROL_COLOR,
    channel_info,
    choropleth_colors,
    choropleth_metric,
    cjk_font,
    edge_label,
    hot_levels,
    legend_edges,
    metric_values,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

__all__ = ["densest_bounds", "static_map_crs", "static_map_figure"]


@dataclass
class _Canvas:
    """The figure being drawn, its map axes, CRS and the legend handles collected so far."""

    fig: Any
    ax: Any
    crs: Any
    lang: str
    handles: list[Any] = field(default_factory=list)

    def proj(self, g: gpd.GeoDataFrame | None) -> Any:
        return None if g is None or g.empty else g.to_crs(self.crs)


def _scale_length(span_m: float) -> float:
    target = span_m / 5
    for v in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000):
        if v >= target:
            return float(v)
    return 100000.0


def _read_density(folder: OutputFolder) -> tuple[Any, Any]:
    """``(crs WKT, (array, extent))`` of density.tif, ``(None, None)`` without it."""
    if folder.density_path is None:
        return None, None
    try:
        import rasterio

        with warnings.catch_warnings(), rasterio.open(folder.density_path) as src:
            warnings.filterwarnings(
                "ignore", message="Use `@` matmul", category=PendingDeprecationWarning
            )
            arr = src.read(1, masked=True).astype(float).filled(np.nan)
            crs = src.crs.to_wkt() if src.crs else None
            b = src.bounds
            return crs, (arr, (b.left, b.right, b.bottom, b.top))
    except Exception as exc:  # noqa: BLE001 - the map is still useful without it
        log.warning("%s: density skipped in the static map (%s)", folder.density_path, exc)
        return None, None


def _draw_precincts(c: _Canvas, folder: OutputFolder) -> Any:
    import matplotlib.patches as mpatches

    pr = c.proj(folder.precincts)
    metric = choropleth_metric(folder.precincts)
    colors = ["#eeeeee"] * len(pr)
    if metric:
        vals = metric_values(pr, metric)
        colors, brk = choropleth_colors(vals, missing="#eeeeee")
        edges = legend_edges(brk, vals)
        unit = "legend_rate_unit" if metric == "alerts_per_10k" else "legend_alerts_unit"
        c.handles.append(mpatches.Patch(color="none", label=t(unit, c.lang)))
        for i in range(len(brk) + 1):
            label = edge_label(edges[i], edges[i + 1])
            c.handles.append(
                mpatches.Patch(facecolor=CHORO_COLORS[i], edgecolor="#333", label=label)
            )
    pr.plot(ax=c.ax, color=colors, edgecolor="#222", linewidth=1.0, alpha=0.6, zorder=1)
    return pr


def _draw_density(c: _Canvas, dens: Any) -> None:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    arr, extent = dens
    finite = arr[np.isfinite(arr) & (arr > 0)]
    if not finite.size:
        return
    vmax = float(np.quantile(finite, 0.99))
    # same encoding as the web map: faint where density is low, so the
    # choropleth stays readable; nothing below DENSITY_FLOOR of the top value
    norm = np.clip(np.nan_to_num(arr) / vmax, 0, 1)
    rgba = colormaps["YlOrRd"](norm)
    visible = np.isfinite(arr) & (norm > DENSITY_FLOOR)
    rgba[..., 3] = np.where(visible, 0.25 + 0.6 * np.sqrt(norm), 0.0)
    c.ax.imshow(rgba, extent=extent, origin="upper", zorder=3, interpolation="bilinear")
    im = ScalarMappable(norm=Normalize(0, vmax), cmap="YlOrRd")
    cax = c.fig.add_axes((0.74, 0.08, 0.22, 0.018))
    cb = c.fig.colorbar(im, cax=cax, orientation="horizontal")
    label = f"{t('layer_density', c.lang)} ({t('legend_density_unit', c.lang)})"
    cb.set_label(label, fontsize=8)
    cb.ax.tick_params(labelsize=7)


def _draw_hot_and_uncovered(c: _Canvas, folder: OutputFolder) -> None:
    import matplotlib.patches as mpatches

    if folder.hotspots is not None and not folder.hotspots.empty:
        hs = c.proj(folder.hotspots)
        lv = hot_levels(hs)  # issue 14: vectorised (was a row loop)
        hot = hs[lv > 0]
        if not hot.empty:
            hot.plot(ax=c.ax, facecolor="none", edgecolor=HOT_COLORS[3], linewidth=0.8, zorder=4)
            c.handles.append(
                mpatches.Patch(
                    facecolor="none", edgecolor=HOT_COLORS[3], label=t("legend_hot", c.lang)
                )
            )
    if folder.uncovered is not None and not folder.uncovered.empty:
        c.proj(folder.uncovered).plot(
            ax=c.ax, facecolor="none", edgecolor="#d7191c", linewidth=1.8, linestyle="--", zorder=5
        )
        c.handles.append(
            mpatches.Patch(
                facecolor="none",
                edgecolor="#d7191c",
                linestyle="--",
                label=t("legend_uncovered", c.lang),
            )  # fmt: skip
        )


def _draw_labels(c: _Canvas, pr: Any) -> None:
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6}
    for _, row in pr.iterrows():
        p = row.geometry.representative_point()
        text = mpl_text(str(row["name"])[:16])
        c.ax.text(
            p.x, p.y, text, fontsize=8, ha="center", va="center", zorder=9, color="#111", bbox=box
        )


def _draw_channels(c: _Canvas, folder: OutputFolder) -> None:
    from matplotlib.lines import Line2D

    pl = c.proj(folder.placements)
    if pl is None:
        return
    rc_ = c.proj(display_reach(folder.reach))
    for ch in channel_info(folder, c.lang):
        sub = pl[pl["channel"].astype(str) == ch.name]
        if sub.empty:
            continue
        rsub = rc_[rc_["channel"].astype(str) == ch.name] if rc_ is not None else None
        radius = ch.info.get("radius_m")
        style = {"facecolor": ch.color, "edgecolor": ch.color, "alpha": 0.15, "zorder": 6}
        if rsub is not None and not rsub.empty:
            rsub.plot(ax=c.ax, **style)
        elif isnum(radius):
            sub.buffer(float(radius)).plot(ax=c.ax, **style)
        # patrol stops as navy squares, the same symbol as the web map and its legend (#11)
        patrol = ch.info.get("type") == "patrol"
        color, marker = (PATROL_COLOR, "s") if patrol else (ch.color, "o")
        c.ax.scatter(
            sub.geometry.x, sub.geometry.y, s=110, color=color, edgecolor="white",
            linewidth=1.2, zorder=10, marker=marker,
        )  # fmt: skip
        for _, r in sub.iterrows():
            rk = get(r, "rank")
            c.ax.text(
                r.geometry.x, r.geometry.y, str(int(float(rk))) if isnum(rk) else "",
                fontsize=6.5, color="white", ha="center", va="center", zorder=11, weight="bold",
            )  # fmt: skip
        label = f"{t('layer_placements', c.lang)}: {mpl_text(ch.label)}"
        c.handles.append(
            Line2D([], [], marker=marker, linestyle="none", markersize=8, color=color, label=label)
        )


def _draw_site_names(
    c: _Canvas, folder: OutputFolder, bounds: tuple[float, float, float, float]
) -> None:
    """Name every site inside the close-up, beside its marker (left/right alternating)."""
    pl = c.proj(folder.placements)
    if pl is None:
        return
    x0, y0, x1, y1 = bounds
    pts = pl.geometry
    inside = pl[(pts.x > x0) & (pts.x < x1) & (pts.y > y0) & (pts.y < y1)]
    box = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.8}
    for i, (_, r) in enumerate(inside.sort_values(["channel", "rank"]).iterrows()):
        name = mpl_text(str(get(r, "name") or get(r, "venue_id") or ""))[:14]
        right = i % 2 == 0
        c.ax.annotate(
            name, (r.geometry.x, r.geometry.y), xytext=(7 if right else -7, 0),
            textcoords="offset points", ha="left" if right else "right", va="center",
            fontsize=6.5, zorder=10, bbox=box,
        )  # fmt: skip


def _draw_patrol_and_clusters(c: _Canvas, folder: OutputFolder) -> None:
    import matplotlib.patches as mpatches
    from matplotlib.lines import Line2D

    if folder.patrol is not None and not folder.patrol.empty:
        pt = c.proj(folder.patrol)
        lines = pt[pt["feature"] == PATROL_ROUTE]
        if not lines.empty:
            lines.plot(ax=c.ax, color="#08306b", linewidth=2, linestyle="--", zorder=8)
            c.handles.append(
                Line2D([], [], color="#08306b", linestyle="--", label=t("layer_patrol", c.lang))
            )
    if folder.clusters is not None and not folder.clusters.empty:
        c.proj(folder.clusters).plot(
            ax=c.ax, facecolor="none", edgecolor="#6a3d9a", linewidth=1.2, linestyle=":", zorder=7
        )
        c.handles.append(
            mpatches.Patch(
                facecolor="none",
                edgecolor="#6a3d9a",
                linestyle=":",
                label=t("legend_cluster", c.lang),
            )  # fmt: skip
        )


def _scale_bar_and_north(c: _Canvas, bounds: Any) -> None:
    import matplotlib.patches as mpatches

    x0, y0, x1, y1 = bounds
    ax = c.ax
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    # scale bar (metres, the axes are in a metric CRS)
    L = _scale_length(x1 - x0)  # noqa: N806 - the bar length, as on the map
    sx, sy = x0, y0 - pad * 0.6
    ax.add_patch(mpatches.Rectangle((sx, sy), L / 2, pad * 0.18, facecolor="black", zorder=12))
    ax.add_patch(
        mpatches.Rectangle(
            (sx + L / 2, sy), L / 2, pad * 0.18, facecolor="white", edgecolor="black", zorder=12
        )
    )
    text = f"{L / 1000:g} km" if L >= 1000 else f"{L:g} m"
    ax.text(sx + L, sy + pad * 0.3, text, fontsize=8, ha="right", va="bottom", zorder=12)
    ax.text(sx, sy + pad * 0.3, "0", fontsize=8, ha="left", va="bottom", zorder=12)
    # north arrow (grid north; UTM convergence near Jiangmen is < 1°)
    ax.annotate(
        t("north", c.lang), xy=(0.965, 0.97), xytext=(0.965, 0.86), xycoords="axes fraction",
        ha="center", va="center", fontsize=12, weight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 2},
    )  # fmt: skip


def _titles_and_legend(c: _Canvas, folder: OutputFolder, *, inset: bool = False) -> None:
    fig, lang = c.fig, c.lang
    title = folder.title or t("default_title", lang)
    if inset:
        title = f"{title} · {t('inset_title', lang)}"
    start, end = folder.period
    fig.text(0.02, 0.965, mpl_text(title), fontsize=16, weight="bold", va="center")
    if start or end:
        period = mpl_text(f"{t('period', lang)}: {start} – {end}")
        fig.text(0.02, 0.925, period, fontsize=10, va="center")
    if folder.synthetic:
        fig.text(
            0.98, 0.965, t("synthetic_banner", lang), fontsize=10, color="white", ha="right",
            va="center", weight="bold",
            bbox={"boxstyle": "square,pad=0.4", "fc": "#b30000", "ec": "none"},
        )  # fmt: skip
        for i, n in enumerate(folder.notes[:3]):
            fig.text(
                0.98, 0.93 - 0.022 * i, mpl_text(n)[:110], fontsize=7, color="#b30000",
                ha="right", va="center",
            )  # fmt: skip
    if c.handles:
        fig.legend(
            handles=c.handles, loc="upper left", bbox_to_anchor=(0.735, 0.86), fontsize=8,
            title=t("legend", lang), title_fontsize=9, frameon=True,
        )  # fmt: skip
    fig.text(0.98, 0.01, f"geo_outreach · {generated_at()}", fontsize=6, color="#666", ha="right")


def static_map_crs(folder: OutputFolder) -> Any:
    """Return the metric CRS of the static map (the density raster's, else a UTM zone).

    Parameters
    ----------
    folder
        The output folder.

    Returns
    -------
    pyproj.CRS or str
        The CRS.
    """
    crs, _ = _read_density(folder)
    return crs if crs is not None else folder.precincts.estimate_utm_crs()


def densest_bounds(
    folder: OutputFolder,
    crs: Any,
    *,
    radius_m: float = 2500.0,
    min_sites: int = 4,
    max_extent: float = 0.6,
) -> tuple[float, float, float, float] | None:
    """Return the box around the densest group of placements, for the close-up map.

    Parameters
    ----------
    folder
        The output folder.
    crs
        The static map's CRS (:func:`static_map_crs`).
    radius_m
        Sites within this distance of the busiest site belong to its group.
    min_sites
        No close-up for a group smaller than this.
    max_extent
        No close-up when the box spans more than this share of the district's width and
        height (the overview shows it as well).

    Returns
    -------
    tuple or None
        ``(xmin, ymin, xmax, ymax)`` in ``crs``, padded and widened to the map's aspect; None
        without such a group or when it spans most of the district.
    """
    pl = folder.placements
    if pl is None or len(pl) < min_sites:
        return None
    pts = pl.to_crs(crs).geometry
    xy = np.column_stack([pts.x.to_numpy(float), pts.y.to_numpy(float)])
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    counts = (d <= radius_m).sum(axis=1)
    best = int(np.argmax(counts))
    if counts[best] < min_sites:
        return None
    grp = xy[d[best] <= radius_m]
    x0, y0 = grp.min(axis=0)
    x1, y1 = grp.max(axis=0)
    pad = max(600.0, 0.18 * max(x1 - x0, y1 - y0))
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    aspect = (0.70 * 11.69) / (0.84 * 8.27)  # the map axes' width / height
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (w / aspect - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    fx0, fy0, fx1, fy1 = folder.precincts.to_crs(crs).total_bounds
    if (x1 - x0) > max_extent * (fx1 - fx0) and (y1 - y0) > max_extent * (fy1 - fy0):
        return None
    return float(x0), float(y0), float(x1), float(y1)


def _draw_box(c: _Canvas, box: tuple[float, float, float, float]) -> None:
    import matplotlib.patches as mpatches

    x0, y0, x1, y1 = box
    c.ax.add_patch(
        mpatches.Rectangle(
            (x0, y0), x1 - x0, y1 - y0, facecolor="none", edgecolor="#000", linewidth=1.4,
            linestyle="--", zorder=12,
        )
    )  # fmt: skip
    c.ax.text(
        x0, y1, t("inset_box", c.lang), fontsize=8, ha="left", va="bottom", zorder=12,
        bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
    )  # fmt: skip


def static_map_figure(
    folder: OutputFolder,
    *,
    lang: str = "zh",
    bounds: tuple[float, float, float, float] | None = None,
    box: tuple[float, float, float, float] | None = None,
) -> Figure:
    """Draw the plan as a matplotlib Figure (A4 landscape).

    Parameters
    ----------
    folder
        The output folder.
    lang
        ``zh`` (default) or ``en``.
    bounds
        Draw only this box (a close-up, :func:`densest_bounds`); default: the whole district.
    box
        Outline this box on the map (where the close-up is).

    Returns
    -------
    matplotlib.figure.Figure
        Choropleth, density, hot spots, placements with reach, patrol route; title, legend,
        scale bar, north arrow. The caller closes it.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    lang = check_lang(lang)
    font = cjk_font()
    if font is None:
        log.warning(
            "no CJK font found (install fonts-noto-cjk); Chinese text in briefing.png/pdf "
            "may show as boxes"
        )
    rc: Any = {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "pdf.fonttype": 42,
        "axes.unicode_minus": False,
    }
    with plt.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Glyph .* missing from font", category=UserWarning
        )
        crs, dens = _read_density(folder)
        if crs is None:
            crs, dens = folder.precincts.estimate_utm_crs(), None
        fig = plt.figure(figsize=(11.69, 8.27), dpi=100)
        # geopandas' plot() ends with plt.draw(), a full Agg render of the figure per layer;
        # the figure is rendered once, when saved
        fig.canvas.draw_idle = lambda *a, **k: None  # type: ignore[method-assign]
        ax = fig.add_axes((0.02, 0.04, 0.70, 0.84))
        ax.set_axis_off()
        ax.set_aspect("equal")
        c = _Canvas(fig, ax, crs, lang)
        pr = _draw_precincts(c, folder)
        if folder.streets is not None and not folder.streets.empty:
            c.proj(folder.streets).plot(ax=ax, color="#8c8c8c", linewidth=0.4, zorder=2)
        if dens is not None and bounds is None:  # the close-up keeps its streets readable
            _draw_density(c, dens)
        _draw_hot_and_uncovered(c, folder)
        _draw_labels(c, pr)
        _draw_channels(c, folder)
        if bounds is not None:
            _draw_site_names(c, folder, bounds)
        _draw_patrol_and_clusters(c, folder)
        if box is not None:
            _draw_box(c, box)
        _scale_bar_and_north(c, bounds if bounds is not None else pr.total_bounds)
        _titles_and_legend(c, folder, inset=bounds is not None)
    return fig
