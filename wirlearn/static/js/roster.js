// Comfort for the roster form; everything also works without JavaScript.
// - "Alle anwesend" fills the open rows right here instead of a round trip to the server.
// - A live count of recorded rows.
// - The save button is disabled after the first click (the server records a double submit
//   once anyway).
// - Without a network the marks are kept on the device (offline.js) and come back when the
//   page is opened again; a list another trainer saved meanwhile opens the usual conflict view;
//   marks the server refused are filled in again (where the person is still listed) to be
//   checked and saved online.
// - The focused control is scrolled clear of the sticky save bar (WCAG 2.2 SC 2.4.11).
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
      keepIfOffline();
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("segmented__input")) {
      updateCount();
    }
    keepIfOffline();
  });
  form.addEventListener("input", function (event) {
    if (event.target.type === "text") {
      keepIfOffline();
    }
  });

  // -- offline: marks wait on the device -------------------------------------------------------
  var offline = window.wirlearnOffline;
  var sessionId = Number(form.getAttribute("data-session-id"));
  var versionInput = form.querySelector('input[name="version"]');
  var offlineNote = document.createElement("p");
  offlineNote.className = "kern-body roster-offline-note";
  offlineNote.setAttribute("role", "status");
  offlineNote.hidden = true;
  form.insertBefore(offlineNote, form.querySelector(".roster-row"));

  function userIdOf(row) {
    return row.id.replace("zeile-", "");
  }

  function field(name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function changedMarks() {
    var marks = {};
    rows.forEach(function (row) {
      var uid = userIdOf(row);
      var checked = checkedIn(row);
      var status = checked ? checked.value : "";
      var note = field("note-" + uid).value.trim();
      var origStatus = field("orig-status-" + uid).value;
      var origNote = field("orig-note-" + uid).value;
      if (status && (status !== origStatus || note !== origNote)) {
        // The name goes along, so a refusal can say whose marks it was about on any page.
        var name = row.querySelector(".roster-row__name");
        marks[uid] = { status: status, note: note, origStatus: origStatus, origNote: origNote, name: name ? name.textContent.trim() : "" };
      }
    });
    return marks;
  }

  function keepOnDevice() {
    if (!offline) {
      return Promise.resolve();
    }
    var marks = changedMarks();
    return offline.get(sessionId).then(function (entry) {
      if (entry && entry.refused) {
        // Marks the server refused were filled into this form; what the form holds now is a
        // new attempt, made on this page's version of the list.
        entry = null;
      }
      if (!Object.keys(marks).length) {
        return entry ? offline.remove(sessionId) : null;
      }
      entry = entry || {
        sessionId: sessionId,
        title: form.getAttribute("data-title"),
        url: window.location.pathname,
        version: Number(versionInput.value),
        key: offline.newKey()
      };
      // Marks of an earlier visit keep the originals they were made on.
      Object.keys(marks).forEach(function (uid) {
        var earlier = entry.marks && entry.marks[uid];
        if (earlier) {
          marks[uid].origStatus = earlier.origStatus;
          marks[uid].origNote = earlier.origNote;
        }
      });
      entry.marks = marks;
      entry.conflict = false;
      return offline.put(entry);
    }).then(function () {
      offlineNote.textContent = form.getAttribute("data-kept-text");
      offlineNote.hidden = !Object.keys(marks).length;
    });
  }

  function keepIfOffline() {
    if (!navigator.onLine) {
      keepOnDevice();
    }
  }

  function apply(entry) {
    Object.keys(entry.marks).forEach(function (uid) {
      var mark = entry.marks[uid];
      var radio = form.querySelector('input[name="status-' + uid + '"][value="' + mark.status + '"]');
      if (radio) {
        radio.checked = true;
      }
      var note = field("note-" + uid);
      if (note) {
        note.value = mark.note;
      }
    });
    updateCount();
  }

  // The same conflict view as a form saved over someone else's list: send the form with the
  // version and the originals the marks were made on; the server answers with the conflict.
  function showConflict(entry) {
    versionInput.value = String(entry.version);
    Object.keys(entry.marks).forEach(function (uid) {
      var mark = entry.marks[uid];
      field("orig-status-" + uid).value = mark.origStatus;
      field("orig-note-" + uid).value = mark.origNote;
    });
    apply(entry);
    return offline.remove(sessionId).then(function () {
      form.requestSubmit(form.querySelector(".roster-actions__save"));
    });
  }

  if (offline && sessionId) {
    offline.get(sessionId).then(function (entry) {
      if (!entry) {
        return;
      }
      if (entry.conflict && navigator.onLine) {
        showConflict(entry);
        return;
      }
      apply(entry);
      offlineNote.textContent = form.getAttribute(entry.refused ? "data-refused-text" : "data-kept-text");
      offlineNote.hidden = false;
    });
    window.addEventListener("offline", keepOnDevice);
    document.addEventListener("wirlearn:synced", function (event) {
      event.detail.forEach(function (pair) {
        if (pair[0].sessionId !== sessionId) {
          return;
        }
        if (pair[1] === "saved") {
          window.location.reload();
        } else if (pair[1] === "conflict") {
          showConflict(pair[0]);
        } else if (pair[1] === "refused") {
          offlineNote.textContent = form.getAttribute("data-refused-text");
          offlineNote.hidden = false;
        }
      });
    });
    // Refused marks discarded in the banner: the form shows the saved list again.
    document.addEventListener("wirlearn:discarded", function (event) {
      if (event.detail.sessionId === sessionId) {
        form.reset();
        updateCount();
        offlineNote.hidden = true;
      }
    });
  }

  // -- the sticky save bar never covers the focused control --------------------------------------
  var bar = form.querySelector(".roster-actions");
  form.addEventListener("focusin", function (event) {
    if (!bar || bar.contains(event.target)) {
      return;
    }
    // A status is a visually hidden radio button; what the user sees focused is its label.
    var visible = event.target.type === "radio" && event.target.nextElementSibling ? event.target.nextElementSibling : event.target;
    window.requestAnimationFrame(function () {
      var overlap = visible.getBoundingClientRect().bottom - (bar.getBoundingClientRect().top - 12);
      if (overlap > 0) {
        window.scrollBy({ top: overlap, behavior: "instant" });
      }
    });
  });
  form.addEventListener("keydown", function (event) {
    // Enter in a note field does not send the whole list (the form's default button is
    // disabled for the same reason without JavaScript); this also keeps it from doing so
    // in browsers that ignore a disabled default button.
    if (event.key === "Enter" && event.target.type === "text") {
      event.preventDefault();
    }
  });

  form.addEventListener("submit", function (event) {
    if (!navigator.onLine && offline) {
      event.preventDefault();
      keepOnDevice();
      return;
    }
    var submitter = event.submitter;
    if (submitter && submitter.value === "save" && offline) {
      // The form now carries every mark that waited on the device (they were filled in on
      // load): the server decides about them, the device forgets them.
      offline.remove(sessionId);
    }
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
