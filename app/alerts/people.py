"""Who an alert's acknowledgement or SMS reply comes from, as a person of the configuration (pure)."""

from __future__ import annotations

from typing import Any


def acknowledger(config: Any, person_id: str | None, username: str) -> str:
    """The person a console account acknowledges as: its linked person, else the person whose
    id is the username, else (nobody of the configuration) the username itself."""
    if person_id and person_id in config.people:
        return person_id
    return username  # a person's id equal to the username is that person too


def people_with_number(config: Any, number: str) -> list[str]:
    """The ids of the people whose phone is ``number`` (E.164, as Twilio sends ``From``)."""
    if not number:
        return []
    return [pid for pid, person in config.people.items() if person.phone == number]
