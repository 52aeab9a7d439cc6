"""Calendar feeds: parsed with icalendar and with vobject, tokens, windows, overrides, DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import vobject
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy.orm import Session

from app import feeds
from app.feeds import feed_token, feed_urls, feed_window, local, whole_shifts
from app.schedule import Override, OverrideIndex, Rotation, ShiftLength, shifts
from app.storage import get_engine
from app.storage.overrides import OverrideCache, add_override
from app.web import create_app

SECRET = "test-secret"  # the settings fixture's secret_key
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


@pytest.fixture
def feed_app(app: Flask) -> Flask:
    return app


@pytest.fixture
def get(feed_app: Flask):  # type: ignore[no-untyped-def]
    client = feed_app.test_client()

    def fetch(kind: str, ident: str, token: str | None = "", **params: str):  # type: ignore[no-untyped-def]
        query = dict(params)
        if token is not None:
            query["token"] = token or feed_token(SECRET, kind, ident)  # type: ignore[arg-type]
        return client.get(f"/calendar/{kind}/{ident}.ics", query_string=query)

    return fetch


def events(body: bytes) -> list:  # type: ignore[type-arg]
    return sorted(Calendar.from_ical(body).walk("VEVENT"), key=lambda e: e.start)


def vevents(body: bytes) -> list:  # type: ignore[type-arg]
    return sorted(vobject.readOne(body.decode()).vevent_list, key=lambda e: e.dtstart.value)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_person_feed_has_their_shifts_across_rotations_in_both_parsers(get) -> None:  # type: ignore[no-untyped-def]
    response = get("person", "bob", **{"from": "2026-10-01", "to": "2026-11-10"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private"
    parsed, independent = events(response.data), vevents(response.data)
    # Primary weeks 40 and 43 are Bob's; "night" is his every night, 18:00-08:00, and the nights
    # of 2026-09-30 and 2026-11-10 reach into the window.
    assert len(parsed) == len(independent) == 2 + 42
    summaries = [str(e["SUMMARY"]) for e in parsed]
    assert summaries.count("On call: primary (Bob)") == 2
    assert summaries.count("On call: night (Bob)") == 42
    assert [str(e.summary.value) for e in independent] == summaries
    spans = [(e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC)) for e in independent]
    assert spans == [(e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in parsed]
    assert (utc(2026, 9, 30, 16), utc(2026, 10, 1, 6)) == spans[0]
    assert (utc(2026, 10, 12, 7), utc(2026, 10, 19, 7)) in spans
    assert (utc(2026, 10, 24, 16), utc(2026, 10, 25, 7)) in spans  # 15 hours: clocks fall back
    assert (utc(2026, 11, 2, 8), utc(2026, 11, 9, 8)) in spans
    assert spans[-1] == (utc(2026, 11, 10, 17), utc(2026, 11, 11, 7))


def test_rotation_feed_across_both_dst_changes(get) -> None:  # type: ignore[no-untyped-def]
    body = get("rotation", "primary", **{"from": "2026-03-01", "to": "2026-11-30"}).data
    parsed, independent = events(body), vevents(body)
    # Whole weeks, from the one running on Sunday 1 March (begun Monday 23 February) to the one
    # beginning Monday 30 November.
    assert len(parsed) == len(independent) == 41
    assert parsed[0].start == datetime(2026, 2, 23, 9, tzinfo=BERLIN)
    assert parsed[-1].start == datetime(2026, 11, 30, 9, tzinfo=BERLIN)
    by_start = {e.dtstart.value.astimezone(UTC): e for e in independent}
    spring, autumn = by_start[utc(2026, 3, 23, 8)], by_start[utc(2026, 10, 19, 7)]
    assert spring.dtend.value.astimezone(UTC) == utc(2026, 3, 30, 7)  # 167 hours
    assert autumn.dtend.value.astimezone(UTC) == utc(2026, 10, 26, 8)  # 169 hours
    assert spring.summary.value == autumn.summary.value == "On call: primary (Dana)"
    # vobject reads the times through the VTIMEZONE in the file, not a zone database of its own.
    assert repr(spring.dtstart.value.tzinfo) == "<tzicalvtz 'Europe/Berlin'>"
    people = {str(e["SUMMARY"]) for e in parsed}
    assert people == {f"On call: primary ({n})" for n in ("Alice", "Bob", "Dana")}


def test_the_file_is_complete_rfc_5545(get) -> None:  # type: ignore[no-untyped-def]
    body = get("person", "bob").data
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == feeds.ical.PRODID
    assert calendar.get_missing_tzids() == set()
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    found = calendar.walk("VEVENT")
    assert found
    for event in found:
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert name in event, name
        assert event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"] == "Europe/Berlin"
        assert event["DTSTAMP"].dt == utc(2026, 12, 2, 12)  # the app's clock
    uids = [str(e["UID"]) for e in found]
    assert len(set(uids)) == len(uids)


def test_default_window_keeps_whole_shifts_and_stable_uids(get, clock) -> None:  # type: ignore[no-untyped-def]
    first = events(get("rotation", "primary").data)
    # 30 days before 2026-12-02 12:00 UTC is Monday 2 November, during that day's 09:00 handoff
    # week; 180 days after it is Monday 31 May 2027 12:00, after that morning's handoff.
    assert first[0].start == datetime(2026, 11, 2, 9, tzinfo=BERLIN)
    assert first[-1].start == datetime(2027, 5, 31, 9, tzinfo=BERLIN)
    assert len(first) == 31
    clock[0] += timedelta(days=3)
    later = events(get("rotation", "primary").data)
    assert later[0].start == first[0].start  # not cut at the moved window edge
    assert {str(e["UID"]) for e in later} == {str(e["UID"]) for e in first}
    assert first[0]["UID"] == "primary-20261102T080000Z@hotline"



def test_a_person_feed_spans_rotations_in_different_zones(get, feed_app, config) -> None:  # type: ignore[no-untyped-def]
    us = Rotation("us", ("alice", "erin"), "America/New_York", datetime(2026, 3, 2).date(), time(9))
    feed_app.extensions["hotline"].config = replace(config, rotations={**config.rotations, "us": us})
    body = get("person", "alice", **{"from": "2026-03-01", "to": "2026-03-31"}).data
    calendar = Calendar.from_ical(body)
    assert sorted(tz["TZID"] for tz in calendar.walk("VTIMEZONE")) == ["America/New_York",
                                                                       "Europe/Berlin"]
    found = [(e.summary.value, e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC))
             for e in vevents(body)]
    us_week, primary_week = "On call: us (Alice)", "On call: primary (Alice)"
    assert found == [  # both zones change clocks in March, on different days
        (us_week, utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),
        (primary_week, utc(2026, 3, 9, 8), utc(2026, 3, 16, 8)),
        (us_week, utc(2026, 3, 16, 13), utc(2026, 3, 23, 13)),
        (primary_week, utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)),
        (us_week, utc(2026, 3, 30, 13), utc(2026, 4, 6, 13)),
    ]
    assert [(str(e["SUMMARY"]), e.start, e.end) for e in events(body)] == found

@pytest.mark.parametrize("params", [
    {"from": "2026-13-01"}, {"to": "soon"}, {"from": "2026-06-01", "to": "2026-05-01"},
    {"from": "2026-01-01", "to": "2027-03-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01"},
    {"from": "2040-01-01", "to": "2040-02-01"},
])
def test_bad_window_is_a_400(get, params) -> None:  # type: ignore[no-untyped-def]
    assert get("person", "alice", **params).status_code == 400


def test_window_bounds() -> None:
    now = utc(2026, 12, 2, 12)
    assert feed_window(now, BERLIN) == (utc(2026, 11, 2, 12), utc(2027, 5, 31, 12))
    assert feed_window(now, BERLIN, "2027-01-01", "2027-01-31") == (
        utc(2026, 12, 31, 23), utc(2027, 1, 31, 23))  # the last day included
    start, end = feed_window(now, BERLIN, "2027-01-01T08:00+00:00")
    assert (start, end - start) == (utc(2027, 1, 1, 8), timedelta(days=210))
    start, end = feed_window(now, BERLIN, None, "2027-01-31T12:00")
    assert (end, end - start) == (utc(2027, 1, 31, 11), timedelta(days=210))


@pytest.mark.parametrize(("kind", "ident", "token"), [
    ("person", "alice", None),                                   # no token
    ("person", "alice", "x" * 24),                               # wrong token
    ("person", "alice", feed_token(SECRET, "person", "bob")),    # somebody else's
    ("person", "alice", feed_token(SECRET, "rotation", "alice")),
    ("person", "alice", feed_token("other-secret", "person", "alice")),
    ("rotation", "primary", feed_token(SECRET, "person", "primary")),
    ("person", "nobody", feed_token(SECRET, "person", "nobody")),  # right token, no such person
    ("rotation", "nights", feed_token(SECRET, "rotation", "nights")),
])
def test_without_the_right_token_there_is_no_feed(get, kind, ident, token) -> None:  # type: ignore[no-untyped-def]
    response = get(kind, ident, token=token)
    assert response.status_code == 404
    assert b"VCALENDAR" not in response.data
    assert response.data == get("person", "alice", token="wrong").data


def test_feed_urls_open_their_feeds(get, settings, config) -> None:  # type: ignore[no-untyped-def]
    urls = feed_urls(settings, config, "https://hotline.example.com/")
    assert set(urls["person"]) == set(config.people)
    assert set(urls["rotation"]) == {"primary", "night"}
    token = feed_token(SECRET, "person", "alice")
    assert urls["person"]["alice"] == (
        f"https://hotline.example.com/calendar/person/alice.ics?token={token}")
    assert len(token) == 24 and token.isascii() and "=" not in token
    for kind, by_id in urls.items():
        for ident, url in by_id.items():
            assert get(kind, ident, token=url.partition("token=")[2]).status_code == 200


def test_overrides_from_the_runtime_are_shown(get, feed_app) -> None:  # type: ignore[no-untyped-def]
    swap = Override("swap-1", "primary", "erin", utc(2026, 12, 9, 12), utc(2026, 12, 11, 12))
    feed_app.extensions["hotline"].overrides = lambda: OverrideIndex([swap])
    window = {"from": "2026-12-07", "to": "2026-12-13"}
    erin = events(get("person", "erin", **window).data)
    assert [(str(e["SUMMARY"]), e.start, e.end) for e in erin] == [
        ("On call: primary (Erin, override)", swap.start, swap.end)]
    assert "swap-1" in str(erin[0]["DESCRIPTION"])
    alice = [(e.start.astimezone(UTC), e.end.astimezone(UTC))  # her week, cut by the swap
             for e in events(get("person", "alice", **window).data)]
    assert alice == [(utc(2026, 12, 7, 8), swap.start), (swap.end, utc(2026, 12, 14, 8))]
    feed_app.extensions["hotline"].overrides = [swap]  # a plain sequence will do too
    assert len(events(get("person", "erin", **window).data)) == 1


def test_a_stored_override_reaches_the_feed(db_url, settings, config, sink, clock) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(db_url)
    cache = OverrideCache(engine, 3600.0)
    app = create_app(settings, config, sink, clock=lambda: clock[0], overrides=cache, TESTING=True)
    with Session(engine) as session, session.begin():
        row_id = add_override(session, "night", "erin", utc(2026, 12, 3, 17),
                              utc(2026, 12, 4, 7)).id
    assert cache.refresh()
    response = app.test_client().get("/calendar/person/erin.ics", query_string={
        "token": feed_token(SECRET, "person", "erin"), "from": "2026-12-01", "to": "2026-12-07"})
    (event,) = events(response.data)
    assert str(event["SUMMARY"]) == "On call: night (Erin, override)"
    assert f"(override {row_id})" in str(event["DESCRIPTION"])
    assert (event.start, event.end) == (utc(2026, 12, 3, 17), utc(2026, 12, 4, 7))

def test_an_override_in_the_repeated_hour_is_written_in_utc(get, feed_app) -> None:  # type: ignore[no-untyped-def]
    # 01:30 UTC on 2026-10-25 is the second 02:30 in Berlin; a TZID time would mean the first.
    swap = Override("late", "night", "erin", utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 4))
    feed_app.extensions["hotline"].overrides = lambda: OverrideIndex([swap])
    body = get("person", "erin", **{"from": "2026-10-24", "to": "2026-10-25"}).data
    assert b"DTSTART:20261025T013000Z" in body
    assert b"DTEND;TZID=Europe/Berlin:20261025T050000" in body
    zones = [tz["TZID"] for tz in Calendar.from_ical(body).walk("VTIMEZONE")]
    assert zones == ["Europe/Berlin"]  # UTC needs none (RFC 5545, 3.2.19)
    (parsed,), (independent,) = events(body), vevents(body)
    assert parsed.start == independent.dtstart.value == swap.start
    assert parsed.end == independent.dtend.value == swap.end
    assert local(utc(2026, 10, 25, 0, 30), BERLIN).tzinfo is BERLIN  # the first 02:30 is fine


ROTATIONS = [
    Rotation("weekly", ("a", "b", "c"), "Europe/Berlin", datetime(2026, 1, 5).date(), time(2, 30)),
    Rotation("nights", ("a",), "America/New_York", datetime(2026, 1, 1).date(), time(18),
             ShiftLength(1, "days"), active=(time(18), time(8))),
    Rotation("halves", ("a", "b"), "Australia/Sydney", datetime(2026, 2, 1).date(), time(7),
             ShiftLength(12, "hours")),
]
BASE = utc(2026, 10, 1)
hours = st.integers(0, 24 * 60)


@st.composite
def override_lists(draw: st.DrawFn) -> list[Override]:
    found = []
    for i in range(draw(st.integers(0, 4))):
        start = BASE + draw(hours) * H
        rotation = draw(st.sampled_from([None, *(r.id for r in ROTATIONS)]))
        length = draw(st.integers(1, 24 * 20)) * H
        found.append(Override(f"o{i}", rotation, draw(st.sampled_from("abz")), start, start + length))
    return found


@hypothesis.settings(max_examples=80, deadline=None, database=None)
@given(st.sampled_from(ROTATIONS), hours, st.integers(1, 24 * 15), override_lists())
def test_whole_shifts_are_the_shifts_of_a_wide_window_that_overlap(rotation, at, span, overrides) -> None:  # type: ignore[no-untyped-def]
    start = BASE + at * H + timedelta(minutes=17)
    end = start + span * H
    wide = shifts(rotation, BASE - timedelta(days=60), BASE + timedelta(days=150), overrides)
    expected = [s for s in wide if s.end > start and s.start < end]
    assert whole_shifts(rotation, start, end, overrides) == expected
    assert whole_shifts(rotation, start, end, OverrideIndex(overrides)) == expected


def test_a_person_without_shifts_gets_a_valid_empty_calendar(get) -> None:  # type: ignore[no-untyped-def]
    body = get("person", "carol").data
    calendar = Calendar.from_ical(body)
    assert calendar.walk("VEVENT") == []
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    independent = vobject.readOne(body.decode())
    assert independent.name == "VCALENDAR" and not hasattr(independent, "vevent")


def test_instants_around_the_spring_forward_gap_survive_both_parsers(get, feed_app) -> None:  # type: ignore[no-untyped-def]
    # Berlin skips 02:00-03:00 on 2026-03-29: edges at 00:30, 01:00 (03:00 CEST), 01:30 UTC.
    edges = [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30),
             utc(2026, 3, 29, 2, 30)]
    index = OverrideIndex(Override(f"o{i}", "primary", who, a, b)
                          for i, (who, a, b) in enumerate(zip("ece", edges, edges[1:], strict=False)))
    feed_app.extensions["hotline"].overrides = lambda: index
    body = get("rotation", "primary", **{"from": "2026-03-29", "to": "2026-03-29"}).data
    spans = [(e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC)) for e in vevents(body)]
    assert spans == [(e.start, e.end) for e in events(body)]
    assert spans == [(utc(2026, 3, 23, 8), edges[0]), *zip(edges, edges[1:], strict=False),
                     (edges[-1], utc(2026, 3, 30, 7))]
    assert b"DTSTART;TZID=Europe/Berlin:20260329T030000" in body
