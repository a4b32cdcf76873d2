"""Precinct statistics and monthly trends of fraud alerts (警情).

Counts use the ``precinct_id`` the loader already gave every alert with
:func:`geo_outreach.join.assign_precincts` (a point on a shared border goes to the precinct
whose id sorts first; points in no precinct are ``"outside"``); nothing here re-joins.

Changes are stated the way police reports state them: percent rounded to 2 decimals,
month on month (环比, against the previous calendar month) and year on year (同比, against
the same month a year earlier). Where the earlier month lies before the first month of data,
or had no alerts, the percent is ``NaN`` (written as an empty CSV cell, shown as "n/a"),
never an infinity or an error.

A change is called significant only when the two counts say so: the exact conditional test
of two Poisson counts (given ``k1 + k2`` alerts in the two months, ``k1`` is
Binomial(``k1 + k2``, 0.5) when the rate did not change; two-sided
:func:`scipy.stats.binomtest`), at ``alpha = 0.05``. So 2 -> 4 alerts (+100%) has p = 0.69
and is not significant.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats as sps

from geo_outreach._errors import InputDataError
from geo_outreach._validate import DISTRICT_ID, OUTSIDE, columns_of

log = logging.getLogger(__name__)

#: precinct_id of the whole-study-area series in :func:`monthly_trends` (output schema).
ALL = DISTRICT_ID
#: Significance level of the change tests.
ALPHA = 0.05

#: The columns of ``monthly_trends.csv`` (the output schema in ``_validate``).
_TREND_COLUMNS = columns_of("monthly_trends.csv")


def check_alerts(alerts: gpd.GeoDataFrame | pd.DataFrame, *, source: str = "alerts") -> None:
    """Raise :class:`InputDataError` unless ``alerts`` has rows and the columns analytics needs.

    Parameters
    ----------
    alerts
        Alert layer (see :data:`geo_outreach._validate.CONTRACTS`).
    source
        What produced the layer (e.g. the filter that was applied), named in the message.
    """
    missing = [c for c in ("reported_at", "category", "precinct_id") if c not in alerts.columns]
    if missing:
        raise InputDataError(
            f"{source}: alerts lack columns {missing}; load them with geo_outreach.io, which "
            "assigns precinct_id with join.assign_precincts"
        )
    if len(alerts) == 0:
        raise InputDataError(
            f"{source}: no alerts left to analyse; widen the filter or check rejects.csv for "
            "the rows the loader dropped"
        )
    if not isinstance(alerts["reported_at"].dtype, pd.DatetimeTZDtype):
        raise InputDataError(f"{source}: reported_at must be timezone-aware datetimes")


def point_xy(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(points.x, points.y)`` as float arrays, read in one pass.

    Issue 14: geopandas checks every geometry's type and emptiness on each ``.x`` and ``.y``
    (1M alerts: ~0.08 s per axis, read three times by the analytics stage); when every
    geometry is a non-empty point, one :func:`shapely.get_coordinates` gives the same values.
    Anything else (empty or missing points, other types) goes to geopandas as before.
    """
    import shapely

    geoms = points.values
    if (shapely.get_type_id(geoms) == 0).all():
        xy = shapely.get_coordinates(geoms)
        if len(xy) == len(geoms):
            return xy[:, 0].copy(), xy[:, 1].copy()
    return points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float)


def weights_per_value(col: pd.Series, weights: Mapping[str, float], default: float) -> np.ndarray:
    """Return ``col.astype(str).map(weights).fillna(default)`` as floats, one lookup per value.

    Issue 14: pandas' ``map`` with a dict looks every row up in an index of the keys (1M
    alerts: ~0.3 s per call, several calls per plan); here each distinct value (a missing
    value is one too) is looked up once and the result spread back to the rows.
    """
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    per_value = pd.Series(uniques).astype(str).map(dict(weights)).fillna(default)
    out: np.ndarray = per_value.to_numpy(dtype=float)[codes]
    return out


def month_index(reported_at: pd.Series) -> np.ndarray:
    """Months since year 0 (``year * 12 + month - 1``) of each timestamp, in its own timezone."""
    return (reported_at.dt.year.to_numpy() * 12 + reported_at.dt.month.to_numpy() - 1).astype(
        np.int64
    )


def month_label(index: int | np.integer) -> str:
    """``"YYYY-MM"`` of a :func:`month_index` value."""
    y, m = divmod(int(index), 12)
    return f"{y:04d}-{m + 1:02d}"


def pct_change(current: np.ndarray | float, earlier: np.ndarray | float) -> np.ndarray:
    """Percent change ``(current - earlier) / earlier * 100`` rounded to 2 decimals.

    ``NaN`` where ``earlier`` is missing (``NaN``) or zero.

    Examples
    --------
    >>> float(pct_change(93, 123)), float(pct_change(93, 102))
    (-24.39, -8.82)
    """
    cur = np.asarray(current, dtype=float)
    old = np.asarray(earlier, dtype=float)
    ok = np.isfinite(old) & (old > 0) & np.isfinite(cur)
    out = np.full(np.broadcast(cur, old).shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = (cur - old) / old * 100.0
    out[ok] = np.round(np.broadcast_to(val, out.shape)[ok], 2)
    return out


def _search(
    pmf: Callable[[np.ndarray, np.ndarray], np.ndarray],
    d: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Run scipy's ``_binary_search_for_binom_tst`` on arrays: ``pmf(x, rows)`` at rows' points."""
    lo, hi = lo.astype(float), hi.astype(float)
    found = np.full(len(lo), np.nan)
    done = np.zeros(len(lo), dtype=bool)
    while True:
        rows = np.flatnonzero(~done & (lo < hi))
        if len(rows) == 0:
            break
        mid = lo[rows] + (hi[rows] - lo[rows]) // 2
        val = pmf(mid, rows)
        less, more = val < d[rows], val > d[rows]
        lo[rows[less]] = mid[less] + 1
        hi[rows[more]] = mid[more] - 1
        hit = ~less & ~more
        found[rows[hit]] = mid[hit]
        done[rows[hit]] = True
    rest = np.flatnonzero(~done)
    found[rest] = np.where(pmf(lo[rest], rest) <= d[rest], lo[rest], lo[rest] - 1)
    return found


def _binom_p_many(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``binomtest(k, n, 0.5).pvalue`` for arrays (n >= 1), step for step as scipy's.

    Issue 14: scipy's algorithm (the other tail found by binary search on the pmf, relative
    tolerance 1e-7) with every pmf/cdf/sf call on arrays: the same numbers, no Python per test.
    """
    binom, p, rerr = sps.binom, 0.5, 1 + 1e-7
    k, n = k.astype(np.int64), n.astype(np.int64)
    d = binom.pmf(k, n, p)
    pval = np.ones(len(k))
    low = np.flatnonzero(k < p * n)
    if len(low):
        kl, nl, dl = k[low], n[low], d[low]
        ix = _search(
            lambda x, r: -binom.pmf(x, nl[r], p), -dl * rerr, np.ceil(p * nl), nl.astype(float)
        )
        y = nl - ix + (dl * rerr == binom.pmf(ix, nl, p)).astype(np.int64)
        pval[low] = binom.cdf(kl, nl, p) + binom.sf(nl - y, nl, p)
    high = np.flatnonzero(k > p * n)
    if len(high):
        kh, nh, dh = k[high], n[high], d[high]
        ix = _search(
            lambda x, r: binom.pmf(x, nh[r], p), dh * rerr, np.zeros(len(high)), np.floor(p * nh)
        )
        y = ix + 1
        pval[high] = binom.cdf(y - 1, nh, p) + binom.sf(kh - 1, nh, p)
    out: np.ndarray = np.where(pval < 1.0, pval, 1.0)  # min(1.0, pval) as scipy
    return out


def change_p(current: np.ndarray | float, earlier: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value that two Poisson counts share one rate (exact conditional binomial test).

    ``NaN`` where ``earlier`` is missing or both counts are zero.
    """
    cur = np.asarray(current, dtype=float)
    old = np.asarray(earlier, dtype=float)
    cur, old = np.broadcast_arrays(cur, old)
    shape = cur.shape
    cur, old = cur.ravel(), old.ravel()
    out = np.full(cur.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(cur) & np.isfinite(old))
    k1, k2 = cur[ok].astype(np.int64), old[ok].astype(np.int64)  # int(): toward zero
    some = (k1 + k2) != 0
    # issue 14: each distinct pair once, on arrays (was one scipy binomtest call per pair)
    pairs, inv = np.unique(np.column_stack([k1[some], k2[some]]), axis=0, return_inverse=True)
    if len(pairs):
        vals = _binom_p_many(pairs[:, 0], pairs[:, 0] + pairs[:, 1])
        out[ok[some]] = vals[inv.ravel()]
    return out.reshape(shape)


def _month_coverage(
    reported_at: pd.Series, first: int, n_months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Days of each month inside [first alert day, last alert day], and whether that is partial."""
    lo = reported_at.min().tz_localize(None).normalize()
    hi = reported_at.max().tz_localize(None).normalize()
    days = np.zeros(n_months, dtype=np.int64)
    full = np.zeros(n_months, dtype=np.int64)
    for k in range(n_months):
        y, m = divmod(first + k, 12)
        start = pd.Timestamp(year=y, month=m + 1, day=1)
        end = start + pd.offsets.MonthEnd(0)
        full[k] = end.day
        days[k] = max(0, (min(end, hi) - max(start, lo)).days + 1)
    return days, days < full


def monthly_trends(
    alerts: gpd.GeoDataFrame | pd.DataFrame,
    precincts: gpd.GeoDataFrame,
    *,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Monthly alert counts with month-on-month and year-on-year change, per precinct and overall.

    Parameters
    ----------
    alerts
        Alerts with ``reported_at`` (tz-aware) and ``precinct_id`` (``"outside"`` allowed).
    precincts
        Precinct layer; every precinct gets a series, even one without alerts.
    alpha
        Significance level of the change tests.

    Returns
    -------
    pandas.DataFrame
        One row per series and month from the first to the last month of data (months without
        alerts are 0): ``precinct_id`` (each precinct, ``"outside"`` when any alert is outside,
        and ``"all"`` = every alert inside the study area), ``month`` ("YYYY-MM"), ``alerts``,
        ``mom_pct``, ``yoy_pct`` (percent, 2 decimals, NaN where the earlier month is missing or
        zero), ``mom_p``, ``yoy_p`` (exact test p-values, 6 decimals, NaN where the earlier month
        is missing) and ``mom_significant``, ``yoy_significant`` (``p < alpha``). Sorted by
        precinct_id (``"all"`` first, ``"outside"`` last) then month. ``days_covered`` is the
        number of calendar days of the month inside the data's period (first to last alert
        day, the same for every series) and ``partial`` is True when that is fewer than the
        month's days: usually the last month (data exported mid-month) and often the first.
        A partial month's ``alerts``, MoM and YoY compare an incomplete month with complete
        ones; the briefing leads with the last complete month instead.
    """
    check_alerts(alerts)
    months = month_index(alerts["reported_at"])
    first, last = int(months.min()), int(months.max())
    n_months = last - first + 1
    pid = alerts["precinct_id"].astype(str).to_numpy()
    ids = sorted(precincts["precinct_id"].astype(str).unique())
    series = [ALL, *ids] + ([OUTSIDE] if (pid == OUTSIDE).any() else [])
    pos = {p: i for i, p in enumerate(series)}
    codes, uniq = pd.factorize(pid)  # issue 14: a lookup per distinct precinct, not per alert
    row = np.array([pos.get(p, -1) for p in uniq], dtype=np.int64)[codes]
    unknown = sorted(set(pid[row < 0]))
    if unknown:
        raise InputDataError(
            f"alerts: precinct_id values {unknown[:5]} are not in the precinct layer; assign them "
            "with join.assign_precincts against the same precincts"
        )
    cell = row * n_months + (months - first)  # issue 14: bincount, not np.add.at
    counts = np.bincount(cell, minlength=len(series) * n_months).reshape(len(series), n_months)
    counts[0] = counts[1 : 1 + len(ids)].sum(axis=0)

    def shifted(lag: int) -> np.ndarray:
        out = np.full(counts.shape, np.nan)
        if lag < n_months:
            out[:, lag:] = counts[:, :-lag]
        return out

    days, partial = _month_coverage(alerts["reported_at"], first, n_months)
    prev, year = shifted(1), shifted(12)
    mom_p, yoy_p = change_p(counts, prev), change_p(counts, year)
    df = pd.DataFrame(
        {
            "precinct_id": np.repeat(np.array(series, dtype=object), n_months),
            "month": np.tile([month_label(first + k) for k in range(n_months)], len(series)),
            "alerts": counts.ravel(),
            "mom_pct": pct_change(counts, prev).ravel(),
            "yoy_pct": pct_change(counts, year).ravel(),
            "mom_p": np.round(mom_p.ravel(), 6),
            "yoy_p": np.round(yoy_p.ravel(), 6),
            "mom_significant": (mom_p < alpha).ravel(),
            "yoy_significant": (yoy_p < alpha).ravel(),
            "days_covered": np.tile(days, len(series)),
            "partial": np.tile(partial, len(series)),
        }
    )
    return df[_TREND_COLUMNS].reset_index(drop=True)


def precinct_stats(
    alerts: gpd.GeoDataFrame | pd.DataFrame,
    precincts: gpd.GeoDataFrame,
    *,
    alpha: float = ALPHA,
    trends: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Alerts per precinct: counts, rates, category counts and the latest month's trend.

    Parameters
    ----------
    alerts
        Alerts with ``reported_at``, ``category`` and ``precinct_id`` (``"outside"`` allowed).
    precincts
        Polygons (metric CRS) with ``precinct_id``, ``name``; optional ``population`` and
        ``area_km2`` (computed from the geometry when absent).
    alpha
        Significance level of the change tests.
    trends
        ``monthly_trends(alerts, precincts, alpha=alpha)`` when the caller has it already
        (issue 14: not computed twice); ``None`` computes it.

    Returns
    -------
    pandas.DataFrame
        One row per precinct sorted by ``precinct_id``, then an ``"outside"`` row (alerts in no
        precinct; it has no area or population). Columns:

        - ``precinct_id``, ``name``, ``alerts``, ``share_pct`` (of all alerts, 2 decimals);
        - ``alerts_outside``: the number of alerts outside every precinct (the same on every
          row, so a map tooltip can state it);
        - ``area_km2``, ``alerts_per_km2``, ``population``, ``alerts_per_10k`` (NaN when the
          population is unknown);
        - ``cat_<category>``: alerts per category, one column per category in sorted order;
        - ``top_category``: the most frequent category ("" for none);
        - ``latest_month`` ("YYYY-MM", the last month of data in the whole study area),
          ``latest_alerts``, ``mom_pct``, ``yoy_pct``, ``mom_p``, ``yoy_p``,
          ``mom_significant``, ``yoy_significant`` as in :func:`monthly_trends`.
    """
    check_alerts(alerts)
    if trends is None:
        trends = monthly_trends(alerts, precincts, alpha=alpha)
    prec = precincts.sort_values("precinct_id", kind="stable")
    ids = prec["precinct_id"].astype(str).tolist()
    rows = [*ids, OUTSIDE]
    pid = alerts["precinct_id"].astype(str)
    counts = pid.value_counts().reindex(rows, fill_value=0).astype(np.int64)
    n_out = int(counts[OUTSIDE])
    total = int(counts.sum())
    if "area_km2" in prec.columns:
        area = pd.to_numeric(prec["area_km2"], errors="coerce").to_numpy(dtype=float)
    else:
        area = prec.geometry.area.to_numpy() / 1e6
    if "population" in prec.columns:
        pop = pd.to_numeric(prec["population"], errors="coerce").to_numpy(dtype=float)
    else:
        pop = np.full(len(prec), np.nan)
    area = np.r_[area, np.nan]
    pop = np.r_[pop, np.nan]
    n = counts.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_km2 = np.where(area > 0, n / area, np.nan)
        per_10k = np.where(pop > 0, n / pop * 1e4, np.nan)
    df = pd.DataFrame(
        {
            "precinct_id": rows,
            "name": [*prec["name"].astype(str).tolist(), "辖区外 (outside every precinct)"],
            "alerts": n,
            "share_pct": np.round(n / total * 100.0, 2),
            "alerts_outside": n_out,
            "area_km2": np.round(area, 4),
            "alerts_per_km2": np.round(per_km2, 4),
            "population": pop,
            "alerts_per_10k": np.round(per_10k, 4),
        }
    )
    cat = _crosstab(pid, alerts["category"].astype(str)).reindex(index=rows, fill_value=0)
    cats = sorted(cat.columns)
    for c in cats:
        df[f"cat_{c}"] = cat[c].to_numpy().astype(np.int64)
    if cats:
        mat = cat[cats].to_numpy()
        top = np.array(cats, dtype=object)[mat.argmax(axis=1)]
        df["top_category"] = np.where(mat.max(axis=1) > 0, top, "")
    else:
        df["top_category"] = ""
    latest = trends["month"].max()
    lt = trends[trends["month"] == latest].set_index("precinct_id").reindex(rows)
    df["latest_month"] = latest
    df["latest_alerts"] = lt["alerts"].fillna(0).astype(np.int64).to_numpy()
    for col in ("mom_pct", "yoy_pct", "mom_p", "yoy_p"):
        df[col] = lt[col].to_numpy(dtype=float)
    for col in ("mom_significant", "yoy_significant"):
        df[col] = lt[col].fillna(False).astype(bool).to_numpy()
    return df.reset_index(drop=True)


def _crosstab(rows: pd.Series, cols: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(rows, cols)`` of two text columns (missing values left out), int64.

    Issue 14: factorize + bincount (1M alerts: ~0.1 s less); the labels are in the order
    crosstab gives them (sorted); labels seen only beside a missing value are left out too.
    """
    rcode, rlab = pd.factorize(rows, sort=True)
    ccode, clab = pd.factorize(cols, sort=True)
    both = (rcode >= 0) & (ccode >= 0)
    flat = np.bincount(
        rcode[both].astype(np.int64) * len(clab) + ccode[both], minlength=len(rlab) * len(clab)
    )
    mat = flat.reshape(len(rlab), len(clab)).astype(np.int64)
    used_r, used_c = mat.sum(axis=1) > 0, mat.sum(axis=0) > 0
    return pd.DataFrame(
        mat[used_r][:, used_c],
        index=pd.Index(np.asarray(rlab, dtype=object)[used_r]),
        columns=pd.Index(np.asarray(clab, dtype=object)[used_c]),
    )


def _fmt_pct(v: float, lang: str) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if lang == "zh":
        return f"{abs(v):.2f}%"
    return f"{'+' if v > 0 else '−' if v < 0 else '±'}{abs(v):.2f}%"


def format_change(
    month: str,
    alerts: int,
    *,
    mom_pct: float | None = None,
    yoy_pct: float | None = None,
    mom_p: float | None = None,
    yoy_p: float | None = None,
    lang: str = "zh",
    place: str = "",
    alpha: float = ALPHA,
) -> str:
    """Return the sentence a police report uses for one month's count and its changes.

    Parameters
    ----------
    month
        ``"YYYY-MM"``.
    alerts
        The month's count.
    mom_pct, yoy_pct
        Percent changes (NaN/None for n/a).
    mom_p, yoy_p
        p-values; when given, a change with ``p >= alpha`` is marked as not significant.
    lang
        ``"zh"`` or ``"en"``.
    place
        Optional precinct name to start the sentence with.

    Examples
    --------
    >>> format_change("2025-07", 93, mom_pct=-24.39, yoy_pct=-8.82, lang="en")
    '93 alerts in July 2025, −24.39% month on month, −8.82% year on year'
    >>> format_change("2025-07", 93, mom_pct=-24.39, yoy_pct=-8.82)
    '2025年7月警情93宗，环比下降24.39%，同比下降8.82%'
    """
    year, mon = (int(x) for x in month.split("-"))

    def flag(p: float | None, zh: bool) -> str:
        if p is None or not np.isfinite(p) or p < alpha:
            return ""
        return "（变化不显著）" if zh else " (not significant)"

    def part_zh(label: str, v: float | None, p: float | None) -> str:
        if v is None or not np.isfinite(v):
            return f"{label}无可比数据"
        word = "上升" if v > 0 else "下降" if v < 0 else "持平"
        txt = f"{label}{word}" if v == 0 else f"{label}{word}{_fmt_pct(v, 'zh')}"
        return txt + flag(p, True)

    def part_en(label: str, v: float | None, p: float | None) -> str:
        return f"{_fmt_pct(v if v is not None else math.nan, 'en')} {label}" + flag(p, False)

    if lang == "zh":
        head = f"{place}{year}年{mon}月警情{alerts}宗"
        return "，".join([head, part_zh("环比", mom_pct, mom_p), part_zh("同比", yoy_pct, yoy_p)])
    if lang != "en":
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    import calendar

    head = f"{place + ': ' if place else ''}{alerts} alert{'s' if alerts != 1 else ''} in "
    head += f"{calendar.month_name[mon]} {year}"
    return ", ".join(
        [head, part_en("month on month", mom_pct, mom_p), part_en("year on year", yoy_pct, yoy_p)]
    )
