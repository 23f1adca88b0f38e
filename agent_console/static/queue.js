// Short polling of the queue page: refresh the waiting list every 5 s without reloading.
(function () {
  "use strict";
  var table = document.getElementById("queue-table");
  if (!table) { return; }
  function mmss(s) { return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2); }
  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }
  function refresh() {
    fetch(table.dataset.src, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var summary = document.getElementById("queue-summary");
        summary.textContent = data.count === 0 ? summary.dataset.none : data.count === 1 ? summary.dataset.one
          : summary.dataset.many.replace("{count}", data.count);
        var body = table.tBodies[0];
        body.textContent = "";
        data.waiting.forEach(function (w) {
          var tr = document.createElement("tr");
          [w.position, w.number, w.language_name, mmss(w.wait)].forEach(function (v) { tr.appendChild(cell(v)); });
          body.appendChild(tr);
        });
      })
      .catch(function () { /* next poll tries again */ });
  }
  setInterval(refresh, 5000);
})();
