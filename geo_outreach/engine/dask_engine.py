"""The Dask engine (issue 14): alert partitions read and cleaned on ``dask.distributed``.

The workers READ their own slice of the file (:mod:`.slices`: CSV byte ranges, Parquet row
ranges; original file row numbers in ``_row``) -- the client reads only the file's head and
receives the read facts, the ragged rows and the few time cells that vote on the day/month
order (:func:`read_on_workers`). Files that cannot be sliced (quoted CSV, UTF-16,
spreadsheets, GeoJSON) and PostGIS rows are read on the client and cut into partitions of
``[engine] partition_rows`` rows as before. Every partition then goes through
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
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_outreach._alerts import CleanContext, clean_alert_rows
from geo_outreach._errors import InputDataError
from geo_outreach._parse import Rejects, alert_columns
from geo_outreach._tables import reject_ragged
from geo_outreach.engine.slices import Plan, read_slice, scan_range, time_votes
from geo_outreach.scenario import AlertLayer, EngineConfig

__all__ = ["cluster_client", "clean_partitions", "read_on_workers", "scan_ranges", "slices"]

Progress = Callable[[str], None]
#: How long to wait for an existing scheduler before giving up.
CONNECT_TIMEOUT = "20s"
Part = tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputDataError(
            "[engine] kind = \"dask\" needs Dask: pip install 'geo_outreach[dask]'"
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


def scan_ranges(client: Any, ranges: list[tuple[str, int, int]]) -> list[tuple[int, int, bool]]:
    """Run :func:`~geo_outreach.engine.slices.scan_range` on the workers, in range order."""
    return list(client.gather([client.submit(scan_range, *r, pure=False) for r in ranges]))


def _meta(read: tuple[pd.DataFrame, list[Any], str]) -> tuple[pd.DataFrame, int, list[Any], str]:
    """Return what the client needs of a read slice: columns, row count, ragged rows, encoding."""
    df, ragged, enc = read
    return df.iloc[:0], len(df), ragged, enc


def _clean_read(
    read: tuple[pd.DataFrame, list[Any], str], cols: dict[str, str | None], ctx: CleanContext
) -> Part:
    """Run :func:`clean_alert_rows` on a slice read on this worker."""
    return clean_alert_rows(read[0], cols, ctx)


def read_on_workers(
    client: Any, plan: Plan, cfg: AlertLayer
) -> tuple[list[Any], dict[str, str | None], pd.DataFrame, dict[str, Any], pd.Series]:
    """Read every slice on the workers; the client receives only small facts.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    plan
        The slices (:func:`geo_outreach.engine.slices.plan_slices`).
    cfg
        The alert layer.

    Returns
    -------
    tuple
        The futures of the read slices (they stay on the workers), the column mapping, the
        read rejects (ragged rows, original file rows), the read facts as the file loader
        gives them, and the time cells that vote on the day/month order.

    Raises
    ------
    InputDataError
        When the file has a header but no rows, or misses a required column.
    """
    path = Path(cfg.path or "")
    sl = list(plan.slices)
    raws = [client.submit(read_slice, s, pure=False) for s in sl]
    metas = client.gather([client.submit(_meta, r, pure=False) for r in raws])
    encoding = plan.facts["encoding"]
    if any(m[3] == "gb18030" for m in metas) and encoding != "gb18030":
        encoding = "gb18030"  # under auto, one non-UTF-8 slice makes the whole file GB18030
        for i, m in enumerate(metas):
            if m[3] != "gb18030":
                sl[i] = replace(sl[i], encoding="gb18030", auto=False)
                raws[i] = client.submit(read_slice, sl[i], pure=False)
                metas[i] = client.submit(_meta, raws[i], pure=False).result()
    if sum(m[1] for m in metas) == 0:
        raise InputDataError(f"{path}: the alert table has a header but no rows")
    cols = alert_columns(metas[0][0], path, plan.mapping)
    facts: dict[str, Any] = {"layer": "alerts", "path": str(path), "datum": cfg.datum}
    facts.update(plan.facts, encoding=encoding, ragged=[r for m in metas for r in m[2]])
    rej = Rejects("alerts", str(path))
    reject_ragged(facts, rej.add)
    votes = client.gather([client.submit(time_votes, r, cols["time"], pure=False) for r in raws])
    voted = [v for v in votes if len(v)]
    return raws, cols, rej.frame(), facts, (pd.concat(voted) if voted else votes[0])


def clean_partitions(
    client: Any,
    parts: Iterable[Any],
    cols: dict[str, str | None],
    ctx: CleanContext,
    *,
    total: int,
    progress: Progress | None = None,
    gather: bool = True,
) -> tuple[list[Any], dict[str, Any]]:
    """Run :func:`clean_alert_rows` on every partition on the cluster; results in input order.

    Parameters
    ----------
    client
        A ``distributed.Client`` (:func:`cluster_client`).
    parts
        Raw partitions read on the client (may be a generator: each is sent as soon as it is
        read), or futures of slices read on the workers (:func:`read_on_workers`).
    total
        How many partitions there are (for the progress messages).
    progress
        Called with ``alerts: partition i/total cleaned`` as partitions finish.
    gather
        Bring the cleaned partitions to the client; False: return their futures (they stay
        on the workers, e.g. for :func:`geo_outreach.engine.aggregates.aggregate_partitions`).

    Returns
    -------
    tuple of (list, dict)
        The per-partition results (or futures) and engine facts (``partitions``,
        ``workers``, seconds).
    """
    distributed = _distributed()
    t0 = time.perf_counter()
    ctx_f = client.scatter(ctx, broadcast=True, hash=False)
    futures = []
    for part in parts:
        if isinstance(part, pd.DataFrame):
            data = client.scatter(part, hash=False)
            futures.append(client.submit(clean_alert_rows, data, cols, ctx_f, pure=False))
        else:  # a slice read on a worker: cleaned where it lies
            futures.append(client.submit(_clean_read, part, cols, ctx_f, pure=False))
    done = 0
    with client.as_current():
        for _ in distributed.as_completed(futures):
            done += 1
            if progress is not None:
                progress(f"alerts: partition {done}/{total} cleaned")
    results: list[Any] = client.gather(futures) if gather else futures
    workers = len(client.scheduler_info().get("workers", {}))
    facts = {
        "kind": "dask",
        "partitions": len(futures),
        "workers": workers,
        "clean_s": round(time.perf_counter() - t0, 3),
    }
    return results, facts
