"""iCalendar documents (RFC 5545) of on-call shifts: one person's, or one rotation's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from app.config import HotlineConfig
from app.feeds.window import Overrides, whole_shifts
from app.schedule import OverrideIndex, Rotation, Shift

PRODID = "-//hotline//on-call feed//EN"
REFRESH = timedelta(hours=1)
# Time zone definitions reach this far around the shifts, for clients that expand them.
ZONE_MARGIN = timedelta(days=366)


def person_calendar(config: HotlineConfig, person_id: str, start: datetime, end: datetime,
                    overrides: Overrides = (), stamp: datetime | None = None) -> Calendar:
    """Everything ``person_id`` is on call for, across all rotations, overlapping [start, end)."""
    index = _index(overrides)
    entries = [
        (rotation, shift)
        for rotation in config.rotations.values()
        for shift in whole_shifts(rotation, start, end, index)
        if shift.person == person_id
    ]
    entries.sort(key=lambda entry: (entry[1].start, entry[0].id))
    name = _name(config, person_id)
    return build_calendar(config, f"On call: {name}", entries, stamp)


def rotation_calendar(config: HotlineConfig, rotation_id: str, start: datetime, end: datetime,
                      overrides: Overrides = (), stamp: datetime | None = None) -> Calendar:
    """The shifts of one rotation overlapping [start, end), whoever is on call."""
    rotation = config.rotations[rotation_id]
    entries = [(rotation, shift) for shift in whole_shifts(rotation, start, end, _index(overrides))]
    return build_calendar(config, f"On call: {rotation_id}", entries, stamp)


def build_calendar(config: HotlineConfig, title: str, entries: Iterable[tuple[Rotation, Shift]],
                   stamp: datetime | None = None) -> Calendar:
    """A published calendar with one event per shift and the time zones they use."""
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", f"{title} ({config.hotline.name})")
    calendar.add("x-wr-calname", f"{title} ({config.hotline.name})")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    events = [shift_event(config, rotation, shift, stamp) for rotation, shift in entries]
    for event in events:
        calendar.add_component(event)
    if events:
        first = min(shift.start for _, shift in entries) - ZONE_MARGIN
        last = max(shift.end for _, shift in entries) + ZONE_MARGIN
        calendar.add_missing_timezones(first_date=first.date(), last_date=last.date())
    else:  # a calendar holds at least one component (RFC 5545, 3.6)
        calendar.add_component(Timezone.from_tzid(
            config.hotline.timezone, first_date=(stamp - ZONE_MARGIN).date(),
            last_date=(stamp + ZONE_MARGIN).date()))
    return calendar


def shift_event(config: HotlineConfig, rotation: Rotation, shift: Shift, stamp: datetime) -> Event:
    """One VEVENT; its UID is the rotation and the start, stable for as long as the shift is."""
    name = _name(config, shift.person)
    event = Event()
    event.add("uid", f"{shift.rotation_id}-{shift.start:%Y%m%dT%H%M%SZ}@hotline")
    event.add("dtstamp", stamp)
    event.add("dtstart", local(shift.start, rotation.tz))
    event.add("dtend", local(shift.end, rotation.tz))
    if shift.kind == "override":
        event.add("summary", f"On call: {shift.rotation_id} ({name}, override)")
        event.add("description", f"{name} covers rotation {shift.rotation_id} "
                                 f"(override {shift.override_id}).")
    else:
        event.add("summary", f"On call: {shift.rotation_id} ({name})")
        event.add("description", f"{name}'s turn in rotation {shift.rotation_id}.")
    event.add("categories", ["on-call", shift.kind])
    event.add("transp", "TRANSPARENT")  # being on call does not make anyone busy
    return event


def local(at: datetime, tz: ZoneInfo) -> datetime:
    """``at`` in ``tz`` if a TZID time names it, else in UTC.

    A local time in the hour repeated when clocks fall back means its first occurrence
    (RFC 5545, 3.3.5), so an instant in the second one is only expressible in UTC.
    """
    moment = at.astimezone(tz)
    return moment if moment.replace(fold=0).timestamp() == at.timestamp() else at.astimezone(UTC)


def _index(overrides: Overrides) -> OverrideIndex:
    return overrides if isinstance(overrides, OverrideIndex) else OverrideIndex(overrides)


def _name(config: HotlineConfig, person_id: str) -> str:
    person = config.people.get(person_id)
    return person.name if person is not None else person_id
