"""The handover print file: every valid certificate of a series in one PDF, sorted by region and
then by name as a German reader expects (umlauts and accents with their base letter), after a
cover list with number, name, region and code, so the certificates can be handed over in order."""

from __future__ import annotations

from sqlalchemy import select

from wirlearn.auth.models import User
from wirlearn.certificates import design, pdf
from wirlearn.certificates.models import Certificate
from wirlearn.core.collation import sort_key
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Region, Series


def print_items(series_id: int) -> list[pdf.PrintItem]:
    rows = db.session.execute(
        select(Certificate.snapshot, Certificate.code, Region.name)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Region, Region.id == User.region_id)
        .where(Enrollment.series_id == series_id, Certificate.status == "valid")
    ).all()
    items = [pdf.PrintItem(snapshot=row.snapshot, code=row.code, region=row.name or "") for row in rows]
    # Without a region last; the name as printed on the certificate.
    return sorted(items, key=lambda item: (item.region == "", sort_key(item.region), sort_key(item.snapshot["holder_name"])))


def print_file(series: Series) -> bytes | None:
    """The PDF, or None when the series has no valid certificate."""
    items = print_items(series.id)
    if not items:
        return None
    images: dict[int, bytes] = {}
    for item in items:
        wanted = [image_id for image_id in design.image_ids(item.snapshot.get("design")) if image_id not in images]
        if wanted:
            images |= design.images_for({"design": item.snapshot["design"]})
    return pdf.render_handover(series.title, items, images, f"{local_today():%d.%m.%Y}")
