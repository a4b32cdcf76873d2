"""Data contracts between pipeline stages and the output folder's schema, written down once as data.

Layer contracts are checked where a stage starts: ``check_layer`` collects every problem and
raises once. :data:`OUTPUT_FILES` and :data:`OUTPUT_COLUMNS` list every file of an output folder
and the columns of every table in it, in the order the writers write them; writers and the
renderer check tables with :func:`check_output`.

All analysis layers are GeoDataFrames in the *working CRS* (metres, UTM zone chosen with
``estimate_utm_crs``); outputs go back to WGS84 (EPSG:4326).

| layer      | required columns                                   | geometry          |
|------------|----------------------------------------------------|-------------------|
| precincts  | precinct_id (unique str), name; optional population| (Multi)Polygon    |
| venues     | venue_id (unique str), kind, name, precinct_id      | Point             |
| alerts     | alert_id (unique str), reported_at (tz-aware),      | Point             |
|            | category, age_band, precinct_id (None = outside)    |                   |
| placements | channel, rank, venue_id, covered_weight,            | Point             |
|            | marginal_weight                                     |                   |
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from geo_outreach._errors import InputDataError

#: The precinct id given to alerts/venues that fall in no precinct.
OUTSIDE = "outside"

CONTRACTS: dict[str, dict] = {
    "precincts": {
        "columns": ["precinct_id", "name"],
        "geom_types": {"Polygon", "MultiPolygon"},
        "unique": "precinct_id",
    },
    "venues": {
        "columns": ["venue_id", "kind", "name", "precinct_id"],
        "geom_types": {"Point"},
        "unique": "venue_id",
    },
    "alerts": {
        "columns": ["alert_id", "reported_at", "category", "age_band", "precinct_id"],
        "geom_types": {"Point"},
        "unique": "alert_id",
    },
    "placements": {
        "columns": ["channel", "rank", "venue_id", "covered_weight", "marginal_weight"],
        "geom_types": {"Point"},
        "unique": None,
    },
}

#: Venue kinds geo_outreach knows; channels pick candidates by these.
VENUE_KINDS = (
    "plaza",
    "park",
    "cafe",
    "logistics",
    "post_office",
    "school",
    "market",
    "bus_stop",
    "junction",
)

# issue 10 (F): venue kinds as Chinese venue lists write them (a layer's ``kinds`` adds more)
#: Other names of venue kinds -> our kind (compared lower-cased, spaces removed).
VENUE_KIND_ALIASES: dict[str, str] = {
    "广场": "plaza", "文化广场": "plaza", "休闲广场": "plaza",
    "公园": "park", "绿地": "park",
    "咖啡店": "cafe", "咖啡": "cafe", "咖啡馆": "cafe", "咖啡厅": "cafe", "coffee": "cafe",
    "快递": "logistics", "驿站": "logistics", "菜鸟驿站": "logistics", "物流": "logistics",
    "快递点": "logistics", "快递驿站": "logistics", "courier": "logistics",
    "邮局": "post_office", "邮政": "post_office", "邮政局": "post_office",
    "post office": "post_office",
    "学校": "school", "小学": "school", "中学": "school",
    "市场": "market", "农贸市场": "market", "菜市场": "market", "集市": "market",
    "公交站": "bus_stop", "公交车站": "bus_stop", "公交站点": "bus_stop", "bus stop": "bus_stop",
    "路口": "junction", "交叉口": "junction",
}  # fmt: skip


def check_layer(gdf: gpd.GeoDataFrame, layer: str, *, metric: bool = True) -> None:
    """Check ``gdf`` against the contract of ``layer``; raise one error listing every problem.

    Parameters
    ----------
    gdf
        The layer to check.
    layer
        A key of :data:`CONTRACTS`.
    metric
        Require a projected CRS in metres (the working CRS).
    """
    contract = CONTRACTS[layer]
    problems: list[str] = []
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputDataError(f"{layer}: expected a GeoDataFrame, got {type(gdf).__name__}")
    missing = [c for c in contract["columns"] if c not in gdf.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    if gdf.crs is None:
        problems.append("no CRS")
    elif metric and not gdf.crs.is_projected:
        problems.append(f"CRS {gdf.crs.to_string()} is not projected in metres; use to_crs")
    if len(gdf):
        types = set(gdf.geom_type.dropna().unique())
        bad = types - contract["geom_types"]
        if bad:
            expected = sorted(contract["geom_types"])
            problems.append(f"geometry types {sorted(bad)} (expected {expected})")
    key = contract["unique"]
    if key and key in gdf.columns:
        dup = gdf[key][gdf[key].duplicated()].unique()
        if len(dup):
            problems.append(f"duplicate {key} values {list(map(str, dup[:5]))}")
    if (
        layer == "alerts"
        and "reported_at" in gdf.columns
        and not isinstance(gdf["reported_at"].dtype, pd.DatetimeTZDtype)
    ):
        problems.append("reported_at must be timezone-aware datetimes")
    if problems:
        raise InputDataError(f"{layer} layer breaks its contract: " + "; ".join(problems))


# --------------------------------------------------------------------------- output folder

#: Every file a plan (``geo-outreach plan``) and a backtest (``geo-outreach evaluate``) write
#: into an output folder, in the order of the table in :mod:`geo_outreach.outputs`.
#: ``REQUIRED_OUTPUTS`` must be there for the folder to be rendered; the rest are optional.
PLAN_OUTPUT_FILES: tuple[str, ...] = (
    "manifest.json",
    "rejects.csv",
    "precincts.geojson",
    "precinct_stats.csv",
    "monthly_trends.csv",
    "alerts.csv",
    "alerts.parquet",  # issue 14: large runs (or [output] alerts_parquet = true)
    "venues.geojson",
    "streets.geojson",
    "density.tif",
    "hotspots.geojson",
    "clusters.geojson",
    "time_profile.csv",
    "placements.csv",
    "placements.geojson",
    "coverage_curve.csv",
    "reach.geojson",
    "patrol_route.geojson",
    "uncovered_hotspots.geojson",
    # issue 12: the playbook stage
    "materials.csv",
    "materials_by_precinct.csv",  # issue 12 (gaps): banners/LED and other sites per precinct
    "calendar.csv",
    "calendar.ics",
    "visit_schedule.csv",
    "visits.csv",
    "visit_grid.geojson",
    "visit_calendars",  # a folder: one <channel>_<station_id>.ics per station
)
#: In the order ``geo-outreach evaluate`` lists them.
EVALUATION_OUTPUT_FILES: tuple[str, ...] = ("evaluation.csv", "evaluation.png", "evaluation.json")
RENDERED_FILES: tuple[str, ...] = ("map.html", "briefing.html", "briefing.png", "briefing.pdf")
# issue 13: files of `geo-outreach effect`, in the order it lists them
EFFECT_OUTPUT_FILES: tuple[str, ...] = (
    "effect.csv", "effect.json", "effect.png", "campaign_log_rejects.csv"
)  # fmt: skip
# issue 13: written by `plan` (after the analytics) when the alerts span >= 3 months
EMERGING_OUTPUT_FILES: tuple[str, ...] = ("emerging_hotspots.geojson",)
# issue 11 briefing: the English files beside the Chinese ones (``--lang en`` / ``zh,en``), and
# the files for GIS analysts (QGIS) and office staff (Excel)
RENDERED_FILES += ("map.en.html", "briefing.en.html", "briefing.en.png", "briefing.en.pdf")
EXPORT_FILES: tuple[str, ...] = ("outputs.gpkg", "placements.xlsx", "visits.xlsx")  # issue 12 xlsx
OUTPUT_FILES: tuple[str, ...] = (
    PLAN_OUTPUT_FILES
    + EVALUATION_OUTPUT_FILES
    + RENDERED_FILES
    + EXPORT_FILES
    + EFFECT_OUTPUT_FILES
    + EMERGING_OUTPUT_FILES
)
REQUIRED_OUTPUTS: tuple[str, ...] = ("manifest.json", "precincts.geojson")

#: Spelling of the column lists in :data:`OUTPUT_COLUMNS`: ``"name?"`` is a column a writer
#: leaves out when its input lacks it; ``"prefix*"`` stands for zero or more columns whose names
#: start with ``prefix`` (one per alert category). GeoJSON files list their properties (the
#: geometry column is not listed).
_PRECINCT_STATS = (
    "cat_*",
    "top_category",
    "latest_month",
    "latest_alerts",
    "mom_pct",
    "yoy_pct",
    "mom_p",
    "yoy_p",
    "mom_significant",
    "yoy_significant",
)
_PATROL_ROUTE = (
    "channel",
    "feature",
    "order",
    "cell_id",
    "venue_id",
    "alerts",
    "covered_weight",
    "windows",
    "length_m",
    # issue 15: (length - lower bound) / lower bound of the route row (0 = shortest tour)
    "tour_gap",
)
_PLACEMENTS = (
    "channel",
    "rank",
    "venue_id",
    "name",
    "kind",
    "precinct_id",
    "covered_weight",
    "marginal_weight",
    "cumulative_share",
    "existing",
)
_EVALUATION = (
    "split", "train_start", "train_end", "test_start", "test_end", "channel", "method",
    "k", "existing", "distance", "radius_m", "train_alerts", "test_alerts", "test_weight",
    "hits", "hit_rate_unweighted", "covered_weight", "hit_rate", "hit_rate_lo", "hit_rate_hi",
    "area_share", "pai", "pai_lo", "pai_hi", "pei", "pei_lo", "pei_hi", "share_of_oracle",
    "random_sd", "sites",
    # issue 13: the plan's hit rate with raw and with forecast demand (same split, same
    # channel settings), the channel's configured demand and the forecast's CV choice
    "demand", "raw_hit_rate", "forecast_hit_rate", "forecast_bandwidth_m",
    "forecast_half_life_days",
)  # fmt: skip

#: The columns of every output table, in the order the writers write them.
OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "rejects.csv": ("layer", "file", "row", "column", "reason", "value"),
    "precincts.geojson": (
        "precinct_id",
        "name",
        "population",
        "illustrative?",
        "area_km2",
        "alerts",
        "share_pct",
        "alerts_outside",
        "alerts_per_km2",
        "alerts_per_10k",
        *_PRECINCT_STATS,
    ),
    "precinct_stats.csv": (
        "precinct_id",
        "name",
        "alerts",
        "share_pct",
        "alerts_outside",
        "area_km2",
        "alerts_per_km2",
        "population",
        "alerts_per_10k",
        *_PRECINCT_STATS,
    ),
    "monthly_trends.csv": (
        "precinct_id",
        "month",
        "alerts",
        "mom_pct",
        "yoy_pct",
        "mom_p",
        "yoy_p",
        "mom_significant",
        "yoy_significant",
        "days_covered",
        "partial",
    ),
    "alerts.csv": ("alert_id", "reported_at", "category", "age_band", "precinct_id", "lon", "lat"),
    # issue 14: GeoParquet (WGS84), geometry column besides these
    "alerts.parquet": ("alert_id", "reported_at", "category", "age_band", "precinct_id"),
    "venues.geojson": ("venue_id", "kind", "name", "precinct_id"),
    "streets.geojson": ("highway",),
    "hotspots.geojson": ("cell_id", "alerts", "gi_z", "p", "p_fdr", "hot_class"),
    "clusters.geojson": (
        "cluster_id",
        "alerts",
        "share_pct",
        "top_categories",
        "peak_hours",
        "peak_share",
        "area_km2",
    ),
    "time_profile.csv": ("group_type", "group_id", "weekday", "hour", "alerts"),
    "placements.csv": _PLACEMENTS[:6] + ("lon", "lat") + _PLACEMENTS[6:],
    "placements.geojson": _PLACEMENTS,
    "coverage_curve.csv": ("channel", "k", "covered_weight", "covered_share"),
    "reach.geojson": ("channel", "rank", "venue_id", "distance", "radius_m"),
    "patrol_route.geojson": _PATROL_ROUTE,
    "uncovered_hotspots.geojson": ("cell_id", "alerts", "gi_z", "hot_class"),
    "evaluation.csv": _EVALUATION,
    # issue 12: the playbook stage
    "materials.csv": (
        "channel",
        "label",
        "venue_id",
        "name",
        "precinct_id",
        "basis",
        "basis_value",
        "share",
        "quantity",
        "stock",
    ),
    "materials_by_precinct.csv": (  # issue 12 (gaps)
        "channel",
        "label",
        "precinct_id",
        "precinct",
        "sites",
        "quantity",
    ),
    "calendar.csv": (
        "channel",
        "label",
        "kind",
        "start",
        "end",
        "weekdays",
        "hours",
        "share",
        "title",
    ),
    "visit_schedule.csv": (
        "channel",
        "station_id",
        "station",
        "order",
        "target_id",
        "target",
        "kind",
        "employees",
        "exposure",
        "date",
        "start",
        "end",
        "status",
        "lon",
        "lat",
    ),
    "visits.csv": (
        "channel",
        "visitor_id",
        "role",
        "grid_id",
        "cell_id",
        "order",
        "week",
        "households",
        "elderly",
        "living_alone",
        "mode",
        "benefit",
        "status",
    ),
    "visit_grid.geojson": (
        "grid_id",
        "role",
        "cell_id",
        "precinct_id",
        "generated",
        "elderly",
        "living_alone",
        "alerts",
        "benefit",
    ),
    # issue 13: the effect estimate (one "overall" row, then one "event" row per month)
    "effect.csv": (
        "row_type",
        "event_time",
        "pct",
        "pct_lo",
        "pct_hi",
        "coef",
        "se",
        "n_units",
    ),  # fmt: skip
    "campaign_log_rejects.csv": ("layer", "file", "row", "column", "reason", "value"),
    "emerging_hotspots.geojson": (
        "cell_id",
        "precinct_id",
        "precinct_name",
        "alerts",
        "pattern",
        "hot_months",
        "first_hot_month",
        "run_start_month",
        "last_month_z",
        "mk_z",
        "mk_p",
    ),  # fmt: skip
}

#: ``monthly_trends.csv``: the ``precinct_id`` of the rows for the whole study area.
DISTRICT_ID = "all"
#: ``hotspots.geojson`` ``hot_class`` values and their signed confidence level (99/95/90 %).
HOT_CLASS_LEVELS: dict[str, int] = {
    "hot99": 3,
    "hot95": 2,
    "hot90": 1,
    "ns": 0,
    "cold90": -1,
    "cold95": -2,
    "cold99": -3,
}
#: ``patrol_route.geojson`` ``feature`` values.
PATROL_STOP, PATROL_ROUTE = "stop", "route"


def output_columns(name: str, columns: Iterable[str]) -> list[str]:
    """List the problems of a table's ``columns`` against :data:`OUTPUT_COLUMNS`.

    Parameters
    ----------
    name
        A key of :data:`OUTPUT_COLUMNS`, e.g. ``"placements.csv"``.
    columns
        The table's columns (a GeoDataFrame's geometry column is ignored).

    Returns
    -------
    list of str
        One line per missing, unexpected or misplaced column.
    """
    have = [c for c in columns if c != "geometry"]
    spec = OUTPUT_COLUMNS[name]
    expected: list[str] = []
    for col in spec:
        if col.endswith("*"):
            expected += [c for c in have if c.startswith(col[:-1]) and c not in expected]
        elif not col.endswith("?") or col[:-1] in have:
            expected.append(col.rstrip("?"))
    problems = []
    missing = [c for c in expected if c not in have]
    extra = [c for c in have if c not in expected]
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unexpected columns {extra}")
    if not missing and not extra and have != expected:
        problems.append(f"columns out of order (expected {expected})")
    return problems


def columns_of(name: str) -> list[str]:
    """Return the fixed column list of an output table (for the writer that builds it).

    Parameters
    ----------
    name
        A key of :data:`OUTPUT_COLUMNS` whose spec has no optional (``?``) or wildcard (``*``)
        column, e.g. ``"placements.geojson"``.

    Returns
    -------
    list of str
        The columns in written order (a GeoDataFrame adds ``geometry``).
    """
    spec = OUTPUT_COLUMNS[name]
    if any(c.endswith(("?", "*")) for c in spec):
        raise ValueError(f"{name} has optional or wildcard columns; use output_columns()")
    return list(spec)


def check_written(name: str, frame: pd.DataFrame) -> None:
    """Check a table a writer is about to write against :data:`OUTPUT_COLUMNS`.

    A mismatch is a bug in geo_outreach (a writer and the schema disagree), not bad input,
    so it raises ``RuntimeError`` naming the table and the columns.

    Parameters
    ----------
    name
        The file name, a key of :data:`OUTPUT_COLUMNS`.
    frame
        The table to be written.
    """
    problems = output_columns(name, frame.columns)
    if problems:
        raise RuntimeError(
            f"internal error: {name} does not match geo_outreach._validate.OUTPUT_COLUMNS: "
            + "; ".join(problems)
        )


def check_output(name: str, frame: pd.DataFrame) -> None:
    """Check an output table against :data:`OUTPUT_COLUMNS`; raise one error naming the fix.

    Parameters
    ----------
    name
        The file name, a key of :data:`OUTPUT_COLUMNS`.
    frame
        The table as written or as read back.

    Raises
    ------
    InputDataError
        When a column is missing, unexpected or out of order.
    """
    problems = output_columns(name, frame.columns)
    if problems:
        raise InputDataError(
            f"{name}: " + "; ".join(problems) + "; it was not written by this version of "
            "geo_outreach: re-run `geo-outreach plan` (or `geo-outreach evaluate`)"
        )


#: How OpenStreetMap tags map to our venue ``kind`` (first match wins, in this order).
#: Courier/logistics points: ``office=courier`` (courier company office), ``amenity=post_depot``
#: (sorting/delivery depot), ``amenity=parcel_locker`` and ``shop=outpost`` (pick-up points,
#: e.g. 菜鸟驿站) are the tags OSM uses; ``shop=courier`` is accepted as seen in the wild.
OSM_TAG_KINDS: tuple[tuple[str, str, str], ...] = (
    ("place", "square", "plaza"),
    ("leisure", "park", "park"),
    ("amenity", "cafe", "cafe"),
    ("amenity", "post_office", "post_office"),
    ("office", "courier", "logistics"),
    ("amenity", "post_depot", "logistics"),
    ("amenity", "parcel_locker", "logistics"),
    ("shop", "outpost", "logistics"),
    ("shop", "courier", "logistics"),
    ("amenity", "school", "school"),
    ("amenity", "marketplace", "market"),
    ("highway", "bus_stop", "bus_stop"),
)


def osm_tags_query() -> dict[str, list[str]]:
    """Return the ``tags`` argument for ``osmnx.features_from_*`` that fetches every mapped kind."""
    tags: dict[str, list[str]] = {}
    for key, value, _ in OSM_TAG_KINDS:
        tags.setdefault(key, []).append(value)
    return tags
