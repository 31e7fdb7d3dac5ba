"""Time in one place: the database stores UTC, people read Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    """Naive UTC, the form every DateTime column holds (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_now() -> datetime:
    """Naive wall-clock time in Hessen, comparable with session dates and times."""
    return datetime.now(LOCAL_TZ).replace(tzinfo=None)


def local_today() -> date:
    return local_now().date()


def to_local(value: datetime) -> datetime:
    """A stored naive-UTC timestamp as naive local time."""
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def to_local_aware(value: datetime | None) -> datetime | None:
    """A stored naive-UTC timestamp as an aware Europe/Berlin datetime (what the API sends)."""
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ) if value is not None else None
