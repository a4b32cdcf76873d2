"""Alert rows straight from PostgreSQL/PostGIS (issue 14): ``[alerts] source = "postgis"``.

The connection string (DSN) is read from the environment variable named by ``dsn_env`` and is
never written anywhere: not to the manifest, the logs, an error message or ``rejects.csv``
(:class:`_Secret` scrubs it, and its password, from every driver message). The rows of
``query`` (or of the whole ``table``) become the same raw frame a CSV gives: the query's
columns, a geometry column read as ``_lon``/``_lat`` (points, WGS84 lon/lat in the layer's
datum like a GeoJSON file), and ``_row`` = 1-based position in the order the query returns
rows. Everything after that -- column mapping, datum, reject rules -- is the file path's code.

The driver is psycopg 3 (``pip install 'geo_outreach[postgis]'``). The session is read-only,
and ``synchronize_seqscans`` is off so a plain table is read from its first block (stable
row numbers for an unchanged table; give ``query`` an ORDER BY to be sure).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo_outreach._errors import InputDataError
from geo_outreach.scenario import AlertLayer

__all__ = ["PostgisRows", "open_rows", "read_postgis_alerts", "source_label"]

#: How many rows one network round trip fetches (independent of the partition size).
FETCH_ROWS = 50_000


def source_label(cfg: AlertLayer) -> str:
    """Return the source name for rejects.csv and the manifest: ``postgis:<table>|query``."""
    return f"postgis:{cfg.table}" if cfg.table else "postgis:query"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise InputDataError(
            '[alerts] source = "postgis" needs the PostgreSQL driver: '
            "pip install 'geo_outreach[postgis]'"
        ) from None
    return psycopg


@dataclass(frozen=True)
class _Secret:
    """The DSN and its password, to scrub from any text that leaves this module."""

    dsn: str
    password: str

    def scrub(self, text: str) -> str:
        """Return ``text`` with the DSN and the password replaced by ``***``."""
        for secret in (self.dsn, self.password):
            if secret:
                text = text.replace(secret, "***")
        return text


def _secret(dsn: str) -> _Secret:
    password = ""
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = str(conninfo_to_dict(dsn).get("password") or "")
    except Exception:  # noqa: BLE001 - an unparseable DSN fails at connect, scrubbed there
        pass
    return _Secret(dsn, password)


def _connect(cfg: AlertLayer, tz: str) -> tuple[Any, _Secret]:
    """Open a read-only session in the scenario time zone; errors never show the DSN."""
    psycopg = _psycopg()
    dsn = os.environ.get(cfg.dsn_env, "")
    if not dsn.strip():
        raise InputDataError(
            f'[alerts] source = "postgis": the environment variable {cfg.dsn_env} is not set; '
            "set it to a connection string like postgresql://user@host:5432/db (the password "
            "can come from ~/.pgpass or PGPASSWORD)"
        )
    secret = _secret(dsn)
    try:
        conn = psycopg.connect(dsn, connect_timeout=20, autocommit=False)
    except Exception as exc:  # noqa: BLE001 - psycopg raises several types; one clear error
        raise InputDataError(
            f"[alerts] cannot connect to PostgreSQL with ${cfg.dsn_env} "
            f"({secret.scrub(str(exc)).strip()}); check the server and the connection string"
        ) from None
    conn.read_only = True
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('TimeZone', %s, false)", (tz,))
        cur.execute("SET synchronize_seqscans = off")
    return conn, secret


def _base_sql(cfg: AlertLayer) -> Any:
    from psycopg import sql

    if cfg.table:
        parts = [p.strip().strip('"') for p in cfg.table.split(".")]
        return sql.SQL("SELECT * FROM {}").format(sql.Identifier(*parts))
    return sql.SQL(str(cfg.query).strip().rstrip(";"))


def _geometry_oids(cur: Any) -> dict[int, str]:
    cur.execute("SELECT oid::int, typname FROM pg_type WHERE typname IN ('geometry', 'geography')")
    return {int(oid): str(name) for oid, name in cur.fetchall()}


def _select(cur: Any, base: Any) -> tuple[Any, list[str]]:
    """Wrap the query: plain columns as they are, the first geometry column as _lon/_lat."""
    from psycopg import sql

    cur.execute(sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(base))
    described = [(d.name, d.type_code) for d in cur.description]
    geo = _geometry_oids(cur)
    names = [n for n, oid in described if oid not in geo]
    geoms = [n for n, oid in described if oid in geo]
    fields = [sql.SQL("q.{}").format(sql.Identifier(n)) for n in names]
    if geoms:
        g = sql.SQL("q.{}::geometry").format(sql.Identifier(geoms[0]))
        pt = sql.SQL(
            "CASE WHEN GeometryType({g}) = 'POINT' THEN "
            "CASE WHEN ST_SRID({g}) IN (0, 4326) THEN {g} ELSE ST_Transform({g}, 4326) END END"
        ).format(g=g)
        fields += [
            sql.SQL("ST_X({}) AS _lon").format(pt),
            sql.SQL("ST_Y({}) AS _lat").format(pt),
        ]
        names += ["_lon", "_lat"]
    if not fields:
        raise InputDataError("[alerts] the PostGIS query returns no columns")
    query = sql.SQL("SELECT {} FROM ({}) AS q").format(sql.SQL(", ").join(fields), base)
    return query, names


def _plain(values: list[Any], tz: str) -> list[Any]:
    """Numbers as float, aware date-times as naive scenario-zone time (like a CSV cell)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, decimal.Decimal):
        return [None if v is None else float(v) for v in values]
    if isinstance(sample, _dt.datetime) and sample.tzinfo is not None:
        s = pd.to_datetime(pd.Series(values, dtype=object), utc=True).dt.tz_convert(tz)
        return list(s.dt.tz_localize(None).astype(object).where(s.notna(), None))
    return values


def _frame(rows: list[tuple[Any, ...]], names: list[str], offset: int, tz: str) -> pd.DataFrame:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    df = pd.DataFrame(
        {n: pd.Series(_plain(list(c), tz), dtype=object) for n, c in zip(names, cols, strict=True)}
    )
    if "_lon" in df:
        df["_lon"] = pd.to_numeric(df["_lon"]).astype(float)
        df["_lat"] = pd.to_numeric(df["_lat"]).astype(float)
    df["_row"] = np.arange(offset + 1, offset + len(df) + 1, dtype=int)
    return df


@dataclass
class PostgisRows:
    """An open PostGIS query: its mapping, facts, and the rows in chunks (close when done)."""

    conn: Any
    cursor: Any
    names: list[str]
    mapping: dict[str, str]
    facts: dict[str, Any]
    secret: _Secret
    tz: str

    def chunks(self, rows: int) -> Iterator[pd.DataFrame]:
        """Yield frames of at most ``rows`` rows, ``_row`` continuing across chunks."""
        offset = 0
        try:
            while True:
                batch = self.cursor.fetchmany(rows)
                if not batch:
                    break
                yield _frame(batch, self.names, offset, self.tz)
                offset += len(batch)
        except InputDataError:
            raise
        except Exception as exc:  # noqa: BLE001 - driver errors become one clear error
            raise InputDataError(
                f"[alerts] reading the PostGIS rows failed ({self.secret.scrub(str(exc))})"
            ) from None
        self.facts["rows_read"] = offset

    def close(self) -> None:
        """Close the cursor and the connection."""
        try:
            self.cursor.close()
        finally:
            self.conn.close()


def open_rows(cfg: AlertLayer, tz: str) -> PostgisRows:
    """Connect, describe the query and open a server-side cursor on it.

    Returns
    -------
    PostgisRows
        With ``facts`` for the manifest: ``source``, ``path`` (the label, not a file),
        ``query`` or ``table``, ``query_sha256``, ``server_version`` and ``dsn_env`` (the
        variable's name only).
    """
    conn, secret = _connect(cfg, tz)
    try:
        with conn.cursor() as cur:
            base = _base_sql(cfg)
            query, names = _select(cur, base)
            text = query.as_string(conn)
            cur.execute("SHOW server_version")
            server = str(cur.fetchone()[0])
            cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            found = cur.fetchone()
            postgis = None if found is None else str(found[0])
        cursor = conn.cursor(name="geo_outreach_alerts")
        cursor.itersize = FETCH_ROWS
        cursor.execute(query)
    except InputDataError:
        conn.close()
        raise
    except Exception as exc:  # noqa: BLE001 - bad SQL, missing table, no PostGIS: one error
        conn.close()
        raise InputDataError(
            f"[alerts] the PostGIS {'table' if cfg.table else 'query'} failed: "
            f"{secret.scrub(str(exc)).strip()}; check [alerts] "
            f"{'table' if cfg.table else 'query'} (and CREATE EXTENSION postgis)"
        ) from None
    facts: dict[str, Any] = {
        "layer": "alerts",
        "source": "postgis",
        "path": source_label(cfg),
        "datum": cfg.datum,
        "format": "postgis",
        "encoding": None,
        ("table" if cfg.table else "query"): cfg.table or cfg.query,
        "query_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "server_version": server,
        "postgis_version": postgis,
        "dsn_env": cfg.dsn_env,
    }
    mapping = {"lon": "_lon", "lat": "_lat"} if "_lon" in names else {}
    mapping.update(cfg.columns)
    return PostgisRows(conn, cursor, names, mapping, facts, secret, tz)


def read_postgis_alerts(
    cfg: AlertLayer, tz: str
) -> tuple[pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Read every row of the query into one raw frame (the pandas engine's reader).

    Returns
    -------
    tuple of (pandas.DataFrame, dict, dict)
        The raw rows with ``_row``, the column mapping and the facts (see :func:`open_rows`).
    """
    rows = open_rows(cfg, tz)
    try:
        frames = list(rows.chunks(FETCH_ROWS))
    finally:
        rows.close()
    df = pd.concat(frames, ignore_index=True) if frames else _frame([], rows.names, 0, tz)
    return df, rows.mapping, rows.facts
