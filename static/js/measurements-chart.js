// Home-measurement charts (Chart.js, vendored in static/vendor/chartjs-4.6.2). Progressive
// enhancement: each chart's data is in a <script type="application/json"> (json_script) and
// the same figures are in the table beside it, which screen readers and printers use.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var colours = { mean: "#0d6efd", mean2: "#6f42c1", limit: "#dc3545" };

  function dayLabel(iso) {
    var parts = iso.split("-");
    return parts[2] + "-" + parts[1];
  }

  function limitLine(label, value, count) {
    var data = [];
    for (var i = 0; i < count; i++) { data.push(value); }
    return {
      label: label, data: data, borderColor: colours.limit, borderDash: [6, 4],
      borderWidth: 1.5, pointRadius: 0, fill: false
    };
  }

  document.querySelectorAll("[data-measurement-chart]").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-measurement-chart"));
    var canvas = box.querySelector("canvas");
    if (!source || !canvas) { return; }
    var series = JSON.parse(source.textContent);
    var labels = series.days.map(dayLabel);
    var bp = series.mean2.length > 0;
    var datasets = [{
      label: bp ? box.getAttribute("data-label-upper") : series.label,
      data: series.mean, borderColor: colours.mean, backgroundColor: colours.mean,
      pointRadius: 3, tension: 0.2, spanGaps: true
    }];
    if (bp) {
      datasets.push({
        label: box.getAttribute("data-label-lower"), data: series.mean2,
        borderColor: colours.mean2, backgroundColor: colours.mean2, pointRadius: 3,
        tension: 0.2, spanGaps: true
      });
    }
    var limit = box.getAttribute("data-label-limit");
    if (series.high !== null) { datasets.push(limitLine(limit, series.high, labels.length)); }
    if (series.low !== null) { datasets.push(limitLine(limit, series.low, labels.length)); }
    if (bp && series.high2 !== null) { datasets.push(limitLine(limit, series.high2, labels.length)); }
    box.hidden = false;
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: true, aspectRatio: 1.6, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (c) {
            return c.dataset.label + ": " + String(c.parsed.y).replace(".", ",") + " " + series.unit;
          } } }
        },
        scales: { y: { title: { display: true, text: series.unit } }, x: { ticks: { maxRotation: 0, autoSkip: true } } }
      }
    });
  });
})();
