"""What each outreach channel wants, and where it goes.

- :mod:`.problem`: :class:`ChannelProblem` (weights, demand, candidates incl. junctions,
  existing sites, coverage matrix, reach) and :func:`solve_channel`, used by the plan and the
  backtest alike;
- :mod:`.patrol`: patrol stops among hot-spot cells, tour order, route, time windows;
- :mod:`.placements`: :func:`plan_channels` -> :class:`ChannelsResult`, uncovered hot spots,
  :func:`write_channels`.
"""

from geo_outreach.channels.patrol import (
    HOT_CLASSES,
    ROUTE_COLUMNS,
    PatrolRoute,
    patrol_candidates,
    patrol_route,
    tour_order,
)
from geo_outreach.channels.placements import (
    CURVE_COLUMNS,
    PLACEMENT_COLUMNS,
    REACH_COLUMNS,
    ChannelsResult,
    plan_channels,
    uncovered_hotspots,
    write_channels,
)
from geo_outreach.channels.demand import channel_demand, channel_weights  # issue 13: moved
from geo_outreach.channels.problem import (
    ChannelProblem,
    channel_candidates,
    channel_problem,
    coverage_of,
    existing_positions,
    junctions,
    reach_geometries,
    solve_channel,
)

__all__ = [
    "CURVE_COLUMNS",
    "HOT_CLASSES",
    "PLACEMENT_COLUMNS",
    "REACH_COLUMNS",
    "ROUTE_COLUMNS",
    "ChannelProblem",
    "ChannelsResult",
    "PatrolRoute",
    "channel_candidates",
    "channel_demand",
    "channel_problem",
    "channel_weights",
    "coverage_of",
    "existing_positions",
    "junctions",
    "patrol_candidates",
    "patrol_route",
    "plan_channels",
    "reach_geometries",
    "solve_channel",
    "tour_order",
    "uncovered_hotspots",
    "write_channels",
]
