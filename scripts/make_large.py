"""Write a large synthetic alert file over the Xinhui sample precincts (issue 14 benchmark).

Usage: ``python scripts/make_large.py N [--out DIR] [--seed S] [--parquet] [--no-csv]``

Writes ``DIR/alerts_<N>.csv`` (UTF-8, GCJ-02 coordinates, as the sample's columns), optionally
``DIR/alerts_<N>.parquet`` (the same rows; rejects name the same rows), and
``DIR/large_<N>.toml``: the demo scenario with this alert file (the other layers are the sample's).
ALL DATA IS SYNTHETIC. Realistic messiness, a few per cent of rows each (seeded):

- times: ISO (most), ``2025/7/14 19:23``, ``2025年7月14日 19时23分``, ``14/07/2025 19:23``
  (day first: the file decides), empty, ``待补录``, time only, in the future, year 9999;
- coordinates: empty, text (``待定``), lat/lon swapped, out of range, far away (Beijing);
- duplicate alert ids.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PRECINCTS = ROOT / "data" / "boundaries" / "xinhui_precincts.geojson"
CATEGORIES = np.array(
    ["刷单返利", "冒充客服", "虚假投资理财", "冒充公检法", "养老/保健品诈骗", "网络贷款"]
    + [" ", "其他"]
)
AGES = np.array(["18-25", "26-45", "46-59", "60+", ""])
START = pd.Timestamp("2024-11-01")
DAYS = 730


def _points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in the study area (WGS84), plus 3 % just outside it."""
    area = shapely.union_all(gpd.read_file(PRECINCTS).to_crs("EPSG:4326").geometry.values)
    minx, miny, maxx, maxy = area.bounds
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < n:
        x = rng.uniform(minx - 0.05, maxx + 0.05, 2 * n)
        y = rng.uniform(miny - 0.05, maxy + 0.05, 2 * n)
        inside = shapely.contains_xy(area, x, y) | (rng.random(2 * n) < 0.03)
        xs, ys = np.r_[xs, x[inside]], np.r_[ys, y[inside]]
    return xs[:n], ys[:n]


def _gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from geo_outreach import crs

    return crs.wgs84_to_gcj02(lon, lat)


def _times(rng: np.random.Generator, n: int, dmy: float = 0.03) -> np.ndarray:
    """Alert times as text in the shapes exports use."""
    ts = START + pd.to_timedelta(rng.integers(0, DAYS * 86400, n), unit="s")
    ts = ts.floor("min")
    out = np.asarray(ts.strftime("%Y-%m-%d %H:%M:%S"), dtype=object)
    shape = rng.random(n)
    slash = shape < 0.10
    out[slash] = [f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}" for t in ts[slash]]
    zh = (shape >= 0.10) & (shape < 0.15)
    out[zh] = [f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute}分" for t in ts[zh]]
    dmy_rows = (shape >= 0.15) & (shape < 0.15 + dmy)
    out[dmy_rows] = [
        f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour}:{t.minute:02d}" for t in ts[dmy_rows]
    ]
    return out


def _mess(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """Spoil a few per cent of the rows, each kind of reject (in place)."""
    n = len(df)
    kind = rng.integers(0, 100, n)
    lon, lat = df["经度"].to_numpy(dtype=object), df["纬度"].to_numpy(dtype=object)
    t = df["报警时间"].to_numpy(dtype=object)
    lon[kind == 0] = ""
    lat[kind == 0] = ""
    lon[kind == 1] = "待定"
    lon[kind == 2], lat[kind == 2] = lat[kind == 2], lon[kind == 2].copy()
    lon[kind == 3] = "250.0"
    lon[kind == 4], lat[kind == 4] = "116.404000", "39.915000"
    t[kind == 5] = ""
    t[kind == 6] = "待补录"
    t[kind == 7] = "08:30"
    t[kind == 8] = "2031-01-01 10:00:00"
    t[kind == 9] = "9999-12-31"
    df["经度"], df["纬度"], df["报警时间"] = lon, lat, t
    dup = np.flatnonzero(kind == 10)
    dup = dup[dup > 0]
    ids = df["警情编号"].to_numpy(dtype=object)
    ids[dup] = ids[dup - 1]
    df["警情编号"] = ids


def make_frame(n: int, seed: int, dmy: float = 0.03) -> pd.DataFrame:
    """N synthetic alert rows as text (the columns of the sample's alerts.csv).

    ``dmy``: share of ``dd/mm/yyyy`` times (0 for loaders that cannot read them mixed).
    """
    rng = np.random.default_rng(seed)
    lon, lat = _gcj02(*_points(rng, n))
    df = pd.DataFrame(
        {
            "警情编号": np.char.add("JQL", np.char.zfill(np.arange(n).astype(str), 9)).astype(
                object
            ),
            "报警时间": _times(rng, n, dmy),
            "案件类别": CATEGORIES[rng.integers(0, len(CATEGORIES), n)].astype(object),
            "受害人年龄段": AGES[rng.integers(0, len(AGES), n)].astype(object),
            "涉案金额(元)": rng.integers(0, 50_000, n).astype(str).astype(object),
            "经度": np.char.mod("%.6f", lon).astype(object),
            "纬度": np.char.mod("%.6f", lat).astype(object),
        }
    )
    _mess(rng, df)
    return df


def write_scenario(alerts: Path, out: Path) -> Path:
    """The demo scenario with ``alerts`` as its alert file (other paths made absolute)."""
    text = (SAMPLE / "xinhui_demo.toml").read_text(encoding="utf-8")

    def absolute(m: re.Match[str]) -> str:
        return f'path = "{(SAMPLE / m[1]).resolve().as_posix()}"'

    text = re.sub(r'^path = "([^"]+)"', absolute, text, flags=re.MULTILINE)
    for key in ("firms", "schools", "police_grid", "community_grid", "residents"):
        text = re.sub(
            rf'^{key} = "([^"]+)"',
            lambda m, k=key: f'{k} = "{(SAMPLE / m[1]).resolve().as_posix()}"',
            text,
            flags=re.MULTILINE,
        )
    text = text.replace(
        f'path = "{(SAMPLE / "alerts.csv").resolve().as_posix()}"', f'path = "{alerts.as_posix()}"'
    )
    text = text.replace('encoding = "gbk"', 'encoding = "auto"')
    text = re.sub(r'^dir = "[^"]+"', f'dir = "out_{alerts.stem}"', text, flags=re.MULTILINE)
    text = text.replace("合成警情数据", "大规模合成警情数据 (make_large.py)")
    path = out / f"large_{alerts.stem.split('_')[-1]}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="rows")
    ap.add_argument("--out", type=Path, default=Path("outputs/large"))
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--parquet", action="store_true", help="also write alerts_<N>.parquet")
    ap.add_argument("--no-csv", action="store_true", help="no CSV (parquet only)")
    ap.add_argument("--dmy", type=float, default=0.03, help="share of dd/mm/yyyy times")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    df = make_frame(a.n, a.seed, a.dmy)
    csv = (a.out / f"alerts_{a.n}.csv").resolve()
    if not a.no_csv:
        df.to_csv(csv, index=False, encoding="utf-8")
        write_scenario(csv, a.out)
    if a.parquet:
        pq = (a.out / f"alerts_{a.n}.parquet").resolve()
        df.to_parquet(pq, index=False)
        if a.no_csv:
            write_scenario(pq, a.out)


if __name__ == "__main__":
    main()
