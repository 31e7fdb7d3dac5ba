// wirlearn's service worker: keeps the trainer's start page, the rosters of their sessions of
// the next 14 and the last 7 days and the vendored assets, so the roll call opens without a
// network. Pages: network first, the kept copy when offline. Assets: the kept copy, refreshed
// in the background. Writes (POST, PUT) always go to the network; offline.js keeps marks made
// without one in IndexedDB and sends them later.
"use strict";

var CACHE = "wirlearn-offline-v1";
var FALLBACK = "/offline";
var KEPT_PAGE = /^\/(training|termine\/\d+\/anwesenheit)$/;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keep(cache, url) {
  return fetch(url, { credentials: "same-origin", redirect: "follow", cache: "no-store" }).then(function (response) {
    // A redirect (to the sign-in page) or an error is never kept as the page.
    if (response.ok && !response.redirected) {
      return cache.put(url, response).then(function () { return 1; });
    }
    return 0;
  }).catch(function () { return 0; });
}

// offline.js asks for a refresh on every page a trainer opens while online.
function refresh(manifestUrl) {
  return fetch(manifestUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (!response.ok || response.redirected) {
      throw new Error("manifest " + response.status);
    }
    return response.json();
  }).then(function (manifest) {
    return caches.open(CACHE).then(function (cache) {
      var wanted = manifest.pages.concat(manifest.assets);
      return Promise.all(wanted.map(function (url) { return keep(cache, url); })).then(function (kept) {
        // Rosters that left the 21-day span are dropped.
        return cache.keys().then(function (requests) {
          var keepSet = {};
          manifest.pages.forEach(function (url) { keepSet[new URL(url, self.location.origin).pathname] = true; });
          return Promise.all(requests.filter(function (request) {
            var path = new URL(request.url).pathname;
            return KEPT_PAGE.test(path) && !keepSet[path];
          }).map(function (request) { return cache.delete(request); }));
        }).then(function () {
          return { pages: manifest.pages.length, kept: kept.reduce(function (a, b) { return a + b; }, 0) };
        });
      });
    });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function (message) {
    if (event.source) {
      event.source.postMessage(message);
    }
  };
  if (data.type === "refresh" && data.manifest) {
    event.waitUntil(refresh(data.manifest).then(function (result) {
      reply({ type: "refreshed", pages: result.pages, kept: result.kept });
    }).catch(function () {
      reply({ type: "refresh-failed" });
    }));
  } else if (data.type === "clear") {
    event.waitUntil(caches.delete(CACHE).then(function () { return self.registration.unregister(); }));
  }
});

function fromNetworkKeepingPage(request, path) {
  return fetch(request).then(function (response) {
    if (KEPT_PAGE.test(path) && response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  });
}

function keptPage(path) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(path).then(function (hit) {
      if (hit) {
        return hit;
      }
      // The app's root and start page lead a trainer to the start page.
      if (path === "/" || path === "/start") {
        return cache.match("/training").then(function (start) { return start || cache.match(FALLBACK); });
      }
      return cache.match(FALLBACK);
    });
  });
}

function asset(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var network = fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      });
      if (hit) {
        network.catch(function () { /* offline: the kept copy serves */ });
        return hit;
      }
      return network;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fromNetworkKeepingPage(request, url.pathname).catch(function () {
      return keptPage(url.pathname).then(function (hit) {
        return hit || Response.error();
      });
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(asset(request));
  }
});
