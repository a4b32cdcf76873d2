"""The effect chart, the briefing sections and the emerging hot-spot map layer (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from geo_outreach.effect.did import estimate_effect
from geo_outreach.effect.emerging import write_emerging
from geo_outreach.effect.run import effect_table, wording
from geo_outreach.render.effect import (
    add_emerging_layer,
    effect_section_html,
    effect_sections_html,
    write_effect_chart,
)

UTM = "EPSG:32649"
X0, Y0 = 708000.0, 2492000.0


def effect_folder(out: Path) -> None:
    rng = np.random.default_rng(5)
    rows = []
    for u in range(20):
        g = [6, 9, -1, -1][u % 4]
        for t in range(14):
            mu = np.exp(1.5 + 0.3 * (u % 3) - (0.3 if 0 <= g <= t else 0))
            rows.append((f"u{u}", t, rng.poisson(mu), g))
    est = estimate_effect(pd.DataFrame(rows, columns=["unit_id", "period", "alerts", "cohort"]))
    out.mkdir(parents=True, exist_ok=True)
    effect_table(est).to_csv(out / "effect.csv", index=False)
    summary = {
        "effect_pct": est.pct,
        "ci95_pct": [est.pct_lo, est.pct_hi],
        "synthetic": True,
        "wording": {"zh": wording(est, "zh") + " <b>", "en": wording(est, "en")},
    }
    (out / "effect.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")


def test_chart_and_section(tmp_path: Path) -> None:
    effect_folder(tmp_path)
    png = write_effect_chart(tmp_path, lang="en")
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000
    html = effect_section_html(tmp_path, lang="zh")
    assert 'src="effect.png"' in html and "&lt;b&gt;" in html and "<b>" not in html
    assert effect_section_html(tmp_path / "nothing") == ""


def test_emerging_file_section_and_map_layer(tmp_path: Path) -> None:
    import folium

    rng = np.random.default_rng(1)
    months = pd.period_range("2026-01", "2026-06", freq="M")
    pts, times = [], []
    for k, m in enumerate(months):
        n_blob = 200 if k == 5 else 0
        for i in range(100 + n_blob):
            blob = i >= 100
            c = (2000, 2000) if blob else (5000, 5000)
            s = 950 if blob else 5000
            pts.append(Point(X0 + c[0] + rng.uniform(-s, s), Y0 + c[1] + rng.uniform(-s, s)))
            times.append(m.start_time + pd.Timedelta(days=int(rng.integers(0, 28))))
    alerts = gpd.GeoDataFrame(
        {"reported_at": pd.DatetimeIndex(times).tz_localize("Asia/Shanghai")}, geometry=pts, crs=UTM
    )
    area = box(X0, Y0, X0 + 10000, Y0 + 10000)
    precincts = gpd.GeoDataFrame({"precinct_id": ["P"], "name": ["甲镇"]}, geometry=[area], crs=UTM)
    path = write_emerging(alerts, area, precincts, tmp_path, cell_m=1000.0)
    assert path is not None and path.name == "emerging_hotspots.geojson"
    back = gpd.read_file(path)
    assert "new" in set(back["pattern"]) and "none" not in set(back["pattern"])
    html = effect_sections_html(tmp_path, lang="zh")
    assert "甲镇：自 2026-06 起新出现" in html
    m = folium.Map(location=[22.6, 113.0])
    assert add_emerging_layer(m, tmp_path, "wgs84", "zh")
    page = m.get_root().render()
    assert "run_start_month" in page and json.dumps("新热点")[1:-1] in page  # JSON-escaped
    assert not add_emerging_layer(folium.Map(), tmp_path / "none", "wgs84", "zh")
    # no cell with a pattern: an empty file, read as "no new hot spots"
    centres = [Point(X0 + 500 + 1000 * i, Y0 + 500 + 1000 * j) for i in range(10)
               for j in range(10)]  # fmt: skip
    starts = [m.start_time.tz_localize("Asia/Shanghai") for m in months]
    quiet = gpd.GeoDataFrame(  # one alert per cell and month: nothing stands out
        {"reported_at": [s for s in starts for _ in centres]},
        geometry=centres * len(months),
        crs=UTM,
    )
    empty = write_emerging(quiet, area, precincts, tmp_path / "quiet", cell_m=1000.0)
    assert empty is not None and len(gpd.read_file(empty)) == 0
    assert "没有新出现" in effect_sections_html(tmp_path / "quiet", lang="zh")
    # fewer than 3 months: no file
    assert write_emerging(alerts.iloc[:5], area, precincts, tmp_path / "short") is None
