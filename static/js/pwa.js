// Registers the service worker (static/js/sw.js, served at /sw.js) so the app can be installed
// on a phone and shows a plain offline page. Only where browsers allow one: a secure context
// (https, or localhost while developing).
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  var worker = document.currentScript && document.currentScript.dataset.worker;
  if (!worker) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(worker, { scope: "/" })
      .catch(function () { /* the site works without it */ });
  });
})();
