/* Feedback where the eye is (progressive enhancement; every page works without it).
   - A form that came back with errors: focus its error summary (data-error-summary), which
     scrolls it into view and has screen readers read it.
   - A confirmation (flash) on a page that jumps to an anchor (#modul-3): show the message at
     that place instead of far above it, and focus it. */
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return false;
    if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
    summary.scrollIntoView({ block: "start", behavior: "instant" });
    summary.focus({ preventScroll: true });
    return true;
  }

  function bringFlashToAnchor() {
    var flashes = document.querySelectorAll(".flash");
    var id = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    var target = id ? document.getElementById(id) : null;
    if (!flashes.length || !target || target.closest("main") === null) return;
    var box = document.createElement("div");
    box.className = "flash-at-anchor";
    box.setAttribute("tabindex", "-1");
    Array.prototype.forEach.call(flashes, function (flash) { box.appendChild(flash); });
    target.insertBefore(box, target.firstChild);
    box.scrollIntoView({ block: "start", behavior: "instant" });
    box.focus({ preventScroll: true });
  }

  function run() {
    if (!focusSummary()) bringFlashToAnchor();
  }

  // After "load": the browser's own jump to the anchor and the fonts are done by then.
  if (document.readyState === "complete") {
    run();
  } else {
    window.addEventListener("load", run);
  }
})();
