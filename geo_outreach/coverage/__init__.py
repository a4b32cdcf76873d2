"""Maximal covering: geometry -> sparse coverage matrix, kept apart from matrix -> solution.

Two steps, as in spopt (``from_geodataframe`` -> cost matrix, ``from_cost_matrix`` -> solve),
but sparse throughout (never a dense n x m matrix) and with a bound on every answer.

Modules, bottom to top:

* :mod:`~geo_outreach.coverage.matrix` - geometry -> matrix: straight-line and walking
  coverage, street index and snapping, service areas;
* :mod:`~geo_outreach.coverage.reduce` - exact reductions (merged demand rows, single-cover
  folding, dominated candidates);
* :mod:`~geo_outreach.coverage.constraints` - spacing conflicts, site and share minimums
  per group (feasibility checked up front, naming the group);
* :mod:`~geo_outreach.coverage.heuristics` - lazy greedy, swap search, iterated local search;
* :mod:`~geo_outreach.coverage.bound` - Lagrangian bound, forced (reduced-cost) bounds;
* :mod:`~geo_outreach.coverage.milp` - the HiGHS model, one ``_add_*_rows`` per constraint
  family, presolve and threshold passes;
* :mod:`~geo_outreach.coverage.curves` - covered weight, rank order, coverage curve, gaps;
* :mod:`~geo_outreach.coverage.problem` - argument checks, reduction and group feasibility
  (the first phase of a solve);
* :mod:`~geo_outreach.coverage.solve` - :func:`maximize_coverage` over its phases.

Constraints (all methods): existing sites (cover, do not use budget), a minimum number of
sites per candidate group (precinct), a minimum covered share per demand group, and a
minimum spacing between chosen sites. The exact model enforces them all; greedy honours
them greedily (groups are seeded first, spacing by skipping conflicting candidates) and
says so in ``notes``. The bound ignores them (so it stays a valid, maybe looser, bound).
"""

from __future__ import annotations


from geo_outreach.coverage.bound import lagrangian_bound
from geo_outreach.coverage.curves import coverage_curve, covered_weight, gap_analysis, rank_order
from geo_outreach.coverage.matrix import (
    StreetAccess,
    StreetIndex,
    coverage_matrix_euclidean,
    coverage_matrix_network,
    prepare_network,
    service_areas,
)
from geo_outreach.coverage.reduce import ReducedDemand, reduce_demand
from geo_outreach.coverage.solve import (
    AUTO_EXACT_MAX_NNZ,
    METHODS,
    CoverageSolution,
    SolveMethod,
    maximize_coverage,
)

__all__ = [
    "AUTO_EXACT_MAX_NNZ",
    "METHODS",
    "CoverageSolution",
    "ReducedDemand",
    "SolveMethod",
    "StreetAccess",
    "StreetIndex",
    "coverage_curve",
    "coverage_matrix_euclidean",
    "coverage_matrix_network",
    "covered_weight",
    "gap_analysis",
    "lagrangian_bound",
    "maximize_coverage",
    "prepare_network",
    "rank_order",
    "reduce_demand",
    "service_areas",
]
