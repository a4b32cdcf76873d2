"""Charts: the backtest's hit rate and PAI per channel and method (``evaluation.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo_outreach.backtest.baselines import METHODS
from geo_outreach.backtest.summary import ALL
from geo_outreach.i18n import METHOD_LABELS, t
from geo_outreach.outputs import atomic_write
from geo_outreach.render.style import cjk_font

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from geo_outreach.backtest.summary import BacktestResult

SYNTHETIC_RED = "#b30000"  # the banner colour of the briefing and the static map
METHOD_COLORS = {
    "plan": "#d62728",
    "random": "#7f7f7f",
    "naive_hotspot": "#ff7f0e",
    "topk_no_overlap": "#1f77b4",
    "oracle": "#2ca02c",
}


def _cjk_font() -> str | None:
    """Return the CJK font family the briefing uses (None without one)."""
    return cjk_font()


def _bars(
    axes: tuple[Axes, Axes], sub: pd.DataFrame, chans: list[str], labels: dict[str, str]
) -> None:
    """Hit-rate bars (with 95% intervals) on ``axes[0]``, PAI bars on ``axes[1]``."""
    x = np.arange(len(chans))
    width = 0.8 / len(METHODS)
    for i, m in enumerate(METHODS):
        g = sub[sub["method"] == m].set_index("channel").reindex(chans)
        hr = g["hit_rate"].to_numpy(dtype=float)
        lo = np.clip(hr - g["hit_rate_lo"].to_numpy(dtype=float), 0, None)
        hi = np.clip(g["hit_rate_hi"].to_numpy(dtype=float) - hr, 0, None)
        err = None if np.isnan(lo).all() else np.nan_to_num(np.vstack([lo, hi]))
        axes[0].bar(
            x + (i - 2) * width,
            100 * hr,
            width,
            yerr=None if err is None else 100 * err,
            label=labels[m],
            color=METHOD_COLORS[m],
            capsize=2,
            error_kw={"lw": 0.8},
        )
        axes[1].bar(
            x + (i - 2) * width, g["pai"].to_numpy(dtype=float), width, color=METHOD_COLORS[m]
        )


def _synthetic_label(fig: Any, lang: str) -> None:
    """Draw the red synthetic/illustrative label on a chart of synthetic data (issue 11)."""
    fig.text(
        0.99, 0.985, t("synthetic_banner", lang), fontsize=9, color="white", ha="right",
        va="top", weight="bold",
        bbox={"boxstyle": "square,pad=0.35", "fc": SYNTHETIC_RED, "ec": "none"},
    )  # fmt: skip


def write_evaluation_chart(
    result: BacktestResult,
    path: str | Path,
    *,
    lang: str = "zh",
    labels: dict[str, str] | None = None,
) -> Path:
    """Bar chart of hit rate (with 95% intervals) and PAI per channel and method.

    Parameters
    ----------
    result
        The backtest (its summary split is drawn).
    path
        The PNG file to write (atomically).
    lang
        ``"zh"`` (when a CJK font is installed) or ``"en"``.
    labels
        Channel labels (default: the summary's labels).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    summary_split = str(result.summary["summary_split"])
    if labels is None:
        labels = {k: v.get("label", k) for k, v in result.summary.get("channels", {}).items()}
    font = _cjk_font()
    zh = lang == "zh" and font is not None
    ml = METHOD_LABELS["zh" if zh else "en"]
    df = result.table
    sub = df[df["split"] == summary_split]
    chans = list(dict.fromkeys(sub["channel"]))
    names = [(labels or {}).get(c, c) if zh else ("all channels" if c == ALL else c) for c in chans]
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    style: dict[Any, Any] = {
        **rc,
        "svg.hashsalt": "geo_outreach",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with plt.rc_context(style):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
        _bars((axes[0], axes[1]), sub, chans, ml)
        x = np.arange(len(chans))
        for ax in axes:
            ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
        axes[0].set_ylabel("命中率（加权，%）" if zh else "hit rate (% of weighted test alerts)")
        axes[1].set_ylabel("PAI" + ("（命中率/面积占比）" if zh else " (hit rate / area share)"))
        title = ("回测命中率" if zh else "Backtest hit rate") + f" ({summary_split})"
        axes[0].set_title(title, fontsize=10)
        axes[1].set_title("预测精度指数 PAI" if zh else "Predictive accuracy index", fontsize=10)
        handles, names_ = axes[0].get_legend_handles_labels()
        fig.legend(
            handles, names_, loc="lower center", ncol=len(METHODS), fontsize=8, frameon=False
        )
        fig.tight_layout(rect=(0, 0.07, 1, 0.93 if result.summary.get("synthetic") else 1))
        if result.summary.get("synthetic"):
            _synthetic_label(fig, "zh" if zh else "en")
        atomic_write(path, lambda p: fig.savefig(p, format="png", metadata={"Software": None}))
        plt.close(fig)
    return Path(path)
