"""Issue 10, datum sanity check: GCJ-02 alerts declared as WGS84 are caught, right ones are not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo_outreach import crs
from geo_outreach.cli import main
from geo_outreach.datum_check import check_datum

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xinhui_demo.toml"
UTM = "EPSG:32649"


def _sample_scenario(tmp_path: Path, datum: str) -> Path:
    """The bundled sample without streets (faster; OSM venues are the reference), absolute paths."""
    text = SAMPLE.read_text(encoding="utf-8")
    for key in ("path", "firms", "schools", "police_grid", "community_grid", "residents"):
        text = text.replace(f'{key} = "', f'{key} = "{SAMPLE.parent}/')
    head, _, rest = text.partition("[streets]")
    text = head + rest[rest.index("[analysis]") :]
    text = text.replace("[alerts]\npath", "[alerts]\npath").replace(
        'alerts.csv"\ndatum = "gcj02"', f'alerts.csv"\ndatum = "{datum}"'
    )
    text = text.replace('distance = "walk"', 'distance = "straight"')
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_declared_wrongly_warns_in_validate_and_right_does_not(tmp_path: Path, capsys):
    assert main(["validate", str(_sample_scenario(tmp_path, "wgs84"))]) == 0
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if line.startswith("warning: alerts"))
    assert "OSM venues" in warning and '"wgs84"' in warning
    assert 'set [alerts] datum = "gcj02"' in warning
    assert len(re.findall(r"\b\d+ m\)", warning)) == 2  # both medians are printed
    assert main(["validate", str(_sample_scenario(tmp_path, "gcj02"))]) == 0
    assert "warning: alerts" not in capsys.readouterr().out


def _grid_and_points(shift: tuple[float, float]) -> tuple[np.ndarray, gpd.GeoSeries]:
    """Venue-like reference points at Huicheng and alerts within 30 m of them, moved by shift."""
    rng = np.random.default_rng(7)
    x0, y0 = 650_000.0, 2_490_000.0
    ref = np.column_stack([x0 + rng.uniform(0, 8000, 300), y0 + rng.uniform(0, 8000, 300)])
    pick = rng.integers(0, len(ref), 600)
    pts = ref[pick] + rng.normal(0, 30, (600, 2)) + np.asarray(shift)
    return shapely.points(ref), gpd.GeoSeries(shapely.points(pts), crs=UTM)


def test_check_datum_finds_gcj02_read_as_wgs84():
    ref, pts = _grid_and_points((0.0, 0.0))
    # the file holds GCJ-02 coordinates but is declared WGS84: what the loader would have made
    ll = pts.to_crs("EPSG:4326")
    glon, glat = crs.wgs84_to_gcj02(ll.x.to_numpy(), ll.y.to_numpy())
    wrong = gpd.GeoSeries(gpd.points_from_xy(glon, glat), crs="EPSG:4326").to_crs(UTM)
    fit = check_datum(wrong, "wgs84", ref, layer="alerts (a.csv)", reference_name="streets")
    assert fit.best == "gcj02" and fit.mismatch
    assert fit.medians_m["gcj02"] < 60 < 150 < fit.medians_m["wgs84"]
    assert 'set [alerts] datum = "gcj02"' in (fit.warning() or "")
    right = check_datum(pts, "wgs84", ref, layer="alerts (a.csv)", reference_name="streets")
    assert right.best == "wgs84" and right.warning() is None
    assert json.dumps(fit.as_dict())  # recorded in manifest.json as is


def test_no_warning_when_points_ignore_the_reference():
    ref, _ = _grid_and_points((0.0, 0.0))
    rng = np.random.default_rng(3)
    pts = gpd.GeoSeries(
        shapely.points(650_000 + rng.uniform(0, 8000, 800), 2_490_000 + rng.uniform(0, 8000, 800)),
        crs=UTM,
    )
    fit = check_datum(pts, "wgs84", ref, layer="alerts (a.csv)", reference_name="streets")
    assert fit.warning() is None and fit.z < 5


def test_empty_reference_gives_no_fit():
    _, pts = _grid_and_points((0.0, 0.0))
    fit = check_datum(pts, "wgs84", np.array([], dtype=object), layer="a", reference_name="s")
    assert fit.medians_m == {} and fit.warning() is None
