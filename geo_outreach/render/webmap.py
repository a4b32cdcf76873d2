"""The plan map (``map.html``): one self-contained, offline Leaflet page rendered with folium.

Layers are built by :mod:`geo_outreach.render.layers` into one JSON payload
(``<script type="application/json" id="geo-outreach-data">``) that ``assets/map.js`` draws;
folium only provides the map, the feature groups, tile layers, the density overlay and the
layer control. Element ids are numbered, so a re-render is byte-identical.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from geo_outreach._errors import InputDataError, ScenarioError
from geo_outreach.i18n import check_lang, t
from geo_outreach.render.playbook import playbook_layers  # issue 12
from geo_outreach.render.assets import (
    DensityImage,
    asset,
    density_image,
    inline_script,
    json_for_script,
    offline_assets,
)
from geo_outreach.render.effect import PATTERN_COLORS, add_emerging_layer  # issue 13
from geo_outreach.render.folder import OutputFolder
from geo_outreach.render.format import esc
from geo_outreach.render.geometry import display_reach, rnd, shift
from geo_outreach.render.legend import legend_html
from geo_outreach.render.layers import (
    alerts_layer,
    area_layer,
    channel_layers,
    hotspot_layer,
    patrol_layer,
    precinct_layer,
    streets_lines,
    venues_layer,
)
from geo_outreach.render.popups import cluster_popup, peak_text, uncovered_popup
from geo_outreach.render.style import (
    PATROL_COLOR,
    VENUE_OUTLINE,
    colormap_css,
)

log = logging.getLogger(__name__)

__all__ = ["BASEMAPS", "TIANDITU_KEY_ENV", "Basemap", "render_map", "resolve_basemap"]

# name -> (url template, attribution, datum of the tiles, subdomains)
BASEMAPS: dict[str, tuple[str, str, str, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors",
        "wgs84",
        "abc",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk={tk}",
        "&copy; 天地图 Tianditu",
        "wgs84",
        "01234567",
    ),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi",
        "gcj02",
        "1234",
    ),
}
TIANDITU_KEY_ENV = "TIANDITU_TK"
Json = dict[str, Any]


class Basemap(NamedTuple):
    """A resolved base map choice (``url`` is None for ``none``)."""

    name: str
    url: str | None
    attribution: str
    datum: str
    subdomains: str


def resolve_basemap(basemap: str | None) -> Basemap:
    """Resolve a base map choice.

    Parameters
    ----------
    basemap
        ``none``, ``osm``, ``tianditu`` (key from the environment variable ``TIANDITU_TK``),
        ``amap`` (GCJ-02 tiles) or a tile URL template with ``{z}``, ``{x}``, ``{y}``; prefix a
        custom template with ``gcj02+`` when its tiles are in GCJ-02.

    Returns
    -------
    Basemap
        ``(name, url, attribution, datum, subdomains)``.

    Raises
    ------
    ScenarioError
        For anything else.
    """
    b = (basemap or "none").strip()
    if b.lower() == "none":
        return Basemap("none", None, "", "wgs84", "")
    if b.lower() in BASEMAPS:
        url, attr, datum, subs = BASEMAPS[b.lower()]
        if b.lower() == "tianditu":
            key = os.environ.get(TIANDITU_KEY_ENV, "")
            if not key:
                log.warning(
                    "basemap tianditu: set %s to your Tianditu key, or tiles will not load",
                    TIANDITU_KEY_ENV,
                )
            url = url.replace("{tk}", key)
        return Basemap(b.lower(), url, attr, datum, subs)
    datum = "wgs84"
    if b.lower().startswith("gcj02+"):
        datum, b = "gcj02", b[len("gcj02+") :]
    if all(k in b for k in ("{z}", "{x}", "{y}")):
        return Basemap("custom", b, "", datum, "abc")
    raise ScenarioError(
        f"basemap {basemap!r} is not one of none, osm, tianditu, amap, or a tile URL template with "
        "{z}, {x} and {y} (prefix gcj02+ for GCJ-02 tiles)"
    )


# --------------------------------------------------------------------------- header


_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
_SYN = re.compile(r"\b(SYNTHETIC|ILLUSTRATIVE)\s+(alerts|precincts|venues|streets|population)\b")


def synthetic_layers(notes: list[str]) -> dict[str, list[str]]:
    """List the layers the manifest's notes call synthetic or illustrative.

    Parameters
    ----------
    notes
        ``manifest.json`` ``notes`` (``"SYNTHETIC alerts: ..."``, ``"ILLUSTRATIVE precincts"``).

    Returns
    -------
    dict
        ``{"synthetic": [layer, ...], "illustrative": [...]}`` in first-mention order.
    """
    out: dict[str, list[str]] = {"synthetic": [], "illustrative": []}
    for note in notes:
        for kind, layer in _SYN.findall(note):
            names = out[kind.lower()]
            if layer not in names:
                names.append(layer)
    return out


def banner_text(notes: list[str], lang: str) -> str:
    """Write the synthetic-data banner: the layers that are synthetic, by name.

    "Not real alerts" is said only when the alerts are among them.

    Parameters
    ----------
    notes
        ``manifest.json`` ``notes``.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        Plain text.
    """
    layers = synthetic_layers(notes)
    sep = "、" if lang == "zh" else ", "
    parts = []
    for kind in ("synthetic", "illustrative"):
        if layers[kind]:
            names = sep.join(t(f"syn_{x}", lang) for x in layers[kind])
            parts.append(f"{t(f'synthetic_kind_{kind}', lang)}: {names}")
    if not parts:
        return t("synthetic_banner", lang)
    tail = ""
    if "alerts" in layers["synthetic"] or "alerts" in layers["illustrative"]:
        tail = t("synthetic_not_real_alerts", lang)
    elif any(layers.values()):
        tail = t("synthetic_real_alerts", lang)
    head = t("synthetic_head", lang)
    body = "; ".join(parts)
    return f"{head} — {body}" + (f" — {tail}" if tail else "")


def _page_title(folder: OutputFolder, lang: str) -> str:
    """Return the plan's title (the catalogue's on an English page when it is Chinese)."""
    title = folder.title or t("default_title", lang)
    return t("default_title", lang) if lang == "en" and _CJK.search(title) else title


def _header_html(folder: OutputFolder, lang: str, suffix_key: str) -> str:
    title = _page_title(folder, lang)
    start, end = folder.period
    period = f"{t('period', lang)}: {start} – {end}" if start or end else ""
    parts = ['<div class="go-header" id="go-header">']
    if folder.synthetic:
        shown = folder.notes if lang == "zh" else [_CJK.sub(" ", n) for n in folder.notes]
        notes = "".join(f"<small>{esc(' '.join(n.split()))}</small>" for n in shown if n.strip())
        details = (
            f'<details class="go-notes"><summary>{esc(t("synthetic_notes", lang))}</summary>'
            f"{notes}</details>"
            if notes
            else ""
        )
        parts.append(
            f'<div class="go-banner" id="go-synthetic-banner">'
            f"<span>{esc(banner_text(folder.notes, lang))}</span>{details}</div>"
        )
    parts.append(
        f'<div class="go-title"><h1>{esc(title)} · {esc(t(suffix_key, lang))}</h1>'
        f'<div class="go-period">{esc(period)}</div></div></div>'
    )
    return "".join(parts)


# --------------------------------------------------------------------------- the map


@dataclass
class _Page:
    """The map being built: the folium map, its feature groups, payload and legend sections."""

    m: Any
    lang: str
    datum: str
    groups: dict[str, Any] = field(default_factory=dict)
    payload: Json = field(default_factory=dict)
    legend: Json = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # legend-only layers: density, emerging

    def group(self, key: str, label: str, *, show: bool = True) -> None:
        import folium

        fg = folium.FeatureGroup(name=esc(label), show=show)
        fg.add_to(self.m)
        self.groups[key] = fg

    def add(
        self, key: str, label_key: str, items: Any, *, group: str | None = None, show: bool = True
    ) -> None:
        """Add payload layer ``key`` with its feature group (default: ``key``) if it has items."""
        if items:
            self.group(group or key, t(label_key, self.lang), show=show)
            self.payload[key] = items
            self.legend[key] = True


def _add_tiles(page: _Page, bm: Basemap) -> None:
    import folium

    if not bm.url:
        return
    folium.TileLayer(
        bm.url, attr=bm.attribution or bm.name, name=f"{t('layer_basemap', page.lang)}: {bm.name}",
        subdomains=bm.subdomains, max_zoom=18, overlay=False, control=True,
    ).add_to(page.m)  # fmt: skip
    if bm.name == "tianditu":
        folium.TileLayer(
            bm.url.replace("T=vec_w", "T=cva_w"), attr=bm.attribution, name="tianditu labels",
            subdomains=bm.subdomains, overlay=True, control=False,
        ).add_to(page.m)  # fmt: skip


def _add_density(page: _Page, folder: OutputFolder) -> None:
    import folium

    if folder.density_path is None:
        return
    dens: DensityImage | None
    try:
        dens = density_image(folder.density_path, page.datum)
    except InputDataError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken raster should not cost the whole map
        log.warning("%s: density layer skipped (%s)", folder.density_path, exc)
        dens = None
    if dens is None:
        return
    page.extra["density"] = folium.raster_layers.ImageOverlay(
        dens.uri, bounds=dens.bounds, name=esc(t("layer_density", page.lang)),
        opacity=1.0, interactive=False, zindex=2,
    ).add_to(page.m)  # fmt: skip
    page.legend["density"] = {"css": colormap_css(), "vmin": dens.vmin, "vmax": dens.vmax}


def _add_alerts(page: _Page, folder: OutputFolder) -> None:
    if folder.alerts is None or folder.alerts.empty:
        return
    layer, leg = alerts_layer(folder.alerts, page.datum, page.lang)
    if layer is not None:
        key = "layer_alerts" if layer["mode"] == "points" else "layer_alerts_grid"
        page.group("alerts", t(key, page.lang), show=folder.density_path is None)
        page.payload["alerts"] = layer
        page.legend["alerts"] = leg


def _add_areas(page: _Page, folder: OutputFolder) -> None:
    """Hot spots and clusters."""
    lang, datum = page.lang, page.datum
    if folder.hotspots is not None and not folder.hotspots.empty:
        items = hotspot_layer(shift(folder.hotspots, datum), lang)
        page.add("hotspots", "layer_hotspots", items, show=False)
    if folder.clusters is not None and not folder.clusters.empty:
        items = area_layer(shift(folder.clusters, datum), lambda r: cluster_popup(r, lang))
        page.add("clusters", "layer_clusters", items, show=False)


def _add_venues(page: _Page, folder: OutputFolder) -> None:
    if folder.venues is None or folder.venues.empty:
        return
    vl, kinds = venues_layer(shift(folder.venues, page.datum), page.lang)
    label = f"{t('layer_venues', page.lang)} ({len(vl['pts'])})"
    page.group("venues", label, show=not vl["cluster"])
    page.payload["venues"] = vl
    page.legend["venues"] = list(kinds)


def _dissolve(cells: Any) -> Any:
    """Merge touching hot-spot cells into one outline per area (no grid of dashed squares)."""
    import geopandas as gpd
    import shapely

    geoms = shapely.buffer(cells.geometry.to_numpy(), 1e-6, quad_segs=1)  # lon/lat: ~0.1 m
    merged = shapely.union_all(geoms)
    parts = list(getattr(merged, "geoms", [merged]))
    parts = [shapely.simplify(p, 2e-6) for p in parts if not p.is_empty]
    return gpd.GeoDataFrame(geometry=parts, crs=cells.crs)


def _add_channels(page: _Page, folder: OutputFolder) -> None:
    lang, datum = page.lang, page.datum
    if folder.uncovered is not None and not folder.uncovered.empty:
        unc = _dissolve(shift(folder.uncovered, datum))
        items = area_layer(unc, lambda r: uncovered_popup(r, lang))
        page.add("uncovered", "layer_uncovered", items)
    placements = None if folder.placements is None else shift(folder.placements, datum)
    reach = display_reach(folder.reach)
    reach = None if reach is None else shift(reach, datum)
    channels = channel_layers(folder, placements, reach, lang)
    entries = []
    for i, ch in enumerate(channels):
        key = f"ch{i}"
        page.group(key, f"{t('layer_placements', lang)}: {ch.style.label}")
        entries.append(
            {"color": ch.style.color, "sites": ch.sites, "reach": ch.reach, "group": key}
            | {"name": esc(ch.style.name), "label": esc(ch.style.label), "curve": ch.curve}
        )
    page.payload["channels"] = entries
    page.legend["channels"] = channels
    if folder.patrol is not None and not folder.patrol.empty:
        peaks = peak_text(list(folder.manifest.get("peak_windows") or []), lang)
        layer = patrol_layer(shift(folder.patrol, datum), lang, folder.placements, peaks)
        page.add("patrol", "layer_patrol", layer)
        if layer:
            page.payload["patrol"]["color"] = PATROL_COLOR


def _add_emerging(page: _Page, folder: OutputFolder) -> None:
    """Emerging hot spots (#13, drawn by render.effect) and their legend entry (the patterns)."""
    import json

    if not add_emerging_layer(page.m, folder.path, page.datum, page.lang):
        return
    page.extra["emerging"] = list(page.m._children.values())[-1]  # the layer just added
    feats = json.loads((folder.path / "emerging_hotspots.geojson").read_text(encoding="utf-8"))
    found = {str((f.get("properties") or {}).get("pattern")) for f in feats.get("features", [])}
    page.legend["emerging"] = [p for p in PATTERN_COLORS if p in found]


def _fix_ids(element: Any, counter: list[int] | None = None) -> None:
    """Replace folium's random element ids by a counter so a re-render is byte-identical."""
    counter = counter if counter is not None else [0]
    counter[0] += 1
    element._id = f"go{counter[0]:04d}"
    for child in element._children.values():
        _fix_ids(child, counter)


def _new_map(folder: OutputFolder, precincts: Any, lang: str) -> Any:
    import folium
    from branca.element import Element

    minx, miny, maxx, maxy = precincts.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None,
        control_scale=False, prefer_canvas=False,
    )  # fmt: skip
    m.default_js = []
    m.default_css = []
    root: Any = m.get_root()
    title = _page_title(folder, lang)
    root.title = esc(f"{title} · {t('map_title_suffix', lang)}")
    css, js = offline_assets()
    root.header.add_child(Element(f"<style>\n{css}\n</style>"), name="go_css")
    root.header.add_child(Element(inline_script(js)), name="go_js")
    root.header.add_child(Element('<meta name="generator" content="geo_outreach">'), name="go_meta")
    return m


def _finish(page: _Page, folder: OutputFolder, bounds: Any) -> str:
    import folium
    from branca.element import Element, MacroElement
    from jinja2 import Template

    class _Draw(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}{{ this.js }}{% endmacro %}")

        def __init__(self, js: str) -> None:
            super().__init__()
            self.js = js

    m, payload = page.m, page.payload
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    _Draw(asset("map.js")).add_to(m)  # after the layer control, which map.js makes collapsible
    _fix_ids(m)
    minx, miny, maxx, maxy = bounds
    payload["map"] = m.get_name()
    payload["groups"] = {k: fg.get_name() for k, fg in page.groups.items()}
    payload["legend_layers"] = {k: lay.get_name() for k, lay in page.extra.items()}
    payload["legend"] = legend_html(page.lang, page.legend)
    payload["ui"] = {
        k: esc(t(k, page.lang))
        for k in (
            "legend", "map_layers", "map_collapse", "map_expand", "whatif_title",
            "whatif_sites", "whatif_covered",
        )
    }  # fmt: skip
    payload["venue_outline"] = VENUE_OUTLINE
    payload["bounds"] = [[rnd(miny), rnd(minx)], [rnd(maxy), rnd(maxx)]]
    root = m.get_root()
    header = _header_html(folder, page.lang, "map_title_suffix")
    root.html.add_child(Element(header), name="go_header")
    data = json_for_script(payload)
    script = f'<script type="application/json" id="geo-outreach-data">{data}</script>'
    root.html.add_child(Element(script), name="go_data")
    html: str = root.render()
    lang_attr = "zh-CN" if page.lang == "zh" else "en"
    return html.replace("<html>", f'<html lang="{lang_attr}">', 1)


def render_map(folder: OutputFolder, *, basemap: str | None = None, lang: str | None = None) -> str:
    """Render the plan map of an output folder as one self-contained HTML page.

    Parameters
    ----------
    folder
        The output folder (:func:`geo_outreach.render.folder.load_output_folder`).
    basemap
        See :func:`resolve_basemap` (default ``none``: no tiles, street lines as context).
    lang
        ``zh`` (default) or ``en``.

    Returns
    -------
    str
        The page; the same folder and options give the same bytes.
    """
    lang = check_lang(lang)
    bm = resolve_basemap(basemap)
    precincts = shift(folder.precincts, bm.datum)
    page = _Page(_new_map(folder, precincts, lang), lang, bm.datum, payload={"lang": lang})
    _add_tiles(page, bm)
    # 1. context: streets (vector, only without tiles)
    page.group("context", t("layer_context", lang))  # precinct outlines and names, always
    if bm.name == "none" and folder.streets is not None and not folder.streets.empty:
        page.payload["streets"] = streets_lines(shift(folder.streets, bm.datum))
        page.legend["streets"] = bool(page.payload["streets"])
    # 2. choropleth: the one density-like layer on by default when there is no density raster
    items, leg = precinct_layer(precincts, lang)
    page.group("precincts", t("layer_precincts", lang), show=folder.density_path is None)
    page.payload["precincts"] = items
    page.legend["precincts"] = leg
    _add_density(page, folder)  # 3. on by default
    _add_alerts(page, folder)  # 4.
    _add_areas(page, folder)  # 5. hot spots, clusters
    _add_emerging(page, folder)  # issue 13: emerging hot spots
    _add_venues(page, folder)  # 6.
    _add_channels(page, folder)  # 7. uncovered hot spots, 8. placements, 9. patrol route
    for lay in playbook_layers(folder.path, page.datum, lang):  # issue 12: grid, visits, materials
        page.group(lay.key, lay.label, show=lay.show)
        for item in lay.items:
            item.add_to(page.groups[lay.key])
        page.legend.setdefault("playbook", []).append((lay.key, lay.legend))
    return _finish(page, folder, precincts.total_bounds)
