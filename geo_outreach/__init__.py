"""geo_outreach: where to put anti-fraud outreach effort, shown on maps that open offline.

The Python API (see :mod:`geo_outreach.api`)::

    import geo_outreach as go

    p = go.plan("scenario.toml")                 # Plan: data, analytics, channels; writes nothing
    p = go.plan("scenario.toml", out="outputs")  # the files of `geo-outreach plan`

The stage modules are re-exported (``go.io``, ``go.analytics``, ``go.channels`` ...), osmnx style.
``go.plan`` is the function; the module is :mod:`geo_outreach.plan` (``build_plan``).

Issue 14: the names are imported on first use (PEP 562 ``__getattr__``), so ``import
geo_outreach`` and ``geo-outreach --help`` do not pay for pandas, scipy, statsmodels and the
rest before they are needed.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from geo_outreach._version import __version__

if TYPE_CHECKING:  # what the lazy names below are, for mypy and editors
    from geo_outreach import (  # noqa: I001 - pipeline order, not alphabetical
        scenario,
        i18n,
        crs,
        join,
        outputs,
        io,
        osm,
        stats,
        density,
        hotspots,
        analytics,
        coverage,
        channels,
        backtest,
        render,
    )
    from geo_outreach.api import Plan, cover, evaluate, load_scenario, plan

#: The stage modules, bottom to top (see docs: one floor imports only the floors below it).
_MODULES = (
    "scenario",
    "i18n",
    "crs",
    "join",
    "outputs",
    "io",
    "osm",
    "stats",
    "density",
    "hotspots",
    "analytics",
    "coverage",
    "channels",
    "backtest",
    "render",
)
#: The API functions and class, from :mod:`geo_outreach.api`.
_API = ("Plan", "cover", "evaluate", "load_scenario", "plan")

__all__ = [
    "Plan",
    "__version__",
    "analytics",
    "backtest",
    "channels",
    "cover",
    "coverage",
    "crs",
    "density",
    "evaluate",
    "hotspots",
    "i18n",
    "io",
    "join",
    "load_scenario",
    "osm",
    "outputs",
    "plan",
    "render",
    "scenario",
    "stats",
]


def __getattr__(name: str) -> Any:
    """Import a re-exported stage module or API name on first use (PEP 562)."""
    if name in _API:
        api = importlib.import_module("geo_outreach.api")
        for key in _API:  # all at once: ``go.plan`` is the function, not the module
            globals()[key] = getattr(api, key)
        return globals()[name]
    if name in _MODULES:
        module = importlib.import_module(f"geo_outreach.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'geo_outreach' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Return the public names, imported or not (``dir(geo_outreach)``, tab completion)."""
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The module type of this package: ``go.plan`` stays the API function.

    Importing the submodule :mod:`geo_outreach.plan` (the CLI does) makes Python set the
    package's ``plan`` attribute to that module; the eager ``__init__`` of old then rebound it
    to the function. Here that assignment is dropped, so ``go.plan`` still finds the function
    through :func:`__getattr__` (the module stays in ``sys.modules``, for ``from
    geo_outreach.plan import build_plan``).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
