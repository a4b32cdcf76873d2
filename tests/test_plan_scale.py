"""Issue 14: the plan at 1M alerts takes shortcuts that must not change any answer.

Each test compares the fast path with the plain one on seeded generated data.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geo_outreach import outputs
from geo_outreach.coverage import matrix
from geo_outreach.coverage.snap import street_samples


def _street_grid(rng: np.random.Generator) -> nx.MultiDiGraph:
    """A jittered 12 x 12 street grid (200 m blocks) with a few diagonals, in metres."""
    g = nx.MultiDiGraph()
    for i in range(12):
        for j in range(12):
            g.add_node(
                (i, j), x=i * 200.0 + rng.uniform(-30, 30), y=j * 200.0 + rng.uniform(-30, 30)
            )
    for i in range(12):
        for j in range(12):
            for di, dj in ((1, 0), (0, 1)) + (((1, 1),) if (i + j) % 5 == 0 else ()):
                if i + di < 12 and j + dj < 12:
                    g.add_edge((i, j), (i + di, j + dj))
    return g


@pytest.fixture(scope="module")
def street_points() -> tuple[nx.MultiDiGraph, np.ndarray]:
    """The grid and 6,000 points: around it (many far from every street) and on its nodes."""
    rng = np.random.default_rng(14)
    g = _street_grid(rng)
    pts = np.round(rng.uniform(-2500, 4700, (6000, 2)), 2)
    nodes = np.array([[g.nodes[n]["x"], g.nodes[n]["y"]] for n in g.nodes])
    pts[:300] = nodes[rng.integers(0, len(nodes), 300)]  # on a node: equal distance to 2-5 streets
    return g, pts


def test_bounded_snap_finds_the_unbounded_segment(street_points: tuple) -> None:
    g, pts = street_points
    plain = matrix.prepare_network(g).segments(pts)
    net = matrix.prepare_network(g)
    for bound in (150.0, 400.0, 1000.0):  # growing: points found nothing are searched again
        seg, perp, frac = net.segments(pts, bound)
        near = plain[1] <= bound
        assert 0 < near.sum() < len(pts)
        assert np.array_equal(seg[near], plain[0][near])  # same segment, ties included
        assert np.array_equal(perp[near], plain[1][near])
        assert np.array_equal(frac[near], plain[2][near])
        assert (seg[~near] == -1).all() and np.isinf(perp[~near]).all()
    assert np.array_equal(net.segments(pts)[0], plain[0])  # and unbounded again: every point


def test_street_samples_bound_the_distance_to_the_streets(street_points: tuple) -> None:
    g, pts = street_points
    net = matrix.prepare_network(g)
    d_sample, _ = street_samples(net.edge_geoms, 25.0).query(pts)
    d_street = net.segments(pts)[1]
    assert (d_street <= d_sample + 1e-9).all()  # samples lie on the streets
    assert (d_sample <= d_street + 12.5 + 1e-9).all()  # and are at most 25 m apart


@pytest.mark.parametrize("radius", [250.0, 800.0])
def test_walk_pairs_same_with_the_bounded_snap(street_points: tuple, radius: float) -> None:
    g, pts = street_points
    cand = pts[::97]
    fast = matrix.walk_pairs(matrix.prepare_network(g), pts, cand, radius)
    plain_net = matrix.prepare_network(g)
    plain_net.segments(np.r_[pts, cand])  # unbounded snap remembered: the old path
    plain = matrix.walk_pairs(plain_net, pts, cand, radius)
    assert len(fast.rows) > 100
    assert np.array_equal(fast.rows, plain.rows)
    assert np.array_equal(fast.cols, plain.cols)
    assert np.array_equal(fast.dist, plain.dist)


def _csv_cases(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Text, integers and floats with the awkward values of each."""
    words = np.array(["其他", "冒充客服", "", " a b ", "=SUM(A1)", "-3.5", "x'y", "100%"], object)
    text = words[rng.integers(0, len(words), n)]
    text[::17] = None
    floats = np.array(
        [round(v, d) for v, d in zip(rng.uniform(-200, 200, n), rng.integers(0, 7, n))]
    )
    floats[::13] = np.nan
    floats[::29] = -0.0
    floats[::31] = 0.0001
    return pd.DataFrame(
        {
            "id": pd.array([f"A{i:06d}" for i in range(n)], dtype="str"),
            "text": text,
            "count": rng.integers(-5, 10**12, n),
            "lon": floats,
            "lat": np.round(rng.uniform(20, 25, n), 6),
        }
    )


def _pandas_csv(frame: pd.DataFrame, path: Path) -> bytes:
    safe = outputs.excel_safe(frame)
    safe.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path.read_bytes()


def test_fast_csv_writer_writes_the_pandas_bytes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(outputs, "FAST_CSV_ROWS", 0)
    frame = _csv_cases(np.random.default_rng(140), 3000)
    assert outputs._arrow_csv(outputs.excel_safe(frame)) is not None  # the fast path ran
    got = outputs.write_csv(tmp_path / "fast.csv", frame).read_bytes()
    assert got == _pandas_csv(frame, tmp_path / "pandas.csv")


@pytest.mark.parametrize(
    "change",
    [
        {"text": "a,b"},  # pandas quotes these cells
        {"text": 'say "hi"'},
        {"text": "two\nlines"},
        {"lon": 1e-7},  # Python writes an exponent
        {"lon": 1e17},
        {"count": True},  # pandas writes True, pyarrow true
    ],
)
def test_fast_csv_writer_leaves_awkward_tables_to_pandas(
    tmp_path: Path, monkeypatch, change: dict
) -> None:
    monkeypatch.setattr(outputs, "FAST_CSV_ROWS", 0)
    frame = _csv_cases(np.random.default_rng(141), 200)
    for col, value in change.items():
        if isinstance(value, bool):
            frame[col] = frame[col] > 0
        else:
            frame[col] = frame[col].astype(object) if isinstance(value, str) else frame[col]
            frame.loc[5, col] = value
    assert outputs._arrow_csv(outputs.excel_safe(frame)) is None
    got = outputs.write_csv(tmp_path / "fast.csv", frame).read_bytes()
    assert got == _pandas_csv(frame, tmp_path / "pandas.csv")


@pytest.mark.parametrize("dtype", ["str", object])
def test_channel_weights_per_value_equal_the_per_alert_lookup(dtype: object) -> None:
    from geo_outreach.channels.demand import channel_weights
    from geo_outreach.scenario import ChannelConfig

    rng = np.random.default_rng(142)
    values = np.array(["刷单返利", "冒充客服", "nan", "", None, "其他"], dtype=object)
    frame = pd.DataFrame(
        {
            "category": pd.Series(values[rng.integers(0, 6, 500)], dtype=dtype),
            "age_band": pd.Series(values[rng.integers(0, 6, 500)], dtype=dtype),
        }
    )
    cats = {"刷单返利": 2.0, "nan": 3.0, "": 0.5}
    ages = {"冒充客服": 4.0, "": 0.25}
    ch = ChannelConfig(name="t", radius_m=100.0, category_weights=cats,
                       age_weights=ages)  # fmt: skip
    want = (
        frame["category"].astype(str).map(cats).fillna(1.0).to_numpy()
        * frame["age_band"].fillna("").astype(str).map(ages).fillna(1.0).to_numpy()
    )
    assert np.array_equal(channel_weights(frame, ch), want)
    assert len(np.unique(want)) > 4


def test_alerts_csv_order_is_the_pandas_sort() -> None:
    from geo_outreach.manifest import _time_id_order

    rng = np.random.default_rng(144)
    n = 5000
    times = np.array(["2025-01-01T08:00:00+08:00", "2025-01-01T08:00:00+09:00",
                      "2024-12-31T23:59:59+08:00", "2025-01-01T08:00:00.5+08:00"])  # fmt: skip
    ids = np.array(["b", "a", "é", "Z", "10", "9", "甲", "a "], dtype=object)
    frame = pd.DataFrame(
        {
            "reported_at": times[rng.integers(0, 4, n)],
            "alert_id": pd.array(ids[rng.integers(0, 8, n)], dtype="str"),
            "row": np.arange(n),  # ties on both keys keep their order
        }
    )
    want = frame.sort_values(["reported_at", "alert_id"], kind="stable").index.to_numpy()
    assert np.array_equal(_time_id_order(frame), want)
