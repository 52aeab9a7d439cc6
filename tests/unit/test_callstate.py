"""The call state carried in webhook URLs: parsed once per query string, exactly as werkzeug reads it."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.calls.state import CallState
from app.web.voice.views import state_of

NAMES = st.sampled_from(["c", "ch", "s", "v", "l", "t", "x", "c%20", ""])
VALUES = st.one_of(st.text(max_size=12), st.sampled_from(["acme", "dana.alice.erin", "0", "11", "-1", "%zz"]))


@given(st.lists(st.tuples(NAMES, VALUES, st.booleans()), max_size=8))
@example([("v", "%80", False)])  # a percent-encoded byte that is not UTF-8
@settings(max_examples=200, deadline=None, database=None)
def test_a_kept_state_equals_the_state_werkzeug_parses(parts: list[tuple[str, str, bool]]) -> None:
    query = "&".join(f"{name}={quote(value) if encode else value}" for name, value, encode in parts)
    raw = query.encode("utf-8")
    environ = EnvironBuilder().get_environ()
    environ["QUERY_STRING"] = raw.decode("latin-1")  # as a WSGI server hands it over
    request = Request(environ)
    assert request.query_string == raw
    fresh = CallState.from_query(request.args.to_dict())
    assert state_of(raw) == fresh
    assert state_of(raw) is state_of(raw)


def test_moving_to_another_step_keeps_everything_else() -> None:
    state = CallState("acme", ("dana", "alice"), 0, "v1", "main")
    assert state.at_step(1) == CallState("acme", ("dana", "alice"), 1, "v1", "main")
    assert state.at_step(1).person == "alice" and state.at_step(2).person is None


def test_bytes_that_are_not_utf8_make_an_empty_value_not_an_error() -> None:
    assert state_of(b"c=\xff&s=1&ch=dana.\xfe") == CallState("", ("dana",), 1)
