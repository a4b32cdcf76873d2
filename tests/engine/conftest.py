"""A throwaway PostgreSQL + PostGIS server and a 2-worker Dask cluster, each started once.

``postgis_server``: ``initdb`` in a temp dir (as the ``postgres`` OS user when the tests run
as root, since initdb refuses root), ``pg_ctl start`` on a free loopback port with the socket
in the temp dir, ``CREATE EXTENSION postgis``; stopped at the end of the session. Tests skip
when the server binaries or the driver are missing -- except under ``CI=true``, where that is
a failure (``make test`` installs them, like chromium).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(why: str) -> None:
    if IN_CI:
        pytest.fail(f"CI: {why}; `make postgis` installs it", pytrace=False)
    pytest.skip(why)


def _pg_bindir() -> Path | None:
    """Folder with initdb/pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<major>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None


def _has_postgis(bindir: Path) -> bool:
    out = subprocess.run(
        [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    )
    share = Path(out.stdout.strip()) if out.returncode == 0 else None
    if share is None:
        share = Path("/usr/share/postgresql") / bindir.parent.name
    return any((share / "extension").glob("postgis.control"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    """A running throwaway server: connection string with a password, and the password."""

    dsn: str
    password: str
    port: int
    version: str

    def connect(self):
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)


def _as_user() -> tuple[list[str], int | None, int | None]:
    """Command prefix and uid/gid to run the server as (root cannot run initdb)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        _missing("running as root and there is no 'postgres' OS user to run initdb as")
        raise  # unreachable: _missing skips or fails
    return ["runuser", "-u", "postgres", "--"], pw.pw_uid, pw.pw_gid


def _run(cmd: list[str], prefix: list[str]) -> None:
    done = subprocess.run(prefix + cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def postgis_server():
    bindir = _pg_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if not _has_postgis(bindir):
        _missing("the PostGIS extension for PostgreSQL is not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install -e '.[postgis]')")
    prefix, uid, gid = _as_user()
    tmp = Path(tempfile.mkdtemp(prefix="geo_outreach_pg_"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    password = "pw-" + secrets.token_hex(8)
    (tmp / "pw").write_text(password + "\n")
    if uid is not None:
        for p in (tmp, sock, tmp / "pw"):
            os.chown(p, uid, gid)
    port = _free_port()
    _run(
        [
            str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
            f"--pwfile={tmp / 'pw'}", "-E", "UTF8", "--locale=C.UTF-8",
        ],
        prefix,
    )  # fmt: skip
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w"]
        + ["start"],
        prefix,
    )
    try:
        dsn = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            version = str(conn.execute("SHOW server_version").fetchone()[0])
        yield PgServer(dsn=dsn, password=password, port=port, version=version)
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], prefix)
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- scenarios

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"

#: The sample's alert columns (GBK CSV), as the demo scenario maps them.
SAMPLE_COLUMNS = """
[alerts.columns]
id = "警情编号"
time = "报警时间"
category = "案件类别"
age_band = "受害人年龄段"
lon = "经度"
lat = "纬度"
"""

CSV_ALERTS = (
    f"""
[alerts]
path = "{SAMPLE / "alerts.csv"}"
datum = "gcj02"
encoding = "gbk"
"""
    + SAMPLE_COLUMNS
)


def write_scenario(folder: Path, alerts: str, engine: str = "") -> Path:
    """A small plan over the sample (no streets: straight-line reach) with the given blocks."""
    folder.mkdir(parents=True, exist_ok=True)
    text = f"""
[scenario]
name = "engine_test"
timezone = "Asia/Shanghai"
seed = 7

[precincts]
path = "{REPO / "data" / "boundaries" / "xinhui_precincts.geojson"}"
id_column = "precinct_id"
name_column = "name"
population_column = "population"

[[venues]]
path = "{SAMPLE / "xinhui_venues.osm.bz2"}"

[channels.square_dance]
venue_kinds = ["plaza", "park"]
budget = 8
radius_m = 800
category_weights = {{ "养老/保健品诈骗" = 3.0 }}

[channels.banners]
venue_kinds = ["market", "bus_stop"]
budget = 10
radius_m = 300
{alerts}
{engine}
"""
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_plan(scenario: Path, out: Path, progress=None):
    """Plan without rendering (the compared tables are written before the map)."""
    from geo_outreach import api

    return api.plan(scenario, out=out, render=False, progress=progress)


def _csv_plan(root: Path) -> dict:
    run_plan(write_scenario(root, CSV_ALERTS), root / "out")
    return {}


@pytest.fixture(scope="session")
def csv_plan(tmp_path_factory):
    """The sample plan from the CSV with the pandas engine: the reference outputs (read-only;
    built once per test run, shared by the pytest-xdist processes)."""
    from tests.conftest import build_once

    root, _ = build_once(tmp_path_factory, "engine_csv_plan", _csv_plan)
    return root / "out"


@pytest.fixture(scope="session")
def dask_scheduler():
    """One 2-worker LocalCluster (processes, one thread each) for the whole test session."""
    distributed = pytest.importorskip("distributed") if not IN_CI else __import__("distributed")
    import logging

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # no fixed port 8787 (the HTTP server always starts)
        silence_logs=logging.WARNING,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
