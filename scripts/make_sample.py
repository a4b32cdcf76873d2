"""Build the bundled Xinhui demo data: illustrative precincts and SYNTHETIC venues, streets
and fraud alerts.

    python scripts/make_sample.py                 # rebuild the committed files in the repo
    python scripts/make_sample.py --out-dir DIR   # write the same files under DIR instead

Everything is drawn from ``numpy.random.default_rng(SEED)`` and written with fixed formatting,
so two runs give byte-identical files. Inputs (read from the repo, never written):
``data/boundaries/xinhui_outline_wgs84.geojson`` (real district outline) and
``data/boundaries/township_seats.csv`` (11 township seats). Outputs, relative to the out dir:

- data/boundaries/xinhui_precincts.geojson: 11 ILLUSTRATIVE precincts (Voronoi cells of the
  seats clipped to the outline), synthetic population
- data/sample/xinhui_venues.osm.bz2: SYNTHETIC venues as OSM XML (nodes + a few closed ways),
  WGS84
- data/sample/xinhui_streets.osm.bz2: SYNTHETIC street grids around the town seats +
  connecting roads, OSM XML, WGS84
- data/sample/alerts.csv: SYNTHETIC fraud alerts, GBK, Chinese headers, GCJ-02 coordinates,
  12 messy rows
- data/sample/README.md: what the files are, counts, the messy rows

The demo scenario ``data/sample/xinhui_demo.toml`` is written by hand, not by this script.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import io
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pyproj
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runs from a plain checkout too

from geo_outreach.crs import wgs84_to_gcj02

REPO = Path(__file__).resolve().parents[1]

SEED = 20261128
UTM = "EPSG:32649"
OUTLINE = REPO / "data/boundaries/xinhui_outline_wgs84.geojson"
SEATS = REPO / "data/boundaries/township_seats.csv"

PRECINCTS_REL = Path("data/boundaries/xinhui_precincts.geojson")
VENUES_REL = Path("data/sample/xinhui_venues.osm.bz2")
STREETS_REL = Path("data/sample/xinhui_streets.osm.bz2")
ALERTS_REL = Path("data/sample/alerts.csv")
README_REL = Path("data/sample/README.md")

PRECINCT_NOTE = (
    "ILLUSTRATIVE boundaries: Voronoi cells of township seats clipped to the real district "
    "outline; NOT official precinct boundaries. Population is SYNTHETIC."
)
OSM_SOURCE = "geo_outreach synthetic sample"
GENERATOR = "geo_outreach make_sample.py"

_TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
_TO_WGS = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)

# --------------------------------------------------------------------------- towns

#: Synthetic resident counts before a +-5 % jitter (Huicheng ~350k, total ~850k).
BASE_POPULATION = {
    "440705001": 340_000,  # 会城
    "440705101": 62_000,  # 大泽
    "440705103": 38_000,  # 司前
    "440705110": 52_000,  # 沙堆
    "440705111": 58_000,  # 古井
    "440705112": 60_000,  # 三江
    "440705113": 48_000,  # 睦洲
    "440705114": 36_000,  # 大鳌
    "440705119": 31_000,  # 罗坑
    "440705120": 72_000,  # 双水
    "440705121": 45_000,  # 崖门
}
HUICHENG = "440705001"


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    short: str
    pinyin: str
    lon: float
    lat: float
    x: float  # UTM 49N metres
    y: float
    population: int
    sigma_m: float  # spread of venues/alerts around the seat
    grid_r_m: float  # radius of the street grid
    venue_w: float  # relative venue weight


def load_towns(rng: np.random.Generator) -> list[Town]:
    seats = pd.read_csv(SEATS, dtype={"code9": str})
    towns = []
    for row in seats.itertuples(index=False):
        x, y = _TO_UTM.transform(row.lon, row.lat)
        base = BASE_POPULATION[row.code9]
        pop = int(round(base * rng.uniform(0.95, 1.05), -1))
        hc = row.code9 == HUICHENG
        towns.append(
            Town(
                code=row.code9,
                name=row.name,
                short=row.short_name,
                pinyin=row.pinyin,
                lon=float(row.lon),
                lat=float(row.lat),
                x=float(x),
                y=float(y),
                population=pop,
                sigma_m=2000.0 if hc else 1000.0 + 300.0 * (base / 72_000),
                grid_r_m=4000.0 if hc else 1800.0 + 700.0 * (base / 72_000),
                venue_w=3.5 if hc else 0.6 + 0.6 * (base / 72_000),
            )
        )
    return towns


def load_outline() -> tuple[shapely.Geometry, shapely.Geometry]:
    """The district outline in WGS84 and in UTM 49N."""
    data = json.loads(OUTLINE.read_text(encoding="utf-8"))
    geom = shapely.union_all(
        [shapely.from_geojson(json.dumps(f["geometry"])) for f in data["features"]]
    )
    utm = shapely.transform(geom, lambda c: np.column_stack(_TO_UTM.transform(c[:, 0], c[:, 1])))
    return geom, utm


def to_wgs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_WGS.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


# --------------------------------------------------------------------------- precincts


def make_precincts(towns: list[Town], outline_wgs, outline_utm) -> list[dict]:
    """Voronoi cells of the seats (computed in UTM 49N), clipped to the WGS84 outline."""
    pts = shapely.multipoints([(t.x, t.y) for t in towns])
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=outline_utm.buffer(20_000)))
    features = []
    for t in towns:
        seat = shapely.Point(t.x, t.y)
        cell = next(c for c in cells if c.contains(seat))
        cell_wgs = shapely.transform(
            cell, lambda c: np.column_stack(_TO_WGS.transform(c[:, 0], c[:, 1]))
        )
        clipped = shapely.intersection(cell_wgs, outline_wgs)
        polys = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon" and p.area > 0]
        geom = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
        geom = shapely.normalize(geom)
        if not geom.is_valid or not geom.contains(shapely.Point(t.lon, t.lat)):
            raise RuntimeError(f"precinct {t.name}: invalid cell or seat outside it")
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "precinct_id": t.code,
                    "name": t.name,
                    "short_name": t.short,
                    "pinyin": t.pinyin,
                    "population": t.population,
                    "illustrative": True,
                    "note": PRECINCT_NOTE,
                },
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    return features


def precincts_geojson(features: list[dict]) -> bytes:
    fc = {
        "type": "FeatureCollection",
        "name": "xinhui_precincts",
        "note": PRECINCT_NOTE,
        "features": features,
    }
    lines = ["{"]
    for key in ("type", "name", "note"):
        lines.append(f'"{key}": {json.dumps(fc[key], ensure_ascii=False)},')
    lines.append('"features": [')
    body = [json.dumps(f, ensure_ascii=False) for f in features]
    lines.append(",\n".join(body))
    lines.append("]")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- OSM XML


class OsmWriter:
    """Minimal deterministic OSM XML 0.6 writer."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, float, float, dict[str, str]]] = []
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []

    def node(self, nid: int, lon: float, lat: float, tags: dict[str, str] | None = None) -> None:
        self.nodes.append((nid, float(lon), float(lat), tags or {}))

    def way(self, wid: int, refs: list[int], tags: dict[str, str]) -> None:
        self.ways.append((wid, list(refs), tags))

    def to_bytes(self) -> bytes:
        lons = [n[1] for n in self.nodes]
        lats = [n[2] for n in self.nodes]
        out = io.StringIO()
        out.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        out.write(f'<osm version="0.6" generator="{GENERATOR}">\n')
        out.write(
            f'  <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
            f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>\n'
        )
        for nid, lon, lat, tags in sorted(self.nodes, key=lambda n: n[0]):
            head = f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
            if not tags:
                out.write(head + "/>\n")
                continue
            out.write(head + ">\n")
            for k, v in tags.items():
                out.write(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>\n")
            out.write("  </node>\n")
        for wid, refs, tags in sorted(self.ways, key=lambda w: w[0]):
            out.write(f'  <way id="{wid}" version="1">\n')
            for r in refs:
                out.write(f'    <nd ref="{r}"/>\n')
            for k, v in tags.items():
                out.write(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>\n")
            out.write("  </way>\n")
        out.write("</osm>\n")
        return bz2.compress(out.getvalue().encode("utf-8"), compresslevel=9)


# --------------------------------------------------------------------------- streets


@dataclass
class Streets:
    xy: dict[int, tuple[float, float]]  # node id -> UTM
    ways: list[tuple[list[int], dict[str, str]]]
    main_nodes: np.ndarray  # ids of nodes on secondary/tertiary ways (for bus stops)
    town_nodes: dict[str, np.ndarray]  # code -> ids of that town's grid nodes


STREET_NODE0 = 1_000_001
STREET_WAY0 = 3_000_001


def _road_class(k: int, n: int) -> str:
    """Highway class of grid line ``k`` of ``2 n + 1``: axes secondary, every 5th tertiary."""
    if k == n:  # the axes through the seat
        return "secondary"
    if (k - n) % 5 == 0:
        return "tertiary"
    return "residential"


@dataclass
class _StreetBuilder:
    """Nodes and ways of the synthetic network while it grows (ids in creation order)."""

    rng: np.random.Generator
    outline_utm: shapely.Geometry
    xy: dict[int, tuple[float, float]] = field(default_factory=dict)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)
    main: set[int] = field(default_factory=set)
    next_id: int = STREET_NODE0

    def new_node(self, x: float, y: float) -> int:
        nid = self.next_id
        self.next_id += 1
        self.xy[nid] = (float(x), float(y))
        return nid

    def segment_ok(self, p: int, q: int) -> bool:
        line = shapely.LineString([self.xy[p], self.xy[q]])
        return bool(self.outline_utm.contains(line))

    def town_grid(self, t: Town) -> tuple[np.ndarray, int]:
        """Jittered, rotated grid nodes around a seat: 2-D node ids (0 = none) and ``n``."""
        rng = self.rng
        spacing = 170.0 if t.code == HUICHENG else rng.uniform(160.0, 230.0)
        theta = np.deg2rad(rng.uniform(-25.0, 25.0))
        n = int(np.ceil(t.grid_r_m / spacing)) + 1
        idx = np.arange(-n, n + 1)
        ii, jj = np.meshgrid(idx, idx, indexing="ij")
        u = ii * spacing + rng.normal(0.0, 0.1 * spacing, ii.shape)
        v = jj * spacing + rng.normal(0.0, 0.1 * spacing, ii.shape)
        gx = t.x + np.cos(theta) * u - np.sin(theta) * v
        gy = t.y + np.sin(theta) * u + np.cos(theta) * v
        inside = (np.hypot(gx - t.x, gy - t.y) <= t.grid_r_m) & shapely.contains_xy(
            self.outline_utm, gx, gy
        )
        ids = np.zeros(ii.shape, dtype=np.int64)
        for a in range(len(idx)):
            for b in range(len(idx)):
                if inside[a, b]:
                    ids[a, b] = self.new_node(gx[a, b], gy[a, b])
        return ids, n

    def grid_line(self, line_ids: np.ndarray, cls: str) -> None:
        """Contiguous runs of kept segments along one grid line become ways."""
        run: list[int] = []
        for m in range(len(line_ids) - 1):
            p, q = int(line_ids[m]), int(line_ids[m + 1])
            keep = p > 0 and q > 0 and self.rng.random() > 0.05 and self.segment_ok(p, q)
            if keep:
                if not run:
                    run = [p]
                run.append(q)
            elif run:
                self.ways.append((run, {"highway": cls}))
                run = []
        if run:
            self.ways.append((run, {"highway": cls}))
        if cls != "residential":
            self.main.update(int(z) for z in line_ids if z > 0)

    def footways(self, ids: np.ndarray) -> None:
        """A few diagonal footways across blocks (with a midpoint node)."""
        for a in range(len(ids) - 1):
            for b in range(len(ids) - 1):
                p, q = int(ids[a, b]), int(ids[a + 1, b + 1])
                if p > 0 and q > 0 and self.rng.random() < 0.06 and self.segment_ok(p, q):
                    mx = (self.xy[p][0] + self.xy[q][0]) / 2 + self.rng.normal(0, 12)
                    my = (self.xy[p][1] + self.xy[q][1]) / 2 + self.rng.normal(0, 12)
                    self.ways.append(([p, self.new_node(mx, my), q], {"highway": "footway"}))

    def town(self, t: Town) -> np.ndarray:
        """Grid streets and footways of one town; return its node ids."""
        ids, n = self.town_grid(t)
        # rows (along i) and columns (along j)
        for axis in (0, 1):
            for k in range(len(ids)):
                self.grid_line(ids[:, k] if axis == 0 else ids[k, :], _road_class(k, n))
        self.footways(ids)
        return ids[ids > 0]

    def connecting_road(self, ta: Town, tb: Town, town_nodes: dict[str, np.ndarray]) -> None:
        """A gently curved secondary road between the grids of two towns."""
        xy, rng = self.xy, self.rng
        ends = []
        for src, dst in ((ta, tb), (tb, ta)):
            direction = np.array([dst.x - src.x, dst.y - src.y])
            direction /= np.linalg.norm(direction)
            target = np.array([src.x, src.y]) + direction * (src.grid_r_m - 250.0)
            cand = town_nodes[src.code]
            cxy = np.array([xy[int(c)] for c in cand])
            ends.append(int(cand[np.argmin(np.hypot(*(cxy - target).T))]))
        p0, p1 = np.array(xy[ends[0]]), np.array(xy[ends[1]])
        length = float(np.linalg.norm(p1 - p0))
        k = max(2, int(length // 250))
        normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / length
        amp = rng.uniform(-0.06, 0.06) * length
        refs = [ends[0]]
        for s in np.linspace(0, 1, k + 1)[1:-1]:
            p = p0 + (p1 - p0) * s + normal * amp * np.sin(np.pi * s) + rng.normal(0, 15, 2)
            refs.append(self.new_node(*p))
        refs.append(ends[1])
        self.ways.append((refs, {"highway": "secondary", "name": f"{ta.short}{tb.short}公路"}))
        self.main.update(refs)


def _town_links(towns: list[Town]) -> list[tuple[int, int]]:
    """Minimum spanning tree of the seats + the 3 shortest other links."""
    pts = np.array([(t.x, t.y) for t in towns])
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    in_tree = {0}
    edges: list[tuple[int, int]] = []
    while len(in_tree) < len(towns):
        best = min(
            ((d[a, b], a, b) for a in in_tree for b in range(len(towns)) if b not in in_tree),
        )
        edges.append((best[1], best[2]))
        in_tree.add(best[2])
    extra = sorted(
        (d[a, b], a, b)
        for a in range(len(towns))
        for b in range(a + 1, len(towns))
        if (a, b) not in edges and (b, a) not in edges
    )
    return edges + [(a, b) for _, a, b in extra[:3]]


def make_streets(rng: np.random.Generator, towns: list[Town], outline_utm) -> Streets:
    sb = _StreetBuilder(rng, outline_utm)
    town_nodes = {t.code: sb.town(t) for t in towns}
    # connecting roads between towns: minimum spanning tree of the seats + 3 short extras
    for a, b in _town_links(towns):
        sb.connecting_road(towns[a], towns[b], town_nodes)

    # drop nodes no way uses (grid nodes whose every segment was dropped)
    used = {r for refs, _ in sb.ways for r in refs}
    xy = {k: v for k, v in sb.xy.items() if k in used}
    town_nodes = {c: np.array([z for z in ids if int(z) in used]) for c, ids in town_nodes.items()}
    return Streets(
        xy=xy,
        ways=sb.ways,
        main_nodes=np.array(sorted(m for m in sb.main if m in used)),
        town_nodes=town_nodes,
    )


def streets_osm(streets: Streets) -> bytes:
    w = OsmWriter()
    ids = np.array(sorted(streets.xy))
    lon, lat = to_wgs(*np.array([streets.xy[i] for i in ids]).T)
    for nid, lo, la in zip(ids, lon, lat):
        w.node(int(nid), lo, la)
    for k, (refs, tags) in enumerate(streets.ways):
        w.way(STREET_WAY0 + k, refs, {**tags, "source": OSM_SOURCE, "note": "synthetic"})
    return w.to_bytes()


# --------------------------------------------------------------------------- venues

WORDS = [
    "东华",
    "西园",
    "南庄",
    "北街",
    "中和",
    "新民",
    "沿江",
    "龙湾",
    "金桂",
    "银湖",
    "竹园",
    "荷塘",
    "富华",
    "兴业",
    "平安",
    "康乐",
    "幸福",
    "和平",
    "光明",
    "振兴",
    "育英",
    "青云",
    "紫云",
    "华侨",
    "侨兴",
    "葵乡",
    "冈州",
    "圭峰",
    "江门",
    "同德",
    "仁寿",
    "长安",
    "永兴",
    "德兴",
    "礼乐",
    "新华",
    "建设",
    "花园",
    "锦绣",
    "翠湖",
    "碧桂",
    "滨江",
    "明珠",
    "凤山",
    "象山",
    "观澜",
    "泰安",
    "裕华",
    "春晓",
    "龙泉",
    "崖西",
    "银洲",
    "潮江",
    "梅花",
    "桂园",
    "茶坑",
    "北园",
    "南门",
    "西门",
    "东门",
    "沙路",
    "江滨",
    "新城",
    "古镇",
    "圣堂",
    "龙眼",
    "天马",
    "泗冲",
]

#: kind label -> (count, list of (tag key, tag value, share, name templates))
VENUE_SPECS: dict[str, tuple[int, list[tuple[str, str, float, tuple[str, ...]]]]] = {
    "plaza": (
        60,
        [
            (
                "place",
                "square",
                1.0,
                ("{s}{w}广场", "{s}{w}文化广场", "{w}休闲广场", "{s}{w}市民广场"),
            )
        ],
    ),
    "park": (
        40,
        [("leisure", "park", 1.0, ("{s}{w}公园", "{w}社区公园", "{s}{w}湿地公园", "{w}公园"))],
    ),
    "cafe": (
        80,
        [
            (
                "amenity",
                "cafe",
                1.0,
                (
                    "瑞幸咖啡（{s}{w}店）",
                    "库迪咖啡（{s}{w}店）",
                    "星巴克（{s}{w}店）",
                    "幸运咖（{s}{w}店）",
                    "{w}咖啡馆",
                    "{s}{w}咖啡",
                ),
            )
        ],
    ),
    "logistics": (
        120,
        [
            (
                "office",
                "courier",
                0.72,
                (
                    "中通快递{s}{w}网点",
                    "顺丰速运（{s}{w}营业点）",
                    "圆通速递{s}{w}网点",
                    "韵达快递{s}{w}网点",
                    "申通快递{s}{w}网点",
                    "京东快递{s}{w}营业部",
                    "极兔速递{s}{w}网点",
                    "邮政EMS{s}{w}揽投点",
                ),
            ),
            ("shop", "outpost", 0.16, ("菜鸟驿站（{s}{w}店）", "菜鸟驿站（{w}社区店）")),
            ("amenity", "parcel_locker", 0.10, ("丰巢智能柜（{s}{w}）", "丰巢快递柜（{w}小区）")),
            ("amenity", "post_depot", 0.02, ("{s}{w}快递分拨中心",)),
        ],
    ),
    "post_office": (15, [("amenity", "post_office", 1.0, ("中国邮政{s}{w}邮政所", "{s}邮政支局"))]),
    "school": (
        60,
        [("amenity", "school", 1.0, ("{s}{w}小学", "{s}{w}中学", "{s}{w}初级中学", "{w}学校"))],
    ),
    "market": (
        40,
        [("amenity", "marketplace", 1.0, ("{s}{w}市场", "{w}农贸市场", "{s}{w}综合市场"))],
    ),
    "bus_stop": (
        300,
        [("highway", "bus_stop", 1.0, ("{w}站", "{s}{w}路口站", "{w}村站", "{s}{w}站"))],
    ),
}

VENUE_NODE0 = 100_001
VENUE_VERTEX0 = 190_001
VENUE_WAY0 = 200_001


@dataclass
class Venue:
    osm_type: str  # "node" or "way"
    osm_id: int
    kind: str
    key: str
    value: str
    name: str
    town: str
    x: float
    y: float


def _sample_near(
    rng: np.random.Generator, t: Town, sigma: float, max_r: float, outline_utm, n: int = 1
) -> np.ndarray:
    """``n`` points ~ N(seat, sigma) truncated to ``max_r`` and to the outline (rejection)."""
    out = []
    while len(out) < n:
        x, y = rng.normal(t.x, sigma), rng.normal(t.y, sigma)
        if np.hypot(x - t.x, y - t.y) <= max_r and shapely.contains_xy(outline_utm, x, y):
            out.append((x, y))
    return np.array(out)


def make_venues(
    rng: np.random.Generator, towns: list[Town], outline_utm, streets: Streets
) -> list[Venue]:
    weights = np.array([t.venue_w for t in towns])
    weights = weights / weights.sum()
    used_names: set[str] = set()
    venues: list[Venue] = []
    main_xy = np.array([streets.xy[int(i)] for i in streets.main_nodes])
    taken_stops: set[int] = set()
    nid = VENUE_NODE0
    for kind, (count, tagspecs) in VENUE_SPECS.items():
        shares = np.array([s[2] for s in tagspecs])
        town_idx = rng.choice(len(towns), size=count, p=weights)
        tag_idx = rng.choice(len(tagspecs), size=count, p=shares / shares.sum())
        for ti, gi in zip(town_idx, tag_idx):
            t = towns[ti]
            key, value, _, templates = tagspecs[gi]
            ((x, y),) = _sample_near(rng, t, t.sigma_m, t.grid_r_m + 300.0, outline_utm)
            if kind == "bus_stop":  # stand next to a main road node, one stop per node
                order = np.argsort(np.hypot(main_xy[:, 0] - x, main_xy[:, 1] - y))
                j = next(int(o) for o in order if int(streets.main_nodes[o]) not in taken_stops)
                taken_stops.add(int(streets.main_nodes[j]))
                x, y = main_xy[j] + rng.normal(0, 6, 2) + 8.0
            for _ in range(200):
                name = templates[rng.integers(len(templates))].format(
                    s=t.short, w=WORDS[rng.integers(len(WORDS))]
                )
                if kind == "bus_stop" or name not in used_names:
                    break
            used_names.add(name)
            venues.append(Venue("node", nid, kind, key, value, name, t.code, float(x), float(y)))
            nid += 1
    return venues


def venues_osm(
    rng: np.random.Generator, venues: list[Venue], outline_utm
) -> tuple[bytes, list[Venue]]:
    """OSM XML; 5 plazas and 5 parks become closed ways (areas) around their point."""
    w = OsmWriter()
    as_way: set[int] = set()
    for kind, size in (("plaza", 5), ("park", 5)):
        cands = [i for i, v in enumerate(venues) if v.kind == kind]
        as_way.update(int(i) for i in rng.choice(cands, size=size, replace=False))
    vid = VENUE_VERTEX0
    wid = VENUE_WAY0
    out: list[Venue] = []
    for i, v in enumerate(venues):
        tags = {v.key: v.value, "name": v.name, "note": "synthetic", "source": OSM_SOURCE}
        if i in as_way:
            if v.kind == "plaza":
                half = rng.uniform(30.0, 60.0, 2)
                ang = np.deg2rad([45, 135, 225, 315]) + rng.uniform(-0.3, 0.3)
                rx = np.sqrt(2) * half[0] * np.cos(ang)
                ry = np.sqrt(2) * half[1] * np.sin(ang)
                tags = {"highway": "pedestrian", "area": "yes", **tags}
            else:
                r = rng.uniform(90.0, 220.0)
                ang = np.sort(rng.uniform(0, 2 * np.pi, 8))
                rad = r * rng.uniform(0.7, 1.0, 8)
                rx, ry = rad * np.cos(ang), rad * np.sin(ang)
            ring = shapely.Polygon(np.column_stack([v.x + rx, v.y + ry]))
            if not (ring.is_valid and outline_utm.contains(ring)):
                raise RuntimeError(f"venue area {v.name} is invalid or leaves the outline")
            lon, lat = to_wgs(v.x + rx, v.y + ry)
            refs = []
            for lo, la in zip(lon, lat):
                w.node(vid, lo, la)
                refs.append(vid)
                vid += 1
            w.way(wid, refs + [refs[0]], tags)
            out.append(Venue("way", wid, v.kind, v.key, v.value, v.name, v.town, v.x, v.y))
            wid += 1
        else:
            lon, lat = to_wgs(np.array([v.x]), np.array([v.y]))
            w.node(v.osm_id, lon[0], lat[0], tags)
            out.append(v)
    return w.to_bytes(), out


# --------------------------------------------------------------------------- alerts

CATEGORIES = (
    "刷单返利",
    "虚假投资理财",
    "虚假网络贷款",
    "冒充电商物流客服",
    "冒充公检法",
    "冒充领导熟人",
    "网络婚恋交友",
    "网络游戏虚假交易",
    "虚假征信",
    "养老/保健品诈骗",
    "其他",
)
CAT_SHARE = np.array([0.22, 0.14, 0.11, 0.13, 0.07, 0.06, 0.06, 0.07, 0.05, 0.05, 0.04])
AGE_BANDS = ("18-25", "26-35", "36-45", "46-59", "60+")
AGE_P = {
    "刷单返利": (0.38, 0.34, 0.15, 0.09, 0.04),
    "虚假投资理财": (0.06, 0.24, 0.32, 0.28, 0.10),
    "虚假网络贷款": (0.30, 0.38, 0.20, 0.10, 0.02),
    "冒充电商物流客服": (0.18, 0.32, 0.24, 0.17, 0.09),
    "冒充公检法": (0.04, 0.08, 0.14, 0.26, 0.48),
    "冒充领导熟人": (0.04, 0.16, 0.34, 0.34, 0.12),
    "网络婚恋交友": (0.10, 0.30, 0.30, 0.22, 0.08),
    "网络游戏虚假交易": (0.62, 0.28, 0.07, 0.02, 0.01),
    "虚假征信": (0.22, 0.40, 0.24, 0.11, 0.03),
    "养老/保健品诈骗": (0.00, 0.01, 0.03, 0.16, 0.80),
    "其他": (0.18, 0.24, 0.22, 0.20, 0.16),
}
#: median loss (yuan) per category, log-normal sigma 1.0
AMOUNT_MEDIAN = {
    "刷单返利": 9_000,
    "虚假投资理财": 60_000,
    "虚假网络贷款": 5_000,
    "冒充电商物流客服": 12_000,
    "冒充公检法": 90_000,
    "冒充领导熟人": 30_000,
    "网络婚恋交友": 40_000,
    "网络游戏虚假交易": 1_500,
    "虚假征信": 15_000,
    "养老/保健品诈骗": 20_000,
    "其他": 6_000,
}
WEEKEND_BOOST = {
    "刷单返利": 1.35,
    "网络游戏虚假交易": 1.45,
    "网络婚恋交友": 1.3,
    "冒充公检法": 0.6,
    "冒充领导熟人": 0.6,
}
OFFICE_HOURS = {"冒充公检法", "冒充领导熟人", "虚假征信"}
START = date(2024, 11, 1)
END = date(2026, 10, 31)
HEADERS = ("警情编号", "报警时间", "案件类别", "受害人年龄段", "涉案金额(元)", "经度", "纬度")
SPRING_FESTIVALS = (date(2025, 1, 29), date(2026, 2, 17))
NATIONAL_DAYS = (date(2025, 10, 1), date(2026, 10, 1))
HOTSPOT_SHARE = 0.6
EXPECTED_ALERTS = 2400


def _day_factor(d: date, cat: str) -> float:
    doy = (d - date(d.year, 1, 1)).days
    f = 1.0 + 0.22 * np.cos(2 * np.pi * (doy + 17) / 365.25)  # peak mid-December
    t = (d - START).days
    if t >= 365:  # second year: campaigns bite, ~ -15 % year on year
        f *= 1.0 - 0.3 * (t - 365) / 365
    if any(0 <= (h - d).days <= 14 for h in SPRING_FESTIVALS):
        f *= 1.45
    if any(0 <= (h - d).days <= 7 for h in NATIONAL_DAYS):
        f *= 1.3
    if cat == "冒充电商物流客服" and (
        (d.month == 11 and d.day <= 11) or (d.month == 6 and d.day <= 18)
    ):
        f *= 2.0  # Double 11 and 618 shopping festivals
    if d.weekday() >= 5:
        f *= WEEKEND_BOOST.get(cat, 1.0)
    return f


def _hour(rng: np.random.Generator, cat: str) -> float:
    if cat in OFFICE_HOURS and rng.random() < 0.65:
        return rng.uniform(9.0, 17.5)
    u = rng.random()
    if u < 0.45:
        h = rng.normal(20.6, 1.1)  # evening peak 19-22h
    elif u < 0.65:
        h = rng.normal(12.4, 0.7)  # noon peak
    elif u < 0.95:
        h = rng.uniform(7.0, 24.0)
    else:
        h = rng.uniform(0.0, 7.0)  # a few at night
    return float(np.clip(h, 0.0, 23.99))


@dataclass(frozen=True)
class Hub:
    venue: Venue
    sigma_m: float
    weight: float
    start: date  # active from
    end: date  # active until


#: per-hub category tilt: courier hubs draw e-commerce/refund scams, markets draw the elderly
HUB_TILT = {
    "logistics": {"冒充电商物流客服": 3.0, "刷单返利": 1.5, "虚假网络贷款": 1.2},
    "market": {"养老/保健品诈骗": 3.5, "冒充公检法": 2.0, "冒充领导熟人": 1.3},
}


def choose_hubs(rng: np.random.Generator, venues: list[Venue]) -> list[Hub]:
    """15 hub venues (markets and courier points): 10 in Huicheng, 5 in towns."""
    pool = [v for v in venues if v.kind in ("market", "logistics")]
    hc = [v for v in pool if v.town == HUICHENG]
    other_towns = ("440705101", "440705112", "440705120", "440705111", "440705110")
    picked: list[Venue] = []
    hc_markets = [v for v in hc if v.kind == "market"]
    hc_logi = [v for v in hc if v.kind == "logistics"]
    picked += [hc_markets[i] for i in rng.choice(len(hc_markets), 5, replace=False)]
    picked += [hc_logi[i] for i in rng.choice(len(hc_logi), 5, replace=False)]
    for code in other_towns:
        cands = [v for v in pool if v.town == code]
        picked.append(cands[int(rng.integers(len(cands)))])
    hubs = []
    for k, v in enumerate(picked):
        start, end = START, END
        if k in (3, 11):  # two emerging hotspots: only from May 2026
            start = date(2026, 5, 1)
        if k == 7:  # one fading hotspot: gone after Aug 2025
            end = date(2025, 8, 31)
        hubs.append(
            Hub(
                v,
                sigma_m=float(rng.uniform(150.0, 400.0)),
                weight=float(rng.uniform(0.6, 1.6)),
                start=start,
                end=end,
            )
        )
    return hubs


def _alert_place(
    rng: np.random.Generator,
    d: date,
    cat: str,
    hubs: list[Hub],
    towns: list[Town],
    pop_p: np.ndarray,
    outline_utm,
) -> tuple[float, float]:
    """Location: a hotspot (market / courier hub) or spread by population."""
    active = np.array([hb.start <= d <= hb.end for hb in hubs])
    hub_w = np.array([hb.weight * HUB_TILT[hb.venue.kind].get(cat, 1.0) for hb in hubs]) * active
    if rng.random() < HOTSPOT_SHARE and hub_w.sum() > 0:
        hb = hubs[rng.choice(len(hubs), p=hub_w / hub_w.sum())]
        while True:
            x, y = (
                rng.normal(hb.venue.x, hb.sigma_m),
                rng.normal(hb.venue.y, hb.sigma_m),
            )
            if shapely.contains_xy(outline_utm, x, y):
                return x, y
    t = towns[rng.choice(len(towns), p=pop_p)]
    ((x, y),) = _sample_near(rng, t, t.sigma_m * 1.2, t.grid_r_m * 1.5, outline_utm)
    return x, y


def _one_alert(
    rng: np.random.Generator,
    d: date,
    cat: str,
    hubs: list[Hub],
    towns: list[Town],
    pop_p: np.ndarray,
    outline_utm,
) -> list:
    """``[when, category, age band, amount, x, y]`` of one alert on day ``d``."""
    h = _hour(rng, cat)
    minute = int(h * 60)
    when = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
    age = AGE_BANDS[rng.choice(5, p=np.array(AGE_P[cat]) / sum(AGE_P[cat]))]
    amount = 0 if rng.random() < 0.1 else int(round(AMOUNT_MEDIAN[cat] * rng.lognormal(0, 1.0), -1))
    x, y = _alert_place(rng, d, cat, hubs, towns, pop_p, outline_utm)
    return [when, cat, age, amount, x, y]


def _alert_rows(
    rng: np.random.Generator, towns: list[Town], hubs: list[Hub], outline_utm
) -> pd.DataFrame:
    """The clean alerts, day by day, with ids ``JQ<date><daily sequence>``."""
    days = [START + timedelta(days=k) for k in range((END - START).days + 1)]
    shape = np.array(
        [[CAT_SHARE[c] * _day_factor(d, cat) for c, cat in enumerate(CATEGORIES)] for d in days]
    )
    base_per_day = EXPECTED_ALERTS / shape.sum()  # ~100 a month, ~2,400 in two years
    pop = np.array([t.population for t in towns], float)
    pop_p = pop / pop.sum()
    rows = []
    for k, d in enumerate(days):
        counts = rng.poisson(base_per_day * shape[k])
        recs = [
            _one_alert(rng, d, CATEGORIES[c], hubs, towns, pop_p, outline_utm)
            for c, n in enumerate(counts)
            for _ in range(n)
        ]
        recs.sort(key=lambda r: r[0])
        seq = 0
        for r in recs:
            seq += int(rng.integers(1, 30))
            rows.append([f"JQ{d:%Y%m%d}{seq:05d}", *r])
    return pd.DataFrame(rows, columns=["id", "when", "cat", "age", "amount", "x", "y"])


def _mess_up(
    rng: np.random.Generator, out: dict[str, list], towns: list[Town], outline_utm
) -> tuple[list[list], list[tuple[str, str, str]]]:
    """Spoil 10 rows and duplicate 2 (in place in ``out``); return the records and the list."""
    n = len(out["id"])
    picks = rng.choice(np.arange(20, n - 20), size=10, replace=False)
    messy: list[tuple[str, str, str]] = []  # (kind, alert id, what)
    for i in picks[:3]:
        out["lon"][i] = out["lat"][i] = ""
        messy.append(("empty 经度/纬度", out["id"][i], "both cells empty"))
    for i in picks[3:5]:
        out["lon"][i], out["lat"][i] = out["lat"][i], out["lon"][i]
        messy.append(
            ("lat/lon swapped", out["id"][i], f"经度={out['lon'][i]} 纬度={out['lat'][i]}")
        )
    for i, bad in zip(picks[5:7], ("2025-13-45", "待补录")):
        out["time"][i] = bad
        messy.append(("unparseable 报警时间", out["id"][i], bad))
    i = picks[7]  # far outside: Guangzhou (Tianhe)
    g = wgs84_to_gcj02(np.array([113.3245]), np.array([23.1190]))
    out["lon"][i], out["lat"][i] = f"{g[0][0]:.6f}", f"{g[1][0]:.6f}"
    gz = shapely.Point(_TO_UTM.transform(113.3245, 23.1190))
    gz_km = shapely.distance(outline_utm, gz) / 1000
    messy.append(
        (
            f"far outside the district (Guangzhou Tianhe, {gz_km:.0f} km away)",
            out["id"][i],
            f"{out['lon'][i]},{out['lat'][i]}",
        )
    )
    # just outside the outline, 1-3 km past the border near Huicheng: valid, precinct "outside"
    hc = next(t for t in towns if t.code == HUICHENG)
    ring = shapely.difference(outline_utm.buffer(3000.0), outline_utm.buffer(1000.0))
    near = []
    while len(near) < 2:
        x, y = rng.normal(hc.x, 5000.0), rng.normal(hc.y, 5000.0)
        if shapely.contains_xy(ring, x, y):
            near.append((x, y))
    for i, (x, y) in zip(picks[8:10], near):
        lo, la = to_wgs(np.array([x]), np.array([y]))
        g = wgs84_to_gcj02(lo, la)
        out["lon"][i], out["lat"][i] = f"{g[0][0]:.6f}", f"{g[1][0]:.6f}"
        dist = shapely.distance(outline_utm, shapely.Point(x, y))
        messy.append(
            (
                "just outside the outline (VALID, precinct outside)",
                out["id"][i],
                f"{dist / 1000:.1f} km outside",
            )
        )
    records = [
        list(r)
        for r in zip(*(out[k] for k in ("id", "time", "cat", "age", "amount", "lon", "lat")))
    ]
    dup_src = sorted(
        int(i) for i in rng.choice(np.setdiff1d(np.arange(20, n - 20), picks), 2, replace=False)
    )
    for i in reversed(dup_src):  # exact duplicate row right after the original
        records.insert(i + 1, list(records[i]))
    for i in dup_src:
        messy.append(
            ("duplicated 警情编号 (exact duplicate row)", out["id"][i], "row appears twice")
        )
    return records, messy


# ---------------------------------------------------------------- issue 13: planted effect


def _venue_table(venues: list[Venue], features: list[dict]) -> pd.DataFrame:
    """venue_id, kind, precinct_id (point in precinct, UTM), x, y of every venue."""
    polys = [(f["properties"]["precinct_id"], _utm_geom(f)) for f in features]
    rows = []
    for v in venues:
        pid = next((p for p, g in polys if shapely.contains_xy(g, v.x, v.y)), "outside")
        rows.append((f"osm:{v.osm_type}/{v.osm_id}", v.kind, pid, v.x, v.y))
    return pd.DataFrame(rows, columns=["venue_id", "kind", "precinct_id", "x", "y"])


def plant_effect(
    df: pd.DataFrame, venues: list[Venue], features: list[dict]
) -> tuple[pd.DataFrame, dict]:
    """Thin the alerts within the square-dance reach after each site's first event (issue 13).

    The events are the sample campaign log's (``scripts/make_campaign_log.py``: same seed, same
    venues); an alert within ``DANCE_RADIUS_M`` (straight line) of a dance site, on or after the
    day of that site's first event, is dropped with probability ``-PLANTED_EFFECT`` (20 %). The
    draws come from their own stream (one uniform per alert), so the other files do not move.
    """
    from make_campaign_log import DANCE_RADIUS_M, PLANTED_EFFECT
    from make_campaign_log import SEED as LOG_SEED
    from make_campaign_log import dance_events

    table = _venue_table(venues, features).set_index("venue_id")
    first: dict[str, str] = {}
    events = dance_events(table.reset_index(), df, np.random.default_rng(LOG_SEED))
    for site, day in events:
        first[site] = min(first.get(site, day), day)
    when = pd.to_datetime(df["when"]).to_numpy()
    exposed = np.zeros(len(df), dtype=bool)
    for site, day in sorted(first.items()):
        x, y = table.at[site, "x"], table.at[site, "y"]
        near = np.hypot(df["x"].to_numpy() - x, df["y"].to_numpy() - y) <= DANCE_RADIUS_M
        exposed |= near & (when >= np.datetime64(day))
    u = np.random.default_rng([SEED, 13]).random(len(df))
    drop = exposed & (u < -PLANTED_EFFECT)
    info = {
        "effect": PLANTED_EFFECT,
        "radius_m": DANCE_RADIUS_M,
        "sites": len(first),
        "first": dict(sorted(first.items(), key=lambda kv: (kv[1], kv[0]))),
        "exposed": int(exposed.sum()),
        "dropped": int(drop.sum()),
    }
    return df[~drop].reset_index(drop=True), info


def make_alerts(
    rng: np.random.Generator,
    towns: list[Town],
    venues: list[Venue],
    outline_utm,
    outline_wgs,
    features: list[dict],
) -> tuple[bytes, dict]:
    hubs = choose_hubs(rng, venues)
    df, planted = plant_effect(_alert_rows(rng, towns, hubs, outline_utm), venues, features)
    lon, lat = to_wgs(df["x"].to_numpy(), df["y"].to_numpy())
    glon, glat = wgs84_to_gcj02(lon, lat)
    out = {
        "id": df["id"].tolist(),
        "time": [w.strftime("%Y-%m-%d %H:%M:%S") for w in df["when"]],
        "cat": df["cat"].tolist(),
        "age": df["age"].tolist(),
        "amount": [str(a) for a in df["amount"]],
        "lon": [f"{v:.6f}" for v in glon],
        "lat": [f"{v:.6f}" for v in glat],
    }
    # ---- the deliberately messy rows (documented in README.md)
    records, messy = _mess_up(rng, out, towns, outline_utm)

    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\r\n")
    wr.writerow(HEADERS)
    wr.writerows(records)
    data = buf.getvalue().encode("gbk")

    row_of = {}
    for k, r in enumerate(records):
        row_of.setdefault(r[0], k + 1)
    info = {
        "rows": len(records),
        "clean_rows": len(records) - 10 - 2,
        "messy": [(kind, aid, row_of[aid], what) for kind, aid, what in messy],
        "hubs": hubs,
        "per_month": pd.Series(1, index=pd.to_datetime(df["when"])).resample("MS").sum(),
        "first_year": int((df["when"] < datetime(2025, 11, 1)).sum()),
        "second_year": int((df["when"] >= datetime(2025, 11, 1)).sum()),
        "categories": df["cat"].value_counts().reindex(list(CATEGORIES)).to_dict(),
        "planted": planted,
    }
    return data, info


# --------------------------------------------------------------------------- README


def readme(
    towns: list[Town], venues: list[Venue], streets: Streets, alerts: dict, sizes: dict
) -> str:
    by_kind: dict[str, int] = {}
    by_tag: dict[str, int] = {}
    for v in venues:
        by_kind[v.kind] = by_kind.get(v.kind, 0) + 1
        by_tag[f"{v.key}={v.value}"] = by_tag.get(f"{v.key}={v.value}", 0) + 1
    n_way = sum(v.osm_type == "way" for v in venues)
    hw: dict[str, int] = {}
    for _, tags in streets.ways:
        hw[tags["highway"]] = hw.get(tags["highway"], 0) + 1
    L = []
    a = L.append
    a("# Bundled Xinhui demo data — SYNTHETIC / ILLUSTRATIVE")
    a("")
    a("> **Everything in this folder is SYNTHETIC.** The venues, streets and fraud alerts are")
    a("> invented by `scripts/make_sample.py`; no real alert, person or business is described.")
    a("> The precinct polygons (`../boundaries/xinhui_precincts.geojson`) are **ILLUSTRATIVE**")
    a("> (Voronoi cells of the township seats clipped to the real district outline), not official")
    a("> boundaries, and their population is synthetic. Use these files to try the tool, never to")
    a("> plan real outreach. The demo scenario sets `synthetic = true` / `illustrative = true`, so")
    a("> every map and briefing made from it carries that label.")
    a("")
    a("This file is written by the generator; edit `scripts/make_sample.py`, not this file.")
    a("")
    a("## Rebuild")
    a("")
    a("```")
    a("python scripts/make_sample.py                # rewrites the files below in place")
    a(
        "python scripts/make_sample.py --out-dir DIR  # writes DIR/data/boundaries/..., "
        "DIR/data/sample/..."
    )
    a("```")
    a("")
    a(f"Seed `{SEED}` (`numpy.random.default_rng`); two runs give byte-identical files")
    a("(`tests/test_sample_data.py` checks this). Inputs: the real outline")
    a(
        "`../boundaries/xinhui_outline_wgs84.geojson` and the seats "
        "`../boundaries/township_seats.csv`."
    )
    a("")
    a("## Files")
    a("")
    a("| file | what | format / encoding | CRS / datum | licence |")
    a("|---|---|---|---|---|")
    a(
        "| `../boundaries/xinhui_precincts.geojson` | 11 ILLUSTRATIVE precincts, synthetic "
        f"`population` ({sizes['precincts']:,} bytes) | GeoJSON, UTF-8 | WGS84 (EPSG:4326) | CC0 "
        "(geometry derived from the MIT-licensed outline, see ../boundaries/README.md) |"
    )
    a(
        f"| `xinhui_venues.osm.bz2` | SYNTHETIC venues ({len(venues)}: nodes + {n_way} closed "
        f"ways) ({sizes['venues']:,} bytes) | OSM XML 0.6, UTF-8, bzip2 | WGS84 | CC0 |"
    )
    a(
        f"| `xinhui_streets.osm.bz2` | SYNTHETIC street network ({len(streets.xy):,} nodes, "
        f"{len(streets.ways):,} ways in the file) ({sizes['streets']:,} bytes) | OSM XML 0.6, "
        "UTF-8, bzip2 | WGS84 | CC0 |"
    )
    a(
        f"| `alerts.csv` | SYNTHETIC fraud alerts (警情), {alerts['rows']:,} data rows incl. 12 "
        f"messy ({sizes['alerts']:,} bytes) | CSV, **GBK**, CRLF line ends | **GCJ-02** (not "
        "WGS84!) | CC0 |"
    )
    a(
        "| `xinhui_demo.toml` | the demo scenario (hand-written) | TOML, UTF-8 | paths relative "
        "to this folder | CC0 |"
    )
    a("")
    a("## Precincts (`../boundaries/xinhui_precincts.geojson`)")
    a("")
    a("Voronoi cells of the 11 seats, computed in UTM 49N (EPSG:32649), reprojected to WGS84 and")
    a(
        "clipped to the real outline. Valid, non-overlapping, they cover the outline, each "
        "contains its"
    )
    a("seat; a cell that the outline cuts in two stays a MultiPolygon. Properties: `precinct_id`")
    a(
        "(= 9-digit township code, string), `name`, `short_name`, `pinyin`, `population` "
        "(SYNTHETIC),"
    )
    a("`illustrative` (true), `note`.")
    a("")
    a("| precinct_id | name | population (synthetic) |")
    a("|---|---|---|")
    for t in towns:
        a(f"| {t.code} | {t.name} | {t.population:,} |")
    a(f"| | **total** | **{sum(t.population for t in towns):,}** |")
    a("")
    a("## Venues (`xinhui_venues.osm.bz2`)")
    a("")
    a(
        "Points drawn around each township seat (Gaussian, sigma 2 km in 会城 and 1.0–1.3 km in "
        "the towns,"
    )
    a(
        "truncated to the street grid + 300 m and to the outline), 会城 weighted ~4x a town. Bus "
        "stops"
    )
    a("stand ~10 m from a node of a secondary/tertiary street. Every element has `name` (Chinese),")
    a("`note=synthetic` and `source=geo_outreach synthetic sample`. 5 plazas (`place=square` +")
    a(
        "`highway=pedestrian` + `area=yes`) and 5 parks are closed ways (polygons), so loaders "
        "take their"
    )
    a("centroid. Node ids 100001+, way ids 200001+ (way vertices 190001+).")
    a("")
    a("| kind (geo_outreach) | count | OSM tags |")
    a("|---|---|---|")
    for kind, (_, specs) in VENUE_SPECS.items():
        tags = ", ".join(f"`{k}={v}` {by_tag.get(f'{k}={v}', 0)}" for k, v, _, _ in specs)
        a(f"| {kind} | {by_kind.get(kind, 0)} | {tags} |")
    a("")
    a("## Streets (`xinhui_streets.osm.bz2`)")
    a("")
    a(
        "Per township a jittered, slightly rotated grid (160–230 m blocks; 170 m in 会城) within 4 "
        "km of"
    )
    a(
        "the 会城 seat and 1.9–2.5 km of the town seats, clipped to the outline (5 % of segments "
        "dropped,"
    )
    a(
        "6 % of blocks crossed by a diagonal `footway`), plus `secondary` roads joining the "
        "towns (the"
    )
    a(
        "minimum spanning tree of the seats + 3 short extra links). Ways by `highway`: "
        + ", ".join(f"{k} {v}" for k, v in sorted(hw.items()))
        + "."
    )
    a("Node ids 1000001+, way ids 3000001+. Reads offline with `osmnx.graph_from_xml(path)`.")
    a("")
    a("## Alerts (`alerts.csv`)")
    a("")
    a("Headers (exactly): `" + ",".join(HEADERS) + "`.")
    a("")
    a(
        "- `警情编号`: `JQ` + report date `YYYYMMDD` + 5-digit daily sequence, e.g. "
        "`JQ2024110100012`."
    )
    a(
        "- `报警时间`: local time Asia/Shanghai, `YYYY-MM-DD HH:MM:SS` (seconds always `00`), no "
        "zone suffix."
    )
    a("- `案件类别`: one of " + "、".join(CATEGORIES) + ".")
    a(
        "- `受害人年龄段`: "
        + ", ".join(AGE_BANDS)
        + " (depends on the category: 养老/保健品诈骗 and 冒充公检法 skew 60+, "
        "刷单返利 and 网络游戏虚假交易 skew young)."
    )
    a("- `涉案金额(元)`: whole yuan, 0 for an attempt stopped in time (~10 %).")
    a(
        "- `经度`, `纬度`: **GCJ-02**, 6 decimals (generated in WGS84, shifted with "
        "`geo_outreach.crs.wgs84_to_gcj02`; the shift here is ~630 m)."
    )
    a("")
    a(
        f"Period {START} to {END}, {alerts['rows']:,} data rows ({alerts['first_year']:,} in the "
        "first year,"
    )
    a(
        f"{alerts['second_year']:,} in the second: year on year "
        f"{100 * (alerts['second_year'] / alerts['first_year'] - 1):+.1f} %)."
    )
    a("Rows are in time order. Structure put in on purpose, for the analytics to find:")
    a("")
    a(
        "- season: +22 % around mid-December, -22 % in June; x1.45 in the 14 days before Spring "
        "Festival,"
    )
    a("  x1.3 in the week before National Day; 冒充电商物流客服 x2 during 1–11 Nov and 1–18 Jun;")
    a("- trend: flat in the first year, then falling to -30 % by the end (year on year negative);")
    a(
        "- time of day: evening peak 19–22 h, secondary noon peak, ~5 % at night (0–7 h); "
        "冒充公检法/冒充领导熟人/虚假征信 mostly office hours;"
    )
    a(
        "  weekends x1.3–1.45 for 刷单返利, 网络游戏虚假交易, 网络婚恋交友 "
        "and x0.6 for 冒充公检法, 冒充领导熟人;"
    )
    a(
        f"- space: {HOTSPOT_SHARE:.0%} of alerts in Gaussian clusters (sigma 150–400 m) around 15 "
        "hub venues,"
    )
    a("  the rest spread around the seats in proportion to the synthetic population. Courier hubs")
    a("  attract 冒充电商物流客服/刷单返利, market hubs 养老/保健品诈骗/冒充公检法.")
    pl = alerts["planted"]
    a(
        f"- planted outreach effect (issue 13): {100 * pl['effect']:+.0f} % alerts within "
        f"{pl['radius_m']:.0f} m (straight line) of the {pl['sites']} square-dance sites of the"
    )
    a(
        "  sample campaign log (`campaign_log.csv`, `scripts/make_campaign_log.py`), from each "
        "site's first event on,"
    )
    a(
        f"  staggered across five precincts: of {pl['exposed']:,} alerts drawn there, "
        f"{pl['dropped']:,} were removed (own random stream). Sites (first event): "
        + ", ".join(f"`{k}` {v}" for k, v in pl["first"].items())
        + "."
    )
    a("")
    a("| hub | kind | venue | precinct | sigma (m) | active |")
    a("|---|---|---|---|---|---|")
    names = {t.code: t.short for t in towns}
    for k, hb in enumerate(alerts["hubs"], 1):
        act = "whole period" if (hb.start, hb.end) == (START, END) else f"{hb.start} to {hb.end}"
        a(
            f"| {k} | {hb.venue.kind} | {hb.venue.name} (`{hb.venue.osm_type}/{hb.venue.osm_id}`) "
            f"| {names[hb.venue.town]} | {hb.sigma_m:.0f} | {act} |"
        )
    a("")
    a(
        "Alerts per category: "
        + ", ".join(f"{k} {v}" for k, v in alerts["categories"].items())
        + "."
    )
    a("")
    a("### The 12 deliberately messy rows")
    a("")
    a("Row = data row number (1 = first row after the header). A loader should reject the first 8")
    a("kinds of row below with a reason, keep one copy of each duplicated id (or reject the copy),")
    a("and **keep** the 2 rows just outside the outline, with precinct `outside`.")
    a("")
    a("| # | problem | 警情编号 | row | detail |")
    a("|---|---|---|---|---|")
    for k, (kind, aid, row, what) in enumerate(alerts["messy"], 1):
        a(f"| {k} | {kind} | {aid} | {row} | {what} |")
    a("")
    a(
        f"Expected result of a careful load: {alerts['rows'] - 10:,} alerts kept "
        f"({alerts['rows'] - 12:,} in a precinct"
    )
    a("+ 2 `outside`), 10 rows rejected (8 bad rows + the 2 duplicate copies).")
    a(
        "The CSV cannot carry a SYNTHETIC comment line (loaders read it as data); the label "
        "lives here and"
    )
    a("in the scenario (`[alerts] synthetic = true`).")
    a("")
    return "\n".join(L)


# --------------------------------------------------------------------------- playbook (issue 12)
# Police grid, community grid, residents, firms and schools for the playbook channels. They
# draw from their own generator (PLAYBOOK_SEED), after the files above are built, so the
# files above keep their bytes.

PLAYBOOK_SEED = SEED + 12
POLICE_GRID_REL = Path("data/sample/police_grid.geojson")
COMMUNITY_GRID_REL = Path("data/sample/community_grid.geojson")
RESIDENTS_REL = Path("data/sample/residents.csv")
FIRMS_REL = Path("data/sample/firms.csv")
SCHOOLS_REL = Path("data/sample/schools.csv")
PLAYBOOK_NOTE = "SYNTHETIC grid cells (合成网格，非官方警格/网格), made by scripts/make_sample.py"
POLICE_CELL_M = 1200.0  # a police grid cell (警格) = 2 x 2 community grid cells (网格)
#: radius around each seat that the grids cover (the built-up area)
GRID_RADIUS_M = {HUICHENG: 3600.0}
GRID_RADIUS_OTHER_M = 1800.0
N_FIRMS = 71
FIRM_WORDS = ("五金", "电子", "纺织", "食品", "家具", "包装", "塑料", "机械", "建材", "贸易")


def _utm_geom(feature: dict) -> shapely.Geometry:
    g = shapely.from_geojson(json.dumps(feature["geometry"]))
    return shapely.transform(g, lambda c: np.column_stack(_TO_UTM.transform(c[:, 0], c[:, 1])))


def _wgs_geojson(g: shapely.Geometry) -> dict:
    w = shapely.transform(g, lambda c: np.column_stack(_TO_WGS.transform(c[:, 0], c[:, 1])))
    return json.loads(shapely.to_geojson(shapely.set_precision(w, 1e-7)))


def make_grids(towns: list[Town], features: list[dict]) -> tuple[list[dict], list[dict]]:
    """Police cells (1.2 km squares) and community cells (0.6 km) around each seat, clipped to
    its precinct; community cells nest in police cells (id ``<police id>-W<k>``)."""
    police, community = [], []
    for t, f in zip(towns, features, strict=True):
        precinct = _utm_geom(f)
        r = GRID_RADIUS_M.get(t.code, GRID_RADIUS_OTHER_M)
        n = int(np.ceil(r / POLICE_CELL_M))
        k = 0
        for j in range(-n, n):
            for i in range(-n, n):
                x0, y0 = t.x + i * POLICE_CELL_M, t.y + j * POLICE_CELL_M
                c = (x0 + POLICE_CELL_M / 2, y0 + POLICE_CELL_M / 2)
                if np.hypot(c[0] - t.x, c[1] - t.y) > r:
                    continue
                cell = shapely.intersection(
                    shapely.box(x0, y0, x0 + POLICE_CELL_M, y0 + POLICE_CELL_M), precinct
                )
                if cell.area < 0.2 * POLICE_CELL_M**2:
                    continue
                k += 1
                pid = f"{t.code[-3:]}-J{k:02d}"
                props = {"grid_id": pid, "precinct_id": t.code, "name": f"{t.short}警格{k}",
                         "synthetic": True, "note": PLAYBOOK_NOTE}  # fmt: skip
                police.append({"type": "Feature", "properties": props,
                               "geometry": _wgs_geojson(cell)})  # fmt: skip
                half = POLICE_CELL_M / 2
                for m, (dx, dy) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1)), 1):
                    sub = shapely.intersection(
                        shapely.box(x0 + dx * half, y0 + dy * half, x0 + (dx + 1) * half,
                                    y0 + (dy + 1) * half), precinct)  # fmt: skip
                    if sub.area < 0.05 * half**2:
                        continue
                    cprops = {
                        "grid_id": f"{pid}-W{m}", "police_grid_id": pid, "precinct_id": t.code,
                        "synthetic": True, "note": PLAYBOOK_NOTE,
                    }  # fmt: skip
                    community.append({"type": "Feature", "properties": cprops,
                                      "geometry": _wgs_geojson(sub)})  # fmt: skip
    return police, community


def grid_geojson(name: str, features: list[dict]) -> bytes:
    """A FeatureCollection, one feature per line (stable bytes)."""
    head = {"type": "FeatureCollection", "name": name, "note": PLAYBOOK_NOTE}
    lines = ["{"] + [f'"{k}": {json.dumps(v, ensure_ascii=False)},' for k, v in head.items()]
    lines.append('"features": [')
    lines.append(",\n".join(json.dumps(f, ensure_ascii=False) for f in features))
    lines += ["]", "}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def make_residents(rng: np.random.Generator, towns: list[Town], community: list[dict]) -> bytes:
    """Elderly (60+) and living-alone residents per community cell: more near the seat."""
    seat = {t.code: t for t in towns}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["cell_id", "elderly", "living_alone"])
    for f in community:
        t = seat[f["properties"]["precinct_id"]]
        c = shapely.centroid(_utm_geom(f))
        d = float(np.hypot(c.x - t.x, c.y - t.y))
        dense = 1.0 if t.code == HUICHENG else 0.45
        lam = 380.0 * dense * np.exp(-d / 2200.0) + 15.0
        eld = int(rng.poisson(lam))
        alone = int(rng.binomial(eld, rng.uniform(0.08, 0.35)))
        w.writerow([f["properties"]["grid_id"], eld, alone])
    return ("# SYNTHETIC residents per community grid cell (合成数据), cell_id = "
            "community_grid.geojson grid_id\n" + out.getvalue()).encode("utf-8")  # fmt: skip


def make_firms(rng: np.random.Generator, towns: list[Town], outline_utm) -> bytes:
    """71 firms at a trade fair, spread over the 11 precincts (~a third in Huicheng)."""
    weights = np.array([t.venue_w for t in towns])
    counts = rng.multinomial(N_FIRMS - len(towns), weights / weights.sum()) + 1
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["firm_id", "name", "employees", "lon", "lat"])
    k = 0
    for t, n in zip(towns, counts, strict=True):
        for _ in range(int(n)):
            ((x, y),) = _sample_near(rng, t, t.sigma_m, t.grid_r_m, outline_utm)
            lon, lat = to_wgs(np.array([x]), np.array([y]))
            k += 1
            name = f"新会{t.short}{FIRM_WORDS[rng.integers(len(FIRM_WORDS))]}有限公司{k:02d}"
            emp = int(np.clip(rng.lognormal(np.log(80), 0.9), 8, 2000))
            w.writerow([f"QY{k:03d}", name, emp, f"{lon[0]:.6f}", f"{lat[0]:.6f}"])
    return ("# SYNTHETIC firms (合成企业名单), WGS84\n" + out.getvalue()).encode("utf-8")


def make_schools(rng: np.random.Generator, venues: list[Venue]) -> bytes:
    """The sample's school venues with a synthetic student count."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["school_id", "name", "students", "lon", "lat"])
    for v in (v for v in venues if v.kind == "school"):
        lon, lat = to_wgs(np.array([v.x]), np.array([v.y]))
        students = int(rng.integers(300, 2500))
        w.writerow([f"XX{v.osm_id}", v.name, students, f"{lon[0]:.6f}", f"{lat[0]:.6f}"])
    return ("# SYNTHETIC schools (合成学校名单), WGS84\n" + out.getvalue()).encode("utf-8")


def playbook_files(
    towns: list[Town], features: list[dict], venues: list[Venue], outline_utm
) -> dict[Path, bytes]:
    """Every playbook sample file (issue 12), from its own random stream."""
    rng = np.random.default_rng(PLAYBOOK_SEED)
    police, community = make_grids(towns, features)
    return {
        POLICE_GRID_REL: grid_geojson("police_grid", police),
        COMMUNITY_GRID_REL: grid_geojson("community_grid", community),
        RESIDENTS_REL: make_residents(rng, towns, community),
        FIRMS_REL: make_firms(rng, towns, outline_utm),
        SCHOOLS_REL: make_schools(rng, venues),
    }


def playbook_readme(files: dict[Path, bytes]) -> str:
    """The README section on the playbook files."""

    def rows(rel: Path) -> int:
        return files[rel].decode("utf-8").count("\n") - 2

    def feats(rel: Path) -> int:
        return files[rel].decode("utf-8").count('"type": "Feature"')

    L = ["", "## Playbook files (issue 12) — SYNTHETIC", ""]
    L.append("| file | what | format / encoding | CRS / datum | licence |")
    L.append("|---|---|---|---|---|")
    L.append(f"| `police_grid.geojson` | SYNTHETIC police grid (警格), {feats(POLICE_GRID_REL)} "
             "cells of 1.2 km around each seat clipped to its precinct | GeoJSON, UTF-8 | WGS84 "
             "| CC0 |")  # fmt: skip
    L.append(f"| `community_grid.geojson` | SYNTHETIC community grid (网格), "
             f"{feats(COMMUNITY_GRID_REL)} cells of 0.6 km nested in the police cells | GeoJSON, "
             "UTF-8 | WGS84 | CC0 |")  # fmt: skip
    L.append(f"| `residents.csv` | SYNTHETIC elderly (60+) and living-alone counts per community "
             f"cell, {rows(RESIDENTS_REL)} rows | CSV, UTF-8, first line a `#` comment | - "
             "| CC0 |")  # fmt: skip
    L.append(f"| `firms.csv` | SYNTHETIC trade-fair firms, {rows(FIRMS_REL)} rows (id, name, "
             "employees) | CSV, UTF-8, first line a `#` comment | WGS84 | CC0 |")  # fmt: skip
    L.append(f"| `schools.csv` | the sample's school venues with SYNTHETIC student counts, "
             f"{rows(SCHOOLS_REL)} rows | CSV, UTF-8, first line a `#` comment | WGS84 "
             "| CC0 |")  # fmt: skip
    L.append("")
    L.append(f"Drawn from their own stream (`numpy.random.default_rng({PLAYBOOK_SEED})`) after "
             "the files above, so adding them changed none of the files above.")  # fmt: skip
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------- main


def build(out_dir: Path) -> dict:
    """Write every generated file under ``out_dir``; return counts."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    outline_wgs, outline_utm = load_outline()
    shapely.prepare(outline_utm)
    towns = load_towns(rng)
    precincts = precincts_geojson(make_precincts(towns, outline_wgs, outline_utm))
    streets = make_streets(rng, towns, outline_utm)
    streets_bytes = streets_osm(streets)
    venues = make_venues(rng, towns, outline_utm, streets)
    venues_bytes, venues = venues_osm(rng, venues, outline_utm)
    features = json.loads(precincts)["features"]
    alerts_bytes, alerts = make_alerts(rng, towns, venues, outline_utm, outline_wgs, features)
    files = {
        PRECINCTS_REL: precincts,
        VENUES_REL: venues_bytes,
        STREETS_REL: streets_bytes,
        ALERTS_REL: alerts_bytes,
    }
    sizes = {
        "precincts": len(precincts),
        "venues": len(venues_bytes),
        "streets": len(streets_bytes),
        "alerts": len(alerts_bytes),
    }
    # issue 12: playbook files (own random stream), listed at the end of the README
    playbook = playbook_files(towns, json.loads(precincts)["features"], venues, outline_utm)
    files.update(playbook)
    files[README_REL] = (
        readme(towns, venues, streets, alerts, sizes) + playbook_readme(playbook)
    ).encode("utf-8")
    for rel, data in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {
        "seconds": time.perf_counter() - t0,
        "venues": len(venues),
        "street_nodes": len(streets.xy),
        "street_ways": len(streets.ways),
        "alerts_rows": alerts["rows"],
        "population": sum(t.population for t in towns),
        "sizes": sizes,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--out-dir",
        type=Path,
        default=REPO,
        help="root to write data/... under (default: the repo)",
    )
    args = p.parse_args(argv)
    info = build(args.out_dir)
    print(json.dumps(info, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
