"""Admin pages of a series' certificate design: the form, a preview PDF before anything is
issued, and the handover print file (all valid certificates, by region and name, cover list).
A blueprint of its own, so the issuing pages' views stay as they are."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wirlearn.audit.services import record
from wirlearn.certificates import design, services
from wirlearn.certificates.forms import SIGNATORY_ROWS, DesignForm
from wirlearn.certificates.models import DesignImage
from wirlearn.core.access import roles_required
from wirlearn.core.forms import choices
from wirlearn.extensions import db
from wirlearn.programme.models import Series

bp = Blueprint("certificate_design", __name__)
PREFIX = "/verwaltung/reihen/<int:series_id>/zertifikate"


def _series_or_404(series_id: int) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        abort(404)
    return series


def _upload(storage) -> bytes | None:
    """The uploaded bytes (one more than allowed, so "too large" is known), the file closed."""
    if storage is None or not getattr(storage, "filename", ""):
        return None
    try:
        return storage.read(design.MAX_IMAGE_BYTES + 1)
    finally:
        storage.close()


def _form_for(current) -> DesignForm:
    form = DesignForm(formdata=None)
    form.programme_line.data = current.programme_line
    form.signature_mode.data = current.signature_mode
    form.keep_logos.data = list(current.logo_ids or [])
    for number, person in enumerate(current.signatories or [], start=1):
        getattr(form, f"name_{number}").data = person["name"]
        getattr(form, f"function_{number}").data = person["function"]
    return form


def _render(series: Series, form: DesignForm, status: int = 200):
    current = design.design_for(series.id)
    form.keep_logos.choices = choices([(logo_id, str(logo_id)) for logo_id in current.logo_ids or []])
    signatures = {number: person.get("signature_id") for number, person in enumerate(current.signatories or [], start=1)}
    html = render_template(
        "certificates/design.html",
        series=series,
        form=form,
        current=current,
        rows=range(1, SIGNATORY_ROWS + 1),
        signatures=signatures,
        electronic_sentence=design.ELECTRONIC_SENTENCE,
    )
    return html, status


@bp.route(f"{PREFIX}/gestaltung", methods=["GET", "POST"])
@roles_required("admin")
def page(series_id: int):
    series = _series_or_404(series_id)
    if request.method == "GET":
        return _render(series, _form_for(design.design_for(series_id)))
    form = DesignForm()
    current = design.design_for(series_id)
    form.keep_logos.choices = choices([(logo_id, str(logo_id)) for logo_id in current.logo_ids or []])
    if not form.validate_on_submit():
        return _render(series, form, 422)
    known = {number: person.get("signature_id") for number, person in enumerate(current.signatories or [], start=1)}
    people = [
        design.SignatoryInput(
            name=getattr(form, f"name_{number}").data or "",
            function=getattr(form, f"function_{number}").data or "",
            signature=_upload(getattr(form, f"signature_{number}").data),
            keep_signature_id=known.get(number),
            remove_signature=bool(getattr(form, f"remove_signature_{number}").data),
        )
        for number in range(1, SIGNATORY_ROWS + 1)
    ]
    before = design.design_snapshot(series_id)
    try:
        design.save_design(
            series_id,
            programme_line=form.programme_line.data or "",
            signature_mode=form.signature_mode.data,
            signatories=people,
            new_logos=[data for data in (_upload(item) for item in form.logos.data or []) if data],
            keep_logo_ids=list(form.keep_logos.data or []),
            updated_by_id=current_user.id,
        )
    except design.DesignError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _render(series, form, 422)
    record(
        "certificate.design_saved",
        "series",
        series_id,
        before=_audit(before),
        after=_audit(design.design_snapshot(series_id)),
        series_id=series_id,
    )
    db.session.commit()
    flash(_("Die Gestaltung ist gespeichert. Sie gilt für alle Zertifikate, die ab jetzt ausgestellt werden."), "success")
    return redirect(url_for("certificate_design.page", series_id=series_id))


def _audit(snapshot_design: dict) -> dict:
    return {
        "programme_line": snapshot_design["programme_line"],
        "logos": len(snapshot_design["logo_ids"]),
        "signature_mode": snapshot_design["signature_mode"],
        "signatories": ", ".join(f"{person['name']} ({person['function']})" for person in snapshot_design["signatories"]),
    }


@bp.get(f"{PREFIX}/vorschau.pdf")
@roles_required("admin")
def preview(series_id: int):
    """The certificate as it would look now, with a sample holder and "MUSTER" across the top."""
    series = _series_or_404(series_id)
    data = services.preview_pdf(series)
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="vorschau-{services.file_slug(series.title) or series_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.get(f"{PREFIX}/gestaltung/bilder/<int:image_id>")
@roles_required("admin")
def image(series_id: int, image_id: int):
    """A logo or signature image of this series, for the design page (admins only)."""
    found = db.session.get(DesignImage, image_id)
    if found is None or found.series_id != series_id:
        abort(404)
    return Response(found.data, mimetype=found.mime_type, headers={"Cache-Control": "private, max-age=3600"})


@bp.get(f"{PREFIX}/uebergabe.pdf")
@roles_required("admin")
def handover_pdf(series_id: int):
    series = _series_or_404(series_id)
    from wirlearn.certificates import handover  # reportlab only where a PDF is made (worker memory)

    data = handover.print_file(series)
    if data is None:
        flash(_("Für diese Reihe gibt es noch keine gültigen Zertifikate."), "warning")
        return redirect(url_for("certificates.series_certificates", series_id=series_id))
    filename = f"uebergabe-{services.file_slug(series.title) or series_id}.pdf"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
