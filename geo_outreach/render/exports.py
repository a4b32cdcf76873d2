"""Files for GIS analysts and office staff: ``outputs.gpkg`` (QGIS) and ``placements.xlsx`` (Excel).

``outputs.gpkg`` holds every map layer of the output folder (WGS84, EPSG:4326) and a default
QGIS style per layer in its ``layer_styles`` table (the table QGIS itself reads and writes), so
the layers open styled: precincts labelled by name, placements coloured by channel, hot spots
as outlines. ``placements.xlsx`` has one sheet per channel with Chinese headers (站点, 辖区,
覆盖警情, 累计覆盖率, 建议时段 ..., 数量 from ``materials.csv`` when written), an "说明" sheet
and a per-precinct summary (``materials_by_precinct.csv``: sites and material per precinct);
it is byte-identical across runs (fixed zip timestamps and document dates). ``visits.xlsx``
(issue 12, written when the playbook wrote ``visits.csv`` or ``visit_schedule.csv``) has one
sheet per visits channel, written the same deterministic way. All are drawn from the folder's files.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path
from collections.abc import Collection
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import pandas as pd

from geo_outreach.i18n import t
from geo_outreach.outputs import atomic_write
from geo_outreach.render.folder import OutputFolder, load_output_folder
from geo_outreach.render.playbook import read_playbook
from geo_outreach.render.sites import SITE_COLUMNS, channel_sites, site_headers
from geo_outreach.render.style import channel_info

__all__ = ["GPKG_LAYERS", "write_exports", "write_gpkg", "write_visits_xlsx", "write_xlsx"]

#: Layer name in outputs.gpkg -> the OutputFolder attribute it comes from (in drawing order).
GPKG_LAYERS: dict[str, str] = {
    "precincts": "precincts",
    "streets": "streets",
    "hotspots": "hotspots",
    "uncovered_hotspots": "uncovered",
    "clusters": "clusters",
    "reach": "reach",
    "venues": "venues",
    "alerts": "alerts",
    "patrol_route": "patrol",
    "patrol_stops": "patrol",
    "placements": "placements",
}
#: The zip entries' time and the workbook's document dates (so two runs give the same bytes).
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: issue 14: above this many alerts, outputs.gpkg has no per-alert point layer (a 1M-point layer
#: is ~100 MB and slow to write); every alert stays in alerts.csv (and alerts.parquet), and
#: manifest.json says so (:func:`gpkg_alerts_note`).
GPKG_MAX_ALERT_POINTS = 100_000
FIXED_DOC_TIME = "2000-01-01T00:00:00Z"
_HOT = {"hot99": "189,0,38", "hot95": "240,59,32", "hot90": "253,141,60"}


# --------------------------------------------------------------------------- GeoPackage


def _alerts_layer(alerts: pd.DataFrame) -> gpd.GeoDataFrame:
    lon = pd.to_numeric(alerts["lon"], errors="coerce")
    lat = pd.to_numeric(alerts["lat"], errors="coerce")
    ok = lon.notna() & lat.notna()
    frame = alerts[ok].drop(columns=["lon", "lat"]).astype(str)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(lon[ok], lat[ok]), crs="EPSG:4326"
    ).reset_index(drop=True)


def _layers(folder: OutputFolder) -> dict[str, gpd.GeoDataFrame]:
    out: dict[str, gpd.GeoDataFrame] = {}
    for layer, attr in GPKG_LAYERS.items():
        frame = getattr(folder, attr)
        if frame is None or frame.empty:
            continue
        if attr == "alerts":
            if len(frame) > GPKG_MAX_ALERT_POINTS:  # issue 14: see gpkg_alerts_note
                continue
            frame = _alerts_layer(frame)
        if attr == "patrol":  # one geometry type per layer: the route lines, the stops
            lines = frame.geom_type.isin(["LineString", "MultiLineString"])
            frame = frame[lines if layer == "patrol_route" else ~lines]
            if frame.empty:
                continue
        out[layer] = frame.to_crs("EPSG:4326")
    return out


def gpkg_alerts_note(n_alerts: int, written: Collection[str]) -> dict[str, Any] | None:
    """Issue 14: what ``manifest.json`` says when ``outputs.gpkg`` leaves the alert points out.

    Parameters
    ----------
    n_alerts
        Number of rows of ``alerts.csv``.
    written
        Names of the files the plan wrote (``alerts.parquet`` is listed when among them).

    Returns
    -------
    dict or None
        ``alerts_layer`` ("omitted"), the counts and where the points are; None when the
        GeoPackage has every alert as a point.
    """
    if n_alerts <= GPKG_MAX_ALERT_POINTS:
        return None
    return {
        "alerts_layer": "omitted",
        "alerts": int(n_alerts),
        "max_alert_points": GPKG_MAX_ALERT_POINTS,
        "alert_points_in": [f for f in ("alerts.csv", "alerts.parquet") if f in written],
    }


def _symbol(kind: str, props: dict[str, str], name: str = "0", alpha: float = 1.0) -> str:
    cls = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}[kind]
    opts = "".join(
        f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
        for k, v in props.items()
    )
    return (
        f'<symbol type="{kind}" name={quoteattr(name)} alpha="{alpha}" clip_to_extent="1" '
        f'force_rhr="0"><layer class="{cls}" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{opts}</Option></layer></symbol>'
    )


def _rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4))


def _single(symbol: str) -> str:
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{symbol}</symbols></renderer-v2>"
    )


def _categorized(field: str, cats: list[tuple[str, str, str]], kind: str, props: Any) -> str:
    """cats: (value, label, rgb); props(rgb) -> the symbol's properties."""
    c = "".join(
        f'<category value={quoteattr(v)} label={quoteattr(lab)} symbol="{i}" render="true"/>'
        for i, (v, lab, _) in enumerate(cats)
    )
    s = "".join(_symbol(kind, props(rgb), str(i)) for i, (_, _, rgb) in enumerate(cats))
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
        f'enableorderby="0" forceraster="0"><categories>{c}</categories>'
        f"<symbols>{s}</symbols></renderer-v2>"
    )


def _labels(field: str) -> str:
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} fontSize="9" textColor="20,20,20,255" '
        'isExpression="0"><text-buffer bufferDraw="1" bufferSize="1" '
        'bufferColor="255,255,255,255"/></text-style>'
        '<placement placement="1" dist="1"/><rendering drawLabels="1" obstacle="1"/></settings>'
        "</labeling>"
    )


def _point(rgb: str, size: str = "2.4") -> dict[str, str]:
    return {
        "name": "circle",
        "color": f"{rgb},255",
        "outline_color": "255,255,255,255",
        "outline_width": "0.3",
        "size": size,
    }


def _outline(rgb: str, width: str = "0.5", style: str = "solid") -> dict[str, str]:
    return {
        "color": "0,0,0,0",
        "style": "no",
        "outline_color": f"{rgb},255",
        "outline_width": width,
        "outline_style": style,
    }


def _renderer(layer: str, folder: OutputFolder) -> tuple[str, str]:
    """Return (renderer XML, labeling XML) of a layer's default style."""
    if layer == "precincts":
        fill = {"color": "254,224,144,120", "outline_color": "40,40,40,255", "outline_width": "0.5"}
        return _single(_symbol("fill", fill)), _labels("name")
    if layer == "placements":
        cats = [(ch.name, ch.label, _rgb(ch.color)) for ch in channel_info(folder, "zh")]
        return _categorized("channel", cats, "marker", lambda c: _point(c, "3.2")), _labels("rank")
    if layer in ("hotspots", "uncovered_hotspots"):
        cats = [(k, k, v) for k, v in _HOT.items()]
        return _categorized("hot_class", cats, "fill", _outline), ""
    if layer == "reach":
        cats = [(ch.name, ch.label, _rgb(ch.color)) for ch in channel_info(folder, "zh")]
        return _categorized("channel", cats, "fill", lambda c: _outline(c, "0.3", "dash")), ""
    if layer in ("streets", "patrol_route"):
        color, width = ("150,150,150", "0.2") if layer == "streets" else ("8,48,107", "0.8")
        line = {"line_color": f"{color},255", "line_width": width, "line_style": "solid"}
        return _single(_symbol("line", line)), ""
    if layer == "clusters":
        return _single(_symbol("fill", _outline("106,61,154", "0.6", "dot"))), ""
    if layer == "patrol_stops":
        return _single(_symbol("marker", _point("8,48,107", "2.6"))), _labels("order")
    rgb, size = ("215,48,39", "1.2") if layer == "alerts" else ("120,120,120", "1.6")
    return _single(_symbol("marker", _point(rgb, size), alpha=0.7)), ""


def qml_style(layer: str, folder: OutputFolder) -> str:
    """Return the default QGIS style (QML) of a layer of ``outputs.gpkg``.

    Parameters
    ----------
    layer
        A key of :data:`GPKG_LAYERS`.
    folder
        The output folder (channel colours and labels).

    Returns
    -------
    str
        A QML document (renderer, and labels where the layer has them).
    """
    renderer, labeling = _renderer(layer, folder)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
        f"{renderer}{labeling}</qgis>"
    )


_STYLE_TABLE = """CREATE TABLE layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"""


def _add_styles(path: Path, styles: dict[str, str]) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute(_STYLE_TABLE)
        con.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', '', ?)",
            [
                (layer, layer, qml, f"geo_outreach default style: {escape(layer)}", FIXED_DOC_TIME)
                for layer, qml in styles.items()
            ],
        )
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
            (FIXED_DOC_TIME,),
        )
        # GDAL stamps each layer with the time of writing: fix it, so runs give the same bytes
        con.execute("UPDATE gpkg_contents SET last_change = ?", (FIXED_DOC_TIME,))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


def write_gpkg(folder: OutputFolder | str | Path) -> Path:
    """Write ``outputs.gpkg``: every map layer and a default QGIS style per layer.

    Parameters
    ----------
    folder
        The output folder, read or as a path.

    Returns
    -------
    pathlib.Path
        The GeoPackage (written atomically).
    """
    if not isinstance(folder, OutputFolder):
        folder = load_output_folder(folder)
    layers = _layers(folder)
    styles = {name: qml_style(name, folder) for name in layers}
    for name, frame in layers.items():
        if frame.geometry.name != "geometry":
            layers[name] = frame.rename_geometry("geometry")

    def write(p: Path) -> None:
        for name, frame in layers.items():
            frame.to_file(p, layer=name, driver="GPKG", engine="pyogrio")
        _add_styles(p, styles)

    return atomic_write(folder.path / "outputs.gpkg", write)


# --------------------------------------------------------------------------- Excel


def _sheet_name(label: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", label).strip("'")[:28] or "sheet"
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name)
    return name


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed entry times and document dates (byte-identical output)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<2>",
                    body,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return buf.getvalue()


def _readme_rows(folder: OutputFolder) -> list[tuple[str, str]]:
    start, end = folder.period
    rows = [
        (t("xlsx_title", "zh"), folder.title or t("default_title", "zh")),
        (t("period", "zh"), f"{start} – {end}"),
        (t("xlsx_crs", "zh"), t("xlsx_crs_note", "zh")),
        (t("xlsx_readme", "zh"), t("sites_note", "zh")),
    ]
    if folder.synthetic:
        rows.insert(0, (t("xlsx_warning", "zh"), t("synthetic_banner", "zh")))
        rows += [(t("xlsx_data_note", "zh"), n) for n in folder.notes]
    return rows


#: placements.xlsx: the site columns, then the material quantity (issue 12 xlsx).
_XLSX_COLUMNS: tuple[str, ...] = (*SITE_COLUMNS, "quantity")


def _cell(v: Any) -> Any:
    return None if isinstance(v, float) and v != v else v


def _append(ws: Any, values: list[Any]) -> None:
    """Append a row; text that starts with "=" stays text (never an Excel formula)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def _quantities(folder: OutputFolder) -> dict[tuple[str, str], int]:
    """(channel, venue_id) -> quantity of ``materials.csv`` (empty when not written)."""
    mat = read_playbook(folder.path).materials
    if mat is None or mat.empty:
        return {}
    return {
        (str(c), str(v)): int(q)
        for c, v, q in zip(mat["channel"], mat["venue_id"], mat["quantity"])
        if q == q
    }


def _write_sheet(ws: Any, sites: pd.DataFrame, head: dict[str, str], synthetic: bool) -> None:
    from openpyxl.styles import Font

    ws.append([head[c] for c in _XLSX_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sites[list(_XLSX_COLUMNS)].itertuples(index=False):
        _append(ws, [_cell(v) for v in row])
    share_col = SITE_COLUMNS.index("cumulative_share") + 1
    for (cell,) in ws.iter_rows(min_row=2, min_col=share_col, max_col=share_col):
        cell.number_format = "0.0%"
    widths = {"name": 34, "precinct": 12, "when": 16, "venue_id": 22, "kind": 12}
    for i, c in enumerate(_XLSX_COLUMNS, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = widths.get(c, 11)
    ws.freeze_panes = "A2"
    if synthetic:
        ws.cell(len(sites) + 3, 1, t("synthetic_banner", "zh")).font = Font(
            bold=True, color="B30000"
        )


def _save(wb: Any, path: Path) -> Path:
    """Save a workbook atomically with fixed times (the same bytes for the same content)."""
    wb.properties.creator = "geo_outreach"
    buf = io.BytesIO()
    wb.save(buf)
    data = _fixed_zip(buf.getvalue())
    return atomic_write(path, lambda p: p.write_bytes(data))


def _readme_book(folder: OutputFolder) -> tuple[Any, set[str]]:
    """Return a workbook with the notes sheet first, and the sheet names used."""
    from openpyxl import Workbook

    wb = Workbook()
    readme = wb.active
    readme.title = t("xlsx_readme", "zh")
    for row in _readme_rows(folder):
        readme.append(list(row))
    readme.column_dimensions["A"].width = 12
    readme.column_dimensions["B"].width = 100
    return wb, {readme.title}


def write_xlsx(folder: OutputFolder | str | Path) -> Path:
    """Write ``placements.xlsx``: one sheet per channel with Chinese headers, and a notes sheet.

    Parameters
    ----------
    folder
        The output folder, read or as a path.

    Returns
    -------
    pathlib.Path
        The workbook (written atomically; the same bytes for the same folder).
    """
    if not isinstance(folder, OutputFolder):
        folder = load_output_folder(folder)
    head = {**site_headers("zh"), "quantity": t("pb_quantity", "zh")}
    quantity = _quantities(folder)
    wb, used = _readme_book(folder)
    for cs in channel_sites(folder, "zh"):
        sites = cs.sites.copy()
        qty = [quantity.get((cs.channel.name, str(v))) for v in sites["venue_id"]]
        sites["quantity"] = pd.Series(qty, index=sites.index, dtype=object)
        _write_sheet(
            wb.create_sheet(_sheet_name(cs.channel.label, used)), sites, head, folder.synthetic
        )
    by_precinct = read_playbook(folder.path).by_precinct
    if by_precinct is not None and not by_precinct.empty:  # issue 12: banners/LED per precinct
        name = _sheet_name(t("pb_by_precinct", "zh"), used)
        _table_sheet(wb.create_sheet(name), by_precinct, BY_PRECINCT_COLUMNS)
    return _save(wb, folder.path / "placements.xlsx")


#: placements.xlsx: (column of materials_by_precinct.csv, header key), one summary sheet.
BY_PRECINCT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "channel"),
    ("precinct", "pb_precinct"),
    ("sites", "pb_sites_n"),
    ("quantity", "pb_quantity"),
)


#: visits.xlsx: (column of visits.csv, header key) per sheet of a grid-visits channel.
VISIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("visitor_id", "xlsx_visitor"),
    ("role", "xlsx_role"),
    ("cell_id", "xlsx_cell"),
    ("order", "xlsx_order"),
    ("week", "xlsx_week"),
    ("households", "pb_households"),
    ("mode", "pb_mode"),
    ("status", "xlsx_status"),
)
#: visits.xlsx: (column of visit_schedule.csv, header key) per sheet of a firm/school channel.
SCHEDULE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("station", "pb_station"),
    ("order", "xlsx_order"),
    ("target_id", "xlsx_target_id"),
    ("target", "xlsx_target"),
    ("kind", "xlsx_kind"),
    ("employees", "pb_employees"),
    ("date", "xlsx_date"),
    ("start", "xlsx_start"),
    ("end", "xlsx_end"),
    ("status", "xlsx_status"),
)

#: visits.xlsx: csv codes shown in Chinese (column -> code -> message key; others as given).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "role": {"police": "pb_officer", "community": "pb_worker"},
    "mode": {"door": "pb_door", "phone": "pb_phone"},
    "status": {
        "scheduled": "pb_scheduled",
        "partial": "xlsx_partial",
        "shortfall": "pb_shortfall",
        "outside": "pb_outside",
    },
    "kind": {"firm": "xlsx_firm", "school": "xlsx_school"},
}


def _label_values(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col, keys in VALUE_LABELS.items():
        if col in out:
            out[col] = [t(keys[v], "zh") if v in keys else v for v in out[col]]
    for col in ("start", "end"):  # the date has its own column: show the time, 09:00
        if col in out:
            out[col] = [v[11:16] if isinstance(v, str) and v[10:11] == "T" else v for v in out[col]]
    return out


def _table_sheet(ws: Any, df: pd.DataFrame, cols: tuple[tuple[str, str], ...]) -> None:
    from openpyxl.styles import Font

    ws.append([t(key, "zh") for _, key in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _label_values(df[[c for c, _ in cols]]).itertuples(index=False):
        _append(ws, [_cell(v.item() if hasattr(v, "item") else v) for v in row])
    for i, (c, _) in enumerate(cols, start=1):
        wide = c in ("target", "station", "visitor_id", "cell_id", "label")
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 22 if wide else 11
    ws.freeze_panes = "A2"


def write_visits_xlsx(folder: OutputFolder | str | Path) -> Path | None:
    """Write ``visits.xlsx``: one sheet per visits channel with Chinese headers (issue 12).

    Grid visits (``visits.csv``): visitor, role, cell, order, week, households, mode, status.
    Firm and school visits (``visit_schedule.csv``): station, order, target id and name, kind,
    people, date, start, end, status. Rows keep the order of the csv files; role, mode, status
    and kind codes are shown in Chinese (:data:`VALUE_LABELS`), start and end as ``HH:MM``.

    Parameters
    ----------
    folder
        The output folder, read or as a path.

    Returns
    -------
    pathlib.Path or None
        The workbook (atomically, the same bytes for the same folder); ``None`` when the
        folder has neither ``visits.csv`` nor ``visit_schedule.csv``.
    """
    if not isinstance(folder, OutputFolder):
        folder = load_output_folder(folder)
    pb = read_playbook(folder.path)
    tables = [(df, cols) for df, cols in ((pb.visits, VISIT_COLUMNS),
              (pb.schedule, SCHEDULE_COLUMNS)) if df is not None]  # fmt: skip
    if not tables:
        return None
    wb, used = _readme_book(folder)
    for df, cols in tables:
        for ch, grp in df.groupby("channel", sort=True):
            name = _sheet_name(pb.labels.get(str(ch), str(ch)), used)
            _table_sheet(wb.create_sheet(name), grp, cols)
    return _save(wb, folder.path / "visits.xlsx")


def write_exports(out_dir: str | Path | OutputFolder) -> dict[str, Path]:
    """Write ``outputs.gpkg``, ``placements.xlsx`` and (with visits) ``visits.xlsx``.

    Parameters
    ----------
    out_dir
        The output folder of a plan, or that folder already read (issue 14).

    Returns
    -------
    dict
        File name -> path.
    """
    folder = out_dir if isinstance(out_dir, OutputFolder) else load_output_folder(out_dir)
    out = {"outputs.gpkg": write_gpkg(folder), "placements.xlsx": write_xlsx(folder)}
    visits = write_visits_xlsx(folder)
    if visits is not None:
        out["visits.xlsx"] = visits
    return out
