"""What a run writes about its inputs: ``manifest.json`` and the cleaned input layers.

:func:`build_manifest` gathers everything needed to audit and reproduce a run (resolved scenario,
inputs with sha256 and row counts, rejects, versions, timings); :func:`write_base_layers` writes
``rejects.csv``, ``alerts.csv``, ``venues.geojson`` and ``streets.geojson`` (WGS84) from the
loaded :class:`~geo_outreach.io.StudyData`. The low-level writers and provenance helpers are in
:mod:`geo_outreach.outputs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo_outreach._validate import OUTSIDE, check_written, columns_of
from geo_outreach.outputs import atomic_write, package_versions, write_output
from geo_outreach.scenario import Scenario, scenario_to_dict

if TYPE_CHECKING:
    import networkx as nx

    from geo_outreach.io import StudyData


def rejects_summary(rejects: pd.DataFrame) -> list[dict[str, Any]]:
    """Count rejected rows by layer, file and reason (reason text without its numbers)."""
    if rejects.empty:
        return []
    reason = rejects["reason"].str.replace(r"\s*\(.*\)$", "", regex=True)
    grouped = rejects.assign(reason=reason).groupby(["layer", "file", "reason"], sort=True).size()
    return [
        {"layer": k[0], "file": k[1], "reason": k[2], "rows": int(v)} for k, v in grouped.items()
    ]


def period_of(data: StudyData) -> dict[str, str]:
    """First and last alert day (ISO dates, scenario timezone)."""
    t = data.alerts["reported_at"]
    return {"start": t.min().date().isoformat(), "end": t.max().date().isoformat()}


def build_manifest(
    sc: Scenario,
    data: StudyData,
    *,
    timings: dict[str, float],
    channels: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to audit and reproduce a run (the content of ``manifest.json``)."""
    return {
        "title": sc.scenario.title or sc.scenario.name,
        "scenario_name": sc.scenario.name,
        "synthetic": bool(sc.synthetic or data.notes),
        "notes": list(data.notes),
        "warnings": list(data.warnings),  # issue 10 (F): datum check, time order, zone assumed
        "period": period_of(data),
        "working_crs": data.crs.to_string(),
        "datums": {rec["layer"]: rec.get("datum", "wgs84") for rec in data.inputs},
        "datum_statement": "All outputs are WGS84 (EPSG:4326); inputs were converted from their "
        "declared datums on load.",
        "output": {"dir": str(sc.output.dir), "basemap": sc.output.basemap, "lang": sc.output.lang},
        "scenario": scenario_to_dict(sc),
        "inputs": list(data.inputs),
        "rejects": rejects_summary(data.rejects),
        "rows": {
            "precincts": len(data.precincts),
            "alerts": len(data.alerts),
            "alerts_outside": int((data.alerts["precinct_id"] == OUTSIDE).sum()),
            "venues": len(data.venues),
            "rejected": len(data.rejects),
        },
        "seed": sc.scenario.seed,
        "versions": package_versions(),
        "timings_s": dict(timings),
        "channels": channels or {},
        **(extra or {}),
    }


# --------------------------------------------------------------------------- cleaned inputs


#: Runs with at least this many alerts also write ``alerts.parquet`` (unless told otherwise).
PARQUET_ROWS = 100_000


def _local_zone(
    times: pd.Series,
) -> tuple[npt.NDArray[np.datetime64], list[str], npt.NDArray[np.intp]] | None:
    """Local ``datetime64[s]``, the distinct ``+hh:mm`` zones (sorted) and each time's zone.

    None when a time is NaT, its year has not 4 digits or its offset is not whole minutes.
    """
    local = times.dt.tz_localize(None).to_numpy("datetime64[s]")
    utc = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
    if len(local) == 0 or np.isnat(local).any():
        return None
    years = local.astype("datetime64[Y]").astype(np.int64) + 1970
    offset = (local - utc).astype(np.int64)
    if years.min() < 1000 or years.max() > 9999 or (offset % 60).any():
        return None
    distinct, code = np.unique(offset, return_inverse=True)
    zones = []
    for o in distinct.tolist():
        a = abs(o)
        zones.append(f"{'-' if o < 0 else '+'}{a // 3600:02d}:{a % 3600 // 60:02d}")
    # sorted as text (code points), as the zone sorts inside reported_at's text
    rank = np.argsort(np.argsort(np.array(zones, dtype=object), kind="stable"))
    by_text = sorted(zones)
    return local, by_text, rank[code.ravel()]


def _iso_seconds(times: pd.Series) -> pd.Series | None:
    """``YYYY-MM-DDTHH:MM:SS+hh:mm`` of tz-aware times by pyarrow (None: NaT, odd years/offsets).

    Issue 14: pyarrow text (``str`` dtype), cast from ``timestamp[s]`` ("YYYY-MM-DD HH:MM:SS",
    the ``T`` put in) with the zone of each distinct offset taken in: ~4x faster than numpy's
    ``astype(str)`` and Python string sums, and sorted and written without a copy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    split = _local_zone(times)
    if split is None:
        return None
    local, zones, code = split
    stamp = pc.replace_substring(pa.array(local).cast(pa.string()), " ", "T", max_replacements=1)
    zone = pa.array(zones, type=pa.string()).take(pa.array(code.ravel()))
    text = pc.binary_join_element_wise(stamp, zone, "")
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.Series(pd.arrays.ArrowStringArray(text, dtype=dtype), index=times.index)


def iso_times(times: pd.Series) -> pd.Series:
    """``Timestamp.isoformat()`` of tz-aware times, vectorised (sub-second times row by row)."""
    if len(times) == 0:
        return times.astype(object)
    whole = (times.dt.microsecond == 0) & (times.dt.nanosecond == 0)
    fast = _iso_seconds(times)  # issue 14: numpy, no strftime per row
    if fast is not None:
        out = fast
    else:
        text = times.dt.strftime("%Y-%m-%dT%H:%M:%S")
        zone = times.dt.strftime("%z")
        out = (text + zone.str[:3] + ":" + zone.str[3:]).astype(object)
    if not whole.all():
        out[~whole] = times[~whole].map(lambda t: t.isoformat())
    return out


def write_alerts_parquet(alerts: gpd.GeoDataFrame, out_dir: Path) -> Path:
    """Write the cleaned alerts as WGS84 GeoParquet (``alerts.parquet``), atomically."""
    cols = columns_of("alerts.parquet")
    frame = alerts[[*cols, alerts.geometry.name]].to_crs("EPSG:4326")
    check_written("alerts.parquet", frame.drop(columns=frame.geometry.name))
    return atomic_write(Path(out_dir) / "alerts.parquet", lambda p: frame.to_parquet(p))


def _points_to_wgs84(alerts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``alerts.to_crs("EPSG:4326")`` for 2-D points: the same transformer and coordinates.

    Issue 14: geopandas copies every geometry and sets its coordinates (1M alerts: ~2 s);
    here the coordinates are transformed once and new points made from them (~0.6 s).
    """
    import shapely

    xy = _lonlat_wgs84(alerts)
    if xy is None:
        return alerts.to_crs("EPSG:4326")
    out = alerts.copy(deep=False)
    out[alerts.geometry.name] = gpd.GeoSeries(
        shapely.points(*xy), index=alerts.index, crs="EPSG:4326"
    )
    return out


def _lonlat_wgs84(alerts: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """WGS84 longitudes and latitudes of 2-D points, as :func:`_points_to_wgs84` makes them.

    None when that function would leave the work to geopandas (WGS84 already, no rows, other
    geometry types, 3-D points).
    """
    import pyproj
    import shapely

    geoms = alerts.geometry.values
    wgs84 = pyproj.CRS.from_user_input("EPSG:4326")
    plain = (
        alerts.crs is not None
        and not alerts.crs.is_exact_same(wgs84)
        and len(alerts) > 0
        and bool((shapely.get_type_id(geoms) == 0).all())
        and not bool(shapely.has_z(geoms).any())
    )
    if not plain:
        return None
    xy = shapely.get_coordinates(geoms)
    transformer = pyproj.Transformer.from_crs(alerts.crs, wgs84, always_xy=True)
    lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _write_points_parquet(
    alerts: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, out_dir: Path
) -> Path:
    """:func:`write_alerts_parquet` of the alerts moved to ``lon``/``lat`` (WGS84), same bytes.

    Issue 14 (1M alerts: ~1.3 s less): the WKB of each point is packed by numpy (byte order,
    type, x, y: what shapely writes for a 2-D point) instead of making 1M shapely points and
    asking shapely for their WKB; the table and its GeoParquet metadata are built as
    geopandas builds them (its ``to_parquet`` with the defaults), the metadata from two points
    spanning the same bounding box.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    geom = alerts.geometry.name
    cols = columns_of("alerts.parquet")
    builders = _geoarrow_builders()
    if builders is None:  # moved in a minor release: the public way (~1.3 s slower at 1M)
        plain = pd.DataFrame(alerts[cols].copy(deep=False))
        plain[geom] = gpd.points_from_xy(lon, lat, crs="EPSG:4326")
        return write_alerts_parquet(gpd.GeoDataFrame(plain, geometry=geom), out_dir)
    construct_wkb_array, _create_metadata, _encode_metadata = builders
    attrs = pd.DataFrame(alerts[cols].copy(deep=False))
    check_written("alerts.parquet", attrs)
    attrs[geom] = None  # as geopandas: a null column, replaced by the WKB below
    table = pa.Table.from_pandas(attrs, preserve_index=None)
    box = shapely.points([lon.min(), lon.max()], [lat.min(), lat.max()])
    corners = gpd.GeoDataFrame({geom: gpd.GeoSeries(box, crs="EPSG:4326")}, geometry=geom)
    field, _ = construct_wkb_array(
        np.asarray(corners.geometry.array[:0]), field_name=geom, crs=corners.crs
    )
    table = table.set_column(len(cols), field, _wkb_points(lon, lat))
    meta = _create_metadata(corners, geometry_encoding={geom: "WKB"})
    table = table.replace_schema_metadata({**table.schema.metadata, b"geo": _encode_metadata(meta)})
    return atomic_write(
        Path(out_dir) / "alerts.parquet",
        lambda p: pq.write_table(table, p, compression="snappy"),
    )


def _geoarrow_builders() -> tuple[Any, Any, Any] | None:
    """Return geopandas' private GeoArrow builders (``None`` when a release moved them).

    Its major version is capped in pyproject.toml; within it, a move costs speed, not the file.
    """
    try:
        from geopandas.io._geoarrow import construct_wkb_array
        from geopandas.io.arrow import _create_metadata, _encode_metadata
    except ImportError:
        return None
    return construct_wkb_array, _create_metadata, _encode_metadata


#: ISO WKB of a 2-D point: byte order (1: little endian), geometry type (1: Point), x, y
_WKB_POINT = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _wkb_points(lon: np.ndarray, lat: np.ndarray) -> Any:
    """Return the WKB of the points ``(lon, lat)`` as a pyarrow binary array."""
    import pyarrow as pa

    packed = np.empty(len(lon), dtype=_WKB_POINT)
    packed["order"], packed["kind"], packed["x"], packed["y"] = 1, 1, lon, lat
    size = _WKB_POINT.itemsize
    offsets = np.arange(0, size * (len(lon) + 1), size, dtype=np.int32)
    data = pa.py_buffer(packed.view(np.uint8))
    return pa.Array.from_buffers(pa.binary(), len(lon), [None, pa.py_buffer(offsets), data])


def _time_id_order(alerts: pd.DataFrame, times: pd.Series | None = None) -> npt.NDArray[np.int64]:
    """Row order by ``reported_at`` text then ``alert_id`` (as a stable pandas sort).

    Issue 14: pyarrow's sort (1M alerts: ~6 -> ~2 s); text compares by code point in both.
    With ``times`` (the tz-aware times the text was made from, whole seconds), the text is
    sorted as (local time, zone text): its 19 first characters are a fixed-width local time.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = times is not None and bool(
        ((times.dt.microsecond == 0) & (times.dt.nanosecond == 0)).all()
    )
    split = _local_zone(times) if times is not None and whole else None
    if split is not None:
        local, _, zone = split
        keys = pa.table(
            {
                "t": pa.array(local.astype(np.int64)),
                "z": pa.array(zone),
                "id": pa.array(alerts["alert_id"], type=pa.string(), from_pandas=True),
            }
        )
        names: tuple[str, ...] = ("t", "z", "id")
    else:
        keys = pa.table(
            {c: pa.array(alerts[c], type=pa.string(), from_pandas=True) for c in KEYS_ORDER}
        )
        names = KEYS_ORDER
    order: npt.NDArray[np.int64] = pc.sort_indices(
        keys, sort_keys=[(c, "ascending") for c in names]
    ).to_numpy()
    return order


def _packable(lon: np.ndarray, lat: np.ndarray) -> bool:
    """Whether :func:`_wkb_points` takes these (finite coordinates: no empty point)."""
    small = len(lon) * _WKB_POINT.itemsize < 2**31  # int32 offsets, as pa.binary()
    return small and bool(np.isfinite(lon).all() and np.isfinite(lat).all())


#: the sort keys of ``alerts.csv``
KEYS_ORDER = ("reported_at", "alert_id")


def write_base_layers(
    data: StudyData, out_dir: Path, alerts_parquet: bool | None = None
) -> dict[str, Path]:
    """Write the cleaned input layers (WGS84) that maps and later runs read back.

    Parameters
    ----------
    alerts_parquet
        Also write ``alerts.parquet``: True / False; None = when there are at least
        :data:`PARQUET_ROWS` alerts.

    Returns
    -------
    dict
        File name -> path: ``rejects.csv``, ``alerts.csv``, (``alerts.parquet``),
        ``venues.geojson`` and, with a street network, ``streets.geojson``.
    """
    files: dict[str, Path] = {}
    files["rejects.csv"] = write_output(out_dir, "rejects.csv", data.rejects.astype({"row": str}))
    a = data.alerts
    xy = _lonlat_wgs84(a)  # issue 14: no WGS84 points made (1M alerts: ~1.5 s less)
    wgs84: gpd.GeoDataFrame | None = None
    if xy is not None and _packable(*xy):
        lon, lat = xy
    else:
        wgs84 = _points_to_wgs84(a)
        lon, lat = wgs84.geometry.x.to_numpy(), wgs84.geometry.y.to_numpy()
    alerts = pd.DataFrame(
        {
            "alert_id": a["alert_id"],
            "reported_at": iso_times(a["reported_at"]),
            "category": a["category"],
            "age_band": a["age_band"],
            "precinct_id": a["precinct_id"],
            "lon": pd.Series(lon, index=a.index).round(6),
            "lat": pd.Series(lat, index=a.index).round(6),
        }
    )
    alerts = alerts.iloc[_time_id_order(alerts, a["reported_at"])]
    files["alerts.csv"] = write_output(out_dir, "alerts.csv", alerts)
    if alerts_parquet or (alerts_parquet is None and len(data.alerts) >= PARQUET_ROWS):
        files["alerts.parquet"] = (
            write_alerts_parquet(wgs84, out_dir)
            if wgs84 is not None
            else _write_points_parquet(a, lon, lat, out_dir)
        )
    venue_cols = [*columns_of("venues.geojson"), "geometry"]
    venues = data.venues[venue_cols].sort_values("venue_id")
    files["venues.geojson"] = write_output(out_dir, "venues.geojson", venues)
    if data.streets is not None:
        files["streets.geojson"] = write_output(
            out_dir, "streets.geojson", street_lines(data.streets), precision=5
        )
    return files


def street_lines(graph: nx.MultiDiGraph, *, simplify_m: float = 3.0) -> gpd.GeoDataFrame:
    """One line per street segment, for drawing as context.

    Reverse duplicates are dropped (the u < v direction is kept) and rows are sorted by
    highway and node ids, so the file is byte-identical whatever order osmnx built edges in.
    """
    import osmnx as ox

    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    # merged edges carry a list of highway values in set order: take the smallest, deterministically
    if "highway" in edges:
        highway = edges["highway"].map(lambda h: min(map(str, h)) if isinstance(h, list) else h)
    else:
        highway = ""
    table = pd.DataFrame(
        {
            "highway": pd.Series(highway).astype(str).to_numpy(),
            "a": np.minimum(u, v),
            "b": np.maximum(u, v),
            "reverse": u > v,
            "key": edges["key"].to_numpy(),
        }
    )
    order = table.sort_values(["highway", "a", "b", "key", "reverse"], kind="stable").index
    table = table.loc[order]
    keep = ~table.duplicated(["a", "b", "key"]).to_numpy()
    rows = order[keep]
    return gpd.GeoDataFrame(
        {"highway": table["highway"].to_numpy()[keep]},
        geometry=edges.geometry.simplify(simplify_m).to_numpy()[rows],
        crs=edges.crs,
    )
