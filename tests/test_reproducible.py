"""Reproducible and auditable runs: same inputs and seed -> byte-identical CSV/GeoJSON, maps
that differ only in folium's random element ids, a manifest that lets someone audit the run,
and atomic writes (a failed write never leaves a half-written file that looks complete)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import outputs
from geo_outreach._errors import GeoOutreachError
from geo_outreach.plan import build_plan
from geo_outreach.scenario import load_scenario, with_overrides
from tests.conftest import CHANNELS, layout_rows, venues_csv

STAGES = ("load", "base layers", "analytics")
DATA_SUFFIXES = (".csv", ".geojson")


def _scenario(scenario_factory, tmp_path: Path, *, channels: bool) -> Path:
    venues_csv(tmp_path / "venues.csv")
    return scenario_factory(
        layout_rows(),
        venues='[[venues]]\npath = "venues.csv"\n',
        extra=CHANNELS if channels else "",
    )


def _plan(path: Path, out: Path, *, render: bool = False):
    sc = with_overrides(load_scenario(path), dir=out)
    return build_plan(sc, render=render)  # a missing stage fails the test, it is not skipped


def _data_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in DATA_SUFFIXES}


def _leftover_temp(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def _strip_volatile(manifest: dict) -> dict:
    m = json.loads(json.dumps(manifest, default=str))
    m.pop("timings_s", None)
    m.pop("run", None)  # when, by which command and commit: volatile by design
    m["output"].pop("dir", None)
    m["scenario"]["output"].pop("dir", None)
    for ch in m.get("channels", {}).values():
        ch.pop("seconds", None)
    return m


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("channels", [False, True], ids=["analytics", "with-channels"])
def test_same_inputs_and_seed_give_byte_identical_tables(
    scenario_factory, tmp_path: Path, channels: bool
):
    path = _scenario(scenario_factory, tmp_path, channels=channels)
    a = _plan(path, tmp_path / "run1")
    b = _plan(path, tmp_path / "run2")
    files_a, files_b = _data_files(a.out_dir), _data_files(b.out_dir)
    assert {"alerts.csv", "precincts.geojson", "venues.geojson", "rejects.csv"} <= set(files_a)
    if channels:
        assert "placements.csv" in files_a
    assert files_a.keys() == files_b.keys()
    for name in files_a:
        assert files_a[name] == files_b[name], f"{name} differs between two identical runs"
    ma = json.loads((a.out_dir / "manifest.json").read_text(encoding="utf-8"))
    mb = json.loads((b.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert _strip_volatile(ma) == _strip_volatile(mb)


_FOLIUM_ID = re.compile(r"\b([a-z_]+)_[0-9a-f]{32}\b")


def _normalise_map(html: str) -> str:
    """Replace folium's random element ids by their order of first appearance."""
    seen: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        return seen.setdefault(m.group(0), f"{m.group(1)}_{len(seen)}")

    return _FOLIUM_ID.sub(sub, html)


def test_maps_differ_only_in_folium_ids(scenario_factory, tmp_path: Path):
    path = _scenario(scenario_factory, tmp_path, channels=True)
    a = _plan(path, tmp_path / "run1", render=True)
    b = _plan(path, tmp_path / "run2", render=True)
    assert {"map.html", "briefing.html"} <= set(a.files) and (a.out_dir / "map.html").is_file()
    html_a = (a.out_dir / "map.html").read_text(encoding="utf-8")
    html_b = (b.out_dir / "map.html").read_text(encoding="utf-8")
    assert _normalise_map(html_a) == _normalise_map(html_b)


# --------------------------------------------------------------------------- manifest


def test_manifest_makes_the_run_auditable(scenario_factory, tmp_path: Path):
    path = _scenario(scenario_factory, tmp_path, channels=True)
    res = _plan(path, tmp_path / "run")
    m = json.loads((res.out_dir / "manifest.json").read_text(encoding="utf-8"))
    # the resolved scenario, with absolute input paths and every channel setting
    assert m["scenario"]["alerts"]["path"] == str(tmp_path / "alerts.csv")
    assert m["scenario"]["channels"][0]["radius_m"] == 300.0
    assert m["seed"] == m["scenario"]["scenario"]["seed"]
    # every input file with its sha256 and row counts loaded / rejected
    layers = {rec["layer"]: rec for rec in m["inputs"]}
    assert set(layers) == {"precincts", "alerts", "venues"}
    for rec in m["inputs"]:
        assert rec["sha256"] == hashlib.sha256(Path(rec["path"]).read_bytes()).hexdigest()
        assert rec["rows_loaded"] > 0 and rec["rows_rejected"] >= 0
    assert layers["alerts"]["rows_loaded"] == len(layout_rows())
    # versions of geo_outreach and its key dependencies
    for pkg in (
        "geo_outreach",
        "python",
        "numpy",
        "pandas",
        "geopandas",
        "shapely",
        "scipy",
        "highspy",
    ):
        assert m["versions"].get(pkg), pkg
    # per-stage wall times
    for stage in (*STAGES, "channels"):
        assert isinstance(m["timings_s"].get(stage), float), stage
    # solver status and gap per channel
    ch = m["channels"]["plazas"]
    assert ch["status"] in ("optimal", "feasible")
    assert 0.0 <= ch["gap"] <= 1.0


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_failure_keeps_the_previous_file_and_no_temp(tmp_path: Path):
    target = tmp_path / "placements.csv"
    outputs.write_csv(target, pd.DataFrame({"channel": ["a", "b"], "rank": [1, 2]}))
    before = target.read_bytes()

    def half_then_fail(p: Path) -> None:
        p.write_text("channel,rank\na,", encoding="utf-8")  # partial content
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        outputs.atomic_write(target, half_then_fail)
    assert target.read_bytes() == before
    assert _leftover_temp(tmp_path) == []


def test_writer_failing_mid_way_leaves_previous_csv_and_geojson(tmp_path: Path, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import Point

    csv = tmp_path / "placements.csv"
    gj = tmp_path / "placements.geojson"
    frame = pd.DataFrame({"channel": ["a"], "rank": [1]})
    gdf = gpd.GeoDataFrame(frame, geometry=[Point(113.0, 22.5)], crs="EPSG:4326")
    outputs.write_csv(csv, frame)
    outputs.write_geojson(gj, gdf)
    before = {csv.name: csv.read_bytes(), gj.name: gj.read_bytes()}

    def partial_to_csv(self, path, *args, **kwargs):
        Path(path).write_text("channel,ra", encoding="utf-8")
        raise RuntimeError("interrupted while writing")

    def partial_text(path, text):
        return outputs.atomic_write(
            path,
            lambda p: (
                p.write_text(text[: len(text) // 2], encoding="utf-8"),
                (_ for _ in ()).throw(RuntimeError("interrupted")),
            ),
        )

    monkeypatch.setattr(pd.DataFrame, "to_csv", partial_to_csv)
    with pytest.raises(RuntimeError, match="interrupted"):
        outputs.write_csv(csv, pd.DataFrame({"channel": ["x", "y"], "rank": [9, 9]}))
    monkeypatch.setattr(outputs, "write_text", partial_text)
    with pytest.raises(RuntimeError, match="interrupted"):
        outputs.write_geojson(gj, gdf)
    assert {csv.name: csv.read_bytes(), gj.name: gj.read_bytes()} == before
    assert _leftover_temp(tmp_path) == []


def test_failed_plan_run_leaves_previous_outputs_complete(
    scenario_factory, tmp_path: Path, monkeypatch
):
    path = _scenario(scenario_factory, tmp_path, channels=False)
    out = tmp_path / "run"
    _plan(path, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    real = outputs.write_geojson  # every stage writes GeoJSON through it (write_output)

    def failing(p, gdf, **kw):
        if Path(p).name == "precincts.geojson":

            def half(tmp: Path) -> None:
                tmp.write_text('{"type":"FeatureCollection","features":[{"type":', encoding="utf-8")
                raise OSError("killed mid-write")

            return outputs.atomic_write(p, half)
        return real(p, gdf, **kw)

    monkeypatch.setattr(outputs, "write_geojson", failing)
    with pytest.raises(GeoOutreachError, match="stopped: killed mid-write"):
        _plan(path, out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert _leftover_temp(out) == []
    # the run wrote into a staging folder: the previous folder is untouched, manifest included
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".run.")) == [".run.lock"]
