// "Link kopieren" for certificate share links: shown only where the clipboard can be used.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    // The script may be included once per certificate card: bind each button once.
    if (!field || button.getAttribute("data-bound")) { return; }
    button.setAttribute("data-bound", "1");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        var status = button.closest(".holder-links").querySelector(".copy-status");
        if (status) {
          status.textContent = button.getAttribute("data-copied");
          status.classList.remove("visually-hidden");
        }
      });
    });
  });
})();
