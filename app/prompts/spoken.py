"""Words that depend on the language: a contract's tier and when support opens again."""

from __future__ import annotations

from datetime import datetime

from app.prompts.texts import Prompts, fill


def tier_words(prompts: Prompts, always: bool) -> str:
    return prompts.tier_always if always else prompts.tier_business_hours


def opening_words(prompts: Prompts, opens_at: datetime | None, now: datetime) -> str:
    """ "today at 09:00", "tomorrow at 09:00", "on Monday 4 January at 09:00" (local time)."""
    if opens_at is None:
        return prompts.opens_unknown
    days = (opens_at.date() - now.astimezone(opens_at.tzinfo).date()).days
    weekday = _names(prompts.weekday_names)[opens_at.weekday()]
    values = {"time": f"{opens_at:%H:%M}", "weekday": weekday, "day": str(opens_at.day),
              "month": _names(prompts.month_names)[opens_at.month - 1]}
    if days == 0:
        return fill(prompts.opens_today, **values)
    if days == 1:
        return fill(prompts.opens_tomorrow, **values)
    return fill(prompts.opens_weekday if days < 7 else prompts.opens_date, **values)


def _names(listed: str) -> list[str]:
    names = [name.strip() for name in listed.split(",")]
    return names + [""] * (12 - len(names))  # a short list (checked at load) never raises
