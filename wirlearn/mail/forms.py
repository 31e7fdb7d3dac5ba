from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length

from wirlearn.core.forms import choices
from wirlearn.mail.kinds import KINDS

STATUS_LABELS = {
    "queued": _l("wartet"),
    "retrying": _l("neuer Versuch geplant"),
    "sent": _l("gesendet"),
    "failed": _l("fehlgeschlagen"),
    "cancelled": _l("verworfen"),
}


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Empfänger/in"), validators=[Length(max=100)])
    status = SelectField(_l("Status"), validate_choice=True)
    kind = SelectField(_l("Art"), validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices([("", _l("alle"))] + list(STATUS_LABELS.items()))
        self.kind.choices = choices(
            [("", _l("alle"))] + sorted(((name, kind.label) for name, kind in KINDS.items()), key=lambda pair: str(pair[1]))
        )


class PreferencesForm(FlaskForm):
    reminders = BooleanField(_l("Erinnerungen an Termine (am Vortag, mit Kalendereintrag) und Terminänderungen"))
    warnings = BooleanField(_l("Hinweise: Anwesenheit gefährdet, Anwesenheitsliste noch nicht erfasst"))
    digests = BooleanField(_l("Tägliche Übersicht der Anwesenheitswarnungen (Programmleitung)"))
