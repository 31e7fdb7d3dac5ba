"""German labels of the self check-in's audit events (collected by the audit feature)."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "attendance.self_checkin": _l("Selbst-Check-in"),
}
FIELD_LABELS = {
    "via": _l("Erfasst über"),
    "minutes_after_start": _l("Minuten nach Beginn"),
}
