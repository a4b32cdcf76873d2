"""Compatibility re-exports of :mod:`geo_outreach.render` for modules not yet moved."""

# shim: removed at integration
from geo_outreach.render import render_outputs
from geo_outreach.render.folder import OutputFolder, load_output_folder
from geo_outreach.render.webmap import BASEMAPS, render_map, resolve_basemap

__all__ = [
    "BASEMAPS",
    "OutputFolder",
    "load_output_folder",
    "render_map",
    "render_outputs",
    "resolve_basemap",
]
