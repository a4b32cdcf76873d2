"""Data contracts between pipeline stages, written down once as data and checked where a
stage starts. ``check_layer`` collects every problem and raises once.

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
            problems.append(f"geometry types {sorted(bad)} (expected {sorted(contract['geom_types'])})")
    key = contract["unique"]
    if key and key in gdf.columns:
        dup = gdf[key][gdf[key].duplicated()].unique()
        if len(dup):
            problems.append(f"duplicate {key} values {list(map(str, dup[:5]))}")
    if (layer == "alerts" and "reported_at" in gdf.columns
            and not isinstance(gdf["reported_at"].dtype, pd.DatetimeTZDtype)):
        problems.append("reported_at must be timezone-aware datetimes")
    if problems:
        raise InputDataError(f"{layer} layer breaks its contract: " + "; ".join(problems))

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
    """The ``tags`` argument for ``osmnx.features_from_*`` that fetches every mapped kind."""
    tags: dict[str, list[str]] = {}
    for key, value, _ in OSM_TAG_KINDS:
        tags.setdefault(key, []).append(value)
    return tags
