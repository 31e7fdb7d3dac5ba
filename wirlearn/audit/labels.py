"""What the audit log shows instead of raw keys: labels registered by the features themselves.

Every feature that records audit events has a module ``wirlearn/<feature>/audit_events.py``::

    AUDIT_LABELS = {"certificate.issued": _l("Zertifikat ausgestellt"), ...}  # every action it records
    FIELD_LABELS = {"holder_name": _l("Name auf dem Zertifikat"), ...}      # every before/after key

and, where a stored value needs more than ``str()``, optionally

    VALUE_LABELS = {"status": {"valid": _l("gültig"), ...}}   # stored code -> label
    VALUE_FORMATTERS = {"start_date": format_iso_date}        # value -> text
    REFERENCES = {"region_id": "region"}                      # the value is an id (or a list of ids)
    RESOLVERS = {"region": region_names}                      # ids -> {id: name}, one query per page
    HIDDEN_FIELDS = {"roster_version"}                        # kept in the trail, not worth showing

A key in FIELD_LABELS, VALUE_LABELS, VALUE_FORMATTERS and REFERENCES is a field name, or
``"<action>.<field>"`` / ``"<entity type>.<field>"`` where the same name means something else
elsewhere ("status" of an attendance is not the status of a certificate). The most specific key
wins. The audit feature collects these modules from the features listed in ``features.py``;
it imports nothing else from other features.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from typing import Any

from flask_babel import gettext as _

from wirlearn.core.formatting import fmt_date, fmt_time
from wirlearn.features import FEATURES

MODULE_NAME = "audit_events"


@dataclass
class Vocabulary:
    actions: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Mapping[Any, Any]] = field(default_factory=dict)
    formatters: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    resolvers: dict[str, Callable[[Iterable[Any]], Mapping[Any, str]]] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    sources: dict[str, str] = field(default_factory=dict)

    def add(self, feature: str, module) -> None:
        for action, label in getattr(module, "AUDIT_LABELS", {}).items():
            if action in self.actions and self.sources.get(action) != feature:
                raise ValueError(f"audit action {action!r} is labelled by {self.sources[action]} and {feature}")
            self.actions[action] = label
            self.sources[action] = feature
        self.fields.update(getattr(module, "FIELD_LABELS", {}))
        self.values.update(getattr(module, "VALUE_LABELS", {}))
        self.formatters.update(getattr(module, "VALUE_FORMATTERS", {}))
        self.references.update(getattr(module, "REFERENCES", {}))
        self.resolvers.update(getattr(module, "RESOLVERS", {}))
        self.hidden.update(getattr(module, "HIDDEN_FIELDS", ()))


def collect(features: Iterable[str] = FEATURES) -> Vocabulary:
    """Import ``<feature>.audit_events`` of every listed feature that has one."""
    vocabulary = Vocabulary()
    for feature in features:
        name = f"{feature}.{MODULE_NAME}"
        if importlib.util.find_spec(name) is not None:
            vocabulary.add(feature, importlib.import_module(name))
    return vocabulary


@cache
def vocabulary() -> Vocabulary:
    return collect()


def _specific(mapping: Mapping[str, Any], action: str, entity_type: str | None, key: str):
    for candidate in (f"{action}.{key}", f"{entity_type}.{key}", key):
        if candidate in mapping:
            return mapping[candidate]
    return None


def action_label(action: str) -> str:
    label = vocabulary().actions.get(action)
    return str(label) if label is not None else action


def field_label(action: str, entity_type: str | None, key: str) -> str:
    label = _specific(vocabulary().fields, action, entity_type, key)
    return str(label) if label is not None else key


def is_hidden(key: str) -> bool:
    return key in vocabulary().hidden


def reference_kind(action: str, entity_type: str | None, key: str) -> str | None:
    return _specific(vocabulary().references, action, entity_type, key)


def _ids(value) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def resolve_references(events) -> dict[str, Mapping[Any, str]]:
    """Names for every id the events' details refer to: one resolver call (one query) per kind."""
    wanted: dict[str, set] = {}
    for event in events:
        for details in (event.before or {}, event.after or {}):
            for key, value in details.items():
                kind = reference_kind(event.action, event.entity_type, key)
                if kind:
                    wanted.setdefault(kind, set()).update(_ids(value))
    resolvers = vocabulary().resolvers
    return {kind: resolvers[kind](ids) if kind in resolvers and ids else {} for kind, ids in wanted.items()}


def yes_no(value) -> str:
    return _("ja") if value else _("nein")


def iso_date(value) -> str:
    """ "2026-11-25" as 25.11.2026."""
    try:
        return fmt_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def iso_time(value) -> str:
    """ "09:30:00" as 09:30."""
    try:
        return fmt_time(time.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def value_label(action: str, entity_type: str | None, key: str, value, names: Mapping[str, Mapping[Any, str]]) -> str:
    """A stored value as a person reads it: codes translated, ids as names, dates German."""
    if value is None or value == "" or value == []:
        return "–"
    kind = reference_kind(action, entity_type, key)
    if kind:
        known = names.get(kind, {})
        return ", ".join(known.get(item) or _("Nr. %(id)s (gelöscht)", id=item) for item in _ids(value))
    labels = _specific(vocabulary().values, action, entity_type, key)
    if labels is not None:
        items = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(str(labels[item]) if item in labels else str(item) for item in items)
    formatter = _specific(vocabulary().formatters, action, entity_type, key)
    if formatter is not None:
        return formatter(value)
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: the event has no "before" (something was created)
    after: str


def changes(event, names: Mapping[str, Mapping[Any, str]]) -> list[Change]:
    """The event's details as labelled lines, hidden and unchanged fields left out."""
    before, after = event.before or {}, event.after or {}
    lines = []
    for key in dict.fromkeys([*after, *before]):
        if is_hidden(key) or before.get(key) == after.get(key):
            continue
        lines.append(
            Change(
                field_label(event.action, event.entity_type, key),
                None if event.before is None else value_label(event.action, event.entity_type, key, before.get(key), names),
                value_label(event.action, event.entity_type, key, after.get(key), names),
            )
        )
    return lines
