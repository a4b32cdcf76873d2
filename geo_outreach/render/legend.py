"""The map legend (``map.html``): one block per layer, shown while that layer is on.

Each block carries ``data-groups`` (the layer keys of the page's payload); ``assets/map.js``
(``legendSync``) shows it only while one of those layers is switched on. Swatches copy the
map's own marker colours and shapes (:mod:`geo_outreach.render.style`).
"""

from __future__ import annotations

from typing import Any

from geo_outreach.i18n import t
from geo_outreach.render.effect import PATTERN_COLORS
from geo_outreach.render.format import esc, nice
from geo_outreach.render.layers import ChannelLayer
from geo_outreach.render.style import HOT_COLORS, PATROL_COLOR

__all__ = ["legend_html"]

Json = dict[str, Any]


def _sw(color: str, label: str, style: str = "") -> str:
    return (
        f'<div class="row"><span class="sw" style="background:{color};{style}"></span>'
        f"<span>{esc(label)}</span></div>"
    )


def _marker_sw(color: str, label: str, text: str, cls: str = "") -> str:
    """Build a legend row whose swatch looks like the map's marker (same colours, shape)."""
    return (
        f'<div class="row"><span class="go-key {cls}" style="background:{color}">'
        f"{esc(text)}</span><span>{esc(label)}</span></div>"
    )


def _blk(groups: list[str] | str, *html: str) -> str:
    """Wrap legend entries of the layer(s) ``groups``: map.js shows them while one is on."""
    keys = groups if isinstance(groups, str) else " ".join(groups)
    return f'<div class="go-lg" data-groups="{esc(keys)}">{"".join(html)}</div>'


def _legend_layers(lang: str, sections: Json) -> list[str]:
    """Legend entries of the density, choropleth, alerts and hot-spot layers."""
    h = []
    if sections.get("density"):
        d = sections["density"]
        unit = esc(t("legend_density_unit", lang))
        ticks = [d["vmin"] + (d["vmax"] - d["vmin"]) * f for f in (0, 0.25, 0.5, 0.75, 1)]
        spans = "".join(f"<span>{esc(nice(x))}</span>" for x in ticks)
        h.append(_blk("density", f"<h5>{esc(t('layer_density', lang))} ({unit})</h5>",
                      f'<div class="ramp" style="background:{d["css"]}"></div>',
                      '<div class="ticks">' + spans + "</div>"))  # fmt: skip
    if sections.get("precincts"):
        p = sections["precincts"]
        h.append(_blk("precincts", f"<h5>{esc(t('layer_precincts', lang))} ({esc(p['title'])})"
                      "</h5>", *[_sw(c, lab) for c, lab in p["classes"]]))  # fmt: skip
    if sections.get("alerts"):
        a = sections["alerts"]
        if a.get("grid"):
            head = (f"<h5>{esc(t('layer_alerts_grid', lang))} ({esc(t('cell_size_m', lang))} "
                    f"{esc(a['cell_m'])})</h5>")  # fmt: skip
            h.append(_blk("alerts", head, *[_sw(c, lab) for c, lab in a["classes"]]))
        else:
            h.append(_blk("alerts", _sw("#ef3b2c", t("legend_alert_point", lang),
                                        "border-radius:50%")))  # fmt: skip
    if sections.get("hotspots"):
        hot = _sw("transparent", t("legend_hot", lang), f"border:2px solid {HOT_COLORS[3]}")
        cold = _sw("transparent", t("legend_cold", lang), f"border:2px solid {HOT_COLORS[-3]}")
        h.append(_blk("hotspots", f"<h5>{esc(t('layer_hotspots', lang))}</h5>", hot, cold))
    return h


def _legend_channels(lang: str, channels: list[ChannelLayer], patrol: bool) -> str:
    keys = [f"ch{i}" for i in range(len(channels))]
    h = [f"<h5>{esc(t('map_channel_key', lang))}</h5>"]
    h += [_blk(k, _marker_sw(ch.style.color, ch.style.label, "1"))
          for k, ch in zip(keys, channels, strict=True)]  # fmt: skip
    if patrol:
        h.append(_blk("patrol", _marker_sw(PATROL_COLOR, t("layer_patrol", lang), "1", "go-stop")))
    old = [k for k, ch in zip(keys, channels, strict=True) if ch.n_existing]
    if old:
        h.append(_blk(old, _marker_sw("#fff", t("legend_existing", lang), "1", "go-existing")))
    if channels:
        h.append(_blk(keys, _sw("rgba(100,100,100,0.15)", t("legend_reach", lang))))
    return _blk(keys + (["patrol"] if patrol else []), *h)


def _legend_extra(lang: str, sections: Json) -> list[str]:
    """Legend entries of the emerging hot spots (#13) and the playbook layers (#12)."""
    h = []
    if sections.get("emerging"):
        rows = [_sw(PATTERN_COLORS.get(p, "#969696"), t(f"pattern_{p}", lang), "opacity:0.8")
                for p in sections["emerging"]]  # fmt: skip
        h.append(_blk("emerging", f"<h5>{esc(t('layer_emerging', lang))}</h5>", *rows))
    h += [_blk(key, html) for key, html in sections.get("playbook") or [] if html]
    return h


def legend_html(lang: str, sections: Json) -> str:
    """Return the map legend's HTML for the layers in ``sections``.

    Parameters
    ----------
    lang
        ``zh`` or ``en``.
    sections
        What the map drew: ``channels`` (:class:`ChannelLayer` list), ``patrol``, ``density``,
        ``precincts``, ``alerts``, ``hotspots``, ``clusters``, ``uncovered``, ``emerging``,
        ``playbook``, ``venues``, ``streets``.

    Returns
    -------
    str
        One block per layer; ``assets/map.js`` shows a block only while its layer is on.
    """
    h = []
    if sections.get("channels") or sections.get("patrol"):
        h.append(
            _legend_channels(lang, sections.get("channels") or [], bool(sections.get("patrol")))
        )
    h += _legend_layers(lang, sections)
    if sections.get("clusters"):
        h.append(_blk("clusters", _sw("transparent", t("legend_cluster", lang),
                                      "border:2px dashed #6a3d9a")))  # fmt: skip
    if sections.get("uncovered"):
        h.append(_blk("uncovered", _sw("transparent", t("legend_uncovered", lang),
                                       "border:2px dashed #d7191c")))  # fmt: skip
    h += _legend_extra(lang, sections)
    if sections.get("venues"):
        rows = [
            f'<div class="row"><span class="go-venue go-key-venue" style="background:{c}">'
            f"</span><span>{n}</span></div>"
            for c, n in sections["venues"]
        ]  # n already escaped
        h.append(_blk("venues", f"<h5>{esc(t('map_venue_key', lang))}</h5>", *rows))
    if sections.get("streets"):
        style = "border:none;border-top:2px solid #8c8c8c;height:0"
        h.append(_blk("context", _sw("transparent", t("legend_streets", lang), style)))
    return "".join(h)
