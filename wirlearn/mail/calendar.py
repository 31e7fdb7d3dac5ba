"""Calendar files (RFC 5545) for sessions, made with the ``icalendar`` library.

* Times are local times in ``Europe/Berlin`` with the zone's VTIMEZONE in the file, so a
  session at 9:00 stays at 9:00 on both sides of a change to or from summer time.
* The UID of a session never changes (``session-{id}@{host of BASE_URL}``); SEQUENCE is the
  session's ``calendar_sequence``, raised whenever date, time or place change, so a calendar
  replaces the entry it has instead of adding a second one.
* Reminders and updates are METHOD:PUBLISH (information, no RSVP); a cancelled session is
  METHOD:CANCEL with STATUS:CANCELLED and the next SEQUENCE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wirlearn.core.timeutil import LOCAL_TZ
from wirlearn.core.urls import base_url

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//wirlearn//Qualifizierung//DE"


@dataclass(frozen=True)
class SessionFacts:
    """What a calendar entry says about a session (also kept for a session already deleted)."""

    id: int
    date: date
    start_time: time
    end_time: time
    place: str
    module_title: str
    series_title: str
    sequence: int
    trainers: tuple[str, ...] = ()

    @classmethod
    def of(cls, session) -> SessionFacts:
        return cls(
            id=session.id,
            date=session.date,
            start_time=session.start_time,
            end_time=session.end_time,
            place=session.place or "",
            module_title=session.module.title,
            series_title=session.module.series.title,
            sequence=session.calendar_sequence,
            trainers=tuple(trainer.display_name for trainer in session.trainers),
        )

    def to_payload(self) -> dict:
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "start_time": self.start_time.isoformat(),
            "end_time": self.end_time.isoformat(),
            "place": self.place,
            "module_title": self.module_title,
            "series_title": self.series_title,
            "sequence": self.sequence,
            "trainers": list(self.trainers),
        }

    @classmethod
    def from_payload(cls, data: dict) -> SessionFacts:
        return cls(
            id=data["id"],
            date=date.fromisoformat(data["date"]),
            start_time=time.fromisoformat(data["start_time"]),
            end_time=time.fromisoformat(data["end_time"]),
            place=data.get("place", ""),
            module_title=data["module_title"],
            series_title=data["series_title"],
            sequence=data["sequence"],
            trainers=tuple(data.get("trainers", ())),
        )

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time, tzinfo=LOCAL_TZ)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end_time, tzinfo=LOCAL_TZ)


def uid(session_id: int) -> str:
    host = urlsplit(base_url()).hostname or "wirlearn"
    return f"session-{session_id}@{host}"


def event(facts: SessionFacts, *, cancelled: bool = False, stamp: datetime | None = None) -> Event:
    from icalendar import Event  # loaded where a calendar is made: web workers rarely need it

    entry = Event()
    entry.add("uid", uid(facts.id))
    entry.add("dtstamp", stamp or datetime.now(UTC).replace(microsecond=0))
    entry.add("dtstart", facts.starts_at)
    entry.add("dtend", facts.ends_at)
    entry.add("summary", f"{facts.module_title} – {facts.series_title}")
    if facts.place:
        entry.add("location", facts.place)
    if facts.trainers:
        entry.add("description", "Trainer/in: " + ", ".join(facts.trainers))
    entry.add("sequence", facts.sequence + (1 if cancelled else 0))
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    return entry


def calendar(events: list[Event], *, method: str | None = "PUBLISH", name: str | None = None) -> bytes:
    """A VCALENDAR with the events and the VTIMEZONE of Europe/Berlin for the years they span."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Berlin")
    years = [entry.decoded("dtstart").year for entry in events] or [datetime.now(UTC).year]
    for entry in events:
        cal.add_component(entry)
    cal.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    return cal.to_ical()


def session_ics(facts: SessionFacts, *, cancelled: bool = False) -> bytes:
    return calendar([event(facts, cancelled=cancelled)], method="CANCEL" if cancelled else "PUBLISH")
