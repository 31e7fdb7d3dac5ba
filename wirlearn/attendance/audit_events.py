"""Labels of the attendance events (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

from wirlearn.attendance.services import STATUS_LABELS

AUDIT_LABELS = {
    "attendance.recorded": _l("Anwesenheit erfasst"),
    "attendance.changed": _l("Anwesenheit geändert"),
}
FIELD_LABELS = {
    "attendance.status": _l("Anwesenheit"),
    "note": _l("Notiz"),
    "roster_version": _l("Listenstand"),
}
VALUE_LABELS = {"attendance.status": STATUS_LABELS}
# Which save of the list it was: the trail keeps it for conflicts, readers do not need it.
HIDDEN_FIELDS = {"roster_version"}
