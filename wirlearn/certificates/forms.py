from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from wirlearn.certificates.services import REASON_MAX_LENGTH
from wirlearn.core.forms import choices


class IssueForm(FlaskForm):
    enrollment_id = HiddenField(validators=[DataRequired()])


class BatchForm(FlaskForm):
    """Only the CSRF token: issue for everyone eligible."""


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Grund des Widerrufs"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Grund für den Widerruf an.")),
            Length(max=REASON_MAX_LENGTH, message=_l("Höchstens %(max)d Zeichen.")),
        ],
    )


class ReissueForm(FlaskForm):
    holder_name = StringField(
        _l("Name auf dem neuen Zertifikat"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen an.")),
            Length(max=200, message=_l("Höchstens %(max)d Zeichen.")),
        ],
    )
    link_successor = BooleanField(
        _l("Auf der Prüfseite des bisherigen Zertifikats auf das neue verweisen"),
        description=_l("Ohne Haken zeigt die alte Prüfseite nur „ersetzt“ und keinen Namen."),
    )


class DesignForm(FlaskForm):
    """The series' certificate design. Images are checked by content in ``design.check_image``
    (not by name): a wrong file is a German message there and nothing is stored."""

    programme_line = StringField(
        _l("Programmzeile über der Überschrift"),
        description=_l("Zum Beispiel „Landesprogramm WIR“. Leer lassen, wenn keine gedruckt werden soll."),
        validators=[Length(max=200, message=_l("Höchstens %(max)d Zeichen."))],
    )
    logos = MultipleFileField(
        _l("Logos hinzufügen (PNG oder JPEG, je höchstens 1 MB und 4.000 Pixel)"),
        description=_l("Höchstens drei Logos; sie stehen nebeneinander oben auf dem Zertifikat."),
    )
    keep_logos = SelectMultipleField(_l("Vorhandene Logos"), coerce=int, validate_choice=False)
    signature_mode = RadioField(
        _l("Unterzeichnung"),
        choices=choices(
            [
                ("signatories", _l("Mit Namen der Unterzeichnenden")),
                (
                    "electronic",
                    _l("Ohne Unterschrift: „Dieses Zertifikat wurde elektronisch erstellt und ist ohne Unterschrift gültig.“"),
                ),
            ]
        ),
        default="signatories",
    )


SIGNATORY_ROWS = 3
for _number in range(1, SIGNATORY_ROWS + 1):
    setattr(
        DesignForm,
        f"name_{_number}",
        StringField(_l("Name"), validators=[Length(max=120, message=_l("Höchstens %(max)d Zeichen."))]),
    )
    setattr(
        DesignForm,
        f"function_{_number}",
        StringField(_l("Funktion"), validators=[Length(max=160, message=_l("Höchstens %(max)d Zeichen."))]),
    )
    setattr(DesignForm, f"signature_{_number}", FileField(_l("Unterschrift als Bild (optional, PNG oder JPEG)")))
    setattr(DesignForm, f"remove_signature_{_number}", BooleanField(_l("Bisherige Unterschrift entfernen")))
