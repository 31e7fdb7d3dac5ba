"""German labels of the audit events this feature records (collected by the audit registry)."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "certificate.issued": _l("Zertifikat ausgestellt"),
    "certificate.revoked": _l("Zertifikat widerrufen"),
    "certificate.reissued": _l("Zertifikat neu ausgestellt"),
    "certificate.resigned": _l("Zertifikat neu signiert (mit Statuslisten-Eintrag)"),
    "certificate.design_saved": _l("Zertifikatsgestaltung gespeichert"),
}

FIELD_LABELS = {
    "code": _l("Prüfcode"),
    "status": _l("Status"),
    "holder_name": _l("Name"),
    "kid": _l("Schlüssel"),
    "valid_until": _l("Gültig bis"),
    "reason": _l("Grund"),
    "supersedes": _l("Ersetzt"),
    "automatic": _l("Automatisch"),
    "status_list": _l("Statusliste"),
    "programme_line": _l("Programmzeile"),
    "logos": _l("Logos"),
    "signature_mode": _l("Unterzeichnung"),
    "signatories": _l("Unterzeichnende"),
}
