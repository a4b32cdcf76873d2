"""Issue 14: CSV tables with cells that pandas quotes are written by pyarrow, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_outreach import outputs


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    alphabet = list(',"=+- a1.é警') + ["\u3000"]
    texts: list[object] = [
        "".join(rng.choice(alphabet, size=int(rng.integers(0, 6)))) for _ in range(n)
    ]
    texts[::17] = [None] * len(texts[::17])
    share = np.round(rng.uniform(-5, 5, n), 3)
    share[::13] = np.nan
    return pd.DataFrame(
        {
            "layer": pd.array(["alerts"] * n, dtype="str"),
            "value": pd.array(texts, dtype="str"),
            "note": pd.Series(texts[::-1], dtype=object),
            "row": rng.integers(-5, 10**9, n),
            "share": share,
        }
    )


def _pandas_bytes(frame: pd.DataFrame, path: Path) -> bytes:
    outputs.excel_safe(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path.read_bytes()


def test_quoted_cells_are_written_as_pandas_writes_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(outputs, "FAST_CSV_ROWS", 0)
    frame = _frame(np.random.default_rng(14), 2000)
    safe = outputs.excel_safe(frame)
    assert outputs._arrow_csv(safe) is None  # pyarrow refuses the quoted cells ...
    assert outputs._quoted_csv(safe) is not None  # ... and the quoting writer takes them
    got = outputs.write_csv(tmp_path / "fast.csv", frame).read_bytes()
    assert got.count(b'"') > 100
    assert got == _pandas_bytes(frame, tmp_path / "pandas.csv")


@pytest.mark.parametrize("cell", ["two\nlines", "a\rb"])
def test_line_breaks_are_left_to_pandas(tmp_path: Path, monkeypatch, cell: str) -> None:
    monkeypatch.setattr(outputs, "FAST_CSV_ROWS", 0)
    frame = _frame(np.random.default_rng(15), 50)
    frame.loc[7, "note"] = cell
    assert outputs._quoted_csv(outputs.excel_safe(frame)) is None
    got = outputs.write_csv(tmp_path / "fast.csv", frame).read_bytes()
    assert got == _pandas_bytes(frame, tmp_path / "pandas.csv")
