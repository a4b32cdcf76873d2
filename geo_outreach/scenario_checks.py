"""Value checks of a scenario (issue 10): every number finite and in range, weight keys in data.

:data:`RANGES` is the one table of allowed values: the reader checks it (:func:`check_values`,
called by :func:`geo_outreach.scenario.parse_scenario`) and ``docs/SCENARIO.md`` shows it.
:func:`weight_key_warnings` needs the loaded alerts, so ``validate`` and ``plan`` call it.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from geo_outreach._errors import ScenarioError

if TYPE_CHECKING:
    from geo_outreach.scenario import Scenario


@dataclass(frozen=True)
class Range:
    """The allowed values of a numeric scenario key (used by the checks and docs/SCENARIO.md)."""

    low: float
    high: float
    low_open: bool = False  # True: the value must be > low (else >= low)
    unit: str = ""

    def allows(self, value: float) -> bool:
        """Whether ``value`` lies in the range."""
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def text(self) -> str:
        """Return the range as a planner reads it, e.g. ``> 0 and <= 50000 (metres)``."""
        low = f"> {_num(self.low)}" if self.low_open else f">= {_num(self.low)}"
        unit = f" ({self.unit})" if self.unit else ""
        return f"{low} and <= {_num(self.high)}{unit}"


def _num(value: float) -> str:
    """Return a number as written in a scenario: ``50000``, ``0.5``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_RADIUS = Range(0.0, 50_000.0, low_open=True, unit="metres, at most 50 km")

#: Allowed values of every numeric key, by key name (in whichever section it appears).
RANGES: dict[str, Range] = {
    "radius_m": _RADIUS,
    "cell_m": _RADIUS,
    "bandwidth_m": _RADIUS,
    "gi_distance_m": _RADIUS,
    "cluster_eps_m": _RADIUS,
    "min_spacing_m": Range(0.0, 50_000.0, unit="metres"),
    "max_outside_km": Range(0.0, 500.0, unit="km beyond the precincts"),
    "half_life_days": Range(0.0, 36_500.0, low_open=True, unit="days"),
    "time_limit_s": Range(0.0, 86_400.0, low_open=True, unit="seconds"),
    "budget": Range(1.0, 100_000.0, unit="sites"),
    "min_per_precinct": Range(0.0, 100_000.0, unit="sites"),
    "min_share_per_precinct": Range(0.0, 1.0, unit="a share"),
    "cluster_min_samples": Range(1.0, 1_000_000.0, unit="alerts"),
    "seed": Range(0.0, 2.0**32 - 1),
    # issue 14: [engine]
    "workers": Range(1.0, 1_024.0, unit="worker processes"),
    "partition_rows": Range(1_000.0, 100_000_000.0, unit="rows per partition"),
}
#: Every value of a ``*_weights`` table.
WEIGHT_RANGE = Range(0.0, 1_000.0, unit="a weight; 1 = normal")


def _check_number(value: Any, where: str, rng: Range | None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if not math.isfinite(value):
        raise ScenarioError(f"{where} = {value} is not a number; write a finite number")
    if rng is not None and not rng.allows(value):
        raise ScenarioError(f"{where} must be {rng.text()}, got {_num(value)}")


def _check_node(node: Any, where: str) -> None:
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        key = f"{where}.{f.name}" if where else f.name
        if dataclasses.is_dataclass(value):
            _check_node(value, key)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                name = getattr(item, "name", None)
                _check_node(item, f"{key}.{name}" if name else f"{key}[{i}]")
        elif isinstance(value, dict):
            rng = WEIGHT_RANGE if f.name.endswith("_weights") else None
            for k, v in value.items():
                _check_number(v, f"{key}.{k}", rng)
        else:
            _check_number(value, key, RANGES.get(f.name))


def check_values(sc: Scenario) -> None:
    """Check every number of a scenario: finite, and inside :data:`RANGES`.

    Raises
    ------
    ScenarioError
        Naming the key (``channels.banners.radius_m``), the allowed range and the value.
    """
    _check_node(sc, "")


def weight_key_warnings(
    sc: Scenario, categories: typing.Iterable[str], age_bands: typing.Iterable[str]
) -> list[str]:
    """Return a warning per weight key that matches no value in the loaded alerts.

    Parameters
    ----------
    sc
        The scenario.
    categories, age_bands
        The values present in the alerts' ``category`` and ``age_band`` columns.

    Returns
    -------
    list of str
        One line per table with unmatched keys, listing the values that exist.
    """
    present = {
        "category_weights": sorted({str(c) for c in categories if str(c)}),
        "age_weights": sorted({str(a) for a in age_bands if str(a)}),
    }
    tables: list[tuple[str, str, dict[str, float]]] = [
        ("analysis.category_weights", "category_weights", sc.analysis.category_weights)
    ]
    for ch in sc.channels:
        where = f"channels.{ch.name}"
        tables.append((f"{where}.category_weights", "category_weights", ch.category_weights))
        tables.append((f"{where}.age_weights", "age_weights", ch.age_weights))
    out = []
    for where, kind, weights in tables:
        missing = [k for k in weights if k not in present[kind]]
        if missing:
            values = ", ".join(present[kind][:30]) or "(none)"
            column = "category" if kind == "category_weights" else "age_band"
            out.append(
                f"{where}: {', '.join(map(repr, missing))} match no alert {column}; "
                f"the alerts have: {values}"
            )
    return out
