"""Alert slices cleaned in worker PROCESSES (issue 14: the second core for large loads).

Threads gave at most ~1.5x on two cores: making shapely points and the STRtree search hold
the GIL. Here each slice of raw rows goes to a worker process, which runs
:func:`geo_outreach._alerts.clean_alert_table` -- the same rules as every other path -- and
sends back plain numpy/arrow columns (``x``/``y`` instead of points: a pickled shapely point
costs ~20x its creation). The parent makes each slice's points as its result arrives, while
the workers clean the next slices, and keeps the results in slice order, so rejects keep
their original row numbers and order and :func:`geo_outreach._alerts.finish_alerts` sees
exactly what the serial path gives.

Start method: ``forkserver``. The parent has live threads by now (pyarrow's pools after a
Parquet or CSV read, OpenBLAS), and forking a process with threads can deadlock the child.
The fork server is a fresh single-threaded interpreter that imports the cleaning modules ONCE
(``set_forkserver_preload``) before any pool thread exists, and every worker is forked from
it, so a worker starts in milliseconds without importing pandas/geopandas again (``spawn``
would cost each worker ~1.5 CPU s of imports). The inputs are small and picklable: the
:class:`~geo_outreach._alerts.CleanContext` (sent once per worker) and the raw slices.
Where ``forkserver`` does not exist (Windows) the pool falls back to ``spawn``.

A spawned or fork-server child normally re-imports the parent's ``__main__`` script first (to
find functions defined there), which runs an unguarded user script (no ``if __name__ ==
"__main__":``) a second time. The workers only run functions of this module, so the pool
starts them with ``__main__`` hidden (:func:`_main_hidden`): a library caller's script is
never re-run.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo_outreach._alerts import CleanContext, Part, TablePart, clean_alert_table, with_points
from geo_outreach._parquet import parquet_frame, parquet_row_range

__all__ = ["ParquetRange", "clean_in_processes", "start_early"]

#: Modules the fork server imports once (every worker is forked with them loaded).
PRELOAD = ["geo_outreach._alerts"]

_CTX: dict[str, Any] = {}
#: pid -> (CPU s, peak RSS in MB) of each worker of the last pool, as of its last slice (for
#: ``bench/bench_scale.py``: a fork-server worker is not this process's child).
WORKER_STATS: dict[int, tuple[float, float]] = {}


@dataclass(frozen=True)
class ParquetRange:
    """Rows ``[start, stop)`` of a plain Parquet file, read by the worker itself.

    The parent sends only this (small) instead of the rows; the worker reads the columns
    ``columns`` as :func:`geo_outreach._parquet.parquet_batches` gives them (``_row`` = file
    row + 1). Ranges should hold whole row groups (:func:`geo_outreach._parquet.row_group_ranges`).
    """

    path: Path
    start: int
    stop: int
    columns: tuple[str, ...]

    def read(self) -> pd.DataFrame:
        """Return the rows as the loaders take them."""
        table = parquet_row_range(self.path, self.start, self.stop, list(self.columns))
        return parquet_frame(table.to_pandas(), self.start)


def _init(cols: dict[str, str | None], ctx: CleanContext) -> None:
    """Worker initializer: keep the column mapping and context (sent once per worker)."""
    _CTX["cols"], _CTX["ctx"] = cols, ctx


def _clean(rows: pd.DataFrame | ParquetRange) -> tuple[TablePart, int, float, float]:
    """Clean one slice (read here first if a :class:`ParquetRange`) with :func:`_init`'s context.

    Returns the result and this worker's pid, CPU seconds and peak RSS (MB) so far.
    """
    df = rows.read() if isinstance(rows, ParquetRange) else rows
    del rows
    part = clean_alert_table(df, _CTX["cols"], _CTX["ctx"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    return part, os.getpid(), time.process_time(), peak


def _take(future: Future[tuple[TablePart, int, float, float]], ctx: CleanContext) -> Part:
    """Return a worker's result with its points made (shapely objects do not pickle cheaply)."""
    part, pid, cpu, peak = future.result()
    WORKER_STATS[pid] = (cpu, peak)
    return with_points(part, ctx.crs)


def start_early() -> None:
    """Start the fork server now: it imports the cleaning modules while the caller reads.

    A no-op without ``forkserver`` or when it is running already.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        _mp_context()
        with _main_hidden():
            forkserver.ensure_running()


def _mp_context() -> Any:
    """Return the ``forkserver`` context (preloading the cleaning modules), else ``spawn``."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        mp = multiprocessing.get_context("forkserver")
        mp.set_forkserver_preload(PRELOAD)  # only read when the fork server starts
        return mp
    return multiprocessing.get_context("spawn")


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Start processes without the child re-importing ``__main__`` (restored on exit).

    ``multiprocessing`` tells a child to import the parent's main module when that module
    has a ``__spec__`` name or a ``__file__``; both are hidden while the workers start.
    """
    main = sys.modules.get("__main__")
    keys = ("__file__", "__spec__")
    saved: dict[str, Any] = {k: main.__dict__[k] for k in keys if main and k in main.__dict__}
    if main is not None:
        main.__dict__.pop("__file__", None)
        main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


def clean_in_processes(
    slices: Iterable[pd.DataFrame | ParquetRange],
    cols: dict[str, str | None],
    ctx: CleanContext,
    processes: int,
) -> list[Part]:
    """:func:`~geo_outreach._alerts.clean_alert_rows` on each slice, in worker processes.

    Parameters
    ----------
    slices
        Raw slices (``_row`` included), e.g. a generator of CSV row slices: a slice is taken
        only when a worker is about to be free, so at most ``processes + 1`` raw slices are
        in flight; or :class:`ParquetRange` items, which the workers read themselves.
    cols, ctx
        The column mapping and the layer's context.
    processes
        Worker processes.

    Returns
    -------
    list of Part
        The results in slice order, equal to ``[clean_alert_rows(s, cols, ctx) for s in
        slices]``.
    """
    done: list[Part] = []
    WORKER_STATS.clear()
    with ProcessPoolExecutor(
        max_workers=processes, mp_context=_mp_context(), initializer=_init, initargs=(cols, ctx)
    ) as pool:
        pending: deque[Future[tuple[TablePart, int, float, float]]] = deque()
        for k, s in enumerate(slices):
            if k < processes:  # each of the first submits starts a worker
                with _main_hidden():
                    pending.append(pool.submit(_clean, s))
            else:
                pending.append(pool.submit(_clean, s))
            del s
            if len(pending) > processes:  # one queued ahead: no worker waits for the parent
                done.append(_take(pending.popleft(), ctx))
        while pending:
            done.append(_take(pending.popleft(), ctx))
    return done
