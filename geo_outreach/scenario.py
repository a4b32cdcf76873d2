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
import datetime
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geo_outreach._errors import ScenarioError
from geo_outreach._toml import build as _build
from geo_outreach._toml import suggest as _suggest
from geo_outreach.scenario_checks import check_values  # every number checked when read (#10)

Datum = Literal["wgs84", "gcj02", "bd09"]
DistanceModel = Literal["walk", "straight"]
Method = Literal["auto", "greedy", "exact"]
ChannelType = Literal["venues", "patrol", "visits"]
Basemap = str  # "none", "osm", "tianditu", "amap" or a tile URL template with {z}/{x}/{y}
Lang = Literal["zh", "en"]
# issue 14: where alerts come from and which engine loads them
AlertSource = Literal["file", "postgis"]
EngineKind = Literal["pandas", "dask"]


@dataclass(frozen=True)
class ScenarioInfo:
    """General settings."""

    name: str = "scenario"
    title: str = ""
    timezone: str = "Asia/Shanghai"
    seed: int = 42
    # issue 10 (F): False when the scenario did not set timezone (set by the parser, not a key)
    timezone_given: bool = True


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
    # issue 10 (F): dissolve polygons that share an id instead of stopping
    merge_duplicate_ids: bool = False


@dataclass(frozen=True)
class AlertLayer:
    """Fraud alerts (CSV, XLSX, GeoJSON) or a PostGIS query/table (issue 14).

    ``columns`` maps our names (id, lon, lat, time, category, age_band) to the file's headers.
    """

    path: Path | None = None  # issue 14: required unless source = "postgis" (checked when read)
    datum: Datum = "wgs84"
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    sheet: str | None = None
    synthetic: bool = False
    note: str = ""
    max_outside_km: float = 20.0
    # issue 10 (F): spreadsheet header row (1-based; None finds it) and time parsing
    header_row: int | None = None
    time_format: str | None = None
    dayfirst: bool | None = None
    # issue 14 (begin): alerts straight from PostGIS; the DSN is read from the environment
    # variable named by dsn_env and is never written anywhere
    source: AlertSource = "file"
    dsn_env: str = "GEO_OUTREACH_DSN"
    query: str | None = None
    table: str | None = None
    # issue 14 (end)


@dataclass(frozen=True)
class VenueLayer:
    """Venues: OSM XML (.osm / .osm.bz2) mapped by tags, or CSV/GeoJSON with a kind column."""

    path: Path
    datum: Datum = "wgs84"
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    synthetic: bool = False
    note: str = ""
    # issue 10 (F): spreadsheet sheet/header row; extra kind names -> our kinds
    sheet: str | None = None
    header_row: int | None = None
    kinds: dict[str, str] = field(default_factory=dict)


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
    time_limit_s: float | None = None  # None: no safety net (the solve is budgeted by work)
    # issue 12: materials (stock split over the chosen sites) and visits channels
    stock: int = 0
    min_per_site: int = 0
    max_per_site: int = 0
    footfall: dict[str, float] = field(default_factory=dict)
    firms: Path | None = None
    schools: Path | None = None
    window_start: datetime.date | None = None
    window_end: datetime.date | None = None
    daily_capacity: int = 4
    work_hours: tuple[int, ...] = (9, 17)
    visit_minutes: int = 60
    # issue 12 (gaps): visiting days and the lunch break of firm/school visits
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    lunch: str = "12:00-14:00"
    skip_dates: tuple[datetime.date, ...] = ()
    police_grid: Path | None = None
    community_grid: Path | None = None
    residents: Path | None = None
    grid_size_m: float = 1000.0
    officer_per_week: int = 20
    worker_per_week: int = 30
    door_if_alone_share: float = 0.2
    # issue 13: demand points: the alerts ("raw") or the forecast surface ("forecast")
    demand: Literal["raw", "forecast"] = "raw"


@dataclass(frozen=True)
class Campaign:
    """Issue 12: the campaign period (``campaign = {start, end}``, TOML dates)."""

    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class KeyDate:
    """Issue 12: a key date of the campaign (``[[key_dates]]``: date, title, optional end)."""

    date: datetime.date
    title: str
    end: datetime.date | None = None


@dataclass(frozen=True)
class OutputConfig:
    """Where and how outputs are written."""

    dir: Path = Path("outputs/run")
    basemap: Basemap = "none"
    lang: Lang = "zh"
    # issue 11 briefing: languages rendered side by side (map.html + map.en.html ...);
    # empty: ``lang`` only. ``--lang zh,en`` sets it.
    langs: tuple[Lang, ...] = ()
    # issue 14: alerts.parquet (cleaned alerts, WGS84 GeoParquet) beside outputs.gpkg;
    # None: only for large runs (manifest.PARQUET_ROWS alerts or more)
    alerts_parquet: bool | None = None


# issue 13: the campaign log (what outreach was done), found by plan/demo/effect without --log
@dataclass(frozen=True)
class CampaignLogConfig:
    """The campaign log (CSV/XLSX): what outreach was done, where and when."""

    path: Path
    datum: Datum | None = None
    sheet: str | None = None
    encoding: str = "auto"
    synthetic: bool = False


# issue 10 (F): the study period; alerts outside it are rejected with the reason
@dataclass(frozen=True)
class PeriodConfig:
    """Optional study period: ISO dates or date-times (``2024-01-01``), in the scenario zone."""

    start: str | None = None
    end: str | None = None


# issue 14 (begin): the engine that loads and cleans the alerts
@dataclass(frozen=True)
class EngineConfig:
    """Engine for loading and cleaning alerts: pandas in this process, or Dask partitions."""

    kind: EngineKind = "pandas"
    workers: int = 2
    scheduler: str | None = None
    partition_rows: int = 1_000_000


# issue 14 (end)


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
    # issue 12
    campaign: Campaign | None = None
    key_dates: tuple[KeyDate, ...] = ()
    period: PeriodConfig = field(default_factory=PeriodConfig)  # issue 10 (F)
    campaign_log: CampaignLogConfig | None = None  # issue 13
    engine: EngineConfig = field(default_factory=EngineConfig)  # issue 14

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
# (the generic TOML -> dataclass checks are in geo_outreach._toml)

_TOP = {
    "scenario": ScenarioInfo,
    "precincts": PrecinctLayer,
    "alerts": AlertLayer,
    "venues": VenueLayer,
    "streets": StreetLayer,
    "analysis": AnalysisConfig,
    "channels": ChannelConfig,
    "output": OutputConfig,
    # issue 12
    "campaign": Campaign,
    "key_dates": KeyDate,
    "period": PeriodConfig,  # issue 10 (F)
    "campaign_log": CampaignLogConfig,  # issue 13
    "engine": EngineConfig,  # issue 14
}


# --------------------------------------------------------------------------- issue 10 (F)


def _check_timezone(info: ScenarioInfo) -> None:
    """Check the timezone is an IANA name; a typo is an error that suggests the nearest."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(info.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(
            info.timezone, sorted(zoneinfo.available_timezones()), n=1, cutoff=0.6
        )
        hint = f'; did you mean "{close[0]}"?' if close else ' (an IANA name like "Asia/Shanghai")'
        raise ScenarioError(
            f"scenario.timezone = {info.timezone!r} is not a known time zone{hint}"
        ) from None


def _period_table(raw: Any) -> Any:
    """TOML dates/date-times in [period] become ISO text; each must parse as a date."""
    import datetime as _dt

    if not isinstance(raw, dict):
        return raw
    out = {}
    for k, v in raw.items():
        if isinstance(v, (_dt.date, _dt.datetime)):
            v = v.isoformat()
        if isinstance(v, str):
            try:
                _dt.datetime.fromisoformat(v)
            except ValueError:
                raise ScenarioError(
                    f"period.{k} = {v!r} is not a date; write it as 2024-01-01"
                ) from None
        out[k] = v
    start, end = out.get("start"), out.get("end")
    if isinstance(start, str) and isinstance(end, str) and start > end:
        raise ScenarioError(f"period.start = {start!r} is after period.end = {end!r}")
    return out


def _scenario_info(raw: Any, base: Path) -> ScenarioInfo:
    given = isinstance(raw, dict) and "timezone" in raw
    info: ScenarioInfo = _build(ScenarioInfo, raw, "scenario", base, timezone_given=given)
    _check_timezone(info)
    return info


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
        if ch.type == "venues" and not ch.venue_kinds:
            raise ScenarioError(
                f"channels.{ch.name}.venue_kinds is empty; list the venue kinds it uses"
            )
    sc = Scenario(
        path=path,
        scenario=_scenario_info(data.get("scenario", {}), base),  # issue 10 (F)
        precincts=_build(PrecinctLayer, data["precincts"], "precincts", base),
        alerts=_build(AlertLayer, data["alerts"], "alerts", base),
        venues=tuple(_build(VenueLayer, v, f"venues[{i}]", base) for i, v in enumerate(venues_raw)),
        streets=_build(StreetLayer, data["streets"], "streets", base)
        if "streets" in data
        else None,
        analysis=_build(AnalysisConfig, data.get("analysis", {}), "analysis", base),
        channels=channels,
        output=_build(OutputConfig, data.get("output", {}), "output", base),
        **_playbook_sections(data, base),
        period=_build(PeriodConfig, _period_table(data.get("period", {})), "period", base),
        campaign_log=_build(CampaignLogConfig, data["campaign_log"], "campaign_log", base)
        if "campaign_log" in data
        else None,  # issue 13
        engine=_build(EngineConfig, data.get("engine", {}), "engine", base),  # issue 14
    )
    _check_source(sc)  # issue 14
    check_values(sc)
    return sc


# issue 14 (begin)
def _check_source(sc: Scenario) -> None:
    """Check the alert source keys fit together and the Dask scheduler address looks right."""
    a = sc.alerts
    if a.source == "file":
        if a.path is None:
            raise ScenarioError("[alerts] needs the key 'path' (or source = \"postgis\")")
        extra = [k for k in ("query", "table") if getattr(a, k) is not None]
        if extra:
            raise ScenarioError(
                f'alerts.{extra[0]} is for source = "postgis"; set it or remove the key'
            )
    else:
        if a.path is not None:
            raise ScenarioError('alerts.path is for files; with source = "postgis" remove it')
        if (a.query is None) == (a.table is None):
            raise ScenarioError(
                'alerts: source = "postgis" needs exactly one of query = "SELECT ..." or '
                'table = "schema.alerts"'
            )
        if not a.dsn_env.strip():
            raise ScenarioError("alerts.dsn_env must name an environment variable")
    s = sc.engine.scheduler
    if s is not None and "://" not in s:
        raise ScenarioError(
            f"engine.scheduler = {s!r} is not a scheduler address; write it like "
            '"tcp://10.0.0.5:8786"'
        )


# issue 14 (end)


def _playbook_sections(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Issue 12: parse ``campaign = {start, end}`` and ``[[key_dates]]``."""
    out: dict[str, Any] = {}
    if "campaign" in data:
        camp = _build(Campaign, data["campaign"], "campaign", base)
        if camp.end < camp.start:
            raise ScenarioError(f"campaign.end {camp.end} is before campaign.start {camp.start}")
        out["campaign"] = camp
    raw = data.get("key_dates", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise ScenarioError("key_dates must be a list of tables like [[key_dates]]")
    out["key_dates"] = tuple(_build(KeyDate, k, f"key_dates[{i}]", base) for i, k in enumerate(raw))
    return out


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


def placement_only(sc: Scenario) -> Scenario:
    """Return a copy without the ``type = "visits"`` channels (issue 12: nothing to backtest)."""
    return dataclasses.replace(sc, channels=tuple(c for c in sc.channels if c.type != "visits"))


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
