// ardvc web UI: draw the Plotly figures embedded in the page, load value diffs on demand.
"use strict";

function drawFigures() {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll("div.plot[data-figure]").forEach(function (div) {
    var source = document.getElementById(div.dataset.figure);
    if (!source || div.dataset.drawn) return;
    var fig = JSON.parse(source.textContent);
    Plotly.newPlot(div, fig.data, fig.layout, {responsive: true, displaylogo: false})
      .then(function () { div.dataset.drawn = "1"; });
  });
}

function lazyDiffs() {
  document.querySelectorAll("details.diff[data-src]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "1";
      var target = details.querySelector(".changes");
      fetch(details.dataset.src, {headers: {"Accept": "text/html"}})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { target.innerHTML = html; })
        .catch(function (status) { target.textContent = "could not load the changes (" + status + ")"; });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  drawFigures();
  lazyDiffs();
  // draw plots inside <details> once they open (Plotly needs a visible size)
  document.querySelectorAll("details").forEach(function (d) {
    d.addEventListener("toggle", function () { if (d.open) drawFigures(); });
  });
});
