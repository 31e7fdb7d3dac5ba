// Offline roll call, page side (loaded on every page a trainer or admin sees):
// - registers the service worker and asks it to keep the rosters of the next days;
// - keeps marks made without a network in IndexedDB (window.wirlearnOffline, used by roster.js);
// - shows "Offline – N Änderungen warten auf Übertragung";
// - sends waiting marks through the attendance API as soon as the network is back, with the
//   roster version they were made on and a one-time key, so a repeated send records once;
//   a 409 leaves them on the device for the conflict view of the roster page;
// - marks the server refused (403, 404, 422: session gone, person withdrawn, too early …) stay
//   on the device marked "refused" with the server's reason, are listed apart from the waiting
//   ones and are never sent again; the trainer discards them or re-enters them on the roster.
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
  banner.hidden = true;
  var bannerText = document.createElement("p");
  bannerText.className = "offline-banner__text";
  bannerText.setAttribute("role", "status");
  var bannerActions = document.createElement("p");
  bannerActions.className = "offline-banner__actions";
  // Refused marks: their own line and list, so the waiting count never includes them.
  var refusedBox = document.createElement("div");
  refusedBox.className = "offline-refused";
  refusedBox.hidden = true;
  var refusedCount = document.createElement("p");
  refusedCount.className = "offline-refused__count";
  refusedCount.id = "offline-abgelehnt";
  refusedCount.setAttribute("role", "status");
  var refusedList = document.createElement("ul");
  refusedList.className = "offline-refused__list";
  refusedList.setAttribute("aria-labelledby", refusedCount.id);
  refusedBox.appendChild(refusedCount);
  refusedBox.appendChild(refusedList);
  banner.appendChild(bannerText);
  banner.appendChild(bannerActions);
  banner.appendChild(refusedBox);
  // Outside the banner, so "discarded" is still announced when the banner goes away with it.
  var announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  var main = document.getElementById("inhalt");
  if (main) {
    main.insertBefore(announcer, main.firstChild);
    main.insertBefore(banner, main.firstChild);
  }
  var lastSynced = false;
  var lastProblems = [];
  var confirming = null;  // the session id whose "Verwerfen" waits for its confirmation

  // ``about``: which session and people, for screen readers; the name starts with what is
  // written on the control, so speaking the visible label still finds it.
  function button(label, onClick, kind, about) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "kern-btn kern-btn--" + (kind || "secondary") + " kern-btn--x-small";
    var span = document.createElement("span");
    span.className = "kern-label";
    span.textContent = label;
    if (about) {
      element.setAttribute("aria-label", label + about);
    }
    element.appendChild(span);
    element.addEventListener("click", onClick);
    return element;
  }

  function link(label, href, about) {
    var element = document.createElement("a");
    element.className = "kern-link";
    element.href = href;
    element.textContent = label;
    if (about) {
      element.setAttribute("aria-label", label + about);
    }
    return element;
  }

  function paragraph(className, content) {
    var element = document.createElement("p");
    element.className = className;
    element.textContent = content;
    return element;
  }

  function personName(userId, mark) {
    return mark.name || text("person").replace("{id}", userId);
  }

  function peopleOf(entry) {
    var names = Object.keys(entry.marks || {}).map(function (userId) { return personName(userId, entry.marks[userId]); });
    if (names.length > 3) {
      return names.slice(0, 3).join(", ") + " " + text("more").replace("{n}", String(names.length - 3));
    }
    return names.join(", ");
  }

  function refusedItem(entry) {
    var item = document.createElement("li");
    item.className = "offline-refused__item";
    var title = entry.title || "";
    var about = ": " + title + " – " + peopleOf(entry);
    item.appendChild(paragraph("offline-refused__title", title));
    var detail = entry.refused.detail || "";
    item.appendChild(paragraph("offline-refused__reason", text("reason").replace("{detail}", detail)));
    var marks = document.createElement("ul");
    marks.className = "offline-refused__marks";
    Object.keys(entry.marks || {}).forEach(function (userId) {
      var mark = entry.marks[userId];
      var line = personName(userId, mark) + " – " + (text("status-" + mark.status) || mark.status);
      // A person's own reason, unless it only repeats the one above.
      var own = (entry.refused.errors && entry.refused.errors[userId] || []).filter(function (message) {
        return detail.indexOf(message) === -1;
      });
      if (own.length) {
        line += ": " + own.join(" ");
      }
      var li = document.createElement("li");
      li.textContent = line;
      marks.appendChild(li);
    });
    item.appendChild(marks);

    var actions = document.createElement("p");
    actions.className = "offline-refused__actions";
    var confirm = document.createElement("div");
    confirm.className = "offline-refused__confirm";
    confirm.setAttribute("role", "group");
    var question = paragraph("offline-refused__question", text("discard-question").replace("{title}", title));
    question.id = "offline-verwerfen-" + entry.sessionId;
    question.tabIndex = -1;
    question.setAttribute("data-focus-key", "ask-" + entry.sessionId);
    confirm.setAttribute("aria-labelledby", question.id);
    confirm.appendChild(question);
    var answers = document.createElement("p");
    answers.className = "offline-refused__actions";
    var discard = button(text("discard"), function () {
      confirming = entry.sessionId;
      actions.hidden = true;
      confirm.hidden = false;
      question.focus();
    }, "secondary", about);
    discard.setAttribute("data-focus-key", "discard-" + entry.sessionId);
    actions.appendChild(discard);
    // 403/404: the session is gone or no longer the trainer's, so its roster would not open.
    if (entry.refused.status === 422 && entry.url && !onRoster(entry.sessionId)) {
      actions.appendChild(link(text("roster"), entry.url, ": " + title));
    }
    var yes = button(text("discard-yes"), function () { discardEntry(entry); }, "primary", about);
    yes.setAttribute("data-focus-key", "yes-" + entry.sessionId);
    var no = button(text("discard-no"), function () {
      confirming = null;
      confirm.hidden = true;
      actions.hidden = false;
      discard.focus();
    }, "secondary", about);
    no.setAttribute("data-focus-key", "no-" + entry.sessionId);
    answers.appendChild(yes);
    answers.appendChild(no);
    confirm.appendChild(answers);
    var asking = confirming === entry.sessionId;
    actions.hidden = asking;
    confirm.hidden = !asking;
    item.appendChild(actions);
    item.appendChild(confirm);
    return item;
  }

  function discardEntry(entry) {
    var items = Array.prototype.slice.call(refusedList.children);
    var index = items.indexOf(document.activeElement && document.activeElement.closest(".offline-refused__item"));
    confirming = null;
    return store.remove(entry.sessionId).then(function () {
      announcer.textContent = "";
      window.setTimeout(function () {
        announcer.textContent = text("discarded").replace("{title}", entry.title || "");
      }, 50);
      document.dispatchEvent(new CustomEvent("wirlearn:discarded", { detail: { sessionId: entry.sessionId } }));
      // Focus stays near where it was: the next refused entry, else the banner, else the page.
      var next = refusedList.querySelectorAll("[data-focus-key^='discard-']");
      var target = next[Math.min(Math.max(index, 0), next.length - 1)];
      if (target) {
        target.focus();
      } else if (!banner.hidden) {
        bannerText.tabIndex = -1;
        bannerText.focus();
      } else if (main) {
        main.focus();
      }
    });
  }

  var refusedShown = "";

  function renderRefused(refused) {
    var shown = JSON.stringify(refused.map(function (entry) { return [entry.sessionId, entry.updatedAt]; }));
    if (shown === refusedShown) {
      return;
    }
    refusedShown = shown;
    var focused = refusedList.contains(document.activeElement) ? document.activeElement.getAttribute("data-focus-key") : null;
    refusedList.replaceChildren.apply(refusedList, refused.map(refusedItem));
    if (focused) {
      var again = refusedList.querySelector("[data-focus-key='" + focused + "']");
      if (again) {
        again.focus();
      }
    }
  }

  function render() {
    return store.all().then(function (entries) {
      var waiting = entries.filter(function (entry) { return !entry.conflict && !entry.refused; });
      var count = waiting.reduce(function (sum, entry) { return sum + markCount(entry); }, 0);
      var conflicts = entries.filter(function (entry) { return entry.conflict && !entry.refused; });
      var refused = entries.filter(function (entry) { return entry.refused; });
      var refusedMarks = refused.reduce(function (sum, entry) { return sum + markCount(entry); }, 0);
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
      if (!parts.length && lastSynced && !refused.length) {
        parts.push(text("synced"));
      }
      if (count > 0 && navigator.onLine) {
        bannerActions.appendChild(button(text("send"), function () { sync(); }));
      }
      bannerText.textContent = parts.join(" ");
      bannerText.hidden = parts.length === 0;
      bannerActions.hidden = !bannerActions.childNodes.length;
      refusedCount.textContent = !refused.length ? "" : refusedMarks === 1 ? text("refused-one") : text("refused-many").replace("{n}", String(refusedMarks));
      refusedBox.hidden = !refused.length;
      renderRefused(refused);
      banner.hidden = parts.length === 0 && !refused.length;
      banner.classList.toggle("offline-banner--offline", !navigator.onLine);
      banner.classList.toggle("offline-banner--done", count === 0 && !conflicts.length && !refused.length && lastSynced);
      banner.classList.toggle("offline-banner--refused", refused.length > 0);
      document.documentElement.setAttribute("data-offline-pending", String(count));
      document.documentElement.setAttribute("data-offline-refused", String(refusedMarks));
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
        if (response.status >= 500 || response.status === 408 || response.status === 429) {
          // The server could not answer now: the marks keep waiting for the next chance.
          if (lastProblems.indexOf(text("retry")) === -1) {
            lastProblems.push(text("retry"));
          }
          return "later";
        }
        // Refused (403, 404, 422 …): sending the same marks again would be refused again.
        entry.refused = refusal(response.status, problem);
        return store.put(entry).then(function () { return "refused"; });
      });
    });
  }

  // What the device keeps of a refusal: the server's reason (German or English, as the page)
  // and the reasons per person (``errors.records`` maps user ids to messages).
  function refusal(status, problem) {
    var errors = {};
    var records = problem.errors && problem.errors.records;
    if (records && typeof records === "object" && !Array.isArray(records)) {
      Object.keys(records).forEach(function (key) {
        if (Array.isArray(records[key])) {
          errors[key] = records[key].map(String);
        }
      });
    }
    return { status: status, detail: String(problem.detail || problem.title || status), errors: errors, at: Date.now() };
  }

  function sync() {
    if (syncing || !navigator.onLine) {
      return syncing || Promise.resolve();
    }
    lastProblems = [];
    syncing = store.all().then(function (entries) {
      var results = [];
      var chain = Promise.resolve();
      entries.filter(function (entry) { return !entry.conflict && !entry.refused && markCount(entry) > 0; }).forEach(function (entry) {
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
