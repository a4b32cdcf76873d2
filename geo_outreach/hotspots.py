"""Hot spots (Getis-Ord Gi* on grid cells), density-based clusters of alerts, and time profiles.

Gi* is computed here, vectorised, with binary distance-band weights that include the cell
itself (cells whose centres lie within ``distance_m``, inclusive) and the analytical z-score
of Getis & Ord (1992, 1995):

    z_i = (sum_j w_ij x_j - xbar W_i) / (s * sqrt((n W_i - W_i**2) / (n - 1)))

with ``W_i = sum_j w_ij``, ``xbar`` and ``s`` the mean and (population) standard deviation of
all cell counts. This is what PySAL esda's ``G_Local(y, w, transform="B", star=True).Zs``
reports (checked in tests). p-values are two-sided normal; with ``fdr=True`` they are
adjusted by Benjamini-Hochberg and the adjusted value decides the class.

Clusters are scikit-learn DBSCAN in metres. Alerts at the same place are merged into one
weighted sample first (``sample_weight``), which gives exactly the DBSCAN result on the raw
points; when more than ``max_sites`` distinct places remain (e.g. a million alerts), they are
snapped to a ``snap_m`` grid (default ``eps_m / 5``), which moves each point by at most
``snap_m / sqrt(2)`` and keeps time and memory bounded. Issue 14: the snapped sites are
clustered by :func:`geo_outreach._dbscan.lattice_dbscan` (scikit-learn's labels, ~6x less
CPU), which hands back to scikit-learn when a pair is too close to ``eps_m`` to decide.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy import stats as sps
from scipy.spatial import cKDTree

from geo_outreach._dbscan import lattice_dbscan
from geo_outreach._errors import InputDataError
from geo_outreach._validate import HOT_CLASS_LEVELS
from geo_outreach.stats import point_xy

log = logging.getLogger(__name__)

#: ``hot_class`` values, hottest first (output schema).
HOT_CLASSES = tuple(HOT_CLASS_LEVELS)
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Distinct alert sites above which :func:`cluster_labels` snaps to a grid.
MAX_SITES = 100_000
#: issue 14: DBSCAN on at least this many sites searches neighbours in 2 threads
PARALLEL_SITES = 50_000


def _metric(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is None or not pyproj.CRS(gdf.crs).is_projected:
        raise InputDataError(f"{what} must be in a projected CRS in metres; use to_crs")


# --------------------------------------------------------------------------- grid cells


def grid_frame(study_area: shapely.Geometry, cell_m: float) -> tuple[float, float, int, int]:
    """Return the grid's top-left corner ``x0, y0`` and its size ``nx, ny`` in cells."""
    minx, miny, maxx, maxy = shapely.bounds(study_area)
    x0 = math.floor(minx / cell_m) * cell_m
    y0 = math.ceil(maxy / cell_m) * cell_m
    nx = max(1, math.ceil((maxx - x0) / cell_m))
    ny = max(1, math.ceil((y0 - miny) / cell_m))
    return x0, y0, nx, ny


def grid_index(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    frame: tuple[float, float, int, int],
    cell_m: float,
) -> npt.NDArray[np.int64]:
    """Return each point's flat cell ``row * nx + col`` in a :func:`grid_frame` grid (-1: off)."""
    x0, y0, nx, ny = frame
    c = np.floor((x - x0) / cell_m).astype(np.int64)
    r = np.floor((y0 - y) / cell_m).astype(np.int64)
    ok = (c >= 0) & (c < nx) & (r >= 0) & (r < ny)
    return np.where(ok, r * nx + c, -1)


def grid_cells(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    *,
    cell_m: float,
) -> gpd.GeoDataFrame:
    """Square cells covering the study area with the number of alerts in each.

    Parameters
    ----------
    alerts
        Alert points in a metric CRS.
    study_area
        Polygon in the same CRS. Cells that intersect it are kept; alerts in no kept cell are
        not counted.
    cell_m
        Cell size in metres; the grid is aligned to multiples of ``cell_m``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id`` ("r<row>c<col>", row 0 = north), ``row``, ``col``, ``alerts``, square
        polygon geometry, in the alerts' CRS, sorted by row then column.
    """
    _metric(alerts, "alerts")
    if not cell_m > 0:
        raise InputDataError(f"cell_m must be positive, got {cell_m}")
    x0, y0, nx, ny = grid_frame(study_area, cell_m)
    rows, cols = np.divmod(np.arange(ny * nx), nx)
    boxes = shapely.box(
        x0 + cols * cell_m, y0 - (rows + 1) * cell_m, x0 + (cols + 1) * cell_m, y0 - rows * cell_m
    )
    shapely.prepare(study_area)
    keep = shapely.intersects(study_area, boxes)
    flat = grid_index(*point_xy(alerts.geometry), (x0, y0, nx, ny), cell_m)
    counts = np.bincount(flat[flat >= 0], minlength=ny * nx)
    rows, cols, counts, boxes = rows[keep], cols[keep], counts[keep], boxes[keep]
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"r{a}c{b}" for a, b in zip(rows, cols, strict=True)],
            "row": rows,
            "col": cols,
            "alerts": counts.astype(np.int64),
        },
        geometry=boxes,
        crs=alerts.crs,
    )


# --------------------------------------------------------------------------- Gi*


def distance_band(points: np.ndarray, distance_m: float) -> sparse.csr_matrix:
    """Binary weights (n x n, CSR) linking points within ``distance_m`` (inclusive), self in."""
    n = len(points)
    tree = cKDTree(points)
    pairs = tree.query_pairs(distance_m * (1 + 1e-9), output_type="ndarray")
    i = np.r_[pairs[:, 0], pairs[:, 1], np.arange(n)]
    j = np.r_[pairs[:, 1], pairs[:, 0], np.arange(n)]
    return sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


def gi_star_z(values: np.ndarray, weights: sparse.spmatrix) -> np.ndarray:
    """Analytical Gi* z-scores for binary weights that include self (0 where undefined)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    wx = weights @ x
    wi = np.asarray(weights.sum(axis=1)).ravel()
    xbar = x.mean()
    s = math.sqrt(max((x * x).mean() - xbar * xbar, 0.0))
    var = (n * wi - wi * wi) / max(n - 1, 1)
    den = s * np.sqrt(np.clip(var, 0.0, None))
    z = np.zeros(n)
    ok = den > 0
    z[ok] = (wx[ok] - xbar * wi[ok]) / den[ok]
    return z


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """hot99/hot95/hot90/ns/cold90/cold95/cold99 from the z sign and the (adjusted) p-value."""
    out = np.full(len(z), "ns", dtype=object)
    for level, alpha in (("90", 0.10), ("95", 0.05), ("99", 0.01)):
        sig = p < alpha
        out[sig & (z > 0)] = f"hot{level}"
        out[sig & (z < 0)] = f"cold{level}"
    return out


def gi_star(
    cells: gpd.GeoDataFrame,
    *,
    distance_m: float,
    fdr: bool = True,
    value: str = "alerts",
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots of a value on grid cells.

    Parameters
    ----------
    cells
        Cells (polygons or points, metric CRS) with a ``value`` column, e.g. from
        :func:`grid_cells`. Neighbours are found between cell centroids.
    distance_m
        Distance band in metres: cells whose centres are within it (inclusive) are neighbours;
        every cell is its own neighbour (Gi*).
    fdr
        Classify by Benjamini-Hochberg adjusted p-values (``p_fdr``) instead of raw ``p``.
    value
        Column with the counts.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cells`` with ``gi_z``, ``p`` (two-sided), ``p_fdr`` and ``hot_class`` (one
        of :data:`HOT_CLASSES`), plus ``neighbours`` (cells in the band, self included).
    """
    _metric(cells, "cells")
    if not distance_m > 0:
        raise InputDataError(f"analysis.gi_distance_m must be positive, got {distance_m}")
    out = cells.copy()
    if len(cells) == 0:
        for c, v in (
            ("gi_z", 0.0),
            ("p", 1.0),
            ("p_fdr", 1.0),
            ("hot_class", "ns"),
            ("neighbours", 0),
        ):
            out[c] = pd.Series([], dtype=type(v) if not isinstance(v, str) else object)
        return out
    cent = cells.geometry.centroid
    pts = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    w = distance_band(pts, distance_m)
    z = gi_star_z(cells[value].to_numpy(dtype=float), w)
    p = 2.0 * sps.norm.sf(np.abs(z))
    p_fdr = sps.false_discovery_control(p, method="bh") if len(p) else p
    out["neighbours"] = np.diff(w.indptr).astype(np.int64)
    out["gi_z"] = z
    out["p"] = p
    out["p_fdr"] = p_fdr
    out["hot_class"] = classify(z, p_fdr if fdr else p)
    return out


def hotspot_cells(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    *,
    cell_m: float,
    distance_m: float,
    fdr: bool = True,
) -> gpd.GeoDataFrame:
    """Find Gi* hot spot cells of the alerts.

    Bins alerts to ``cell_m`` cells over the study area (:func:`grid_cells`) and runs
    :func:`gi_star` with a ``distance_m`` band on them.
    """
    return gi_star(grid_cells(alerts, study_area, cell_m=cell_m), distance_m=distance_m, fdr=fdr)


# --------------------------------------------------------------------------- clusters


def cluster_labels(
    alerts: gpd.GeoDataFrame,
    *,
    eps_m: float = 300.0,
    min_samples: int = 15,
    max_sites: int = MAX_SITES,
    snap_m: float | None = None,
) -> pd.Series:
    """DBSCAN cluster of each alert (metres): 1, 2, ... by decreasing size, ``-1`` for noise.

    Parameters
    ----------
    alerts
        Alert points in a metric CRS.
    eps_m
        Neighbourhood radius in metres.
    min_samples
        Alerts (self included) within ``eps_m`` that make a core point.
    max_sites
        Distinct locations above which the points are snapped to a grid first.
    snap_m
        Snap grid size (default ``eps_m / 5``), only used above ``max_sites``.

    Returns
    -------
    pandas.Series
        ``cluster_id`` (int64) on the alerts' index.
    """
    _metric(alerts, "alerts")
    if not eps_m > 0 or min_samples < 1:
        raise InputDataError(
            f"analysis.cluster_eps_m must be positive and cluster_min_samples >= 1, got "
            f"{eps_m} and {min_samples}"
        )
    n = len(alerts)
    if n == 0:
        return pd.Series([], index=alerts.index, dtype=np.int64, name="cluster_id")
    x, y = point_xy(alerts.geometry)
    snap = snap_m if snap_m is not None else eps_m / 5.0
    # issue 14: more snap cells than max_sites means more distinct places too (each place is
    # in one cell): then the places are not counted (1M alerts: ~0.2 s)
    snapped = _snap_cells(x, y, snap) if n > max_sites else None
    places = None
    if snapped is None or len(snapped[0]) <= max_sites:
        # distinct places: a 1-D unique on x + iy sorts like (x, y), ~5x faster than axis=0
        uniq, inverse = np.unique(x + 1j * y, return_inverse=True)
        places = np.column_stack([uniq.real, uniq.imag]), inverse.ravel()
    cells = None
    if places is not None and len(places[0]) <= max_sites:
        sites, inverse = places
    else:
        assert snapped is not None  # n >= places > max_sites
        cells, inverse = snapped
        sites = np.column_stack(
            [x.min() + (cells[:, 0] + 0.5) * snap, y.min() + (cells[:, 1] + 0.5) * snap]
        )
        log.info("clusters: %d alerts snapped to %d sites of %g m", n, len(sites), snap)
    weight = np.bincount(inverse, minlength=len(sites)).astype(float)
    site_label = None
    if cells is not None:  # issue 14: on the snap lattice, without scikit-learn's loop
        site_label = lattice_dbscan(
            cells, sites, weight, step=snap, eps=eps_m, min_samples=min_samples
        )
    if site_label is None:
        from sklearn.cluster import DBSCAN  # issue 14: here, 1.2 s of import the lattice skips

        # issue 14: the neighbour search of many sites on both cores (chunks of queries in
        # threads, joined in order: the same labels)
        jobs = 2 if len(sites) >= PARALLEL_SITES else None
        db = DBSCAN(
            eps=eps_m, min_samples=min_samples, metric="euclidean", algorithm="kd_tree", n_jobs=jobs
        )
        site_label = db.fit(sites, sample_weight=weight).labels_
    return pd.Series(_by_size(site_label, inverse, sites), index=alerts.index, name="cluster_id")


def _snap_cells(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], snap: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """Distinct ``snap`` lattice cells of the points (column, row; sorted) and each point's."""
    kx = np.floor((x - x.min()) / snap).astype(np.int64)
    ky = np.floor((y - y.min()) / snap).astype(np.int64)
    keys, inverse = np.unique(kx * (int(ky.max()) + 1) + ky, return_inverse=True)
    cx, cy = np.divmod(keys, int(ky.max()) + 1)
    return np.column_stack([cx, cy]), inverse.ravel()


def _by_size(
    site_label: npt.NDArray[np.intp], inverse: npt.NDArray[np.intp], sites: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Alert labels renumbered by size (desc), ties by the smallest x then y of a member site."""
    raw = site_label[inverse]
    labels = np.full(len(raw), -1, dtype=np.int64)
    found = np.unique(raw[raw >= 0])
    if len(found):
        size = np.bincount(raw[raw >= 0], minlength=found.max() + 1)[found]
        member = site_label >= 0
        minx = np.full(found.max() + 1, np.inf)
        miny = np.full(found.max() + 1, np.inf)
        np.minimum.at(minx, site_label[member], sites[member, 0])
        np.minimum.at(miny, site_label[member], sites[member, 1])
        order = np.lexsort((miny[found], minx[found], -size))
        remap = np.full(found.max() + 1, -1, dtype=np.int64)
        remap[found[order]] = np.arange(1, len(found) + 1)
        labels[raw >= 0] = remap[raw[raw >= 0]]
    return labels


def _top_categories(codes: np.ndarray, names: list[str], k: int = 3) -> str:
    """Return the ``k`` commonest categories of a cluster with their share ("刷单返利 35%; ...").

    ``codes`` index ``names`` (-1: missing, not counted, as ``value_counts`` drops it); ties
    by name. Issue 14: counted from codes made once, not a ``value_counts`` per cluster.
    """
    count = np.bincount(codes[codes >= 0], minlength=len(names)).tolist()
    top = sorted((-c, names[i]) for i, c in enumerate(count) if c > 0)[:k]
    total = len(codes)
    return "; ".join(f"{name} {round(100 * -c / total)}%" for c, name in top)


def _peak_hours(hours: np.ndarray, width: int = 3) -> tuple[str, float]:
    """Best ``width``-hour window of the day (may wrap past midnight) as "19-22" and its share."""
    h = np.bincount(hours, minlength=24)[:24].astype(float)
    win = np.array([h[(s + np.arange(width)) % 24].sum() for s in range(24)])
    mid = np.array([h[(s + width // 2) % 24] for s in range(24)])
    s = int(np.lexsort((-mid, -win))[0])  # most alerts; ties: busiest middle hour, then earliest
    return f"{s}-{(s + width) % 24 or 24}", float(win[s] / max(h.sum(), 1))


def alert_clusters(
    alerts: gpd.GeoDataFrame,
    *,
    eps_m: float = 300.0,
    min_samples: int = 15,
    labels: pd.Series | None = None,
    buffer_m: float = 50.0,
    max_sites: int = MAX_SITES,
) -> gpd.GeoDataFrame:
    """Density-based clusters of alerts with their hull, size, categories and peak hours.

    Parameters
    ----------
    alerts
        Alert points in a metric CRS with ``reported_at`` and ``category``.
    eps_m, min_samples, max_sites
        DBSCAN settings, see :func:`cluster_labels`.
    labels
        Precomputed :func:`cluster_labels` (saves running DBSCAN twice).
    buffer_m
        The convex hull is buffered by this much so a one-place cluster is still a polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cluster (``cluster_id`` 1 = largest): ``alerts``, ``share_pct`` (of all
        alerts), ``top_categories`` ("刷单返利 35%; 冒充电商物流客服 20%", up to 3),
        ``peak_hours`` ("19-22": the busiest 3-hour window, local time), ``peak_share``,
        ``area_km2`` of the buffered hull; geometry in the alerts' CRS.
    """
    if labels is None:
        labels = cluster_labels(alerts, eps_m=eps_m, min_samples=min_samples, max_sites=max_sites)
    lab = labels.to_numpy()
    cols = [
        "cluster_id",
        "alerts",
        "share_pct",
        "top_categories",
        "peak_hours",
        "peak_share",
        "area_km2",
    ]
    if len(alerts) == 0 or (lab < 0).all():
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=alerts.crs)
    xy = shapely.get_coordinates(alerts.geometry.values)
    hours = alerts["reported_at"].dt.hour.to_numpy()
    codes, uniques = pd.factorize(alerts["category"].astype(str))
    names = [str(u) for u in uniques]
    order = np.argsort(lab, kind="stable")
    sorted_lab = lab[order]
    ids = np.unique(lab[lab > 0])
    starts = np.searchsorted(sorted_lab, ids, side="left")
    ends = np.searchsorted(sorted_lab, ids, side="right")
    records, geoms = [], []
    for cid, a, b in zip(ids, starts, ends, strict=True):
        idx = order[a:b]
        # issue 14: one line through the points has the multipoint's hull (same coordinates,
        # same order) without a Point per alert (1M alerts: 2.2 -> 0.2 s)
        line = shapely.linestrings(xy[idx]) if len(idx) >= 2 else shapely.multipoints(xy[idx])
        hull = shapely.convex_hull(line)
        geom = shapely.buffer(hull, buffer_m, quad_segs=8)
        peak, share = _peak_hours(hours[idx])
        records.append(
            {
                "cluster_id": int(cid),
                "alerts": len(idx),
                "share_pct": round(100.0 * len(idx) / len(alerts), 2),
                "top_categories": _top_categories(codes[idx], names),
                "peak_hours": peak,
                "peak_share": round(share, 4),
                "area_km2": round(float(shapely.area(geom)) / 1e6, 4),
            }
        )
        geoms.append(geom)
    return gpd.GeoDataFrame(records, geometry=geoms, crs=alerts.crs)[[*cols, "geometry"]]


# --------------------------------------------------------------------------- time profiles


def _hour_weekday(alerts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    t = alerts["reported_at"]
    if not isinstance(t.dtype, pd.DatetimeTZDtype):
        raise InputDataError("alerts: reported_at must be timezone-aware datetimes")
    return t.dt.hour.to_numpy(), t.dt.day_of_week.to_numpy()


def time_profile(
    alerts: gpd.GeoDataFrame | pd.DataFrame, *, by: str = "precinct_id"
) -> pd.DataFrame:
    """Alerts by hour of day (0-23) and weekday (0 = Monday), per group, in local time.

    Parameters
    ----------
    alerts
        Alerts with tz-aware ``reported_at`` (the scenario timezone) and the ``by`` column.
    by
        Column to group by. When the alerts also have a ``cluster_id`` column (from
        :func:`cluster_labels`), clusters (noise ``-1`` excluded) get profiles too.

    Returns
    -------
    pandas.DataFrame
        Long table, every group with all 168 weekday x hour combinations (zeros included):
        ``group_type`` ("all", ``by``, "cluster_id"), ``group_id`` (str; "all" for the whole
        layer), ``weekday``, ``hour``, ``alerts``; sorted.
    """
    hour, wday = _hour_weekday(alerts)
    slot = wday * 24 + hour
    frames = []

    def block(group_type: str, keys: Any, mask: np.ndarray | None = None) -> None:
        k = keys if mask is None else keys[mask]
        s = slot if mask is None else slot[mask]
        # issue 14: factorize + bincount (np.unique sorts 1M Python str, np.add.at is slow);
        # text keys stay pyarrow text (sorted by code point, as Python sorts str)
        inv, uniq = pd.factorize(k, sort=True)
        groups = np.asarray(uniq)
        flat = np.bincount(inv * 168 + s, minlength=len(groups) * 168)
        mat = flat.astype(np.int64).reshape(len(groups), 168)
        frames.append(
            pd.DataFrame(
                {
                    "group_type": group_type,
                    "group_id": np.repeat(groups.astype(str), 168),
                    "weekday": np.tile(np.repeat(np.arange(7), 24), len(groups)),
                    "hour": np.tile(np.arange(24), 7 * len(groups)),
                    "alerts": mat.ravel(),
                }
            )
        )

    block("all", pd.Categorical.from_codes(np.zeros(len(alerts), dtype=np.int8), ["all"]))
    if by not in alerts.columns:
        raise InputDataError(f"alerts have no column {by!r} to build time profiles by")
    if by != "all":
        keys = alerts[by].astype(str)  # issue 14: pyarrow text factorized as it is
        block(by, keys.to_numpy() if keys.dtype == object else keys)
    if "cluster_id" in alerts.columns and by != "cluster_id":
        cid = alerts["cluster_id"].to_numpy()
        if (cid >= 0).any():
            block("cluster_id", cid.astype(np.int64), cid >= 0)
    out = pd.concat(frames, ignore_index=True)
    return out.reset_index(drop=True)


def peak_windows(
    alerts: gpd.GeoDataFrame | pd.DataFrame,
    *,
    hours: int = 3,
    top: int = 3,
    by_weekday: bool = True,
) -> list[dict]:
    """Return the busiest non-overlapping time windows, for patrols and events to cover.

    Parameters
    ----------
    alerts
        Alerts with tz-aware ``reported_at``.
    hours
        Window length in hours (windows stay within one day).
    top
        How many windows.
    by_weekday
        Windows on one weekday ("周五 19-22时"); ``False`` pools all days ("每天 19-22时").

    Returns
    -------
    list of dict
        Best first: ``label_zh``, ``label_en``, ``weekdays`` (0 = Monday), ``start_hour``,
        ``end_hour`` (exclusive), ``alerts``, ``share`` (of all alerts, 4 decimals).
    """
    if not 1 <= hours <= 24:
        raise InputDataError(f"hours must be 1-24, got {hours}")
    hour, wday = _hour_weekday(alerts)
    n = len(alerts)
    if n == 0:
        return []
    mat = np.bincount(wday * 24 + hour, minlength=7 * 24).reshape(7, 24).astype(np.int64)
    if not by_weekday:
        mat = mat.sum(axis=0, keepdims=True)
    starts = 24 - hours + 1
    csum = np.concatenate(
        [np.zeros((mat.shape[0], 1), dtype=np.int64), np.cumsum(mat, axis=1)], axis=1
    )
    win = csum[:, hours:] - csum[:, :starts]  # (days, starts)
    mid = mat[:, hours // 2 : hours // 2 + starts]  # count in each window's middle hour
    taken = np.zeros_like(win, dtype=bool)
    out: list[dict] = []
    for _ in range(top):
        cand = np.where(taken, -1, win)
        # most alerts; ties: busiest middle hour (centres the window), then earliest day/hour
        best = np.lexsort((-mid.ravel(), -cand.ravel()))[0]
        d, s = np.unravel_index(int(best), cand.shape)
        if cand[d, s] <= 0:
            break
        lo, hi = max(0, s - hours + 1), min(starts, s + hours)
        taken[d, lo:hi] = True
        days = [int(d)] if by_weekday else list(range(7))
        e = s + hours
        zh_day = WEEKDAYS_ZH[d] if by_weekday else "每天"
        en_day = WEEKDAYS_EN[d] if by_weekday else "Daily"
        out.append(
            {
                "label_zh": f"{zh_day} {s}-{e}时",
                "label_en": f"{en_day} {s}-{e}h",
                "weekdays": days,
                "start_hour": int(s),
                "end_hour": int(e),
                "alerts": int(win[d, s]),
                "share": round(float(win[d, s]) / n, 4),
            }
        )
    return out
