from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from wirlearn.certificates.services import REASON_MAX_LENGTH


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
