"""Doorstep and phone visits to elderly residents on the police grid and the community grid.

Two overlaid grids: the police grid (警格, one community officer each) and the community grid
(网格, one grid worker each). Either comes from a polygon file (``police_grid``,
``community_grid``) or, when absent, is generated: squares of ``grid_size_m`` (community) and
twice that (police) clipped to each precinct, labelled ``generated``. The ``residents`` table
gives ``elderly`` and ``living_alone`` per community cell.

Each community cell is scored by its expected benefit: the targeted alerts per elderly
resident, smoothed towards the district rate (an empirical-Bayes prior worth the median cell's
elderly count), times its elderly count. The officer of a police grid visits the living-alone
households of its cells; the grid worker visits the other elderly households of the cell.
Capacity is ``officer_per_week`` / ``worker_per_week`` times the campaign's weeks; cells are
served in order of benefit, the rest is the shortfall. Inside a police grid the officer walks
the cells nearest-neighbour first from the cell of highest benefit. A cell is visited at the
door when its living-alone share is at least ``door_if_alone_share``, else by phone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_outreach._errors import InputDataError
from geo_outreach._validate import columns_of
from geo_outreach.playbook.notes import Note, note, note_text
from geo_outreach.playbook.tables import find_column, line, numbers, read_frame, read_polygons
from geo_outreach.scenario import ChannelConfig
from geo_outreach.stats import weights_per_value

VISIT_COLUMNS = columns_of("visits.csv")
GRID_COLUMNS = columns_of("visit_grid.geojson")


@dataclass(frozen=True)
class GridVisits:
    """The grid-visit plan of one channel.

    Attributes
    ----------
    visits
        :data:`VISIT_COLUMNS`: per officer/worker the ordered cells, households, mode, week.
    cells
        :data:`GRID_COLUMNS` + Polygon (working CRS): both grids, community cells scored.
    notes
        Plain-language notes (generated grids, shortfall), in English.
    items
        The same notes as message keys + values (:mod:`.notes`).
    """

    visits: pd.DataFrame
    cells: gpd.GeoDataFrame
    notes: tuple[str, ...]
    items: tuple[Note, ...] = ()


def generated_grid(precincts: gpd.GeoDataFrame, size_m: float, prefix: str) -> gpd.GeoDataFrame:
    """Squares of ``size_m`` clipped to each precinct: ``cell_id, precinct_id`` + Polygon.

    Every point of a precinct lies in exactly one of its cells (cells never cross a precinct
    border; slivers of less than 1 m² are dropped).
    """
    recs = []
    for pid, geom in zip(precincts["precinct_id"].astype(str), precincts.geometry, strict=True):
        x0, y0, x1, y1 = geom.bounds
        xs = np.arange(math.floor(x0 / size_m) * size_m, x1, size_m)
        ys = np.arange(math.floor(y0 / size_m) * size_m, y1, size_m)
        boxes = [shapely.box(x, y, x + size_m, y + size_m) for y in ys for x in xs]
        clipped = shapely.intersection(np.array(boxes, dtype=object), geom)
        k = 0
        for g in clipped:
            if g.is_empty or g.area < 1.0:
                continue
            k += 1
            recs.append({"cell_id": f"{prefix}{pid}-{k:03d}", "precinct_id": pid, "geometry": g})
    return gpd.GeoDataFrame(recs, columns=["cell_id", "precinct_id", "geometry"],
                            geometry="geometry", crs=precincts.crs)  # fmt: skip


def _grid(
    ch: ChannelConfig, precincts: gpd.GeoDataFrame, which: str, size_m: float
) -> tuple[gpd.GeoDataFrame, bool]:
    path = ch.police_grid if which == "police" else ch.community_grid
    if path is None:
        return generated_grid(precincts, size_m, "P" if which == "police" else "C"), True
    cells = read_polygons(path, f"{which} grid", precincts.crs)
    pts = cells.geometry.representative_point()
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=pts, crs=cells.crs), precincts[["precinct_id", "geometry"]],
        how="left", predicate="within",
    )  # fmt: skip
    pid = joined[~joined.index.duplicated()]["precinct_id"].fillna("outside").astype(str)
    cells["precinct_id"] = pid.to_numpy()
    return cells, False


def _residents(ch: ChannelConfig, cells: gpd.GeoDataFrame) -> pd.DataFrame:
    if ch.residents is None:
        raise InputDataError(
            f'channels.{ch.name}: grid visits need a residents table (residents = "file.csv" '
            "with cell_id, elderly, living_alone per community grid cell)"
        )
    df = read_frame(ch.residents, "residents")
    cid = str(find_column(df, "cell_id", ch.residents))
    eld = numbers(df, str(find_column(df, "elderly", ch.residents)), ch.residents)
    alone = numbers(df, str(find_column(df, "living_alone", ch.residents)), ch.residents)
    ids = df[cid].astype(str).str.strip()
    unknown = ~ids.isin(set(cells["cell_id"]))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputDataError(
            f"{ch.residents}, line {line(df, i)}, column {cid!r}: cell {ids.iloc[i]!r} is not "
            f"in the community grid ({int(unknown.sum())} such rows); fix the cell ids"
        )
    over = alone > eld
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputDataError(
            f"{ch.residents}, line {line(df, i)}: living_alone {alone[i]:g} > elderly {eld[i]:g}"
        )
    out = pd.DataFrame({"cell_id": ids, "elderly": eld, "living_alone": alone})
    return out.groupby("cell_id", as_index=False).sum()


def benefit_scores(alerts: np.ndarray, elderly: np.ndarray) -> np.ndarray:
    """Return each cell's expected benefit: smoothed targeted alerts per elderly x elderly.

    The rate is ``(alerts + k * r) / (elderly + k)`` with ``r`` the district rate and ``k`` the
    median elderly count of the populated cells (a cell with few residents is pulled to ``r``).
    """
    pop = elderly > 0
    if not pop.any():
        return np.zeros(len(elderly))
    r = alerts[pop].sum() / elderly[pop].sum()
    k = float(np.median(elderly[pop]))
    return np.asarray(np.where(pop, (alerts + k * r) / (elderly + k) * elderly, 0.0))


def walk_order(xy: np.ndarray, start: int) -> list[int]:
    """Nearest-neighbour walk over the points ``xy`` from ``start``: a permutation of indices."""
    left = set(range(len(xy))) - {start}
    order = [start]
    while left:
        here = xy[order[-1]]
        nxt = min(left, key=lambda j: (float(np.hypot(*(xy[j] - here))), j))
        order.append(nxt)
        left.remove(nxt)
    return order


def _targeted(ch: ChannelConfig, alerts: gpd.GeoDataFrame) -> np.ndarray:
    w = np.ones(len(alerts))
    if ch.category_weights:
        w = weights_per_value(alerts["category"], ch.category_weights, 0.0)  # issue 14
    if ch.age_weights:
        w = w * weights_per_value(alerts["age_band"], ch.age_weights, 1.0)
    return w


def _serve(
    frame: pd.DataFrame, need_col: str, capacity: float, per_week: int
) -> list[tuple[float, str, int]]:
    """Households served, status and week of each row (rows in benefit order)."""
    left, done, out = capacity, 0.0, []
    for need in frame[need_col].to_numpy(dtype=float):
        got = min(need, max(left, 0.0))
        left -= got
        status = "scheduled" if got >= need else ("partial" if got > 0 else "shortfall")
        week = int(done // per_week) + 1 if got > 0 else 0
        done += got
        out.append((got, status, week))
    return out


def plan_grid_visits(
    ch: ChannelConfig,
    precincts: gpd.GeoDataFrame,
    alerts: gpd.GeoDataFrame,
    weeks: int,
) -> GridVisits:
    """Score the community cells and plan the officers' and grid workers' visits.

    Parameters
    ----------
    ch
        A ``type = "visits"`` channel with ``residents`` (and optional grid files).
    precincts, alerts
        The study's layers (working CRS).
    weeks
        Campaign length in weeks (capacity = per-week capacity x weeks).

    Returns
    -------
    GridVisits
    """
    notes: list[Note] = []
    police, gen_p = _grid(ch, precincts, "police", 2 * ch.grid_size_m)
    comm, gen_c = _grid(ch, precincts, "community", ch.grid_size_m)
    label = ch.label or ch.name
    if gen_p or gen_c:
        which = "both" if gen_p and gen_c else ("police" if gen_p else "community")
        size = ch.grid_size_m * (2 if which == "police" else 1)
        notes.append(note(f"pbn_gen_{which}", label=label, channel=ch.name, size=f"{size:g}"))
    res = _residents(ch, comm)
    comm = comm.merge(res, on="cell_id", how="left").fillna({"elderly": 0.0, "living_alone": 0.0})
    w = _targeted(ch, alerts)
    hit = gpd.sjoin(
        gpd.GeoDataFrame({"w": w}, geometry=alerts.geometry.values, crs=alerts.crs),
        comm[["cell_id", "geometry"]], how="inner", predicate="within",
    )  # fmt: skip
    per_cell = hit.groupby("cell_id")["w"].sum()
    comm["alerts"] = comm["cell_id"].map(per_cell).fillna(0.0).to_numpy()
    comm["benefit"] = benefit_scores(comm["alerts"].to_numpy(), comm["elderly"].to_numpy())
    rp = gpd.GeoDataFrame(geometry=comm.geometry.representative_point(), crs=comm.crs)
    pj = gpd.sjoin(rp, police[["cell_id", "geometry"]], how="left", predicate="within")
    comm["grid_id"] = pj[~pj.index.duplicated()]["cell_id"].fillna("none").astype(str).to_numpy()
    comm["mode"] = np.where(
        comm["living_alone"] >= ch.door_if_alone_share * comm["elderly"].clip(lower=1), "door",
        "phone",
    )  # fmt: skip
    comm["others"] = comm["elderly"] - comm["living_alone"]
    rows = _officer_rows(ch, comm, weeks) + _worker_rows(ch, comm, weeks)
    visits = pd.DataFrame(rows, columns=VISIT_COLUMNS)
    need = float(comm["elderly"].sum())
    lost = need - float(visits["households"].sum())
    if lost > 0:
        short = int((visits["status"] != "scheduled").sum())
        notes.append(
            note("pbn_grid_short", label=label, channel=ch.name, lost=f"{lost:.0f}",
                 need=f"{need:.0f}", weeks=weeks, short=short)
        )  # fmt: skip
    cells = _cells_frame(police, comm, gen_p, gen_c)
    return GridVisits(visits, cells, tuple(note_text(n, "en") for n in notes), tuple(notes))


def _officer_rows(ch: ChannelConfig, comm: pd.DataFrame, weeks: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cap = ch.officer_per_week * weeks
    for gid, grp in comm[comm["living_alone"] > 0].groupby("grid_id", sort=True):
        grp = grp.sort_values(["benefit", "cell_id"], ascending=[False, True], kind="stable")
        served = _serve(grp, "living_alone", cap, ch.officer_per_week)
        ok = [i for i, s in enumerate(served) if s[0] > 0]
        if ok:
            xy = np.column_stack([grp.geometry.centroid.x, grp.geometry.centroid.y])[ok]
            walk = [ok[i] for i in walk_order(xy, 0)]
        else:
            walk = []
        # the officer walks the served cells in ``walk`` order; weeks follow the walk
        recs = list(grp.iterrows())
        done = 0.0
        for k, pos in enumerate(walk, start=1):
            got, status, _ = served[pos]
            week = int(done // ch.officer_per_week) + 1
            done += got
            rows.append(_row(ch, str(gid), "police", str(gid), recs[pos][1], k, week, got,
                             status))  # fmt: skip
        for pos in (i for i in range(len(recs)) if i not in set(walk)):
            got, status, week = served[pos]
            rows.append(_row(ch, str(gid), "police", str(gid), recs[pos][1], 0, week, got,
                             status))  # fmt: skip
    return rows


def _worker_rows(ch: ChannelConfig, comm: pd.DataFrame, weeks: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cap = ch.worker_per_week * weeks
    for _, r in comm[comm["others"] > 0].sort_values("cell_id").iterrows():
        got, status, week = _serve(pd.DataFrame([r]), "others", cap, ch.worker_per_week)[0]
        rows.append(_row(ch, str(r["cell_id"]), "community", str(r["grid_id"]), r,
                         1 if got > 0 else 0, week, got, status))  # fmt: skip
    return rows


def _row(
    ch: ChannelConfig, who: str, role: str, gid: str, r: pd.Series, order: int, week: int,
    got: float, status: str,
) -> dict[str, object]:  # fmt: skip
    return {
        "channel": ch.name,
        "visitor_id": who,
        "role": role,
        "grid_id": gid,
        "cell_id": r["cell_id"],
        "order": order,
        "week": week,
        "households": int(round(got)),
        "elderly": int(r["elderly"]),
        "living_alone": int(r["living_alone"]),
        "mode": r["mode"],
        "benefit": round(float(r["benefit"]), 4),
        "status": status,
    }


def _cells_frame(
    police: gpd.GeoDataFrame, comm: pd.DataFrame, gen_p: bool, gen_c: bool
) -> gpd.GeoDataFrame:
    p = pd.DataFrame(
        {
            "grid_id": police["cell_id"], "role": "police", "cell_id": police["cell_id"],
            "precinct_id": police["precinct_id"], "generated": gen_p, "elderly": np.nan,
            "living_alone": np.nan, "alerts": np.nan, "benefit": np.nan,
            "geometry": police.geometry,
        }
    )  # fmt: skip
    c = pd.DataFrame(
        {
            "grid_id": comm["grid_id"], "role": "community", "cell_id": comm["cell_id"],
            "precinct_id": comm["precinct_id"], "generated": gen_c, "elderly": comm["elderly"],
            "living_alone": comm["living_alone"], "alerts": comm["alerts"].round(4),
            "benefit": comm["benefit"].round(4), "geometry": comm.geometry,
        }
    )  # fmt: skip
    out = pd.concat([p, c], ignore_index=True)
    return gpd.GeoDataFrame(out[GRID_COLUMNS + ["geometry"]], geometry="geometry", crs=police.crs)
