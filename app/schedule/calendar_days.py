"""Holiday calendars: public holidays of a country or region, plus extra closed dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    # Building the holidays of a year takes a tenth of a second; a call must not pay for it.
    try:
        return dict(holidays.country_holidays(country, subdiv=subdivision, years=year))
    except NotImplementedError as exc:
        raise ValueError(f"unknown holiday calendar country={country!r} "
                         f"subdivision={subdivision!r}: {exc}") from exc


@dataclass(frozen=True)
class HolidayCalendar:
    """Days off: the public holidays of ``country`` (ISO 3166 code, e.g. "DE") and its
    ``subdivision`` (e.g. "BY"), if given, plus ``extra_dates``."""

    country: str | None = None
    subdivision: str | None = None
    extra_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_dates", frozenset(self.extra_dates))
        if self.subdivision is not None and self.country is None:
            raise ValueError(f"holiday subdivision {self.subdivision!r} needs a country")
        if self.country is not None:
            _public_holidays(self.country, self.subdivision, date.today().year)  # validates

    def name(self, day: date) -> str | None:
        """What ``day`` is a holiday for ("Easter Monday", "extra"), or None on a working day."""
        if day in self.extra_dates:
            return "extra"
        if self.country is None:
            return None
        return _public_holidays(self.country, self.subdivision, day.year).get(day)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.name(day) is not None
