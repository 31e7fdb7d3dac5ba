"""Labels of the assessment events (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

from wirlearn.assessments.services import RESULT_LABELS
from wirlearn.audit.labels import iso_date

AUDIT_LABELS = {
    "assessment.recorded": _l("Bewertung erfasst"),
    "assessment.reassessed": _l("Neu bewertet"),
}
FIELD_LABELS = {
    "attempt": _l("Versuch"),
    "result": _l("Ergebnis"),
    "points": _l("Punkte"),
    "feedback": _l("Rückmeldung"),
    "assessed_on": _l("Bewertet am"),
}
VALUE_LABELS = {"result": RESULT_LABELS}
VALUE_FORMATTERS = {"assessed_on": iso_date}
