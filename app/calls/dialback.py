"""Whether the hotline may call a number back: valid, an allowed country, not surcharged, not
blocked. A typed number is the caller's word only; this check is what stands between a callback
and toll fraud, so anything doubtful is refused."""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers
from phonenumbers import PhoneNumberType

from app.config import HotlineConfig

# Ordinary numbers a person answers. Premium-rate, shared-cost, UAN, VoIP, personal, pager,
# voicemail and unknown types cost the caller's network more or reach nobody: refused.
CALLABLE_TYPES = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE,
                            PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.TOLL_FREE})
OK = ""


def allowed_countries(config: HotlineConfig) -> frozenset[str]:
    """The configured countries, or the hotline's region and those of its and its contracts'
    numbers."""
    if config.callbacks.countries:
        return frozenset(code.upper() for code in config.callbacks.countries)
    numbers = [*config.hotline.numbers, *(n for c in config.contracts.values() for n in c.numbers)]
    return frozenset({config.hotline.default_region, *_regions(numbers)})


def refusal(number: str | None, config: HotlineConfig) -> str:
    """Why ``number`` (E.164) must not be called back; ``OK`` ("") when it may."""
    if not number:
        return "no number"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "not a number"
    if not phonenumbers.is_valid_number(parsed):
        return "not a valid number"
    if phonenumbers.region_code_for_number(parsed) not in allowed_countries(config):
        return "country not allowed"
    if phonenumbers.number_type(parsed) not in CALLABLE_TYPES:
        return "surcharged or unusual number type"
    if config.security.blocks(number):
        return "blocklisted"
    return OK


def typed_number(digits: str, config: HotlineConfig) -> str | None:
    """What the caller typed as E.164: ``00``/``+`` international or national in the hotline's
    region; None when it is no possible number."""
    if not digits or len(digits) > 16:
        return None
    text = "+" + digits[2:] if digits.startswith("00") else digits
    try:
        parsed = phonenumbers.parse(text, config.hotline.default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def spoken_digits(number: str) -> str:
    """A number as a voice reads it one digit at a time: "+49 30..." → "4 9 3 0 ..."."""
    return " ".join(ch for ch in number if ch.isdigit())


def _regions(numbers: Iterable[str]) -> set[str]:
    found = set()
    for number in numbers:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
        except phonenumbers.NumberParseException:
            continue
        if region:
            found.add(region)
    return found
