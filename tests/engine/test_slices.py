"""Worker-side slices (issue 14) read exactly what the file loader reads from the whole file.

The slices are planned and read in this process (``scan_range`` called directly instead of on
the workers), so every cut of a seeded file can be checked cheaply: the concatenated slices
must give the whole-file frame, the same ORIGINAL file row numbers in ``_row`` and the same
ragged records -- with title rows, blank lines and ragged rows on both sides of every cut.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_outreach._parse import ALERT_COLUMNS, read_parquet_rows
from geo_outreach._tables import known_headers, read_table
from geo_outreach.engine.slices import Plan, plan_slices, read_slice, scan_range, time_votes
from geo_outreach.scenario import AlertLayer

HEADER = "警情编号,报警时间,案件类别,经度,纬度"


def _scan(ranges):
    return [scan_range(*r) for r in ranges]


def _lines(n: int, seed: int) -> list[str]:
    """``n`` body lines: ~1 % ragged (too few / too many fields), ~1 % blank or only commas."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        day = f"{rng.integers(1, 28):02d}/{rng.integers(1, 12):02d}/2025 10:00"
        lon, lat = 113.0 + rng.random() / 10, 22.4 + rng.random() / 10
        line = f"A{i:06d},{day},刷单返利,{lon:.6f},{lat:.6f}"
        r = rng.random()
        if r < 0.005:
            line = line.rsplit(",", 1)[0]  # a field short
        elif r < 0.01:
            line += ",extra"
        elif r < 0.015:
            line = "" if r < 0.0125 else ",,,,"
        out.append(line)
    return out


def _write(
    path, lines: list[str], *, title: bool, newline: str, encoding: str, header: str = HEADER
) -> None:
    top = ["新会区反诈预警导出", ""] if title else []
    path.write_bytes(newline.join([*top, header, *lines, ""]).encode(encoding))


def _whole(cfg: AlertLayer):
    df, facts = read_table(
        cfg.path,
        encoding=cfg.encoding,
        layer="alerts",
        header_row=cfg.header_row,
        known=known_headers(ALERT_COLUMNS),
    )
    return df, facts["ragged"], facts["encoding"]


def _sliced(cfg: AlertLayer, rows: int):
    plan = plan_slices(cfg, rows, _scan)
    assert isinstance(plan, Plan), plan
    reads = [read_slice(s) for s in plan.slices]
    df = pd.concat([r[0] for r in reads], ignore_index=True)
    return plan, df, [g for r in reads for g in r[1]], reads


@pytest.mark.parametrize(
    ("n", "title", "newline", "encoding", "header_row"),
    [
        (12_000, True, "\n", "utf-8", None),  # < 2M characters: the csv module's rules
        (40_000, False, "\r\n", "utf-8", None),  # > 2M characters: the vectorised reader's
        (12_000, True, "\r\n", "gbk", 3),  # GBK, the header row given
        (12_000, False, "\n", "utf-8-sig", None),  # byte-order mark
    ],
)
def test_slices_give_the_whole_file_rows_and_ragged_rows(
    tmp_path, n, title, newline, encoding, header_row
):
    path = tmp_path / "alerts.csv"
    _write(path, _lines(n, seed=n), title=title, newline=newline, encoding=encoding)
    enc = "auto" if encoding != "gbk" else "gbk"
    cfg = AlertLayer(path=path, encoding=enc, header_row=header_row)
    whole, ragged, whole_enc = _whole(cfg)
    plan, df, got_ragged, _ = _sliced(cfg, 1000)
    assert len(plan.slices) >= 8  # 64 KB slices at least: many cuts
    assert plan.facts["encoding"] == whole_enc
    assert len(ragged) > n // 200  # ragged rows exist, and lie on both sides of cuts
    assert got_ragged == ragged
    assert df.columns.tolist() == whole.columns.tolist()
    assert df["_row"].tolist() == whole["_row"].tolist()
    pd.testing.assert_frame_equal(df.astype(object), whole.astype(object))


def test_auto_encoding_turns_gb18030_when_a_later_slice_is_not_utf8(tmp_path):
    """ASCII head, GBK text further down: every slice must be read as GB18030."""
    lines = [ln.replace("刷单返利", "fraud") for ln in _lines(40_000, seed=1)]
    lines[-50] = lines[-50].replace("fraud", "冒充客服")
    path = tmp_path / "alerts.csv"
    _write(
        path, lines, title=False, newline="\n", encoding="gbk", header="id,time,category,lon,lat"
    )
    cfg = AlertLayer(path=path, encoding="auto")
    whole, _, whole_enc = _whole(cfg)
    assert whole_enc == "gb18030"
    plan, _, _, reads = _sliced(cfg, 1000)
    assert plan.facts["encoding"] == "utf-8"  # guessed from the head ...
    assert reads[-1][2] == "gb18030"  # ... the last slice says otherwise (the engine re-reads)
    again = [read_slice(dataclasses.replace(s, encoding="gb18030")) for s in plan.slices]
    df = pd.concat([r[0] for r in again], ignore_index=True)
    pd.testing.assert_frame_equal(df.astype(object), whole.astype(object))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('A1,"2025-01-01 10:00",刷单返利,113.05,22.45\n', "quoted"),
        ("A1,2025-01-01 10:00,刷单返利,113.05,22.45\r", "carriage"),
    ],
)
def test_quoted_or_old_mac_files_are_read_on_the_client(tmp_path, text, why):
    path = tmp_path / "alerts.csv"
    body = "".join(f"A{i},2025-01-01 10:00,x,113.0,22.4\n" for i in range(20_000))
    path.write_text(HEADER + "\n" + body + text + body, encoding="utf-8")
    got = plan_slices(AlertLayer(path=path), 1000, _scan)
    assert isinstance(got, str) and why in got


def test_spreadsheets_and_utf16_are_read_on_the_client(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text(HEADER + "\nA1,2025-01-01,x,113.0,22.4\n", encoding="utf-16")
    assert "UTF-16" in plan_slices(AlertLayer(path=path), 1000, _scan)
    (tmp_path / "a.xlsx").write_bytes(b"PK")
    assert "read whole" in plan_slices(AlertLayer(path=tmp_path / "a.xlsx"), 1000, _scan)


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "警情编号": [f"P{i}" for i in range(n)],
            "报警时间": pd.Series(["2025-03-01 08:00", "13/03/2025 09:00", None] * n)[:n],
            "案件类别": rng.choice(["刷单返利", "冒充客服", ""], n),
            "count": rng.integers(0, 5, n),
            "经度": 113.0 + rng.random(n) / 10,
            "纬度": 22.4 + rng.random(n) / 10,
        }
    )


@pytest.mark.parametrize(
    ("geo", "rows", "starts"),
    [
        (False, 1200, None),  # row groups of 1500 > 1200: slices cut inside them
        (True, 1200, None),
        (False, 4000, [0, 4500, 9000]),  # whole row groups per slice
    ],
)
def test_parquet_row_ranges_give_the_whole_file_rows(tmp_path, geo, rows, starts):
    df = _frame(10_000)
    path = tmp_path / ("alerts.geoparquet" if geo else "alerts.parquet")
    if geo:  # projected CRS: both readers must take it to WGS84 the same way
        pts = gpd.points_from_xy(df.pop("经度"), df.pop("纬度"), crs="EPSG:4326")
        g = gpd.GeoDataFrame(df, geometry=pts).to_crs("EPSG:32649")
        g.loc[5, "geometry"] = None
        g.to_parquet(path, row_group_size=1500)
    else:
        df.to_parquet(path, row_group_size=1500, index=False)
    whole, geom, fmt = read_parquet_rows(path, "alerts")
    if geom is not None:
        from geo_outreach._parse import _point_lonlat

        whole["_lon"], whole["_lat"] = _point_lonlat(geom, representative=False)
    plan = plan_slices(AlertLayer(path=path), rows, _scan)
    assert isinstance(plan, Plan)
    got_starts = [s.start for s in plan.slices]
    assert got_starts == (starts or [round(10_000 * i / 9) for i in range(9)])
    assert plan.facts["format"] == fmt
    got = pd.concat([read_slice(s)[0] for s in plan.slices], ignore_index=True)
    pd.testing.assert_frame_equal(got, whole)
    if geo:
        assert {"lon": "_lon", "lat": "_lat"}.items() <= plan.mapping.items()
        assert np.isnan(got.loc[5, "_lon"])


def test_time_votes_keep_every_row_that_votes():
    values = pd.Series(["2025-01-02 10:00", " 13/01/2025", "1/2/2025", "待补录", None, "09:30"])
    got = time_votes((pd.DataFrame({"t": values}), [], ""), "t")
    assert got.tolist() == [" 13/01/2025", "1/2/2025", "09:30"]


def test_a_worker_that_cannot_see_the_file_says_so(tmp_path):
    from geo_outreach._errors import InputDataError

    with pytest.raises(InputDataError, match=r"worker cannot read.*same path"):
        scan_range(str(tmp_path / "gone.csv"), 0, 100)
