"""Labels of the demo-data event (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {"demo.seeded": _l("Demodaten angelegt")}
FIELD_LABELS = {"coordinators": _l("Koordinationskräfte")}
