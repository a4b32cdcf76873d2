"""``geo-outreach validate``: every check ``plan`` runs, without writing anything (issue 10).

:func:`validate_scenario` loads the layers, counts each channel's candidates and, when they are
usable, runs the analytics, the channel solvers and the playbook as ``plan`` would; what would
make the plan wrong or fail becomes a problem. The checks themselves live where ``plan`` runs
them (:func:`geo_outreach.plan.layer_problems`, :func:`geo_outreach.plan.scenario_warnings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_outreach import analytics, channels
from geo_outreach._errors import GeoOutreachError
from geo_outreach.channels import ChannelsResult
from geo_outreach.io import StudyData, load_study
from geo_outreach.plan import (
    Progress,
    _run_playbook,
    _Timer,
    layer_problems,
    place_channels,
    placed_channels,
    scenario_warnings,
)
from geo_outreach.scenario import Scenario

__all__ = ["Validation", "validate_scenario"]


@dataclass(frozen=True)
class Validation:
    """What ``geo-outreach validate`` found: the data, candidates per channel, and problems.

    Attributes
    ----------
    data
        The loaded study data.
    candidates
        Channel name -> number of candidate venues (venue channels only).
    warnings
        Things to look at that do not stop a plan (weight keys matching no alert ...).
    problems
        What would make the plan wrong or fail; ``validate`` exits 2 when there is any.
    """

    data: StudyData
    candidates: dict[str, int]
    warnings: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems


def validate_scenario(
    sc: Scenario, *, progress: Progress | None = None, run_stages: bool = True
) -> Validation:
    """Run every check ``plan`` runs, without writing anything.

    Parameters
    ----------
    sc
        The scenario.
    progress
        Called with a short message as each stage starts and ends.
    run_stages
        Also run the analytics and the channel solvers (what ``plan`` would run), when the
        layers and candidates are usable; their errors become problems.

    Returns
    -------
    Validation

    Raises
    ------
    GeoOutreachError
        When a layer cannot be read at all (the error names the file and the fix).
    """
    timer = _Timer(progress)
    with timer("load"):
        data = load_study(sc, progress=timer.progress)  # issue 14: dask partitions
    problems = layer_problems(data.inputs)
    candidates: dict[str, int] = {}
    for ch in sc.channels:
        if ch.type != "venues":
            continue
        candidates[ch.name] = len(channels.channel_candidates(data, ch))
        if candidates[ch.name] == 0:
            problems.append(
                f"channels.{ch.name}: no candidate venues of kinds {list(ch.venue_kinds)}; add "
                "such venues to a venues file or change venue_kinds"
            )
    warnings = list(data.warnings) + scenario_warnings(sc, data)
    if run_stages and not problems:
        placed: ChannelsResult | None = None
        try:
            with timer("analytics"):
                result = analytics.run_analytics(data, sc.analysis)
            if placed_channels(sc):
                with timer("channels"):
                    placed = place_channels(sc, data, result)
                # visits, materials: the same checks as plan
                _run_playbook(sc, data, placed, result.peak_windows, timer, None, {})
        except GeoOutreachError as exc:
            problems.append(str(exc))
    return Validation(
        data=data, candidates=candidates, warnings=tuple(warnings), problems=tuple(problems)
    )
