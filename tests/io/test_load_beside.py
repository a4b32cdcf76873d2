"""Issue 14: beside a big alert file, venues and streets load in a worker process.

The worker (``_venues.start_side_layers``) must give the study the serial load gives, and a venue
or street file's error must reach the user as the loader's own one-line message.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import _parallel, _venues, io
from geo_outreach._errors import InputDataError
from geo_outreach.scenario import load_scenario
from tests.test_plan_parallel import _ran_alone

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xinhui_demo.toml"


def _load(
    sc: object, monkeypatch: pytest.MonkeyPatch, *, beside: bool
) -> tuple[io.StudyData, list[str]]:
    started: list[str] = []
    start = _parallel.start

    def spy(name: str, fn: object, **kw: object) -> _parallel.Job:
        started.append(name)
        return start(name, fn, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_parallel, "start", spy)
    monkeypatch.setattr(_venues, "BESIDE_BYTES", 0 if beside else 10**15)
    return io.load_study(sc), started  # type: ignore[arg-type]


def _sample_with(**paths: Path) -> object:
    """The sample scenario with ``layer=path`` for each layer given."""
    sc = load_scenario(SAMPLE)
    layers = {k: dataclasses.replace(getattr(sc, k), path=p) for k, p in paths.items()}
    return dataclasses.replace(sc, **layers)


def _edges(g: object) -> list[tuple[object, ...]]:
    return sorted((u, v, k, str(d)) for u, v, k, d in g.edges(keys=True, data=True))  # type: ignore[attr-defined]


def test_venues_and_streets_loaded_beside_the_alerts_are_the_serial_ones(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if _ran_alone(request):
        return
    sc = load_scenario(SAMPLE)
    beside, started = _load(sc, monkeypatch, beside=True)
    serial, none = _load(sc, monkeypatch, beside=False)
    assert started == ["venues and streets"] and none == []  # the worker ran, once
    pd.testing.assert_frame_equal(beside.venues, serial.venues)
    pd.testing.assert_frame_equal(beside.alerts, serial.alerts)
    pd.testing.assert_frame_equal(beside.rejects, serial.rejects)
    assert (beside.inputs, beside.notes, beside.warnings) == (
        serial.inputs, serial.notes, serial.warnings
    )  # fmt: skip
    assert [r["layer"] for r in beside.inputs] == ["precincts", "alerts", "venues", "streets"]
    assert beside.streets is not None and serial.streets is not None
    assert sorted(beside.streets.nodes(data=True)) == sorted(serial.streets.nodes(data=True))
    assert _edges(beside.streets) == _edges(serial.streets) and len(_edges(serial.streets)) > 100
    assert beside.streets.graph["crs"] == serial.streets.graph["crs"] == serial.crs


def test_a_broken_street_file_read_in_the_worker_says_what_the_serial_load_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if _ran_alone(request):
        return
    (tmp_path / "broken.osm").write_text("<osm><node id='1'", encoding="utf-8")
    sc = _sample_with(streets=tmp_path / "broken.osm")
    messages = []
    for beside in (True, False):
        with pytest.raises(
            InputDataError, match=r"broken\.osm: cannot read a street network"
        ) as err:
            _load(sc, monkeypatch, beside=beside)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "worker" not in messages[0]


def test_an_alert_file_error_stops_the_venue_and_street_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    import multiprocessing

    if _ran_alone(request):
        return
    (tmp_path / "alerts.csv").write_text("编号,备注\nA1,无坐标\n", encoding="utf-8")
    sc = _sample_with(alerts=tmp_path / "alerts.csv")
    cancelled: list[str] = []
    cancel = _parallel.cancel
    monkeypatch.setattr(_parallel, "cancel", lambda job: (cancelled.append(job.name), cancel(job)))
    with pytest.raises(InputDataError, match=r"alerts\.csv"):
        _load(sc, monkeypatch, beside=True)
    assert cancelled == ["venues and streets"]
    assert multiprocessing.active_children() == []  # the worker was stopped, not left running
