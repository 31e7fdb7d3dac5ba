"""The audit log reads as German (and English), never as raw keys: every action recorded anywhere
in wirlearn/ and every detail field has a label registered by its feature; ids become names,
codes and dates are translated."""

from __future__ import annotations

import ast
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.certificate_support import app_settings, make_eligible, signing_key_dir  # noqa: F401 - fixtures
from wirlearn.audit import labels
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db

PACKAGE = Path(__file__).resolve().parents[2] / "wirlearn"


# --- what the source records ------------------------------------------------------------------


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


class _Calls(ast.NodeVisitor):
    """Every ``record(...)`` call with the action strings and detail keys it can be seen to use."""

    def __init__(self, tree: ast.Module):
        self.constants: dict[str, set[str]] = {}  # module-level tuples of field names
        self.returns: dict[str, set[str]] = {}  # keys of dicts that module functions return
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Tuple, ast.List, ast.Set)):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = _strings(node.value)
            if isinstance(node, ast.FunctionDef):
                self.returns[node.name] = {
                    key.value
                    for ret in ast.walk(node)
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict)
                    for key in ret.value.keys
                    if isinstance(key, ast.Constant)
                }
        self.found: list[tuple[int, set[str], set[str]]] = []
        self.function: ast.FunctionDef | None = None
        self.visit(tree)

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, node
        self.generic_visit(node)
        self.function = outer

    def _assigned(self, name: str) -> list[ast.AST]:
        scope = self.function.body if self.function else []
        values = []
        for statement in scope:
            for node in ast.walk(statement):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and target.id == name:
                            values.append(node.value)
                        if isinstance(target, ast.Tuple) and any(isinstance(t, ast.Name) and t.id == name for t in target.elts):
                            values.append(node.value)
                if (
                    isinstance(node, ast.Subscript)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == name
                    and isinstance(node.ctx, ast.Store)
                    and isinstance(node.slice, ast.Constant)
                ):
                    values.append(ast.Dict(keys=[node.slice], values=[ast.Constant(None)]))
        return values

    def _keys(self, node: ast.AST, depth: int = 0) -> set[str]:
        keys: set[str] = set()
        if depth > 3:
            return keys
        for sub in ast.walk(node):
            if isinstance(sub, ast.Dict):
                keys |= {key.value for key in sub.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)}
                keys |= {k for value in sub.values if isinstance(value, ast.Dict) for k in self._keys(value, depth + 1)}
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in self.returns:
                keys |= self.returns[sub.func.id]
            elif isinstance(sub, ast.Name) and sub.id in self.constants:
                keys |= self.constants[sub.id]
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub is node:
                for value in self._assigned(sub.id):
                    keys |= self._keys(value, depth + 1)
        return keys

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name == "record" and node.args:
            action = node.args[0]
            actions = _strings(action)
            if isinstance(action, ast.Name):
                for value in self._assigned(action.id):
                    actions |= _strings(value)
            fields = set()
            for keyword in node.keywords:
                if keyword.arg in ("before", "after"):
                    fields |= self._keys(keyword.value)
            self.found.append((node.lineno, actions, fields))
        self.generic_visit(node)


def recorded_in_source() -> list[tuple[str, set[str], set[str]]]:
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for lineno, actions, fields in _Calls(tree).found:
            calls.append((f"{path.relative_to(PACKAGE.parent)}:{lineno}", actions, fields))
    return calls


def test_the_source_scan_finds_the_calls_it_must_check():
    found = {action for _where, actions, _fields in recorded_in_source() for action in actions}
    # Spread over many features, including a conditional action and one held in a variable.
    for action in ("certificate.issued", "attendance.changed", "series.rules_changed", "user.deactivated", "access.refused"):
        assert action in found
    fields = {field for _where, _actions, fields in recorded_in_source() for field in fields}
    for field in ("holder_name", "region_id", "trainers", "min_attendance_percent", "teaching_units", "reason"):
        assert field in fields


def test_every_recorded_action_and_field_in_the_source_has_a_label(app):
    with app.test_request_context():
        vocabulary = labels.vocabulary()
        missing = []
        for where, actions, fields in recorded_in_source():
            if not actions:
                missing.append(f"{where}: action not readable from the source (use a string literal)")
            for action in actions:
                if action not in vocabulary.actions:
                    missing.append(f"{where}: action {action!r} has no label in the feature's audit_events.py")
                entity_type = action.split(".")[0]
                for field in fields:
                    if not labels.is_hidden(field) and labels.field_label(action, entity_type, field) == field:
                        missing.append(f"{where}: field {field!r} of {action!r} has no label")
        assert not missing, "\n".join(missing)


def test_every_label_is_translated_to_english(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        vocabulary = labels.vocabulary()
        german = {"Zertifikat ausgestellt", "Name auf dem Zertifikat", "Gebietskörperschaft", "Anwesenheit geändert"}
        shown = {str(label) for label in [*vocabulary.actions.values(), *vocabulary.fields.values()]}
        assert not german & shown


# --- what a full run of the programme writes --------------------------------------------------


def _scenario(app, factory, admin, trainer, coordinator, other_coordinator):
    """Touch every feature that records events, through its services, as the pages do."""
    from wirlearn.assessments.services import AssessmentEntry, save_assessments
    from wirlearn.attendance.services import Entry, load_roster, save_roster
    from wirlearn.auth.models import User
    from wirlearn.certificates import services as certificates
    from wirlearn.programme import services as programme
    from wirlearn.programme.models import Enrollment, Region
    from wirlearn.users import services as users

    main = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator))
    eligible = make_eligible(app, main, coordinator)
    with app.test_request_context():
        acting = db.session.get(User, admin.id)
        region = db.session.scalars(select(Region).order_by(Region.id)).first()
        programme.update_region(region, {"name": region.name + " (neu)", "kind": region.kind})
        series = programme.create_series(
            {
                "title": "Neue Reihe",
                "provider": "Institut",
                "certificate_title": "Zertifikat",
                "issuer_name": "",
                "place": "Kassel",
                "description": "",
                "start_date": date(2027, 1, 4),
                "end_date": date(2027, 6, 30),
                "min_attendance_percent": 80,
                "min_module_attendance_percent": None,
                "excused_counts": False,
                "late_counts": True,
                "validity_months": None,
                "auto_issue": False,
            }
        )
        programme.update_series(series, {"min_attendance_percent": 75, "title": "Neue Reihe 2027"})
        programme.update_series(series, {"place": "Gießen"})
        first = programme.add_module(
            series,
            {
                "title": "Eins",
                "description": "",
                "teaching_units": 8,
                "required": True,
                "assessment_kind": "pass_fail",
                "max_points": None,
                "pass_mark": None,
            },
        )
        second = programme.add_module(
            series,
            {
                "title": "Zwei",
                "description": "",
                "teaching_units": 4,
                "required": False,
                "assessment_kind": "points",
                "max_points": 10,
                "pass_mark": 5,
            },
        )
        programme.update_module(
            second,
            {
                **{"title": "Zwei"},
                "teaching_units": 6,
                "required": True,
                "assessment_kind": "points",
                "max_points": 10,
                "pass_mark": 6,
            },
        )
        programme.move_module(second, -1)
        session = programme.add_session(
            first, {"date": date(2027, 2, 1), "start_time": time(9), "end_time": time(16), "place": "Raum 2"}, [trainer.id]
        )
        programme.update_session(
            session, {"date": date(2027, 2, 2), "start_time": time(10), "end_time": time(16), "place": "Raum 3"}, []
        )
        spare = programme.add_session(
            first, {"date": date(2027, 3, 1), "start_time": time(9), "end_time": time(12), "place": ""}, [trainer.id]
        )
        programme.delete_session(spare)
        programme.delete_module(
            programme.add_module(
                series,
                {
                    "title": "Drei",
                    "description": "",
                    "teaching_units": 1,
                    "required": False,
                    "assessment_kind": "pass_fail",
                    "max_points": None,
                    "pass_mark": None,
                },
            )
        )
        programme.enroll(series, [coordinator.id, other_coordinator.id])
        enrollment = db.session.scalar(
            select(Enrollment).where(Enrollment.series_id == series.id, Enrollment.user_id == other_coordinator.id)
        )
        programme.set_enrollment_status(enrollment, "withdrawn")
        user = users.create_user(
            email="neu@example.org", display_name="Nina Neu", roles={"coordinator"}, region_id=region.id, invite=False
        )
        users.update_user(
            user,
            email="nina@example.org",
            display_name="Nina Neu",
            roles={"trainer"},
            region_id=None,
            acting_user=acting,
        )
        users.set_active(user, False, acting_user=acting)
        roster = load_roster(main.session_ids[0])
        save_roster(
            main.session_ids[0], roster.version, {row.user_id: Entry("late", "Stau") for row in roster.rows}, actor_id=trainer.id
        )
        save_assessments(
            main.module_ids[0],
            {other_coordinator.id: AssessmentEntry(result="failed", feedback="Noch einmal")},
            actor_id=trainer.id,
        )
        region_name = region.name
        db.session.commit()
    with app.test_request_context():
        issued = certificates.issue_certificate(eligible, issued_by_id=admin.id)
        certificates.reissue_certificate(issued.code, issued_by_id=admin.id, holder_name="Ayşe Yılmaz-Demir")
        db.session.commit()
    return region_name


@pytest.fixture
def scenario(app, factory, admin, trainer, coordinator, other_coordinator):
    return _scenario(app, factory, admin, trainer, coordinator, other_coordinator)


def test_every_event_of_a_full_run_is_labelled(app, scenario):
    with app.test_request_context():
        events = db.session.scalars(select(AuditEvent)).all()
        actions = {event.action for event in events}
        assert {"series.created", "series.rules_changed", "session.changed", "user.changed", "certificate.reissued"} <= actions
        missing = []
        for event in events:
            if labels.action_label(event.action) == event.action:
                missing.append(f"action {event.action!r}")
            for key in {**(event.before or {}), **(event.after or {})}:
                if not labels.is_hidden(key) and labels.field_label(event.action, event.entity_type, key) == key:
                    missing.append(f"field {key!r} of {event.action!r}")
        assert not missing, missing


def test_the_log_page_shows_labels_names_and_translated_values(app, client, login, admin, trainer, scenario):
    login(client, admin)
    page = client.get("/verwaltung/protokoll").get_data(as_text=True)
    page = page[page.index("<table") :]  # the filter's option values are keys, and may be
    for raw in ("certificate.issued", "holder_name", "region_id", "user.created", "trainers:", "valid →", "roster_version"):
        assert raw not in page
    assert "Zertifikat neu ausgestellt" in page and "Name auf dem Zertifikat" in page
    assert "Zustand: <del>gültig</del> → <ins>ersetzt</ins>" in page or "<ins>gültig</ins>" in page
    assert f"Trainer/innen: <del>{trainer.display_name}</del> → <ins>–</ins>" in page  # ids became names
    assert f"Gebietskörperschaft: <ins>{scenario}</ins>" in page
    assert "Anwesenheit: <del>anwesend</del> → <ins>verspätet</ins>" in page
    assert "Beginn: <ins>04.01.2027</ins>" in page
    assert "Rollen: <del>Koordinator/in (Teilnehmende)</del>" in page
    assert "Teilnahmestatus: <del>aktiv</del> → <ins>ausgeschieden</ins>" in page


def test_the_log_page_in_english(app, client, login, admin, scenario):
    login(client, admin)
    client.post("/sprache", data={"lang": "en"})
    page = client.get("/verwaltung/protokoll").get_data(as_text=True)
    assert "Zertifikat neu ausgestellt" not in page and "Name auf dem Zertifikat" not in page


def test_a_feature_cannot_label_another_features_action():
    class First:
        AUDIT_LABELS = {"thing.done": "A"}

    class Second:
        AUDIT_LABELS = {"thing.done": "B"}

    vocabulary = labels.Vocabulary()
    vocabulary.add("wirlearn.first", First)
    with pytest.raises(ValueError, match="thing.done"):
        vocabulary.add("wirlearn.second", Second)
