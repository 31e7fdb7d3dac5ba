"""The coordinator's dashboard says plainly where they stand: an issued certificate is announced
at the top with its download in the same message; while the minimum attendance can still be
reached it says how many of the remaining sessions must be attended."""

from __future__ import annotations

from sqlalchemy import select

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixtures
from wirlearn.attendance.models import Attendance
from wirlearn.certificates import services
from wirlearn.extensions import db
from wirlearn.programme.models import Session


def test_an_issued_certificate_is_announced_with_its_download_at_the_top(app, client, login, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, programme["main"], coordinator), issued_by_id=admin.id).code
        db.session.commit()
    login(client, coordinator)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    banner_start = page.index("Ihr Zertifikat ist ausgestellt.")
    banner = page[banner_start : page.index("</section>", banner_start)]
    assert f"/api/v1/certificates/{code}/pdf" in banner  # the download sits in the message
    assert banner_start < page.index("Nächste Termine")
    assert page.count(f'id="share-{code}"') == 1  # not repeated further down
    # Plain words first; the technical name only in the explanation behind "Was ist …?".
    assert "digitalen Brieftasche" not in page
    assert "Was ist der digitale Nachweis?" in page


def test_how_many_of_the_remaining_sessions_must_be_attended(app, client, login, factory, trainer, coordinator):
    series = factory.series(
        trainers=(trainer,), coordinators=(coordinator,), modules=({"title": "Grundlagen"},), days=((-12, -11, -10, 5, 6, 7),)
    )
    with app.app_context():
        enrollment = enrollment_id(app, series, coordinator)
        held = db.session.scalars(select(Session).where(Session.id.in_(series.session_ids[:3]))).all()
        for session in held:
            db.session.add(Attendance(session_id=session.id, enrollment_id=enrollment, status="present"))
            session.attendance_version = 1
        db.session.commit()
    login(client, coordinator)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    # 3 of 3 held attended, 3 to come: 80 % of 6 sessions needs 5, so 2 more.
    assert "Sie müssen noch mindestens 2 der 3 Termine besuchen." in page
