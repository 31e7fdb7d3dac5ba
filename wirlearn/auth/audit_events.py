"""Labels of the sign-in and account events (see wirlearn/audit/labels.py)."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from wirlearn.auth.models import User
from wirlearn.extensions import db

AUDIT_LABELS = {
    "auth.login": _l("Angemeldet"),
    "auth.login_failed": _l("Anmeldung fehlgeschlagen"),
    "auth.logout": _l("Abgemeldet (auf allen Geräten)"),
    "auth.password_set": _l("Passwort gesetzt"),
    "auth.2fa_enabled": _l("Zweiter Faktor eingerichtet"),
    "auth.2fa_disabled": _l("Zweiter Faktor ausgeschaltet"),
    "auth.2fa_failed": _l("Falscher Code beim zweiten Faktor"),
    "auth.recovery_code_used": _l("Wiederherstellungscode benutzt"),
    "auth.recovery_codes_renewed": _l("Wiederherstellungscodes erneuert"),
}
FIELD_LABELS = {
    "email": _l("E-Mail-Adresse"),
    "reason": _l("Grund"),
    "second_factor": _l("Zweiter Faktor"),
}
VALUE_LABELS = {
    "auth.login_failed.reason": {"credentials": _l("Adresse oder Passwort falsch"), "inactive": _l("Konto deaktiviert")},
    "auth.password_set.reason": {"link": _l("über einen Link aus einer E-Mail"), "change": _l("selbst geändert")},
    "auth.2fa_disabled.reason": {
        "self": _l("selbst ausgeschaltet"),
        "reset_by_admin": _l("von der Programmleitung zurückgesetzt"),
    },
    "second_factor": {"totp": _l("Code aus der App"), "recovery": _l("Wiederherstellungscode")},
}


def user_names(ids: Iterable[int]) -> dict[int, str]:
    """Display names of the given users (one query)."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()) if wanted else {}


RESOLVERS = {"user": user_names}
