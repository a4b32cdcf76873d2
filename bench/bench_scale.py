"""Province-scale benchmark of the alert loader (issue 14; not a timed test).

For each size (200k and 1M rows; 10M with ``--ten-million``) a seeded synthetic alert file is
made by ``scripts/make_large.py`` (GCJ-02, ~11 % bad rows of every reject kind, slash, Chinese
and day-first times) and each measurement runs in a FRESH subprocess so its peak RSS
(``resource.getrusage``) is its own:

- ``pandas``: load + clean + datum + precinct join (``io.load_alerts``) + binning (precinct x
  month counts and 500 m grid counts) with the pandas engine;
- ``plan``: ``geo-outreach plan`` end to end on the 1M scenario (``--plan``; maps, briefing
  and exports included), with the wall and CPU seconds per stage (``manifest.json``
  ``timings_s``, ``timings_cpu_s``; ``timings_overlap``: the stages run in worker processes and
  what they ran beside), CPU and peak memory including the plan's worker processes, and the
  output files over 1 MB.

One function per engine (:func:`bench_pandas`); another engine adds its own function and its
name to ``ENGINES``. ``--code DIR`` runs the measurement with another checkout's code on the
path (e.g. a worktree at main, for the old loader's figures). Results: a table on stdout and
``bench/results/bench_scale.json``.

    .venv/bin/python bench/bench_scale.py [--rows 200000 1000000] [--ten-million] [--plan]
        [--format csv|parquet] [--code /path/to/other/checkout] [--data outputs/large]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def bench_pandas(scenario: Path) -> dict[str, Any]:
    """Load + clean + datum + join + binning of the scenario's alerts, pandas engine.

    The binning counts integer codes with ``numpy.bincount`` (precinct x month, 500 m cells).
    """
    import numpy as np
    import pandas as pd
    import shapely

    from geo_outreach import crs as _crs
    from geo_outreach._precincts import load_precincts
    from geo_outreach.io import load_alerts
    from geo_outreach.scenario import load_scenario

    t0, c0 = time.perf_counter(), time.process_time()
    sc = load_scenario(scenario)
    ll, _, _ = load_precincts(sc.precincts)
    crs = _crs.working_crs(ll)
    precincts = ll.to_crs(crs)
    area = shapely.union_all(precincts.geometry.values)
    alerts, rejects, _ = load_alerts(
        sc.alerts,
        tz=sc.scenario.timezone,
        precincts_m=precincts,
        study_area=area,
        crs=crs,
        period=sc.period,
    )
    t_load = time.perf_counter() - t0
    # binning on integer codes (numpy bincount): precinct x month counts, 500 m grid counts
    pcode, pids = pd.factorize(alerts["precinct_id"])
    local = alerts["reported_at"].dt.tz_localize(None)
    month = (local.dt.year.to_numpy() - 1990) * 12 + local.dt.month.to_numpy() - 1
    by_month = np.bincount(pcode * (month.max() + 1) + month)
    x = shapely.get_x(alerts.geometry.values)
    y = shapely.get_y(alerts.geometry.values)
    ix, iy = np.floor(x / 500.0).astype(np.int64), np.floor(y / 500.0).astype(np.int64)
    ix, iy = ix - ix.min(), iy - iy.min()
    grid = np.bincount(ix * (iy.max() + 1) + iy)
    t_bin = time.perf_counter() - t0 - t_load
    return {
        "loaded": len(alerts),
        "rejected": len(rejects),
        "precinct_months": int((by_month > 0).sum()),
        "grid_cells": int((grid > 0).sum()),
        "precincts": len(pids),
        "load_s": round(t_load, 2),
        "bin_s": round(t_bin, 2),
        "seconds": round(time.perf_counter() - t0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
        "peak_rss_mb": round(_peak_mb(), 0),
        "loadavg_1m": round(os.getloadavg()[0], 1),  # shared machine: wall s is only fair when idle
    }


def _tree_memory_mb(root: int) -> tuple[float, float]:
    """Resident and proportional memory (RSS, PSS; MB) of ``root`` and its descendants (Linux).

    Issue 14: ``plan`` forks worker processes; their pages shared copy-on-write with the parent
    count once in PSS and in every process in RSS (the sum of RSS is an upper bound).
    """
    rss = pss = 0.0
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss"):
                    kb = float(value.split()[0]) / 1024.0
                    rss, pss = (rss + kb, pss) if key == "Rss" else (rss, pss + kb)
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:  # the process ended meanwhile
            continue
        todo += [int(k) for k in kids]
    return rss, pss


def bench_plan(scenario: Path) -> dict[str, Any]:
    """``geo-outreach plan`` end to end (maps and briefing included) in a child process.

    CPU: the plan's process and every process it started (its worker processes, Chromium;
    ``RUSAGE_CHILDREN``). Peak memory: ``peak_rss_mb`` is the largest single process
    (``ru_maxrss``); ``peak_tree_rss_mb`` / ``peak_tree_pss_mb`` are the largest sums over the
    plan's process tree, sampled every 0.2 s (issue 14: the plan forks worker processes).
    """
    out = RESULTS / "plan_out"
    cmd = [sys.executable, "-m", "geo_outreach", "plan", str(scenario), "--out", str(out)]
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen(
        [*cmd, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    tree_rss = tree_pss = 0.0
    while proc.poll() is None:
        rss, pss = _tree_memory_mb(proc.pid)
        tree_rss, tree_pss = max(tree_rss, rss), max(tree_pss, pss)
        time.sleep(0.2)
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(stderr[-2000:])
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(child.ru_utime + child.ru_stime, 2),
        "peak_rss_mb": round(_peak_mb(resource.RUSAGE_CHILDREN)),
        "peak_tree_rss_mb": round(tree_rss),  # issue 14: plan + its workers, summed
        "peak_tree_pss_mb": round(tree_pss),
        "loadavg_1m": [round(load0, 1), round(os.getloadavg()[0], 1)],  # at start, at end
        "stages_s": manifest.get("timings_s", {}),  # issue 14: wall s per plan stage
        "stages_cpu_s": manifest.get("timings_cpu_s", {}),  # and CPU s (shared machine)
        "stages_overlap": manifest.get("timings_overlap", {}),  # issue 14: worker stages
        "outputs_mb": {  # issue 14: a planner's files should stay a few MB
            f.name: round(f.stat().st_size / 1e6, 1)
            for f in sorted(out.iterdir())
            if f.suffix in (".html", ".gpkg", ".csv", ".parquet") and f.stat().st_size > 1e6
        },
    }


# issue 14 (B): the Dask engine
def bench_dask(scenario: Path) -> dict[str, Any]:
    """The same measurement as :func:`bench_pandas` with the Dask engine (issue 14, part B).

    A ``LocalCluster`` of ``BENCH_DASK_WORKERS`` one-thread worker processes (default 2, the
    machine's cores) is started first (its start time is reported apart, ``cluster_s``); the
    workers read their own slices of the file (CSV byte ranges, Parquet row ranges: ``read``
    = ``workers``; a file that cannot be sliced is read on the client, ``read`` = ``client``)
    in partitions of about ``BENCH_DASK_PARTITION_ROWS`` rows (default 250,000) and clean them;
    the cleaned partitions come back to the client (``load_study`` returns the whole table).
    With ``BENCH_DASK_AGGREGATES=1`` they stay on the workers and only the counts come back
    (``engine.load_alert_aggregates``: ``mode`` = ``aggregates``).
    Peak memory: the client's own peak plus each worker's peak (``peak_rss_mb`` = their sum,
    an upper bound of the machine's peak; ``client_peak_mb`` and ``worker_peak_mb`` = the
    largest worker apart). CPU: client + workers (``RUSAGE_SELF`` of each, start-up included).
    """
    import dataclasses
    import logging

    import distributed
    import numpy as np
    import shapely

    from geo_outreach import crs as _crs
    from geo_outreach._precincts import load_precincts
    from geo_outreach.engine import load_alert_aggregates, load_alerts_engine
    from geo_outreach.io import read_alerts
    from geo_outreach.scenario import load_scenario

    workers = int(os.environ.get("BENCH_DASK_WORKERS", "2"))
    aggregates = os.environ.get("BENCH_DASK_AGGREGATES", "") == "1"
    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster, set_as_default=False)
    cluster_s = time.perf_counter() - t0
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        sc = load_scenario(scenario)
        rows = int(os.environ.get("BENCH_DASK_PARTITION_ROWS", "250000"))
        engine = dataclasses.replace(
            sc.engine, kind="dask", scheduler=cluster.scheduler_address, partition_rows=rows
        )
        sc = dataclasses.replace(sc, engine=engine)
        ll, _, _ = load_precincts(sc.precincts)
        crs = _crs.working_crs(ll)
        precincts = ll.to_crs(crs)
        area = shapely.union_all(precincts.geometry.values)
        if aggregates:  # counts computed on the workers; no alert table on the client
            agg = load_alert_aggregates(
                sc, read_file=read_alerts, precincts_m=precincts, study_area=area, crs=crs
            )
            t_load = time.perf_counter() - t0
            loaded, rejected, facts = agg.facts["rows_loaded"], len(agg.rejects), agg.facts
            n_months, n_cells = len(agg.precinct_month), len(agg.grid)
        else:
            alerts, rejects, facts = load_alerts_engine(
                sc, read_file=read_alerts, precincts_m=precincts, study_area=area, crs=crs
            )
            t_load = time.perf_counter() - t0
            month = alerts["reported_at"].dt.tz_localize(None).dt.to_period("M")
            by_month = alerts.groupby([alerts["precinct_id"], month]).size()
            xy = np.floor(shapely.get_coordinates(alerts.geometry.values) / 500.0).astype(np.int64)
            grid, _ = np.unique(xy[:, 0] * 1_000_000 + xy[:, 1], return_counts=True)  # as pandas
            loaded, rejected = len(alerts), len(rejects)
            n_months, n_cells = len(by_month), len(grid)
        seconds = time.perf_counter() - t0
        usage = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF))
        cpu_s = time.process_time() - c0 + sum(u.ru_utime + u.ru_stime for u in usage.values())
    finally:
        client.close()
        cluster.close()
    peaks = [u.ru_maxrss / 1024.0 for u in usage.values()]
    return {
        "loaded": loaded,
        "rejected": rejected,
        "precinct_months": n_months,
        "grid_cells": n_cells,
        "mode": "aggregates" if aggregates else "table",
        "load_s": round(t_load, 2),
        "seconds": round(seconds, 2),
        "cluster_s": round(cluster_s, 2),
        "read": facts["engine"]["read"],  # workers (own slices) or client
        "read_s": facts["engine"]["read_s"],  # plan + read + the day/month order
        "clean_s": facts["engine"]["clean_s"],  # clean on the workers + results back
        "partitions": facts["engine"]["partitions"],
        "workers": workers,
        "cpu_s": round(cpu_s, 2),  # client + workers (worker start-up imports included)
        "client_peak_mb": round(_peak_mb(), 0),
        "worker_peak_mb": round(max(peaks), 0),
        "peak_rss_mb": round(_peak_mb() + sum(peaks), 0),
    }


#: engine name -> one measurement (runs in a fresh process).
ENGINES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "pandas": bench_pandas,
    "dask": bench_dask,  # issue 14 (B)
    "plan": bench_plan,
}


def make_data(rows: int, data: Path, fmt: str) -> Path:
    """The scenario of a ``rows``-row file (made once by scripts/make_large.py)."""
    scenario = data / f"large_{rows}.toml"
    wanted = data / f"alerts_{rows}.{fmt}"
    if not wanted.exists():
        args = [str(rows), "--out", str(data)] + (["--parquet"] if fmt == "parquet" else [])
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_large.py"), *args], check=True)
    if fmt == "parquet":
        scenario = data / f"large_{rows}_parquet.toml"
        text = (data / f"large_{rows}.toml").read_text(encoding="utf-8")
        scenario.write_text(text.replace(f"alerts_{rows}.csv", f"alerts_{rows}.parquet"), "utf-8")
    return scenario


def run_one(
    engine: str, scenario: Path, code: Path | None, python: str | None = None
) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; return its JSON result."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    cmd = [python or sys.executable, __file__, "--one", engine, str(scenario)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=code or ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000])
    ap.add_argument("--ten-million", action="store_true", help="also 10,000,000 rows (slow)")
    ap.add_argument("--plan", action="store_true", help="also plan end to end on 1M rows")
    ap.add_argument("--engines", nargs="+", default=["pandas"], help=f"of {sorted(ENGINES)}")
    ap.add_argument("--format", choices=["csv", "parquet"], default="csv")
    ap.add_argument("--code", type=Path, help="run another checkout's code (old figures)")
    ap.add_argument("--python", help="interpreter for the measurements (another venv)")
    ap.add_argument("--data", type=Path, default=ROOT / "outputs" / "large")
    ap.add_argument("--label", default="", help="label stored with the results")
    ap.add_argument("--one", nargs=2, metavar=("ENGINE", "SCENARIO"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        sys.stdout.write(json.dumps(ENGINES[a.one[0]](Path(a.one[1]))) + "\n")
        return
    a.data.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sizes = a.rows + ([10_000_000] if a.ten_million else [])
    runs = [(engine, rows) for rows in sizes for engine in a.engines if engine != "plan"]
    runs += [("plan", 1_000_000)] if a.plan else []
    results = []
    for engine, rows in runs:
        got = run_one(engine, make_data(rows, a.data, a.format), a.code, a.python)
        secs = got.get("seconds")
        rate = round(rows / secs) if secs else None
        cpu = got.get("cpu_s")
        rec = {"engine": engine, "rows": rows, "format": a.format, "rows_per_s": rate, **got}
        rec["rows_per_cpu_s"] = round(rows / cpu) if cpu else None
        rec["code"], rec["label"] = str(a.code or ROOT), a.label
        results.append(rec)
        sys.stdout.write(
            f"{engine:8s} {rows:>10,d} rows {a.format:7s} {secs!s:>8s} s "
            f"cpu {got.get('cpu_s')!s:>7s} s "
            f"{rate!s:>10s} rows/s ({rec['rows_per_cpu_s']!s} per cpu s) "
            f"peak {got.get('peak_rss_mb')!s:>7s} MB {got.get('error', '')}\n"
        )
        for key in ("stages_s", "outputs_mb"):  # issue 14: plan per stage, big files
            if got.get(key):
                items = ", ".join(f"{k} {v}" for k, v in got[key].items())
                sys.stdout.write(f"{'':8s} {key}: {items}\n")
        sys.stdout.flush()
    path = RESULTS / "bench_scale.json"
    old = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps(old + results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
