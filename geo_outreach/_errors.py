"""Exception types.

Every expected failure is one of these, with a message that says what went wrong, where
(file, row, column) and how to fix it. The CLI turns them into one line on stderr and exit
code 2 (bad input) without a traceback.
"""


class GeoOutreachError(Exception):
    """Base class of every error geo_outreach raises on purpose."""


class InputDataError(GeoOutreachError, ValueError):
    """An input layer cannot be used (missing file, column, CRS, no usable rows ...)."""


class ScenarioError(GeoOutreachError, ValueError):
    """The scenario file is invalid (unknown key, wrong type, bad value)."""


class InfeasiblePlanError(GeoOutreachError, RuntimeError):
    """Constraints cannot all be met (e.g. a precinct minimum no venue can satisfy)."""


class NetworkUnavailableError(GeoOutreachError, RuntimeError):
    """A command that needs the network (OSM download) could not reach it."""
