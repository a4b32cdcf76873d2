"""Issue 14 (A): the partition boundary, the vectorised readers, (Geo)Parquet in and out.

Built on ``scripts/make_large.py`` rows (seeded; every reject kind, slash, Chinese and
day-first times, GCJ-02) over the Xinhui sample precincts, a few thousand rows only.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_outreach import _tables
from geo_outreach import crs as _crs
from geo_outreach._alerts import alert_context, clean_alert_rows, finish_alerts
from geo_outreach._parse import ALERT_COLUMNS, known_headers
from geo_outreach._precincts import load_precincts
from geo_outreach._times import decide_day_order, parse_time_column
from geo_outreach.io import load_alerts, load_study, read_alerts
from geo_outreach.manifest import iso_times, write_base_layers
from geo_outreach.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
NOW = pd.Timestamp("2026-12-01", tz="Asia/Shanghai")


def _make_large():
    spec = importlib.util.spec_from_file_location("make_large", ROOT / "scripts/make_large.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """3000 messy rows as CSV and Parquet, the scenario and the loaded precincts."""
    out = tmp_path_factory.mktemp("large")
    ml = _make_large()
    df = ml.make_frame(3000, 7)
    csv = out / "alerts_3000.csv"
    df.to_csv(csv, index=False)
    df.to_parquet(out / "alerts_3000.parquet", index=False)
    sc = load_scenario(ml.write_scenario(csv, out))
    ll, _, _ = load_precincts(sc.precincts)
    crs = _crs.working_crs(ll)
    pm = ll.to_crs(crs)
    area = shapely.union_all(pm.geometry.values)
    kw = {"tz": "Asia/Shanghai", "precincts_m": pm, "study_area": area, "crs": crs, "now": NOW}
    return {"dir": out, "frame": df, "sc": sc, "kw": kw, "csv": csv}


def _load(large: dict, path: Path | None = None, **cfg) -> tuple:
    alerts = dataclasses.replace(large["sc"].alerts, path=path or large["csv"], **cfg)
    return load_alerts(alerts, **large["kw"])


def test_every_reject_kind_is_in_the_large_file(large):
    _, rej, facts = _load(large)
    reasons = rej["reason"].str.split(" ").str[:2].str.join(" ")
    for kind in ("no coordinates", "unparseable coordinates", "probable lat/lon", "coordinates out",
                 "far outside", "no time", "unparseable time", "time without", "time out",
                 "time in", "duplicate id"):  # fmt: skip
        assert reasons.str.startswith(kind).any(), kind
    assert facts["time_order"] == "day first"
    assert facts["rows_loaded"] + facts["rows_rejected"] == 3000


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_partitions_give_the_whole_table_result(large, parts):
    whole, rej, facts = _load(large)
    cfg = large["sc"].alerts
    df, cols, read_rej, f = read_alerts(dataclasses.replace(cfg, path=large["csv"]))
    ctx, tf = alert_context(
        cfg, df[cols["time"]], source=str(large["csv"]), time_column=str(cols["time"]),
        **large["kw"],
    )  # fmt: skip
    # slices in a shuffled order: the global pass orders by file row
    bounds = np.linspace(0, len(df), parts + 1).astype(int)
    slices = [df.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)][::-1]
    got = [clean_alert_rows(s, cols, ctx) for s in slices]
    alerts, rejects, f2 = finish_alerts(got, read_rejects=read_rej, cols=cols, ctx=ctx, facts=f)
    pd.testing.assert_frame_equal(pd.DataFrame(alerts), pd.DataFrame(whole))
    pd.testing.assert_frame_equal(rejects, rej)
    assert tf["time_order"] == facts["time_order"]


def test_a_slice_parses_times_as_the_whole_column():
    values = pd.Series(["05/01/2025 10:00", "2025/1/5 8:00", "13/01/2025", "01/02/2025", "x"])
    dayfirst, order, _ = decide_day_order(values, None, "t")
    assert (dayfirst, order) == (True, "day first")
    whole = parse_time_column(values, "Asia/Shanghai")
    one = parse_time_column(values.iloc[[0]], "Asia/Shanghai", dayfirst=dayfirst)
    assert one.times.iloc[0] == whole.times.iloc[0] == pd.Timestamp("2025-01-05 10:00+08:00")
    # alone, the slice would have been read month first (no row above 12 in it)
    assert parse_time_column(values.iloc[[0]], "Asia/Shanghai").times.iloc[0].month == 5


def _messy_csv(path: Path, n: int = 400) -> None:
    lines = ["导出时间: 2025-08-01", "警情编号,报警时间,经度,纬度"]
    for i in range(n):
        lines.append(f"A{i},2025-07-{1 + i % 28:02d} 10:00,113.0{i % 9},22.5{i % 7}")
        if i % 50 == 3:
            lines.append("")  # blank line
        if i % 60 == 5:
            lines.append(",,,")  # all cells empty: skipped like a blank line
        if i % 70 == 6:
            lines.append(f"B{i},2025-07-01 10:00,113.0")  # ragged: 3 fields
        if i % 90 == 7:
            lines.append(f"C{i},2025-07-01 10:00,113.0,22.5,extra")  # ragged: 5 fields
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))


def test_fast_csv_reader_gives_the_csv_module_rows(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    _messy_csv(path)
    known = known_headers(ALERT_COLUMNS)
    monkeypatch.setattr(_tables, "FAST_CSV_CHARS", 0)
    fast, f1 = _tables.read_table(path, layer="alerts", known=known)
    assert _tables._fast_csv(path.read_text("gb18030"), path, None, known) is not None
    monkeypatch.setattr(_tables, "FAST_CSV_CHARS", 10**12)
    slow, f2 = _tables.read_table(path, layer="alerts", known=known)
    assert str(fast["警情编号"].dtype) == "str"  # arrow strings, a tenth of the memory
    pd.testing.assert_frame_equal(fast.astype(object), slow.astype(object))
    assert f1 == f2 and len(f1["ragged"]) == 11
    assert fast["_row"].iloc[0] == 3


def test_quoted_csv_keeps_the_csv_module(tmp_path, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_text('警情编号,报警时间,经度,纬度\n"A,1",2025-07-01,113.0,22.5\n', encoding="utf-8")
    monkeypatch.setattr(_tables, "FAST_CSV_CHARS", 0)
    df, _ = _tables.read_table(path, layer="alerts", known=known_headers(ALERT_COLUMNS))
    assert df["警情编号"].tolist() == ["A,1"]


def test_fast_csv_reader_cleans_as_the_csv_module(large, monkeypatch):
    slow = _load(large)
    monkeypatch.setattr(_tables, "FAST_CSV_CHARS", 0)
    fast = _load(large)
    pd.testing.assert_frame_equal(pd.DataFrame(fast[0]), pd.DataFrame(slow[0]))
    pd.testing.assert_frame_equal(fast[1], slow[1])
    assert fast[2] == slow[2]


def test_parquet_alerts_match_the_csv(large):
    a_csv, r_csv, _ = _load(large)
    a_pq, r_pq, f_pq = _load(large, large["dir"] / "alerts_3000.parquet")
    assert f_pq["format"] == "parquet"
    pd.testing.assert_frame_equal(pd.DataFrame(a_pq), pd.DataFrame(a_csv))
    # parquet rows are numbered from 1 (no header line): CSV row = parquet row + 1
    assert (r_pq["row"] + 1).tolist() == r_csv["row"].tolist()
    same = ~r_csv["reason"].str.startswith("duplicate")
    assert r_pq["reason"][same].tolist() == r_csv["reason"][same].tolist()


def test_geoparquet_alerts_and_venues(large, tmp_path):
    df = large["frame"].iloc[:300].copy()
    lon = pd.to_numeric(df.pop("经度"), errors="coerce")
    lat = pd.to_numeric(df.pop("纬度"), errors="coerce")
    pts = gpd.points_from_xy(lon, lat)
    pts[lon.isna().to_numpy() | lat.isna().to_numpy()] = None
    gdf = gpd.GeoDataFrame(df, geometry=pts, crs="EPSG:4326")
    path = tmp_path / "alerts.geoparquet"
    gdf.to_parquet(path)
    cols = {k: v for k, v in large["sc"].alerts.columns.items() if k not in ("lon", "lat")}
    alerts, rej, facts = _load(large, path, columns=cols)
    assert facts["format"] == "geoparquet"
    assert len(alerts) + len(rej) == 300
    assert (rej.loc[rej["reason"] == "no coordinates", "column"] == "_lon/_lat").all()
    ven = gpd.GeoDataFrame(
        {"venue_id": ["v1", "v2"], "kind": ["park", "广场"]},
        geometry=[shapely.Point(113.05, 22.52), shapely.box(113.06, 22.52, 113.07, 22.53)],
        crs="EPSG:4326",
    )
    ven.to_parquet(tmp_path / "venues.parquet")
    text = large["sc"].path.read_text(encoding="utf-8")
    text = text.split("[[venues]]")[0] + (
        f'[[venues]]\npath = "{(tmp_path / "venues.parquet").as_posix()}"\n'
        + "["
        + text.split("[[venues]]")[1].split("\n[", 1)[1]
    )
    scn = tmp_path / "s.toml"
    scn.write_text(text, encoding="utf-8")
    data = load_study(load_scenario(scn))
    assert sorted(data.venues["kind"]) == ["park", "plaza"]


def test_alerts_parquet_is_written_for_large_runs(large, tmp_path):
    data = load_study(large["sc"])
    files = write_base_layers(data, tmp_path)
    assert "alerts.parquet" not in files  # 3000 alerts: small run
    files = write_base_layers(data, tmp_path / "p", alerts_parquet=True)
    back = gpd.read_parquet(files["alerts.parquet"])
    assert back.crs.to_epsg() == 4326 and len(back) == len(data.alerts)
    assert list(back.columns) == [
        "alert_id", "reported_at", "category", "age_band", "precinct_id", "geometry",
    ]  # fmt: skip
    text = large["sc"].path.read_text(encoding="utf-8")
    flagged = tmp_path / "flag.toml"
    flagged.write_text(text.replace("[output]", "[output]\nalerts_parquet = true"), "utf-8")
    assert load_scenario(flagged).output.alerts_parquet is True
    assert large["sc"].output.alerts_parquet is None
    csv = pd.read_csv(files["alerts.csv"], encoding="utf-8-sig").set_index("alert_id")
    row = back.set_index("alert_id").loc[csv.index[0]]
    assert abs(row.geometry.x - csv["lon"].iloc[0]) < 1e-6


def test_iso_times_match_isoformat():
    t = pd.Series(
        pd.to_datetime(
            ["2025-01-01 10:00:00", "2025-07-01 10:00:00.5", "2025-03-30 02:30"], format="ISO8601"
        )
    ).dt.tz_localize("Europe/Berlin", nonexistent="shift_forward")
    assert iso_times(t).tolist() == t.map(lambda x: x.isoformat()).tolist()


@pytest.mark.parametrize("kind", ["gb18030_crlf", "utf8_bom", "gbk_late", "header_row"])
def test_csv_blocks_give_the_whole_file_rows(tmp_path, monkeypatch, kind):
    """Issue 14: a large CSV read in byte blocks (cut after a newline) = the whole-file read."""
    path = tmp_path / "a.csv"
    _messy_csv(path)
    text = path.read_bytes().decode("gb18030")
    if kind == "utf8_bom":
        path.write_bytes(text.replace("\r\n", "\n").encode("utf-8-sig"))
    if kind == "gbk_late":  # UTF-8 until a late GBK cell: the whole file is read as GB18030
        late = text.replace("A390,", "甲390,")
        path.write_bytes(late[:-2000].encode("utf-8") + late[-2000:].encode("gb18030"))
    known = known_headers(ALERT_COLUMNS)
    header_row = 2 if kind == "header_row" else None
    blocks = _tables.read_csv_blocks(path, "auto", header_row, known, block_bytes=3000)
    assert blocks is not None
    monkeypatch.setattr(_tables, "FAST_CSV_CHARS", 10**12)  # the csv module, whole file
    whole, facts = _tables.read_table(path, layer="alerts", known=known, header_row=header_row)
    pd.testing.assert_frame_equal(blocks[0].astype(object), whole.astype(object))
    assert (blocks[1], blocks[2]) == (facts["ragged"], facts["encoding"])
    if kind == "gbk_late":  # the UTF-8 header read as GB18030 is not found, as in the file
        assert blocks[2] == "gb18030"
    else:
        assert len(blocks[1]) == 11 and blocks[0]["_row"].iloc[0] == 3


def test_csv_blocks_leave_quoted_files_to_the_whole_file_reader(tmp_path):
    path = tmp_path / "q.csv"
    rows = "".join(f"A{i},2025-07-01,113.0,22.5\n" for i in range(100))
    path.write_text('警情编号,报警时间,经度,纬度\n"A,1",2025-07-01,113.0,22.5\n' + rows, "utf-8")
    assert _tables.read_csv_blocks(path, "auto", None, None, block_bytes=300) is None


def test_parquet_row_range_gives_those_rows_of_the_whole_read(tmp_path):
    """Issue 14: ``read_parquet_rows(rows=...)`` decodes only the row groups it needs."""
    from geo_outreach._parquet import read_parquet_rows

    path = tmp_path / "a.parquet"
    frame = pd.DataFrame({"id": [f"A{i}" for i in range(50)], "x": np.arange(50.0)})
    frame.to_parquet(path, index=False, row_group_size=7)
    whole, _, _ = read_parquet_rows(path, "alerts")
    for start, stop in ((0, 50), (5, 23), (14, 15), (44, 50)):
        part, geom, fmt = read_parquet_rows(path, "alerts", ["id"], rows=(start, stop))
        expected = whole[["id", "_row"]].iloc[start:stop].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
        assert geom is None and fmt == "parquet"
