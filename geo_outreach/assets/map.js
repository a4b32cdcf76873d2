/* geo_outreach plan map: draws the layers described by the JSON payload in
   <script id="geo-outreach-data" type="application/json">. Every string in the payload
   was HTML-escaped in Python (maps.py); this script only concatenates them. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("geo-outreach-data").textContent);
  var map = window[D.map];
  var G = {};
  Object.keys(D.groups).forEach(function (k) { G[k] = window[D.groups[k]]; });
  if (map.options.maxZoom === undefined) { map.setMaxZoom(19); }  // no tile layer sets it
  var canvas = L.canvas({ padding: 0.3 });
  var counts = {};
  function count(k, n) { counts[k] = (counts[k] || 0) + (n === undefined ? 1 : n); }

  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);

  // vector context: streets (one canvas polyline) and precinct outlines come first
  if (D.streets && D.streets.length && G.context) {
    L.polyline(D.streets, { renderer: canvas, color: "#8c8c8c", weight: 1, opacity: 0.7,
      interactive: false }).addTo(G.context);
    count("streets", D.streets.length);
  }

  function polys(key, items, style) {
    if (!items || !G[key]) { return; }
    items.forEach(function (f) {
      var s = Object.assign({}, style, f.s || {});
      if (f.c) { s.fillColor = f.c; }
      var layer = L.polygon(f.g, s);
      if (f.t) {
        layer.bindTooltip(f.t, { sticky: true, className: "go-tip" });
        layer.bindPopup(f.t, { maxWidth: 320 });
      }
      layer.addTo(G[key]);
      count(key);
    });
  }

  polys("precincts", D.precincts, { color: "#333", weight: 1.5, fillOpacity: 0.45,
    className: "go-precinct" });
  polys("hotspots", D.hotspots, { weight: 0.5, color: "#7f0000", fillOpacity: 0.55,
    className: "go-hotspot" });
  polys("clusters", D.clusters, { color: "#6a3d9a", weight: 2, dashArray: "4 3",
    fill: true, fillOpacity: 0.08, className: "go-cluster" });
  polys("uncovered", D.uncovered, { color: "#d7191c", weight: 2.5, dashArray: "6 4",
    fillColor: "#d7191c", fillOpacity: 0.15, className: "go-uncovered" });

  // alerts: individual points (small data) or grid totals (large data), on canvas
  if (D.alerts && G.alerts) {
    if (D.alerts.mode === "points") {
      D.alerts.pts.forEach(function (p) {
        L.circleMarker([p[0], p[1]], { renderer: canvas, radius: 3, weight: 0.5,
          color: "#67000d", fillColor: "#ef3b2c", fillOpacity: 0.8 })
          .bindPopup(p[2]).addTo(G.alerts);
      });
      count("alerts", D.alerts.pts.length);
    } else {
      var pal = D.alerts.palette;
      D.alerts.cells.forEach(function (c) {
        L.rectangle([[c[0], c[1]], [c[2], c[3]]], { renderer: canvas, weight: 0,
          fillColor: pal[c[5]], fillOpacity: 0.7 })
          .bindTooltip(D.alerts.label + ": " + c[4]).addTo(G.alerts);
      });
      count("alerts", D.alerts.cells.length);
    }
  }

  // venues: plain markers when few, Leaflet.markercluster when many
  if (D.venues && G.venues) {
    var V = D.venues;
    var target = G.venues;
    if (V.cluster && L.markerClusterGroup) {
      target = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false,
        maxClusterRadius: 50 });
      target.addTo(G.venues);
    }
    var icons = V.kinds.map(function (k) {
      return L.divIcon({ className: "go-venue-icon",
        html: '<span class="go-venue" style="background:' + k[1] + '"></span>',
        iconSize: [10, 10], iconAnchor: [5, 5] });
    });
    var ms = V.pts.map(function (p) {
      var k = V.kinds[p[2]];
      return L.marker([p[0], p[1]], { icon: icons[p[2]], keyboard: false })
        .bindPopup("<b>" + p[3] + "</b><br>" + k[0]);
    });
    if (target.addLayers) { target.addLayers(ms); } else { ms.forEach(function (m) { m.addTo(target); }); }
    count("venues", ms.length);
  }

  // placements per channel: reach first (below), then ranked markers
  (D.channels || []).forEach(function (ch) {
    var g = G[ch.group];
    if (!g) { return; }
    ch.reach.forEach(function (r) {
      var st = { color: ch.color, weight: 1, fillColor: ch.color, fillOpacity: 0.12,
        className: "go-reach", interactive: false };
      if (r.g) { L.polygon(r.g, Object.assign({}, st, { weight: 0.8, opacity: 0.6 })).addTo(g); } else { L.circle(r.ll, Object.assign({ radius: r.r }, st)).addTo(g); }
      count("reach");
    });
    ch.sites.forEach(function (s) {
      var cls = "go-rank" + (s.existing ? " go-existing" : "");
      var icon = L.divIcon({ className: "go-rank-icon",
        html: '<div class="' + cls + '" title="' + s.title + '" style="background:' + (s.existing ? "#fff" : ch.color) +
          ';border-color:' + ch.color + (s.existing ? ';color:' + ch.color : '') + '">' + s.label + "</div>",
        iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
      L.marker(s.ll, { icon: icon, riseOnHover: true })
        .bindPopup(s.t, { maxWidth: 340 }).addTo(g);
      count("placements");
    });
  });

  // patrol route and stops
  if (D.patrol && G.patrol) {
    D.patrol.lines.forEach(function (l) {
      L.polyline(l, { color: "#08306b", weight: 3.5, opacity: 0.85, dashArray: "8 5",
        className: "go-patrol-line" }).addTo(G.patrol);
      count("patrol_lines");
    });
    D.patrol.stops.forEach(function (s) {
      var icon = L.divIcon({ className: "go-rank-icon",
        html: '<div class="go-rank go-stop">' + s.label + "</div>",
        iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
      L.marker(s.ll, { icon: icon }).bindPopup(s.t, { maxWidth: 320 }).addTo(G.patrol);
      count("patrol_stops");
    });
  }

  // legend
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "go-legend");
    div.innerHTML = D.legend;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);

  // fit the study area into the part of the map the header and the controls leave free
  if (D.bounds) {
    var header = document.getElementById("go-header");
    var right = document.querySelector(".leaflet-control-layers");
    var top = header ? header.offsetHeight + 10 : 10;
    var side = right ? Math.min(right.offsetWidth + 20, map.getSize().x / 3) : 10;
    map.options.zoomSnap = 0.25;
    map.fitBounds(D.bounds, { paddingTopLeft: [50, top], paddingBottomRight: [side, 30] });
  }
  window.geoOutreach = { map: map, groups: G, counts: counts };
})();
