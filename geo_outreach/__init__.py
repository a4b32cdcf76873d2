"""geo_outreach: where to put anti-fraud outreach effort, shown on maps that open offline.

The Python API (see :mod:`geo_outreach.api`)::

    import geo_outreach as go

    p = go.plan("scenario.toml")                 # Plan: data, analytics, channels; writes nothing
    p = go.plan("scenario.toml", out="outputs")  # the files of `geo-outreach plan`

The stage modules are re-exported (``go.io``, ``go.analytics``, ``go.channels`` ...), osmnx style.
``go.plan`` is the function; the module is :mod:`geo_outreach.plan` (``build_plan``).
"""

from geo_outreach._version import __version__

# the stage modules, bottom to top (see docs: one floor imports only the floors below it)
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
