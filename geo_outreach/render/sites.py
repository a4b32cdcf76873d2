"""Every chosen site per channel, as one table the briefing and ``placements.xlsx`` both show.

One row per site of ``placements.geojson``, in rank order: rank, name, kind, precinct name, the
alerts the site covers and the new alerts it adds (weighted, as the solver counted them), the
cumulative share, and a suggested time to go. The suggested time is the busiest weekday and
3-hour window of the site's precinct in ``time_profile.csv`` (the analytics stage's counts);
without enough alerts there it is the district's busiest window (``manifest.json``
``peak_windows``). Nothing is recomputed from alerts here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach._validate import output_columns
from geo_outreach.i18n import kind_label, t
from geo_outreach.render.folder import OutputFolder
from geo_outreach.render.format import get, isnum
from geo_outreach.render.style import ChannelStyle, channel_info

__all__ = [
    "SITE_COLUMNS",
    "ChannelSites",
    "channel_sites",
    "site_headers",
    "suggested_times",
    "top_precincts",
]

#: The columns of a site table, in order (headers: :func:`site_headers`).
SITE_COLUMNS: tuple[str, ...] = (
    "rank",
    "name",
    "kind",
    "precinct",
    "covered",
    "marginal",
    "cumulative_share",
    "when",
    "existing",
    "venue_id",
    "lon",
    "lat",
)
#: A precinct needs this many alerts in ``time_profile.csv`` for its own suggested time.
MIN_ALERTS_FOR_OWN_TIME = 20
WINDOW_HOURS = 3


@dataclass(frozen=True)
class ChannelSites:
    """One channel's sites.

    Attributes
    ----------
    channel
        Name, label, colour and manifest summary of the channel.
    sites
        One row per site in rank order, columns :data:`SITE_COLUMNS` (values in the page's
        language; numbers as numbers).
    """

    channel: ChannelStyle
    sites: pd.DataFrame


def site_headers(lang: str) -> dict[str, str]:
    """Column headers of a site table.

    Parameters
    ----------
    lang
        ``zh`` or ``en``.

    Returns
    -------
    dict
        :data:`SITE_COLUMNS` -> header (站点, 辖区, 覆盖警情, 累计覆盖率, 建议时段 ...).
    """
    return {c: t(f"site_col_{c}", lang) for c in SITE_COLUMNS}


def _read_time_profile(folder: OutputFolder) -> pd.DataFrame | None:
    path = folder.path / "time_profile.csv"
    if not path.is_file():
        return None
    try:
        tp = pd.read_csv(path, encoding="utf-8-sig", dtype={"group_id": str, "group_type": str})
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return None if output_columns(path.name, tp.columns) else tp


def _window_label(grid: np.ndarray, lang: str) -> tuple[str, int]:
    """'周六 19-22时' for a 7x24 count grid: the busiest weekday and 3-hour window together."""
    hours = np.arange(24)
    sums = np.stack([grid[:, (hours + k) % 24] for k in range(WINDOW_HOURS)]).sum(axis=0)
    day, start = (int(i) for i in np.unravel_index(int(np.argmax(sums)), sums.shape))
    end = (start + WINDOW_HOURS) % 24 or 24
    label = t("site_when", lang).format(day=t(f"weekday_{day}", lang), start=start, end=end)
    return label, int(grid.sum())


def suggested_times(folder: OutputFolder, lang: str) -> dict[str, str]:
    """Return the suggested time per precinct (``precinct_id`` -> label) and the district's.

    Parameters
    ----------
    folder
        The output folder (reads ``time_profile.csv`` beside it).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    dict
        Precincts with at least :data:`MIN_ALERTS_FOR_OWN_TIME` alerts get their own window; the
        key ``""`` holds the district's (from the ``all`` rows, else the manifest's first
        ``peak_windows`` entry, else '').
    """
    out: dict[str, str] = {}
    peaks = folder.manifest.get("peak_windows") or []
    if isinstance(peaks, list) and peaks and isinstance(peaks[0], dict):
        out[""] = str(peaks[0].get(f"label_{lang}") or "")
    tp = _read_time_profile(folder)
    if tp is None:
        return out
    for (gtype, gid), g in tp.groupby(["group_type", "group_id"], sort=True):
        grid = np.zeros((7, 24))
        wd = pd.to_numeric(g["weekday"], errors="coerce")
        hr = pd.to_numeric(g["hour"], errors="coerce")
        n = pd.to_numeric(g["alerts"], errors="coerce")
        ok = wd.between(0, 6) & hr.between(0, 23) & n.notna()
        np.add.at(grid, (wd[ok].astype(int), hr[ok].astype(int)), n[ok].to_numpy(float))
        if grid.sum() <= 0:
            continue
        label, total = _window_label(grid, lang)
        if gtype == "all":
            out.setdefault("", label)
        elif gtype == "precinct_id" and total >= MIN_ALERTS_FOR_OWN_TIME:
            out[str(gid)] = label
    return out


def _num(v: Any) -> float:
    return float(v) if isnum(v) else float("nan")


def _site_row(r: Any, names: dict[str, str], times: dict[str, str], lang: str) -> dict[str, Any]:
    pid = str(get(r, "precinct_id") or "")
    rk = get(r, "rank")
    geom = r.geometry
    existing = str(get(r, "existing") or "").lower() in ("true", "1", "yes")
    return {
        "rank": int(float(rk)) if isnum(rk) else None,
        "name": str(get(r, "name") or get(r, "venue_id") or ""),
        "kind": kind_label(str(get(r, "kind") or "other"), lang),
        "precinct": names.get(pid, pid),
        "covered": _num(get(r, "covered_weight")),
        "marginal": _num(get(r, "marginal_weight")),
        "cumulative_share": _num(get(r, "cumulative_share")),
        "when": times.get(pid) or times.get("", ""),
        "existing": t("yes", lang) if existing else "",
        "venue_id": str(get(r, "venue_id") or ""),
        "lon": round(float(geom.x), 6) if geom is not None and not geom.is_empty else None,
        "lat": round(float(geom.y), 6) if geom is not None and not geom.is_empty else None,
    }


def channel_sites(folder: OutputFolder, lang: str) -> list[ChannelSites]:
    """Every chosen site of every channel, in channel order then rank order.

    Parameters
    ----------
    folder
        The output folder.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    list of ChannelSites
        One entry per channel of the manifest or the placements (a channel without placements
        has an empty table).
    """
    pl = folder.placements
    if pl is None:
        return []
    prec = folder.precincts
    names = dict(zip(prec["precinct_id"].astype(str), prec["name"].astype(str)))
    times = suggested_times(folder, lang)
    out = []
    for ch in channel_info(folder, lang):
        sub = pl[pl["channel"].astype(str) == ch.name]
        if sub.empty:
            out.append(ChannelSites(ch, pd.DataFrame(columns=list(SITE_COLUMNS))))
            continue
        sub = sub.assign(_r=pd.to_numeric(sub["rank"], errors="coerce")).sort_values(
            ["_r", "venue_id"], kind="stable"
        )
        rows = [_site_row(r, names, times, lang) for _, r in sub.iterrows()]
        out.append(ChannelSites(ch, pd.DataFrame(rows, columns=list(SITE_COLUMNS))))
    return out


def top_precincts(sites: pd.DataFrame, n: int = 3) -> list[str]:
    """Return the precincts holding most of a channel's sites (most first, ties by name).

    Parameters
    ----------
    sites
        A site table (:attr:`ChannelSites.sites`).
    n
        How many.

    Returns
    -------
    list of str
        Precinct names.
    """
    counts = sites["precinct"].astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [k for k, _ in ordered[:n] if k]
