"""Run a plan stage in a forked worker process beside the main process (issue 14: 2 cores).

``plan`` on 1M alerts is mostly single-threaded Python (pandas object columns, GeoJSON
features, matplotlib), so threads would not overlap it: the GIL is held. A **forked** child
process is used instead:

- it inherits the loaded study (1M alerts, the street graph) for free, copy-on-write, where a
  ``spawn``/``forkserver`` child would need it pickled over (seconds, and twice the memory);
- the stages given to a worker only write files and return small values (file names, the effect
  estimate, the briefing's map images: ~1 MB of PNG), which come back pickled through a pipe;
- the worker never forks again and never starts a pool; it leaves by ``os._exit`` (the
  :mod:`multiprocessing` child bootstrap), so the parent's ``finally`` blocks (the staging
  folder, the folder lock) never run in it.

Forking a process that has live threads can deadlock the child when another thread held a lock
at the instant of the fork. When ``plan`` forks, no Python thread is running (checked:
:func:`can_fork` refuses otherwise and the stage runs serially); the native pools that may be
alive are pyarrow's (Arrow registers ``arrow::internal::RegisterAtFork`` handlers and
re-creates its pools in the child; its jemalloc is fork-aware too) and OpenBLAS's
(``pthread_atfork`` handlers); glibc's malloc is fork-safe. joblib's and the loader's pools are
not alive at the fork points (their ``with`` blocks have shut them down). A worker is never
forked from a worker.

Errors in a worker surface in the parent as :class:`StageError` naming the stage (the worker's
exception as the message, its traceback logged at DEBUG level, ``--verbose``); a worker that
dies (killed, out of memory) is an error too. Results do not depend on whether a stage ran in a
worker: the same functions write the same files, and the caller merges the file lists in the
serial order.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from geo_outreach._errors import GeoOutreachError

log = logging.getLogger(__name__)

__all__ = ["Job", "StageError", "StageTimer", "can_fork", "cancel", "finish", "start"]


class StageError(GeoOutreachError, RuntimeError):
    """A stage run in a worker process failed (the message names the stage and the error)."""


@dataclass
class Job:
    """A stage running in a forked worker process (see :func:`start`)."""

    name: str
    process: BaseProcess
    conn: Connection


@dataclass(frozen=True)
class Done:
    """What a worker returned: the stage's value and its own clock.

    Attributes
    ----------
    value
        The stage function's return value.
    start, end
        ``time.perf_counter()`` at the stage's start and end (the monotonic clock is shared
        by the processes of one machine, so these line up with the parent's).
    cpu_s
        The worker's CPU seconds for the stage (``time.process_time``).
    """

    value: Any
    start: float
    end: float
    cpu_s: float


def can_fork() -> bool:
    """Return True when a stage may run in a forked worker.

    Needs the ``fork`` start method (Linux, macOS), at least 2 CPUs for this process, and no
    other Python thread running (see the module docstring).
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) >= 2 and threading.active_count() == 1


#: Workers run this much nicer than the parent: the parent's stages are the longest chain
#: (load -> analytics -> channels -> playbook -> briefing), so with more runnable processes
#: than cores (workers, Chromium) the parent keeps a whole core and the workers share the rest.
#: A worker the parent will soon wait for runs at ``nice=0`` (the briefing's static maps).
NICE = 5


def _run(conn: Connection, fn: Callable[[], Any], nice: int = NICE) -> None:
    """Run ``fn`` in the worker; send a :class:`Done` or the error back, and close."""
    try:
        os.nice(nice)
    except OSError:  # pragma: no cover - not allowed here: run at the parent's priority
        pass
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        value = fn()
        msg: tuple[str, Any] = (
            "ok", Done(value, t0, time.perf_counter(), time.process_time() - c0)
        )  # fmt: skip
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        try:
            original: bytes | None = pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled: text only
            original = None
        msg = ("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc(), original))
    try:
        conn.send(msg)
    finally:
        conn.close()


def start(name: str, fn: Callable[[], Any], *, nice: int = NICE) -> Job:
    """Start ``fn()`` in a forked worker process; collect it with :func:`finish`.

    Parameters
    ----------
    name
        The stage name (used in errors).
    fn
        What the worker runs; it must return a picklable value.
    nice
        How much nicer than the parent the worker runs (default :data:`NICE`; 0 for a stage
        the parent will soon wait for, such as the briefing's static maps).

    Returns
    -------
    Job
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_run, args=(child, fn, nice), name=f"geo_outreach {name}", daemon=True
    )
    proc.start()
    child.close()  # the parent keeps only its reading end: EOF when the worker dies
    return Job(name, proc, parent)


def finish(job: Job) -> Done:
    """Wait for ``job``'s worker and return what it returned.

    Raises
    ------
    StageError
        When the stage raised in the worker (the message names the stage and the error; the
        original exception, when it could be pickled, is the ``__cause__``) or the worker died.
    """
    try:
        kind, payload = job.conn.recv()
    except (EOFError, OSError):
        job.process.join()
        raise StageError(
            f"stage '{job.name}': its worker process ended without a result "
            f"(exit code {job.process.exitcode}; killed, or out of memory?)"
        ) from None
    finally:
        job.conn.close()
    job.process.join()
    if kind == "ok":
        done: Done = payload
        return done
    text, tb, original = payload
    log.debug("stage '%s' failed in its worker process:\n%s", job.name, tb)
    try:
        cause = pickle.loads(original) if original is not None else None
    except Exception:  # noqa: BLE001 - an exception class that cannot be rebuilt: text only
        cause = None
    raise StageError(f"stage '{job.name}' failed (in its worker process): {text}") from cause


def cancel(job: Job) -> None:
    """Stop ``job``'s worker (the parent failed; its files go with the staging folder)."""
    if job.process.is_alive():
        job.process.terminate()
    job.process.join()
    job.conn.close()


# --------------------------------------------------------------------------- the stage timer


Progress = Callable[[str], None]


@dataclass
class StageTimer:
    """Times named stages and reports progress (``progress=None``: quiet); used by ``plan``.

    Stages run here (``with timer(name):``) or in a worker process (:meth:`start`, then
    :meth:`finish`); :meth:`overlaps` says which stages ran at the same time (issue 14).
    """

    progress: Progress | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # issue 14: shared machines
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # perf_counter start, end
    workers: set[str] = field(default_factory=set)  # issue 14: stages run in a worker process

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(f"{name} ...")
        t0, c0 = time.perf_counter(), time.process_time()
        yield
        self.record(name, t0, time.perf_counter(), time.process_time() - c0)

    def record(self, name: str, start: float, end: float, cpu_s: float) -> None:
        """Record a stage's wall span and CPU seconds (and report it done)."""
        self.spans[name] = (start, end)
        self.seconds[name] = round(end - start, 3)
        self.cpu_seconds[name] = round(cpu_s, 3)
        if self.progress:
            self.progress(f"{name}: done in {self.seconds[name]:.1f} s")

    def start(
        self, name: str, fn: Callable[[], Any], jobs: dict[str, Job], *, nice: int = NICE
    ) -> None:
        """Start stage ``name`` in a worker process (:func:`start`)."""
        if self.progress:
            self.progress(f"{name} ... (in a worker process)")
        jobs[name] = start(name, fn, nice=nice)
        self.workers.add(name)

    def finish(self, name: str, jobs: dict[str, Job]) -> Any:
        """Wait for the worker of stage ``name``, record its timings, return its value."""
        done = finish(jobs.pop(name))
        self.record(name, done.start, done.end, done.cpu_s)
        return done.value

    def overlaps(self) -> dict[str, list[str]]:
        """Issue 14: worker stage -> the stages that ran at the same time (manifest)."""
        out = {}
        for name in sorted(self.workers & set(self.spans)):
            a0, a1 = self.spans[name]
            out[name] = [
                other
                for other, (b0, b1) in sorted(self.spans.items(), key=lambda kv: kv[1])
                if other != name and b0 < a1 and a0 < b1
            ]
        return out
