// Questionnaire score trends (Chart.js, vendored in static/vendor/chartjs-4.6.2), drawn like the
// home-measurement charts (measurements-chart.js). Progressive enhancement: each chart's data is
// in a <script type="application/json"> (json_script) and the same scores are in the trend
// table beside it, which screen readers and printers use.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var colours = { score: "#0d6efd", flagged: "#dc3545", cutoff: "#dc3545" };

  function dateLabel(iso) {
    var parts = iso.split("-");
    return parts[2] + "-" + parts[1] + "-" + parts[0].slice(2);
  }

  function number(value) { return String(value).replace(".", ","); }

  document.querySelectorAll("[data-score-chart]").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-score-chart"));
    var canvas = box.querySelector("canvas");
    if (!source || !canvas) { return; }
    var trend = JSON.parse(source.textContent);
    var labels = trend.dates.map(dateLabel);
    var pointColours = trend.flagged.map(function (f) { return f ? colours.flagged : colours.score; });
    var datasets = [{
      label: box.getAttribute("data-label-score"), data: trend.scores,
      borderColor: colours.score, backgroundColor: pointColours,
      pointBorderColor: pointColours, pointRadius: 4, tension: 0.2
    }];
    if (trend.cutoff !== null) {
      datasets.push({
        label: box.getAttribute("data-label-cutoff"),
        data: trend.scores.map(function () { return trend.cutoff; }),
        borderColor: colours.cutoff, borderDash: [6, 4], borderWidth: 1.5,
        pointRadius: 0, fill: false
      });
    }
    box.hidden = false;
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (c) {
            return c.dataset.label + ": " + number(c.parsed.y);
          } } }
        },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: box.getAttribute("data-label-score") } },
          x: { ticks: { maxRotation: 0, autoSkip: true } }
        }
      }
    });
  });
})();
