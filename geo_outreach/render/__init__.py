"""Rendering: ``map.html`` and the briefing, drawn from the files of an output folder.

The top of this floor: :func:`render_outputs` reads the folder once
(:mod:`~geo_outreach.render.folder`) and writes the web map (:mod:`~geo_outreach.render.webmap`)
and the briefing (:mod:`~geo_outreach.render.briefing`). The modules below it import each other
only downwards: folder, format -> style -> layers, assets -> webmap, static_map -> briefing.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo_outreach.render.naming import lang_name, parse_langs

if TYPE_CHECKING:  # imported on first use (issue 14: ``render.naming`` is light, the CLI's)
    from geo_outreach.render.briefing import BriefingMaps, render_briefing
    from geo_outreach.render.folder import OutputFolder, load_output_folder
    from geo_outreach.render.webmap import BASEMAPS, render_map, resolve_basemap

log = logging.getLogger(__name__)

#: Re-exported name -> its module (imported on first use, PEP 562: the submodule
#: ``geo_outreach.render.naming`` must not pull in pandas and matplotlib's neighbours)
_LAZY = {
    "BASEMAPS": "webmap",
    "OutputFolder": "folder",
    "load_output_folder": "folder",
    "render_briefing": "briefing",
    "render_map": "webmap",
    "resolve_basemap": "webmap",
}


def __getattr__(name: str) -> Any:
    """Import a re-exported name from its submodule on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BASEMAPS",
    "OutputFolder",
    "draw_briefing_maps_early",
    "lang_name",
    "load_output_folder",
    "render_briefing",
    "render_map",
    "render_briefings",
    "render_maps",
    "render_outputs",
    "resolve_basemap",
]


def render_outputs(
    out_dir: str | Path | OutputFolder,
    *,
    basemap: str | None = None,
    lang: str | Sequence[str] | None = None,
) -> dict[str, Path]:
    """Render the map and the briefing from the files of an output folder, per language.

    Chinese files are ``map.html``, ``briefing.html``, ``briefing.png``, ``briefing.pdf``;
    another language writes ``map.en.html``, ``briefing.en.html`` ... beside them (never over
    them).

    Parameters
    ----------
    out_dir
        The output folder of a plan, or that folder already read (issue 14: ``plan`` reads
        it once for the render and the exports).
    basemap
        See :func:`geo_outreach.render.webmap.resolve_basemap`; default: the manifest's
        ``output.basemap``, else ``none``.
    lang
        ``zh``, ``en``, ``"zh,en"`` or a sequence of languages; default: the manifest's
        ``output.lang``, else ``zh``.

    Returns
    -------
    dict
        The written files by kind (``map``, ``briefing_html``, ``briefing_png``,
        ``briefing_pdf``) for the first language, ``<kind>_<lang>`` for the others; PNG/PDF
        are left out, with a logged warning, if they cannot be drawn.

    Raises
    ------
    InputDataError
        When the folder is not a plan's output folder (no ``manifest.json`` or
        ``precincts.geojson``) or a file in it was not written by this version.
    ValueError
        For an unsupported language.
    """
    from geo_outreach.render.briefing import start_briefing
    from geo_outreach.render.folder import OutputFolder, load_output_folder

    folder = out_dir if isinstance(out_dir, OutputFolder) else load_output_folder(out_dir)
    basemap, langs = _settings(folder, basemap, lang)
    written: dict[str, Path] = {}
    for i, code in enumerate(langs):
        suffix = "" if i == 0 else f"_{code}"
        # issue 14: Chromium prints the briefing while the web map is drawn
        briefing, finish = start_briefing(folder, lang=code)
        written["map" + suffix] = _write_map(folder, basemap, code)
        for kind, path in {**briefing, **finish()}.items():
            written[kind + suffix] = path
    log.info("rendered %s", ", ".join(str(p) for p in written.values()))
    return written


def _settings(
    folder: OutputFolder, basemap: str | None, lang: str | Sequence[str] | None
) -> tuple[str, list[str]]:
    """Return the base map and the languages: as given, else the manifest's, else the defaults."""
    cfg = folder.manifest.get("output") or {}
    basemap = basemap if basemap is not None else cfg.get("basemap") or "none"
    return basemap, list(parse_langs(lang if lang is not None else cfg.get("lang") or "zh"))


def _write_map(folder: OutputFolder, basemap: str, lang: str) -> Path:
    from geo_outreach.outputs import write_text
    from geo_outreach.render.webmap import render_map

    page = render_map(folder, basemap=basemap, lang=lang)
    return write_text(folder.path / lang_name("map.html", lang), page)


def render_maps(
    folder: OutputFolder, *, basemap: str | None = None, lang: str | Sequence[str] | None = None
) -> dict[str, Path]:
    """Write only the web maps of :func:`render_outputs` (issue 14: in a worker process).

    Returns
    -------
    dict
        ``map`` (first language), ``map_<lang>`` (the others).
    """
    basemap, langs = _settings(folder, basemap, lang)
    return {
        "map" + ("" if i == 0 else f"_{code}"): _write_map(folder, basemap, code)
        for i, code in enumerate(langs)
    }


def render_briefings(
    folder: OutputFolder,
    *,
    lang: str | Sequence[str] | None = None,
    drawn: Callable[[], dict[str, tuple[BriefingMaps, dict[str, Path]]]] | None = None,
) -> dict[str, Path]:
    """Write only the briefings of :func:`render_outputs` (keys as there, without the maps).

    ``drawn``: waits for and returns what :func:`draw_briefing_maps_early` drew (language ->
    maps), called once the first page is built (else the maps are drawn here).
    """
    from geo_outreach.render.briefing import start_briefing

    _, langs = _settings(folder, None, lang)
    got = functools.cache(drawn) if drawn is not None else None
    written: dict[str, Path] = {}
    for i, code in enumerate(langs):
        maps = (lambda c=code: got()[c]) if got is not None else None
        briefing, finish = start_briefing(folder, lang=code, drawn=maps)
        for kind, path in {**briefing, **finish()}.items():
            written[kind + ("" if i == 0 else f"_{code}")] = path
    return written


def draw_briefing_maps_early(
    out_dir: Path, manifest: dict[str, Any], *, lang: str | Sequence[str]
) -> dict[str, tuple[BriefingMaps, dict[str, Path]]]:
    """Issue 14: draw the briefings' static maps and write ``briefing.png`` before the manifest.

    ``plan`` runs this in a worker process as soon as the channels are written, beside the
    playbook: the static maps need only the layers and the manifest's title, period, notes
    and channels, which ``manifest`` (built as the final one) holds.

    Returns
    -------
    dict
        Language -> what :func:`geo_outreach.render.briefing.draw_briefing_maps` returned,
        for :func:`render_briefings`.
    """
    from geo_outreach.render.briefing import draw_briefing_maps
    from geo_outreach.render.folder import load_output_folder

    folder = load_output_folder(out_dir, alerts=False, manifest=manifest)
    _, langs = _settings(folder, None, lang)
    return {code: draw_briefing_maps(folder, code) for code in langs}
