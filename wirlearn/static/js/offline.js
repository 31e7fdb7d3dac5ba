// Offline roll call, page side (loaded on every page a trainer or admin sees):
// - registers the service worker and asks it to keep the rosters of the next days;
// - keeps marks made without a network in IndexedDB (window.wirlearnOffline, used by roster.js);
// - shows "Offline – N Änderungen warten auf Übertragung";
// - sends waiting marks through the attendance API as soon as the network is back, with the
//   roster version they were made on and a one-time key, so a repeated send records once;
//   a 409 leaves them on the device for the conflict view of the roster page.
(function () {
  "use strict";
  var script = document.querySelector("script[data-offline]");
  if (!script || !window.indexedDB) {
    return;
  }
  function text(name) {
    return script.getAttribute("data-text-" + name) || "";
  }

  // -- IndexedDB: one record per session ----------------------------------------------------
  var DB_NAME = "wirlearn-offline";
  var STORE = "pending";
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "sessionId" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opening;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  var store = {
    get: function (sessionId) { return run("readonly", function (s) { return s.get(sessionId); }); },
    all: function () { return run("readonly", function (s) { return s.getAll(); }); },
    put: function (entry) {
      entry.updatedAt = Date.now();
      return run("readwrite", function (s) { s.put(entry); }).then(changed);
    },
    remove: function (sessionId) { return run("readwrite", function (s) { s["delete"](sessionId); }).then(changed); }
  };

  function newKey() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return "offline-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function markCount(entry) {
    return Object.keys(entry.marks || {}).length;
  }

  // -- the banner ---------------------------------------------------------------------------
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = script.getAttribute("data-css");
  document.head.appendChild(style);
  var banner = document.createElement("div");
  banner.className = "offline-banner";
  banner.setAttribute("role", "status");
  banner.hidden = true;
  var bannerText = document.createElement("p");
  bannerText.className = "offline-banner__text";
  var bannerActions = document.createElement("p");
  bannerActions.className = "offline-banner__actions";
  banner.appendChild(bannerText);
  banner.appendChild(bannerActions);
  var main = document.getElementById("inhalt");
  if (main) {
    main.insertBefore(banner, main.firstChild);
  }
  var lastSynced = false;
  var lastProblems = [];

  function button(label, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "kern-btn kern-btn--secondary kern-btn--x-small";
    var span = document.createElement("span");
    span.className = "kern-label";
    span.textContent = label;
    element.appendChild(span);
    element.addEventListener("click", onClick);
    return element;
  }

  function link(label, href) {
    var element = document.createElement("a");
    element.className = "kern-link";
    element.href = href;
    element.textContent = label;
    return element;
  }

  function render() {
    return store.all().then(function (entries) {
      var waiting = entries.filter(function (entry) { return !entry.conflict; });
      var count = waiting.reduce(function (sum, entry) { return sum + markCount(entry); }, 0);
      var conflicts = entries.filter(function (entry) { return entry.conflict; });
      var parts = [];
      if (count > 0) {
        var pending = count === 1 ? text("pending-one") : text("pending-many").replace("{n}", String(count));
        parts.push(navigator.onLine ? pending : text("offline") + " – " + pending);
      } else if (!navigator.onLine) {
        parts.push(text("offline"));
      }
      bannerActions.replaceChildren();
      conflicts.forEach(function (entry) {
        parts.push(text("conflict").replace("{title}", entry.title || ""));
        if (!onRoster(entry.sessionId)) {
          bannerActions.appendChild(link(text("open"), entry.url));
        }
      });
      lastProblems.forEach(function (problem) { parts.push(problem); });
      if (!parts.length && lastSynced) {
        parts.push(text("synced"));
      }
      if (count > 0 && navigator.onLine) {
        bannerActions.appendChild(button(text("send"), function () { sync(); }));
      }
      bannerText.textContent = parts.join(" ");
      banner.hidden = parts.length === 0;
      banner.classList.toggle("offline-banner--offline", !navigator.onLine);
      banner.classList.toggle("offline-banner--done", count === 0 && !conflicts.length && lastSynced);
      document.documentElement.setAttribute("data-offline-pending", String(count));
    });
  }

  function changed() {
    return render();
  }

  function onRoster(sessionId) {
    var form = document.querySelector("form[data-roster]");
    return form && Number(form.getAttribute("data-session-id")) === sessionId;
  }

  // -- sending ------------------------------------------------------------------------------
  var syncing = null;

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function send(entry) {
    var records = Object.keys(entry.marks).map(function (userId) {
      var mark = entry.marks[userId];
      return { user_id: Number(userId), status: mark.status, note: mark.note || "" };
    });
    return fetch("/api/v1/sessions/" + entry.sessionId + "/attendance", {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ version: entry.version, records: records, submission_key: entry.key })
    }).then(function (response) {
      if (response.ok) {
        return store.remove(entry.sessionId).then(function () { return "saved"; });
      }
      return response.json().catch(function () { return {}; }).then(function (problem) {
        if (response.status === 409) {
          entry.conflict = true;
          return store.put(entry).then(function () { return "conflict"; });
        }
        if (response.status === 401) {
          lastProblems = [text("signin")];
          return "stop";
        }
        lastProblems.push(text("refused").replace("{title}", entry.title || "").replace("{detail}", problem.detail || String(response.status)));
        entry.refused = problem.detail || String(response.status);
        return "refused";
      });
    });
  }

  function sync() {
    if (syncing || !navigator.onLine) {
      return syncing || Promise.resolve();
    }
    lastProblems = [];
    syncing = store.all().then(function (entries) {
      var results = [];
      var chain = Promise.resolve();
      entries.filter(function (entry) { return !entry.conflict && markCount(entry) > 0; }).forEach(function (entry) {
        chain = chain.then(function (outcome) {
          if (outcome === "stop") {
            return outcome;
          }
          return send(entry).then(function (result) { results.push([entry, result]); return result; });
        });
      });
      return chain.then(function () { return results; });
    }).then(function (results) {
      if (results.some(function (pair) { return pair[1] === "saved"; })) {
        lastSynced = true;
      }
      document.dispatchEvent(new CustomEvent("wirlearn:synced", { detail: results }));
      return render();
    }, function () {
      return render();  // the network failed on the way: try again at the next chance
    }).then(function () {
      syncing = null;
    });
    return syncing;
  }

  window.wirlearnOffline = { get: store.get, put: store.put, remove: store.remove, newKey: newKey, sync: sync, render: render };

  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", function () { render(); });

  // -- the service worker ------------------------------------------------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(script.getAttribute("data-sw"), { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "refreshed") {
          document.documentElement.setAttribute("data-offline-ready", String(event.data.kept));
        }
      });
      // The start page refreshes the kept rosters every time; other pages at most every
      // ten minutes (each refresh fetches every kept roster once).
      var last = Number(window.localStorage.getItem("wirlearn-offline-refreshed") || 0);
      var onStart = window.location.pathname === "/training";
      if (navigator.onLine && registration.active && (onStart || Date.now() - last > 10 * 60 * 1000)) {
        window.localStorage.setItem("wirlearn-offline-refreshed", String(Date.now()));
        registration.active.postMessage({ type: "refresh", manifest: script.getAttribute("data-manifest") });
      }
    })["catch"](function () { /* no worker (private mode): the pages still work online */ });
  }

  render().then(function () {
    if (navigator.onLine) {
      sync();
    }
  });
})();
