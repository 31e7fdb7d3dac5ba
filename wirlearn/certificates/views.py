"""Pages: issuing per series (admins), one certificate with revoke and re-issue (admins), the
ZIP of a series, and "Meine Zertifikate" for holders. Downloads of a single PDF or credential
go through the API routes, which accept the browser session for GET."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_template,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from wirlearn.certificates import batch, codes, services
from wirlearn.certificates.forms import BatchForm, IssueForm, ReissueForm, RevokeForm
from wirlearn.certificates.models import Certificate
from wirlearn.core.access import roles_required
from wirlearn.core.forms import int_param
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Series

bp = Blueprint("certificates", __name__)

# A streamed batch stops starting new certificates after this long, well inside gunicorn's
# worker timeout (30 s); the page then offers to continue. The CLI has no such limit.
BATCH_SECONDS = 20


def _series_or_404(series_id: int) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        abort(404)
    return series


def _certificate_or_404(code: str) -> Certificate:
    certificate = services.certificate_by_code(code)
    if certificate is None:
        abort(404)
    return certificate


@bp.get("/verwaltung/reihen/<int:series_id>/zertifikate")
@roles_required("admin")
def series_certificates(series_id: int):
    from wirlearn.progress.services import progress_for_series

    series = _series_or_404(series_id)
    progresses = progress_for_series(series_id)
    by_enrollment: dict[int, list[Certificate]] = {}
    for certificate in services.certificates_of_series(series_id):
        by_enrollment.setdefault(certificate.enrollment_id, []).append(certificate)
    rows = []
    for progress in progresses:
        history = by_enrollment.get(progress.enrollment_id, [])
        current = next((item for item in reversed(history) if item.status == "valid"), None)
        rows.append({"progress": progress, "current": current, "history": history})
    ready = [row for row in rows if row["progress"].eligible and row["current"] is None]
    certified = [row for row in rows if row["current"] is not None]
    return render_template(
        "certificates/series.html",
        series=series,
        rows=rows,
        ready=ready,
        certified=certified,
        issue_form=IssueForm(),
        batch_form=BatchForm(),
        state_of=services.public_state,
        grouped=codes.grouped,
    )


@bp.post("/verwaltung/reihen/<int:series_id>/zertifikate/ausstellen")
@roles_required("admin")
def issue_one(series_id: int):
    _series_or_404(series_id)
    form = IssueForm()
    enrollment_id = int_param(form.enrollment_id.data) if form.validate_on_submit() else None
    enrollment = db.session.get(Enrollment, enrollment_id) if enrollment_id else None
    if enrollment is None or enrollment.series_id != series_id:
        abort(404)
    try:
        issued = services.issue_certificate(enrollment.id, issued_by_id=current_user.id)
    except services.CertificateError as error:
        db.session.rollback()
        message = str(error)
        if error.missing:
            message += " " + _("Es fehlt: %(items)s", items="; ".join(error.missing))
        flash(message, "error")
    else:
        db.session.commit()
        flash(
            _("Zertifikat für %(name)s ausgestellt: %(code)s", name=issued.holder_name, code=codes.grouped(issued.code)),
            "success",
        )
    return redirect(url_for("certificates.series_certificates", series_id=series_id))


@bp.get("/verwaltung/reihen/<int:series_id>/zertifikate/alle")
@roles_required("admin")
def confirm_batch(series_id: int):
    """Who would get a certificate, by name, before anything is signed."""
    series = _series_or_404(series_id)
    return render_template(
        "certificates/batch_confirm.html", series=series, todo=batch.candidates(series_id), batch_form=BatchForm()
    )


def _confirmed_ids() -> set[int] | None:
    """The enrollments the confirmation page listed (None: the form named none)."""
    raw = request.form.getlist("enrollment_id")
    if not raw:
        return None
    return {number for number in (int_param(value) for value in raw) if number is not None}


@bp.post("/verwaltung/reihen/<int:series_id>/zertifikate/alle")
@roles_required("admin")
def issue_batch(series_id: int):
    """Issue for the people confirmed (or, without a list, everyone eligible); the page is
    streamed, one line per certificate as it is committed, so the progress shows without any script.
    Someone who became eligible after the confirmation page was shown is left for the next run."""
    series = _series_or_404(series_id)
    if not BatchForm().validate_on_submit():
        abort(400)
    confirmed = _confirmed_ids()
    todo = [c for c in batch.candidates(series_id) if confirmed is None or c.enrollment_id in confirmed]
    budget = current_app.config.get("CERTIFICATE_BATCH_SECONDS", BATCH_SECONDS)
    steps = batch.issue_all(series_id, issued_by_id=current_user.id, selected=todo, time_budget=budget)
    response = Response(
        stream_template(
            "certificates/batch.html",
            series=series,
            total=len(todo),
            steps=steps,
            grouped=codes.grouped,
            batch_form=BatchForm(),
            selected_ids=[c.enrollment_id for c in todo],
        ),
        mimetype="text/html",
    )
    # Proxies must pass each line on at once instead of collecting the page.
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.get("/verwaltung/reihen/<int:series_id>/zertifikate.zip")
@roles_required("admin")
def series_zip(series_id: int):
    """All valid certificates of a series as PDFs in one ZIP, streamed: one PDF in memory at a time."""
    series = _series_or_404(series_id)
    ids = db.session.scalars(
        select(Certificate.id)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Enrollment.series_id == series_id, Certificate.status == "valid")
        .order_by(Certificate.id)
    ).all()
    if not ids:
        flash(_("Für diese Reihe gibt es noch keine gültigen Zertifikate."), "warning")
        return redirect(url_for("certificates.series_certificates", series_id=series_id))
    filename = f"zertifikate-{services.file_slug(series.title) or series_id}.zip"
    return Response(
        stream_with_context(_zip_stream(ids)),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Accel-Buffering": "no"},
    )


class _Chunks:
    """A write-only file for zipfile that hands out what was written since the last call."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _zip_stream(certificate_ids: list[int]) -> Iterator[bytes]:
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for certificate_id in certificate_ids:
            certificate = db.session.get(Certificate, certificate_id)
            archive.writestr(services.pdf_filename(certificate), services.pdf_bytes(certificate))
            db.session.expunge(certificate)  # keep the session from growing with the series
            yield sink.take()
    yield sink.take()


@bp.get("/verwaltung/zertifikate/<code>")
@roles_required("admin")
def detail(code: str):
    return _render_detail(_certificate_or_404(code))


def _render_detail(certificate: Certificate, status: int = 200, revoke_form=None, reissue_form=None):
    enrollment = db.session.get(Enrollment, certificate.enrollment_id)
    history = db.session.scalars(
        select(Certificate)
        .where(Certificate.enrollment_id == certificate.enrollment_id)
        .order_by(Certificate.issued_at, Certificate.id)
    ).all()
    html = render_template(
        "certificates/detail.html",
        certificate=certificate,
        enrollment=enrollment,
        history=history,
        state=services.public_state(certificate),
        successor=services.successor_code(certificate),
        revoke_form=revoke_form or RevokeForm(formdata=None),
        reissue_form=reissue_form or ReissueForm(formdata=None, holder_name=enrollment.user.display_name),
        grouped=codes.grouped,
        state_of=services.public_state,
        decision_of=services.state_decision,
    )
    return html, status


@bp.post("/verwaltung/zertifikate/<code>/widerrufen")
@roles_required("admin")
def revoke(code: str):
    certificate = _certificate_or_404(code)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_certificate(certificate.code, form.reason.data, revoked_by_id=current_user.id)
        except services.CertificateError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Das Zertifikat %(code)s ist widerrufen. Die Prüfseite zeigt das ab sofort.",
                    code=codes.grouped(certificate.code),
                ),
                "success",
            )
            return redirect(url_for("certificates.detail", code=certificate.code))
    return _render_detail(certificate, 422, revoke_form=form)


@bp.post("/verwaltung/zertifikate/<code>/neu-ausstellen")
@roles_required("admin")
def reissue(code: str):
    certificate = _certificate_or_404(code)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            issued = services.reissue_certificate(
                certificate.code,
                issued_by_id=current_user.id,
                holder_name=form.holder_name.data,
                link_successor=form.link_successor.data,
            )
        except services.CertificateError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _("Neues Zertifikat %(code)s ausgestellt; das bisherige ist ersetzt.", code=codes.grouped(issued.code)), "success"
            )
            return redirect(url_for("certificates.detail", code=issued.code))
    return _render_detail(certificate, 422, reissue_form=form)


@bp.get("/zertifikate")
@roles_required("coordinator")
def mine():
    certificates = services.certificates_of_user(current_user.id)
    return render_template(
        "certificates/mine.html",
        certificates=certificates,
        state_of=services.public_state,
        decision_of=services.state_decision,
        grouped=codes.grouped,
    )
