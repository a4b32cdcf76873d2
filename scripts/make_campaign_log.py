"""Write the SYNTHETIC sample campaign log ``data/sample/campaign_log.csv`` (issue 13).

    python scripts/make_campaign_log.py                 # rewrite the committed file
    python scripts/make_campaign_log.py --out FILE      # write it elsewhere

Seeded (``numpy.random.default_rng(SEED)``), so two runs give byte-identical files. The log is
invented: square-dance events at plazas/parks of five precincts, started at staggered months,
monthly until the end of the alerts (October 2026), plus café cup sleeves in two precincts and
six messy rows (unknown channel, end before start, coordinates without a datum, quantity 0, an
unknown site id, an unparseable date) that ``geo-outreach log validate`` must reject. One row
gives GCJ-02 coordinates with its datum declared. The sample alerts carry a planted effect
(:data:`PLANTED_EFFECT` within :data:`DANCE_RADIUS_M` of this log's square-dance sites from each
site's first event on; ``scripts/make_sample.py`` thins them), so the square-dance events are the
treatment the estimator should find.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from geo_outreach import crs as _crs
from geo_outreach.io import load_study
from geo_outreach.scenario import load_scenario

SEED = 20261202
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "sample" / "xinhui_demo.toml"
OUT = ROOT / "data" / "sample" / "campaign_log.csv"
HEADER = ["记录编号", "渠道", "点位编号", "经度", "纬度", "坐标系", "开始日期", "结束日期",
          "数量", "备注"]  # fmt: skip
#: precinct -> first month of square-dance outreach (staggered)
DANCE_START = {
    "440705101": "2025-09",
    "440705111": "2025-12",
    "440705120": "2026-02",
    "440705110": "2026-04",
    "440705121": "2026-06",
}
#: the planted effect (scripts/make_sample.py): alerts within the square-dance reach (the demo
#: scenario's channels.square_dance.radius_m, straight line) from a site's first event on are
#: kept with probability 1 + PLANTED_EFFECT
DANCE_RADIUS_M = 800.0
PLANTED_EFFECT = -0.20
#: the sites are chosen on the alerts before this day (the first start month)
TARGETING_BEFORE = "2025-09-01"
SLEEVES_START = {"440705001": "2026-03", "440705112": "2026-05"}
LAST_MONTH = "2026-10"


def _months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def dance_events(
    venues: pd.DataFrame, alerts: pd.DataFrame, rng: np.random.Generator
) -> list[tuple[str, str]]:
    """``(venue_id, YYYY-MM-DD)`` of every square-dance event, in log order.

    ``venues``: venue_id, precinct_id, kind, x, y; ``alerts``: x, y, when (naive local time);
    both in UTM 49N metres. In each precinct of :data:`DANCE_START` the outreach targets the
    two plazas/parks with the most alerts within :data:`DANCE_RADIUS_M` before the first
    start (:data:`TARGETING_BEFORE`: alerts that the planted effect never touches), ties by
    venue id; one event each per month from the start month to :data:`LAST_MONTH`, on a day
    drawn from ``rng`` (the log's first draws).
    """
    before = alerts[pd.to_datetime(alerts["when"]) < pd.Timestamp(TARGETING_BEFORE)]
    ax, ay = before["x"].to_numpy(), before["y"].to_numpy()
    out: list[tuple[str, str]] = []
    for pid, first in DANCE_START.items():
        sites = venues[(venues["precinct_id"] == pid) & venues["kind"].isin(["plaza", "park"])]
        n = [
            int((np.hypot(ax - x, ay - y) <= DANCE_RADIUS_M).sum())
            for x, y in zip(sites["x"], sites["y"], strict=True)
        ]
        pick = sites.assign(_n=n).sort_values(["_n", "venue_id"], ascending=[False, True],
                                               kind="stable").head(2)  # fmt: skip
        for m in _months(first, LAST_MONTH):
            for site in pick["venue_id"]:
                out.append((str(site), f"{m}-{int(rng.integers(3, 25)):02d}"))
    return out


def build_rows() -> list[list[str]]:
    """Return the log rows (without the header), deterministic for :data:`SEED`."""
    rng = np.random.default_rng(SEED)
    study = load_study(load_scenario(SCENARIO))
    v = study.venues
    rows: list[list[str]] = []

    def add(channel: str, site: str, start: str, end: str, qty: int, note: str = "",
            lon: str = "", lat: str = "", datum: str = "") -> None:  # fmt: skip
        rows.append([f"HD{len(rows) + 1:04d}", channel, site, lon, lat, datum, start, end,
                     str(qty), note])  # fmt: skip

    table = pd.DataFrame(v.drop(columns="geometry")).assign(x=v.geometry.x, y=v.geometry.y)
    a = study.alerts
    alerts = pd.DataFrame({"x": a.geometry.x, "y": a.geometry.y,
                           "when": a["reported_at"].dt.tz_localize(None)})  # fmt: skip
    for site, day in dance_events(table, alerts, rng):
        add("广场舞宣传", site, day, day, 1, "广场舞反诈宣传")
    for pid, first in SLEEVES_START.items():
        sites = v[(v["precinct_id"] == pid) & (v["kind"] == "cafe")]
        for site in sites["venue_id"].iloc[:2]:
            add("cafe_sleeves", site, f"{first}-01", f"{LAST_MONTH}-31",
                int(rng.integers(3, 8)), "咖啡杯套（按批次计）")  # fmt: skip
    # one activity given by GCJ-02 coordinates with its datum declared
    p = v[v["kind"] == "plaza"].to_crs("EPSG:4326").geometry.iloc[0]
    glon, glat = _crs.from_wgs84_lonlat(np.array([p.x]), np.array([p.y]), "gcj02")
    add("横幅/LED标语", "", "2026-07-01", "2026-07-31", 2, "坐标取自高德地图",
        f"{glon[0]:.6f}", f"{glat[0]:.6f}", "gcj02")  # fmt: skip
    # messy rows the validator must reject, each for one reason
    site0 = str(v["venue_id"].iloc[0])
    add("抖音直播", site0, "2026-05-01", "2026-05-01", 1, "MESSY: unknown channel")
    add("广场舞宣传", site0, "2026-06-10", "2026-06-01", 1, "MESSY: end before start")
    add("广场舞宣传", "", "2026-06-10", "2026-06-10", 1, "MESSY: coordinates without datum",
        f"{p.x:.6f}", f"{p.y:.6f}")  # fmt: skip
    add("广场舞宣传", site0, "2026-06-10", "2026-06-10", 0, "MESSY: quantity 0")
    add("广场舞宣传", "osm:node/999999", "2026-06-10", "2026-06-10", 1, "MESSY: unknown site")
    add("广场舞宣传", site0, "2026年13月40日", "2026-06-10", 1, "MESSY: unparseable date")
    return rows


def main(argv: list[str] | None = None) -> int:
    """Write the log; return 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(build_rows())
    args.out.write_text(buf.getvalue(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
