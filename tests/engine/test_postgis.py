"""Alerts straight from PostGIS (issue 14) against a real PostgreSQL + PostGIS server.

The sample alerts CSV is loaded into two tables: ``alerts_text`` (the CSV's cells as text, in
file order) and ``alerts_geom`` (a PostGIS point column instead of lon/lat). A plan from either
table must give the same tables as the plan from the CSV; the DSN's password must appear in no
output file or error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach._errors import InputDataError, ScenarioError
from geo_outreach._tables import read_table
from tests.engine.conftest import SAMPLE, SAMPLE_COLUMNS, run_plan, write_scenario

COMPARED = ("precinct_stats.csv", "monthly_trends.csv", "placements.csv", "alerts.csv")
DSN_ENV = "GEO_OUTREACH_TEST_DSN"


def _sample_rows() -> pd.DataFrame:
    df, _ = read_table(SAMPLE / "alerts.csv", encoding="gbk", layer="alerts")
    return df


@pytest.fixture(scope="module")
def pg_tables(postgis_server):
    """Load the sample CSV into alerts_text (cells as text) and alerts_geom (a point column)."""
    from psycopg import sql

    df = _sample_rows()
    cells = [c for c in df.columns if c != "_row"]
    with postgis_server.connect() as conn:
        conn.execute("DROP TABLE IF EXISTS alerts_text, alerts_geom")
        conn.execute(
            sql.SQL("CREATE TABLE alerts_text ({})").format(
                sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in cells)
            )
        )
        copy = sql.SQL("COPY alerts_text ({}) FROM STDIN").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in cells)
        )
        with conn.cursor() as cur, cur.copy(copy) as cp:
            for rec in df[cells].itertuples(index=False):
                cp.write_row(list(rec))
        number = r"'^\s*-?[0-9]+(\.[0-9]+)?\s*$'"
        conn.execute(
            f"""CREATE TABLE alerts_geom AS
            SELECT "警情编号" AS alert_no, "报警时间" AS reported, "案件类别" AS kind,
                   "受害人年龄段" AS age,
                   CASE WHEN "经度" ~ {number} AND "纬度" ~ {number}
                        THEN ST_SetSRID(ST_MakePoint("经度"::float8, "纬度"::float8), 4326)
                   END::geometry(Point, 4326) AS geom
            FROM alerts_text"""
        )
    return len(df)


def _postgis_block(table: str | None = None, query: str | None = None, columns: str = "") -> str:
    what = f'table = "{table}"' if table else f"query = '''{query}'''"
    return f"""
[alerts]
source = "postgis"
dsn_env = "{DSN_ENV}"
{what}
datum = "gcj02"
{columns}
"""


def _shifted(rejects: pd.DataFrame) -> pd.DataFrame:
    """CSV rejects renumbered to query rows (file row 2 = query row 1), file column dropped."""
    out = rejects.drop(columns="file").copy()
    out["row"] = out["row"] - 1
    out["reason"] = out["reason"].str.replace(
        r"same as row (\d+)", lambda m: f"same as row {int(m[1]) - 1}", regex=True
    )
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def test_table_gives_the_csv_outputs_and_never_writes_the_password(
    postgis_server, pg_tables, csv_plan, tmp_path, monkeypatch
):
    monkeypatch.setenv(DSN_ENV, postgis_server.dsn)
    sc = write_scenario(tmp_path, _postgis_block("alerts_text", columns=SAMPLE_COLUMNS))
    out = tmp_path / "out"
    messages: list[str] = []
    plan = run_plan(sc, out, progress=messages.append)
    for name in COMPARED:
        assert (out / name).read_bytes() == (csv_plan / name).read_bytes(), name
    pg_rej = _read(out, "rejects.csv")
    csv_rej = _read(csv_plan, "rejects.csv")
    assert len(csv_rej) >= 5  # the sample has bad rows of several kinds
    assert set(pg_rej.loc[pg_rej["layer"] == "alerts", "file"]) == {"postgis:alerts_text"}
    got = pg_rej[pg_rej["layer"] == "alerts"].astype({"row": int}).reset_index(drop=True)
    want = _shifted(csv_rej[csv_rej["layer"] == "alerts"].astype({"row": int}))
    pd.testing.assert_frame_equal(got.drop(columns="file"), want.reset_index(drop=True))

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rec = next(r for r in manifest["inputs"] if r["layer"] == "alerts")
    assert rec["source"] == "postgis" and rec["table"] == "alerts_text"
    assert rec["server_version"] == postgis_server.version
    assert rec["rows_read"] == pg_tables
    assert rec["rows_loaded"] + rec["rows_rejected"] == pg_tables
    assert rec["dsn_env"] == DSN_ENV and len(rec["query_sha256"]) == 64
    assert plan.data.inputs[1]["rows_loaded"] == len(plan.data.alerts)
    for path in out.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert postgis_server.password.encode() not in blob, path.name
            assert str(postgis_server.port).encode() + b"/postgres" not in blob, path.name
    assert not any(postgis_server.password in m for m in messages)


def test_point_column_and_query_give_the_csv_alerts(
    postgis_server, pg_tables, csv_plan, tmp_path, monkeypatch
):
    """A geometry column is read as lon/lat; a query with ORDER BY numbers rows in its order."""
    monkeypatch.setenv(DSN_ENV, postgis_server.dsn)
    columns = """
[alerts.columns]
id = "alert_no"
time = "reported"
category = "kind"
age_band = "age"
"""
    query = "SELECT alert_no, reported, kind, age, geom FROM alerts_geom;"
    sc = write_scenario(tmp_path, _postgis_block(query=query, columns=columns))
    plan = run_plan(sc, tmp_path / "out")
    for name in ("precinct_stats.csv", "monthly_trends.csv", "alerts.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (csv_plan / name).read_bytes(), name
    rej = plan.data.rejects[plan.data.rejects["layer"] == "alerts"]
    csv_rej = _read(csv_plan, "rejects.csv")
    csv_rej = csv_rej[csv_rej["layer"] == "alerts"]
    assert sorted(rej["row"].astype(int)) == sorted(csv_rej["row"].astype(int) - 1)
    assert set(rej["file"]) == {"postgis:query"}


def test_connection_errors_name_the_variable_and_hide_the_password(
    postgis_server, pg_tables, tmp_path, monkeypatch
):
    sc = write_scenario(tmp_path, _postgis_block("alerts_text", columns=SAMPLE_COLUMNS))
    monkeypatch.delenv(DSN_ENV, raising=False)
    with pytest.raises(InputDataError, match=DSN_ENV):
        run_plan(sc, tmp_path / "a")
    wrong = "wrong-" + postgis_server.password
    monkeypatch.setenv(DSN_ENV, postgis_server.dsn.replace(postgis_server.password, wrong))
    with pytest.raises(InputDataError) as err:
        run_plan(sc, tmp_path / "b")
    assert wrong not in str(err.value) and "cannot connect" in str(err.value)
    monkeypatch.setenv(DSN_ENV, "host=127.0.0.1 password=" + wrong + " port=nonsense")
    with pytest.raises(InputDataError) as err:
        run_plan(sc, tmp_path / "c")
    assert wrong not in str(err.value)


def test_bad_query_and_missing_table_are_clear_errors(
    postgis_server, pg_tables, tmp_path, monkeypatch
):
    monkeypatch.setenv(DSN_ENV, postgis_server.dsn)
    sc = write_scenario(tmp_path, _postgis_block("no_such_table", columns=SAMPLE_COLUMNS))
    with pytest.raises(InputDataError, match=r"table failed.*no_such_table"):
        run_plan(sc, tmp_path / "a")
    sc = write_scenario(tmp_path, _postgis_block(query="SELECT 1 AS x"))
    with pytest.raises(InputDataError, match="required columns not found"):
        run_plan(sc, tmp_path / "b")
    # a data-changing query fails (read-only session) and changes nothing
    sc = write_scenario(tmp_path, _postgis_block(query="DELETE FROM alerts_text RETURNING *"))
    with pytest.raises(InputDataError, match="query failed"):
        run_plan(sc, tmp_path / "c")
    with postgis_server.connect() as conn:
        assert conn.execute("SELECT count(*) FROM alerts_text").fetchone()[0] == pg_tables


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('source = "postgis"\ndatum = "gcj02"', "exactly one of query"),
        ('source = "postgis"\ntable = "a"\nquery = "SELECT 1"', "exactly one of query"),
        ('source = "postgis"\ntable = "a"\npath = "x.csv"', "alerts.path is for files"),
        ('datum = "gcj02"', "needs the key 'path'"),
        ('path = "x.csv"\ntable = "a"', 'alerts.table is for source = "postgis"'),
    ],
)
def test_source_keys_are_checked_when_read(tmp_path, block, message):
    from geo_outreach.scenario import load_scenario

    sc = write_scenario(tmp_path, "[alerts]\n" + block)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_scenario(sc)


def test_postgis_rows_on_the_dask_engine(
    postgis_server, pg_tables, dask_scheduler, csv_plan, tmp_path, monkeypatch
):
    """The two parts together: PostGIS rows cleaned in Dask partitions, same tables."""
    pytest.importorskip("distributed")
    monkeypatch.setenv(DSN_ENV, postgis_server.dsn)
    engine = f'\n[engine]\nkind = "dask"\nscheduler = "{dask_scheduler}"\npartition_rows = 1000\n'
    alerts = _postgis_block("alerts_text", columns=SAMPLE_COLUMNS)
    plan = run_plan(write_scenario(tmp_path, alerts, engine), tmp_path / "out")
    for name in COMPARED:
        assert (tmp_path / "out" / name).read_bytes() == (csv_plan / name).read_bytes(), name
    rec = plan.data.inputs[1]
    assert rec["source"] == "postgis" and rec["engine"]["partitions"] == 3
