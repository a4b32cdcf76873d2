"""A loopback HTTP server that answers like Overpass and Nominatim, for ``osm fetch`` tests.

osmnx is pointed at it through its endpoint settings (``overpass_url``, ``nominatim_url``),
so the real osmnx HTTP code runs; nothing of osmnx is mocked.

Endpoints (base ``http://127.0.0.1:<port>``)
--------------------------------------------
``GET /search?q=…&format=json&polygon_geojson=1``
    Nominatim search JSON: one administrative boundary (a small square in Huicheng, Xinhui)
    for a query naming 新会区, ``[]`` otherwise.
``GET /status``
    Nominatim status ``OK``.
``GET /api/status``
    Overpass status text with free slots (osmnx reads line 5).
``POST /api/interpreter``
    Overpass JSON: venue features for a features query (it contains ``(._;>;)``), a 3x3
    street grid for a network query.

The data is invented (names included) and small enough to check by hand.
Safety: binds 127.0.0.1 only, answers at most ``max_requests`` requests (then 503),
and shuts itself down after ``lifetime_s`` even if a test forgets to.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

#: The study square (WGS84): west, south, east, north.
AREA = (113.030, 22.450, 113.050, 22.470)

#: Venue elements: (type, id, lon, lat, tags); ways list node refs instead of lon/lat.
VENUE_NODES = [
    (1001, 113.035, 22.455, {"amenity": "cafe", "name": "街角咖啡"}),
    (1002, 113.040, 22.460, {"amenity": "post_office", "name": "会城邮政支局"}),
    (1003, 113.045, 22.465, {"office": "courier", "name": "顺丰速运营业点"}),
    (1004, 113.038, 22.462, {"place": "square", "name": "冈州广场"}),
    # two matching tags: parcel_locker comes before bus_stop in OSM_TAG_KINDS
    (1005, 113.042, 22.452, {"amenity": "parcel_locker", "highway": "bus_stop", "name:zh": "驿站"}),
]
#: A park drawn as a closed way (a 200 m square) made of untagged nodes 1101-1104.
PARK_NODES = [
    (1101, 113.031, 22.466),
    (1102, 113.033, 22.466),
    (1103, 113.033, 22.468),
    (1104, 113.031, 22.468),
]
PARK_WAY = (2001, [1101, 1102, 1103, 1104, 1101], {"leisure": "park", "name": "紫水公园"})

#: Expected venue ids and kinds after mapping.
EXPECTED_KINDS = {
    "osm:node/1001": "cafe",
    "osm:node/1002": "post_office",
    "osm:node/1003": "logistics",
    "osm:node/1004": "plaza",
    "osm:node/1005": "logistics",
    "osm:way/2001": "park",
}

#: Street grid: nodes 5001..5009 (3x3), 3 east-west and 3 north-south ways.
GRID_LONS = (113.034, 113.040, 113.046)
GRID_LATS = (22.454, 22.460, 22.466)


def _grid_elements() -> list[dict[str, Any]]:
    nodes, ways = [], []
    ids = {}
    for j, lat in enumerate(GRID_LATS):
        for i, lon in enumerate(GRID_LONS):
            nid = 5001 + 3 * j + i
            ids[i, j] = nid
            nodes.append({"type": "node", "id": nid, "lat": lat, "lon": lon})
    for j in range(3):
        tags = {"highway": "residential", "name": f"东西街{j + 1}"}
        if j == 0:
            tags["oneway"] = "yes"  # one-way for cars; walkers use both directions
        ways.append(
            {"type": "way", "id": 6001 + j, "nodes": [ids[i, j] for i in range(3)], "tags": tags}
        )
    for i in range(3):
        ways.append(
            {
                "type": "way",
                "id": 6004 + i,
                "nodes": [ids[i, j] for j in range(3)],
                "tags": {"highway": "footway" if i == 1 else "residential"},
            }
        )
    return ways + nodes


def _feature_elements() -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = [
        {"type": "node", "id": nid, "lat": lat, "lon": lon, "tags": tags}
        for nid, lon, lat, tags in VENUE_NODES
    ]
    elements += [
        {"type": "node", "id": nid, "lat": lat, "lon": lon} for nid, lon, lat in PARK_NODES
    ]
    wid, refs, tags = PARK_WAY
    elements.append({"type": "way", "id": wid, "nodes": refs, "tags": tags})
    return elements


def overpass_json(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 0.6,
        "generator": "Overpass API stub (geo_outreach tests)",
        "osm3s": {
            "timestamp_osm_base": "2026-01-01T00:00:00Z",
            "copyright": "The data included in this document is from www.openstreetmap.org. "
            "The data is made available under ODbL.",
        },
        "elements": elements,
    }


def nominatim_result() -> dict[str, Any]:
    w, s, e, n = AREA
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return {
        "place_id": 123456,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "relation",
        "osm_id": 9999001,
        "lat": str((s + n) / 2),
        "lon": str((w + e) / 2),
        "class": "boundary",
        "type": "administrative",
        "place_rank": 16,
        "importance": 0.45,
        "addresstype": "district",
        "name": "新会区",
        "display_name": "新会区, 江门市, 广东省, 中国",
        "boundingbox": [str(s), str(n), str(w), str(e)],  # south, north, west, east
        "geojson": {"type": "Polygon", "coordinates": [ring]},
    }


OVERPASS_STATUS = (
    "Connected as: 2130706433\n"
    "Current time: 2026-01-01T00:00:00Z\n"
    "Announced endpoint: none\n"
    "Rate limit: 2\n"
    "2 slots available now.\n"
    "Currently running queries (pid, space limit, time limit, start time):\n"
)


class StubServer:
    """Overpass + Nominatim look-alike on 127.0.0.1; use as a context manager.

    ``mode="ok"`` answers normally; ``mode="overpass_502"`` answers the interpreter with an
    HTML 502 page, as a failing proxy or overloaded server does. ``requests`` records
    ``(method, path, body)`` of every request.
    """

    def __init__(self, *, mode: str = "ok", max_requests: int = 20, lifetime_s: float = 30.0):
        self.mode = mode
        self.max_requests = max_requests
        self.lifetime_s = lifetime_s
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # seconds a client may take to send its request

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def do_GET(self) -> None:
                stub._handle(self, "GET", "")

            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
                body = self.rfile.read(length).decode("utf-8", "replace")
                stub._handle(self, "POST", body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.overpass_url = f"{self.base_url}/api"
        self.nominatim_url = f"{self.base_url}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True
        self._stopped = False

    def __enter__(self) -> Self:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    # -- answers --------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str, body: str) -> None:
        with self._lock:
            self.requests.append((method, h.path, body))
            over = len(self.requests) > self.max_requests
        if over:
            return self._send(h, 503, "text/plain", "stub: request budget used up")
        url = urlsplit(h.path)
        if method == "GET" and url.path == "/api/status":
            return self._send(h, 200, "text/plain", OVERPASS_STATUS)
        if method == "GET" and url.path == "/status":
            return self._send(h, 200, "text/plain", "OK")
        if method == "GET" and url.path == "/search":
            q = parse_qs(url.query).get("q", [""])[0]
            results = [nominatim_result()] if "新会" in q else []
            return self._send(h, 200, "application/json", json.dumps(results, ensure_ascii=False))
        if method == "POST" and url.path == "/api/interpreter":
            if self.mode == "overpass_502":
                page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
                return self._send(h, 502, "text/html", page)
            query = parse_qs(body).get("data", [""])[0]
            elements = _feature_elements() if "(._;>;)" in query else _grid_elements()
            return self._send(h, 200, "application/json", json.dumps(overpass_json(elements)))
        return self._send(h, 404, "text/plain", "not found")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, ctype: str, text: str) -> None:
        data = text.encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", f"{ctype}; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
