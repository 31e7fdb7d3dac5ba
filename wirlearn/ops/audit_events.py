"""Labels of the data-retention events (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "user.anonymised": _l("Personendaten gelöscht (anonymisiert)"),
    "retention.purged": _l("Aufbewahrungsfristen angewandt"),
}
FIELD_LABELS = {
    "reason": _l("Grund"),
    "anonymised": _l("Anonymisierte Personen"),
    "notes_cleared": _l("Gelöschte Notizen"),
    "feedback_cleared": _l("Gelöschte Rückmeldungen"),
    "roster_keys_deleted": _l("Gelöschte Offline-Schlüssel"),
}
VALUE_LABELS = {"user.anonymised.reason": {"retention": _l("Aufbewahrungsfrist abgelaufen")}}
