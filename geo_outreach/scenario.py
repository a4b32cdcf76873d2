"""Scenario files: TOML parsed with ``tomllib`` into validated, frozen dataclasses.

A scenario lists the input layers (with their datums and column maps), the analysis
settings, the outreach channels and the output folder. Unknown keys are errors that
suggest the nearest valid key (they are usually typos). Relative paths are resolved
against the scenario file's folder.

Example
-------
```toml
[scenario]
title = "新会区反诈宣传投放方案"

[precincts]
path = "data/boundaries/xinhui_precincts.geojson"

[alerts]
path = "data/sample/alerts.csv"
datum = "gcj02"

[[venues]]
path = "data/sample/xinhui_venues.osm.bz2"

[channels.square_dance]
venue_kinds = ["plaza", "park"]
budget = 8
radius_m = 800
```
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from geo_outreach._errors import ScenarioError

Datum = Literal["wgs84", "gcj02", "bd09"]
DistanceModel = Literal["walk", "straight"]
Method = Literal["auto", "greedy", "exact"]
ChannelType = Literal["venues", "patrol"]
Basemap = str  # "none", "osm", "tianditu", "amap" or a tile URL template with {z}/{x}/{y}
Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class ScenarioInfo:
    """General settings."""

    name: str = "scenario"
    title: str = ""
    timezone: str = "Asia/Shanghai"
    seed: int = 42


@dataclass(frozen=True)
class PrecinctLayer:
    """Precinct polygons (GeoJSON, GeoPackage, Shapefile)."""

    path: Path
    datum: Datum = "wgs84"
    id_column: str | None = None
    name_column: str | None = None
    population_column: str | None = None
    layer: str | None = None
    illustrative: bool = False
    note: str = ""


@dataclass(frozen=True)
class AlertLayer:
    """Fraud alerts (CSV, XLSX, GeoJSON).

    ``columns`` maps our names (id, lon, lat, time, category, age_band) to the file's headers.
    """

    path: Path
    datum: Datum = "wgs84"
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    sheet: str | None = None
    synthetic: bool = False
    note: str = ""
    max_outside_km: float = 20.0


@dataclass(frozen=True)
class VenueLayer:
    """Venues: OSM XML (.osm / .osm.bz2) mapped by tags, or CSV/GeoJSON with a kind column."""

    path: Path
    datum: Datum = "wgs84"
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    synthetic: bool = False
    note: str = ""


@dataclass(frozen=True)
class StreetLayer:
    """Walkable street network from an OSM XML file, read with osmnx offline."""

    path: Path
    datum: Datum = "wgs84"
    synthetic: bool = False


@dataclass(frozen=True)
class AnalysisConfig:
    """Alert analytics settings; ``None`` means derived from the data."""

    cell_m: float | None = None
    bandwidth_m: float | None = None
    half_life_days: float | None = None
    category_weights: dict[str, float] = field(default_factory=dict)
    gi_distance_m: float | None = None
    fdr: bool = True
    cluster_eps_m: float = 300.0
    cluster_min_samples: int = 15


@dataclass(frozen=True)
class ChannelConfig:
    """One outreach channel: which venues, how far its reach, how many sites."""

    name: str
    label: str = ""
    type: ChannelType = "venues"
    venue_kinds: tuple[str, ...] = ()
    budget: int = 5
    radius_m: float = 500.0
    distance: DistanceModel = "straight"
    category_weights: dict[str, float] = field(default_factory=dict)
    age_weights: dict[str, float] = field(default_factory=dict)
    existing: tuple[str, ...] = ()
    min_per_precinct: int = 0
    min_share_per_precinct: float = 0.0
    min_spacing_m: float = 0.0
    method: Method = "auto"
    time_limit_s: float = 20.0


@dataclass(frozen=True)
class OutputConfig:
    """Where and how outputs are written."""

    dir: Path = Path("outputs/run")
    basemap: Basemap = "none"
    lang: Lang = "zh"
    # issue 11 briefing: languages rendered side by side (map.html + map.en.html ...);
    # empty: ``lang`` only. ``--lang zh,en`` sets it.
    langs: tuple[Lang, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A whole scenario, as read from TOML (see module docstring)."""

    path: Path | None
    scenario: ScenarioInfo
    precincts: PrecinctLayer
    alerts: AlertLayer
    venues: tuple[VenueLayer, ...] = ()
    streets: StreetLayer | None = None
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    channels: tuple[ChannelConfig, ...] = ()
    output: OutputConfig = field(default_factory=OutputConfig)

    @property
    def synthetic(self) -> bool:
        """True when any input is labelled synthetic or illustrative."""
        return bool(
            self.alerts.synthetic
            or self.precincts.illustrative
            or any(v.synthetic for v in self.venues)
            or (self.streets is not None and self.streets.synthetic)
        )

    def channel(self, name: str) -> ChannelConfig:
        """Return the channel called ``name``; a :class:`ScenarioError` lists the names if none."""
        for ch in self.channels:
            if ch.name == name:
                return ch
        names = [c.name for c in self.channels]
        raise ScenarioError(f"no channel named {name!r}; channels are {names}")


# --------------------------------------------------------------------------- parsing


def _suggest(key: str, valid: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {sorted(valid)}"


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce_union(value: Any, tp: Any, where: str, base: Path) -> Any:
    """Coerce to the first member of ``X | Y | None`` that accepts the value."""
    if value is None:
        return None
    errors = []
    for a in (a for a in get_args(tp) if a is not type(None)):
        try:
            return _coerce(value, a, where, base)
        except ScenarioError as exc:
            errors.append(str(exc))
    raise ScenarioError(errors[0])


def _coerce_path(value: Any, where: str, base: Path) -> Path:
    """Resolve a path string against the scenario folder ``base``."""
    if not isinstance(value, str):
        raise ScenarioError(f"{where} must be a path string, got {value!r}")
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _coerce_tuple(value: Any, tp: Any, where: str, base: Path) -> tuple[Any, ...]:
    """Coerce a TOML array to ``tuple[X, ...]``."""
    inner = get_args(tp)[0]
    if not isinstance(value, list):
        raise ScenarioError(f"{where} must be a list, got {value!r}")
    return tuple(_coerce(v, inner, f"{where}[{i}]", base) for i, v in enumerate(value))


def _coerce_dict(value: Any, tp: Any, where: str, base: Path) -> dict[str, Any]:
    """Coerce a TOML table to ``dict[str, X]``."""
    _, vtp = get_args(tp)
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a table {{key = value}}, got {value!r}")
    return {str(k): _coerce(v, vtp, f"{where}.{k}", base) for k, v in value.items()}


#: scalar type -> (accepts the TOML value?, what the message asks for)
_SCALARS: dict[Any, tuple[typing.Callable[[Any], bool], str]] = {
    float: (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    bool: (lambda v: isinstance(v, bool), "true or false"),
    str: (lambda v: isinstance(v, str), "text"),
}


def _coerce_scalar(value: Any, tp: Any, where: str) -> Any:
    """Check a number, whole number, boolean or text value (floats accept integers)."""
    if tp not in _SCALARS:
        raise ScenarioError(f"{where}: unsupported type {_type_name(tp)}")  # pragma: no cover
    accepts, what = _SCALARS[tp]
    if not accepts(value):
        raise ScenarioError(f"{where} must be {what}, got {value!r}")
    return float(value) if tp is float else value


def _coerce(value: Any, tp: Any, where: str, base: Path) -> Any:
    """Check/convert one TOML value to the annotated type ``tp``."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(value, tp, where, base)
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            raise ScenarioError(f"{where} = {value!r} is not one of {list(choices)}")
        return value
    if tp is Path:
        return _coerce_path(value, where, base)
    if origin is tuple:
        return _coerce_tuple(value, tp, where, base)
    if origin is dict:
        return _coerce_dict(value, tp, where, base)
    return _coerce_scalar(value, tp, where)


def _build(cls: type, table: Any, where: str, base: Path, **fixed: Any) -> Any:
    if not isinstance(table, dict):
        raise ScenarioError(f"[{where}] must be a table, got {table!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name not in fixed]
    for key in table:
        if key not in names:
            raise ScenarioError(f"unknown key {where}.{key}" + _suggest(key, names))
    kwargs = dict(fixed)
    for f in dataclasses.fields(cls):
        if f.name in fixed:
            continue
        if f.name in table:
            kwargs[f.name] = _coerce(table[f.name], hints[f.name], f"{where}.{f.name}", base)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ScenarioError(f"[{where}] needs the key {f.name!r}")
    return cls(**kwargs)


_TOP = {
    "scenario": ScenarioInfo,
    "precincts": PrecinctLayer,
    "alerts": AlertLayer,
    "venues": VenueLayer,
    "streets": StreetLayer,
    "analysis": AnalysisConfig,
    "channels": ChannelConfig,
    "output": OutputConfig,
}


def parse_scenario(data: dict[str, Any], *, base: Path, path: Path | None = None) -> Scenario:
    """Validate a scenario already read from TOML (``base`` resolves relative paths)."""
    for key in data:
        if key not in _TOP:
            raise ScenarioError(f"unknown section [{key}]" + _suggest(key, _TOP))
    for required in ("precincts", "alerts"):
        if required not in data:
            raise ScenarioError(f"the scenario needs a [{required}] section with a path")
    venues_raw = data.get("venues", [])
    if isinstance(venues_raw, dict):
        venues_raw = [venues_raw]
    channels_raw = data.get("channels", {})
    if not isinstance(channels_raw, dict):
        raise ScenarioError("[channels] must be tables like [channels.square_dance]")
    channels = tuple(
        _build(ChannelConfig, tbl, f"channels.{name}", base, name=name)
        for name, tbl in channels_raw.items()
    )
    for ch in channels:
        if ch.budget < 1:
            raise ScenarioError(f"channels.{ch.name}.budget must be at least 1, got {ch.budget}")
        if ch.radius_m <= 0:
            raise ScenarioError(f"channels.{ch.name}.radius_m must be > 0, got {ch.radius_m}")
        if ch.type == "venues" and not ch.venue_kinds:
            raise ScenarioError(
                f"channels.{ch.name}.venue_kinds is empty; list the venue kinds it uses"
            )
    return Scenario(
        path=path,
        scenario=_build(ScenarioInfo, data.get("scenario", {}), "scenario", base),
        precincts=_build(PrecinctLayer, data["precincts"], "precincts", base),
        alerts=_build(AlertLayer, data["alerts"], "alerts", base),
        venues=tuple(_build(VenueLayer, v, f"venues[{i}]", base) for i, v in enumerate(venues_raw)),
        streets=_build(StreetLayer, data["streets"], "streets", base)
        if "streets" in data
        else None,
        analysis=_build(AnalysisConfig, data.get("analysis", {}), "analysis", base),
        channels=channels,
        output=_build(OutputConfig, data.get("output", {}), "output", base),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file.

    Raises
    ------
    ScenarioError
        With the file name, when the file is missing, not TOML, or has a bad key or value.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(
            f"{path}: scenario file not found; check the path (try `geo-outreach init DIR`)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; save the scenario as UTF-8") from None
    try:
        return parse_scenario(data, base=path.resolve().parent, path=path)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def with_overrides(sc: Scenario, **changes: Any) -> Scenario:
    """Return a copy with CLI overrides applied to [output] (``dir``, ``basemap``, ``lang``)."""
    out = dataclasses.replace(sc.output, **{k: v for k, v in changes.items() if v is not None})
    return dataclasses.replace(sc, output=out)


def scenario_to_dict(sc: Scenario) -> dict[str, Any]:
    """Return the resolved scenario as plain JSON-able data (for manifest.json)."""

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, Path):
            return str(v)
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v

    return conv(sc)
