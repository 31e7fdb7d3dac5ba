"""What the pages call each status: a German text and a symbol, so colour never carries the
meaning alone. ``tone`` picks the KERN badge colour."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Label:
    text: object  # lazy string
    symbol: str
    tone: str  # success | danger | warning | info | neutral


MODULE_STATES = {
    "passed": Label(_l("bestanden"), "✓", "success"),
    "failed": Label(_l("nicht bestanden"), "✗", "danger"),
    "awaiting_assessment": Label(_l("Bewertung ausstehend"), "…", "warning"),
    "running": Label(_l("läuft noch"), "○", "info"),
}

PARTICIPANT_STATUSES = {
    "unreachable": Label(_l("Mindestanwesenheit nicht erreichbar"), "!", "danger"),
    "open": Label(_l("noch offen"), "○", "warning"),
    "eligible": Label(_l("Zertifikat möglich"), "✓", "success"),
    "certified": Label(_l("zertifiziert"), "★", "success"),
    "withdrawn": Label(_l("ausgeschieden"), "–", "neutral"),
}

CERTIFICATE_STATES = {
    "issued": Label(_l("ausgestellt"), "★", "success"),
    "expired": Label(_l("abgelaufen"), "–", "warning"),
    "revoked": Label(_l("widerrufen"), "✗", "danger"),
    "eligible": Label(_l("alle Bedingungen erfüllt"), "✓", "success"),
    "not_yet": Label(_l("noch nicht erreicht"), "○", "info"),
}

ATTENDANCE = {
    "present": Label(_l("anwesend"), "✓", "success"),
    "late": Label(_l("verspätet"), "✓", "success"),
    "excused": Label(_l("entschuldigt"), "–", "warning"),
    "absent": Label(_l("nicht anwesend"), "✗", "danger"),
    None: Label(_l("nicht eingetragen – zählt als nicht anwesend"), "✗", "danger"),
    "unrecorded": Label(_l("Anwesenheit noch nicht erfasst"), "…", "warning"),
    "upcoming": Label(_l("geplant"), "○", "info"),
}

SORT_LABELS = {
    "name": _l("Name"),
    "region": _l("Gebietskörperschaft"),
    "bezirk": _l("Regierungsbezirk"),
    "attendance": _l("Anwesenheit"),
    "status": _l("Status"),
}


def attendance_label(entry) -> Label:
    """The label for a SessionAttendance: planned, not recorded yet, or the recorded status."""
    if not entry.ended:
        return ATTENDANCE["upcoming"]
    if not entry.held:
        return ATTENDANCE["unrecorded"]
    return ATTENDANCE.get(entry.status, ATTENDANCE[None])


def keep_percent(text) -> str:
    """ "80 %" never breaks between the number and the sign."""
    return str(text).replace(" %", "\u00a0%")


def matrix_words() -> dict:
    """The words of the overview's module cells, translated once per page instead of once per
    cell (a page of 50 participants × 8 modules asked the catalog over 1,600 times)."""
    return {
        "states": {key: str(label.text) for key, label in MODULE_STATES.items()},
        "visited_of": gettext("%(attended)d von %(held)d Terminen besucht"),
        "visited": gettext("Termine besucht"),
        "points": gettext("%(points)s P."),
    }


def template_globals() -> dict:
    return {
        "keep_percent": keep_percent,
        "matrix_words": matrix_words,
        "module_state_labels": MODULE_STATES,
        "participant_status_labels": PARTICIPANT_STATUSES,
        "certificate_state_labels": CERTIFICATE_STATES,
        "attendance_label": attendance_label,
    }
