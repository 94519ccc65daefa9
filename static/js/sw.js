// The service worker of the installable web app, served at /sw.js by regiozorg/pwa.py, which
// puts self.REGIOZORG before this code: {cache: versioned name, shell: [urls], offline: url,
// staticFromNetwork: true while developing (DEBUG), where static files change under one name}.
//
// What it keeps: ONLY the static shell (the CSS, scripts and icons every page loads) and the
// offline page. Pages carry patient data and are never kept: a navigation goes to the network
// and, when that fails, shows the offline page; every other request that is not a static file
// passes untouched. A response marked no-store is never kept, whatever its path.
/* global self, caches, clients, URL, Response */
"use strict";

var CONFIG = self.REGIOZORG;
var STATIC_PREFIX = "/static/";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CONFIG.cache)
      .then(function (cache) { return cache.addAll(CONFIG.shell); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  // Older shells go: only the cache of this version stays.
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name !== CONFIG.cache;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function storable(response) {
  var cacheControl = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/no-store/i.test(cacheControl);
}

function staticFirst(request) {
  return caches.open(CONFIG.cache).then(function (cache) {
    return cache.match(request).then(function (kept) {
      if (kept) { return kept; }
      return fetch(request).then(function (response) {
        if (storable(response)) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

function staticFromNetwork(request) {
  return caches.open(CONFIG.cache).then(function (cache) {
    return fetch(request).then(function (response) {
      if (storable(response)) { cache.put(request, response.clone()); }
      return response;
    }).catch(function () {
      return cache.match(request).then(function (kept) { return kept || Response.error(); });
    });
  });
}

function pageOrOffline(request) {
  return fetch(request).catch(function () {
    return caches.match(CONFIG.offline).then(function (page) {
      return page || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(pageOrOffline(request));
  } else if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(CONFIG.staticFromNetwork ? staticFromNetwork(request) : staticFirst(request));
  }
  // Everything else: not handled here, never kept.
});

// Web Push: the payload (JSON) names title, body and the address to open; all optional.
self.addEventListener("push", function (event) {
  var data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
  }
  var title = data.title || "Regiozorg";
  var options = {
    body: data.body || "Nieuw bericht in Regiozorg",
    icon: CONFIG.shell.filter(function (url) { return /icon-192/.test(url); })[0],
    data: { url: data.url || "/" },
    tag: data.tag || undefined,
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) { target = new URL("/", self.location.origin); }
  event.waitUntil(
    clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target.href && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return clients.openWindow(target.href);
    })
  );
});
