"""The call state carried in webhook URLs: sealed, and parsed once per query string exactly as
werkzeug reads it."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.calls.seal import seal
from app.calls.state import CallState, sealed_names, state_key
from app.web.voice.views import state_of

KEY = state_key("test-secret")
IDS = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
STATES = st.builds(CallState, contract=st.one_of(st.just(""), IDS),
                   chain=st.lists(IDS, max_size=12).map(tuple), step=st.integers(0, 99),
                   version=st.text(alphabet="0123456789abcdef", max_size=12),
                   line=st.one_of(st.just(""), IDS),
                   language=st.sampled_from(["", "de", "fr-CH"]), passes=st.integers(1, 5),
                   since=st.one_of(st.just(0), st.integers(1, 4_000_000_000)))

NAMES = st.sampled_from(["c", "ch", "s", "v", "l", "g", "p", "w", "t", "x", "c%20", ""])
VALUES = st.one_of(st.text(max_size=12), st.sampled_from(["acme", "dana.alice.erin", "0", "11", "-1", "%zz"]))


def request_for(query: str) -> Request:
    raw = query.encode("utf-8")
    environ = EnvironBuilder().get_environ()
    environ["QUERY_STRING"] = raw.decode("latin-1")  # as a WSGI server hands it over
    request = Request(environ)
    assert request.query_string == raw
    return request


@given(st.lists(st.tuples(NAMES, VALUES, st.booleans()), max_size=8), st.booleans())
@example([("v", "%80", False)], True)  # a percent-encoded byte that is not UTF-8
@settings(max_examples=200, deadline=None, database=None)
def test_a_kept_state_equals_the_state_werkzeug_parses(parts: list[tuple[str, str, bool]],
                                                       sealed: bool) -> None:
    query = "&".join(f"{name}={quote(value) if encode else value}" for name, value, encode in parts)
    if sealed:  # our seal over the values as werkzeug reads them
        args = request_for(query).args
        query += f"&m={seal(KEY, [args.get(name) for name in sealed_names(args)])}"
    raw = query.encode("utf-8")
    fresh = CallState.from_query(request_for(query).args.to_dict(), KEY)
    assert (fresh is not None) == sealed
    assert state_of(raw, KEY) == fresh
    assert state_of(raw, KEY) is state_of(raw, KEY)


def parsed(query: str, key: bytes = KEY) -> CallState | None:
    return CallState.from_query(dict(parse_qsl(query, keep_blank_values=True)[::-1]), key)


@given(STATES)
@settings(max_examples=200, deadline=None, database=None)
def test_a_sealed_state_reads_back_whole(state: CallState) -> None:
    query = urlencode(state.to_query(KEY))
    assert query.rsplit("&", 1)[1].startswith("m=")  # the seal comes last
    assert parsed(query) == state
    assert parsed(query, state_key("another-secret")) is None


@given(STATES, st.data())
@settings(max_examples=200, deadline=None, database=None)
def test_a_shortened_or_lengthened_state_is_no_state(state: CallState, data: st.DataObject) -> None:
    """What moving characters between the URL and the first form key can do (see
    tests/web/test_state_seal.py): cut the query string short, or append characters to it."""
    query = urlencode(state.to_query(KEY))
    cut = data.draw(st.integers(0, len(query) - 1))
    assert parsed(query[:cut]) is None
    tail = data.draw(st.text(alphabet="ACDFRTSabcdefz0123456789+-._%=", min_size=1, max_size=40))
    assert parsed(query + tail) is None


@given(STATES, STATES)
@settings(max_examples=200, deadline=None, database=None)
def test_the_seal_of_one_state_fits_no_other(one: CallState, other: CallState) -> None:
    mark = one.to_query(KEY)["m"]
    query = urlencode({**other.to_query(KEY), "m": mark})
    assert (parsed(query) is not None) == (other.to_query(KEY) == one.to_query(KEY))


def test_moving_to_another_step_keeps_everything_else() -> None:
    state = CallState("acme", ("dana", "alice"), 0, "v1", "main")
    assert state.at_step(1) == CallState("acme", ("dana", "alice"), 1, "v1", "main")
    assert state.at_step(1).person == "alice" and state.at_step(2).person is None


def test_bytes_that_are_not_utf8_make_an_empty_value_not_an_error() -> None:
    args = {"c": "\ufffd", "s": "1", "ch": "dana.\ufffd"}
    mark = seal(KEY, [args.get(name) for name in sealed_names(args)]).encode()
    assert state_of(b"c=\xff&s=1&ch=dana.\xfe&m=" + mark, KEY) == CallState("", ("dana",), 1)
    assert state_of(b"c=\xff&s=1&ch=dana.\xfe", KEY) is None
