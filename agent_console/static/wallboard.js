// Wallboard: short polling of wallboard.json, tiles updated in place, bar charts drawn as inline SVG.
(function () {
  "use strict";
  var root = document.getElementById("wallboard");
  if (!root) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var labels = JSON.parse(root.dataset.labels);
  var poll = Math.max(2, parseInt(root.dataset.poll, 10) || 5) * 1000;

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
  // Hours to draw: the hotline's day (6-21), widened to any hour that has data.
  function span(series) {
    var busy = [];
    series.forEach(function (s) { s.values.forEach(function (v, h) { if (v > 0) { busy.push(h); } }); });
    return [Math.min.apply(null, busy.concat([6])), Math.max.apply(null, busy.concat([21]))];
  }
  // Stacked bars, one per hour, series stacked bottom-up.
  function bars(svg, hours, series, first, last) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var shown = hours.slice(first, last + 1), n = shown.length, width = 480, height = 140, left = 24;
    var totals = shown.map(function (h) { return series.reduce(function (sum, s) { return sum + s.values[h]; }, 0); });
    var max = Math.max(1, Math.max.apply(null, totals)), step = (width - left) / n;
    svg.appendChild(el("text", { x: 0, y: 10 }, String(max)));
    svg.appendChild(el("line", { x1: left, y1: height, x2: width, y2: height, stroke: "#7a8594" }));
    shown.forEach(function (h, i) {
      var y = height;
      series.forEach(function (s) {
        var v = s.values[h], bar = v / max * (height - 12);
        if (v > 0) {
          var rect = el("rect", { x: left + i * step + 2, y: y - bar, width: step - 4, height: bar, "class": s.cls });
          rect.appendChild(el("title", {}, h + ":00 " + s.label + ": " + v));
          svg.appendChild(rect);
        }
        y -= bar;
      });
      if (h % 2 === 0) { svg.appendChild(el("text", { x: left + i * step + 2, y: height + 12 }, h)); }
    });
  }
  function render(data) {
    root.querySelectorAll("[data-key]").forEach(function (node) {
      node.textContent = format(get(data, node.dataset.key), node.dataset.fmt);
    });
    document.getElementById("wall-at").textContent = new Date(data.at).toLocaleTimeString(document.documentElement.lang);
    var h = data.hourly;
    var callSeries = [{ values: h.calls, cls: "bar-calls", label: labels.calls }];
    var bookingSeries = ["phone", "online", "agent"].map(function (c) {
      return { values: h.bookings[c], cls: "bar-" + c, label: labels[c] };
    });
    var hours = span(callSeries.concat(bookingSeries));
    bars(document.getElementById("chart-calls"), h.hours, callSeries, hours[0], hours[1]);
    bars(document.getElementById("chart-bookings"), h.hours, bookingSeries, hours[0], hours[1]);
    var body = document.querySelector("#capacity tbody");
    body.textContent = "";
    data.capacity.forEach(function (row) {
      var tr = document.createElement("tr");
      [row.centre, row.day, row.phone_free + " / " + row.phone_total, row.online_free + " / " + row.online_total]
        .forEach(function (v) { var td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
      body.appendChild(tr);
    });
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
