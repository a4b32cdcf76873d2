"""Benchmark: geo_outreach's maximal covering vs PySAL spopt's MCLP ("MaximumCoverage").

Same instances for both: clustered demand like alert hot spots over a 30 km x 30 km area,
radius 800 m, p = 10 and 50, sizes 1,000 x 200, 5,000 x 1,000, 20,000 x 2,000; then
200,000 x 5,000 for geo_outreach alone (spopt's dense n x m matrices do not fit).

Times are end to end: matrix + model + solve; wall-clock and CPU seconds (this process and
its children: CBC runs as one), since on a shared machine wall-clock ratios are noisy.
spopt is a benchmark-only extra (``pip install spopt pulp``), never imported by the package. Run:

    .venv/bin/python bench/bench_coverage.py [--quick] [--spopt-timeout 600]
        [--sizes 5000x1000,20000x2000] [--p 50] [--repeat 3] [--no-spopt] [--no-big]

spopt runs with pulp's bundled CBC (``PULP_CBC_CMD``), the solver spopt's own docs and
tests use; each spopt solve runs in a forked process with a time box (``--spopt-timeout``).
geo_outreach runs ``method="exact"`` on the shared sizes and ``method="auto"`` on 200,000 x
5,000 (five runs per p), both with default settings (no time limit: budgeted by work, so the
runs must give the same set), the big one in a fresh process whose peak RSS is reported.
On the shared sizes our exact solve has a 600 s safety net (``--ours-limit``) so that
20,000 x 2,000 cannot hold the whole run. ``--repeat N`` runs each shared instance N times
(both solvers) and the summary table gives the median and the worst ratio per instance.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo_outreach.coverage import coverage_matrix_euclidean, maximize_coverage

SIDE_M = 30_000.0
RADIUS_M = 800.0


def instance(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clustered demand (hot spots of varied size + 15% background), candidates half near
    the hot spots and half spread out (venues are where people are, and elsewhere)."""
    rng = np.random.default_rng(seed)
    n_clusters = 40
    centres = rng.uniform(0.1 * SIDE_M, 0.9 * SIDE_M, size=(n_clusters, 2))
    sizes = rng.uniform(200, 1500, n_clusters)
    pop = rng.pareto(1.2, n_clusters) + 1
    pop /= pop.sum()
    n_bg = int(0.15 * n)
    which = rng.choice(n_clusters, n - n_bg, p=pop)
    d = centres[which] + rng.normal(size=(n - n_bg, 2)) * sizes[which, None]
    d = np.vstack([d, rng.uniform(0, SIDE_M, size=(n_bg, 2))])
    d = np.clip(d, 0, SIDE_M)
    w = rng.integers(1, 4, n).astype(float)
    m_near = m // 2
    which_c = rng.choice(n_clusters, m_near, p=pop)
    c = centres[which_c] + rng.normal(size=(m_near, 2)) * (1.5 * sizes[which_c, None])
    c = np.vstack([c, rng.uniform(0, SIDE_M, size=(m - m_near, 2))])
    c = np.clip(c, 0, SIDE_M)
    return d, c, w


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a child)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_ours(d, c, w, p, method="auto", time_limit_s=None):
    c0 = _cpu_s()
    t0 = time.perf_counter()
    a = coverage_matrix_euclidean(d, c, RADIUS_M)
    t1 = time.perf_counter()
    sol = maximize_coverage(a, w, p, method=method, time_limit_s=time_limit_s)
    t2 = time.perf_counter()
    return {
        "objective": sol.covered_weight,
        "upper_bound": sol.upper_bound,
        "gap": sol.gap,
        "status": sol.status,
        "method": sol.method,
        "matrix_s": t1 - t0,
        "solve_s": t2 - t1,
        "total_s": t2 - t0,
        "cpu_s": _cpu_s() - c0,
        "nnz": a.nnz,
        "chosen": tuple(sorted(sol.chosen)),
        "notes": sol.notes,
    }


def _spopt_worker(d, c, w, p, q):
    os.setpgrp()  # own process group: a timeout also stops the CBC child process
    import pulp
    from scipy.spatial import distance_matrix
    from spopt.locate import MCLP

    c0 = _cpu_s()
    t0 = time.perf_counter()
    cost = distance_matrix(d, c)
    model = MCLP.from_cost_matrix(cost, w, service_radius=RADIUS_M, p_facilities=p)
    t1 = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    t2 = time.perf_counter()
    q.put(
        {
            "objective": float(pulp.value(model.problem.objective)),
            "status": pulp.LpStatus[model.problem.status],
            "build_s": t1 - t0,
            "solve_s": t2 - t1,
            "total_s": t2 - t0,
            "cpu_s": _cpu_s() - c0,
        }
    )


def run_spopt(d, c, w, p, timeout_s):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_spopt_worker, args=(d, c, w, p, q))
    t0 = time.perf_counter()
    proc.start()
    proc.join(timeout_s)
    if proc.is_alive():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.join()
        return {
            "objective": float("nan"),
            "status": f"timeout>{timeout_s:.0f}s",
            "total_s": time.perf_counter() - t0,
        }
    if q.empty():
        return {
            "objective": float("nan"),
            "status": f"failed (exit {proc.exitcode})",
            "total_s": time.perf_counter() - t0,
        }
    return q.get()


def _big_line(p, i, r):
    safety = any("safety net" in n for n in r["notes"])
    return (
        f"200,000x5,000  {p:>3} run {i} | ours only: objective {r['objective']:.0f}, "
        f"bound {r['upper_bound']:.1f}, gap {100 * r['gap']:.3f}% "
        f"({r['status']}, {r['method']}), matrix {r['matrix_s']:.1f} s + "
        f"solve {r['solve_s']:.1f} s = {r['total_s']:.1f} s (cpu {r['cpu_s']:.1f} s), "
        f"nnz {r['nnz']:,} -> {'OK' if r['gap'] < 0.02 else 'MISSED'}"
        f"{' (time limit hit)' if safety else ''}"
    )


def _big_worker(q, ps=(10, 50), runs=5):
    d, c, w = instance(200_000, 5_000, seed=7)
    out = {}
    for p in ps:
        # default settings: the solve is budgeted by work (no time limit), so the runs must
        # give the same set
        out[p] = []
        for i in range(1, runs + 1):
            out[p].append(run_ours(d, c, w, p, method="auto"))  # defaults: no time limit
            print(_big_line(p, i, out[p][-1]), flush=True)
        sets = {r["chosen"] for r in out[p]}
        print(
            f"200,000x5,000  {p:>3} | {runs} runs, {len(sets)} distinct answer(s) "
            f"-> {'SAME' if len(sets) == 1 else 'DIFFERENT'}",
            flush=True,
        )
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    q.put(out)


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _summary(rows) -> None:
    """One line per instance: same objective?, median and worst wall / CPU ratio, verdict."""
    print()
    head = (
        f"{'n x m':>14} {'p':>3} | {'runs':>4} {'same obj':>8} | {'wall ratio med/min':>18} | "
        f"{'cpu ratio med/min':>17} | >= 20x?"
    )
    print(head)
    print("-" * len(head))
    keys = sorted({(n, m, p) for n, m, p, *_ in rows})
    for n, m, p in keys:
        mine = [r for r in rows if r[:3] == (n, m, p)]
        same = all(abs(r[3]["objective"] - r[4]["objective"]) < 0.5 for r in mine)
        wall = np.array([r[5] for r in mine])
        cpu = np.array([r[6] for r in mine])
        verdict = "yes" if same and np.nanmin(wall) >= 20 and np.nanmin(cpu) >= 20 else "NO"
        if np.isnan(wall).all():
            verdict = "spopt did not finish"
        print(
            f"{n:>7,}x{m:<6,} {p:>3} | {len(mine):>4} {'yes' if same else 'NO':>8} | "
            f"{np.nanmedian(wall):>8.0f}x /{np.nanmin(wall):>6.0f}x | "
            f"{np.nanmedian(cpu):>7.0f}x /{np.nanmin(cpu):>6.0f}x | {verdict}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the two smaller sizes")
    ap.add_argument("--spopt-timeout", type=float, default=600.0)
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--no-big", action="store_true")
    ap.add_argument("--big-runs", type=int, default=5, help="runs of 200,000 x 5,000 per p")
    ap.add_argument(
        "--sizes",
        default=None,
        help="shared sizes to run, comma-separated NxM (default 1000x200,5000x1000,20000x2000; "
        "'none' for only the big instance)",
    )
    ap.add_argument("--p", default="10,50", help="budgets, comma-separated (default 10,50)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per shared instance and p")
    ap.add_argument(
        "--ours-limit",
        type=float,
        default=600.0,
        help="safety net (s) of our exact solve on the shared sizes (20,000 x 2,000 can take "
        "minutes; a status 'feasible' row says it was hit); 200,000 x 5,000 runs the defaults",
    )
    args = ap.parse_args(argv)
    sizes = [(1_000, 200), (5_000, 1_000), (20_000, 2_000)]
    if args.quick:
        sizes = sizes[:2]
    if args.sizes is not None:
        sizes = (
            []
            if args.sizes.strip().lower() == "none"
            else [
                tuple(int(v) for v in part.lower().split("x"))
                for part in args.sizes.split(",")
                if part.strip()
            ]
        )
    ps = tuple(int(v) for v in args.p.split(",") if v.strip())
    # import the solver back end now, as spopt's worker imports pulp/spopt before its clock
    # starts; first calls into highspy load its library
    maximize_coverage(np.eye(3), np.ones(3), 1, method="exact")
    header = (
        f"{'n x m':>14} {'p':>3} | {'ours obj':>10} {'bound':>10} {'status':>8} "
        f"{'method':>13} {'ours s':>7} | {'spopt obj':>10} {'status':>13} {'spopt s':>8} | "
        f"{'ratio':>6} | {'cpu s ours/spopt':>17} {'ratio':>6}"
    )
    print(f"load average at the start: {_load()}")
    print(header)
    print("-" * len(header))
    rows = []
    for n, m in sizes:
        d, c, w = instance(n, m, seed=n + m)
        for p in ps:
            for run in range(1, args.repeat + 1):
                ours = run_ours(d, c, w, p, method="exact", time_limit_s=args.ours_limit)
                if args.no_spopt:
                    sp_res = {
                        "objective": float("nan"),
                        "status": "skipped",
                        "total_s": float("nan"),
                    }
                else:
                    sp_res = run_spopt(d, c, w, p, args.spopt_timeout)
                sp_cpu = sp_res.get("cpu_s", float("nan"))
                ratio = sp_res["total_s"] / ours["total_s"]
                cpu_ratio = sp_cpu / ours["cpu_s"]
                rows.append((n, m, p, ours, sp_res, ratio, cpu_ratio))
                print(
                    f"{n:>7,}x{m:<6,} {p:>3} | {ours['objective']:>10.0f} "
                    f"{ours['upper_bound']:>10.1f} {ours['status']:>8} {ours['method']:>13} "
                    f"{ours['total_s']:>7.2f} | {sp_res['objective']:>10.0f} "
                    f"{sp_res['status']:>13} {sp_res['total_s']:>8.2f} | {ratio:>5.0f}x | "
                    f"{ours['cpu_s']:>7.2f} /{sp_cpu:>8.2f} {cpu_ratio:>5.0f}x",
                    flush=True,
                )
    if rows:
        _summary(rows)
    print(f"load average at the end: {_load()}", flush=True)
    if not args.no_big:
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        proc = ctx.Process(target=_big_worker, args=(q, ps, args.big_runs))
        proc.start()
        res = q.get()
        proc.join()
        print(f"200,000x5,000 peak memory (max RSS of the worker): {res['maxrss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
