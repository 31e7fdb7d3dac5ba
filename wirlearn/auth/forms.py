from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from wirlearn.auth.passwords import password_problems


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-Mail-Adresse"), validators=[DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")), Length(max=254)]
    )
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")), Length(max=256)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-Mail-Adresse"), validators=[DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")), Length(max=254)]
    )

    def validate_email(self, field) -> None:
        try:
            validate_email((field.data or "").strip(), check_deliverability=False)
        except EmailNotValidError as error:
            raise ValidationError(_l("Bitte geben Sie eine gültige E-Mail-Adresse ein (z. B. name@example.org).")) from error


class NewPasswordMixin:
    """The rules of passwords.password_problems, shown next to the field."""

    def validate_password(self, field) -> None:
        problems = password_problems(field.data or "", email=getattr(self, "_email", None), name=getattr(self, "_name", None))
        if problems:
            raise ValidationError(" ".join(problems))


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField(_l("Neues Passwort"), validators=[DataRequired(_l("Bitte geben Sie ein neues Passwort ein."))])
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das Passwort.")),
            EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein.")),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        _l("Bisheriges Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr bisheriges Passwort ein."))]
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Bestätigungscode"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Code aus Ihrer App oder einen Wiederherstellungscode ein.")),
            Length(max=40),
        ],
    )


class EnrolTwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code aus der App"),
        validators=[DataRequired(_l("Bitte geben Sie den sechsstelligen Code aus Ihrer App ein.")), Length(max=40)],
    )


class TwoFactorCodeForm(FlaskForm):
    """A current code from the app, to confirm a change of the two-factor settings."""

    code = StringField(
        _l("Aktueller Code aus der App"),
        validators=[DataRequired(_l("Bitte geben Sie den sechsstelligen Code aus Ihrer App ein.")), Length(max=40)],
    )


class DisableTwoFactorForm(TwoFactorCodeForm):
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")), Length(max=256)])
