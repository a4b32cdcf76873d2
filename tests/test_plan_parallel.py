"""Issue 14: plan stages in forked worker processes (``geo_outreach._parallel``).

A plan run with workers must write the same files as the serial run; a worker's error must
surface in the parent as an error naming the stage; a worker that dies is an error too.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_outreach import _parallel
from geo_outreach._errors import GeoOutreachError, InputDataError
from geo_outreach.scenario import load_scenario, with_overrides
from geo_outreach.playbook.grid import generated_grid
from tests.conftest import layout_rows, square_precincts, venues_csv, xy_to_lonlat
from tests.playbook.test_stage import PLAYBOOK

plan_module = importlib.import_module("geo_outreach.plan")  # geo_outreach.plan is the api function


def _ran_alone(request: pytest.FixtureRequest) -> bool:
    """Run this test in a fresh pytest process when other threads live in this one.

    ``plan`` forks only when no other Python thread runs (``_parallel.can_fork``); a test
    process that already started, say, the Dask cluster of tests/engine has such threads and
    would (rightly) run every stage serially. Returns True when the test was run (and passed)
    in the fresh process, and the caller stops.
    """
    if threading.active_count() == 1:
        return False
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
        + [request.node.nodeid],
        cwd=request.config.rootpath,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "\n1 passed in " in done.stdout  # it ran, alone: not skipped, not deselected
    return True


# --------------------------------------------------------------------------- the worker itself


def test_a_worker_returns_its_value_and_its_own_clock() -> None:
    parent = os.getpid()
    job = _parallel.start("s", lambda: {"pid": os.getpid(), "spent": sum(range(200_000))})
    done = _parallel.finish(job)
    assert done.value["pid"] != parent and done.value["spent"] == sum(range(200_000))
    assert done.start <= done.end <= time.perf_counter() and done.cpu_s > 0
    assert not job.process.is_alive() and job.process.exitcode == 0


def test_a_failing_worker_names_its_stage() -> None:
    def fail() -> None:
        raise InputDataError("alerts.csv: no column 经度")

    job = _parallel.start("base layers", fail)
    with pytest.raises(_parallel.StageError) as err:
        _parallel.finish(job)
    assert isinstance(err.value, GeoOutreachError)  # the CLI prints it as one line, exit 2
    assert "'base layers'" in str(err.value) and "InputDataError: alerts.csv: no column 经度" in (
        str(err.value)
    )
    assert isinstance(err.value.__cause__, InputDataError)  # the original, for callers and logs


def test_a_worker_that_dies_is_an_error() -> None:
    job = _parallel.start("effect", lambda: os._exit(3))
    with pytest.raises(_parallel.StageError, match=r"'effect'.*without a result.*exit code 3"):
        _parallel.finish(job)


def test_cancel_stops_a_running_worker() -> None:
    job = _parallel.start("exports", lambda: time.sleep(60))
    t0 = time.perf_counter()
    _parallel.cancel(job)
    assert not job.process.is_alive() and time.perf_counter() - t0 < 10


# --------------------------------------------------------------------------- in a plan


def _scenario(scenario_factory, tmp_path: Path) -> Path:
    """Placements with stock, firm visits, elderly grid visits and a campaign calendar."""
    venues_csv(tmp_path / "venues.csv")
    rng = np.random.default_rng(14)
    lon, lat = xy_to_lonlat(rng.uniform(100, 5900, 9), rng.uniform(100, 1900, 9))
    pd.DataFrame({"firm_id": [f"F{i}" for i in range(9)], "name": [f"企业{i}" for i in range(9)],
                  "employees": rng.integers(10, 300, 9), "lon": lon, "lat": lat}).to_csv(
        tmp_path / "firms.csv", index=False)  # fmt: skip
    cells = generated_grid(square_precincts(), 1000.0, "C")
    eld = rng.integers(0, 40, len(cells))
    pd.DataFrame({"cell_id": cells["cell_id"], "elderly": eld, "living_alone": eld // 3}).to_csv(
        tmp_path / "residents.csv", index=False
    )
    path: Path = scenario_factory(
        layout_rows(), venues='[[venues]]\npath = "venues.csv"\n', extra=PLAYBOOK + BANNERS
    )
    return path


#: A second placed channel, after ``plazas`` in the scenario but before it in manifest.json's
#: sorted keys (the static map's channel colours follow the manifest)
BANNERS = """
[channels.banners]
label = "横幅"
venue_kinds = ["plaza"]
budget = 1
radius_m = 200
"""


def _data_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.suffix in (".csv", ".geojson", ".ics", ".tif")
    }


def test_workers_write_the_same_files_as_the_serial_run(
    scenario_factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if _ran_alone(request):
        return
    monkeypatch.setenv("GEO_OUTREACH_CHROMIUM", "")  # no browser: the matplotlib PDF page
    sc = load_scenario(_scenario(scenario_factory, tmp_path))
    runs = {}
    for name, threshold in (("serial", 10**12), ("workers", 0)):
        monkeypatch.setattr(plan_module, "PARALLEL_ALERTS", threshold)
        runs[name] = plan_module.build_plan(with_overrides(sc, dir=tmp_path / name))
    serial, workers = runs["serial"], runs["workers"]
    assert serial.manifest is not None and workers.manifest is not None
    assert "timings_overlap" not in serial.manifest
    overlap = workers.manifest["timings_overlap"]  # the worker stages ran, beside what
    workers_run = {"base layers", "emerging hot spots", "exports", "map", "visits"}
    assert set(overlap) == workers_run | {"briefing maps"}  # the static maps: beside the playbook
    # what each worker ran beside depends on the clock (a nice +5 worker on a busy machine may
    # start late), so only that it names stages of this run
    for beside in overlap.values():
        assert set(beside) <= set(workers.manifest["timings_s"])
    assert set(workers.manifest["timings_s"]) == set(serial.manifest["timings_s"]) | {
        "map",
        "visits",
        "briefing maps",
    }
    files = _data_files(tmp_path / "serial")
    assert len(files) > 10 and _data_files(tmp_path / "workers") == files
    assert {"visits.csv", "visit_schedule.csv", "calendar.ics", "materials.csv"} <= set(files)
    for key in ("outputs_sha256", "plan_hash"):
        assert workers.manifest[key] == serial.manifest[key]
    assert list(workers.files) == list(serial.files)  # the same files, in the same order
    on_disk = json.loads((tmp_path / "workers" / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["timings_overlap"] == overlap
    for name in ("outputs.gpkg", "placements.xlsx", "briefing.html", "map.html"):
        assert (tmp_path / "workers" / name).stat().st_size > 0
    # the static map drawn early, in a worker, is the one drawn in the render (its footer's
    # time of day aside)
    assert _png_without_footer(tmp_path / "workers") == _png_without_footer(tmp_path / "serial")


def _png_without_footer(folder: Path) -> bytes:
    """``briefing.png``'s pixels, the bottom strip (the footer's time of day) blanked."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(folder / "briefing.png").convert("RGB")).copy()
    pixels[-int(0.03 * pixels.shape[0]) :] = 0
    return pixels.tobytes()


def test_a_stage_failing_in_its_worker_stops_the_plan_with_its_name(
    scenario_factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if _ran_alone(request):
        return

    def broken(*args: object, **kw: object) -> dict[str, Path]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plan_module, "PARALLEL_ALERTS", 0)
    monkeypatch.setattr(plan_module, "write_base_layers", broken)  # the fork inherits it
    sc = with_overrides(load_scenario(_scenario(scenario_factory, tmp_path)), dir=tmp_path / "o")
    with pytest.raises(GeoOutreachError, match=r"stage 'base layers' failed.*No space left"):
        plan_module.build_plan(sc, render=False)
    assert not (tmp_path / "o").exists()  # the staging folder went away, nothing half-written
    assert not [p for p in tmp_path.iterdir() if ".staging" in p.name]
