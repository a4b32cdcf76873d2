"""A channel's demand points: the weighted alerts, or their forecast surface (issue 13).

:func:`channel_weights` (category x age weight of each alert), :func:`channel_demand` (the plan:
alerts aggregated to unique locations inside the precincts), the per-alert rows of the backtest,
and :func:`forecast_demand` (``demand = "forecast"``: the surface of
:mod:`geo_outreach.forecast` on a 250 m grid, bandwidth and half-life chosen by month-ahead
cross-validation, the choice cached per training set). Used by
:func:`geo_outreach.channels.problem.channel_problem` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo_outreach._errors import InputDataError
from geo_outreach._validate import OUTSIDE
from geo_outreach.channels.patrol import points_xy
from geo_outreach.forecast import ForecastChoice, choose_forecast, forecast_cells
from geo_outreach.stats import weights_per_value

if TYPE_CHECKING:
    from geo_outreach.io import StudyData
    from geo_outreach.scenario import ChannelConfig

FloatArray = npt.NDArray[np.float64]


# =========================================================================== demand


def channel_weights(alerts: pd.DataFrame, ch: ChannelConfig) -> FloatArray:
    """Weight of each alert for channel ``ch``: category weight x age-band weight (1.0 default).

    Raises
    ------
    InputDataError
        When a weight is negative.
    """
    cat: Any = 1.0
    if ch.category_weights:  # issue 14: one lookup per distinct value
        cat = weights_per_value(alerts["category"], ch.category_weights, 1.0)
    age: Any = 1.0
    if ch.age_weights and "age_band" in alerts.columns:  # a missing band is ""
        age = weights_per_value(alerts["age_band"].fillna(""), ch.age_weights, 1.0)
    w: FloatArray = (
        np.ones(len(alerts)) * np.asarray(cat, dtype=float) * np.asarray(age, dtype=float)
    )
    if (w < 0).any():
        raise InputDataError(f"channels.{ch.name}: category/age weights must be >= 0")
    return w


@dataclass(frozen=True)
class AlertPlaces:
    """The alerts inside the precincts and their distinct places (the same for every channel).

    Made by :func:`alert_places` once per alert table; :func:`channel_demand` weights it
    per channel (issue 14: a plan's channels share it; 1M alerts ~1.5 s).
    """

    alerts: pd.DataFrame  # category (and age_band) of the alerts inside the precincts
    n_out: int  # alerts outside every precinct
    places: pd.DataFrame  # x, y, precinct_id
    place: npt.NDArray[np.intp]  # place of each alert inside


#: the alert columns :func:`alert_places` and :func:`forecast_demand` read (with the geometry)
_PLACE_COLUMNS = ("reported_at", "category", "age_band", "precinct_id")


def alert_places(alerts: gpd.GeoDataFrame) -> AlertPlaces:
    """Return the alerts inside the precincts and their places (see :class:`AlertPlaces`)."""
    if "precinct_id" in alerts.columns:
        inside = alerts["precinct_id"].astype(str) != OUTSIDE
    else:
        inside = np.ones(len(alerts), bool)
    # issue 14: only the columns used here are subset (the alert table has more)
    a = alerts[[c for c in _PLACE_COLUMNS if c in alerts.columns] + [alerts.geometry.name]]
    a = a[np.asarray(inside)]
    places, place = _places(a)
    kinds = a[[c for c in ("category", "age_band") if c in a.columns]]  # for the weights
    return AlertPlaces(
        alerts=pd.DataFrame(kinds), n_out=int(len(alerts) - len(a)), places=places, place=place
    )


def channel_demand(
    alerts: gpd.GeoDataFrame, ch: ChannelConfig, places: AlertPlaces | None = None
) -> tuple[pd.DataFrame, int]:
    """Weighted demand points of a channel, aggregated to unique (location, precinct).

    Parameters
    ----------
    alerts
        The alerts (working CRS, ``precinct_id``).
    ch
        The channel (its category and age weights).
    places
        ``alert_places(alerts)``, when the caller made it once for several channels
        (default: made here).

    Returns
    -------
    tuple
        A frame ``x, y, precinct_id, weight, alerts`` (weight > 0, sorted by location) and the
        number of alerts left out because they lie outside every precinct.

    Raises
    ------
    ValueError
        When ``places`` was made from a table of another length.
    """
    found = alert_places(alerts) if places is None else places
    if len(found.alerts) + found.n_out != len(alerts):
        raise ValueError("channel_demand: places were made from another alert table")
    w = channel_weights(found.alerts, ch)
    place, n = found.place, len(found.places)
    agg = found.places.assign(
        weight=np.bincount(place, weights=w, minlength=n),
        alerts=np.bincount(place, minlength=n).astype(np.int64),
    )
    return agg[agg["weight"] > 0].reset_index(drop=True), found.n_out


def _xy_order(
    x: FloatArray, y: FloatArray, codes: npt.NDArray[np.intp], n_codes: int
) -> npt.NDArray[np.intp]:
    """``np.lexsort((codes, y, x))`` for coordinates rounded to centimetres.

    Issue 14: one stable sort of an integer key (x, y in whole centimetres, then the code)
    instead of a three-key lexsort (1M alerts: 0.8 s -> 0.2 s); the plain lexsort when the
    key would not fit or a coordinate is not finite.
    """
    if len(x) and np.isfinite(x).all() and np.isfinite(y).all():
        kx, ky = np.rint(x * 100).astype(np.int64), np.rint(y * 100).astype(np.int64)
        kx, ky = kx - kx.min(), ky - ky.min()
        span_y = int(ky.max()) + 1
        if (int(kx.max()) + 1) * span_y * max(n_codes, 1) < 2**62:
            key = (kx * span_y + ky) * max(n_codes, 1) + codes
            order: npt.NDArray[np.intp] = np.argsort(key, kind="stable")
            return order
    return np.lexsort((codes, y, x))


def _places(alerts: gpd.GeoDataFrame) -> tuple[pd.DataFrame, npt.NDArray[np.intp]]:
    """Distinct ``x, y, precinct_id`` of the alerts (sorted by them) and each alert's place.

    Issue 14: numpy sorting instead of a pandas groupby (1M alerts: ~5 s -> ~0.5 s per channel);
    the same rows and order as ``groupby(["x", "y", "precinct_id"], sort=True)``.
    """
    xy = points_xy(alerts)
    x, y = np.round(xy[:, 0], 2), np.round(xy[:, 1], 2)
    if "precinct_id" in alerts.columns:
        codes, names = pd.factorize(alerts["precinct_id"].astype(str), sort=True)
    else:
        codes, names = np.zeros(len(alerts), dtype=np.intp), np.array([""], dtype=object)
    order = _xy_order(x, y, codes, len(names))
    xs, ys, cs = x[order], y[order], codes[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1]) | (cs[1:] != cs[:-1])
    place = np.empty(len(order), dtype=np.intp)
    place[order] = np.cumsum(first) - 1
    places = pd.DataFrame(
        {"x": xs[first], "y": ys[first], "precinct_id": np.asarray(names, dtype=object)[cs[first]]}
    )
    return places, place


#: issue 13: forecast choices already made, by (train_end, alerts) fingerprint (the CV takes
#: seconds and is the same for every channel of a run)
_CHOICES: dict[tuple[Any, ...], ForecastChoice] = {}


def forecast_choice(
    alerts: gpd.GeoDataFrame,
    study_area: shapely.Geometry,
    train_end: pd.Timestamp,
    xy: FloatArray | None = None,
) -> ForecastChoice:
    """Bandwidth and half-life chosen on ``alerts`` before ``train_end`` (cached per input).

    ``xy``: the alerts' coordinates when the caller has them (issue 14: read once).
    """
    keep = (alerts["reported_at"] < train_end).to_numpy()
    before = alerts if keep.all() else alerts[keep]  # issue 14: often all of them
    if xy is None:
        xy = points_xy(alerts)
    bxy = xy if keep.all() else xy[keep]
    key = (
        str(train_end),
        len(before),
        round(float(pd.Series(bxy[:, 0]).sum()), 3),
        round(float(pd.Series(bxy[:, 1]).sum()), 3),
        shapely.to_wkb(study_area, hex=True)[:64],
        round(float(shapely.area(study_area)), 1),
    )
    if key not in _CHOICES:
        if len(_CHOICES) > 32:
            _CHOICES.clear()
        _CHOICES[key] = choose_forecast(before, study_area, train_end=train_end, xy=bxy)
    return _CHOICES[key]


def default_train_end(alerts: gpd.GeoDataFrame) -> pd.Timestamp:
    """Return the day after the last alert (midnight, the alerts' zone): the forecast date."""
    last: pd.Timestamp = alerts["reported_at"].max()
    return last.normalize() + pd.Timedelta(days=1)


def forecast_demand(
    data: StudyData, alerts: gpd.GeoDataFrame, ch: ChannelConfig, train_end: pd.Timestamp
) -> tuple[pd.DataFrame, int, ForecastChoice]:
    """Forecast demand points of a channel (issue 13): 250 m cells inside the precincts.

    Returns
    -------
    tuple
        ``x, y, precinct_id, weight, alerts`` per cell (weight = the channel-weighted forecast,
        scaled to the time-weighted alert weight), the alerts left out as outside every
        precinct, and the choice.
    """
    from geo_outreach.join import assign_precincts

    inside = (alerts["precinct_id"].astype(str) != OUTSIDE).to_numpy()
    cols = [c for c in _PLACE_COLUMNS if c in alerts.columns] + [alerts.geometry.name]
    train = alerts[cols][inside & (alerts["reported_at"] < train_end).to_numpy()]
    txy = points_xy(train)
    choice = forecast_choice(train, data.study_area, train_end, txy)
    cells = forecast_cells(train, data.study_area, choice, at=train_end,
                           weights=channel_weights(train, ch), xy=txy)  # fmt: skip
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cells["x"], cells["y"]), crs=data.crs)
    cells.insert(2, "precinct_id", assign_precincts(pts, data.precincts).astype(str).to_numpy())
    cells = cells[(cells["precinct_id"] != OUTSIDE) & (cells["weight"] > 0)]
    return cells.reset_index(drop=True), int((~inside).sum()), choice


def forecast_note(choice: ForecastChoice) -> str:
    """One line for the notes: the chosen bandwidth and half-life and their CV hit rates."""
    hl = "none" if np.isinf(choice.half_life_days) else f"{choice.half_life_days:g} days"
    return (
        f"forecast demand: bandwidth {choice.bandwidth_m:g} m, half-life {hl}, chosen by "
        f"next-month hit rate on {', '.join(choice.folds)} ({choice.hit_rate:.3f} vs raw "
        f"{choice.raw_hit_rate:.3f})"
    )


def _alert_demand(alerts: gpd.GeoDataFrame, ch: ChannelConfig) -> pd.DataFrame:
    """One demand row per alert, in order (coordinates as they are, weights may be 0)."""
    return pd.DataFrame(
        {
            "x": alerts.geometry.x.to_numpy(),
            "y": alerts.geometry.y.to_numpy(),
            "precinct_id": alerts["precinct_id"].astype(str).to_numpy()
            if "precinct_id" in alerts.columns
            else "",
            "weight": channel_weights(alerts, ch),
            "alerts": 1,
        }
    )
