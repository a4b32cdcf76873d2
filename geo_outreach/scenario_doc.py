"""``docs/SCENARIO.md``, generated from the scenario dataclasses (issue 10).

Every key of every section, with its type, default, allowed range (from
:data:`geo_outreach.scenario.RANGES`) and an example, is read from the dataclasses in
:mod:`geo_outreach.scenario`; only the one-line descriptions and examples are written here, in
:data:`KEYS`. ``tests/test_scenario_doc.py`` fails when the file and the dataclasses drift or a
key has no description; regenerate with ``python scripts/make_scenario_doc.py``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from geo_outreach._validate import VENUE_KINDS
from geo_outreach.scenario import (
    AlertLayer,
    AnalysisConfig,
    Campaign,
    CampaignLogConfig,
    ChannelConfig,
    EngineConfig,
    KeyDate,
    OutputConfig,
    PeriodConfig,
    PrecinctLayer,
    ScenarioInfo,
    StreetLayer,
    VenueLayer,
)
from geo_outreach.scenario_checks import RANGES, WEIGHT_RANGE

#: (TOML header, dataclass, what the section is) in the order of a scenario file.
SECTIONS: tuple[tuple[str, type, str], ...] = (
    ("[scenario]", ScenarioInfo, "General settings. Optional."),
    ("[precincts]", PrecinctLayer, "Precinct polygons (GeoJSON, GeoPackage, Shapefile). Required."),
    (
        "[alerts]",
        AlertLayer,
        "Fraud alerts (CSV, XLSX, GeoJSON, or a PostGIS query/table with "
        '`source = "postgis"`). Required.',
    ),
    (
        "[[venues]]",
        VenueLayer,
        "Venue files (OSM XML `.osm`/`.osm.bz2`, CSV or GeoJSON with a kind column); repeat the "
        "table for several files. Optional.",
    ),
    ("[streets]", StreetLayer, 'Walking network (OSM XML), for `distance = "walk"`. Optional.'),
    ("[analysis]", AnalysisConfig, "Alert analytics. Optional; empty keys are derived."),
    (
        "[channels.NAME]",
        ChannelConfig,
        "One outreach channel per table; NAME is its id (e.g. `[channels.square_dance]`).",
    ),
    ("[output]", OutputConfig, "Where and how outputs are written. Optional."),
    ("[period]", PeriodConfig, "Study period: alerts outside it are rejected. Optional."),
    ("[campaign]", Campaign, "Campaign period for the calendar. Optional."),
    ("[[key_dates]]", KeyDate, "Key dates of the campaign (repeat the table). Optional."),
    # issue 13
    (
        "[campaign_log]",
        CampaignLogConfig,
        "The campaign log (what was done): `plan`, `demo` and `effect` estimate the effect from "
        "it; `effect --log` overrides. Optional.",
    ),
    (
        "[engine]",
        EngineConfig,
        "Engine that loads and cleans the alerts (issue 14): pandas in this process, or Dask "
        "partitions on local worker processes or an existing cluster. Optional.",
    ),
)

#: ``section.key`` -> (description, example as TOML). Sections are the dataclass names above.
KEYS: dict[str, tuple[str, str]] = {
    "ScenarioInfo.name": ("Short name of the run, used in file names", '"xinhui_demo"'),
    "ScenarioInfo.title": ("Title on the map and the briefing", '"新会区反诈宣传投放方案"'),
    "ScenarioInfo.timezone": (
        "IANA time zone of the alert times (checked when read)",
        '"Europe/Berlin"',
    ),
    "ScenarioInfo.seed": ("Seed of every random step (same seed, same outputs)", "20261128"),
    "PrecinctLayer.path": (
        "Polygon file, relative to the scenario file",
        '"data/precincts.geojson"',
    ),
    "PrecinctLayer.datum": (
        "Datum of the coordinates: `wgs84` (GPS, OSM), `gcj02` (Amap, Tencent), `bd09` (Baidu)",
        '"wgs84"',
    ),
    "PrecinctLayer.id_column": (
        "Column with the precinct id (guessed when empty)",
        '"precinct_id"',
    ),
    "PrecinctLayer.name_column": ("Column with the precinct name", '"name"'),
    "PrecinctLayer.population_column": (
        "Column with the population (rates per 10,000 residents)",
        '"population"',
    ),
    "PrecinctLayer.layer": ("Layer name inside a GeoPackage", '"precincts"'),
    "PrecinctLayer.illustrative": (
        "The boundaries are not official: every map says so",
        "true",
    ),
    "PrecinctLayer.note": ("Note on the data, shown on every map", '"boundaries from 2024"'),
    "AlertLayer.path": (
        'Alert file, relative to the scenario file (required unless source = "postgis")',
        '"data/alerts.csv"',
    ),
    "AlertLayer.datum": ("Datum of the coordinates (see [precincts] datum)", '"gcj02"'),
    "AlertLayer.columns": (
        "Our column names (id, time, category, age_band, lon, lat) -> your file's headers",
        '{ time = "报警时间", lon = "经度", lat = "纬度" }',
    ),
    "AlertLayer.encoding": ("Text encoding: `auto`, `utf-8`, `gbk` ...", '"gbk"'),
    "AlertLayer.sheet": ("Sheet of an XLSX file (default: the first)", '"警情"'),
    "AlertLayer.synthetic": ("The alerts are synthetic: every map says so", "true"),
    "AlertLayer.note": ("Note on the data, shown on every map", '"export of 2025-06-30"'),
    "AlertLayer.max_outside_km": (
        "Alerts farther than this outside every precinct are rejected (kept as 'outside' "
        "when nearer)",
        "20.0",
    ),
    "VenueLayer.path": ("Venue file, relative to the scenario file", '"data/venues.csv"'),
    "VenueLayer.datum": ("Datum of the coordinates (see [precincts] datum)", '"wgs84"'),
    "VenueLayer.columns": (
        "Our column names (id, kind, name, lon, lat) -> your file's headers",
        '{ kind = "type" }',
    ),
    "VenueLayer.encoding": ("Text encoding of a CSV: `auto`, `utf-8`, `gbk` ...", '"auto"'),
    "VenueLayer.synthetic": ("The venues are synthetic: every map says so", "true"),
    "VenueLayer.note": ("Note on the data, shown on every map", '"OSM 2025-06"'),
    "StreetLayer.path": (
        "OSM XML street file (`geo-outreach osm fetch` writes one)",
        '"data/streets.osm"',
    ),
    "StreetLayer.datum": ("Datum of the coordinates", '"wgs84"'),
    "StreetLayer.synthetic": ("The streets are synthetic: every map says so", "false"),
    "AnalysisConfig.cell_m": ("Grid cell of density and hot spots (m)", "250"),
    "AnalysisConfig.bandwidth_m": ("Kernel density bandwidth (m)", "400"),
    "AnalysisConfig.half_life_days": ("Older alerts count less: weight halves every N days", "90"),
    "AnalysisConfig.category_weights": (
        "Weight per alert category in the analytics (1 = normal)",
        '{ "刷单返利" = 2.0 }',
    ),
    "AnalysisConfig.gi_distance_m": ("Neighbour distance of the Gi* hot-spot test (m)", "500"),
    "AnalysisConfig.fdr": ("Correct the hot-spot test for many cells (FDR)", "true"),
    "AnalysisConfig.cluster_eps_m": ("DBSCAN cluster radius (m)", "300"),
    "AnalysisConfig.cluster_min_samples": ("Alerts needed to make a cluster", "15"),
    "ChannelConfig.label": ("Name on the map and the briefing", '"广场舞宣传"'),
    "ChannelConfig.type": (
        "`venues` (choose among venues) or `patrol` (stops and a route)",
        '"venues"',
    ),
    "ChannelConfig.venue_kinds": (
        "Venue kinds to choose among: " + ", ".join(VENUE_KINDS),
        '["plaza", "park"]',
    ),
    "ChannelConfig.budget": ("Number of sites (or patrol stops) to choose", "8"),
    "ChannelConfig.radius_m": ("Reach of one site (m)", "800"),
    "ChannelConfig.distance": ("`straight` line or `walk` on the street network", '"walk"'),
    "ChannelConfig.category_weights": (
        "Weight per alert category for this channel (keys must match the alerts' categories)",
        '{ "冒充公检法" = 2.0 }',
    ),
    "ChannelConfig.age_weights": (
        "Weight per victim age band for this channel",
        '{ "60+" = 2.0 }',
    ),
    "ChannelConfig.existing": ("Venue ids already in use: kept, the rest is added", '["V12"]'),
    "ChannelConfig.min_per_precinct": ("At least this many sites in every precinct", "1"),
    "ChannelConfig.min_share_per_precinct": (
        "At least this share of each precinct's alerts reached",
        "0.2",
    ),
    "ChannelConfig.min_spacing_m": ("Chosen sites at least this far apart (m)", "300"),
    "ChannelConfig.method": ("Solver: `auto`, `greedy` or `exact`", '"auto"'),
    "ChannelConfig.time_limit_s": (
        "Optional solver safety net (s); unset = none: the solve is budgeted by work and "
        "gives the same answer on any machine (a limit that stops it early is noted)",
        "600",
    ),
    "OutputConfig.dir": ("Output folder, relative to the scenario file", '"outputs"'),
    "OutputConfig.basemap": (
        "`none` (offline), `osm`, `tianditu`, `amap` or a tile URL with {z}/{x}/{y}",
        '"none"',
    ),
    "OutputConfig.lang": ("Language of maps and briefing: `zh` or `en`", '"zh"'),
    "OutputConfig.langs": (
        "Several languages at once: zh -> map.html, en -> map.en.html (default: just lang)",
        '["zh", "en"]',
    ),
    # issue 14
    "OutputConfig.alerts_parquet": (
        "Write alerts.parquet (cleaned alerts, WGS84 GeoParquet): true, false; unset = only "
        "for runs of 100,000 alerts or more",
        "true",
    ),
    # issue 10: input keys
    "PrecinctLayer.merge_duplicate_ids": (
        "Dissolve polygons that share a precinct id into one precinct (else repeated ids are an "
        "error naming them)",
        "true",
    ),
    "AlertLayer.header_row": ("1-based row of the header in a spreadsheet (default: found)", "3"),
    "AlertLayer.time_format": (
        "strftime format of the time column when it is not found automatically",
        '"%d/%m/%Y %H:%M"',
    ),
    "AlertLayer.dayfirst": (
        "Day before month in dates like 05/01/2025 (default: decided once per file)",
        "true",
    ),
    "VenueLayer.sheet": (
        "Sheet of an XLSX venue file (default: the first with a header)",
        '"场所"',
    ),
    "VenueLayer.header_row": ("1-based row of the header in a spreadsheet", "2"),
    "VenueLayer.kinds": (
        "Your kind names -> ours (plaza, park, cafe, logistics, post_office, school, market, "
        "bus_stop)",
        '{ "驿站" = "logistics" }',
    ),
    "PeriodConfig.start": (
        "First day of the study period; earlier alerts are rejected",
        '"2024-01-01"',
    ),
    "PeriodConfig.end": ("Last day of the study period; later alerts are rejected", '"2026-10-31"'),
    # issue 12: materials and visits channels
    "ChannelConfig.stock": (
        "Material to hand out (cup sleeves, stickers), split over the chosen sites in proportion "
        "to the demand each covers; 0 = none",
        "150000",
    ),
    "ChannelConfig.min_per_site": ("Least material per chosen site (with stock)", "2000"),
    "ChannelConfig.max_per_site": ("Most material per chosen site; 0 = no maximum", "40000"),
    "ChannelConfig.footfall": (
        "Venue id -> footfall, used instead of covered demand to split the stock",
        '{ "cafe_12" = 800 }',
    ),
    "ChannelConfig.firms": (
        "Visits channel: firms table (CSV/XLSX: name, lon, lat, employees)",
        '"firms.csv"',
    ),
    "ChannelConfig.schools": ("Visits channel: schools table (CSV/XLSX)", '"schools.csv"'),
    "ChannelConfig.window_start": ("Visits channel: first day of the visit window", "2026-06-15"),
    "ChannelConfig.window_end": ("Visits channel: last day of the visit window", "2026-06-24"),
    "ChannelConfig.daily_capacity": ("Visits per station per day", "4"),
    "ChannelConfig.work_hours": ("Visits channel: working hours [start, end)", "[9, 17]"),
    "ChannelConfig.visit_minutes": ("Length of one visit in minutes", "60"),
    # issue 12 (gaps): visiting days, lunch break, public holidays
    "ChannelConfig.weekdays": (
        "Visits channel: ISO weekdays with visits (1 = Monday ... 7 = Sunday)",
        "[1, 2, 3, 4, 5]",
    ),
    "ChannelConfig.lunch": (
        'Visits channel: lunch break no visit overlaps ("" = none)',
        '"12:00-14:00"',
    ),
    "ChannelConfig.skip_dates": (
        "Visits channel: days without visits (public holidays)",
        "[2026-06-19]",
    ),
    "ChannelConfig.police_grid": (
        "Grid visits: police grid (警格) polygons",
        '"police_grid.geojson"',
    ),
    "ChannelConfig.community_grid": (
        "Grid visits: community grid (网格) polygons (default: a generated square grid)",
        '"community_grid.geojson"',
    ),
    "ChannelConfig.residents": (
        "Grid visits: residents per community grid cell (elderly, living alone)",
        '"residents.csv"',
    ),
    "ChannelConfig.grid_size_m": ("Cell size of a generated grid, metres", "1000"),
    "ChannelConfig.officer_per_week": ("Households a community officer visits per week", "20"),
    "ChannelConfig.worker_per_week": ("Households a grid worker visits per week", "30"),
    "ChannelConfig.door_if_alone_share": (
        "A cell is visited at the door when at least this share of its elderly live alone, "
        "else by phone",
        "0.2",
    ),
    # issue 14 (begin)
    "AlertLayer.source": (
        "`file` (path) or `postgis` (query or table on a PostgreSQL/PostGIS server; install "
        "the `postgis` extra). Rows are numbered in the order the query returns them",
        '"postgis"',
    ),
    "AlertLayer.dsn_env": (
        "Environment variable holding the libpq connection string (never written to "
        "outputs, logs or errors)",
        '"GEO_OUTREACH_DSN"',
    ),
    "AlertLayer.query": (
        "PostGIS: a SELECT returning the alert columns (a geometry column is read as lon/lat); "
        "add ORDER BY for stable row numbers",
        "\"SELECT * FROM alerts WHERE reported_at >= '2024-01-01' ORDER BY id\"",
    ),
    "AlertLayer.table": ("PostGIS: a table or view to read whole", '"public.alerts"'),
    "EngineConfig.kind": (
        "`pandas` (one process) or `dask` (partitions cleaned in parallel; install the `dask` "
        "extra)",
        '"dask"',
    ),
    "EngineConfig.workers": ("Dask: local worker processes (one thread each)", "4"),
    "EngineConfig.scheduler": (
        "Dask: address of an existing scheduler (instead of local workers)",
        '"tcp://10.0.0.5:8786"',
    ),
    "EngineConfig.partition_rows": ("Dask: alert rows per partition", "1000000"),
    # issue 14 (end)
    "Campaign.start": ("First day of the campaign", "2026-06-01"),
    "Campaign.end": ("Last day of the campaign", "2026-07-31"),
    "KeyDate.date": ("Day of a key event", "2026-06-15"),
    "KeyDate.title": ("What happens that day", '"交易会"'),
    "KeyDate.end": ("Last day of a multi-day event (optional)", "2026-06-24"),
    # issue 13: the campaign log and forecast demand
    "CampaignLogConfig.path": (
        "Campaign log file (CSV or XLSX), relative to the scenario",
        '"campaign_log.csv"',
    ),
    "ChannelConfig.demand": (
        "`raw`: the alerts as they are; `forecast`: alerts smoothed in space and weighted in "
        "time, bandwidth and half-life chosen by month-ahead cross-validation on the alerts",
        '"forecast"',
    ),
    "CampaignLogConfig.datum": (
        "Datum of the log's coordinates when a row has no 坐标系 value (none: such rows are "
        "rejected)",
        '"gcj02"',
    ),
    "CampaignLogConfig.sheet": ("XLSX sheet name (default the first)", '"活动记录"'),
    "CampaignLogConfig.encoding": ("CSV text encoding (`auto` detects UTF-8/GBK)", '"auto"'),
    "CampaignLogConfig.synthetic": ("Label the log SYNTHETIC on the chart and briefing", "true"),
}

_SKIP = {
    "ChannelConfig.name",  # the NAME of [channels.NAME]
    "ScenarioInfo.timezone_given",  # set by the reader, not a key
}


def _type_text(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return " or ".join(_type_text(a) for a in args) + " (optional)"
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in get_args(tp))
    if origin is tuple:
        return f"list of {_type_text(get_args(tp)[0])}"
    if origin is dict:
        return f"table of {_type_text(get_args(tp)[1])}"
    names = {str: "text", int: "whole number", float: "number", bool: "true/false", Path: "path"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _default_text(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "**required**"
    if value is None:
        return "derived" if f.name.endswith(("_m", "_days")) else "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return f'`"{value}"`'
    if isinstance(value, (dict, tuple)) and not value:
        return "empty"
    return f"`{value}`"


def _range_text(name: str, tp: Any) -> str:
    if name.endswith("_weights"):
        return WEIGHT_RANGE.text()
    rng = RANGES.get(name)
    if rng is not None:
        return rng.text()
    return "finite" if tp in (int, float) or float in get_args(tp) else ""


def missing_descriptions() -> list[str]:
    """Return the ``Class.key`` of every scenario key without an entry in :data:`KEYS`."""
    return [
        f"{cls.__name__}.{f.name}"
        for _, cls, _ in SECTIONS
        for f in dataclasses.fields(cls)
        if f"{cls.__name__}.{f.name}" not in KEYS and f"{cls.__name__}.{f.name}" not in _SKIP
    ]


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def scenario_markdown() -> str:
    """Return the text of ``docs/SCENARIO.md``: every key, type, default, range and example."""
    lines = [
        "# Scenario file reference",
        "",
        "<!-- generated by scripts/make_scenario_doc.py from geo_outreach/scenario.py; "
        "do not edit by hand -->",
        "",
        "A scenario is a TOML file (UTF-8). Relative paths are resolved against the scenario "
        "file's folder. An unknown key is an error that suggests the nearest key; every number "
        "is checked when the file is read (NaN and infinity are errors, and the ranges below "
        "apply). Start from `geo-outreach init DIR --blank` (a commented template) or "
        "`geo-outreach init DIR` (the Xinhui demo), then run `geo-outreach validate`.",
        "",
    ]
    for header, cls, what in SECTIONS:
        hints = typing.get_type_hints(cls)
        lines += [
            f"## `{header}`",
            "",
            what,
            "",
            "| key | type | default | range | example | what |",
            "|---|---|---|---|---|---|",
        ]
        for f in dataclasses.fields(cls):
            key = f"{cls.__name__}.{f.name}"
            if key in _SKIP:
                continue
            desc, example = KEYS.get(key, ("(not described yet)", ""))
            cells = [
                f"`{f.name}`",
                _type_text(hints[f.name]),
                _default_text(f),
                _range_text(f.name, hints[f.name]),
                f"`{example}`" if example else "",
                desc,
            ]
            lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)
