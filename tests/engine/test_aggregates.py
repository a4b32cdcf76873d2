"""Counts computed on the Dask workers (issue 14) equal the counts of the pandas engine's table.

The file repeats the sample's rows with the same ids, so every row of the second half is a
duplicate of a row in an EARLIER partition: the workers must drop exactly the rows the global
duplicate-id rule rejects before counting.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import shapely

from geo_outreach import crs as _crs
from geo_outreach._precincts import load_precincts
from geo_outreach._tables import read_table
from geo_outreach.engine import load_alert_aggregates
from geo_outreach.engine.aggregates import table_aggregates
from geo_outreach.io import load_alerts, read_alerts
from geo_outreach.scenario import EngineConfig, load_scenario
from tests.engine.conftest import SAMPLE, SAMPLE_COLUMNS, write_scenario

pytest.importorskip("distributed")


def test_worker_counts_equal_the_pandas_tables_counts(dask_scheduler, tmp_path):
    src, _ = read_table(SAMPLE / "alerts.csv", encoding="gbk", layer="alerts")
    twice = pd.concat([src, src]).drop(columns="_row")
    path = tmp_path / "twice.csv"
    twice.to_csv(path, index=False, encoding="utf-8")
    alerts = f'\n[alerts]\npath = "{path}"\ndatum = "gcj02"\n' + SAMPLE_COLUMNS
    sc = load_scenario(write_scenario(tmp_path, alerts))
    ll, _, _ = load_precincts(sc.precincts)
    crs = _crs.working_crs(ll)
    precincts = ll.to_crs(crs)
    area = shapely.union_all(precincts.geometry.values)
    kw = {"precincts_m": precincts, "study_area": area, "crs": crs}
    ref, ref_rejects, ref_facts = load_alerts(
        sc.alerts, tz=sc.scenario.timezone, period=sc.period, **kw
    )
    assert (ref_rejects["reason"].str.startswith("duplicate id")).sum() >= len(src) - 20

    engine = EngineConfig(kind="dask", scheduler=dask_scheduler, partition_rows=1000)
    sc = dataclasses.replace(sc, engine=engine)
    got = load_alert_aggregates(sc, read_file=read_alerts, cell_m=500.0, **kw)
    pm, grid = table_aggregates(ref, 500.0)
    assert got.facts["engine"]["read"] == "workers" and got.facts["engine"]["partitions"] >= 4
    pd.testing.assert_frame_equal(got.precinct_month, pm)
    pd.testing.assert_frame_equal(got.grid, grid)
    assert int(pm["alerts"].sum()) == len(ref) == got.facts["rows_loaded"]
    pd.testing.assert_frame_equal(got.rejects, ref_rejects)
    assert got.facts["alerts_outside"] == ref_facts["alerts_outside"] > 0
