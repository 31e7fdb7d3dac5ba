from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from wirlearn.core.forms import MultiCheckboxField, choices
from wirlearn.programme.models import REGION_KINDS

REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")
PERCENT = NumberRange(0, 100, _l("Bitte eine Zahl von 0 bis 100 eingeben."))
INVALID_NUMBER = _l("Bitte eine ganze Zahl eingeben.")
INVALID_DATE = _l("Bitte ein Datum eingeben (TT.MM.JJJJ).")


class GermanDateField(DateField):
    """Accepts 25.11.2026 as typed by hand and 2026-11-25 as sent by date pickers."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(INVALID_DATE)) from error
        if valuelist and self.data is None and valuelist[0]:
            raise ValueError(str(INVALID_DATE))


class GermanIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(INVALID_NUMBER)) from error


class SeriesForm(FlaskForm):
    title = StringField(_l("Titel der Reihe"), validators=[DataRequired(REQUIRED), Length(max=200)])
    provider = StringField(_l("Anbieter (Bildungsträger)"), validators=[DataRequired(REQUIRED), Length(max=200)])
    certificate_title = StringField(_l("Titel des Zertifikats"), validators=[DataRequired(REQUIRED), Length(max=200)])
    issuer_name = StringField(_l("Überreicht durch (z. B. Ministerium)"), validators=[Optional(), Length(max=200)])
    place = StringField(_l("Ort (für das Zertifikat)"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional(), Length(max=5000)])
    start_date = GermanDateField(_l("Beginn"), validators=[Optional()])
    end_date = GermanDateField(_l("Ende"), validators=[Optional()])
    min_attendance_percent = GermanIntegerField(
        _l("Mindestanwesenheit über alle Termine (%)"), default=80, validators=[InputRequired(REQUIRED), PERCENT]
    )
    min_module_attendance_percent = GermanIntegerField(_l("Mindestanwesenheit je Modul (%)"), validators=[Optional(), PERCENT])
    excused_counts = BooleanField(_l("„Entschuldigt“ zählt als anwesend"))
    late_counts = BooleanField(_l("„Verspätet“ zählt als anwesend"), default=True)
    sessions_before_enrollment_count = BooleanField(
        _l("Termine vor der Einschreibung zählen (sonst zählen sie weder dafür noch dagegen)")
    )
    validity_months = GermanIntegerField(
        _l("Gültigkeit des Zertifikats (Monate)"),
        validators=[Optional(), NumberRange(1, 1200, _l("Bitte eine Zahl von 1 bis 1200 eingeben."))],
    )
    auto_issue = BooleanField(_l("Zertifikat automatisch ausstellen, sobald alle Bedingungen erfüllt sind"))
    reminder_hour = GermanIntegerField(
        _l("Erinnerung am Vortag ab (Uhr)"),
        default=17,
        validators=[Optional(), NumberRange(0, 23, _l("Bitte eine volle Stunde von 0 bis 23 eingeben."))],
    )

    checkin_late_after_minutes = GermanIntegerField(
        _l("Selbst-Check-in: „verspätet“ ab Minute"),
        default=15,
        validators=[Optional(), NumberRange(0, 600, _l("Bitte eine Zahl von 0 bis 600 eingeben."))],
    )

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))

    def values(self) -> dict:
        return {
            name: self[name].data
            for name in (
                "title",
                "provider",
                "certificate_title",
                "issuer_name",
                "place",
                "description",
                "start_date",
                "end_date",
                "min_attendance_percent",
                "min_module_attendance_percent",
                "excused_counts",
                "late_counts",
                "sessions_before_enrollment_count",
                "validity_months",
                "auto_issue",
                "reminder_hour",
                "checkin_late_after_minutes",
            )
        } | {
            "issuer_name": (self.issuer_name.data or "").strip(),
            "place": (self.place.data or "").strip(),
            "description": (self.description.data or "").strip(),
            # Left empty: the usual quarter of an hour.
            "checkin_late_after_minutes": 15
            if self.checkin_late_after_minutes.data is None
            else self.checkin_late_after_minutes.data,
        }


class ModuleForm(FlaskForm):
    title = StringField(_l("Titel des Moduls"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional(), Length(max=5000)])
    teaching_units = GermanIntegerField(
        _l("Unterrichtseinheiten (UE)"),
        default=0,
        validators=[InputRequired(REQUIRED), NumberRange(0, 1000, _l("Bitte eine Zahl von 0 bis 1000 eingeben."))],
    )
    required = BooleanField(_l("Pflichtmodul (muss bestanden werden)"), default=True)
    assessment_kind = SelectField(
        _l("Art der Bewertung"),
        choices=choices([("pass_fail", _l("bestanden / nicht bestanden")), ("points", _l("Punkte mit Bestehensgrenze"))]),
    )
    max_points = GermanIntegerField(
        _l("Höchstpunktzahl"), validators=[Optional(), NumberRange(1, 10000, _l("Bitte eine Zahl von 1 bis 10000 eingeben."))]
    )
    pass_mark = GermanIntegerField(
        _l("Bestanden ab (Punkte)"),
        validators=[Optional(), NumberRange(0, 10000, _l("Bitte eine Zahl von 0 bis 10000 eingeben."))],
    )

    def validate_max_points(self, field):
        if self.assessment_kind.data == "points" and not field.data:
            raise ValidationError(_l("Für eine Bewertung nach Punkten braucht das Modul eine Höchstpunktzahl."))

    def validate_pass_mark(self, field):
        if self.assessment_kind.data == "points":
            if field.data is None:
                raise ValidationError(_l("Bitte geben Sie an, ab wie vielen Punkten das Modul bestanden ist."))
            if self.max_points.data and field.data > self.max_points.data:
                raise ValidationError(_l("Die Bestehensgrenze darf nicht über der Höchstpunktzahl liegen."))

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "description": (self.description.data or "").strip(),
            "teaching_units": self.teaching_units.data,
            "required": self.required.data,
            "assessment_kind": self.assessment_kind.data,
            "max_points": self.max_points.data,
            "pass_mark": self.pass_mark.data,
        }


class SessionForm(FlaskForm):
    date = GermanDateField(_l("Datum"), validators=[InputRequired(INVALID_DATE)])
    start_time = TimeField(_l("Beginn (Uhrzeit)"), validators=[InputRequired(_l("Bitte eine Uhrzeit eingeben (HH:MM)."))])
    end_time = TimeField(_l("Ende (Uhrzeit)"), validators=[InputRequired(_l("Bitte eine Uhrzeit eingeben (HH:MM)."))])
    place = StringField(_l("Ort"), validators=[Optional(), Length(max=200)])
    trainer_ids = MultiCheckboxField(_l("Trainer/innen"), coerce=int)

    def validate_end_time(self, field):
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError(_l("Das Ende muss nach dem Beginn liegen."))

    def values(self) -> dict:
        return {
            "date": self.date.data,
            "start_time": self.start_time.data,
            "end_time": self.end_time.data,
            "place": (self.place.data or "").strip(),
        }


class EnrollForm(FlaskForm):
    user_ids = MultiCheckboxField(
        _l("Koordinator/innen"), coerce=int, validators=[DataRequired(_l("Bitte wählen Sie mindestens eine Person aus."))]
    )


class RegionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    kind = SelectField(_l("Art"), choices=choices((kind, kind) for kind in REGION_KINDS))
    code = StringField(_l("Kreisschlüssel"), validators=[Optional(), Length(max=12)])
    regierungsbezirk = StringField(_l("Regierungsbezirk"), validators=[DataRequired(REQUIRED), Length(max=60)])
    part_of = StringField(_l("Gehört zu (bei Sonderstatusstädten)"), validators=[Optional(), Length(max=120)])

    def validate_code(self, field):
        if field.data and not (field.data.strip().isascii() and field.data.strip().isdigit()):
            raise ValidationError(_l("Der Kreisschlüssel besteht nur aus Ziffern."))

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "code": (self.code.data or "").strip() or None,
            "regierungsbezirk": self.regierungsbezirk.data.strip(),
            "part_of": (self.part_of.data or "").strip() or None,
        }
