"""Fixtures of the backtest tests: the layout scenario of tests/conftest.py, a street grid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CHANNELS, layout_rows, venues_csv, xy_to_lonlat

FAST = ["--n-boot", "50", "--n-random", "8", "--quiet"]


@pytest.fixture
def layout(scenario_factory, tmp_path: Path) -> Callable[..., Path]:
    """Scenario path of the layout (venues CSV with a kind column, one plaza channel)."""

    def make(
        rows: list[dict] | None = None, *, channels: str = CHANNELS, alerts_extra: str = ""
    ) -> Path:
        venues_csv(tmp_path / "venues.csv")
        return scenario_factory(
            layout_rows() if rows is None else rows,
            alerts_extra=alerts_extra,
            venues='[[venues]]\npath = "venues.csv"\n',
            extra=channels,
        )

    return make


def grid_streets_osm(path: Path, *, step: int = 250) -> Path:
    """A street grid every ``step`` m over the 6 km x 2 km layout, as OSM XML."""
    xs, ys = range(0, 6001, step), range(0, 2001, step)
    ids = {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for x in xs:
        for y in ys:
            ids[x, y] = len(ids) + 1
            lon, lat = xy_to_lonlat(x, y)
            lines.append(f'<node id="{ids[x, y]}" lat="{float(lat):.7f}" lon="{float(lon):.7f}"/>')
    way = 1
    for y in ys:
        refs = "".join(f'<nd ref="{ids[x, y]}"/>' for x in xs)
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for x in xs:
        refs = "".join(f'<nd ref="{ids[x, y]}"/>' for y in ys)
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
