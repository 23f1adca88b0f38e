// Wallboard: short polling of wallboard.json, tiles updated in place, bar charts with axes and a grid drawn as
// inline SVG, the heat table of free places refreshed. Times are the campaign's (the server formats them).
(function () {
  "use strict";
  var root = document.getElementById("wallboard");
  if (!root) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var labels = JSON.parse(root.dataset.labels);
  var poll = Math.max(2, parseInt(root.dataset.poll, 10) || 5) * 1000;
  var W = 640, H = 220, LEFT = 44, RIGHT = 8, TOP = 18, BOTTOM = 34;

  function get(obj, path) { return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj); }
  function mmss(s) { return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2); }
  function format(value, fmt) {
    if (value === null || value === undefined) { return "–"; }
    if (fmt === "mmss") { return mmss(value); }
    if (fmt === "pct") { return value + " %"; }
    return String(value);
  }
  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  // A round step for about four grid lines: 1, 2, 5, 10, 20, 50 ...
  function niceStep(max) {
    var raw = Math.max(1, max) / 4, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10].map(function (m) { return m * power; });
    return Math.max(1, steps.filter(function (s) { return s >= raw; })[0]);
  }
  // Hours to draw: the hotline's day (6-21), widened to any hour that has data.
  function span(series) {
    var busy = [];
    series.forEach(function (s) { s.values.forEach(function (v, h) { if (v > 0) { busy.push(h); } }); });
    return [Math.min.apply(null, busy.concat([6])), Math.max.apply(null, busy.concat([21]))];
  }
  function axes(svg, step, top, hours, unit) {
    var plotH = H - TOP - BOTTOM, plotW = W - LEFT - RIGHT, n = hours.length, slot = plotW / n;
    for (var v = 0; v <= top; v += step) {
      var y = H - BOTTOM - v / top * plotH;
      svg.appendChild(el("line", { x1: LEFT, y1: y, x2: W - RIGHT, y2: y, "class": v === 0 ? "axis" : "grid" }));
      svg.appendChild(el("text", { x: LEFT - 6, y: y + 4, "text-anchor": "end" }, String(v)));
    }
    svg.appendChild(el("line", { x1: LEFT, y1: TOP, x2: LEFT, y2: H - BOTTOM, "class": "axis" }));
    hours.forEach(function (h, i) {
      if (h % 2 === 0) {
        svg.appendChild(el("text", { x: LEFT + i * slot + slot / 2, y: H - BOTTOM + 14, "text-anchor": "middle" }, h));
      }
    });
    svg.appendChild(el("text", { x: LEFT + plotW / 2, y: H - 4, "text-anchor": "middle", "class": "title" }, labels.hour));
    svg.appendChild(el("text", { x: 4, y: 11, "class": "title" }, unit));
    return slot;
  }
  // Stacked bars, one per hour, series stacked bottom-up, on a grid with labelled axes.
  function bars(svg, series, first, last, unit) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var hours = [];
    for (var h = first; h <= last; h++) { hours.push(h); }
    var totals = hours.map(function (h) { return series.reduce(function (sum, s) { return sum + s.values[h]; }, 0); });
    var step = niceStep(Math.max.apply(null, totals)), top = step * Math.max(1, Math.ceil(Math.max.apply(null, totals) / step));
    var slot = axes(svg, step, top, hours, unit), plotH = H - TOP - BOTTOM;
    hours.forEach(function (h, i) {
      var y = H - BOTTOM;
      series.forEach(function (s) {
        var v = s.values[h], bar = v / top * plotH;
        if (v > 0) {
          var rect = el("rect", { x: LEFT + i * slot + 2, y: y - bar, width: Math.max(1, slot - 4), height: bar, "class": s.cls });
          rect.appendChild(el("title", {}, h + ":00 " + s.label + ": " + v));
          svg.appendChild(rect);
        }
        y -= bar;
      });
    });
  }
  function heatClass(free, total) {
    if (free <= 0) { return "h0"; }
    var share = total ? free / total : 0;
    return share < 0.2 ? "h1" : share < 0.5 ? "h2" : "h3";
  }
  function heat(data) {
    var rows = document.querySelectorAll("#heat tbody tr");
    data.heat.centres.forEach(function (centre, r) {
      if (!rows[r]) { return; }
      var cells = rows[r].querySelectorAll("td");
      centre.cells.forEach(function (cell, c) {
        if (!cells[c]) { return; }
        cells[c].textContent = cell.length ? "" : "–";
        cell.forEach(function (v) {
          var span = document.createElement("span"), strong = document.createElement("strong");
          span.className = "heat-v " + heatClass(v.free, v.total);
          span.textContent = v.vaccine + " ";
          strong.textContent = v.free;
          span.appendChild(strong);
          cells[c].appendChild(span);
        });
      });
    });
  }
  var shownDays = null;
  function render(data) {
    root.querySelectorAll("[data-key]").forEach(function (node) {
      node.textContent = format(get(data, node.dataset.key), node.dataset.fmt);
    });
    document.getElementById("wall-at").textContent = data.at_local;
    var h = data.hourly;
    var callSeries = [{ values: h.calls, cls: "bar-calls", label: labels.calls }];
    var bookingSeries = ["phone", "online", "agent"].map(function (c) {
      return { values: h.bookings[c], cls: "bar-" + c, label: labels[c] };
    });
    var hours = span(callSeries.concat(bookingSeries));
    bars(document.getElementById("chart-calls"), callSeries, hours[0], hours[1], labels.count_calls);
    bars(document.getElementById("chart-bookings"), bookingSeries, hours[0], hours[1], labels.count_bookings);
    var days = data.heat.days.join(",");
    if (shownDays !== null && days !== shownDays) { window.location.reload(); return; }  // a new day: new columns
    shownDays = days;
    heat(data);
  }
  function refresh() {
    fetch(root.dataset.src, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* the next poll tries again */ });
  }
  render(JSON.parse(document.getElementById("wall-initial").textContent));
  setInterval(refresh, poll);
})();
