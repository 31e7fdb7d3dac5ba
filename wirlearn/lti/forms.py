from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from wirlearn.lti.platforms import PlatformValues, parse_deployment_ids


class PlatformForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Bitte geben Sie einen Namen an.")), Length(max=200)])
    issuer = StringField(
        _l("Aussteller (Issuer)"), validators=[DataRequired(_l("Bitte geben Sie den Aussteller an.")), Length(max=500)]
    )
    client_id = StringField(_l("Client-ID"), validators=[DataRequired(_l("Bitte geben Sie die Client-ID an.")), Length(max=255)])
    deployment_ids = TextAreaField(
        _l("Deployment-IDs"), validators=[DataRequired(_l("Bitte geben Sie mindestens eine Deployment-ID an.")), Length(max=2000)]
    )
    auth_login_url = StringField(
        _l("Authentifizierungs-URL"),
        validators=[DataRequired(_l("Bitte geben Sie die Authentifizierungs-URL an.")), Length(max=500)],
    )
    token_url = StringField(_l("Token-URL"), validators=[DataRequired(_l("Bitte geben Sie die Token-URL an.")), Length(max=500)])
    jwks_url = StringField(
        _l("Schlüssel-URL (JWKS)"), validators=[DataRequired(_l("Bitte geben Sie die Schlüssel-URL an.")), Length(max=500)]
    )

    def values(self) -> PlatformValues:
        return PlatformValues(
            name=self.name.data or "",
            issuer=self.issuer.data or "",
            client_id=self.client_id.data or "",
            deployment_ids=parse_deployment_ids(self.deployment_ids.data or ""),
            auth_login_url=self.auth_login_url.data or "",
            token_url=self.token_url.data or "",
            jwks_url=self.jwks_url.data or "",
        )


class SeriesChoiceForm(FlaskForm):
    series_id = SelectField(_l("Qualifizierungsreihe"), coerce=int, validate_choice=True)


class NewAccountForm(FlaskForm):
    region_id = SelectField(
        _l("Ihre Gebietskörperschaft"),
        coerce=int,
        validate_choice=True,
        validators=[DataRequired(_l("Bitte wählen Sie Ihre Gebietskörperschaft."))],
    )

    def __init__(self, *args, **kwargs):
        from sqlalchemy import select

        from wirlearn.extensions import db
        from wirlearn.programme.models import Region

        super().__init__(*args, **kwargs)
        regions = db.session.execute(select(Region.id, Region.name).order_by(Region.name)).all()
        self.region_id.choices = [(0, _l("bitte wählen"))] + [(region_id, name) for region_id, name in regions]
