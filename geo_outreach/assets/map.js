/* geo_outreach plan map: draws the layers described by the JSON payload in
   <script id="geo-outreach-data" type="application/json">. Every string in the payload
   was HTML-escaped in Python (render/layers.py, render/popups.py); this script only
   concatenates them. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("geo-outreach-data").textContent);
  var U = D.ui || {};
  var map = window[D.map];
  var G = {};
  Object.keys(D.groups).forEach(function (k) { G[k] = window[D.groups[k]]; });
  if (map.options.maxZoom === undefined) { map.setMaxZoom(19); }  // no tile layer sets it
  var canvas = L.canvas({ padding: 0.3 });
  var counts = {};
  function count(k, n) { counts[k] = (counts[k] || 0) + (n === undefined ? 1 : n); }
  var header = document.getElementById("go-header");
  function headerBottom() { return header ? header.getBoundingClientRect().bottom : 0; }
  // popups pan clear of the title card and the banner
  function pop(w) {
    return { maxWidth: w || 320, autoPanPaddingTopLeft: L.point(12, headerBottom() + 12),
      autoPanPaddingBottomRight: L.point(12, 24) };
  }

  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);

  // context (always on): streets, precinct outlines and precinct names
  if (D.streets && D.streets.length && G.context) {
    L.polyline(D.streets, { renderer: canvas, color: "#9a9a9a", weight: 1, opacity: 0.7,
      interactive: false }).addTo(G.context);
    count("streets", D.streets.length);
  }
  (D.precincts || []).forEach(function (f) {
    if (!G.context) { return; }
    L.polygon(f.g, { color: "#333", weight: 1.5, fill: false, interactive: false,
      className: "go-poutline" }).addTo(G.context);
    if (f.n && f.ll) {
      L.marker(f.ll, { interactive: false, keyboard: false, zIndexOffset: -1000,
        icon: L.divIcon({ className: "go-plabel-icon", html: '<span class="go-plabel">' + f.n +
          "</span>", iconSize: [140, 20], iconAnchor: [70, 10] }) }).addTo(G.context);
      count("precinct_labels");
    }
  });

  function polys(key, items, style) {
    if (!items || !G[key]) { return; }
    items.forEach(function (f) {
      var s = Object.assign({}, style, f.s || {});
      if (f.c) { s.fillColor = f.c; }
      var layer = L.polygon(f.g, s);
      if (f.t) {
        layer.bindTooltip(f.t, { sticky: true, className: "go-tip" });
        layer.bindPopup(f.t, pop());
      }
      layer.addTo(G[key]);
      count(key);
    });
  }

  polys("precincts", D.precincts, { color: "#333", weight: 1, fillOpacity: 0.45,
    className: "go-precinct" });
  // hot spots, clusters, uncovered hot spots: outlines, never fills (the map below stays legible)
  polys("hotspots", D.hotspots, { weight: 1.5, color: "#b2182b", fill: true, fillOpacity: 0,
    className: "go-hotspot" });
  polys("clusters", D.clusters, { color: "#6a3d9a", weight: 2, dashArray: "4 3",
    fill: true, fillOpacity: 0, className: "go-cluster" });
  polys("uncovered", D.uncovered, { color: "#d7191c", weight: 2.5, dashArray: "6 4",
    fill: true, fillOpacity: 0, className: "go-uncovered" });

  // alerts: individual points (small data) or grid totals (large data), on canvas
  if (D.alerts && G.alerts) {
    if (D.alerts.mode === "points") {
      D.alerts.pts.forEach(function (p) {
        L.circleMarker([p[0], p[1]], { renderer: canvas, radius: 3, weight: 0.5,
          color: "#67000d", fillColor: "#ef3b2c", fillOpacity: 0.8 })
          .bindPopup(p[2], pop()).addTo(G.alerts);
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

  // venues: small pale dots with a grey outline (never numbered); clustered when many
  if (D.venues && G.venues) {
    var V = D.venues;
    var target = G.venues;
    if (V.cluster && L.markerClusterGroup) {
      target = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false,
        maxClusterRadius: 50, iconCreateFunction: function (c) {
          return L.divIcon({ className: "go-vcluster-icon", iconSize: [26, 26],
            html: '<span class="go-vcluster">' + c.getChildCount() + "</span>" });
        } });
      target.addTo(G.venues);
    }
    var icons = V.kinds.map(function (k) {
      return L.divIcon({ className: "go-venue-icon",
        html: '<span class="go-venue" style="background:' + k[1] + '"></span>',
        iconSize: [8, 8], iconAnchor: [4, 4] });
    });
    var ms = V.pts.map(function (p) {
      var k = V.kinds[p[2]];
      return L.marker([p[0], p[1]], { icon: icons[p[2]], keyboard: false, zIndexOffset: -500 })
        .bindPopup("<b>" + p[3] + "</b><br>" + k[0], pop());
    });
    if (target.addLayers) { target.addLayers(ms); } else { ms.forEach(function (m) { m.addTo(target); }); }
    count("venues", ms.length);
  }

  // placements (numbered filled markers in the channel's colour) and patrol stops (navy
  // squares): every one is in SITES so that they can be spread apart and cut by the sliders
  var SITES = [];
  function site(s, g, color, cls, ci) {
    var icon = L.divIcon({ className: "go-rank-icon",
      html: '<div class="go-rank ' + cls + '" title="' + s.title + '" style="background:' +
        (s.existing ? "#fff" : color) + ";border-color:" + (s.existing ? color : "#fff") +
        (s.existing ? ";color:" + color : "") + '">' + s.label + "</div>",
      iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -10] });
    var m = L.marker(s.ll, { icon: icon, riseOnHover: true }).bindPopup(s.t, pop(340));
    var line = L.polyline([s.ll, s.ll], { color: "#333", weight: 1, opacity: 0.8,
      interactive: false, className: "go-leader" });
    var dot = L.circleMarker(s.ll, { radius: 2, weight: 0, fillColor: "#333", fillOpacity: 0.9,
      interactive: false });
    var it = { m: m, line: line, dot: dot, ll: L.latLng(s.ll), g: g, k: s.k || 0, ci: ci,
      on: true, spread: false };
    line.addTo(g); m.addTo(g);
    SITES.push(it);
    return it;
  }
  var REACH = [];
  (D.channels || []).forEach(function (ch, ci) {
    var g = G[ch.group];
    if (!g) { return; }
    ch.reach.forEach(function (r) {
      var st = { color: ch.color, weight: 1, fillColor: ch.color, fillOpacity: 0.04,
        className: "go-reach", interactive: false };
      var l = r.g ? L.polygon(r.g, Object.assign({}, st, { weight: 0.8, opacity: 0.6 }))
        : L.circle(r.ll, Object.assign({ radius: r.r }, st));
      l.addTo(g);
      REACH.push({ l: l, g: g, k: r.k || 0, ci: ci });
      count("reach");
    });
    ch.sites.forEach(function (s) {
      site(s, g, ch.color, s.existing ? "go-existing" : "", ci);
      count("placements");
    });
  });

  // patrol route and stops
  if (D.patrol && G.patrol) {
    D.patrol.lines.forEach(function (l) {
      L.polyline(l, { color: D.patrol.color, weight: 3.5, opacity: 0.85, dashArray: "8 5",
        className: "go-patrol-line" }).addTo(G.patrol);
      count("patrol_lines");
    });
    D.patrol.stops.forEach(function (s) {
      site(s, G.patrol, D.patrol.color, "go-stop", -1);
      count("patrol_stops");
    });
  }

  // spread overlapping markers apart on screen (a short leader points to the true spot)
  var BOX = 26;  // marker box (24 px) plus a 2 px gap
  function declutter() {
    var items = SITES.filter(function (s) { return s.on && map.hasLayer(s.g); });
    var P = items.map(function (s) { return map.latLngToLayerPoint(s.ll); });
    var Q = P.map(function (p) { return [p.x, p.y]; });
    var n = Q.length;
    // markers that are below the title card are not pushed up under it
    var top = map.containerPointToLayerPoint([0, headerBottom() + BOX / 2 + 2]).y;
    var wall = P.map(function (p) { return p.y >= top; });
    for (var it = 0; it < 400; it++) {
      var moved = false;
      for (var w = 0; w < n; w++) { if (wall[w] && Q[w][1] < top) { Q[w][1] = top; } }
      for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var dx = Q[j][0] - Q[i][0], dy = Q[j][1] - Q[i][1];
          var ox = BOX - Math.abs(dx), oy = BOX - Math.abs(dy);
          if (ox <= 0 || oy <= 0) { continue; }
          moved = true;
          if (dx === 0 && dy === 0) { dx = (i % 2 ? 1 : -1) * 0.5; dy = ((j % 3) - 1) * 0.5; }
          if (ox < oy) {
            var sx = (dx >= 0 ? 1 : -1) * (ox / 2 + 0.25);
            Q[i][0] -= sx; Q[j][0] += sx;
          } else {
            var sy = (dy >= 0 ? 1 : -1) * (oy / 2 + 0.25);
            Q[i][1] -= sy; Q[j][1] += sy;
          }
        }
      }
      if (!moved) { break; }
    }
    counts.iterations = it;
    items.forEach(function (s, i) {
      var q = L.point(Q[i][0], Q[i][1]);
      var far = q.distanceTo(P[i]) > 3;  // a leader and a dot only for a real move
      var ll = q.distanceTo(P[i]) > 0.01 ? map.layerPointToLatLng(q) : s.ll;
      s.m.setLatLng(ll);
      s.line.setLatLngs([s.ll, ll]);
      if (far && !s.spread) { s.dot.addTo(s.g); } else if (!far && s.spread) { s.g.removeLayer(s.dot); }
      s.spread = far;
    });
    counts.spread = items.filter(function (s) { return s.spread; }).length;
  }

  // what-if budgets: a slider per channel shows its top-k sites and the covered share
  function setK(ci, k) {
    SITES.forEach(function (s) {
      if (s.ci !== ci) { return; }
      var on = s.k <= k;
      if (on !== s.on) {
        if (on) { s.line.addTo(s.g); s.m.addTo(s.g); if (s.spread) { s.dot.addTo(s.g); } } else { s.g.removeLayer(s.m); s.g.removeLayer(s.line); s.g.removeLayer(s.dot); }
        s.on = on;
      }
    });
    REACH.forEach(function (r) {
      if (r.ci !== ci) { return; }
      if (r.k <= k) { r.l.addTo(r.g); } else { r.g.removeLayer(r.l); }
    });
    declutter();
  }
  function pct(x) { return (Math.round(x * 1000) / 10).toFixed(1) + "%"; }
  var chs = (D.channels || []).filter(function (ch) { return ch.curve && ch.curve.length > 1; });
  if (chs.length) {
    var wi = L.control({ position: "bottomleft" });
    wi.onAdd = function () {
      var div = L.DomUtil.create("div", "go-panel go-whatif");
      var h = ['<div class="go-panel-head"><b>' + U.whatif_title + "</b></div><div class=\"go-panel-body\">"];
      (D.channels || []).forEach(function (ch, ci) {
        if (!ch.curve || ch.curve.length < 2) { return; }
        var n = ch.curve.length - 1;
        h.push('<div class="go-wi-row"><span class="go-key" style="background:' + ch.color +
          '"></span><span class="go-wi-name">' + ch.label + "</span>" +
          '<input type="range" min="0" max="' + n + '" step="1" value="' + n +
          '" data-ci="' + ci + '" data-name="' + ch.name + '" class="go-wi-range">' +
          '<span class="go-wi-val" data-ci="' + ci + '">' + n + " " + U.whatif_sites + " · " +
          U.whatif_covered + " " + pct(ch.curve[n]) + "</span></div>");
      });
      h.push("</div>");
      div.innerHTML = h.join("");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.querySelectorAll("input.go-wi-range").forEach(function (inp) {
        inp.addEventListener("input", function () {
          var ci = +inp.getAttribute("data-ci"), k = +inp.value, ch = D.channels[ci];
          div.querySelector('.go-wi-val[data-ci="' + ci + '"]').textContent =
            k + " " + U.whatif_sites + " · " + U.whatif_covered + " " + pct(ch.curve[k]);
          setK(ci, k);
        });
      });
      return div;
    };
    wi.addTo(map);
  }

  // collapsible panels: the legend (channel key first) and the layer list
  function collapsible(el, title, startCollapsed) {
    var head = L.DomUtil.create("div", "go-panel-head");
    var btn = L.DomUtil.create("button", "go-toggle", head);
    btn.type = "button";
    head.insertAdjacentHTML("afterbegin", "<b>" + title + "</b>");
    el.insertBefore(head, el.firstChild);
    function set(c) {
      el.classList.toggle("go-collapsed", c);
      btn.textContent = c ? U.map_expand : U.map_collapse;
      btn.setAttribute("aria-expanded", c ? "false" : "true");
    }
    btn.addEventListener("click", function (e) {
      L.DomEvent.stop(e);
      set(!el.classList.contains("go-collapsed"));
    });
    set(startCollapsed);
  }
  var short = window.innerHeight < 820;
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "go-panel go-legend");
    div.innerHTML = '<div class="go-panel-body">' + D.legend + "</div>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    collapsible(div, U.legend, false);
    return div;
  };
  legend.addTo(map);
  // legend entries follow the layer control: an entry shows only while one of its layers is on
  var LL = {};
  Object.keys(D.legend_layers || {}).forEach(function (k) { LL[k] = window[D.legend_layers[k]]; });
  function legendSync() {
    document.querySelectorAll(".go-legend [data-groups]").forEach(function (el) {
      var on = el.getAttribute("data-groups").split(" ").some(function (k) {
        var l = G[k] || LL[k];
        return !!l && map.hasLayer(l);
      });
      el.style.display = on ? "" : "none";
    });
  }
  legendSync();
  map.on("overlayadd overlayremove", legendSync);
  var lc = document.querySelector(".leaflet-control-layers");
  if (lc) { lc.classList.add("go-panel"); collapsible(lc, U.map_layers, short); }

  // fit the study area into the part of the map the header and the controls leave free
  if (D.bounds) {
    var side = lc && !short ? Math.min(lc.offsetWidth + 20, map.getSize().x / 3) : 10;
    map.options.zoomSnap = 0.25;
    map.fitBounds(D.bounds, { paddingTopLeft: [50, headerBottom() + 10],
      paddingBottomRight: [side, 30] });
  }
  declutter();
  map.on("zoomend viewreset overlayadd overlayremove resize", declutter);
  window.addEventListener("load", declutter);
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(declutter); }  // header height
  window.geoOutreach = { map: map, groups: G, counts: counts, setK: setK, declutter: declutter,
    legendSync: legendSync };
})();
