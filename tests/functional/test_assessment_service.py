"""The assessment service: results by module kind, history kept, conflicts, audit and signal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wirlearn import signals
from wirlearn.assessments.models import Assessment
from wirlearn.assessments.services import (
    AssessmentConflict,
    AssessmentEntry,
    AssessmentError,
    load_sheet,
    parse_points,
    save_assessments,
)
from wirlearn.audit.models import AuditEvent
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Module


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Assessment)),
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "assessment")),
    )


@pytest.fixture
def modules(programme):
    pass_fail, points = programme["main"].module_ids
    return {"pass_fail": pass_fail, "points": points}


def test_pass_fail_then_reassessment_keeps_history(ctx, modules, trainer, other_trainer, coordinator):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender.attempt, sender.result))

    signals.assessment_recorded.connect(receiver)
    try:
        first = save_assessments(
            modules["pass_fail"],
            {coordinator.id: AssessmentEntry("failed", feedback="Skizze fehlt")},
            actor_id=trainer.id,
            version=0,
        )
        second = save_assessments(
            modules["pass_fail"],
            {coordinator.id: AssessmentEntry("passed", feedback="Nachgereicht")},
            actor_id=other_trainer.id,
            version=1,
        )
    finally:
        signals.assessment_recorded.disconnect(receiver)
    assert (first.version, second.version) == (1, 2)
    assert received == [(1, "failed"), (2, "passed")]
    sheet = load_sheet(modules["pass_fail"])
    row = next(row for row in sheet.rows if row.user_id == coordinator.id)
    assert (row.current.attempt, row.current.result, row.current.recorded_by) == (2, "passed", "Otto Fremdtrainer")
    assert [(view.attempt, view.result, view.feedback) for view in row.history] == [(1, "failed", "Skizze fehlt")]
    assert sheet.assessed == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "assessment").order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["assessment.recorded", "assessment.reassessed"]
    assert events[1].before["result"] == "failed" and events[1].after["result"] == "passed"
    assert events[1].module_id == modules["pass_fail"] and events[1].subject_user_id == coordinator.id


def test_points_decide_by_pass_mark(ctx, modules, trainer, coordinator, other_coordinator):
    save_assessments(
        modules["points"],
        {coordinator.id: AssessmentEntry(points="60"), other_coordinator.id: AssessmentEntry(points="59,5")},
        actor_id=trainer.id,
    )
    results = dict(db.session.execute(select(Assessment.points, Assessment.result)).all())
    assert results == {Decimal("60.00"): "passed", Decimal("59.50"): "failed"}


def test_same_result_records_nothing_and_keeps_version(ctx, modules, trainer, coordinator):
    save_assessments(
        modules["pass_fail"], {coordinator.id: AssessmentEntry("passed", feedback="gut")}, actor_id=trainer.id, version=0
    )
    result = save_assessments(
        modules["pass_fail"], {coordinator.id: AssessmentEntry("passed", feedback="gut")}, actor_id=trainer.id, version=1
    )
    assert result.recorded == [] and result.version == 1
    assert db.session.get(Module, modules["pass_fail"]).assessment_version == 1
    assert counts() == (1, 1)


def test_stale_version_is_refused_with_changed_rows(ctx, modules, trainer, other_trainer, coordinator, other_coordinator):
    save_assessments(
        modules["pass_fail"], {other_coordinator.id: AssessmentEntry("passed")}, actor_id=other_trainer.id, version=0
    )
    with pytest.raises(AssessmentConflict) as caught:
        save_assessments(
            modules["pass_fail"],
            {coordinator.id: AssessmentEntry("passed")},
            actor_id=trainer.id,
            version=0,
            seen_attempts={coordinator.id: 0, other_coordinator.id: 0},
        )
    assert caught.value.current_version == 1
    assert [row.name for row in caught.value.changed] == ["Đorđe Petrović"]
    assert counts() == (1, 1)


@pytest.mark.parametrize(
    "module, entry, message",
    [
        ("pass_fail", AssessmentEntry("great"), "bestanden"),
        ("pass_fail", AssessmentEntry(None), "bestanden"),
        ("pass_fail", AssessmentEntry("passed", points=3), "nicht mit Punkten"),
        ("points", AssessmentEntry(points="101"), "zwischen 0 und 100"),
        ("points", AssessmentEntry(points=-1), "zwischen 0 und 100"),
        ("points", AssessmentEntry(points="viel"), "als Zahl"),
        ("points", AssessmentEntry(points="NaN"), "als Zahl"),
        ("points", AssessmentEntry(points=None), "Punkte an"),
        ("points", AssessmentEntry(points="50.125"), "zwei Nachkommastellen"),
        ("points", AssessmentEntry("passed", points=80), "Bestehensgrenze"),
        ("pass_fail", AssessmentEntry("passed", feedback="x" * 5001), "zu lang"),
        ("pass_fail", AssessmentEntry("passed", assessed_on=local_today() + timedelta(days=1)), "Zukunft"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(ctx, modules, trainer, coordinator, module, entry, message):
    with pytest.raises(AssessmentError) as caught:
        save_assessments(modules[module], {coordinator.id: entry}, actor_id=trainer.id, version=0)
    assert "Es wurde nichts gespeichert" in caught.value.message
    assert any(message in text for text in caught.value.errors[str(coordinator.id)])
    assert counts() == (0, 0)
    assert db.session.get(Module, modules[module]).assessment_version == 0


def test_person_not_enrolled_or_withdrawn_is_refused(ctx, factory, programme, modules, trainer, coordinator):
    stranger = factory.user("coordinator")
    withdrawn = factory.user("coordinator")
    factory.enroll(programme["main"].id, withdrawn, status="withdrawn")
    for person in (stranger, withdrawn):
        with pytest.raises(AssessmentError) as caught:
            save_assessments(
                modules["pass_fail"],
                {coordinator.id: AssessmentEntry("passed"), person.id: AssessmentEntry("passed")},
                actor_id=trainer.id,
            )
        assert "eingeschrieben" in caught.value.errors[str(person.id)][0]
    # A module of the other series: nobody of "main" is enrolled there.
    with pytest.raises(AssessmentError):
        save_assessments(programme["other"].module_ids[0], {coordinator.id: AssessmentEntry("passed")}, actor_id=trainer.id)
    with pytest.raises(AssessmentError):
        save_assessments(999999, {coordinator.id: AssessmentEntry("passed")}, actor_id=trainer.id)
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "value, expected", [("72,5", Decimal("72.5")), (72.5, Decimal("72.5")), (" ", None), (None, None), (3, Decimal(3))]
)
def test_parse_points(value, expected):
    assert parse_points(value) == expected


@pytest.mark.parametrize("value", ["abc", "Infinity", True])
def test_parse_points_refuses_non_numbers(value):
    with pytest.raises(ValueError):
        parse_points(value)
