"""Labels of the events the audit feature records itself (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "access.refused": _l("Zugriff verweigert"),
}
FIELD_LABELS = {
    "method": _l("Anfrage"),
    "path": _l("Adresse"),
}
