// Comfort for the roster form; everything also works without JavaScript.
// - "Alle anwesend" fills the open rows right here instead of a round trip to the server.
// - A live count of recorded rows.
// - The save button is disabled after the first click (the server records a double submit
//   once anyway).
(function () {
  "use strict";
  var form = document.querySelector("form[data-roster]");
  if (!form) {
    return;
  }
  var count = form.querySelector("[data-roster-count]");
  var rows = Array.prototype.slice.call(form.querySelectorAll(".roster-row"));

  function checkedIn(row) {
    return row.querySelector(".segmented__input:checked");
  }

  function updateCount() {
    if (!count) {
      return;
    }
    var done = rows.filter(checkedIn).length;
    count.textContent = count.getAttribute("data-template")
      .replace("{done}", String(done))
      .replace("{total}", String(rows.length));
  }

  var allPresent = form.querySelector("[data-roster-all-present]");
  if (allPresent) {
    allPresent.addEventListener("click", function (event) {
      event.preventDefault();
      rows.forEach(function (row) {
        if (!checkedIn(row)) {
          var present = row.querySelector('.segmented__input[value="present"]');
          if (present) {
            present.checked = true;
          }
        }
      });
      updateCount();
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("segmented__input")) {
      updateCount();
    }
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "save") {
      // Let this submit go through, then keep further clicks from sending it again.
      window.setTimeout(function () {
        form.querySelectorAll("[data-roster-save]").forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    }
  });

  var conflict = document.getElementById("konflikt");
  if (conflict) {
    conflict.focus();
  }
})();
