"""The access matrix: every route × {anonymous, coordinator, other coordinator, trainer of the
series, trainer of another series, admin} with the expected outcome.

A route missing from MATRIX fails the suite, and so does a row for a route that no longer exists.
Every URL is built from ``sample_values``: ids of objects that belong to ``coordinator`` and to
the series ``trainer`` works in, so "other coordinator" and "trainer of another series" test the
object-level rules. A refused request must write nothing (the audit event of the refusal aside).

Adding a route: add its row here, with the profile that says who may call it; if its URL has a
new argument, add a sample value to ``sample_values``.
"""

from __future__ import annotations

import pytest

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.routes import all_routes, build_url, changed_tables, route_key, snapshot
from tests.support import bearer
from wirlearn import create_app

ROLES = ("anonymous", "coordinator", "other_coordinator", "other_trainer", "trainer", "admin")

ALLOW, DENY = "allow", "deny"


def profile(*allowed: str) -> dict[str, str]:
    return {role: ALLOW if role in allowed else DENY for role in ROLES}


PUBLIC = profile(*ROLES)
SIGNED_IN = profile("coordinator", "other_coordinator", "trainer", "other_trainer", "admin")
STAFF = profile("trainer", "other_trainer", "admin")
ADMIN = profile("admin")
SERIES_STAFF = profile("trainer", "admin")  # admins, and trainers of this series only
OWNER_AND_ADMIN = profile("coordinator", "admin")  # the participant the object belongs to
OWNER_SERIES_STAFF = profile("coordinator", "trainer", "admin")

MATRIX: dict[str, dict[str, str]] = {
    # core
    "GET core.home": PUBLIC,
    "GET core.start": SIGNED_IN,
    "POST core.set_language": PUBLIC,
    "GET core.privacy": PUBLIC,
    "GET core.imprint": PUBLIC,
    "GET core.accessibility": PUBLIC,
    "GET core.easy_language": PUBLIC,
    "GET core.health": PUBLIC,
    "GET static": PUBLIC,
    # auth
    "GET auth.login": PUBLIC,
    "POST auth.login": PUBLIC,
    "GET auth.second_factor": PUBLIC,
    "POST auth.second_factor": PUBLIC,
    "POST auth.logout": SIGNED_IN,
    "GET auth.set_password": PUBLIC,
    "POST auth.set_password": PUBLIC,
    "GET auth.change_password": SIGNED_IN,
    "POST auth.change_password": SIGNED_IN,
    "GET auth.two_factor": STAFF,
    "POST auth.two_factor": STAFF,
    "POST auth.two_factor_start": STAFF,
    "POST auth.two_factor_new_codes": STAFF,
    "POST auth.two_factor_disable": STAFF,
    "POST auth.two_factor_reset": ADMIN,
    "GET auth.forgot_password": PUBLIC,
    "POST auth.forgot_password": PUBLIC,
    "POST api_password_reset.password_reset": PUBLIC,
    # api
    "GET api-docs.openapi_json": PUBLIC,
    "POST api_token.token": PUBLIC,
    # users
    "GET users.index": ADMIN,
    "GET users.create": ADMIN,
    "POST users.create": ADMIN,
    "GET users.edit": ADMIN,
    "POST users.edit": ADMIN,
    "POST users.activate": ADMIN,
    "POST users.deactivate": ADMIN,
    "GET users.password_link": ADMIN,
    "POST users.password_link": ADMIN,
    "GET users.import_csv": ADMIN,
    "POST users.import_csv": ADMIN,
    "POST users.invite": ADMIN,
    "POST api_mail.invite": ADMIN,
    # mail: the Postausgang for admins, own settings and calendar feed for everyone signed in
    "GET mail.outbox": ADMIN,
    "POST mail.retry": ADMIN,
    "POST mail.cancel": ADMIN,
    "GET api_mail.outbox": ADMIN,
    "GET api_mail.outbox_message": ADMIN,
    "GET mail.preferences": SIGNED_IN,
    "POST mail.preferences": SIGNED_IN,
    "POST mail.new_feed": SIGNED_IN,
    "POST mail.revoke_feed": SIGNED_IN,
    "GET mail.calendar_feed": PUBLIC,
    # lti: what learning platforms call (the id_token and single-use state are the credentials),
    # the hand-over to wirlearn's pages, the trainer's pickers, the admins' page
    "GET lti.login": PUBLIC,
    "POST lti.login": PUBLIC,
    "POST lti.launch": PUBLIC,
    "GET lti.jwks": PUBLIC,
    "GET lti.dynamic_registration": PUBLIC,
    "GET lti.handoff": PUBLIC,
    "POST lti.create_account": PUBLIC,
    "POST lti.link_account": SIGNED_IN,
    "POST lti.sign_in_again": SIGNED_IN,
    "GET lti.deep_link": profile("trainer"),  # the trainer who launched, no one else
    "POST lti.deep_link": profile("trainer"),
    "GET lti.link_course": profile("trainer"),
    "POST lti.link_course": profile("trainer"),
    "GET lti.admin": ADMIN,
    "GET lti.new_platform": ADMIN,
    "POST lti.new_platform": ADMIN,
    "GET lti.edit_platform": ADMIN,
    "POST lti.edit_platform": ADMIN,
    "POST lti.confirm_platform": ADMIN,
    "POST lti.delete_platform": ADMIN,
    "POST lti.sync_roster": ADMIN,
    "POST lti.course_series": ADMIN,
    "GET lti.sync_result": ADMIN,
    "POST lti.retry_score": ADMIN,
    # programme
    "GET programme.series_index": ADMIN,
    "GET programme.series_create": ADMIN,
    "POST programme.series_create": ADMIN,
    "GET programme.series_detail": ADMIN,
    "GET programme.series_edit": ADMIN,
    "POST programme.series_edit": ADMIN,
    "GET programme.module_create": ADMIN,
    "POST programme.module_create": ADMIN,
    "GET programme.module_edit": ADMIN,
    "POST programme.module_edit": ADMIN,
    "POST programme.module_move": ADMIN,
    "POST programme.module_delete": ADMIN,
    "GET programme.session_create": ADMIN,
    "POST programme.session_create": ADMIN,
    "GET programme.session_edit": ADMIN,
    "POST programme.session_edit": ADMIN,
    "POST programme.session_delete": ADMIN,
    "GET programme.enrollments": ADMIN,
    "POST programme.enrollments": ADMIN,
    "POST programme.enrollment_status": ADMIN,
    "GET programme.regions": ADMIN,
    "GET programme.region_edit": ADMIN,
    "POST programme.region_edit": ADMIN,
    # attendance (trainer workflow): trainers only in the series they train
    "GET attendance.overview": STAFF,
    "GET attendance.series_overview": SERIES_STAFF,
    "GET attendance.roster": SERIES_STAFF,
    "POST attendance.roster": SERIES_STAFF,
    "GET attendance.signature_list": SERIES_STAFF,
    "GET attendance.export": SERIES_STAFF,
    "GET api_attendance.SessionAttendance": SERIES_STAFF,
    "PUT api_attendance.SessionAttendance": SERIES_STAFF,
    # self check-in: the code and the live list for the series' trainers; the address the QR
    # code carries is public (a stale code explains itself); checking in needs a sign-in
    "GET checkin.trainer": SERIES_STAFF,
    "GET checkin.trainer_state": SERIES_STAFF,
    "GET checkin.scan": PUBLIC,
    "GET checkin.confirm": SIGNED_IN,
    "POST checkin.confirm": SIGNED_IN,
    "GET api_checkin.CheckInToken": SERIES_STAFF,
    "POST api_checkin.CheckIn": SIGNED_IN,
    # offline roll call: the service worker and its fallback page carry no data
    "GET offline.service_worker": PUBLIC,
    "GET offline.fallback": PUBLIC,
    "GET offline.manifest": STAFF,
    "GET api_programme.series_index": SIGNED_IN,
    # assessments
    "GET api_assessments.ModuleAssessments": SERIES_STAFF,
    "PUT api_assessments.ParticipantAssessment": SERIES_STAFF,
    "GET assessments.sheet": SERIES_STAFF,
    "POST assessments.sheet": SERIES_STAFF,
    "GET assessments.export": SERIES_STAFF,
    # audit
    "GET audit.index": ADMIN,
    # progress: own data for participants, a series' data for its staff
    "GET progress.dashboard": profile("coordinator", "other_coordinator"),
    "GET progress.my_data": SIGNED_IN,
    "GET progress.overview /programm": STAFF,
    "GET progress.overview /programm/reihen/<int:series_id>": SERIES_STAFF,
    "GET progress.export": SERIES_STAFF,
    "GET progress.participant": SERIES_STAFF,
    "GET api_progress.my_progress": SIGNED_IN,
    "GET api_progress.series_progress": SERIES_STAFF,
    "GET api_progress.user_progress": OWNER_SERIES_STAFF,
    # certificates: public verification; holder and admins download; admins issue and revoke
    "GET verify.jwks": PUBLIC,
    "GET verify.lookup /v": PUBLIC,
    "GET verify.lookup /v/": PUBLIC,
    "GET verify.certificate": PUBLIC,
    # what the ids inside a credential resolve to
    "GET verify.ob_key": PUBLIC,
    "GET verify.ob_issuer": PUBLIC,
    "GET verify.ob_achievement": PUBLIC,
    "GET verify.ob_image": PUBLIC,
    "GET status.status_list": PUBLIC,
    "GET api_verify.verify": PUBLIC,
    "GET certificates.mine": profile("coordinator", "other_coordinator"),
    "GET api_certificates.credential": OWNER_AND_ADMIN,
    "GET api_certificates.pdf": OWNER_AND_ADMIN,
    "POST api_certificates.issue": ADMIN,
    "POST api_certificates.revoke": ADMIN,
    "GET certificates.series_certificates": ADMIN,
    "GET certificates.series_zip": ADMIN,
    "GET certificates.confirm_batch": ADMIN,
    "POST certificates.issue_batch": ADMIN,
    "POST certificates.issue_one": ADMIN,
    "GET certificates.detail": ADMIN,
    "POST certificates.reissue": ADMIN,
    "POST certificates.revoke": ADMIN,
    "GET certificate_design.page": ADMIN,
    "POST certificate_design.page": ADMIN,
    "GET certificate_design.preview": ADMIN,
    "GET certificate_design.image": ADMIN,
    "GET certificate_design.handover_pdf": ADMIN,
}


def sample_values(app, programme, coordinator) -> dict:
    """A value for every URL argument: objects of ``coordinator`` and of the series ``trainer`` works in."""
    from sqlalchemy import select

    from wirlearn.auth.models import User
    from wirlearn.auth.services import make_password_token
    from wirlearn.extensions import db
    from wirlearn.mail.models import OutboxMessage
    from wirlearn.programme.models import Enrollment

    main = programme["main"]
    with app.app_context():
        enrollment_id = db.session.scalar(
            select(Enrollment.id).where(Enrollment.series_id == main.id, Enrollment.user_id == coordinator.id)
        )
        token = make_password_token(db.session.get(User, coordinator.id))
        code = certificate_code(main, enrollment_id)
        from wirlearn.mail import services as mail_services
        from wirlearn.mail.outbox import queue_message

        queue_message("invitation", "access-matrix", to_address=coordinator.email, user_id=coordinator.id)
        message_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == "access-matrix"))
        feed_token = mail_services.new_calendar_token(coordinator.id)
        from tests.certificate_support import add_logo
        from wirlearn.certificates.models import Certificate

        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        kid, list_id = certificate.kid, certificate.status_list_id
        logo_id = add_logo(main.id)
        db.session.commit()
    from tests.lti_platform import sample_values as lti_sample_values

    return lti_sample_values(app, programme) | {
        "series_id": main.id,
        "module_id": main.module_ids[0],
        "session_id": main.session_ids[0],
        "user_id": coordinator.id,
        "enrollment_id": enrollment_id,
        "region_id": coordinator.region_id,
        "token": token,
        "filename": "css/app.css",
        "grant": "not-a-grant",
        "fmt": "csv",
        "code": code,
        "message_id": message_id,
        "feed_token": feed_token,
        "kid": kid,
        "list_id": list_id,
        "image_id": logo_id,
    }


def certificate_code(series, enrollment_id: int) -> str:
    """The code of a valid certificate of the enrollment, issued now if it has none yet: every
    session attended and every module passed (rows added only where there are none)."""
    from decimal import Decimal

    from sqlalchemy import select

    from wirlearn.assessments.models import Assessment
    from wirlearn.attendance.models import Attendance
    from wirlearn.certificates import services
    from wirlearn.core.timeutil import local_today
    from wirlearn.extensions import db
    from wirlearn.programme.models import Module

    existing = services.valid_certificate_for(enrollment_id)
    if existing is not None:
        return existing.code
    attended = set(db.session.scalars(select(Attendance.session_id).where(Attendance.enrollment_id == enrollment_id)))
    for session_id in series.session_ids:
        if session_id not in attended:
            db.session.add(Attendance(session_id=session_id, enrollment_id=enrollment_id, status="present"))
    assessed = set(db.session.scalars(select(Assessment.module_id).where(Assessment.enrollment_id == enrollment_id)))
    for module_id in series.module_ids:
        if module_id not in assessed:
            module = db.session.get(Module, module_id)
            points = Decimal(module.max_points) if module.assessment_kind == "points" else None
            db.session.add(
                Assessment(
                    module_id=module_id, enrollment_id=enrollment_id, result="passed", points=points, assessed_on=local_today()
                )
            )
    db.session.flush()
    issued = services.issue_certificate(enrollment_id)
    db.session.commit()
    return issued.code


def test_every_route_is_in_the_matrix():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    routes = {route_key(rule, method) for rule, method in all_routes(app)}
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert missing == [], f"routes without a row in the access matrix: {missing}"
    assert stale == [], f"rows for routes that do not exist: {stale}"


def is_refused(response, role: str) -> bool:
    # 404: the API answers "no such object" for objects the caller may not see, so that ids
    # reveal nothing; an allowed caller never gets it for the sample objects.
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return role == "anonymous" and response.status_code == 302 and location.startswith("/anmelden?next=")


# Bodies for routes whose ids travel in the form rather than the URL.
BODIES = {
    "POST certificates.issue_one": lambda values: {"enrollment_id": str(values["enrollment_id"])},
    # Valid bodies, so that the object-level rule is what decides (not the body's validation).
    "PUT api_attendance.SessionAttendance": lambda values: {
        "version": 0,
        "records": [{"user_id": values["user_id"], "status": "present"}],
    },
    "PUT api_assessments.ParticipantAssessment": lambda values: {"result": "passed"},
    "POST api_checkin.CheckIn": lambda values: {"token": "x" * 16},
}


def call(client, method: str, url: str, *, headers=None, body=None):
    if method == "GET":
        return client.get(url, headers=headers)
    if url.startswith("/api/"):
        return client.open(url, method=method, json=body or {}, headers=headers)
    return client.open(url, method=method, data=body or {}, headers=headers)


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_access(key, app, login, programme, request):
    method = key.split(" ", 1)[0]
    rule = next((rule for rule, m in all_routes(app) if m == method and route_key(rule, m) == key), None)
    assert rule is not None, f"{key} is not a route"
    coordinator = request.getfixturevalue("coordinator")
    values = sample_values(app, programme, coordinator)
    url = build_url(app, rule, values)
    body = BODIES[key](values) if key in BODIES else None
    problems = []
    for role in ROLES:
        client = app.test_client()
        headers = None
        if role != "anonymous":
            user = request.getfixturevalue(role)
            login(client, user)
            if url.startswith("/api/"):
                headers = bearer(app.test_client(), user)
        before = snapshot(app, skip=("audit_events",)) if method != "GET" else None
        response = call(client, method, url, headers=headers, body=body)
        response.close()
        expected = MATRIX[key][role]
        if response.status_code >= 500:
            problems.append(f"{role}: server error {response.status_code}")
            continue
        refused = is_refused(response, role)
        if expected == DENY and not refused:
            problems.append(f"{role}: expected refusal, got {response.status_code}")
        if expected == ALLOW and refused:
            problems.append(f"{role}: expected access, got {response.status_code}")
        if expected == DENY and before is not None:
            changed = changed_tables(before, snapshot(app, skip=("audit_events",)))
            if changed:
                problems.append(f"{role}: refused request changed {changed}")
    assert problems == [], f"{key} {url}: " + "; ".join(problems)
