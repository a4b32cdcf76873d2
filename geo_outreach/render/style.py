"""How things look, the same on the web map and in the briefing.

Colours, class breaks, channel styles and the CJK font matplotlib draws Chinese with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo_outreach._validate import HOT_CLASS_LEVELS
from geo_outreach.i18n import channel_label
from geo_outreach.render.format import fmt_num, get, nice

if TYPE_CHECKING:
    import geopandas as gpd

    from geo_outreach.render.folder import OutputFolder

__all__ = [
    "CHANNEL_COLORS",
    "CHORO_COLORS",
    "DENSITY_FLOOR",
    "GRID_COLORS",
    "HOT_COLORS",
    "KIND_COLORS",
    "PATROL_COLOR",
    "VENUE_OUTLINE",
    "ChannelStyle",
    "breaks",
    "channel_info",
    "choropleth_metric",
    "cjk_font",
    "class_labels",
    "classify",
    "colormap_css",
    "hot_level",
    "hot_levels",
]

#: Share of the top density value below which the density overlay is transparent.
DENSITY_FLOOR = 0.05

# Channels: dark, saturated fills with a white ring and a white rank number. Venue kinds: pale
# fills with a grey outline, small and unnumbered. The two palettes share no colour and differ
# in lightness, so a placement can never be read as a venue (issue 11). Patrol stops are navy
# squares (PATROL_COLOR), a colour and a shape no channel uses.
CHANNEL_COLORS = (
    "#1b7837", "#c51b7d", "#2166ac", "#b35806", "#542788", "#01665e",
    "#8c510a", "#d6604d", "#4d4d4d", "#35978f",
)  # fmt: skip
PATROL_COLOR = "#08306b"
VENUE_OUTLINE = "#7a7a7a"
KIND_COLORS = {
    "plaza": "#fbb4ae", "park": "#ccebc5", "cafe": "#e5d8bd", "logistics": "#fed9a6",
    "post_office": "#b3cde3", "school": "#decbe4", "market": "#fddaec", "bus_stop": "#f2f2f2",
    "junction": "#ffffcc",
}  # fmt: skip
CHORO_COLORS = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
GRID_COLORS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
HOT_COLORS = {
    3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac",
}  # fmt: skip

CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Noto Sans CJK JP",
)  # fmt: skip
# Debian fonts-noto-cjk; registered explicitly in case matplotlib's font cache predates them
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)


def breaks(values: np.ndarray, n: int) -> list[float]:
    """Quantile class breaks (``n`` classes, duplicates merged) of the finite values.

    Parameters
    ----------
    values
        The values to classify.
    n
        The number of classes wanted.

    Returns
    -------
    list of float
        The inner breaks, ascending (``[0.0]`` without finite values).
    """
    v = values[np.isfinite(values)]
    if v.size == 0:
        return [0.0]
    qs = np.unique(np.quantile(v, np.linspace(0, 1, n + 1)[1:-1]))
    return [float(q) for q in qs]


def classify(x: float, brk: list[float]) -> int:
    """Return the class of ``x`` for the breaks ``brk`` (0 = below the first break).

    Parameters
    ----------
    x
        The value.
    brk
        Breaks from :func:`breaks`.

    Returns
    -------
    int
        The class index.
    """
    return int(np.searchsorted(brk, x, side="right"))


def class_labels(brk: list[float], vmax: float) -> list[str]:
    """Legend labels ``"a – b"`` of the classes from 0 to ``vmax``.

    Parameters
    ----------
    brk
        Breaks from :func:`breaks`.
    vmax
        The top of the last class.

    Returns
    -------
    list of str
        One label per class.
    """
    edges = [0.0, *brk, vmax]
    return [f"{nice(edges[i])} – {nice(edges[i + 1])}" for i in range(len(edges) - 1)]


def choropleth_metric(precincts: gpd.GeoDataFrame) -> str:
    """Choose the column the choropleth shows.

    Parameters
    ----------
    precincts
        The precincts layer.

    Returns
    -------
    str
        ``alerts_per_10k`` when every precinct has a population, else ``alerts`` (or '' when
        neither is there).
    """
    if "alerts_per_10k" in precincts.columns and precincts["alerts_per_10k"].notna().all():
        return "alerts_per_10k"
    return "alerts" if "alerts" in precincts.columns else ""


def choropleth_colors(values: np.ndarray, *, missing: str) -> tuple[list[str], list[float]]:
    """Fill colours of the choropleth classes, and the breaks.

    Parameters
    ----------
    values
        The metric per precinct.
    missing
        The colour of a precinct without a value.

    Returns
    -------
    tuple
        ``(colours, breaks)``.
    """
    brk = breaks(values, len(CHORO_COLORS))
    top = len(CHORO_COLORS) - 1
    colors = [
        CHORO_COLORS[min(classify(v, brk), top)] if np.isfinite(v) else missing for v in values
    ]
    return colors, brk


def metric_values(precincts: pd.DataFrame, metric: str) -> np.ndarray:
    """Return the choropleth metric as floats (NaN where missing).

    Parameters
    ----------
    precincts
        The precincts layer.
    metric
        From :func:`choropleth_metric` ('' gives an empty array).

    Returns
    -------
    numpy.ndarray
        One float per precinct.
    """
    if not metric:
        return np.array([])
    values: np.ndarray = pd.to_numeric(precincts[metric], errors="coerce").to_numpy(float)
    return values


def hot_level(row: Any) -> int:
    """+3/+2/+1 hot (99/95/90 % confidence), negative for cold, 0 not significant.

    Parameters
    ----------
    row
        A row of ``hotspots.geojson``.

    Returns
    -------
    int
        The signed level of its ``hot_class``.
    """
    return HOT_CLASS_LEVELS.get(str(get(row, "hot_class")), 0)


def hot_levels(cells: pd.DataFrame) -> npt.NDArray[np.int64]:
    """:func:`hot_level` of every row at once (issue 14: no per-row loop over 1M-alert grids)."""
    if "hot_class" not in cells.columns:
        return np.zeros(len(cells), dtype=np.int64)
    cls = cells["hot_class"].astype(object).where(cells["hot_class"].notna(), None).astype(str)
    levels: npt.NDArray[np.int64] = cls.map(HOT_CLASS_LEVELS).fillna(0).to_numpy(dtype=np.int64)
    return levels


@dataclass(frozen=True)
class ChannelStyle:
    """A channel as the map and the briefing show it.

    Attributes
    ----------
    name
        The channel's key in the scenario.
    label
        Its display name in the page's language.
    color
        Its colour.
    info
        Its summary in ``manifest.json`` (budget, radius, solver status ...).
    """

    name: str
    label: str
    color: str
    info: dict[str, Any]


def channel_info(folder: OutputFolder, lang: str) -> list[ChannelStyle]:
    """One entry per channel, in manifest order, then any channel only seen in placements.

    Parameters
    ----------
    folder
        The output folder.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    list of ChannelStyle
        Name, label, colour and manifest settings of each channel.
    """
    names = list(folder.channels)
    if folder.placements is not None:
        names += [c for c in folder.placements["channel"].astype(str).unique() if c not in names]
    out = []
    for i, name in enumerate(names):
        info = dict(folder.channels.get(name) or {})
        out.append(
            ChannelStyle(
                name=name,
                label=channel_label(name, lang, info.get("label")),
                color=CHANNEL_COLORS[i % len(CHANNEL_COLORS)],
                info=info,
            )
        )
    return out


def colormap_css(cmap: str = "YlOrRd", n: int = 8) -> str:
    """Return a CSS linear-gradient of a matplotlib colormap (for legends).

    Parameters
    ----------
    cmap
        The matplotlib colormap.
    n
        The number of colour stops.

    Returns
    -------
    str
        ``linear-gradient(to right, ...)``.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    stops = ", ".join(to_hex(cm(i / (n - 1))) for i in range(n))
    return f"linear-gradient(to right, {stops})"


def cjk_font() -> str | None:
    """Find a CJK-capable font family for matplotlib.

    Returns
    -------
    str or None
        The family name, or None (Chinese would show as boxes).
    """
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


def legend_edges(brk: list[float], values: np.ndarray) -> list[float]:
    """Class edges from 0 over the breaks to the largest finite value.

    Parameters
    ----------
    brk
        Breaks from :func:`breaks`.
    values
        The classified values.

    Returns
    -------
    list of float
        ``len(brk) + 2`` edges.
    """
    return [0.0, *brk, float(np.nanmax(values)) if np.isfinite(values).any() else 0.0]


def edge_label(lo: float, hi: float) -> str:
    """Format a static-map legend label ``"a – b"`` (one decimal).

    Parameters
    ----------
    lo, hi
        The class edges.

    Returns
    -------
    str
        The label.
    """
    return f"{fmt_num(lo, 1)} – {fmt_num(hi, 1)}"
