"""Benchmark of the alert analytics on 1,000,000 synthetic alerts (not a timed test).

A 40 km x 40 km district in UTM 49N split into 11 precincts; alerts are clustered (60 %
in 40 Gaussian hot places of 150-800 m spread, 40 % spread uniformly) over two years. Runs
precinct stats + trends, density, Gi*, DBSCAN clusters and time profiles, and prints wall time
and peak traced memory per stage plus the process's peak RSS.

DBSCAN on a million raw points would keep every point's neighbour list in memory (hundreds of
millions of entries in the dense places); ``cluster_labels`` instead merges alerts at the same
place into weighted samples and, above ``MAX_SITES`` distinct places, snaps them to an
``eps_m / 5`` grid (60 m for eps 300 m), so DBSCAN sees at most a few hundred thousand weighted
sites. Each alert moves at most 42 m, well inside eps.

    .venv/bin/python bench/bench_analytics.py [--n 1000000] [--seed 42]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from typing import Self

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach import density, hotspots, stats
from geo_outreach.analytics import hotspot_cell_size
from geo_outreach.join import assign_precincts
from geo_outreach.scenario import AnalysisConfig

UTM = "EPSG:32649"
X0, Y0, SIDE = 640_000.0, 2_450_000.0, 40_000.0


def make_precincts() -> gpd.GeoDataFrame:
    """11 precincts: a 4 x 3 grid of rectangles with the last two merged."""
    w, h = SIDE / 4, SIDE / 3
    boxes = [
        shapely.box(X0 + c * w, Y0 + r * h, X0 + (c + 1) * w, Y0 + (r + 1) * h)
        for r in range(3)
        for c in range(4)
    ]
    boxes = boxes[:10] + [shapely.union(boxes[10], boxes[11])]
    return gpd.GeoDataFrame(
        {
            "precinct_id": [f"P{i:02d}" for i in range(11)],
            "name": [f"镇街{i}" for i in range(11)],
            "population": np.linspace(30_000, 200_000, 11),
        },
        geometry=boxes,
        crs=UTM,
    )


def make_alerts(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n_hot = int(n * 0.6)
    centres = rng.uniform([X0 + 2000, Y0 + 2000], [X0 + SIDE - 2000, Y0 + SIDE - 2000], (40, 2))
    spread = rng.uniform(150, 800, 40)
    which = rng.integers(0, 40, n_hot)
    hot = centres[which] + rng.normal(size=(n_hot, 2)) * spread[which, None]
    bg = rng.uniform([X0 - 1000, Y0 - 1000], [X0 + SIDE + 1000, Y0 + SIDE + 1000], (n - n_hot, 2))
    xy = np.round(np.vstack([hot, bg]), 1)  # coordinates to 0.1 m, like geocoded records
    secs = rng.integers(0, 730 * 86400, n)
    t = pd.Timestamp("2024-01-01", tz="Asia/Shanghai") + pd.to_timedelta(secs, unit="s")
    cats = np.array(
        ["刷单返利", "冒充电商物流客服", "虚假投资理财", "冒充公检法", "虚假贷款", "其他"]
    )
    return gpd.GeoDataFrame(
        {
            "alert_id": np.char.add("a", np.arange(n).astype(str)),
            "reported_at": t,
            "category": cats[rng.choice(6, n, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])],
            "age_band": "",
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=UTM,
    )


def _rss_peak_mib() -> float:
    """Peak resident set size since the last reset (Linux VmHWM), MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
        return True
    except OSError:  # pragma: no cover - not Linux
        return False


class Stage:
    """Time a stage; memory as the process's peak RSS during it (whole process, data included)
    or, with ``trace``, Python's tracemalloc peak of the stage's own allocations (slower: it
    also slows the many small allocations sklearn's DBSCAN makes)."""

    trace = False

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Self:
        self.reset = _reset_rss_peak()
        self.rss0 = _rss_peak_mib()
        if Stage.trace:
            tracemalloc.start()
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        dt = time.perf_counter() - self.t
        extra = ""
        if Stage.trace:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            extra = f"   traced peak {peak / 2**20:7.1f} MiB"
        rss = _rss_peak_mib()
        print(
            f"{self.name:<26} {dt:7.2f} s   peak RSS {rss:7.1f} MiB "
            f"(+{rss - self.rss0:6.1f}){extra}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--min-samples",
        type=int,
        default=300,
        help="DBSCAN min_samples; the scenario default 15 suits a year of real alerts, "
        "but at 1M alerts the background alone has ~70 alerts per 300 m disc",
    )
    ap.add_argument("--trace", action="store_true", help="also report tracemalloc peaks (slower)")
    args = ap.parse_args()
    Stage.trace = args.trace
    cfg = AnalysisConfig()
    t0 = time.perf_counter()
    prec = make_precincts()
    alerts = make_alerts(args.n, args.seed)
    area = prec.union_all()
    print(
        f"{args.n:,} synthetic alerts over {SIDE / 1000:.0f} x {SIDE / 1000:.0f} km, 11 precincts "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )
    with Stage("join (io, for context)"):
        alerts["precinct_id"] = assign_precincts(alerts, prec)
    analysed = time.perf_counter()
    with Stage("precinct stats + trends"):
        st = stats.precinct_stats(alerts, prec)
        tr = stats.monthly_trends(alerts, prec)
    with Stage("density (KDE, FFT)"):
        grid = density.density_grid(alerts, area, half_life_days=180.0)
    hot_cell = hotspot_cell_size(area, cfg.cell_m)
    gi_distance = 2.0 * hot_cell  # as run_analytics
    with Stage("Gi* hot spots"):
        cells = hotspots.hotspot_cells(alerts, area, cell_m=hot_cell, distance_m=gi_distance)
    with Stage("DBSCAN clusters"):
        labels = hotspots.cluster_labels(
            alerts, eps_m=cfg.cluster_eps_m, min_samples=args.min_samples
        )
        clusters = hotspots.alert_clusters(alerts, labels=labels)
    with Stage("time profiles + peaks"):
        prof = hotspots.time_profile(alerts.assign(cluster_id=labels), by="precinct_id")
        peaks = hotspots.peak_windows(alerts)
    total = time.perf_counter() - analysed
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'analytics total (no join)':<26} {total:7.2f} s   "
        f"process peak RSS {rss:7.1f} MiB (whole run)"
    )
    print(
        f"precinct rows {len(st)}, trend rows {len(tr)}, "
        f"density grid {grid.shape} at {grid.cell_m:g} m "
        f"(bandwidth {grid.bandwidth_m:.0f} m), "
        f"Gi* cells {len(cells)} at {hot_cell:g} m / {gi_distance:.0f} m "
        f"({(cells.hot_class != 'ns').sum()} significant), clusters {len(clusters)}, "
        f"profile rows {len(prof)}, top window {peaks[0]['label_en'] if peaks else '-'}"
    )


if __name__ == "__main__":
    main()
