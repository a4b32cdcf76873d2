"""Issue 14: ``alerts.parquet`` from packed WKB has the bytes geopandas' ``to_parquet`` writes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_outreach import manifest


def _alerts(n: int, index: pd.Index) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(n)
    xy = rng.uniform([600_000, 2_480_000], [680_000, 2_540_000], size=(n, 2))
    times = pd.Timestamp("2025-01-01", tz="Asia/Shanghai") + pd.to_timedelta(
        rng.integers(0, 10**7, n), unit="s"
    )
    return gpd.GeoDataFrame(
        {
            "alert_id": pd.array([f"A{k:05d}" for k in range(n)], dtype="str"),
            "reported_at": times,
            "category": pd.array(rng.choice(["刷单返利", "冒充客服"], n), dtype="str"),
            "age_band": pd.array(rng.choice(["18-25", "60+"], n), dtype="str"),
            "precinct_id": pd.array(rng.choice(["440705114", "440705103"], n), dtype="str"),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:32649",
        index=index,
    )


@pytest.mark.parametrize("index", [pd.RangeIndex(0, 500), pd.RangeIndex(7, 507), None])
def test_packed_points_parquet_equals_geopandas(tmp_path: Path, index: pd.Index | None) -> None:
    alerts = _alerts(500, index if index is not None else pd.Index(np.arange(500)[::-1] * 3))
    xy = manifest._lonlat_wgs84(alerts)
    assert xy is not None and manifest._packable(*xy)
    fast = manifest._write_points_parquet(alerts, xy[0], xy[1], tmp_path / "fast")
    slow = manifest.write_alerts_parquet(manifest._points_to_wgs84(alerts), tmp_path / "slow")
    assert fast.read_bytes() == slow.read_bytes()
    back = gpd.read_parquet(fast)
    assert back.crs.to_epsg() == 4326
    np.testing.assert_array_equal(back.geometry.x.to_numpy(), xy[0])


def test_packed_points_parquet_falls_back_when_geopandas_moves_its_builders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a geopandas minor release without the private GeoArrow helpers: the public path, same file
    alerts = _alerts(60, pd.RangeIndex(0, 60))
    xy = manifest._lonlat_wgs84(alerts)
    assert xy is not None
    fast = manifest._write_points_parquet(alerts, xy[0], xy[1], tmp_path / "fast")
    assert manifest._geoarrow_builders() is not None  # the capped geopandas has them
    monkeypatch.setattr(manifest, "_geoarrow_builders", lambda: None)
    fallback = manifest._write_points_parquet(alerts, xy[0], xy[1], tmp_path / "fallback")
    assert fallback.read_bytes() == fast.read_bytes()


def test_base_layers_take_the_geopandas_path_for_empty_points(tmp_path: Path) -> None:
    alerts = _alerts(40, pd.RangeIndex(0, 40))
    alerts.loc[3, "geometry"] = gpd.points_from_xy([np.nan], [np.nan])[0]  # an empty point
    xy = manifest._lonlat_wgs84(alerts)
    assert xy is not None and not manifest._packable(*xy)
