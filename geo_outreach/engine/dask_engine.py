"""The Dask engine (issue 14): alert partitions cleaned in parallel on ``dask.distributed``.

The rows are cut into partitions of ``[engine] partition_rows`` rows, each keeping its original
row numbers in ``_row``; every partition goes through
:func:`geo_outreach._alerts.clean_alert_rows` -- the SAME function the pandas engine runs on
the whole table, so there is one implementation of the reject rules -- on a worker, and the
results come back in partition order for the global pass
(:func:`geo_outreach._alerts.finish_alerts`: duplicate ids, reject order, facts). The layer's
context (precincts, study area, the day/month order decided once for the whole time column) is
sent to every worker once.

The cluster is either ``workers`` local processes (a ``LocalCluster``, one thread each, started
for the load and closed after it) or an existing scheduler (``scheduler = "tcp://host:8786"``),
whose workers must have the same ``geo_outreach`` version installed. Only public
``dask.distributed`` API is used (``Client``, ``LocalCluster``, ``scatter``, ``submit``,
``as_completed``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_outreach._alerts import CleanContext, clean_alert_rows
from geo_outreach._errors import InputDataError
from geo_outreach.scenario import EngineConfig

__all__ = ["cluster_client", "clean_partitions", "slices"]

Progress = Callable[[str], None]
#: How long to wait for an existing scheduler before giving up.
CONNECT_TIMEOUT = "20s"
Part = tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputDataError(
            '[engine] kind = "dask" needs Dask: pip install \'geo_outreach[dask]\''
        ) from None
    return distributed


@contextmanager
def cluster_client(cfg: EngineConfig) -> Iterator[Any]:
    """Yield a ``distributed.Client`` for the engine settings; close it and its cluster after.

    Raises
    ------
    InputDataError
        When Dask is not installed or the scheduler cannot be reached.
    """
    distributed = _distributed()
    if cfg.scheduler:
        try:
            client = distributed.Client(
                cfg.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False
            )
        except (OSError, TimeoutError) as exc:
            raise InputDataError(
                f"[engine] scheduler = {cfg.scheduler!r}: cannot connect ({exc}); start it "
                "(`dask scheduler`) or remove the key to use local workers"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(
        n_workers=cfg.workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # no fixed port 8787 (the HTTP server always starts)
        silence_logs=logging.ERROR,  # not the "worker still alive, killing" notes on close
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def slices(df: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    """Cut a raw frame into partitions of at most ``rows`` rows (``_row`` travels along)."""
    return [df.iloc[i : i + rows] for i in range(0, max(len(df), 1), rows)]


def clean_partitions(
    client: Any,
    parts: Iterable[pd.DataFrame],
    cols: dict[str, str | None],
    ctx: CleanContext,
    *,
    total: int,
    progress: Progress | None = None,
) -> tuple[list[Part], dict[str, Any]]:
    """Run :func:`clean_alert_rows` on every partition on the cluster; results in input order.

    Parameters
    ----------
    client
        A ``distributed.Client`` (:func:`cluster_client`).
    parts
        The raw partitions (may be a generator: each is sent as soon as it is read).
    total
        How many partitions there are (for the progress messages).
    progress
        Called with ``alerts: partition i/total cleaned`` as partitions finish.

    Returns
    -------
    tuple of (list, dict)
        The per-partition results and engine facts (``partitions``, ``workers``, seconds).
    """
    distributed = _distributed()
    t0 = time.perf_counter()
    ctx_f = client.scatter(ctx, broadcast=True, hash=False)
    futures = []
    for part in parts:
        data = client.scatter(part, hash=False)
        futures.append(client.submit(clean_alert_rows, data, cols, ctx_f, pure=False))
    done = 0
    with client.as_current():
        for _ in distributed.as_completed(futures):
            done += 1
            if progress is not None:
                progress(f"alerts: partition {done}/{total} cleaned")
    results: list[Part] = client.gather(futures)
    workers = len(client.scheduler_info().get("workers", {}))
    facts = {
        "kind": "dask",
        "partitions": len(futures),
        "workers": workers,
        "clean_s": round(time.perf_counter() - t0, 3),
    }
    return results, facts
