"""Labels of the certificate events (see wirlearn/audit/labels.py)."""

from flask_babel import lazy_gettext as _l

from wirlearn.audit.labels import iso_date

AUDIT_LABELS = {
    "certificate.issued": _l("Zertifikat ausgestellt"),
    "certificate.revoked": _l("Zertifikat widerrufen"),
    "certificate.reissued": _l("Zertifikat neu ausgestellt"),
    "certificate.resigned": _l("Zertifikat neu signiert (mit Statuslisten-Eintrag)"),
    "certificate.design_saved": _l("Zertifikatsgestaltung gespeichert"),
}
FIELD_LABELS = {
    "code": _l("Prüfcode"),
    "certificate.status": _l("Zustand"),
    "holder_name": _l("Name auf dem Zertifikat"),
    "kid": _l("Signaturschlüssel"),
    "valid_until": _l("Gültig bis"),
    "automatic": _l("Automatisch ausgestellt"),
    "certificate.reason": _l("Grund des Widerrufs"),
    "supersedes": _l("Ersetzt Zertifikat"),
    "status_list": _l("Statusliste"),
    "programme_line": _l("Programmzeile"),
    "logos": _l("Logos"),
    "signature_mode": _l("Unterzeichnung"),
    "signatories": _l("Unterzeichnende"),
}
VALUE_LABELS = {
    "certificate.status": {
        "valid": _l("gültig"),
        "revoked": _l("widerrufen"),
        "superseded": _l("ersetzt"),
        "expired": _l("abgelaufen"),
    }
}
VALUE_FORMATTERS = {"valid_until": iso_date}
