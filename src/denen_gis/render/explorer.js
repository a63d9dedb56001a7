/* denen-gis site explorer: toggle candidate 5G sites, see coverage and cost at once.
 * Everything is computed here from the embedded arrays; no request leaves the page. */
(function () {
  "use strict";
  var T0 = performance.now(), timings = {};
  function mark(name) { timings[name] = Math.round(performance.now() - T0); }
  var D = JSON.parse(document.getElementById("dx-data").textContent);
  var OUTLINES = JSON.parse(document.getElementById("dx-outlines").textContent);
  var T = JSON.parse(document.getElementById("dx-labels").textContent);
  var LIST_MAX = 200;

  function decode(b64, Type) {
    var bin = atob(b64), n = bin.length, bytes = new Uint8Array(n);
    for (var i = 0; i < n; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Type(bytes.buffer);
  }
  var FORMATS = [0, 1, 2].map(function (d) {
    return new Intl.NumberFormat(undefined, {minimumFractionDigits: d, maximumFractionDigits: d});
  });
  function fmt(x, digits) { return FORMATS[digits || 0].format(x); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function label(key, vars) {
    var s = T[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
    return s;
  }

  // ---- data -------------------------------------------------------------------------
  var C = D.cells, S = D.sites, nCells = C.n, nSites = S.id.length;
  var row = decode(C.row, Uint32Array), col = decode(C.col, Uint32Array);
  var pop = decode(C.pop, Int32Array), before = decode(C.covered, Uint8Array);
  var muni = decode(C.muni, C.muni_wide ? Uint32Array : Uint16Array);
  var offsets = decode(S.offsets, Uint32Array), cells = decode(S.cells, Uint32Array);
  for (var j = 0; j < nSites; j++) {  // undo the delta encoding, site by site
    var acc = 0;
    for (var k = offsets[j]; k < offsets[j + 1]; k++) { acc += cells[k]; cells[k] = acc; }
  }
  mark("decode_ms");
  var siteIndex = {};
  S.id.forEach(function (id, i) { siteIndex[id] = i; });
  var nMunis = D.munis.length;
  var population = 0, baseCovered = 0;
  var muniPop = new Float64Array(nMunis), muniBase = new Float64Array(nMunis);
  var prefOfCell = decode(C.pref, Uint8Array), muniPref = new Uint8Array(nMunis);
  var nPrefs = D.prefs.length;
  for (var i = 0; i < nCells; i++) {
    population += pop[i];
    muniPop[muni[i]] += pop[i];
    muniPref[muni[i]] = prefOfCell[i];
    if (before[i]) { baseCovered += pop[i]; muniBase[muni[i]] += pop[i]; }
  }

  // ---- state: how many chosen sites cover each cell -----------------------------------
  var count = new Int32Array(nCells), chosen = new Uint8Array(nSites), order = [];
  var lastRefresh = 0, lastFrame = 0, added = 0, muniAdded = new Float64Array(nMunis);

  function setChosen(j, on) {
    if (!!chosen[j] === on) { return; }
    chosen[j] = on ? 1 : 0;
    var a = offsets[j], b = offsets[j + 1], c;
    if (on) {
      order.push(j);
      for (var k = a; k < b; k++) {
        c = cells[k];
        if (count[c]++ === 0) { added += pop[c]; muniAdded[muni[c]] += pop[c]; }
      }
    } else {
      order.splice(order.indexOf(j), 1);
      for (var k2 = a; k2 < b; k2++) {
        c = cells[k2];
        if (--count[c] === 0) { added -= pop[c]; muniAdded[muni[c]] -= pop[c]; }
      }
    }
  }
  function gainOf(j) {
    var g = 0;
    for (var k = offsets[j]; k < offsets[j + 1]; k++) { if (count[cells[k]] === 0) { g += pop[cells[k]]; } }
    return g;
  }
  function uniqueOf(j) {
    var u = 0;
    for (var k = offsets[j]; k < offsets[j + 1]; k++) { if (count[cells[k]] === 1) { u += pop[cells[k]]; } }
    return u;
  }
  function selectedSorted() {
    var out = [];
    for (var j = 0; j < nSites; j++) { if (chosen[j]) { out.push(j); } }
    return out;
  }
  function cost() {
    var total = 0;
    selectedSorted().forEach(function (j) { total += S.cost[j]; });
    return total;
  }
  function state() {
    var covered = baseCovered + added;
    return {
      covered_population: covered,
      population: population,
      coverage_pct: population > 0 ? 100 * covered / population : 0,
      cost_myen: cost(),
      selected: selectedSorted().map(function (j) { return S.id[j]; })
    };
  }
  function suggestion() {
    var best = -1, bestRatio = 0, bestGain = 0;
    for (var j = 0; j < nSites; j++) {
      if (chosen[j]) { continue; }
      var g = gainOf(j);
      if (g <= 0) { continue; }
      var r = S.cost[j] > 0 ? g / S.cost[j] : Infinity;
      if (best < 0 || r > bestRatio || (r === bestRatio && g > bestGain)) {
        best = j; bestRatio = r; bestGain = g;
      }
    }
    return best;
  }

  // ---- map --------------------------------------------------------------------------
  var map = L.map("dx-map", {preferCanvas: true, zoomControl: true, minZoom: 4, maxZoom: 16});
  L.geoJSON(OUTLINES, {
    interactive: false,
    style: {color: "#8a8a8a", weight: 0.8, fillColor: "#f3f0e8", fillOpacity: 1}
  }).addTo(map);
  var R = 6378137, DEG = Math.PI / 180;
  function projX(lon) { return (lon * DEG * R + Math.PI * R) / (2 * Math.PI * R) * 256; }
  function projY(lat) {
    var s = Math.sin(Math.max(Math.min(lat, 85.05), -85.05) * DEG);
    return (0.5 - 0.25 * Math.log((1 + s) / (1 - s)) / Math.PI) * 256;
  }
  // Cell corners projected once at zoom 0 (Web Mercator pixels); each redraw scales them.
  var x0 = new Float64Array(nCells), x1 = new Float64Array(nCells);
  var y0 = new Float64Array(nCells), y1 = new Float64Array(nCells);
  var south = Infinity, west = Infinity, north = -Infinity, east = -Infinity;
  for (var q = 0; q < nCells; q++) {
    var s0 = (C.row0 + row[q]) * C.dlat, w0 = 100 + (C.col0 + col[q]) * C.dlon;
    x0[q] = projX(w0); x1[q] = projX(w0 + C.dlon);
    y0[q] = projY(s0 + C.dlat); y1[q] = projY(s0);
    if (s0 < south) { south = s0; } if (w0 < west) { west = w0; }
    if (s0 + C.dlat > north) { north = s0 + C.dlat; } if (w0 + C.dlon > east) { east = w0 + C.dlon; }
  }
  mark("project_ms");
  // Candidate sites projected the same way.
  var sx = new Float64Array(nSites), sy = new Float64Array(nSites);
  for (var q2 = 0; q2 < nSites; q2++) { sx[q2] = projX(S.lon[q2]); sy[q2] = projY(S.lat[q2]); }
  var COLOURS = {base: "rgba(120,150,190,0.55)", uncovered: "#d7301f", added: "#1a9850"};
  // The same colours as 32-bit RGBA pixels (little-endian: 0xAABBGGRR).
  var PIXEL = [0x8cbe9678, 0xff50981a, 0xff1f30d7];  // covered today, added, uncovered
  function sprite(radius, fill, stroke, width) {
    var size = 2 * (radius + width) + 2, cv = document.createElement("canvas");
    cv.width = cv.height = size;
    var ctx = cv.getContext("2d");
    ctx.beginPath(); ctx.arc(size / 2, size / 2, radius, 0, 2 * Math.PI);
    ctx.fillStyle = fill; ctx.fill();
    ctx.lineWidth = width; ctx.strokeStyle = stroke; ctx.stroke();
    return cv;
  }
  var SPRITES = [sprite(4, "rgba(255,255,255,0.9)", "#333", 1.5), sprite(6, "#ff7f00", "#000", 2.5)];
  // Two canvases over the map, redrawn on every move: the cells (written as pixels, one
  // ImageData, so that 40,000 cells cost one image upload) and the sites above them.
  // A toggle rewrites only the toggled site's cells (cells never overlap) and the sites.
  var Canvases = L.Layer.extend({
    onAdd: function (m) {
      this._cells = L.DomUtil.create("canvas", "dx-cells leaflet-zoom-hide");
      this._sites = L.DomUtil.create("canvas", "dx-sites leaflet-zoom-hide");
      m.getPanes().overlayPane.appendChild(this._cells);
      m.getPanes().overlayPane.appendChild(this._sites);
      m.on("moveend zoomend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove: function (m) {
      L.DomUtil.remove(this._cells); L.DomUtil.remove(this._sites);
      m.off("moveend zoomend resize viewreset", this.redraw, this);
    },
    _frame: function () {
      var m = this._map, size = m.getSize(), topLeft = m.containerPointToLayerPoint([0, 0]);
      var origin = m.getPixelOrigin().add(topLeft);
      return {w: size.x, h: size.y, topLeft: topLeft, scale: Math.pow(2, m.getZoom()),
              ox: origin.x, oy: origin.y};
    },
    redraw: function () {
      var f = this._f = this._frame();
      [this._cells, this._sites].forEach(function (cv) {
        L.DomUtil.setPosition(cv, f.topLeft);
        if (cv.width !== f.w || cv.height !== f.h) { cv.width = f.w; cv.height = f.h; }
      });
      if (!f.w || !f.h) { return; }
      this._image = this._cells.getContext("2d").createImageData(f.w, f.h);
      this._pixels = new Uint32Array(this._image.data.buffer);
      this._dirty = [f.w, f.h, 0, 0];
      for (var want = 0; want < 3; want++) {  // uncovered last: never hidden by a neighbour
        for (var i = 0; i < nCells; i++) {
          if ((before[i] ? 0 : (count[i] > 0 ? 1 : 2)) === want) { this._cell(i, PIXEL[want]); }
        }
      }
      this._dirty = [0, 0, f.w, f.h];  // the whole canvas: nothing of the last view stays
      this._flush();
      this.drawSites();
    },
    _cell: function (i, colour) {
      var f = this._f;
      var xa = Math.round(x0[i] * f.scale - f.ox), xb = Math.round(x1[i] * f.scale - f.ox);
      var ya = Math.round(y0[i] * f.scale - f.oy), yb = Math.round(y1[i] * f.scale - f.oy);
      if (xb <= xa) { xb = xa + 1; }
      if (yb <= ya) { yb = ya + 1; }
      if (xa < 0) { xa = 0; } if (ya < 0) { ya = 0; }
      if (xb > f.w) { xb = f.w; } if (yb > f.h) { yb = f.h; }
      if (xa >= xb || ya >= yb) { return; }
      var px = this._pixels, d = this._dirty;
      for (var y = ya; y < yb; y++) { px.fill(colour, y * f.w + xa, y * f.w + xb); }
      if (xa < d[0]) { d[0] = xa; } if (ya < d[1]) { d[1] = ya; }
      if (xb > d[2]) { d[2] = xb; } if (yb > d[3]) { d[3] = yb; }
    },
    _flush: function () {
      var d = this._dirty;
      if (d[2] > d[0] && d[3] > d[1]) {
        this._cells.getContext("2d").putImageData(this._image, 0, 0, d[0], d[1],
                                                  d[2] - d[0], d[3] - d[1]);
      }
      this._dirty = [this._f.w, this._f.h, 0, 0];
    },
    paintSiteCells: function (j) {
      if (!this._pixels) { return; }
      for (var k = offsets[j]; k < offsets[j + 1]; k++) {
        var c = cells[k];
        this._cell(c, count[c] > 0 ? PIXEL[1] : PIXEL[2]);
      }
      this._flush();
      // only the toggled site's circle changes: redraw the sites around it
      var f = this._f, m = SPRITES[1].width;
      var cx = Math.round(sx[j] * f.scale - f.ox), cy = Math.round(sy[j] * f.scale - f.oy);
      this.drawSites([cx - m, cy - m, 2 * m, 2 * m]);
    },
    drawSites: function (rect) {
      var f = this._f, ctx = this._sites.getContext("2d");
      var r = rect || [0, 0, f.w, f.h], pad = SPRITES[1].width;
      ctx.save();
      ctx.beginPath(); ctx.rect(r[0], r[1], r[2], r[3]); ctx.clip();
      ctx.clearRect(r[0], r[1], r[2], r[3]);
      for (var pass = 0; pass < 2; pass++) {  // chosen sites last, on top
        var img = SPRITES[pass], half = img.width / 2;
        for (var j = 0; j < nSites; j++) {
          if (chosen[j] !== pass) { continue; }
          var x = Math.round(sx[j] * f.scale - f.ox - half);
          var y = Math.round(sy[j] * f.scale - f.oy - half);
          if (x < r[0] - pad || y < r[1] - pad || x > r[0] + r[2] || y > r[1] + r[3]) {
            continue;
          }
          ctx.drawImage(img, x, y);
        }
      }
      ctx.restore();
    },
    siteAt: function (p, tolerance) {
      var f = this._f, best = -1, bestD = tolerance * tolerance, bestChosen = 0;
      for (var j = 0; j < nSites; j++) {
        var dx = sx[j] * f.scale - f.ox - p.x, dy = sy[j] * f.scale - f.oy - p.y;
        var d = dx * dx + dy * dy;
        // a chosen site is drawn on top, so it wins over an unchosen neighbour
        if (d <= tolerance * tolerance && (chosen[j] > bestChosen || (chosen[j] === bestChosen && d < bestD))) {
          best = j; bestD = d; bestChosen = chosen[j];
        }
      }
      return best;
    }
  });
  var canvases = new Canvases().addTo(map);
  var tip = L.tooltip({direction: "top", offset: [0, -6]});
  map.on("click", function (e) {
    var j = canvases.siteAt(e.containerPoint, 9);
    if (j >= 0) { toggleIndex(j); }
  });
  map.on("mousemove", function (e) {
    var j = canvases.siteAt(e.containerPoint, 9);
    map.getContainer().style.cursor = j >= 0 ? "pointer" : "";
    if (j >= 0) {
      tip.setLatLng([S.lat[j], S.lon[j]]).setContent(
        S.id[j] + " · " + S.kind[j] + " · " + fmt(S.cost[j], 1) + " " + T.myen);
      if (!map.hasLayer(tip)) { tip.addTo(map); }
    } else if (map.hasLayer(tip)) { map.removeLayer(tip); }
  });
  mark("markers_ms");
  map.fitBounds([[south, west], [north, east]]);
  var legend = L.control({position: "bottomleft"});
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "dx-legend");
    [["base", "legend_covered"], ["uncovered", "legend_uncovered"], ["added", "legend_new"]]
      .forEach(function (p) {
        var r = el("div"), sw = el("span", {"class": "dx-swatch"});
        sw.style.background = COLOURS[p[0]];
        r.appendChild(sw); r.appendChild(document.createTextNode(T[p[1]])); box.appendChild(r);
      });
    [["dx-dot", "legend_site"], ["dx-dot dx-dot-on", "legend_chosen"]].forEach(function (p) {
      var r = el("div"); r.appendChild(el("span", {"class": p[0]}));
      r.appendChild(document.createTextNode(T[p[1]])); box.appendChild(r);
    });
    return box;
  };
  legend.addTo(map);
  L.control.scale({imperial: false}).addTo(map);

  // ---- panel ------------------------------------------------------------------------
  var panel = document.getElementById("dx-panel");
  function button(key, onClick) {
    var b = el("button", {type: "button", id: "dx-" + key}, T[key]);
    b.addEventListener("click", onClick);
    return b;
  }
  var figures = el("dl", {"class": "dx-figures", id: "dx-figures"});
  panel.appendChild(figures);
  var bar = el("div", {"class": "dx-buttons", role: "toolbar"});
  bar.appendChild(button("plan", function () { setPlan(); }));
  bar.appendChild(button("clear", function () { clearAll(); }));
  bar.appendChild(button("suggest", function () { suggest(); }));
  bar.appendChild(button("export", function () { download(); }));
  bar.appendChild(button("print", function () { window.print(); }));
  panel.appendChild(bar);
  var message = el("p", {"class": "dx-message", id: "dx-message", role: "status"});
  if (D.plan_note) { message.textContent = label("plan_note", {note: D.plan_note}); }
  panel.appendChild(message);
  panel.appendChild(el("h2", null, T.regions));
  var regionTable = el("table", {"class": "dx-table", id: "dx-regions"});
  panel.appendChild(regionTable);
  panel.appendChild(el("h2", {"class": "dx-chosen-title"}, T.chosen_table));
  var chosenTable = el("table", {"class": "dx-table", id: "dx-chosen"});
  panel.appendChild(chosenTable);
  panel.appendChild(el("h2", {"class": "dx-noprint"}, T.sites));
  var search = el("input", {type: "search", id: "dx-search", placeholder: T.search,
                            "aria-label": T.search, "class": "dx-noprint"});
  panel.appendChild(search);
  var list = el("ul", {"class": "dx-list dx-noprint", id: "dx-list", role: "listbox",
                       "aria-multiselectable": "true", "aria-label": T.sites});
  panel.appendChild(list);
  var listMore = el("p", {"class": "dx-note dx-noprint"});
  panel.appendChild(listMore);

  function pct(covered, total) { return total > 0 ? 100 * covered / total : 0; }
  function tableRows(table, header, rows) {
    table.textContent = "";
    var thead = el("thead"), tr = el("tr");
    header.forEach(function (h) { tr.appendChild(el("th", {scope: "col"}, h)); });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var line = el("tr");
      r.forEach(function (v, i) {
        var cell = el(i === 0 ? "th" : "td", i === 0 ? {scope: "row"} : null, v.text);
        if (v.cls) { cell.className = v.cls; }
        line.appendChild(cell);
      });
      tbody.appendChild(line);
    });
    table.appendChild(tbody);
  }
  function floorCells(p) {
    return D.floors_pct.map(function (f) {
      var ok = p >= f;
      return {text: ok ? "✓ " + T.yes : "✗ " + T.no, cls: ok ? "dx-ok" : "dx-short"};
    });
  }
  function setText(node, text, cls) {  // touch the DOM only where something changed
    if (node.textContent !== text) { node.textContent = text; }
    if (cls !== undefined && node.className !== cls) { node.className = cls; }
  }
  var figureCells = null;
  function renderFigures(st) {
    var rows = [["people_covered", fmt(st.covered_population) + " / " + fmt(st.population), "dx-covered"],
                ["coverage", fmt(st.coverage_pct, 2) + " %", "dx-coverage"],
                ["cost", fmt(st.cost_myen, 1), "dx-cost"],
                ["sites_chosen", fmt(order.length), "dx-count"]];
    if (!figureCells) {
      figureCells = rows.map(function (f) {
        figures.appendChild(el("dt", null, T[f[0]]));
        return figures.appendChild(el("dd", {id: f[2]}));
      });
    }
    rows.forEach(function (f, i) { setText(figureCells[i], f[1]); });
  }
  var regionCells = null;  // [row][coverage, floor...] cells, built once and updated in place
  function regionFigures(st) {
    var out = [st.coverage_pct], munis = [];
    var prefCov = new Float64Array(nPrefs), prefPop = new Float64Array(nPrefs);
    for (var u = 0; u < nMunis; u++) {
      munis.push(pct(muniBase[u] + muniAdded[u], muniPop[u]));
      prefCov[muniPref[u]] += muniBase[u] + muniAdded[u];
      prefPop[muniPref[u]] += muniPop[u];
    }
    if (nPrefs > 1) {  // each prefecture of a wider region, then the municipalities
      for (var k = 0; k < nPrefs; k++) { out.push(pct(prefCov[k], prefPop[k])); }
    }
    out = out.concat(munis);
    return out;
  }
  function renderRegions(st) {
    var figs = regionFigures(st);
    if (!regionCells) {
      var header = [T.region, T.population, T.coverage].concat(
        D.floors_pct.map(function (f) { return label("floor", {pct: f}); }));
      var lang = document.documentElement.lang;
      var prefName = D.prefs.map(function (p) {
        return (lang === "ja" ? p.name_ja : p.name_en) + " (" + p.code + ")";
      }).join(", ");
      var rows = [[{text: prefName}, {text: fmt(st.population)}]];
      if (nPrefs > 1) {
        var prefPop = new Float64Array(nPrefs);
        for (var v = 0; v < nMunis; v++) { prefPop[muniPref[v]] += muniPop[v]; }
        D.prefs.forEach(function (p, k) {
          rows.push([{text: (lang === "ja" ? p.name_ja : p.name_en) + " (" + p.code + ")"},
                     {text: fmt(prefPop[k])}]);
        });
      }
      for (var u = 0; u < nMunis; u++) {
        rows.push([{text: D.munis[u].name + " (" + D.munis[u].code + ")"}, {text: fmt(muniPop[u])}]);
      }
      rows.forEach(function (r) {
        r.push({text: ""});
        D.floors_pct.forEach(function () { r.push({text: ""}); });
      });
      tableRows(regionTable, header, rows);
      regionCells = Array.prototype.map.call(regionTable.tBodies[0].rows, function (tr) {
        return Array.prototype.slice.call(tr.cells, 2);
      });
    }
    figs.forEach(function (p, r) {
      var cellsOfRow = regionCells[r];
      setText(cellsOfRow[0], fmt(p, 2) + " %");
      floorCells(p).forEach(function (v, k) { setText(cellsOfRow[k + 1], v.text, v.cls); });
    });
  }
  var chosenRows = {}, chosenBody = null, noneRow = null;  // site index -> <tr>, kept in order
  function renderChosen() {
    if (!chosenBody) {
      tableRows(chosenTable, [T.site, T.kind, T.cost, T.unique],
                [[{text: T.none_chosen}, {text: ""}, {text: ""}, {text: ""}]]);
      chosenBody = chosenTable.tBodies[0];
      noneRow = chosenBody.rows[0];
    }
    Object.keys(chosenRows).forEach(function (key) {
      if (!chosen[key]) { chosenRows[key].remove(); delete chosenRows[key]; }
    });
    var next = null;
    for (var j = nSites - 1; j >= 0; j--) {
      if (!chosen[j]) { continue; }
      var tr = chosenRows[j];
      if (!tr) {
        tr = el("tr");
        tr.appendChild(el("th", {scope: "row"}, S.id[j]));
        tr.appendChild(el("td", null, S.kind[j]));
        tr.appendChild(el("td", null, fmt(S.cost[j], 1)));
        tr.appendChild(el("td", {"class": "dx-unique"}));
        chosenBody.insertBefore(tr, next);
        chosenRows[j] = tr;
      }
      setText(tr.cells[3], fmt(uniqueOf(j)));
      next = tr;
    }
    noneRow.hidden = order.length > 0;
  }
  function renderList() {
    var needle = search.value.trim().toLowerCase(), shown = 0, total = 0;
    list.textContent = "";
    for (var j = 0; j < nSites; j++) {
      if (needle && S.id[j].toLowerCase().indexOf(needle) < 0 &&
          S.kind[j].toLowerCase().indexOf(needle) < 0) { continue; }
      total++;
      if (shown >= LIST_MAX) { continue; }
      shown++;
      var li = el("li", {role: "option", tabindex: "0", "data-site": S.id[j],
                         "aria-selected": chosen[j] ? "true" : "false"},
                  S.id[j] + " · " + S.kind[j] + " · " + fmt(S.cost[j], 1) + " " + T.myen);
      list.appendChild(li);
    }
    listMore.textContent = total > shown ? "+ " + fmt(total - shown) + " …" : "";
  }
  list.addEventListener("click", function (e) {
    var id = e.target.getAttribute && e.target.getAttribute("data-site");
    if (id) { toggle(id); }
  });
  list.addEventListener("keydown", function (e) {
    var id = e.target.getAttribute && e.target.getAttribute("data-site");
    if (id && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); toggle(id); }
  });
  search.addEventListener("input", renderList);
  function syncList(j) {
    var li = list.querySelector('[data-site="' + CSS.escape(S.id[j]) + '"]');
    if (li) { li.setAttribute("aria-selected", chosen[j] ? "true" : "false"); }
  }
  function refresh(site) {
    var st = state();
    renderFigures(st);
    renderRegions(st);
    renderChosen();
    if (site === undefined) { canvases.redraw(); } else { canvases.paintSiteCells(site); }
    lastRefresh = performance.now();
    // the frame after the next one: the update has then been laid out and painted
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { lastFrame = performance.now(); });
    });
    return st;
  }

  // ---- actions ----------------------------------------------------------------------
  function toggleIndex(j) {
    setChosen(j, !chosen[j]);
    syncList(j);
    message.textContent = "";
    return refresh(j);
  }
  function toggle(siteId) {
    var j = siteIndex[siteId];
    if (j === undefined) { throw new Error("unknown site id " + siteId); }
    return toggleIndex(j);
  }
  function setChoice(indices) {
    for (var j = 0; j < nSites; j++) { if (chosen[j]) { setChosen(j, false); } }
    indices.forEach(function (i) { setChosen(i, true); });
    renderList();
    return refresh();
  }
  function setPlan() {
    return setChoice(D.plan.filter(function (id) { return id in siteIndex; })
      .map(function (id) { return siteIndex[id]; }));
  }
  function clearAll() { return setChoice([]); }
  function suggest() {
    var j = suggestion();
    if (j < 0) { message.textContent = T.nothing_to_add; return null; }
    toggleIndex(j);
    message.textContent = label("suggested", {id: S.id[j]}) + " (+" + fmt(uniqueOf(j)) + " " +
      T.persons + ", " + fmt(S.cost[j], 1) + " " + T.myen + ")";
    map.panTo([S.lat[j], S.lon[j]]);
    return S.id[j];
  }
  function tomlString(s) { return JSON.stringify(String(s)); }
  function exportToml() {
    var sel = selectedSorted(), others = [];
    for (var j = 0; j < nSites; j++) { if (!chosen[j]) { others.push(S.id[j]); } }
    var c = cost();
    // Every other candidate is excluded, so any budget at or above the cost builds exactly these.
    var budget = (Math.ceil(c * 1000) / 1000 + 0.001).toFixed(3);
    return D.toml_head + "\n[fiveg]\n" +
      "# " + fmt(state().covered_population) + " people covered, cost " + c.toFixed(3) +
      " million yen\n" +
      'objective = "coverage"\n' +
      "budget_myen = " + budget + "\n" +
      "include_sites = [" + sel.map(function (i) { return tomlString(S.id[i]); }).join(", ") +
      "]\n" +
      "exclude_sites = [" + others.map(tomlString).join(", ") + "]\n";
  }
  function download() {
    var blob = new Blob([exportToml()], {type: "application/toml"});
    var a = el("a", {download: "explorer_scenario.toml"});
    a.href = URL.createObjectURL(blob);
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }
  function sitePoint(siteId) {
    var j = siteIndex[siteId];
    var p = map.latLngToContainerPoint([S.lat[j], S.lon[j]]);
    var box = map.getContainer().getBoundingClientRect();
    return {x: box.left + p.x, y: box.top + p.y};
  }

  window.denenExplorer = {
    state: state, toggle: toggle, plan: setPlan, clear: clearAll, suggest: suggest,
    exportToml: exportToml, sitePoint: sitePoint,
    siteLatLng: function (siteId) {
      var j = siteIndex[siteId];
      return [S.lat[j], S.lon[j]];
    }, map: map, timings: timings,
    lastRefresh: function () { return lastRefresh; },
    lastFrame: function () { return lastFrame; },
    uniquePeople: function () {
      var out = {};
      selectedSorted().forEach(function (j) { out[S.id[j]] = uniqueOf(j); });
      return out;
    }
  };
  setPlan();
  mark("ready_ms");
  document.body.setAttribute("data-ready", "true");
})();
