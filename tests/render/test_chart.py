"""evaluation.png carries the synthetic label when the data is synthetic (issue 11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_outreach.backtest.baselines import METHODS
from geo_outreach.backtest.summary import BacktestResult
from geo_outreach.render.chart import SYNTHETIC_RED, write_evaluation_chart


def _result(synthetic: bool) -> BacktestResult:
    rows = [
        {
            "split": "2025-05-01",
            "channel": ch,
            "method": m,
            "hit_rate": 0.1 + 0.05 * i,
            "hit_rate_lo": 0.05 + 0.05 * i,
            "hit_rate_hi": 0.15 + 0.05 * i,
            "pai": 1.0 + i,
        }
        for ch in ("plazas", "all")
        for i, m in enumerate(METHODS)
    ]
    summary = {
        "summary_split": "2025-05-01",
        "channels": {"plazas": {"label": "广场舞宣传"}},
        "synthetic": synthetic,
    }
    return BacktestResult(table=pd.DataFrame(rows), summary=summary)


def _red_pixels(png: Path) -> int:
    from PIL import Image

    rgb = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    target = np.array([int(SYNTHETIC_RED[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).max(axis=2) <= 6).sum())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_evaluation_chart_is_labelled_synthetic(tmp_path: Path, lang: str) -> None:
    real = write_evaluation_chart(_result(False), tmp_path / "real.png", lang=lang)
    synth = write_evaluation_chart(_result(True), tmp_path / "synth.png", lang=lang)
    assert _red_pixels(real) == 0
    assert _red_pixels(synth) > 2000  # the banner: a solid block of the briefing's red
