// Progressive enhancement only: tabs that scroll sideways (.nav-tabs-scroll, static/css/layout.css)
// show the active tab, also when it is the last one on a phone.
(function () {
  "use strict";
  document.querySelectorAll(".nav-tabs-scroll").forEach(function (strip) {
    var active = strip.querySelector(".nav-link.active");
    if (!active || strip.scrollWidth <= strip.clientWidth) { return; }
    var tab = active.getBoundingClientRect();
    var box = strip.getBoundingClientRect();
    if (tab.left >= box.left && tab.right <= box.right) { return; }
    strip.scrollLeft += tab.left - box.left - (box.width - tab.width) / 2;
  });
})();
