"""shim: removed at integration -- test_reproducible imports the layout builders from here;
they live in tests/conftest.py now, the backtest tests in tests/backtest/."""

from tests.conftest import CHANNELS, layout_rows, venues_csv

__all__ = ["CHANNELS", "layout_rows", "venues_csv"]
