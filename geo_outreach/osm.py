"""Optional live OpenStreetMap download, behind ``geo-outreach osm fetch`` (library only).

The only module that talks to the network. Everything else reads files, so a planner without
internet access uses an extract downloaded elsewhere; this command just saves one for them.

What ``fetch_osm(place=... | bbox=..., out="xinhui.osm")`` writes
------------------------------------------------------------------
``xinhui.osm``
    The walking network as OSM XML (one ``<way>`` per OSM way, original node order, tags
    ``highway``, ``name``, ``oneway`` ...). Read back with ``[streets] path = "xinhui.osm"``
    or ``ox.graph_from_xml(path, bidirectional=True)``.
``xinhui_venues.geojson``
    One Point per venue (WGS84): ``venue_id`` (``osm:node/123``, ``osm:way/45``), ``kind``
    (first match in ``OSM_TAG_KINDS``), ``name``. Read back with
    ``[[venues]] path = "xinhui_venues.geojson"`` (GeoJSON with a ``kind`` column).
``xinhui_fetch.json``
    Provenance: place/bbox, servers, time, counts, ODbL attribution (for humans, manifests).

Why this split: osmnx writes OSM XML only for a street graph (``save_graph_xml``), not for
features, and the venue loader already accepts GeoJSON with a ``kind`` column. Polygon venues
(a park, a square drawn as an area) become a point: their centroid, computed in a metric CRS,
or a point inside the polygon when the centroid falls outside it (an L-shaped square). The
venue's OSM element type stays in its id.

How osmnx is driven
-------------------
osmnx keeps its options in the global module ``osmnx.settings``. ``fetch_osm`` sets what it
needs (server URLs, timeout, no HTTP cache, ``all_oneway`` so the graph can be saved as OSM
XML, no DNS-over-HTTPS to 8.8.8.8, which is blocked in mainland China and would only add a
long wait) and restores every value afterwards, also ``socket.getaddrinfo``, which osmnx
replaces to pin the Overpass host to one IP. Rate limiting through the Overpass ``/status``
endpoint stays on for the public server (it uses slot management) and is turned off for a
custom ``overpass_url`` (own instance or mirror, whose status page osmnx may not parse; it
would then wait 60 s before every request).

Before downloading, each server is contacted once with a short connect timeout, so that a
machine without network fails within seconds with :class:`NetworkUnavailableError` instead of
after osmnx's fixed pauses. Known limit: osmnx itself retries an HTTP 429/504 answer every
55 s without an upper bound.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import geopandas as gpd
import pandas as pd
import requests
from shapely.geometry import MultiPolygon, Polygon, box

from geo_outreach._errors import InputDataError, NetworkUnavailableError
from geo_outreach._version import __version__
from geo_outreach._validate import OSM_TAG_KINDS, osm_tags_query
from geo_outreach.outputs import atomic_write, write_geojson, write_json

logger = logging.getLogger(__name__)

#: Public servers used when no URL is given (osmnx's defaults).
DEFAULT_OVERPASS_URL = "https://overpass-api.de/api"
DEFAULT_NOMINATIM_URL = "https://nominatim.openstreetmap.org/"
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"
#: Connect timeout (s) of the reachability check before downloading.
PREFLIGHT_CONNECT_S = 10.0

_OFFLINE_HINT = (
    "check the network or proxy, or use a downloaded .osm file with "
    '[venues] path = "….osm" (and [streets] path = "….osm") in the scenario'
)


def output_paths(out: str | Path) -> dict[str, Path]:
    """Return the files ``fetch_osm(out=...)`` writes: ``streets`` (``out``), ``venues``, ``meta``.

    Raises
    ------
    InputDataError
        ``out`` does not end in ``.osm``.
    """
    out = Path(out)
    if out.suffix.lower() != ".osm":
        raise InputDataError(
            f"--out {str(out)!r} must be a file name ending in .osm, e.g. xinhui.osm"
        )
    return {
        "streets": out,
        "venues": out.with_name(f"{out.stem}_venues.geojson"),
        "meta": out.with_name(f"{out.stem}_fetch.json"),
    }


def fetch_osm(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    out: str | Path,
    overpass_url: str | None = None,
    nominatim_url: str | None = None,
    timeout_s: float = 180,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Download venues and the walking network of an area from OpenStreetMap.

    Parameters
    ----------
    place
        Place name geocoded with Nominatim to its boundary polygon, e.g.
        ``"新会区, 江门市, 广东省"``. Give ``place`` or ``bbox``, not both.
    bbox
        ``(west, south, east, north)`` in WGS84 degrees.
    out
        Street file to write, ending in ``.osm``; venues and provenance go next to it
        (see :func:`output_paths`).
    overpass_url, nominatim_url
        API base URLs (default: the public servers), e.g. ``"http://127.0.0.1:8080/api"``.
    timeout_s
        Timeout of each HTTP request and of the Overpass query, in seconds.
    progress
        Called with one short line per step (the CLI prints them).

    Returns
    -------
    dict
        Provenance and counts, also written to the ``meta`` file: ``streets``, ``venues``,
        ``venue_kinds`` (kind -> count), ``street_nodes``, ``street_edges`` ...

    Raises
    ------
    NetworkUnavailableError
        A server could not be reached, timed out or answered with an HTTP error.
    InputDataError
        The place was not found, is not an area, or the area has no walkable streets.
    """
    if (place is None) == (bbox is None):
        raise InputDataError("give either place or bbox (west, south, east, north), not both")
    if timeout_s <= 0:
        raise InputDataError(f"timeout_s must be positive, got {timeout_s}")
    paths = output_paths(out)
    area_bbox = check_bbox(bbox) if bbox is not None else None
    overpass = (overpass_url or DEFAULT_OVERPASS_URL).rstrip("/")
    nominatim = (nominatim_url or DEFAULT_NOMINATIM_URL).rstrip("/") + "/"

    def say(msg: str) -> None:
        logger.info(msg)
        if progress is not None:
            progress(msg)

    import osmnx as ox  # imported here: the rest of geo_outreach never needs it at import

    settings = {
        "overpass_url": overpass,
        "nominatim_url": nominatim,
        "requests_timeout": math.ceil(timeout_s),  # Overpass wants [timeout:<int>]
        "use_cache": False,
        "cache_only_mode": False,
        "overpass_rate_limit": overpass == DEFAULT_OVERPASS_URL,
        "all_oneway": True,
        "doh_url_template": None,
        "default_crs": "epsg:4326",
        "http_user_agent": f"geo_outreach/{__version__} (OSMnx {ox.__version__})",
    }
    with _osmnx_settings(ox, settings):
        _preflight(ox, f"{overpass}/status", timeout_s)
        if area_bbox is not None:
            polygon = box(*area_bbox)
        else:  # place is given (exactly one of place, bbox: checked above)
            _preflight(ox, f"{nominatim}status", timeout_s)
            say(f"geocoding {place!r} with {nominatim}")
            polygon = _geocode(ox, str(place), nominatim)
        west, south, east, north = (round(float(c), 7) for c in polygon.bounds)

        say(f"downloading venues from {overpass}")
        venues = _fetch_venues(ox, polygon, overpass)
        if venues.empty:
            say("warning: OpenStreetMap has no mapped venues of the known kinds in the area")
        say(f"downloading the walking network from {overpass}")
        graph = _fetch_walk_graph(ox, polygon, overpass)

        counts = venues["kind"].value_counts().sort_index()
        meta: dict[str, Any] = {
            "source": "OpenStreetMap via Overpass API and Nominatim (osmnx)",
            "attribution": ATTRIBUTION,
            "place": place,
            "bbox": [west, south, east, north],
            "overpass_url": overpass,
            "nominatim_url": nominatim if place is not None else None,
            "fetched_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "osmnx_version": ox.__version__,
            "streets": str(paths["streets"]),
            "venues": str(paths["venues"]),
            "street_nodes": graph.number_of_nodes(),
            "street_edges": graph.number_of_edges(),
            "venue_count": len(venues),
            "venue_kinds": {str(k): int(v) for k, v in counts.items()},
            "streets_format": "OSM XML; read with ox.graph_from_xml(path, bidirectional=True)",
        }
        # osmnx fills a missing oneway with the bool False, which pandas 3 refuses in a
        # string column (Pandas4Warning): give every edge the string OSM would have
        for _, _, data in graph.edges(data=True):
            data.setdefault("oneway", "no")
        atomic_write(paths["streets"], lambda p: _save_streets_xml(ox, graph, p))
    write_geojson(paths["venues"], venues)
    write_json(paths["meta"], meta)
    kinds = ", ".join(f"{k} {v}" for k, v in meta["venue_kinds"].items()) or "none"
    say(
        f"wrote {paths['streets']} ({meta['street_nodes']} nodes, {meta['street_edges']} edges) "
        f"and {paths['venues']} ({meta['venue_count']} venues: {kinds}); data {ATTRIBUTION}"
    )
    return meta


# --- osmnx global state -----------------------------------------------------------------------


@contextlib.contextmanager
def _osmnx_settings(ox: Any, values: dict[str, Any]) -> Iterator[None]:
    """Set ``osmnx.settings`` values and restore them (and ``socket.getaddrinfo``) on exit."""
    saved = {name: getattr(ox.settings, name) for name in values}
    saved_getaddrinfo = socket.getaddrinfo
    try:
        for name, value in values.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)
        socket.getaddrinfo = saved_getaddrinfo


# --- network errors -------------------------------------------------------------------------


def _unreachable(url: str, reason: str) -> NetworkUnavailableError:
    return NetworkUnavailableError(
        f"could not reach the OpenStreetMap servers ({url}: {reason}): {_OFFLINE_HINT}"
    )


def _reason(exc: BaseException) -> str:
    """Return a short, one-line reason for a failed request (no pool/URL noise)."""
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy refused the connection"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/SSL handshake failed"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    text = str(exc)
    if re.search(
        r"Name or service not known|nodename nor servname|getaddrinfo failed|"
        r"Temporary failure in name resolution|No address associated",
        text,
    ):
        return "host name lookup failed"
    m = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if m:
        return m.group(1).strip().lower()
    m = re.search(r"\b(\d{3}) ([A-Za-z][A-Za-z ]+)", text)  # osmnx ResponseStatusCodeError
    if m and 400 <= int(m.group(1)) < 600:
        return f"HTTP {m.group(1)} {m.group(2).strip()}"
    return type(exc).__name__


def _is_network_error(exc: BaseException) -> bool:
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    if isinstance(exc, requests.exceptions.RequestException | ResponseStatusCodeError):
        return True
    # osmnx raises InsufficientResponseError for an HTTP 200 whose body is not JSON
    # (captive portal, proxy error page) and for empty results; only the former is network.
    return isinstance(exc, InsufficientResponseError) and "responded:" in str(exc)


def _preflight(ox: Any, url: str, timeout_s: float) -> None:
    """Fail fast when ``url``'s server cannot be reached; any HTTP answer counts as reachable.

    Uses osmnx's headers and ``requests_kwargs`` (proxies, certificates) like the download.
    """
    try:
        resp = requests.get(
            url,
            headers={"User-Agent": ox.settings.http_user_agent},
            timeout=(min(PREFLIGHT_CONNECT_S, timeout_s), timeout_s),
            **ox.settings.requests_kwargs,
        )
        resp.close()
    except requests.exceptions.RequestException as e:
        raise _unreachable(url, _reason(e)) from e


# --- the three downloads ----------------------------------------------------------------------


def check_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    """Return ``bbox`` as ``(west, south, east, north)`` floats, checked.

    Raises
    ------
    InputDataError
        Not four numbers, or not west < east and south < north in degrees.
    """
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError) as e:
        raise InputDataError(
            f"bbox must be four numbers west south east north, got {bbox!r}"
        ) from e
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputDataError(
            f"bbox {bbox!r} is not west south east north in degrees (west < east, south < north); "
            "for Xinhui e.g. 112.85 22.2 113.25 22.65"
        )
    return west, south, east, north


def _geocode(ox: Any, place: str, url: str) -> Polygon | MultiPolygon:
    try:
        gdf = ox.geocode_to_gdf(place)
    except Exception as e:
        if _is_network_error(e):
            raise _unreachable(url, _reason(e)) from e
        if isinstance(e, TypeError | ValueError):  # 0 results / not a polygon
            raise InputDataError(
                f"Nominatim found no area for place {place!r}: check the spelling "
                '(e.g. "新会区, 江门市, 广东省") or pass --bbox WEST SOUTH EAST NORTH'
            ) from e
        raise
    return gdf.geometry.iloc[0]


def _fetch_venues(ox: Any, polygon: Polygon | MultiPolygon, url: str) -> gpd.GeoDataFrame:
    from osmnx._errors import InsufficientResponseError

    try:
        features = ox.features_from_polygon(polygon, tags=osm_tags_query())
    except Exception as e:
        if _is_network_error(e):
            raise _unreachable(f"{url}/interpreter", _reason(e)) from e
        if isinstance(e, InsufficientResponseError):  # "No matching features"
            features = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        else:
            raise
    return venues_from_features(features)


def venues_from_features(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn an osmnx features frame (index ``element``, ``id``) into venue points.

    ``kind`` is the first match in :data:`OSM_TAG_KINDS`; elements matching none are
    dropped. Polygons and lines become their centroid (computed in a metric CRS), or a point
    on the geometry when the centroid falls outside it. Output in WGS84, sorted by id.
    """
    columns = ["venue_id", "kind", "name", "geometry"]
    if features.empty:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in columns[:-1]}, geometry=[], crs="EPSG:4326"
        )
    feats = features.to_crs("EPSG:4326")
    kind = pd.Series(pd.NA, index=feats.index, dtype=object)
    for key, value, k in OSM_TAG_KINDS:
        if key in feats.columns:
            kind = kind.where(kind.notna() | (feats[key] != value), k)
    name = pd.Series("", index=feats.index, dtype=object)
    for col in ("name:en", "name:zh", "name"):  # later columns win: name, name:zh, name:en
        if col in feats.columns:
            name = feats[col].where(feats[col].notna() & (feats[col] != ""), name)
    metric = feats.geometry.to_crs(feats.estimate_utm_crs())
    centroids = metric.centroid
    inside = metric.geom_type.eq("Point") | metric.covers(centroids)
    points = centroids.where(inside, metric.representative_point()).to_crs("EPSG:4326")
    ids = [f"osm:{element}/{osm_id}" for element, osm_id in feats.index]
    venues = gpd.GeoDataFrame(
        {"venue_id": ids, "kind": kind.to_numpy(), "name": name.astype(str).to_numpy()},
        geometry=points.to_numpy(),
        crs="EPSG:4326",
    )
    venues = venues[venues["kind"].notna()].sort_values("venue_id", kind="stable")
    return venues.reset_index(drop=True)[columns]


def _fetch_walk_graph(ox: Any, polygon: Polygon | MultiPolygon, url: str) -> Any:
    try:
        return ox.graph_from_polygon(
            polygon, network_type="walk", simplify=False, retain_all=True, truncate_by_edge=False
        )
    except Exception as e:
        if _is_network_error(e):
            raise _unreachable(f"{url}/interpreter", _reason(e)) from e
        if isinstance(e, ValueError):  # no elements / no graph nodes inside the polygon
            raise InputDataError(
                f"OpenStreetMap has no walkable streets in the area ({e}); "
                "enlarge --bbox or check --place"
            ) from e
        raise


def _save_streets_xml(ox: Any, graph: Any, path: Path) -> None:
    """Save the unsimplified graph as OSM XML with ``generator="geo_outreach …"``.

    ``ox.graph_from_xml`` warns about any file whose generator names OSMnx, because reading
    back an arbitrary OSMnx graph can be lossy. This one is not arbitrary: it was downloaded
    unsimplified with ``all_oneway=True`` (one way per OSM way, original node order and
    oneway tag), which is what ``save_graph_xml`` documents for a faithful OSM XML file, and
    the tests check that it reads back to the same network. So it carries our name.
    """
    ox.io.save_graph_xml(graph, path)
    tree = ElementTree.parse(path)
    root = tree.getroot()
    root.set("generator", f"geo_outreach {__version__} (Overpass API data)")
    tree.write(path, encoding="utf-8", xml_declaration=True)
