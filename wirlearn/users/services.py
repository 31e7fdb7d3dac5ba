"""Administering people: create, edit, deactivate, import coordinators from CSV.

Functions flush but do not commit; problems an admin can fix raise ``UserAdminError``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from confusable_homoglyphs import categories, confusables
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn import signals
from wirlearn.audit.services import record
from wirlearn.auth.models import ROLES, User
from wirlearn.auth.services import count_admins, normalize_email
from wirlearn.extensions import db
from wirlearn.programme.models import Region


class UserAdminError(Exception):
    """A change the rules do not allow; the message is for the admin."""


def check_email(email: str) -> str:
    """The normalised address (NFKC, lower case: as auth stores and compares it), or
    UserAdminError with a German message."""
    try:
        return normalize_email(validate_email(normalize_email(email), check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise UserAdminError(_("„%(email)s“ ist keine gültige E-Mail-Adresse.", email=email)) from error


def latin_lookalike(address: str) -> str:
    """``address`` with every letter of another script that looks like a Latin one replaced by
    it (Unicode's confusables data): "аnna" with a Cyrillic а becomes "anna"."""
    result = []
    for character in address:
        if categories.alias(character) in ("LATIN", "COMMON", "INHERITED"):
            result.append(character)
            continue
        found = confusables.is_confusable(character, preferred_aliases=["latin"]) or []
        homoglyphs = [glyph["c"] for item in found for glyph in item["homoglyphs"]]
        result.append(homoglyphs[0].lower() if homoglyphs else character)
    return "".join(result)


def lookalike_of(email: str, *, exclude_id: int | None = None) -> str | None:
    """An existing address that ``email`` only imitates by mixing scripts (or that imitates it),
    or None. Both directions: a Cyrillic "аnna@…" next to a Latin "anna@…" is refused whichever
    came first."""
    skeleton = latin_lookalike(email)
    candidates = []
    if skeleton != email and confusables.is_mixed_script(email):
        candidates.append(skeleton)
    domain = email.rpartition("@")[2]
    query = select(User.email).where(User.email.endswith("@" + domain, autoescape=True), User.id != (exclude_id or -1))
    if email.isascii():
        # Only addresses with other scripts can imitate this one; they share its domain.
        others = [other for other in db.session.scalars(query) if not other.isascii()]
        for other in others:
            if other != email and latin_lookalike(other) == email and confusables.is_mixed_script(other):
                return other
        return None
    if candidates:
        return db.session.scalar(select(User.email).where(User.email.in_(candidates), User.id != (exclude_id or -1)))
    return None


def _refuse_lookalike(email: str, exclude_id: int | None = None) -> None:
    existing = lookalike_of(email, exclude_id=exclude_id)
    if existing:
        raise UserAdminError(
            _(
                "Die Adresse %(email)s sieht aus wie die schon vergebene Adresse %(existing)s, mischt aber Schriftsysteme. "
                "Bitte prüfen Sie die Schreibweise.",
                email=email,
                existing=existing,
            )
        )


def _check(values: dict, user: User | None = None) -> None:
    roles = set(values.get("roles") or ())
    if not roles:
        raise UserAdminError(_("Bitte wählen Sie mindestens eine Rolle."))
    if roles - set(ROLES):
        raise UserAdminError(_("Unbekannte Rolle."))
    if "coordinator" in roles and not values.get("region_id"):
        raise UserAdminError(_("Koordinator/innen gehören zu einer Gebietskörperschaft: Bitte wählen Sie eine aus."))
    if values.get("region_id") and db.session.get(Region, values["region_id"]) is None:
        raise UserAdminError(_("Diese Gebietskörperschaft gibt es nicht."))
    name = (values.get("display_name") or "").strip()
    if not name:
        raise UserAdminError(_("Bitte geben Sie einen Namen ein."))
    taken = db.session.scalar(select(User.id).where(User.email == values["email"], User.id != (user.id if user else -1)))
    if taken:
        raise UserAdminError(_("Die E-Mail-Adresse %(email)s ist bereits vergeben.", email=values["email"]))
    _refuse_lookalike(values["email"], user.id if user else None)


def create_user(
    email: str,
    display_name: str,
    roles: set[str],
    region_id: int | None = None,
    *,
    password_hash: str | None = None,
    invite: bool = False,
) -> User:
    """Create a person; with ``invite`` they get an invitation e-mail (sent after the commit)."""
    values = {"email": check_email(email), "display_name": display_name.strip(), "roles": set(roles), "region_id": region_id}
    _check(values)
    user = User(email=values["email"], display_name=values["display_name"], region_id=region_id, password_hash=password_hash)
    user.set_roles(values["roles"])
    db.session.add(user)
    db.session.flush()
    record(
        "user.created",
        "user",
        user.id,
        after={"email": user.email, "display_name": user.display_name, "roles": sorted(roles), "region_id": region_id},
        subject_user_id=user.id,
    )
    if invite and password_hash is None:
        invite_user(user)
    return user


def invite_user(user: User) -> None:
    """Queue an invitation e-mail with a link to set the password (``user_invited``)."""
    if not user.active:
        raise UserAdminError(_("%(name)s ist deaktiviert und kann nicht eingeladen werden.", name=user.display_name))
    if user.password_hash:
        raise UserAdminError(
            _(
                "%(name)s hat bereits ein Passwort. Ein neues setzt die Person selbst über „Passwort vergessen?“.",
                name=user.display_name,
            )
        )
    record("user.invited", "user", user.id, subject_user_id=user.id)
    signals.user_invited.send(user)


def update_user(user: User, *, email: str, display_name: str, roles: set[str], region_id: int | None, acting_user: User) -> None:
    values = {"email": check_email(email), "display_name": display_name.strip(), "roles": set(roles), "region_id": region_id}
    _check(values, user)
    if user.id == acting_user.id and "admin" in user.roles and "admin" not in roles:
        raise UserAdminError(_("Sie können sich die Rolle Admin nicht selbst entziehen."))
    if "admin" in user.roles and "admin" not in roles and count_admins() <= 1:
        raise UserAdminError(_("Es muss mindestens eine aktive Person mit der Rolle Admin geben."))
    before = {"email": user.email, "display_name": user.display_name, "roles": sorted(user.roles), "region_id": user.region_id}
    user.email = values["email"]
    user.display_name = values["display_name"]
    user.region_id = region_id
    user.set_roles(values["roles"])
    after = {"email": user.email, "display_name": user.display_name, "roles": sorted(roles), "region_id": region_id}
    changed = {key for key in after if before[key] != after[key]}
    if changed:
        if "roles" in changed or "email" in changed:
            user.end_all_sessions()  # new rights take effect at the next sign-in
        record(
            "user.changed",
            "user",
            user.id,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            subject_user_id=user.id,
        )
    db.session.flush()


def set_active(user: User, active: bool, *, acting_user: User) -> None:
    if user.active == active:
        return
    if not active:
        if user.id == acting_user.id:
            raise UserAdminError(_("Sie können sich nicht selbst deaktivieren."))
        if "admin" in user.roles and count_admins() <= 1:
            raise UserAdminError(_("Es muss mindestens eine aktive Person mit der Rolle Admin geben."))
        user.end_all_sessions()
    user.active = active
    record(
        "user.activated" if active else "user.deactivated",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
        subject_user_id=user.id,
    )
    db.session.flush()


# --- CSV import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str


@dataclass(frozen=True)
class ImportResult:
    created: list[User]
    problems: list[ImportProblem]


def import_coordinators(text: str, *, invite: bool = False) -> ImportResult:
    """Create coordinators from CSV (columns email, name, region). All or nothing: with any
    problem nothing is added and every bad line is reported with its number."""
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = {"email", "name", "region"} - set(header)
    if missing:
        return ImportResult(
            [],
            [
                ImportProblem(
                    1,
                    _("Es fehlen Spalten: %(columns)s. Erwartet werden email, name, region.", columns=", ".join(sorted(missing))),
                )
            ],
        )
    reader.fieldnames = header
    regions = {region.name.lower(): region for region in db.session.scalars(select(Region))}
    regions.update({region.code: region for region in regions.copy().values() if region.code})
    existing = set(db.session.scalars(select(User.email)))
    seen: dict[str, int] = {}
    rows, problems = [], []
    for line_number, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        email_raw, name, region_raw = ((row.get(key) or "").strip() for key in ("email", "name", "region"))
        line_problems = []
        email = ""
        try:
            email = check_email(email_raw) if email_raw else ""
            if not email:
                line_problems.append(_("E-Mail-Adresse fehlt."))
        except UserAdminError as error:
            line_problems.append(str(error))
        if email and email in existing:
            line_problems.append(_("%(email)s ist bereits registriert.", email=email))
        elif email:
            try:
                _refuse_lookalike(email)
            except UserAdminError as error:
                line_problems.append(str(error))
        if email and email in seen:
            line_problems.append(_("%(email)s steht schon in Zeile %(line)d.", email=email, line=seen[email]))
        if not name:
            line_problems.append(_("Name fehlt."))
        elif len(name) > 200:
            line_problems.append(_("Der Name ist länger als 200 Zeichen."))
        region = regions.get(region_raw.lower()) or regions.get(region_raw)
        if region is None:
            line_problems.append(_("Gebietskörperschaft „%(region)s“ ist unbekannt.", region=region_raw))
        if email:
            seen.setdefault(email, line_number)
        if line_problems:
            problems.extend(ImportProblem(line_number, message) for message in line_problems)
        else:
            rows.append((email, name, region))
    if problems:
        return ImportResult([], problems)
    if not rows:
        return ImportResult([], [ImportProblem(1, _("Die Datei enthält keine Zeilen."))])
    created = [create_user(email, name, {"coordinator"}, region.id, invite=invite) for email, name, region in rows]
    return ImportResult(created, [])
