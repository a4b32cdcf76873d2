"""``geo-outreach effect`` and ``geo-outreach log validate`` on the bundled sample (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo_outreach._validate import EFFECT_OUTPUT_FILES, check_output
from geo_outreach.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "xinhui_demo.toml"
LOG = REPO / "data" / "sample" / "campaign_log.csv"


def test_log_validate_lists_rejects_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "validate", str(LOG)]) == 1
    out = capsys.readouterr().out
    assert "99 rows usable, 4 rejected" in out
    assert "row 100, column 结束日期: end date before start date" in out
    assert "add --scenario" in out


def test_effect_on_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["effect", str(SAMPLE), "--log", str(LOG), "--out", str(tmp_path),
               "--synthetic-log", "-q"])  # fmt: skip
    assert rc == 0
    out = capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == set(EFFECT_OUTPUT_FILES)
    check_output("effect.csv", pd.read_csv(tmp_path / "effect.csv"))
    check_output("campaign_log_rejects.csv", pd.read_csv(tmp_path / "campaign_log_rejects.csv"))
    s = json.loads((tmp_path / "effect.json").read_text(encoding="utf-8"))
    assert s["log"]["rows_loaded"] == 97 and s["log"]["rows_rejected"] == 6
    assert s["areas"]["treated"] + s["areas"]["control"] == s["areas"]["used"] == 11
    assert s["synthetic"] is True and "SYNTHETIC campaign log" in s["notes"]
    # the verdict claims nothing: the pre-trend check fails on the sample (see
    # test_the_planted_effect_is_inside_the_ci_on_the_sample)
    assert s["claim"] is False
    assert s["wording"]["zh"] in out
    assert (tmp_path / "effect.png").stat().st_size > 10_000


def test_effect_needs_a_log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["effect", str(SAMPLE), "--log", str(tmp_path / "nope.csv"), "-q"])
    assert rc == 2
    assert "file not found (campaign_log layer)" in capsys.readouterr().err


def test_sample_log_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_campaign_log", REPO / "scripts" / "make_campaign_log.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--out", str(tmp_path / "log.csv")]) == 0
    assert (tmp_path / "log.csv").read_bytes() == LOG.read_bytes()


def test_effect_finds_the_log_in_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --log: the scenario's [campaign_log] (the demo has one); without either: exit 2."""
    assert main(["effect", str(SAMPLE), "--out", str(tmp_path), "-q"]) == 0
    s = json.loads((tmp_path / "effect.json").read_text(encoding="utf-8"))
    assert s["log"]["rows_loaded"] == 97 and s["synthetic"] is True
    assert "SYNTHETIC campaign log" in s["notes"]  # [campaign_log] synthetic = true
    text = SAMPLE.read_text(encoding="utf-8")
    bare = tmp_path / "bare.toml"
    bare.write_text(text[: text.index("[campaign_log]")], encoding="utf-8")
    capsys.readouterr()
    assert main(["effect", str(bare), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "pass --log LOG or add a [campaign_log] section" in capsys.readouterr().err


def test_campaign_log_section_is_checked() -> None:
    from geo_outreach._errors import ScenarioError
    from geo_outreach.scenario import parse_scenario

    base = {"precincts": {"path": "p.geojson"}, "alerts": {"path": "a.csv"}}
    sc = parse_scenario({**base, "campaign_log": {"path": "log.xlsx", "datum": "gcj02",
                                                  "sheet": "活动"}}, base=REPO)  # fmt: skip
    assert sc.campaign_log is not None and sc.campaign_log.path == REPO / "log.xlsx"
    assert sc.campaign_log.datum == "gcj02" and sc.campaign_log.sheet == "活动"
    with pytest.raises(ScenarioError, match="campaign_log.datum"):
        parse_scenario({**base, "campaign_log": {"path": "l.csv", "datum": "wgs"}}, base=REPO)
    with pytest.raises(ScenarioError, match="needs the key 'path'"):
        parse_scenario({**base, "campaign_log": {"datum": "gcj02"}}, base=REPO)


def test_the_planted_effect_is_inside_the_ci_on_the_sample() -> None:
    """scripts/make_sample.py removed 20 % of the alerts within 800 m of the square-dance sites
    from each site's first event on. On the precinct x month panel that is a smaller change:
    the planted value on the estimator's scale is -(removed) / (alerts the treated precincts
    would have had after their start), with removed = kept exposed alerts x 0.2 / 0.8."""
    import numpy as np

    from geo_outreach.effect.run import run_effect, scenario_log
    from geo_outreach.io import load_study
    from geo_outreach.scenario import load_scenario

    sc = load_scenario(SAMPLE)
    src = scenario_log(sc)
    assert src is not None
    res = run_effect(sc, src, channels=("square_dance",))
    est, frame = res.estimate, res.panel.frame
    assert est.n_treated == 5 and est.n_control == 6
    # the planted value on the precinct scale, from the alerts kept near the dance sites
    data = load_study(sc)
    acts = res.log.activities[res.log.activities["channel"] == "square_dance"]
    first = acts.groupby("site_id").agg(start=("start", "min"), geometry=("geometry", "first"))
    a = data.alerts
    exposed = np.zeros(len(a), dtype=bool)
    for r in first.itertuples():
        near = a.geometry.distance(r.geometry).to_numpy() <= 800.0
        exposed |= near & (a["reported_at"] >= r.start).to_numpy()
    post = frame[(frame["cohort"] >= 0) & (frame["period"] >= frame["cohort"])]
    month = a["reported_at"].dt.strftime("%Y-%m")
    key = set(zip(post["unit_id"], post["month"], strict=True))
    in_post = np.array([(p, m) in key for p, m in zip(a["precinct_id"], month, strict=True)])
    kept = int((exposed & in_post).sum())
    removed = kept * 0.2 / 0.8
    planted_pct = -100 * removed / (post["alerts"].sum() + removed)
    assert 80 <= kept <= 110 and -10 < planted_pct < -4  # diluted: few alerts reach the sites
    assert est.pct_lo <= planted_pct <= est.pct_hi
    # the check the estimator is built on: treated precincts' pre-trend differs (see the note)
    assert not est.pretrend_ok and est.claim is False
