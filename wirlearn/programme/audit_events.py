"""Labels of the programme events: regions, series, modules, sessions, enrollments
(see wirlearn/audit/labels.py)."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from wirlearn.audit.labels import iso_date, iso_time
from wirlearn.extensions import db
from wirlearn.programme.models import Region

AUDIT_LABELS = {
    "region.changed": _l("Gebietskörperschaft geändert"),
    "series.created": _l("Reihe angelegt"),
    "series.changed": _l("Reihe geändert"),
    "series.rules_changed": _l("Abschlussregeln der Reihe geändert"),
    "module.created": _l("Modul angelegt"),
    "module.changed": _l("Modul geändert"),
    "module.moved": _l("Modul verschoben"),
    "module.deleted": _l("Modul gelöscht"),
    "session.created": _l("Termin angelegt"),
    "session.changed": _l("Termin geändert"),
    "session.deleted": _l("Termin gelöscht"),
    "enrollment.created": _l("In die Reihe aufgenommen"),
    "enrollment.status_changed": _l("Teilnahmestatus geändert"),
}
FIELD_LABELS = {
    # regions
    "name": _l("Name"),
    "kind": _l("Art"),
    "code": _l("Schlüssel"),
    "regierungsbezirk": _l("Regierungsbezirk"),
    "part_of": _l("Gehört zu"),
    # series
    "title": _l("Titel"),
    "provider": _l("Anbieter"),
    "certificate_title": _l("Titel des Zertifikats"),
    "description": _l("Beschreibung"),
    "issuer_name": _l("Überreicht durch"),
    "place": _l("Ort"),
    "start_date": _l("Beginn"),
    "end_date": _l("Ende"),
    "min_attendance_percent": _l("Mindestanwesenheit (%)"),
    "min_module_attendance_percent": _l("Mindestanwesenheit je Modul (%)"),
    "excused_counts": _l("„Entschuldigt“ zählt als anwesend"),
    "late_counts": _l("„Verspätet“ zählt als anwesend"),
    "validity_months": _l("Gültigkeit (Monate)"),
    "auto_issue": _l("Zertifikat automatisch ausstellen"),
    "reminder_hour": _l("Erinnerung um (Uhr)"),
    "checkin_late_after_minutes": _l("Selbst-Check-in: „verspätet“ ab Minute"),
    "sessions_before_enrollment_count": _l("Termine vor der Einschreibung zählen"),
    # modules
    "teaching_units": _l("Unterrichtseinheiten"),
    "required": _l("Pflichtmodul"),
    "assessment_kind": _l("Art der Bewertung"),
    "max_points": _l("Höchstpunktzahl"),
    "pass_mark": _l("Bestehensgrenze"),
    "position": _l("Position"),
    # sessions
    "date": _l("Datum"),
    "start_time": _l("Beginn"),
    "end_time": _l("Ende"),
    "trainers": _l("Trainer/innen"),
    # enrollments
    "enrollment.status": _l("Teilnahmestatus"),
}
VALUE_LABELS = {
    "assessment_kind": {"pass_fail": _l("bestanden / nicht bestanden"), "points": _l("Punkte")},
    "enrollment.status": {"active": _l("aktiv"), "withdrawn": _l("ausgeschieden"), "completed": _l("abgeschlossen")},
}
VALUE_FORMATTERS = {"start_date": iso_date, "end_date": iso_date, "date": iso_date, "start_time": iso_time, "end_time": iso_time}
REFERENCES = {"trainers": "user", "region_id": "region"}


def region_names(ids: Iterable[int]) -> dict[int, str]:
    """Names of the given regions (one query)."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    return dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_(wanted))).all()) if wanted else {}


RESOLVERS = {"region": region_names}
