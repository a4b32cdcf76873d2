"""Issue 15: the solve is budgeted by work, so the answer does not depend on machine speed."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np
import pytest
import scipy.sparse as sp

from geo_outreach._errors import InputDataError
from geo_outreach.coverage import maximize_coverage


def _clustered(seed: int, n: int = 1500, m: int = 150):
    """Clustered points and candidates, covered within 0.08 (overlapping discs)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1, (8, 2))
    d = centres[rng.integers(0, 8, n)] + rng.normal(0, 0.06, (n, 2))
    c = np.vstack([centres[rng.integers(0, 8, m // 2)] + rng.normal(0, 0.08, (m // 2, 2)),
                   rng.uniform(0, 1, (m - m // 2, 2))])  # fmt: skip
    dist = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
    a = sp.csr_matrix((dist <= 0.08).astype(np.uint8))
    return a, rng.integers(1, 4, n).astype(float)


def _spin(stop) -> None:  # a busy loop on one core until told to stop
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def _solve(a, w, k, seed=0):
    # "greedy": no MILP, so the answer is that of the local search and the bound (the
    # work-budgeted phases); a generous time limit: a safety net only
    sol = maximize_coverage(a, w, k, method="greedy", time_limit_s=300, seed=seed)
    assert not any("safety net" in n for n in sol.notes)
    return sol.chosen, sol.covered_weight, sol.upper_bound


@pytest.mark.parametrize("k", [5, 12])
def test_same_answer_when_the_cpu_is_throttled(k):
    a, w = _clustered(3)
    normal = _solve(a, w, k)
    ctx = mp.get_context("fork")
    stop = ctx.Event()
    spinners = [ctx.Process(target=_spin, args=(stop,)) for _ in range(os.cpu_count() or 2)]
    for s in spinners:
        s.start()
    try:
        throttled = _solve(a, w, k)
    finally:
        stop.set()
        for s in spinners:
            s.join(10)
    assert throttled == normal


def test_same_seed_same_answer_and_bound_holds(brute):
    a, w = _clustered(5, n=300, m=22)
    first = _solve(a, w, 4, seed=11)
    assert _solve(a, w, 4, seed=11) == first
    opt = brute(a, w, 4)
    assert first[1] <= opt + 1e-9 <= first[2] + 1e-6  # answer <= optimum <= bound


def _slow_clock(step_s: float):
    """A ``time.perf_counter`` that jumps ``step_s`` seconds per call (a very slow machine)."""
    now = [0.0]

    def clock() -> float:
        now[0] += step_s
        return now[0]

    return clock


@pytest.mark.parametrize("method", ["auto", "greedy"])
def test_default_settings_ignore_a_slow_clock(method, monkeypatch):
    # defaults (no time limit): every phase is budgeted by work, so a machine on which each
    # clock reading is 1,000 s later gives the same set, value and bound
    a, w = _clustered(3)
    normal = maximize_coverage(a, w, 12, method=method)
    monkeypatch.setattr(time, "perf_counter", _slow_clock(1000.0))
    slowed = maximize_coverage(a, w, 12, method=method)
    monkeypatch.undo()
    assert (slowed.chosen, slowed.covered_weight, slowed.upper_bound) == (
        normal.chosen,
        normal.covered_weight,
        normal.upper_bound,
    )
    assert not any("safety net" in n for n in slowed.notes + normal.notes)
    # the same slow clock with an explicit limit: the safety net stops a phase, and says so
    monkeypatch.setattr(time, "perf_counter", _slow_clock(1000.0))
    limited = maximize_coverage(a, w, 12, method=method, time_limit_s=20.0)
    monkeypatch.undo()
    assert any("safety net" in n for n in limited.notes)


def test_time_limit_must_be_positive_or_none():
    a, w = _clustered(3, n=200, m=20)
    with pytest.raises(InputDataError, match="time_limit_s must be > 0 seconds or None"):
        maximize_coverage(a, w, 3, time_limit_s=0)
