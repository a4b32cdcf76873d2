"""The rest of the district's playbook (issue 12): materials, calendar, visits.

Runs after the channels stage: how much material goes to each chosen site
(:mod:`.materials`), when to hold events (:mod:`.schedule`), which firms and schools the
community police visit and when (:mod:`.visits`), and which elderly residents the grid
officers and workers visit (:mod:`.grid`). :func:`run_playbook` runs them all,
:func:`write_playbook` writes their files.
"""

from __future__ import annotations

from geo_outreach.playbook.grid import benefit_scores, generated_grid, plan_grid_visits, walk_order
from geo_outreach.playbook.materials import allocate, largest_remainder, plan_materials
from geo_outreach.playbook.schedule import best_slot, calendar_table, channel_slots
from geo_outreach.playbook.stage import (
    PlaybookResult,
    VisitPlans,
    has_playbook,
    plan_visit_channels,
    run_playbook,
    write_playbook,
)
from geo_outreach.playbook.visits import plan_visits

__all__ = [
    "PlaybookResult",
    "VisitPlans",
    "allocate",
    "benefit_scores",
    "best_slot",
    "calendar_table",
    "channel_slots",
    "generated_grid",
    "has_playbook",
    "largest_remainder",
    "plan_grid_visits",
    "plan_materials",
    "plan_visit_channels",
    "plan_visits",
    "run_playbook",
    "walk_order",
    "write_playbook",
]
