"""Helpers for the map/report tests and the map benchmark.

``make_output_folder`` writes a small but complete, seeded, synthetic output folder (the files
``geo-outreach plan`` writes, see ``geo_outreach.outputs``), so the map and briefing tests do not
depend on the analytics and coverage stages. ``launch_chromium`` starts Debian's chromium through
Playwright with every network request blocked and recorded.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach.outputs import write_csv, write_geojson, write_json

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>"
UTM = "EPSG:32649"
LON0, LAT0 = 113.03, 22.46
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO / "outputs" / "screenshots"


def _precincts() -> gpd.GeoDataFrame:
    rows = []
    names = ["会城", "大泽", "司前", "罗坑", "双水", XSS]
    d = 0.05
    for i in range(3):
        for j in range(2):
            k = i * 2 + j
            x0, y0 = LON0 + (i - 1.5) * d, LAT0 + (j - 1) * d
            rows.append(
                {
                    "precinct_id": f"P{k + 1}",
                    "name": names[k],
                    "population": 40000.0 + 15000 * k,
                    "geometry": shapely.box(x0, y0, x0 + d, y0 + d),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def make_output_folder(
    out: str | Path,
    *,
    n_alerts: int = 400,
    n_venues: int = 60,
    seed: int = 7,
    synthetic: bool = True,
    complete: bool = True,
    basemap: str = "none",
    lang: str = "zh",
) -> Path:
    """Write a seeded synthetic output folder; ``complete=False`` writes only what an early
    plan has (manifest, precincts, alerts, venues, streets)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    precincts = _precincts()
    minx, miny, maxx, maxy = precincts.total_bounds

    # alerts: three clusters plus background
    centres = np.array(
        [[LON0 - 0.04, LAT0 - 0.01], [LON0 + 0.02, LAT0 + 0.02], [LON0 + 0.06, LAT0 - 0.03]]
    )
    n_bg = n_alerts // 4
    which = rng.integers(0, len(centres), n_alerts - n_bg)
    pts = centres[which] + rng.normal(0, 0.006, (n_alerts - n_bg, 2))
    bg = np.column_stack([rng.uniform(minx, maxx, n_bg), rng.uniform(miny, maxy, n_bg)])
    xy = np.vstack([pts, bg])
    xy[:, 0] = np.clip(xy[:, 0], minx + 1e-4, maxx - 1e-4)
    xy[:, 1] = np.clip(xy[:, 1], miny + 1e-4, maxy - 1e-4)
    days = rng.integers(0, 546, n_alerts)
    times = (
        pd.Timestamp("2024-01-01", tz="Asia/Shanghai")
        + pd.to_timedelta(days, unit="D")
        + pd.to_timedelta(rng.integers(0, 86400, n_alerts), unit="s")
    )
    cats = np.array(["刷单返利", "冒充客服", "虚假投资", "冒充公检法", XSS])
    pts_gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:4326")
    joined = gpd.sjoin(
        pts_gdf, precincts[["precinct_id", "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated()]
    alerts = pd.DataFrame(
        {
            "alert_id": [f"A{i:06d}" for i in range(n_alerts)],
            "reported_at": [t.isoformat() for t in times],
            "category": cats[rng.integers(0, len(cats), n_alerts)],
            "age_band": np.array(["18-29", "30-44", "45-59", "60+", ""])[
                rng.integers(0, 5, n_alerts)
            ],
            "precinct_id": joined["precinct_id"].fillna("outside").to_numpy(),
            "lon": xy[:, 0].round(6),
            "lat": xy[:, 1].round(6),
        }
    )
    write_csv(out / "alerts.csv", alerts)

    # precinct statistics and monthly trends, in the columns the stats stage writes
    # (geo_outreach._validate.OUTPUT_COLUMNS): an "all" row per month for the district
    month = times.tz_localize(None).to_period("M").astype(str)
    alerts["month"] = np.asarray(month)
    inside = alerts[alerts.precinct_id != "outside"]
    counts = alerts.groupby("precinct_id").size()
    area = precincts.to_crs(UTM).area / 1e6
    precincts["area_km2"] = area.round(2)
    precincts["alerts"] = precincts["precinct_id"].map(counts).fillna(0).astype(int)
    precincts["share_pct"] = (precincts["alerts"] / n_alerts * 100).round(2)
    precincts["alerts_outside"] = int((alerts.precinct_id == "outside").sum())
    precincts["alerts_per_km2"] = (precincts["alerts"] / precincts["area_km2"]).round(3)
    precincts["alerts_per_10k"] = (precincts["alerts"] / precincts["population"] * 1e4).round(2)
    cats = sorted(alerts.category.unique())
    by_cat = inside.groupby(["precinct_id", "category"]).size().unstack(fill_value=0)
    by_cat = by_cat.reindex(index=precincts.precinct_id, columns=cats, fill_value=0)
    for c in cats:
        precincts[f"cat_{c}"] = by_cat[c].to_numpy()
    precincts["top_category"] = by_cat.idxmax(axis=1).to_numpy()
    months = sorted(alerts.month.unique())
    trends = inside.groupby(["precinct_id", "month"]).size().rename("alerts").reset_index()
    full = pd.MultiIndex.from_product(
        [precincts.precinct_id, months], names=["precinct_id", "month"]
    )
    trends = trends.set_index(["precinct_id", "month"]).reindex(full, fill_value=0).reset_index()
    district = trends.groupby("month", as_index=False)["alerts"].sum().assign(precinct_id="all")
    trends = pd.concat([district[["precinct_id", "month", "alerts"]], trends], ignore_index=True)
    by_id = trends.groupby("precinct_id", sort=False)["alerts"]
    trends["mom_pct"] = by_id.pct_change(fill_method=None).replace([np.inf, -np.inf], np.nan) * 100
    trends["yoy_pct"] = (
        by_id.pct_change(12, fill_method=None).replace([np.inf, -np.inf], np.nan) * 100
    )
    trends["mom_p"] = rng.uniform(0.001, 0.5, len(trends)).round(4)
    trends["yoy_p"] = rng.uniform(0.001, 0.5, len(trends)).round(4)
    trends["mom_significant"] = trends["mom_p"] < 0.05
    trends["yoy_significant"] = trends["yoy_p"] < 0.05
    trends["days_covered"] = pd.PeriodIndex(trends["month"], freq="M").days_in_month
    trends["partial"] = False
    trends = trends.round(3)
    last = trends[trends.month == trends.month.max()].set_index("precinct_id")
    precincts["latest_month"] = trends.month.max()
    precincts["latest_alerts"] = precincts.precinct_id.map(last["alerts"]).astype(int)
    for c in ("mom_pct", "yoy_pct", "mom_p", "yoy_p", "mom_significant", "yoy_significant"):
        precincts[c] = precincts.precinct_id.map(last[c])
    if complete:
        write_csv(out / "monthly_trends.csv", trends)
        stats_cols = [
            "precinct_id",
            "name",
            "alerts",
            "share_pct",
            "alerts_outside",
            "area_km2",
            "alerts_per_km2",
            "population",
            "alerts_per_10k",
        ]
        rest = [c for c in precincts.columns if c not in stats_cols and c != "geometry"]
        write_csv(out / "precinct_stats.csv", pd.DataFrame(precincts[stats_cols + rest]))
    first = ["precinct_id", "name", "population", "area_km2"]
    precincts = precincts[first + [c for c in precincts.columns if c not in first]]
    write_geojson(out / "precincts.geojson", precincts)

    # venues
    kinds = np.array(["plaza", "park", "cafe", "logistics", "school", "market", "bus_stop"])
    vxy = np.column_stack([rng.uniform(minx, maxx, n_venues), rng.uniform(miny, maxy, n_venues)])
    venues = gpd.GeoDataFrame(
        {
            "venue_id": [f"V{i:05d}" for i in range(n_venues)],
            "kind": kinds[rng.integers(0, len(kinds), n_venues)],
            "name": [f"场所{i}" for i in range(n_venues)],
        },
        geometry=gpd.points_from_xy(vxy[:, 0], vxy[:, 1]),
        crs="EPSG:4326",
    )
    venues.loc[0, "name"] = XSS
    venues.loc[0, "kind"] = "plaza"
    venues["precinct_id"] = (
        gpd.sjoin(venues, precincts[["precinct_id", "geometry"]], how="left", predicate="within")[
            "precinct_id"
        ]
        .groupby(level=0)
        .first()
        .fillna("outside")
    )
    write_geojson(out / "venues.geojson", venues)

    # streets: a coarse grid of lines
    lines = [shapely.LineString([(x, miny), (x, maxy)]) for x in np.linspace(minx, maxx, 9)]
    lines += [shapely.LineString([(minx, y), (maxx, y)]) for y in np.linspace(miny, maxy, 7)]
    write_geojson(
        out / "streets.geojson",
        gpd.GeoDataFrame(
            {"highway": ["residential"] * len(lines)}, geometry=lines, crs="EPSG:4326"
        ),
    )

    channels: dict[str, Any] = {}
    if complete:
        _write_analytics(out, alerts, precincts, rng)
        channels = _write_channels(out, venues, alerts, rng)
    manifest = {
        "title": "新会区反诈宣传投放方案（测试）",
        "synthetic": synthetic,
        "notes": (
            ["SYNTHETIC alerts generated for tests", "ILLUSTRATIVE precinct boundaries " + XSS]
            if synthetic
            else []
        ),
        "period": {"start": "2024-01-01", "end": "2025-06-30"},
        "output": {"basemap": basemap, "lang": lang, "dir": str(out)},
        "channels": channels,
    }
    write_json(out / "manifest.json", manifest)
    return out


def _write_tif(path: Path, arr: np.ndarray, west: float, north: float, cell: float) -> None:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="float32",
        crs=UTM,
        transform=from_origin(west, north, cell, cell),
        nodata=np.nan,
    ) as dst:
        dst.write(arr.astype("float32"), 1)


def _write_analytics(
    out: Path, alerts: pd.DataFrame, precincts: gpd.GeoDataFrame, rng: np.random.Generator
) -> None:
    from scipy.ndimage import gaussian_filter

    a = gpd.GeoDataFrame(
        alerts, geometry=gpd.points_from_xy(alerts.lon, alerts.lat), crs="EPSG:4326"
    ).to_crs(UTM)
    pb = precincts.to_crs(UTM)
    x0, y0, x1, y1 = pb.total_bounds
    cell = 200.0
    nx, ny = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    h, _, _ = np.histogram2d(
        a.geometry.y,
        a.geometry.x,
        bins=[ny, nx],
        range=[[y0, y0 + ny * cell], [x0, x0 + nx * cell]],
    )
    dens = gaussian_filter(h[::-1], 2.5) / (cell * cell / 1e6) / 1.5  # per km² per year
    dens[:3, :5] = np.nan
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Use `@` matmul", category=PendingDeprecationWarning
        )
        _write_tif(out / "density.tif", dens, x0, y0 + ny * cell, cell)

    # hot spots: 1 km cells, z from counts
    cells, zs = [], []
    for gx in np.arange(x0, x1, 1000.0):
        for gy in np.arange(y0, y1, 1000.0):
            box = shapely.box(gx, gy, gx + 1000, gy + 1000)
            cells.append(box)
    cg = gpd.GeoDataFrame(geometry=cells, crs=UTM)
    n = gpd.sjoin(a[["geometry"]], cg, predicate="within").groupby("index_right").size()
    cnt = cg.index.map(n).fillna(0).to_numpy(float)
    zs = (cnt - cnt.mean()) / (cnt.std() or 1.0)
    p = np.clip(np.exp(-np.abs(zs)), 1e-4, 1)
    cls = np.where(p < 0.01, "99", np.where(p < 0.05, "95", np.where(p < 0.1, "90", "")))
    hot_class = [f"{'hot' if z > 0 else 'cold'}{c}" if c else "ns" for z, c in zip(zs, cls)]
    cg["cell_id"] = [f"C{i}" for i in range(len(cg))]
    cg["alerts"] = cnt.astype(int)
    cg["gi_z"], cg["p"], cg["p_fdr"], cg["hot_class"] = (
        zs.round(3),
        p.round(5),
        p.round(5),
        hot_class,
    )
    cg = cg[["cell_id", "alerts", "gi_z", "p", "p_fdr", "hot_class", "geometry"]]
    write_geojson(out / "hotspots.geojson", cg)
    hot = cg[cg.hot_class.str.startswith("hot")]
    write_geojson(
        out / "uncovered_hotspots.geojson",
        hot.iloc[:1][["cell_id", "alerts", "gi_z", "hot_class", "geometry"]],
    )

    # clusters: convex hull of the alerts near each centre
    rows = []
    for k, (cx, cy) in enumerate([(LON0 - 0.04, LAT0 - 0.01), (LON0 + 0.02, LAT0 + 0.02)]):
        near = alerts[(abs(alerts.lon - cx) < 0.01) & (abs(alerts.lat - cy) < 0.01)]
        hull = shapely.MultiPoint(list(zip(near.lon, near.lat))).convex_hull
        rows.append(
            {
                "cluster_id": k + 1,
                "alerts": len(near),
                "share_pct": round(len(near) / len(alerts) * 100, 2),
                "top_categories": ", ".join(near.category.value_counts().index[:2]),
                "peak_hours": "19-22",
                "peak_share": 0.4,
                "area_km2": 1.5,
                "geometry": hull,
            }
        )
    write_geojson(out / "clusters.geojson", gpd.GeoDataFrame(rows, crs="EPSG:4326"))


def _write_channels(
    out: Path, venues: gpd.GeoDataFrame, alerts: pd.DataFrame, rng: np.random.Generator
) -> dict[str, Any]:
    total = float(len(alerts))
    spec = {
        "square_dance": (["plaza", "park"], 3, 800.0, "广场舞宣传"),
        "cafe_sleeves": (["cafe"], 2, 300.0, "咖啡杯套"),
    }
    rows, curves, reach = [], [], []
    channels: dict[str, Any] = {}
    for ch, (kinds, budget, radius, label) in spec.items():
        cand = venues[venues.kind.isin(kinds)]
        if ch == "square_dance":
            cand = pd.concat([venues.iloc[[0]], cand[cand.index != 0]])
        cand = cand.iloc[:budget]
        cum = 0.0
        for rank, (_, v) in enumerate(cand.iterrows(), start=1):
            cov = float(rng.integers(20, 80))
            marg = cov * (1.0 if rank == 1 else 0.7)
            cum += marg
            rows.append(
                {
                    "channel": ch,
                    "rank": rank,
                    "venue_id": v.venue_id,
                    "name": v["name"],
                    "kind": v.kind,
                    "precinct_id": v.precinct_id,
                    "lon": round(v.geometry.x, 6),
                    "lat": round(v.geometry.y, 6),
                    "covered_weight": cov,
                    "marginal_weight": marg,
                    "cumulative_share": round(cum / total, 4),
                    "existing": ch == "cafe_sleeves" and rank == 2,
                }
            )
            curves.append(
                {
                    "channel": ch,
                    "k": rank,
                    "covered_weight": cum,
                    "covered_share": round(cum / total, 4),
                }
            )
            if ch == "square_dance":
                reach.append(
                    {
                        "channel": ch,
                        "rank": rank,
                        "venue_id": v.venue_id,
                        "distance": "straight",
                        "radius_m": radius,
                        "geometry": gpd.GeoSeries([v.geometry], crs="EPSG:4326")
                        .to_crs(UTM)
                        .buffer(radius)
                        .to_crs("EPSG:4326")
                        .iloc[0],
                    }
                )
        channels[ch] = {
            "label": label,
            "status": "optimal",
            "gap": 0.0,
            "covered_weight": cum,
            "total_weight": total,
            "covered_share": round(cum / total, 4),
            "radius_m": radius,
            "budget": budget,
            "distance": "straight",
        }
    pl = pd.DataFrame(rows)
    write_csv(out / "placements.csv", pl)
    write_geojson(
        out / "placements.geojson",
        gpd.GeoDataFrame(
            pl.drop(columns=["lon", "lat"]),
            geometry=gpd.points_from_xy(pl.lon, pl.lat),
            crs="EPSG:4326",
        ),
    )
    write_csv(out / "coverage_curve.csv", pd.DataFrame(curves))
    write_geojson(out / "reach.geojson", gpd.GeoDataFrame(reach, crs="EPSG:4326"))

    # patrol: three stops and the route line
    stops = venues.iloc[5:8]
    route = shapely.LineString([(g.x, g.y) for g in stops.geometry])
    feats = []
    for i, (_, v) in enumerate(stops.iterrows(), start=1):
        feats.append(
            {
                "channel": "patrol",
                "feature": "stop",
                "order": i,
                "cell_id": f"C{i}",
                "venue_id": v.venue_id,
                "alerts": 10.0 + i,
                "covered_weight": 12.0 + i,
                "windows": f"{18 + i}:00–{18 + i}:45",
                "length_m": None,
                "tour_gap": None,  # issue 15
                "geometry": v.geometry,
            }
        )
    feats.append(
        {
            "channel": "patrol",
            "feature": "route",
            "order": None,
            "cell_id": None,
            "venue_id": None,
            "alerts": None,
            "covered_weight": None,
            "windows": "19:00–21:45",
            "length_m": round(route.length * 1e5, 1),
            "tour_gap": 0.0,  # issue 15
            "geometry": route,
        }
    )
    write_geojson(out / "patrol_route.geojson", gpd.GeoDataFrame(feats, crs="EPSG:4326"))
    channels["patrol"] = {
        "label": "巡逻宣传",
        "status": "feasible",
        "gap": None,
        "covered_weight": 40.0,
        "total_weight": total,
        "covered_share": round(40 / total, 4),
        "radius_m": 300.0,
        "budget": 3,
        "distance": "walk",
    }
    return channels


# --------------------------------------------------------------------------- browser


def chromium_available() -> bool:
    if not Path(CHROMIUM).exists():
        return False
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A Playwright browser on Debian's chromium (no download, no network)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageWatch:
    """Blocks every request except file:// and data:, and records requests and console errors."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file://", "data:")):
                r.continue_()
            else:
                self.blocked.append(url)
                r.abort()

        page.route("**/*", route)

    @property
    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:"))]


def save_screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    """Screenshot to ``tmp_path/name`` and copy to outputs/screenshots/ (git-ignored)."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=False)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_DIR / name)
    return shot


def pixel_std(png: Path) -> float:
    from PIL import Image

    arr = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float(arr.std())
