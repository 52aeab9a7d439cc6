"""The seal over the values in our URLs: an unambiguous encoding under a key per purpose."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.calls.seal import SEAL_LENGTH, canonical, derive_key, is_sealed, seal, sealed

VALUES = st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=8)


def decoded(data: bytes) -> list[str | None]:
    """The inverse of ``canonical``: it exists, so no two value lists share an encoding."""
    values: list[str | None] = []
    while data:
        if data[:1] == b"-":
            values.append(None)
            data = data[1:]
            continue
        length, rest = data.split(b":", 1)
        values.append(rest[: int(length)].decode("utf-8", "surrogatepass"))
        data = rest[int(length):]
    return values


@given(VALUES)
@settings(max_examples=300, deadline=None, database=None)
def test_the_encoding_reads_back(values: list[str | None]) -> None:
    assert decoded(canonical(values)) == values


def test_values_that_run_together_differently_seal_differently() -> None:
    key = derive_key("secret", "call-state")
    assert seal(key, ["ab", "c"]) != seal(key, ["a", "bc"])
    assert seal(key, ["", None]) != seal(key, [None, ""]) != seal(key, ["", ""])
    assert seal(key, ["1:a"]) != seal(key, ["1", "a"])


def test_keys_differ_by_secret_and_by_purpose() -> None:
    keys = {derive_key(s, p) for s in ("one", "two") for p in ("call-state", "alert-page")}
    assert len(keys) == 4


def test_a_seal_is_checked_whole_and_last() -> None:
    key = derive_key("secret", "alert-page")
    query = sealed(key, {"m": "stale", "a": "7", "p": "dana"}, ("a", "p", "x"))
    assert list(query) == ["a", "p", "m"] and len(query["m"]) == SEAL_LENGTH
    assert is_sealed(key, query, ("a", "p", "x"))
    assert not is_sealed(key, {**query, "x": ""}, ("a", "p", "x"))  # absent is not empty
    assert not is_sealed(key, {**query, "m": query["m"][:-1]}, ("a", "p", "x"))
    assert not is_sealed(key, {**query, "m": query["m"] + "A"}, ("a", "p", "x"))
    assert not is_sealed(key, {**query, "m": "é" * SEAL_LENGTH}, ("a", "p", "x"))
    assert not is_sealed(derive_key("secret", "call-state"), query, ("a", "p", "x"))
