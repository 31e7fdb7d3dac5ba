// The trainer's self check-in screen: fetch the current code and the live list every few
// seconds. Without JavaScript the page reloads itself (<noscript> refresh) instead.
(function () {
  "use strict";
  var root = document.querySelector("[data-checkin]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-state-url");
  var every = Math.max(2, parseInt(root.getAttribute("data-refresh"), 10) || 4) * 1000;
  var qr = root.querySelector("[data-checkin-qr]");
  var link = root.querySelector("[data-checkin-url]");
  var openBox = root.querySelector("[data-checkin-open]");
  var closedBox = root.querySelector("[data-checkin-closed]");
  var problem = root.querySelector("[data-checkin-problem]");
  var listIn = root.querySelector("[data-checkin-in]");
  var listWaiting = root.querySelector("[data-checkin-waiting]");
  var count = root.querySelector("[data-checkin-count]");
  var selfText = listIn.getAttribute("data-self");
  var lastCount = null;

  function fill(list, rows, withStatus) {
    var items = rows.map(function (row) {
      var item = document.createElement("li");
      item.appendChild(document.createTextNode(row.name + " "));
      if (withStatus) {
        var muted = document.createElement("span");
        muted.className = "muted";
        muted.textContent = "· " + row.label + (row.self ? " (" + selfText + ")" : "");
        item.appendChild(muted);
      }
      return item;
    });
    list.replaceChildren.apply(list, items);
  }

  function show(state) {
    openBox.hidden = !state.open;
    closedBox.hidden = state.open;
    problem.textContent = state.problem || "";
    if (state.open && qr.getAttribute("src") !== state.qr) {
      qr.setAttribute("src", state.qr);
      link.setAttribute("href", state.url);
      link.textContent = state.url;
    }
    fill(listIn, state.checked_in, true);
    fill(listWaiting, state.waiting, false);
    var total = state.checked_in.length + state.waiting.length;
    // The live region only speaks when the number changes, not every few seconds.
    if (lastCount !== state.checked_in.length) {
      lastCount = state.checked_in.length;
      count.textContent = count.getAttribute("data-template")
        .replace("{done}", String(state.checked_in.length))
        .replace("{total}", String(total));
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(show)
      .catch(function () { /* keep the last state; the next poll tries again */ })
      .then(function () {
        window.setTimeout(poll, every);
      });
  }
  window.setTimeout(poll, every);
})();
