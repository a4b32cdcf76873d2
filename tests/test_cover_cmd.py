"""The ``cover`` command, run in-process through ``geo_outreach.cli``: JSON contract, output CSV,
projected input, errors; and ``geo_outreach.cover`` (the API behind it)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach import cli
from tests.conftest import X0, Y0, xy_to_lonlat


def write_points(tmp_path: Path, *, projected: bool = False) -> tuple[Path, Path]:
    """Demand: 5 points at (0,0) weight 1, 3 at (1000,0) weight 4, 1 at (3000,0) weight 10.
    Candidates: a at (50,0), b at (1000,50), c at (3000,0), d at (9000,0)."""
    dem = [(0, 0, 1)] * 5 + [(1000, 0, 4)] * 3 + [(3000, 0, 10)]
    cand = [("a", 50, 0), ("b", 1000, 50), ("c", 3000, 0), ("d", 9000, 0)]
    if projected:
        d = pd.DataFrame(
            {
                "east": [X0 + p[0] for p in dem],
                "north": [Y0 + p[1] for p in dem],
                "w": [p[2] for p in dem],
            }
        )
        c = pd.DataFrame(
            {
                "site": [p[0] for p in cand],
                "east": [X0 + p[1] for p in cand],
                "north": [Y0 + p[2] for p in cand],
            }
        )
    else:
        lon, lat = xy_to_lonlat([p[0] for p in dem], [p[1] for p in dem])
        d = pd.DataFrame({"lon": lon, "lat": lat, "w": [p[2] for p in dem]})
        clon, clat = xy_to_lonlat([p[1] for p in cand], [p[2] for p in cand])
        c = pd.DataFrame({"id": [p[0] for p in cand], "lon": clon, "lat": clat})
    dp, cp = tmp_path / "demand.csv", tmp_path / "cands.csv"
    d.to_csv(dp, index=False)
    c.to_csv(cp, index=False)
    return dp, cp


def main(argv: list[str]) -> int:
    """``geo-outreach cover ARGV`` in-process."""
    return cli.main(["cover", *argv])


def run_json(capsys, argv) -> tuple[int, dict]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if code == 0 else {}


def test_json_contract_and_out_csv(tmp_path, capsys):
    dp, cp = write_points(tmp_path)
    out = tmp_path / "chosen.csv"
    code, res = run_json(
        capsys,
        [
            "--demand",
            str(dp),
            "--candidates",
            str(cp),
            "--radius-m",
            "200",
            "--budget",
            "2",
            "--weight",
            "w",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert code == 0
    for key in (
        "covered_weight",
        "total_weight",
        "upper_bound",
        "gap",
        "status",
        "method",
        "seconds",
        "chosen",
    ):
        assert key in res
    assert res["chosen"] == ["b", "c"]  # 12 and 10 beat a's 5
    assert res["covered_weight"] == 22 and res["total_weight"] == 27
    assert res["status"] == "optimal" and res["gap"] == 0 and res["upper_bound"] == 22
    csv = pd.read_csv(out, encoding="utf-8-sig")
    assert csv["id"].tolist() == ["b", "c"] and csv["rank"].tolist() == [1, 2]
    assert csv["cumulative_weight"].tolist() == [12, 22]


def test_projected_crs_and_exact_method(tmp_path, capsys):
    dp, cp = write_points(tmp_path, projected=True)
    code, res = run_json(
        capsys,
        [
            "--demand",
            str(dp),
            "--candidates",
            str(cp),
            "--radius-m",
            "200",
            "--budget",
            "3",
            "--crs",
            "EPSG:32649",
            "--x",
            "east",
            "--y",
            "north",
            "--weight",
            "w",
            "--id",
            "site",
            "--method",
            "exact",
            "--json",
        ],
    )
    assert code == 0
    assert res["chosen"] == ["b", "c", "a"] and res["covered_weight"] == 27
    assert res["method"] == "exact" and res["crs"] == "EPSG:32649"


def test_unit_weights_text_output(tmp_path, capsys):
    dp, cp = write_points(tmp_path)
    code = main(
        ["--demand", str(dp), "--candidates", str(cp), "--radius-m", "200", "--budget", "1"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "chosen (rank order): a" in out and "5 of 9" in out


def test_geojson_input(tmp_path, capsys):
    import geopandas as gpd

    dp, cp = write_points(tmp_path)
    d = pd.read_csv(dp)
    gpd.GeoDataFrame(d, geometry=gpd.points_from_xy(d.lon, d.lat), crs="EPSG:4326").to_file(
        tmp_path / "d.geojson"
    )
    code, res = run_json(
        capsys,
        [
            "--demand",
            str(tmp_path / "d.geojson"),
            "--candidates",
            str(cp),
            "--radius-m",
            "200",
            "--budget",
            "1",
            "--weight",
            "w",
            "--json",
        ],
    )
    assert code == 0 and res["chosen"] == ["b"]


@pytest.mark.parametrize(
    ("extra", "mutate", "message"),
    [
        (["--budget", "5"], None, "larger than the 4 candidates"),
        (["--radius-m", "0"], None, "--radius-m must be > 0"),
        (["--radius-m", "-5"], None, "--radius-m must be > 0"),
        ([], "dup", "duplicate candidate ids \\['a'\\]"),
        (["--weight", "pop"], None, "no column 'pop'"),
        ([], "missing", "demand file not found"),
        (["--x", "east"], None, "no column 'east'"),
    ],
)
def test_errors_exit_2_with_one_line(tmp_path, capsys, extra, mutate, message):
    dp, cp = write_points(tmp_path)
    if mutate == "dup":
        c = pd.read_csv(cp)
        c.loc[1, "id"] = "a"
        c.to_csv(cp, index=False)
    if mutate == "missing":
        dp = tmp_path / "nope.csv"
    argv = [
        "--demand",
        str(dp),
        "--candidates",
        str(cp),
        "--radius-m",
        "200",
        "--budget",
        "2",
        "--json",
    ]
    # later flags win in argparse
    code = main(argv + extra)
    cap = capsys.readouterr()
    assert code == 2
    assert cap.out == ""
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    import re

    assert re.search(message, lines[0])


def test_usage_error_exit_2(capsys):
    assert main(["--demand", "x.csv"]) == 2
    capsys.readouterr()


def test_api_cover_matches_the_command(tmp_path, capsys):
    """geo_outreach.cover returns what ``cover --json`` prints, and writes the same CSV."""
    import geo_outreach as go

    dp, cp = write_points(tmp_path)
    res = go.cover(dp, cp, radius_m=200, budget=2, weight="w", out=tmp_path / "api.csv")
    code, printed = run_json(
        capsys,
        [
            "--demand",
            str(dp),
            "--candidates",
            str(cp),
            "--radius-m",
            "200",
            "--budget",
            "2",
            "--weight",
            "w",
            "--json",
            "--out",
            str(tmp_path / "cli.csv"),
        ],
    )
    assert code == 0 and res.chosen == ["b", "c"]
    expected = {k: v for k, v in printed.items() if k not in ("seconds", "out")}
    assert {k: v for k, v in res.as_dict().items() if k not in ("seconds", "out")} == expected
    assert (tmp_path / "api.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert "out" not in go.cover(dp, cp, radius_m=200, budget=1).as_dict()


def test_json_stdout_is_clean_in_a_fresh_process(tmp_path):
    """highspy prints a banner on fd 1 the first time a solver is built: it must not reach
    the JSON output."""
    import subprocess
    import sys

    dp, cp = write_points(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo_outreach",
            "cover",
            "--demand",
            str(dp),
            "--candidates",
            str(cp),
            "--radius-m",
            "200",
            "--budget",
            "2",
            "--weight",
            "w",
            "--method",
            "exact",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["chosen"] == ["b", "c"]


def test_highs_banner_is_silenced():
    """The exact solver in a fresh process prints nothing on stdout (no HiGHS banner)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, scipy.sparse as sp\n"
        "from geo_outreach.coverage import maximize_coverage\n"
        "rng = np.random.default_rng(0)\n"
        "a = sp.csc_matrix((rng.random((200, 40)) < 0.08).astype(np.uint8))\n"
        "w = rng.integers(1, 9, 200).astype(float)\n"
        "sol = maximize_coverage(a, w, 6, method='exact')\n"
        "print(sol.status, sol.method, 'highspy' in sys.modules)\n"  # the MILP did run
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "optimal exact True\n"
