"""Labels of the account administration events (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

from wirlearn.core.forms import ROLE_LABELS

AUDIT_LABELS = {
    "user.created": _l("Konto angelegt"),
    "user.invited": _l("Einladung verschickt"),
    "user.changed": _l("Konto geändert"),
    "user.activated": _l("Konto wieder aktiviert"),
    "user.deactivated": _l("Konto deaktiviert"),
    "user.password_link_created": _l("Link zum Setzen des Passworts erzeugt"),
}
FIELD_LABELS = {
    "email": _l("E-Mail-Adresse"),
    "display_name": _l("Name"),
    "roles": _l("Rollen"),
    "region_id": _l("Gebietskörperschaft"),
    "active": _l("Aktiv"),
}
VALUE_LABELS = {"roles": ROLE_LABELS}
REFERENCES = {"region_id": "region"}
