"""Jinja filters: dates as 25.11.2026, times as 09:30, in the visitor's language."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from markupsafe import Markup

from wirlearn.core.timeutil import to_local


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, "medium")


def fmt_datetime(value: datetime | None) -> str:
    """A stored UTC timestamp as local date and time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{format_date(local.date(), 'medium')}, {local:%H:%M}"


def fmt_time(value: time | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


def fmt_weekday_date(value: date) -> str:
    return format_datetime(datetime.combine(value, time()), "EEEE, d. MMMM yyyy")


def fmt_percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value, "#,##0 %")


def fmt_decimal(value) -> str:
    return "" if value is None else format_decimal(value, "#,##0.##")


def field_attrs(field, hint=None, extra: dict | None = None) -> dict:
    """HTML attributes that tie a form field to its hint and error text."""
    attrs = dict(extra or {})
    described_by = []
    if hint:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        described_by.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return attrs


def role_label(role: str) -> str:
    from wirlearn.core.forms import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role))


# Explicit bidi embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def isolate_bidi(value):
    """Template output: text carrying bidi controls (a right-to-left override in a name, say) is
    wrapped in a first-strong isolate, so it cannot reorder the text around it on the page."""
    if isinstance(value, str) and not BIDI_CONTROLS.isdisjoint(value):
        if isinstance(value, Markup):  # e.g. a translated sentence with a name in it
            return Markup("\u2068") + value + Markup("\u2069")
        return "\u2068" + value + "\u2069"
    return value


def register(app: Flask) -> None:
    app.jinja_env.finalize = isolate_bidi
    app.add_template_global(field_attrs, "field_attrs")
    app.add_template_global(get_locale, "get_locale")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_time, "time")
    app.add_template_filter(fmt_weekday_date, "weekday_date")
    app.add_template_filter(fmt_percent, "percent")
    app.add_template_filter(fmt_decimal, "decimal")
