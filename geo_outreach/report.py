"""Compatibility re-exports of :mod:`geo_outreach.render` for modules not yet moved."""

# shim: removed at integration
from geo_outreach.render.briefing import briefing_html, headline_figures, render_briefing
from geo_outreach.render.static_map import static_map_figure
from geo_outreach.render.style import cjk_font

__all__ = ["briefing_html", "cjk_font", "headline_figures", "render_briefing", "static_map_figure"]
