"""Rules of issuing, revoking and re-issuing certificates that a holder, the programme office or
a verifier relies on: what the certificate says (frozen at issue), when it is refused and with
which message, what re-issue keeps and what it changes, what the audit log records, and how
the lists, the file name and the printed status line come out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest
from sqlalchemy import select, update

from tests.certificate_support import (  # noqa: F401
    add_logo,
    app_settings,
    enrollment_id,
    issue,
    make_eligible,
    signing_key_dir,
)
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.certificates import codes, ids, pdf, services, signing, states
from wirlearn.certificates.models import Certificate, DesignImage
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.status.models import StatusList


def certificate(code: str) -> Certificate:
    return services.certificate_by_code(code)


def event(action: str) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()))


# -- what the certificate says -----------------------------------------------------------------


def test_certificate_shows_the_series_details_and_dates_frozen_at_issue(app, factory, admin, coordinator):
    series = factory.series(
        coordinators=(coordinator,),
        title="Qualifizierung Integration",
        provider="Bildungswerk Hessen",
        certificate_title="Zertifikat Integrationslotse",
        issuer_name="Hessisches Ministerium",
        place="Kassel",
        start_date=date(2026, 2, 3),
        end_date=date(2026, 11, 4),
        min_attendance_percent=75,
    )
    make_eligible(app, series, coordinator)
    with app.app_context():
        issued = services.issue_certificate(enrollment_id(app, series, coordinator), issued_by_id=admin.id)
        db.session.commit()
        stored = certificate(issued.code)
        snapshot = stored.snapshot
        entry_list = db.session.get(StatusList, stored.status_list_id)
        assert stored.issued_at.microsecond == 0
        assert stored.issued_by_id == admin.id
        assert snapshot["version"] == 2
        assert snapshot["certificate_title"] == "Zertifikat Integrationslotse"
        assert snapshot["series_title"] == "Qualifizierung Integration"
        assert snapshot["provider"] == "Bildungswerk Hessen"
        assert snapshot["issuer_name"] == "Hessisches Ministerium"
        assert snapshot["place"] == "Kassel"
        assert snapshot["start_date"] == "2026-02-03" and snapshot["end_date"] == "2026-11-04"
        assert snapshot["issued_at"] == signing.format_time(stored.issued_at) == snapshot["awarded_at"]
        assert snapshot["valid_until"] is None
        assert (
            snapshot["criteria"]
            == "Voraussetzungen: Anwesenheit bei mindestens 75 % aller Termine; alle Pflichtmodule bestanden."
        )
        assert snapshot["issuer_url"] == "http://wirlearn.test"
        assert snapshot["issuer_id"] == ids.issuer_id(series.id, "http://wirlearn.test")
        assert snapshot["achievement_id"] == ids.achievement_id(series.id, "http://wirlearn.test")
        assert snapshot["series_id"] == series.id
        assert snapshot["status_index"] == stored.status_index and entry_list is not None
        assert snapshot["status_list_url"] == ids.status_list_url(entry_list.id, "http://wirlearn.test")
        assert len(snapshot["email_salt"]) == 32
        assert snapshot["email_hash"] == signing.hash_email(coordinator.email, snapshot["email_salt"])
        assert snapshot["design"]["signature_mode"] and "logo_ids" in snapshot["design"]
        assert issued == services.Issued(
            stored.id, issued.code, f"http://wirlearn.test/v/{issued.code}", coordinator.display_name, stored.enrollment_id
        )


def test_series_without_dates_prints_no_dates(app, factory, coordinator):
    series = factory.series(coordinators=(coordinator,), start_date=None, end_date=None, issuer_name="", place="")
    make_eligible(app, series, coordinator)
    code = issue(app, series, coordinator)
    with app.app_context():
        snapshot = certificate(code).snapshot
        assert snapshot["start_date"] is None and snapshot["end_date"] is None
        assert snapshot["issuer_name"] == "" and snapshot["place"] == ""


def test_criteria_name_the_per_module_minimum_only_when_the_series_has_one():
    plain = SimpleNamespace(min_attendance_percent=80, min_module_attendance_percent=None)
    per_module = SimpleNamespace(min_attendance_percent=80, min_module_attendance_percent=60)
    assert (
        services.criteria_text(plain)
        == "Voraussetzungen: Anwesenheit bei mindestens 80 % aller Termine; alle Pflichtmodule bestanden."
    )
    assert services.criteria_text(per_module) == (
        "Voraussetzungen: Anwesenheit bei mindestens 80 % aller Termine und mindestens 60 % je Pflichtmodul; "
        "alle Pflichtmodule bestanden."
    )


def test_certificate_lists_required_modules_and_passed_optional_ones_in_series_order(app, factory, coordinator):
    modules = ({"title": "Grundlagen"}, {"title": "Wahlmodul A", "required": False}, {"title": "Wahlmodul B", "required": False})
    series = factory.series(coordinators=(coordinator,), modules=modules)
    with app.app_context():
        # The series order is the position, whatever order the modules were created in.
        from wirlearn.programme.models import Module

        db.session.execute(update(Module).where(Module.id == series.module_ids[0]).values(position=9))
        db.session.commit()
    make_eligible(app, series, coordinator, skip_module=2)  # Wahlmodul B not passed
    code = issue(app, series, coordinator)
    with app.app_context():
        snapshot = certificate(code).snapshot
        assert snapshot["modules"] == [
            {"title": "Wahlmodul A", "teaching_units": 8},
            {"title": "Grundlagen", "teaching_units": 8},
        ]
        assert snapshot["teaching_units_total"] == 16


def test_a_certificate_of_a_batch_is_signed_with_the_groups_key_without_looking_it_up_again(
    app, programme, coordinator, monkeypatch
):
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        from wirlearn.certificates import keys

        group_key = keys.signing_key()  # what a batch looks up once per group
        lookups = []
        monkeypatch.setattr(keys, "signing_key", lambda: lookups.append(1) or pytest.fail("key looked up again"))
        issued = services.issue_certificate(enrollment_id(app, programme["main"], coordinator), key=group_key)
        db.session.commit()
        stored = certificate(issued.code)
        assert lookups == []
        assert stored.kid == group_key.kid
        assert jwt.get_unverified_header(stored.credential)["kid"] == ids.key_url(group_key.kid, "http://wirlearn.test")


def test_validity_ends_the_given_number_of_months_after_issue(app, factory, coordinator):
    series = factory.series(coordinators=(coordinator,), validity_months=1)
    make_eligible(app, series, coordinator)
    code = issue(app, series, coordinator)
    with app.app_context():
        stored = certificate(code)
        assert stored.valid_until == services.add_months(stored.issued_at, 1)
        assert stored.snapshot["valid_until"] == signing.format_time(stored.valid_until)


def test_add_months_across_year_ends():
    assert services.add_months(datetime(2026, 12, 15, 9, 30), 1) == datetime(2027, 1, 15, 9, 30)
    assert services.add_months(datetime(2026, 1, 15), 11) == datetime(2026, 12, 15)
    assert services.add_months(datetime(2026, 3, 31), 1) == datetime(2026, 4, 30)
    assert services.add_months(datetime(2026, 1, 31), 0) == datetime(2026, 1, 31)


def test_verify_address_has_no_double_slash():
    assert services.verify_url("ABC", "https://example.org/") == "https://example.org/v/ABC"
    assert services.verify_url("ABC", "https://example.org") == "https://example.org/v/ABC"


# -- refusals ----------------------------------------------------------------------------------


def test_issuing_is_refused_with_a_german_message_for_unknown_taken_and_not_eligible(
    app, programme, coordinator, other_coordinator
):
    series = programme["main"]
    with app.app_context(), pytest.raises(services.CertificateError) as refused:
        services.issue_certificate(987654)
    assert str(refused.value) == "Diese Teilnahme gibt es nicht." and refused.value.status == 404
    assert refused.value.missing == []

    make_eligible(app, series, other_coordinator, skip_module=1)
    with app.app_context(), pytest.raises(services.CertificateError) as refused:
        services.issue_certificate(enrollment_id(app, series, other_coordinator))
    assert str(refused.value) == "Đorđe Petrović erfüllt die Voraussetzungen für das Zertifikat noch nicht."
    assert refused.value.status == 422

    make_eligible(app, series, coordinator)
    code = issue(app, series, coordinator)
    with app.app_context(), pytest.raises(services.CertificateError) as refused:
        services.issue_certificate(enrollment_id(app, series, coordinator))
    assert str(refused.value) == f"Für Ayşe Yılmaz gibt es bereits ein gültiges Zertifikat ({codes.grouped(code)})."
    assert refused.value.status == 409


def test_a_concurrent_issue_is_refused_as_taken_not_with_an_error(app, programme, coordinator, monkeypatch):
    make_eligible(app, programme["main"], coordinator)
    issue(app, programme["main"], coordinator)
    # The check before issuing missed the other certificate (issued a moment ago elsewhere):
    # the unique index decides, with the same 409 and the holder's name.
    monkeypatch.setattr(services, "valid_certificate_for", lambda _enrollment_id: None)
    with app.app_context():
        with pytest.raises(services.CertificateError) as refused:
            services.issue_certificate(enrollment_id(app, programme["main"], coordinator))
        db.session.rollback()
    assert str(refused.value) == "Für Ayşe Yılmaz gibt es bereits ein gültiges Zertifikat." and refused.value.status == 409


def test_progress_of_another_participant_is_not_used_for_eligibility(app, programme, coordinator, other_coordinator):
    from wirlearn.progress.services import progress_for_enrollment

    series = programme["main"]
    eligible_id = make_eligible(app, series, other_coordinator)
    with app.app_context():
        others = progress_for_enrollment(eligible_id)
        assert others.eligible
        with pytest.raises(services.CertificateError):
            services.issue_certificate(enrollment_id(app, series, coordinator), progress=others)
        db.session.rollback()
        # The participant's own progress is used as given (a batch has computed it already).
        issued = services.issue_certificate(eligible_id, progress=others)
        assert issued.holder_name == other_coordinator.display_name


# -- audit -------------------------------------------------------------------------------------


def test_audit_log_records_who_got_what_and_whether_it_was_automatic(app, programme, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    by_hand = issue(app, series, coordinator)
    automatic = issue(app, series, other_coordinator, automatic=True)
    with app.app_context():
        first, second = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "certificate.issued").order_by(AuditEvent.id)
        ).all()
        stored = certificate(by_hand)
        assert first.after == {
            "code": by_hand,
            "status": "valid",
            "holder_name": "Ayşe Yılmaz",
            "kid": stored.kid,
            "valid_until": None,
        }
        assert first.entity_type == "certificate" and first.entity_id == str(stored.id)
        assert first.subject_user_id == coordinator.id and first.series_id == series.id
        assert second.after["automatic"] is True and second.after["code"] == automatic
        assert second.subject_user_id == other_coordinator.id


# -- revoking ----------------------------------------------------------------------------------


def test_revocation_reason_may_be_500_characters_and_no_more(app, admin, factory, programme, coordinator):
    series = factory.series(coordinators=(coordinator,))  # the audit event names this series, not another
    make_eligible(app, series, coordinator)
    code = issue(app, series, coordinator)
    with app.app_context():
        with pytest.raises(services.CertificateError) as refused:
            services.revoke_certificate(code, "x" * 501, revoked_by_id=admin.id)
        assert str(refused.value) == "Der Grund darf höchstens 500 Zeichen lang sein." and refused.value.status == 422
        assert certificate(code).status == "valid"
        revoked = services.revoke_certificate(codes.grouped(code), "  " + "x" * 500 + "  ", revoked_by_id=admin.id)
        db.session.commit()
        assert revoked.status == "revoked" and revoked.revoked_reason == "x" * 500
        assert revoked.revoked_by_id == admin.id
        assert revoked.revoked_at.microsecond == 0 and utcnow() - revoked.revoked_at < timedelta(minutes=1)
        audit = event("certificate.revoked")
        assert audit.after["reason"] == "x" * 500
        assert audit.entity_type == "certificate" and audit.entity_id == str(revoked.id)
        assert audit.subject_user_id == coordinator.id and audit.series_id == series.id


def test_revoking_refuses_unknown_codes_missing_reasons_and_invalid_certificates(app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        with pytest.raises(services.CertificateError) as refused:
            services.revoke_certificate("ABCDEFGHJKMNPQRSTUVWXYZ23456", "Grund", revoked_by_id=admin.id)
        assert str(refused.value) == "Dieses Zertifikat gibt es nicht." and refused.value.status == 404
        with pytest.raises(services.CertificateError) as refused:
            services.revoke_certificate(code, None, revoked_by_id=admin.id)
        assert str(refused.value) == "Bitte geben Sie einen Grund für den Widerruf an." and refused.value.status == 422
        services.revoke_certificate(code, "Irrtum", revoked_by_id=admin.id)
        with pytest.raises(services.CertificateError) as refused:
            services.revoke_certificate(code, "Noch einmal", revoked_by_id=admin.id)
        assert str(refused.value) == "Nur ein gültiges Zertifikat kann widerrufen werden." and refused.value.status == 409
        assert certificate(code).revoked_reason == "Irrtum"


# -- re-issuing --------------------------------------------------------------------------------


def test_reissue_keeps_award_date_validity_and_ids_and_takes_the_new_name(app, factory, admin, coordinator):
    series = factory.series(coordinators=(coordinator,), validity_months=12)
    make_eligible(app, series, coordinator)
    old_code = issue(app, series, coordinator)
    with app.app_context():
        old = certificate(old_code)
        earlier = old.snapshot | {"issued_at": "2025-10-01T08:00:00Z", "awarded_at": "2025-10-01T08:00:00Z"}
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == old.id)
            .values(snapshot=earlier, valid_until=old.valid_until - timedelta(days=40))
        )
        db.session.commit()
        old = certificate(old_code)
        old_snapshot, old_valid_until = dict(old.snapshot), old.valid_until
        issued = services.reissue_certificate(old_code, issued_by_id=admin.id, holder_name="  Ayşe Schneider  ")
        db.session.commit()
        new = certificate(issued.code)
        old = certificate(old_code)
        assert issued == services.Issued(
            new.id, new.code, f"http://wirlearn.test/v/{new.code}", "Ayşe Schneider", old.enrollment_id, supersedes_code=old_code
        )
        assert new.status == "valid" and new.issued_by_id == admin.id and new.supersedes_id == old.id
        assert new.valid_until == old_valid_until
        assert new.snapshot["holder_name"] == "Ayşe Schneider"
        assert new.snapshot["awarded_at"] == "2025-10-01T08:00:00Z"
        assert new.snapshot["issued_at"] == signing.format_time(new.issued_at)
        assert new.snapshot["issuer_id"] == old_snapshot["issuer_id"]
        assert new.snapshot["valid_until"] == old_snapshot["valid_until"]
        assert new.snapshot["verify_url"] == f"http://wirlearn.test/v/{new.code}"
        assert new.snapshot["status_index"] == new.status_index and new.status_list_id is not None
        assert new.snapshot["email_salt"] != old_snapshot["email_salt"]
        assert new.snapshot["email_hash"] == signing.hash_email(coordinator.email, new.snapshot["email_salt"])
        assert new.issued_at.microsecond == 0
        assert old.status == "superseded" and old.superseded_at == new.issued_at and old.successor_public is False
        audit = event("certificate.reissued")
        assert audit.entity_type == "certificate" and audit.entity_id == str(new.id)
        assert audit.before["code"] == old_code and audit.before["status"] == "valid"
        assert audit.after["supersedes"] == old_code and audit.after["code"] == new.code
        assert audit.after["holder_name"] == "Ayşe Schneider"
        assert audit.after["valid_until"] == new.snapshot["valid_until"] is not None
        assert audit.before["valid_until"] == old_snapshot["valid_until"]
        assert audit.subject_user_id == coordinator.id and audit.series_id == series.id


def test_reissue_keeps_the_addresses_of_the_original_issuer(app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        stored = certificate(code)
        moved = stored.snapshot | {"issuer_url": "https://alt.example.org"}  # issued before the installation moved
        db.session.execute(update(Certificate).where(Certificate.id == stored.id).values(snapshot=moved))
        db.session.commit()
        new = certificate(services.reissue_certificate(code, issued_by_id=admin.id).code)
        assert new.snapshot["verify_url"] == f"https://alt.example.org/v/{new.code}"
        assert new.snapshot["status_list_url"] == ids.status_list_url(new.status_list_id, "https://alt.example.org")
        assert new.snapshot["achievement_id"] == ids.achievement_id(programme["main"].id, "https://alt.example.org")


def test_reissue_without_a_name_takes_the_holders_current_name(app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    old_code = issue(app, programme["main"], coordinator)
    with app.app_context():
        db.session.execute(update(User).where(User.id == coordinator.id).values(display_name="Ayşe Yılmaz-Berg"))
        db.session.commit()
        issued = services.reissue_certificate(old_code, issued_by_id=admin.id, link_successor=True)
        db.session.commit()
        assert issued.holder_name == "Ayşe Yılmaz-Berg"
        assert certificate(issued.code).snapshot["holder_name"] == "Ayşe Yılmaz-Berg"
        assert certificate(old_code).successor_public is True
        assert services.successor_code(certificate(old_code)) == issued.code
        assert services.successor_code(certificate(issued.code)) is None


def test_reissued_name_may_be_200_characters_and_not_empty(app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    message = "Bitte geben Sie den Namen an, der auf dem Zertifikat stehen soll (höchstens 200 Zeichen)."
    with app.app_context():
        for name in ("x" * 201, "   "):
            with pytest.raises(services.CertificateError) as refused:
                services.reissue_certificate(code, issued_by_id=admin.id, holder_name=name)
            assert str(refused.value) == message and refused.value.status == 422
        assert certificate(code).status == "valid"
        issued = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="x" * 200)
        assert issued.holder_name == "x" * 200


def test_reissue_refuses_unknown_and_no_longer_valid_certificates(app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        with pytest.raises(services.CertificateError) as refused:
            services.reissue_certificate("ABCDEFGHJKMNPQRSTUVWXYZ23456", issued_by_id=admin.id)
        assert str(refused.value) == "Dieses Zertifikat gibt es nicht." and refused.value.status == 404
        services.revoke_certificate(code, "Irrtum", revoked_by_id=admin.id)
        with pytest.raises(services.CertificateError) as refused:
            services.reissue_certificate(code, issued_by_id=admin.id)
        assert str(refused.value) == "Nur ein gültiges Zertifikat kann neu ausgestellt werden." and refused.value.status == 409


def test_renewed_snapshot_of_an_early_certificate_takes_the_issue_date_as_award_date(app, programme):
    old = {"issuer_url": "https://alt.example.org", "issued_at": "2025-03-01T10:00:00Z", "holder_name": "A"}
    holder = SimpleNamespace(subject_uuid="1234", email="a@example.org")
    with app.app_context():
        renewed = services.renewed_snapshot(old, programme["main"].id, holder)
    assert renewed["awarded_at"] == "2025-03-01T10:00:00Z"
    assert renewed["issuer_id"] == ids.issuer_id(programme["main"].id, "https://alt.example.org")
    assert renewed["achievement_id"] == ids.achievement_id(programme["main"].id, "https://alt.example.org")
    assert renewed["subject_id"] == "urn:uuid:1234" and renewed["version"] == 2 and renewed["holder_name"] == "A"
    assert renewed["series_id"] == programme["main"].id
    assert renewed["design"]["signature_mode"]
    assert len(renewed["email_salt"]) == 32
    assert renewed["email_hash"] == signing.hash_email("a@example.org", renewed["email_salt"])
    kept = services.renewed_snapshot(
        old | {"awarded_at": "2024-01-01T00:00:00Z", "issuer_id": "urn:alt", "design": {"logo_ids": [7]}}, 1, holder
    )
    assert kept["awarded_at"] == "2024-01-01T00:00:00Z" and kept["issuer_id"] == "urn:alt"
    assert kept["design"] == {"logo_ids": [7]}


# -- re-signing certificates issued before status lists ----------------------------------------


def test_resigning_gives_an_old_certificate_a_status_entry_and_keeps_code_name_and_dates(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        stored = certificate(code)
        assert services.resign_certificate(stored) is False  # already has an entry
        old_snapshot = dict(stored.snapshot)
        old_snapshot.pop("status_list_url")
        old_snapshot.pop("status_index")
        old_snapshot["issuer_url"] = "https://alt.example.org"  # issued before the installation moved
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == stored.id)
            .values(status_list_id=None, status_index=None, snapshot=old_snapshot)
        )
        db.session.commit()
        stored = certificate(code)
        assert services.resign_certificate(stored) is True
        db.session.commit()
        stored = certificate(code)
        assert stored.code == code and stored.status_list_id is not None
        assert stored.snapshot["status_index"] == stored.status_index
        assert stored.snapshot["status_list_url"] == ids.status_list_url(stored.status_list_id, "https://alt.example.org")
        assert stored.snapshot["holder_name"] == old_snapshot["holder_name"]
        assert stored.snapshot["achievement_id"] == ids.achievement_id(programme["main"].id, "https://alt.example.org")
        assert stored.snapshot["series_id"] == programme["main"].id
        assert stored.snapshot["issued_at"] == old_snapshot["issued_at"]
        claims = jwt.decode(stored.credential, options={"verify_signature": False})
        assert claims["credentialStatus"]["statusListIndex"] == str(stored.status_index)
        assert jwt.get_unverified_header(stored.credential)["kid"] == f"https://alt.example.org/ob/keys/{stored.kid}"
        audit = event("certificate.resigned")
        assert audit.entity_type == "certificate" and audit.entity_id == str(stored.id)
        assert audit.after["status_list"] == f"{stored.snapshot['status_list_url']}#{stored.status_index}"
        assert audit.before["code"] == code
        assert audit.subject_user_id == coordinator.id and audit.series_id == programme["main"].id


# -- printed copies, preview, file names -------------------------------------------------------


def test_printed_copy_says_revoked_or_superseded_with_the_date(app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        assert services.status_note(certificate(code)) is None
        new = services.reissue_certificate(code, issued_by_id=admin.id).code
        old = certificate(code)
        assert services.status_note(old) == pdf.StatusNote(
            f"ERSETZT am {pdf.local_date(old.superseded_at)} – es gilt ein neueres Zertifikat."
        )
        revoked = services.revoke_certificate(new, "Irrtum", revoked_by_id=admin.id)
        assert services.status_note(revoked) == pdf.StatusNote(
            f"WIDERRUFEN am {pdf.local_date(revoked.revoked_at)} – dieses Zertifikat ist nicht mehr gültig."
        )


def test_downloaded_copy_is_made_from_the_snapshot_with_its_logos_and_status_line(
    app, admin, programme, coordinator, monkeypatch
):
    with app.app_context():
        logo_id = add_logo(programme["main"].id)
        db.session.commit()
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    calls = []
    monkeypatch.setattr(
        pdf, "render", lambda snapshot, code, note=None, images=None: calls.append((snapshot, code, note, images)) or b"%PDF"
    )
    with app.app_context():
        services.revoke_certificate(code, "Irrtum", revoked_by_id=admin.id)
        stored = certificate(code)
        assert services.pdf_bytes(stored) == b"%PDF"
        logo = db.session.get(DesignImage, logo_id).data
        assert calls == [(stored.snapshot, code, services.status_note(stored), {logo_id: logo})]


def test_a_certificate_whose_logo_cannot_be_printed_is_not_issued(app, programme, coordinator):
    with app.app_context():
        logo_id = add_logo(programme["main"].id)
        db.session.execute(update(DesignImage).where(DesignImage.id == logo_id).values(data=b"kein Bild"))
        db.session.commit()
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        with pytest.raises(Exception):  # noqa: B017 - whatever the PDF library raises for a broken image
            services.issue_certificate(enrollment_id(app, programme["main"], coordinator))
        db.session.rollback()
        assert db.session.scalar(select(Certificate.id)) is None


def test_preview_shows_the_required_modules_for_a_sample_holder_marked_as_sample(app, factory, monkeypatch):
    modules = ({"title": "Grundlagen"}, {"title": "Wahlmodul", "required": False}, {"title": "Praxis"})
    series_ref = factory.series(modules=modules, validity_months=6)
    calls = []
    monkeypatch.setattr(
        pdf, "render", lambda snapshot, code, note=None, images=None: calls.append((snapshot, code, note, images)) or b"%PDF"
    )
    with app.app_context():
        from wirlearn.programme.models import Module, Series

        logo_id = add_logo(series_ref.id)
        db.session.execute(update(Module).where(Module.id == series_ref.module_ids[0]).values(position=5))
        db.session.commit()
        assert services.preview_pdf(db.session.get(Series, series_ref.id)) == b"%PDF"
        assert db.session.scalar(select(Certificate.id)) is None
        logo = db.session.get(DesignImage, logo_id).data
    ((snapshot, code, note, images),) = calls
    assert images == {logo_id: logo}
    assert code == services.PREVIEW_CODE
    assert note == pdf.StatusNote("MUSTER – Vorschau, kein gültiges Zertifikat")
    assert snapshot["holder_name"] == "Erika Mustermann"
    assert [module["title"] for module in snapshot["modules"]] == ["Praxis", "Grundlagen"]
    assert snapshot["verify_url"] == f"http://wirlearn.test/v/{services.PREVIEW_CODE}"
    issued_at = signing.parse_time(snapshot["issued_at"]).replace(tzinfo=None)
    assert issued_at.microsecond == 0 and abs(utcnow() - issued_at) < timedelta(minutes=1)
    assert snapshot["valid_until"] == signing.format_time(services.add_months(issued_at, 6))
    assert "status_index" not in snapshot


def test_preview_of_a_series_without_validity_period_shows_no_end(app, factory, monkeypatch):
    series_ref = factory.series()
    calls = []
    monkeypatch.setattr(pdf, "render", lambda snapshot, code, note=None, images=None: calls.append(snapshot) or b"%PDF")
    with app.app_context():
        from wirlearn.programme.models import Series

        assert services.preview_pdf(db.session.get(Series, series_ref.id)) == b"%PDF"
    assert calls[0]["valid_until"] is None


def test_file_name_is_ascii_from_the_holders_name_and_the_code():
    assert services.file_slug("Ayşe Yılmaz") == "ayse-yilmaz"
    assert services.file_slug("Đorđe Łukasz Øre Straße") == "dorde-lukasz-ore-strasse"
    assert services.file_slug("Michał Søren") == "michal-soren"
    assert services.file_slug("  --Ann  Lee!!  ") == "ann-lee"
    assert services.file_slug("a" * 70) == "a" * 60
    stored = SimpleNamespace(snapshot={"holder_name": "Ayşe Yılmaz"}, code="ABCDEFGHJKMN")
    assert services.pdf_filename(stored) == "zertifikat-ayse-yilmaz-ABCDEFGH.pdf"
    nameless = SimpleNamespace(snapshot={"holder_name": "李"}, code="ABCDEFGHJKMN")
    assert services.pdf_filename(nameless) == "zertifikat-inhaber-ABCDEFGH.pdf"


# -- lists, downloads, states ------------------------------------------------------------------


def test_holders_list_is_newest_first_and_series_list_oldest_first_with_valid_only(
    app, admin, factory, programme, coordinator, other_coordinator
):
    main = programme["main"]
    second, third = factory.series(coordinators=(coordinator,)), factory.series(coordinators=(coordinator,))
    for series, person in ((main, coordinator), (second, coordinator), (main, other_coordinator), (third, coordinator)):
        make_eligible(app, series, person)
    first = issue(app, main, coordinator)
    second_code = issue(app, second, coordinator)
    other = issue(app, main, other_coordinator)
    with app.app_context():
        newest = services.reissue_certificate(first, issued_by_id=admin.id).code
        db.session.commit()
    late = issue(app, third, coordinator)  # entered last
    with app.app_context():
        other_again = services.reissue_certificate(other, issued_by_id=admin.id).code
        db.session.commit()
        # The dates decide, not the order of entry; on the same date the later entry counts as newer.
        now = utcnow().replace(microsecond=0)
        dates = {
            first: now - timedelta(days=2),
            second_code: now - timedelta(days=1),
            other: now,
            newest: now,
            late: now - timedelta(days=1),
            other_again: now - timedelta(days=3),
        }
        for code, issued_at in dates.items():
            db.session.execute(update(Certificate).where(Certificate.code == code).values(issued_at=issued_at))
        db.session.commit()
        assert [item.code for item in services.certificates_of_user(coordinator.id)] == [newest, late, second_code, first]
        assert [item.code for item in services.certificates_of_series(main.id)] == [other_again, first, other, newest]
        assert [item.code for item in services.certificates_of_series(main.id, valid_only=True)] == [other_again, newest]
        assert services.valid_certificate_for(enrollment_id(app, main, coordinator)).code == newest


def test_only_the_holder_and_admins_may_download(app, admin, programme, trainer, coordinator, other_coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        stored = certificate(code)
        assert services.holder_id(stored) == coordinator.id
        assert services.may_download(db.session.get(User, coordinator.id), stored) is True
        assert services.may_download(db.session.get(User, admin.id), stored) is True
        assert services.may_download(db.session.get(User, other_coordinator.id), stored) is False
        assert services.may_download(db.session.get(User, trainer.id), stored) is False


def test_typed_codes_are_found_and_nonsense_is_not(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        assert certificate(codes.grouped(code).lower()).code == code
        assert services.certificate_by_code(None) is None
        assert services.certificate_by_code("kein Code") is None


def test_a_certificate_expires_at_the_end_of_its_validity(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        stored = certificate(code)
        end = utcnow().replace(microsecond=0) + timedelta(days=1)
        assert services.state_decision(stored).expired is False and services.public_state(stored) == "valid"
        stored.valid_until = end
        assert services.state_decision(stored, end - timedelta(seconds=1)).expired is False
        assert services.state_decision(stored, end).expired is True
        assert services.state_decision(stored).expired is False  # now is before the end
        assert services.public_state(stored, end - timedelta(seconds=1)) == "valid"
        assert services.public_state(stored, end) == "expired"
        assert services.public_state(stored) == "valid"
        assert services.state_decision(stored, end).expired is True
        assert services.state_decision(stored).expired is False
        assert services.state_decision(stored, end - timedelta(seconds=1)).state == "valid"
        stored.valid_until = utcnow() - timedelta(seconds=5)
        assert services.state_decision(stored).expired is True
        assert services.public_state(stored) == "expired" and services.state_decision(stored).state == "expired"
        # Revoked wins over expired, and the decision still says it has expired.
        stored.status = "revoked"
        assert services.public_state(stored) == "revoked"
        assert services.state_decision(stored) == states.Decision("revoked", True)
        db.session.rollback()


def test_holder_is_told_of_issue_reissue_and_revocation(app, admin, programme, coordinator):
    from tests.mail_support import outbox

    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        new = services.reissue_certificate(code, issued_by_id=admin.id)
        db.session.commit()
        services.revoke_certificate(new.code, "Irrtum", revoked_by_id=admin.id)
        db.session.commit()
        first, second = certificate(code).id, certificate(new.code).id
    assert [(message.kind, message.to_address, message.ref_id) for message in outbox(app)] == [
        ("certificate_issued", coordinator.email, first),
        ("certificate_reissued", coordinator.email, second),
        ("certificate_revoked", coordinator.email, second),
    ]


def test_the_printed_address_keeps_the_configured_site_address_whole_and_drops_only_a_trailing_slash():
    """Whatever the site's address ends with (here a path ending in X), the QR code opens
    ``{address}/v/{code}`` under exactly that address."""
    for base in ("https://zertifikate.example/WIRX", "https://zertifikate.example/WIRX/"):
        assert (
            services.verify_url("ABCDEFGHJKMNPQRSTUVWXYZ234", base)
            == "https://zertifikate.example/WIRX/v/ABCDEFGHJKMNPQRSTUVWXYZ234"
        )
