from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from wirlearn.auth.models import ROLES
from wirlearn.core.forms import ROLE_LABELS, MultiCheckboxField, choices, optional_int


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse ein.")),
            Length(max=254, message=_l("Höchstens 254 Zeichen.")),
        ],
    )
    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Bitte geben Sie einen Namen ein.")), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )
    roles = MultiCheckboxField(
        _l("Rollen"),
        choices=choices((role, ROLE_LABELS[role]) for role in ROLES),
        validators=[DataRequired(_l("Bitte wählen Sie mindestens eine Rolle."))],
    )
    region_id = SelectField(_l("Gebietskörperschaft"), coerce=optional_int, validate_choice=True)


class NewUserForm(UserForm):
    invite = BooleanField(_l("Einladung per E-Mail senden (Link zum Setzen des Passworts, 72 Stunden gültig)"), default=True)


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name oder E-Mail"), validators=[Length(max=100)])
    role = SelectField(_l("Rolle"), choices=choices([("", _l("alle"))] + [(role, ROLE_LABELS[role]) for role in ROLES]))
    state = SelectField(
        _l("Status"), choices=choices([("", _l("alle")), ("active", _l("aktiv")), ("inactive", _l("deaktiviert"))])
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV-Datei"),
        validators=[
            FileRequired(_l("Bitte wählen Sie eine Datei aus.")),
            FileAllowed(["csv", "txt"], _l("Bitte eine CSV-Datei hochladen.")),
        ],
    )
    invite = BooleanField(_l("Allen Angelegten eine Einladung per E-Mail senden"), default=True)
