"""Helpers for the certificate tests: a signing key folder made once per run, and participants
made eligible through real attendance and assessment rows (eligibility itself is always the
progress engine's)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import SeriesRef, UserRef
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.certificates import keys
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module


@pytest.fixture(scope="session")
def signing_key_dir(tmp_path_factory):
    """A key folder with one RSA 3072 key, generated once for the whole run (that takes a while)."""
    folder = tmp_path_factory.mktemp("signing-keys")
    keys._write_private(folder / keys.KEY_FILE, keys.generate_private_key(), replace=False)
    return folder


@pytest.fixture
def app_settings(signing_key_dir):
    return {"SIGNING_KEY_DIR": str(signing_key_dir)}


def enrollment_id(app, series: SeriesRef, user: UserRef) -> int:
    with app.app_context():
        return db.session.scalar(select(Enrollment.id).where(Enrollment.series_id == series.id, Enrollment.user_id == user.id))


def make_eligible(app, series: SeriesRef, user: UserRef, *, skip_module: int | None = None) -> int:
    """Present at every session and passed in every module (except ``skip_module``, an index)."""
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.series_id == series.id, Enrollment.user_id == user.id))
        for session_id in series.session_ids:
            db.session.add(Attendance(session_id=session_id, enrollment_id=enrollment.id, status="present"))
        for index, module_id in enumerate(series.module_ids):
            if index == skip_module:
                continue
            module = db.session.get(Module, module_id)
            points = Decimal(module.max_points) if module.assessment_kind == "points" else None
            db.session.add(
                Assessment(
                    module_id=module_id,
                    enrollment_id=enrollment.id,
                    attempt=1,
                    result="passed",
                    points=points,
                    assessed_on=local_today(),
                )
            )
        db.session.commit()
        return enrollment.id


def png_bytes(width: int = 60, height: int = 30, color=(26, 61, 165), image_format: str = "PNG") -> bytes:
    """A small real image (Pillow), for logo and signature uploads."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=image_format)
    return buffer.getvalue()


def add_logo(series_id: int) -> int:
    """Give the series' design a logo (inside an app context; flushes); returns the image id."""
    from wirlearn.certificates import design

    image = design.store_image(series_id, "logo", design.check_image(png_bytes(), "Logo"))
    current = design.design_for(series_id)
    if current not in db.session:
        db.session.add(current)
    current.logo_ids = [*(current.logo_ids or []), image.id]
    db.session.flush()
    return image.id


def issue(app, series: SeriesRef, user: UserRef, **kwargs) -> str:
    """Issue ``user``'s certificate of ``series`` through the service and commit; its code."""
    from wirlearn.certificates import services
    from wirlearn.extensions import db

    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, user), **kwargs).code
        db.session.commit()
        return code
