"""A series' certificate design: programme line, up to three logos, named signatories (with an
optional signature image) or the sentence for certificates without signature.

Rules:
* Images are PNG or JPEG *by content* (Pillow opens and verifies them; the name and the
  browser's type say nothing), at most ``MAX_IMAGE_BYTES`` and ``MAX_IMAGE_SIDE`` pixels per
  side. Anything else is refused with a German message and nothing is stored.
* An image row is never changed; a design names image ids. Issuing copies the design into the
  certificate's snapshot, so changing the design later never alters an issued certificate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.certificates.models import CertificateDesign, DesignImage
from wirlearn.extensions import db

DEFAULT_PROGRAMME_LINE = "Landesprogramm WIR"
ELECTRONIC_SENTENCE = "Dieses Zertifikat wurde elektronisch erstellt und ist ohne Unterschrift gültig."
MAX_LOGOS = 3
MAX_SIGNATORIES = 3
MAX_IMAGE_BYTES = 1_000_000
MAX_IMAGE_SIDE = 4_000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
NAME_MAX = 120
FUNCTION_MAX = 160


class DesignError(Exception):
    """Refused; ``str(error)`` is a German message."""


@dataclass(frozen=True)
class CheckedImage:
    mime_type: str
    width: int
    height: int
    data: bytes


def check_image(data: bytes, label: str) -> CheckedImage:
    """PNG or JPEG by content, within the size limits; DesignError otherwise."""
    if not data:
        raise DesignError(_("%(label)s: Die Datei ist leer.", label=label))
    if len(data) > MAX_IMAGE_BYTES:
        raise DesignError(_("%(label)s: Die Datei ist größer als 1 MB.", label=label))
    from PIL import Image, UnidentifiedImageError  # Pillow only where an upload is checked (worker memory)

    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format, image.size
            if image_format not in FORMATS:
                raise DesignError(_("%(label)s: Bitte laden Sie ein PNG- oder JPEG-Bild hoch.", label=label))
            if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
                raise DesignError(
                    _("%(label)s: Das Bild darf höchstens %(px)d Pixel breit und hoch sein.", label=label, px=MAX_IMAGE_SIDE)
                )
            image.verify()  # reads the whole file: a truncated or corrupt image fails here
    except DesignError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise DesignError(_("%(label)s: Bitte laden Sie ein PNG- oder JPEG-Bild hoch.", label=label)) from error
    return CheckedImage(FORMATS[image_format], width, height, data)


def design_for(series_id: int) -> CertificateDesign:
    """The stored design, or the default one (not added to the session)."""
    found = db.session.get(CertificateDesign, series_id)
    if found is not None:
        return found
    return CertificateDesign(
        series_id=series_id, programme_line=DEFAULT_PROGRAMME_LINE, logo_ids=[], signature_mode="signatories", signatories=[]
    )


def design_snapshot(series_id: int) -> dict[str, Any]:
    """What issuing copies into the snapshot."""
    found = design_for(series_id)
    return {
        "programme_line": found.programme_line or "",
        "logo_ids": list(found.logo_ids or []),
        "signature_mode": found.signature_mode,
        "signatories": [dict(item) for item in found.signatories or []],
    }


def image_ids(snapshot_design: dict[str, Any] | None) -> list[int]:
    if not snapshot_design:
        return []
    ids = list(snapshot_design.get("logo_ids") or [])
    ids += [item["signature_id"] for item in snapshot_design.get("signatories") or [] if item.get("signature_id")]
    return ids


def images_for(snapshot: dict[str, Any]) -> dict[int, bytes]:
    """The image bytes a snapshot's design names, in one query."""
    wanted = image_ids(snapshot.get("design"))
    if not wanted:
        return {}
    rows = db.session.execute(select(DesignImage.id, DesignImage.data).where(DesignImage.id.in_(wanted)))
    return {row.id: row.data for row in rows}


def store_image(series_id: int, kind: str, checked: CheckedImage) -> DesignImage:
    image = DesignImage(
        series_id=series_id,
        kind=kind,
        mime_type=checked.mime_type,
        width=checked.width,
        height=checked.height,
        data=checked.data,
    )
    db.session.add(image)
    db.session.flush()
    return image


@dataclass
class SignatoryInput:
    name: str
    function: str
    signature: bytes | None = None  # a new image upload
    keep_signature_id: int | None = None  # the image it had
    remove_signature: bool = False


def save_design(
    series_id: int,
    *,
    programme_line: str,
    signature_mode: str,
    signatories: list[SignatoryInput],
    new_logos: list[bytes],
    keep_logo_ids: list[int],
    updated_by_id: int | None,
) -> CertificateDesign:
    """Check everything first, then store (flush, no commit). DesignError with a German message
    for any bad part; nothing is stored then (the caller rolls back)."""
    programme_line = (programme_line or "").strip()
    if len(programme_line) > 200:
        raise DesignError(_("Die Programmzeile darf höchstens 200 Zeichen lang sein."))
    if signature_mode not in ("signatories", "electronic"):
        raise DesignError(_("Bitte wählen Sie, wie das Zertifikat unterzeichnet wird."))
    current = design_for(series_id)
    allowed_logos = [logo_id for logo_id in keep_logo_ids if logo_id in (current.logo_ids or [])]
    checked_logos = [check_image(data, _("Logo %(n)d", n=index + 1)) for index, data in enumerate(new_logos) if data]
    if len(allowed_logos) + len(checked_logos) > MAX_LOGOS:
        raise DesignError(_("Es sind höchstens %(n)d Logos möglich.", n=MAX_LOGOS))
    people = [item for item in signatories if (item.name or "").strip() or (item.function or "").strip() or item.signature]
    if len(people) > MAX_SIGNATORIES:
        raise DesignError(_("Es sind höchstens %(n)d Unterzeichnende möglich.", n=MAX_SIGNATORIES))
    if signature_mode == "signatories" and not people:
        raise DesignError(_("Bitte nennen Sie mindestens eine Person, die unterzeichnet, oder wählen Sie „ohne Unterschrift“."))
    known_signatures = {item.get("signature_id") for item in current.signatories or []} - {None}
    checked_people = []
    for number, person in enumerate(people, start=1):
        name, function = (person.name or "").strip(), (person.function or "").strip()
        if not name or not function:
            raise DesignError(_("Unterzeichnende %(n)d: Bitte geben Sie Name und Funktion an.", n=number))
        if len(name) > NAME_MAX or len(function) > FUNCTION_MAX:
            raise DesignError(
                _(
                    "Unterzeichnende %(n)d: Name höchstens %(a)d, Funktion höchstens %(b)d Zeichen.",
                    n=number,
                    a=NAME_MAX,
                    b=FUNCTION_MAX,
                )
            )
        signature = check_image(person.signature, _("Unterschrift %(n)d", n=number)) if person.signature else None
        keep = person.keep_signature_id if person.keep_signature_id in known_signatures and not person.remove_signature else None
        checked_people.append((name, function, signature, keep))

    logo_ids = allowed_logos + [store_image(series_id, "logo", checked).id for checked in checked_logos]
    stored_people = []
    for name, function, signature, keep in checked_people:
        signature_id = store_image(series_id, "signature", signature).id if signature else keep
        stored_people.append({"name": name, "function": function, "signature_id": signature_id})
    found = db.session.get(CertificateDesign, series_id)
    if found is None:
        found = CertificateDesign(series_id=series_id)
        db.session.add(found)
    found.programme_line = programme_line
    found.logo_ids = logo_ids
    found.signature_mode = signature_mode
    found.signatories = stored_people
    found.updated_by_id = updated_by_id
    db.session.flush()
    return found


def public_logo(image_id: int) -> DesignImage | None:
    """A logo that a series' design names (signature images are never served on their own)."""
    image = db.session.get(DesignImage, image_id)
    if image is None or image.kind != "logo":
        return None
    return image
