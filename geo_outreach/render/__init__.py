"""Rendering: ``map.html`` and the briefing, drawn from the files of an output folder.

The top of this floor: :func:`render_outputs` reads the folder once
(:mod:`~geo_outreach.render.folder`) and writes the web map (:mod:`~geo_outreach.render.webmap`)
and the briefing (:mod:`~geo_outreach.render.briefing`). The modules below it import each other
only downwards: folder, format -> style -> layers, assets -> webmap, static_map -> briefing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from geo_outreach.i18n import check_lang
from geo_outreach.outputs import write_text
from geo_outreach.render.briefing import render_briefing
from geo_outreach.render.folder import OutputFolder, load_output_folder
from geo_outreach.render.webmap import BASEMAPS, render_map, resolve_basemap

log = logging.getLogger(__name__)

__all__ = [
    "BASEMAPS",
    "OutputFolder",
    "load_output_folder",
    "render_briefing",
    "render_map",
    "render_outputs",
    "resolve_basemap",
]


def render_outputs(
    out_dir: str | Path, *, basemap: str | None = None, lang: str | None = None
) -> dict[str, Path]:
    """Render ``map.html`` and the briefing from the files of an output folder.

    Parameters
    ----------
    out_dir
        The output folder of a plan.
    basemap
        See :func:`geo_outreach.render.webmap.resolve_basemap`; default: the manifest's
        ``output.basemap``, else ``none``.
    lang
        ``zh`` or ``en``; default: the manifest's ``output.lang``, else ``zh``.

    Returns
    -------
    dict
        The written files by kind (``map``, ``briefing_html``, ``briefing_png``,
        ``briefing_pdf``); PNG/PDF are left out, with a logged warning, if they cannot be drawn.

    Raises
    ------
    InputDataError
        When the folder is not a plan's output folder (no ``manifest.json`` or
        ``precincts.geojson``) or a file in it was not written by this version.
    """
    folder = load_output_folder(out_dir)
    cfg = folder.manifest.get("output") or {}
    basemap = basemap if basemap is not None else cfg.get("basemap") or "none"
    lang = check_lang(lang if lang is not None else cfg.get("lang") or "zh")
    written: dict[str, Path] = {}
    page = render_map(folder, basemap=basemap, lang=lang)
    written["map"] = write_text(folder.path / "map.html", page)
    written.update(render_briefing(folder, lang=lang))
    log.info("rendered %s", ", ".join(str(p) for p in written.values()))
    return written
