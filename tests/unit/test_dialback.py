"""Which numbers a callback may go to: the toll-fraud table, and typed numbers read as E.164."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.calls.dialback import OK, allowed_countries, refusal, spoken_digits, typed_number
from app.config import HotlineConfig, load_config
from app.config.callbacks import CallbacksSection
from app.config.model import Security
from app.guard.port import LocalGuard
from tests.support.constants import TEST_CONFIG


@pytest.fixture(scope="module")
def config() -> HotlineConfig:
    return load_config(TEST_CONFIG)


def test_the_default_countries_are_the_hotlines_and_its_contracts(config) -> None:  # type: ignore[no-untyped-def]
    assert allowed_countries(config) == {"DE", "US"}  # the hotline's region, globex is in New York
    only_fr = replace(config, callbacks=CallbacksSection(countries=["fr"]))
    assert allowed_countries(only_fr) == {"FR"}


@pytest.mark.parametrize(("number", "reason"), [
    ("+4930123456", OK),                               # Berlin landline
    ("+4915123456789", OK),                            # German mobile
    ("+498001234567890", OK),                          # German freephone
    ("+12015550123", OK),                              # US, a contract's country
    ("+499001234567", "surcharged or unusual number type"),    # premium rate
    ("+4918012345", "surcharged or unusual number type"),      # shared cost
    ("+4918500123456", "surcharged or unusual number type"),   # UAN
    ("+4970012345678", "surcharged or unusual number type"),   # personal number
    ("+4916412345", "surcharged or unusual number type"),      # pager
    ("+19002345678", "surcharged or unusual number type"),     # US premium rate
    ("+15002345678", "surcharged or unusual number type"),     # US personal (500)
    ("+447400123456", "country not allowed"),                  # a UK mobile
    ("+33612345678", "country not allowed"),                   # a French mobile
    ("+4990", "not a valid number"),
    ("+999123456789", "not a number"),                # no such country code
    ("", "no number"),
    (None, "no number"),
    ("garbage", "not a number"),
])
def test_toll_fraud_table(config, number, reason) -> None:  # type: ignore[no-untyped-def]
    assert refusal(number, config) == reason


def test_blocklisted_numbers_and_prefixes_are_refused(config) -> None:  # type: ignore[no-untyped-def]
    blocked = replace(config, security=Security(blocklist=("+4930123",)))
    assert refusal("+4930123456", blocked) == "blocklisted"
    assert refusal("+4930999888", blocked) == OK


def test_other_countries_only_when_configured(config) -> None:  # type: ignore[no-untyped-def]
    with_fr = replace(config, callbacks=CallbacksSection(countries=["DE", "FR"]))
    assert refusal("+33612345678", with_fr) == OK
    assert refusal("+33891123456", with_fr) == "surcharged or unusual number type"
    assert refusal("+12015550123", with_fr) == "country not allowed"


@pytest.mark.parametrize(("digits", "number"), [
    ("0049301234567", "+49301234567"),   # international with 00
    ("030123456", "+4930123456"),        # national in the hotline's region
    ("1", None),                         # too short to be any number
    ("", None),
    ("1" * 17, None),
])
def test_typed_numbers(config, digits, number) -> None:  # type: ignore[no-untyped-def]
    assert typed_number(digits, config) == number


def test_spoken_digits() -> None:
    assert spoken_digits("+4930123") == "4 9 3 0 1 2 3"


def test_callback_requests_are_limited_per_caller_and_overall() -> None:
    now = [0.0]
    guard = LocalGuard(clock=lambda: now[0])
    assert [guard.callback_reserve("+4930123456", 2, 3) for _ in range(3)] == [True, True, False]
    assert guard.callback_reserve("+4930999888", 2, 3) is True
    assert guard.callback_reserve("+4930777666", 2, 3) is False, "the overall limit"
    now[0] = 3601.0  # an hour later the window is empty again
    assert guard.callback_reserve("+4930123456", 2, 3) is True
    assert guard.pin_allowed("+4930123456"), "callback requests do not count as PIN attempts"
