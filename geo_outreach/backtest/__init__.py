"""Backtest: would the plan have reached the fraud that actually happened next.

- :mod:`.windows`: split / rolling windows;
- :mod:`.metrics`: hit rate, PAI, PEI*, area share, bootstrap intervals;
- :mod:`.baselines`: random, top-k, naive hot spot, oracle;
- :mod:`.summary`: :class:`BacktestResult`, ``evaluation.json``, the text table, the files;
- :mod:`.run`: :func:`evaluate` -> :class:`BacktestResult` (no drawing, no printing).
"""

from geo_outreach.backtest.baselines import METHODS
from geo_outreach.backtest.run import evaluate
from geo_outreach.backtest.summary import (
    ALL,
    CSV_COLUMNS,
    MEAN,
    METHOD_LABELS,
    OUTPUT_FILES,
    SCHEMA,
    BacktestResult,
    format_table,
    summarize,
    write_evaluation,
)
from geo_outreach.backtest.windows import Window, split_windows

__all__ = [
    "ALL",
    "CSV_COLUMNS",
    "MEAN",
    "METHODS",
    "METHOD_LABELS",
    "OUTPUT_FILES",
    "SCHEMA",
    "BacktestResult",
    "Window",
    "evaluate",
    "format_table",
    "split_windows",
    "summarize",
    "write_evaluation",
]
