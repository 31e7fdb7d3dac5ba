"""Rules of two-factor sign-in that the staff and the programme office rely on: the QR code sets
up this account with its pending secret, the key to type is shown in groups of four, a code is
taken once and only within one step of the clock, other digits are wrong codes and not errors,
switching off needs a code from the app, recovery codes are random, belong to one account and are
counted for it, and the audit log says who switched what, why, and who used or failed a code."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import select, text

from tests.conftest import do_login
from tests.functional.test_two_factor import code_for, enrol
from wirlearn.audit.models import AuditEvent
from wirlearn.auth import twofactor
from wirlearn.auth.models import RecoveryCode, User
from wirlearn.extensions import db

ARABIC_INDIC = "١٢٣٤٥٦"  # six digits, not ASCII


def enrol_directly(app, user_ref) -> tuple[str, list[str]]:
    """Two-factor sign-in switched on through the service (for a second account)."""
    with app.app_context():
        user = db.session.get(User, user_ref.id)
        secret = twofactor.start_enrolment(user)
        codes = twofactor.confirm_enrolment(user, pyotp.TOTP(secret).now())
        db.session.commit()
    return secret, codes


def events(app, action: str) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        return [(e.entity_type, e.entity_id, e.actor_id, e.subject_user_id, e.after) for e in rows]


def qr_text(data_url: str) -> str:
    """What a phone reads from the QR code: the SVG's squares drawn at 10 px per mm, decoded."""
    prefix = "data:image/svg+xml;base64,"
    assert data_url.startswith(prefix)
    svg = base64.b64decode(data_url.removeprefix(prefix)).decode("utf-8")
    size = float(re.search(r'viewBox="0 0 ([\d.]+) [\d.]+"', svg).group(1))
    image = Image.new("L", (round(size * 10), round(size * 10)), 255)
    draw = ImageDraw.Draw(image)
    for x, y, right, bottom in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", svg):
        draw.rectangle(
            [round(float(x) * 10), round(float(y) * 10), round(float(right) * 10) - 1, round(float(bottom) * 10) - 1], 0
        )
    results = zxingcpp.read_barcodes(image.resize((image.width * 4, image.height * 4)))
    assert len(results) == 1
    return results[0].text


def set_up_page(app, client, login, user) -> tuple[str, str]:
    """Start setting up the second factor as ``user``: the set-up page and the pending secret."""
    login(client, user)
    client.post("/konto/zwei-faktor/einrichten")
    page = client.get("/konto/zwei-faktor").get_data(as_text=True)
    with app.app_context():
        return page, db.session.get(User, user.id).totp_secret


def test_the_qr_code_sets_up_this_account_with_its_pending_secret(app, client, login, trainer):
    page, secret = set_up_page(app, client, login, trainer)
    uri = urlsplit(qr_text(re.search(r'<img src="(data:[^"]+)"', page).group(1)))
    assert (uri.scheme, uri.netloc, unquote(uri.path)) == ("otpauth", "totp", f"/wirlearn:{trainer.email}")
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["wirlearn"]}


def test_the_qr_code_fills_its_box_but_for_a_quiet_zone_of_two_modules_on_every_side(app, client, login, trainer):
    """The page draws the image at a fixed size (232 px): the white margin around the code is two
    modules wide, enough for phones to find the code and no wider, so the modules stay as large
    as the box allows."""
    page, _secret = set_up_page(app, client, login, trainer)
    data_url = re.search(r'<img src="(data:[^"]+)"', page).group(1)
    qr_text(data_url)  # a phone reads it
    svg = base64.b64decode(data_url.removeprefix("data:image/svg+xml;base64,")).decode("utf-8")
    size = float(re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).group(1))
    squares = [tuple(map(float, s)) for s in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", svg)]
    module = min(right - x for x, _y, right, _bottom in squares)
    margins = (
        min(x for x, _y, _r, _b in squares),  # left
        min(y for _x, y, _r, _b in squares),  # top
        size - max(right for _x, _y, right, _b in squares),  # right
        size - max(bottom for _x, _y, _r, bottom in squares),  # bottom
    )
    assert [round(margin / module, 3) for margin in margins] == [2, 2, 2, 2]


def test_the_key_to_type_by_hand_is_shown_in_groups_of_four(app, client, login, trainer):
    page, secret = set_up_page(app, client, login, trainer)
    shown = re.search(r'<code class="totp-secret">([^<]*)</code>', page).group(1)
    assert shown == " ".join(re.findall(".{4}", secret)) and len(secret) == 32


def test_a_code_counts_one_step_either_side_of_the_clock_and_no_further(app, trainer):
    secret, _codes = enrol_directly(app, trainer)
    now = time.time() + 300  # steps after the one used to switch it on
    totp = pyotp.TOTP(secret)
    with app.app_context():
        user = db.session.get(User, trainer.id)
        assert not twofactor.verify_totp(user, totp.at(now + 60), now=now)
        assert not twofactor.verify_totp(user, totp.at(now - 60), now=now)
        assert twofactor.verify_totp(user, totp.at(now + 30), now=now)


def test_a_code_is_taken_once_even_by_two_sign_ins_at_the_same_moment(app, trainer):
    """The second request sees only what the database holds, not the first request's copy."""
    secret, _codes = enrol_directly(app, trainer)
    code = code_for(secret, 1)
    with app.app_context(), db.session.no_autoflush:
        user = db.session.get(User, trainer.id)
        assert twofactor.verify_totp(user, code)
        db.session.expire(user)
        assert not twofactor.verify_totp(user, code)


def test_codes_in_other_digits_are_wrong_codes_not_errors(app, client, login, trainer):
    login(client, trainer)
    enrol(app, client, trainer)
    browser = app.test_client()
    do_login(browser, trainer)
    wrong = browser.post("/anmelden/bestaetigen", data={"code": ARABIC_INDIC})
    assert wrong.status_code == 200 and "nicht richtig" in wrong.get_data(as_text=True)
    off = client.post("/konto/zwei-faktor/abschalten", data={"off-password": trainer.password, "off-code": ARABIC_INDIC})
    assert off.status_code == 302
    renew = client.post("/konto/zwei-faktor/neue-codes", data={"codes-code": ARABIC_INDIC})
    assert renew.status_code == 302
    with app.app_context():
        assert db.session.get(User, trainer.id).totp_enabled


def test_switching_off_needs_a_code_from_the_app_not_a_recovery_code(app, client, login, trainer):
    login(client, trainer)
    _secret, codes = enrol(app, client, trainer)
    for code in (codes[0], "abcdef"):
        client.post("/konto/zwei-faktor/abschalten", data={"off-password": trainer.password, "off-code": code})
        with app.app_context():
            assert db.session.get(User, trainer.id).totp_enabled, code


def test_switching_off_forgets_the_last_used_step_too(app, client, login, trainer):
    login(client, trainer)
    secret, _codes = enrol(app, client, trainer)
    client.post("/konto/zwei-faktor/abschalten", data={"off-password": trainer.password, "off-code": code_for(secret, 1)})
    with app.app_context():
        row = db.session.execute(
            text("SELECT totp_enabled, totp_secret, totp_last_counter FROM users WHERE id = :id"), {"id": trainer.id}
        ).one()
    assert (bool(row[0]), row[1], row[2]) == (False, None, None)


def test_recovery_codes_are_sixteen_random_characters_in_four_groups(app, trainer):
    _secret, codes = enrol_directly(app, trainer)
    letters = f"[{twofactor.RECOVERY_ALPHABET}]"
    assert all(re.fullmatch(f"{letters}{{4}}(-{letters}{{4}}){{3}}", code) for code in codes), codes
    assert len(set(codes)) == 10
    # Sixteen characters drawn one by one: the groups are not shifted copies of each other.
    assert not all(code[1:4] == code[5:8] and code[6:9] == code[10:13] for code in codes)


def test_a_recovery_code_works_only_for_its_own_account(app, trainer, admin):
    _secret, trainer_codes = enrol_directly(app, trainer)
    enrol_directly(app, admin)
    with app.app_context():
        other = db.session.get(User, admin.id)
        assert not twofactor.check_second_factor(other, trainer_codes[0]).ok
        owner = db.session.get(User, trainer.id)
        assert twofactor.check_second_factor(owner, trainer_codes[0]).ok


def test_a_recovery_code_stored_by_an_earlier_release_still_works(app, trainer):
    """Recovery codes are kept on paper for years: how their hashes are stored does not change."""
    enrol_directly(app, trainer)
    code = "abcd-efgh-jkmn-pqrs"
    with app.app_context():
        stored = hashlib.sha256(b"wirlearn-recovery:abcdefghjkmnpqrs").hexdigest()
        db.session.add(RecoveryCode(user_id=trainer.id, code_hash=stored))
        db.session.commit()
        assert twofactor.check_second_factor(db.session.get(User, trainer.id), code).ok


def test_after_a_recovery_code_the_user_is_told_how_many_of_their_own_are_left(app, trainer, admin):
    _secret, codes = enrol_directly(app, trainer)
    enrol_directly(app, admin)  # someone else's unused codes do not count
    browser = app.test_client()
    do_login(browser, trainer)
    browser.post("/anmelden/bestaetigen", data={"code": codes[0]})
    assert "Sie haben einen Wiederherstellungscode verwendet; 9 sind noch übrig." in browser.get("/start").get_data(as_text=True)
    assert "Sie haben noch 9 unbenutzte Wiederherstellungscodes." in browser.get("/konto/zwei-faktor").get_data(as_text=True)


def test_the_audit_log_says_who_switched_two_factor_on_and_off_and_why(app, client, login, trainer, admin):
    login(client, trainer)
    secret, _codes = enrol(app, client, trainer)
    client.post("/konto/zwei-faktor/abschalten", data={"off-password": trainer.password, "off-code": code_for(secret, 1)})
    enrol(app, client, trainer)
    staff = app.test_client()
    login(staff, admin)
    staff.post(f"/verwaltung/nutzer/{trainer.id}/zwei-faktor-zuruecksetzen")
    me = str(trainer.id)
    assert events(app, "auth.2fa_enabled") == [("user", me, trainer.id, trainer.id, None)] * 2
    assert events(app, "auth.2fa_disabled") == [
        ("user", me, trainer.id, trainer.id, {"reason": "self"}),
        ("user", me, admin.id, trainer.id, {"reason": "reset_by_admin"}),
    ]


def test_the_audit_log_names_who_failed_a_second_step_and_who_used_a_recovery_code(app, trainer):
    _secret, codes = enrol_directly(app, trainer)
    browser = app.test_client()
    do_login(browser, trainer)
    browser.post("/anmelden/bestaetigen", data={"code": "000000"})
    browser.post("/anmelden/bestaetigen", data={"code": codes[3]})
    me = str(trainer.id)
    assert events(app, "auth.2fa_failed") == [("user", me, trainer.id, trainer.id, None)]
    assert events(app, "auth.recovery_code_used") == [("user", me, trainer.id, trainer.id, None)]
