"""The playbook on the map and in the briefing (issue 12): materials, calendar, visits.

Reads the playbook's files of an output folder (``materials.csv``, ``calendar.csv``,
``visit_schedule.csv``, ``visits.csv``, ``visit_grid.geojson``) by the output schema and builds

- :func:`playbook_layers`: folium layers (elderly-visit grid coloured by expected benefit with
  the police grid on top, firm/school visit targets per channel, material quantities per site);
- :func:`playbook_section`: the briefing section (who visits whom, when, how much material).

A folder without these files gives no layer and an empty section. Every string from a file is
escaped (:func:`~geo_outreach.render.format.popup_html`, :func:`~geo_outreach.render.format.esc`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_outreach._validate import check_output
from geo_outreach.i18n import channel_label, t
from geo_outreach.render.format import esc, fmt_num, fmt_share, popup_html
from geo_outreach.render.geometry import latlngs, point_ll, shift

__all__ = [
    "PlaybookFiles",
    "PlaybookLayer",
    "legend_row",
    "playbook_layers",
    "playbook_section",
    "read_playbook",
]

#: Expected-benefit classes of the grid layer (light -> dark), and the other layer colours.
BENEFIT_COLORS = ("#fff5eb", "#fdd0a2", "#fdae6b", "#f16913", "#a63603")
POLICE_COLOR = "#08306b"
#: Visit targets are black-ringed dots filled by kind: never a colour of the channel palette
#: (render.style.CHANNEL_COLORS), so a firm or school cannot be read as a placement (#11).
TARGET_RING = "#1a1a1a"
TARGET_FILLS = {"firm": "#ffffff", "school": "#ffd92f"}
SHORTFALL_COLOR = "#d7301f"
MATERIAL_COLOR = "#e66101"
MAX_ROWS = 8
_ID_COLUMNS = {c: str for c in ("precinct_id", "station_id", "venue_id", "target_id", "cell_id",
                                "grid_id", "visitor_id")}  # fmt: skip


@dataclass(frozen=True)
class PlaybookFiles:
    """The playbook files of an output folder (``None`` when not written)."""

    materials: pd.DataFrame | None = None
    by_precinct: pd.DataFrame | None = None
    calendar: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    visits: pd.DataFrame | None = None
    grid: gpd.GeoDataFrame | None = None
    sites: pd.DataFrame | None = None  # placements.csv: lon/lat of the material sites
    labels: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    note_items: tuple[dict[str, Any], ...] = ()

    @property
    def empty(self) -> bool:
        """True when the folder has no playbook output."""
        return all(
            f is None or len(f) == 0
            for f in (self.materials, self.by_precinct, self.calendar, self.schedule, self.visits)
        )


@dataclass(frozen=True)
class PlaybookLayer:
    """One map layer: a layer-control ``key``/``label`` and its folium elements."""

    key: str
    label: str
    items: list[Any]
    show: bool = True
    legend: str = ""  # its legend entry (HTML, escaped); shown while the layer is on


_CJK = re.compile(r"[\u2e80-\u9fff]")


def _label(pf: PlaybookFiles, ch: str, lang: str, label: str | None = None) -> str:
    """Return a channel's name in ``lang`` (its id when an English page has no English name)."""
    out = channel_label(ch, lang, label or pf.labels.get(ch))
    return ch if lang == "en" and _CJK.search(out) else out


def _csv(path: Path, name: str) -> pd.DataFrame | None:
    f = path / name
    if not f.is_file():
        return None
    df = pd.read_csv(f, encoding="utf-8-sig", dtype=_ID_COLUMNS, keep_default_na=False,
                     na_values=[""])  # fmt: skip
    if name != "placements.csv":
        check_output(name, df)
    return df


def read_playbook(path: str | Path) -> PlaybookFiles:
    """Read the playbook files of the output folder ``path`` (schema-checked).

    Parameters
    ----------
    path
        The output folder.

    Returns
    -------
    PlaybookFiles
    """
    path = Path(path)
    grid = None
    if (path / "visit_grid.geojson").is_file():
        grid = gpd.read_file(path / "visit_grid.geojson")
        check_output("visit_grid.geojson", grid)
        for col in ("grid_id", "cell_id", "precinct_id"):
            grid[col] = grid[col].astype(str)
    manifest: dict[str, Any] = {}
    if (path / "manifest.json").is_file():
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    pb = manifest.get("playbook") if isinstance(manifest.get("playbook"), dict) else {}
    notes = tuple(str(n) for n in (pb or {}).get("notes", []) if isinstance(n, str))
    raw = (pb or {}).get("labels")
    labels = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    raw_items = (pb or {}).get("note_items")
    items = [i for i in raw_items if isinstance(i, dict)] if isinstance(raw_items, list) else []
    return PlaybookFiles(
        materials=_csv(path, "materials.csv"),
        by_precinct=_csv(path, "materials_by_precinct.csv"),
        calendar=_csv(path, "calendar.csv"),
        schedule=_csv(path, "visit_schedule.csv"),
        visits=_csv(path, "visits.csv"),
        grid=grid,
        sites=_csv(path, "placements.csv"),
        labels=labels,
        notes=notes,
        note_items=tuple(items),
    )


# --------------------------------------------------------------------------- map


#: Leaflet panes of the playbook layers: above the precinct choropleth (overlay pane, z 400),
#: below the numbered placement markers (marker pane, z 600), so their popups can be opened.
GRID_PANE, POINT_PANE = ("go-pb-grid", 410), ("go-pb-points", 590)


def _js_layer(features: list[dict[str, Any]], pane: tuple[str, int]) -> Any:
    """Return one element drawing ``features`` into its feature group, in its own pane.

    A feature is ``{"t": "c" | "p", "g": latlng(s), "s": Leaflet path options, "p": popup
    HTML (already escaped), "tt": tooltip text}``; ``c`` is a circle marker, ``p`` a polygon.
    The data travel as JSON (``tojson`` escapes ``<``, ``>`` and ``&``).
    """
    from branca.element import MacroElement
    from jinja2 import Template

    class _Layer(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}"
            "(function (fg, m, pane, z, feats) {"
            " if (!m.getPane(pane)) { m.createPane(pane).style.zIndex = z; }"
            " feats.forEach(function (f) {"
            "  var o = Object.assign({pane: pane}, f.s);"
            '  var l = f.t === "c" ? L.circleMarker(f.g, o) : L.polygon(f.g, o);'
            "  if (f.p) { l.bindPopup(f.p, {maxWidth: 340}); }"
            "  if (f.tt) { l.bindTooltip(f.tt); }"
            "  l.addTo(fg); });"
            "})({{ this._parent.get_name() }}, {{ this._parent._parent.get_name() }},"
            " {{ this.pane|tojson }}, {{ this.z }}, {{ this.features|tojson }});"
            "{% endmacro %}"
        )

        def __init__(self, features: list[dict[str, Any]], pane: str, z: int) -> None:
            super().__init__()
            self.features, self.pane, self.z = features, pane, int(z)

    return _Layer(features, *pane)


def _points(df: pd.DataFrame, datum: str) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        df.reset_index(drop=True),
        geometry=gpd.points_from_xy(df["lon"].astype(float), df["lat"].astype(float)),
        crs="EPSG:4326",
    )
    return shift(g, datum)


def _num(v: Any, digits: int = 0) -> str:
    return fmt_num(v, digits) if v is not None and not pd.isna(v) else ""


def _benefit_color(v: float, edges: list[float]) -> str:
    k = int(np.searchsorted(edges, v, side="right"))
    return BENEFIT_COLORS[min(k, len(BENEFIT_COLORS) - 1)]


def _cell_feature(
    r: Any, visits: pd.DataFrame, got: Any, edges: list[float], lang: str
) -> dict[str, Any]:
    cid = str(r["cell_id"])
    mode = visits.loc[visits["cell_id"] == cid, "mode"] if len(visits) else pd.Series([])
    rows = [
        (t("pb_elderly", lang), _num(r["elderly"])),
        (t("pb_alone", lang), _num(r["living_alone"])),
        (t("pb_targeted_alerts", lang), _num(r["alerts"], 1)),
        (t("pb_benefit", lang), _num(r["benefit"], 2)),
        (t("pb_mode", lang), t(f"pb_{mode.iloc[0]}", lang) if len(mode) else ""),
        (t("pb_officer", lang), _num(got.get((cid, "police"))) if got is not None else ""),
        (t("pb_worker", lang), _num(got.get((cid, "community"))) if got is not None else ""),
    ]
    title = f"{t('pb_cells', lang)} {cid}" + (
        f" ({t('pb_generated_grid', lang)})" if bool(r["generated"]) else ""
    )
    style = {"color": "#7f7f7f", "weight": 0.5, "fill": True, "fillOpacity": 0.6,
             "fillColor": _benefit_color(float(r["benefit"]), edges)}  # fmt: skip
    return {"t": "p", "g": latlngs(r.geometry), "s": style, "p": popup_html(title, rows)}


def legend_row(label: str, style: str) -> str:
    """Return one legend row: a swatch styled by ``style`` (CSS) and its escaped label."""
    return (f'<div class="row"><span class="sw" style="{esc(style)}"></span>'
            f"<span>{esc(label)}</span></div>")  # fmt: skip


def _dot(fill: str, ring: str) -> str:
    """CSS of a circle-marker swatch (the map's dots)."""
    return f"background:{fill};border:2px solid {ring};border-radius:50%;width:9px;height:9px"


def _grid_legend(lang: str) -> str:
    ramp = ", ".join(BENEFIT_COLORS)
    return (f"<h5>{esc(t('legend_pb_grid', lang))}</h5>"
            f'<div class="ramp" style="background:linear-gradient(to right, {ramp})"></div>'
            f'<div class="ticks"><span>{esc(t("legend_pb_low", lang))}</span>'
            f'<span>{esc(t("legend_pb_high", lang))}</span></div>')  # fmt: skip


def _grid_layers(pf: PlaybookFiles, datum: str, lang: str) -> list[PlaybookLayer]:
    if pf.grid is None or len(pf.grid) == 0:
        return []
    grid = shift(pf.grid, datum)
    comm = grid[grid["role"] == "community"]
    police = grid[grid["role"] == "police"]
    visits = pf.visits if pf.visits is not None else pd.DataFrame(columns=["cell_id"])
    got = visits.groupby(["cell_id", "role"])["households"].sum() if len(visits) else None
    pos = comm["benefit"].astype(float)
    edges = list(np.quantile(pos[pos > 0], [0.2, 0.4, 0.6, 0.8])) if (pos > 0).any() else []
    cells = [_cell_feature(r, visits, got, edges, lang) for _, r in comm.iterrows()]
    style = {"color": POLICE_COLOR, "weight": 1.6, "fill": False, "dashArray": "5 3"}
    lines = [
        {"t": "p", "g": latlngs(g), "s": style, "tt": f"{t('layer_pb_police', lang)} {gid}"}
        for gid, g in zip(police["cell_id"], police.geometry, strict=True)
    ]
    police_key = legend_row(
        t("layer_pb_police", lang), f"background:transparent;border:2px dashed {POLICE_COLOR}"
    )
    return [
        PlaybookLayer(
            "pb_grid",
            t("layer_pb_grid", lang),
            [_js_layer(cells, GRID_PANE)],
            False,
            _grid_legend(lang),
        ),  # fmt: skip
        PlaybookLayer(
            "pb_police",
            t("layer_pb_police", lang),
            [_js_layer(lines, GRID_PANE)],
            False,
            police_key,
        ),  # fmt: skip
    ]


def _visit_layers(pf: PlaybookFiles, datum: str, lang: str) -> list[PlaybookLayer]:
    s = pf.schedule
    if s is None or len(s) == 0:
        return []
    out = []
    for ch, grp in s.groupby("channel", sort=True):
        feats = []
        for _, r in _points(grp, datum).iterrows():
            ok = r["status"] == "scheduled"
            fill = TARGET_FILLS.get(str(r["kind"]), "#bdbdbd")
            when = f"{r['date']} {str(r['start'])[11:16]}" if ok else t("pb_shortfall", lang)
            rows = [
                (t("pb_station", lang), r["station"]),
                (t("pb_order", lang), _num(r["order"])),
                (t("pb_time", lang), when if r["status"] != "outside" else t("pb_outside", lang)),
                (t("pb_employees", lang), _num(r["employees"])),
                (t("pb_exposure", lang), _num(r["exposure"], 1)),
            ]
            style = {"radius": 4, "weight": 1.5, "fill": True, "fillOpacity": 0.95,
                     "color": TARGET_RING if ok else SHORTFALL_COLOR,
                     "fillColor": fill if ok else "#ffffff"}  # fmt: skip
            feats.append({"t": "c", "g": point_ll(r.geometry), "s": style,
                          "p": popup_html(str(r["target"]), rows)})  # fmt: skip
        label = _label(pf, str(ch), lang)
        out.append(PlaybookLayer(f"pb_visits_{ch}", f"{label}（{t('layer_pb_visits', lang)}）",
                                 [_js_layer(feats, POINT_PANE)],
                                 legend=_visits_legend(grp, label, lang)))  # fmt: skip
    return out


def _visits_legend(grp: pd.DataFrame, label: str, lang: str) -> str:
    """Legend of one visits layer: the kinds it has, and the shortfall ring when there is one."""
    rows = [f"<h5>{esc(label)}</h5>"]
    for kind in ("firm", "school"):
        if (grp["kind"] == kind).any():
            rows.append(legend_row(t(f"legend_pb_{kind}", lang), _dot(TARGET_FILLS[kind],
                                                                       TARGET_RING)))  # fmt: skip
    if (grp["status"] == "shortfall").any():
        rows.append(legend_row(t("legend_pb_short", lang), _dot("#ffffff", SHORTFALL_COLOR)))
    return "".join(rows)


def _material_layer(pf: PlaybookFiles, datum: str, lang: str) -> list[PlaybookLayer]:
    m, sites = pf.materials, pf.sites
    if m is None or len(m) == 0 or sites is None:
        return []
    ll = sites[["channel", "venue_id", "lon", "lat"]].drop_duplicates(["channel", "venue_id"])
    j = m.merge(ll, on=["channel", "venue_id"], how="inner")
    if len(j) == 0:
        return []
    pts = _points(j, datum)
    top = float(pts["quantity"].max()) or 1.0
    feats = []
    for _, r in pts.iterrows():
        rows = [
            (t("pb_quantity", lang), _num(r["quantity"])),
            (t("pb_share", lang), fmt_share(r["share"])),
            (t("pb_materials", lang), t(f"pb_basis_{r['basis']}", lang)),
        ]
        style = {"radius": 4 + 10 * math.sqrt(float(r["quantity"]) / top), "weight": 1.5,
                 "color": MATERIAL_COLOR, "fill": True, "fillOpacity": 0.35}  # fmt: skip
        feats.append({"t": "c", "g": point_ll(r.geometry), "s": style,
                      "p": popup_html(f"{_label(pf, str(r['channel']), lang)} · {r['name']}",
                                      rows)})  # fmt: skip
    layer = _js_layer(feats, POINT_PANE)
    key = legend_row(t("legend_pb_materials", lang), _dot("rgba(230,97,1,0.35)", MATERIAL_COLOR))
    return [PlaybookLayer("pb_materials", t("layer_pb_materials", lang), [layer], show=False,
                          legend=key)]  # fmt: skip


def playbook_layers(path: str | Path, datum: str, lang: str) -> list[PlaybookLayer]:
    """Build the map layers of the playbook files of output folder ``path`` (none if absent).

    Parameters
    ----------
    path
        The output folder.
    datum
        The base map's datum (layers are shifted to it).
    lang
        ``zh`` or ``en``.

    Returns
    -------
    list of PlaybookLayer
        Grid (benefit), police grid, one layer per visits channel, materials.
    """
    pf = read_playbook(path)
    return (
        _grid_layers(pf, datum, lang)
        + _visit_layers(pf, datum, lang)
        + _material_layer(pf, datum, lang)
    )


# --------------------------------------------------------------------------- briefing


def _table(head: list[str], rows: list[list[str]], num: set[int]) -> str:
    h = "".join(f"<th{' class=n' if i in num else ''}>{esc(c)}</th>" for i, c in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in num else ''}>{esc(c)}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )  # fmt: skip
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _box(title: str, body: str, key: str) -> str:
    return (f'<div class="channel" data-playbook="{esc(key)}" style="border-color:#444">'
            f"<h3>{esc(title)}</h3>{body}</div>")  # fmt: skip


def _materials_box(pf: PlaybookFiles, lang: str) -> str:
    m = pf.materials
    if m is None or len(m) == 0:
        return ""
    parts = []
    for _, grp in m.groupby("channel", sort=False):
        g = grp.sort_values("quantity", ascending=False)
        rows = [[str(r["name"]), fmt_num(r["quantity"])] for _, r in g.head(MAX_ROWS).iterrows()]
        if len(g) > MAX_ROWS:  # the rest in one row, so the listed rows add up to the total
            rest = g.iloc[MAX_ROWS:]
            rows.append([t("pb_others", lang).format(n=len(rest)), fmt_num(rest["quantity"].sum())])
        rows.append([t("pb_total", lang), fmt_num(g["quantity"].sum())])
        basis = t(f"pb_basis_{g['basis'].iloc[0]}", lang)
        label = _label(pf, str(g["channel"].iloc[0]), lang, str(g["label"].iloc[0]))
        parts.append(f'<div class="meta">{esc(label)} · {esc(basis)}</div>')
        parts.append(_table([t("pb_site", lang), t("pb_quantity", lang)], rows, {1}))
    return _box(t("pb_materials", lang), "".join(parts), "materials")


def _days(codes: str, lang: str) -> str:
    names = t("pb_weekday_names", lang).split(",")
    order = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    return "、".join(names[order.index(c)] for c in codes.split(",") if c in order)


def _by_precinct_box(pf: PlaybookFiles, lang: str) -> str:
    """Sites (and material) per precinct: one row per precinct, one column per channel."""
    b = pf.by_precinct
    if b is None or len(b) == 0:
        return ""
    chans = list(dict.fromkeys(b["channel"].astype(str)))
    labels = {c: _label(pf, c, lang, lab)
              for c, lab in zip(b["channel"].astype(str), b["label"].astype(str))}  # fmt: skip
    head = [t("pb_precinct", lang)]
    for ch in chans:
        has_qty = b.loc[b["channel"] == ch, "quantity"].notna().any()
        what = t("pb_sites_n", lang) + (f" / {t('pb_quantity', lang)}" if has_qty else "")
        head.append(f"{labels[ch]}（{what}）" if lang == "zh" else f"{labels[ch]} ({what})")
    rows = []
    for pid, g in b.groupby("precinct_id", sort=True):
        by = {str(r["channel"]): r for _, r in g.iterrows()}
        cells = []
        for ch in chans:
            r = by.get(ch)
            if r is None:
                cells.append("")
                continue
            q = r["quantity"]
            none = pd.isna(q) or int(r["sites"]) == 0
            cells.append(fmt_num(r["sites"]) + ("" if none else f" / {fmt_num(q)}"))
        rows.append([str(g["precinct"].iloc[0]) or str(pid)] + cells)
    total = [t("pb_total", lang)]
    for ch in chans:
        g = b[b["channel"] == ch]
        q = g["quantity"]
        tail = "" if q.isna().all() else f" / {fmt_num(q.sum())}"
        total.append(fmt_num(g["sites"].sum()) + tail)
    rows.append(total)
    body = _table(head, rows, set(range(1, len(head))))
    return _box(t("pb_by_precinct", lang), body, "by_precinct")


def _notes(pf: PlaybookFiles, lang: str) -> list[str]:
    """Return the notes in ``lang`` (from the message keys; the English text if one fails)."""
    out = []
    for item in pf.note_items:
        args = dict(item.get("args") or {})
        if "channel" in args and "label" in args:
            args["label"] = _label(pf, str(args["channel"]), lang, str(args["label"]))
        try:
            out.append(t(str(item["key"]), lang).format(**args))
        except (KeyError, IndexError, ValueError, TypeError):
            out = []
            break
    return out or list(pf.notes)


def _calendar_box(pf: PlaybookFiles, lang: str) -> str:
    c = pf.calendar
    if c is None or len(c) == 0:
        return ""
    slots = c[c["kind"].isin(["slot", "peak"])]
    rows = [[_label(pf, str(r["channel"]), lang, str(r["label"])), _days(str(r["weekdays"]), lang),
             str(r["hours"]),
             fmt_share(r["share"])] for _, r in slots.iterrows()]  # fmt: skip
    body = _table([t("channel", lang), t("pb_weekdays", lang), t("pb_hours", lang),
                   t("pb_share", lang)], rows, {3})  # fmt: skip
    keys = c[c["kind"] == "key_date"]
    if len(keys):
        krows = [[str(r["start"]) + ("" if r["end"] == r["start"] else f" – {r['end']}"),
                  str(r["title"])] for _, r in keys.iterrows()]  # fmt: skip
        body += f'<div class="meta">{esc(t("pb_key_dates", lang))}</div>'
        body += _table([t("pb_dates", lang), t("name", lang)], krows, set())
    return _box(t("pb_calendar", lang), body, "calendar")


def _visits_box(pf: PlaybookFiles, lang: str) -> str:
    s = pf.schedule
    if s is None or len(s) == 0:
        return ""
    out = []
    for ch, grp in s.groupby("channel", sort=True):
        rows = []
        for _, g in grp[grp["status"] != "outside"].groupby("station_id", sort=True):
            done = g[g["status"] == "scheduled"]
            dates = f"{done['date'].min()} – {done['date'].max()}" if len(done) else ""
            rows.append([str(g["station"].iloc[0]), fmt_num(len(g)), fmt_num(len(done)),
                         fmt_num(len(g) - len(done)), dates])  # fmt: skip
        head = [t("pb_station", lang), t("pb_targets", lang), t("pb_scheduled", lang),
                t("pb_shortfall", lang), t("pb_dates", lang)]  # fmt: skip
        label = _label(pf, str(ch), lang)
        out.append(_box(f"{t('pb_visits', lang)}: {label}", _table(head, rows, {1, 2, 3}), str(ch)))
    return "".join(out)


def _grid_box(pf: PlaybookFiles, lang: str) -> str:
    v, grid = pf.visits, pf.grid
    if v is None or len(v) == 0 or grid is None:
        return ""
    comm = pd.DataFrame(grid[grid["role"] == "community"].drop(columns="geometry"))
    hh = v.groupby(["cell_id", "role"])["households"].sum().unstack(fill_value=0)
    comm = comm.join(hh, on="cell_id").fillna({"police": 0, "community": 0})
    modes = v.drop_duplicates("cell_id").set_index("cell_id")["mode"]
    comm["mode"] = comm["cell_id"].map(modes).fillna("")
    rows = []
    for _, r in comm.sort_values("benefit", ascending=False).head(MAX_ROWS).iterrows():
        rows.append([str(r["cell_id"]), fmt_num(r["elderly"]), fmt_num(r["living_alone"]),
                     fmt_num(r["benefit"], 1), t(f"pb_{r['mode']}", lang) if r["mode"] else "",
                     fmt_num(r.get("police", 0)), fmt_num(r.get("community", 0))])  # fmt: skip
    head = [t("pb_cells", lang), t("pb_elderly", lang), t("pb_alone", lang),
            t("pb_benefit", lang), t("pb_mode", lang), t("pb_officer", lang),
            t("pb_worker", lang)]  # fmt: skip
    meta = (f"{t('pb_cells', lang)} {fmt_num(len(comm))} · {t('pb_households', lang)} "
            f"{fmt_num(v['households'].sum())} / {t('pb_elderly', lang)} "
            f"{fmt_num(comm['elderly'].sum())}")  # fmt: skip
    body = (f'<div class="meta">{esc(meta)}</div><div class="meta">'
            f'{esc(t("pb_top_cells", lang))}</div>')  # fmt: skip
    body += _table(head, rows, {1, 2, 3, 5, 6})
    return _box(t("pb_grid", lang), body, "grid")


def playbook_section(path: str | Path, lang: str) -> str:
    """Build the briefing section of the playbook ('' when the folder has none of its files).

    Parameters
    ----------
    path
        The output folder.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        HTML (every value escaped).
    """
    pf = read_playbook(path)
    if pf.empty:
        return ""
    boxes = [_materials_box(pf, lang), _by_precinct_box(pf, lang), _calendar_box(pf, lang),
             _visits_box(pf, lang), _grid_box(pf, lang)]  # fmt: skip
    notes = "".join(f"<li>{esc(n)}</li>" for n in _notes(pf, lang))
    tail = f'<div class="meta">{esc(t("pb_notes", lang))}<ul>{notes}</ul></div>' if notes else ""
    return (f'<section class="playbook" id="playbook"><h2>{esc(t("pb_title", lang))}</h2>'
            f'<div class="channels">{"".join(boxes)}</div>{tail}</section>')  # fmt: skip
