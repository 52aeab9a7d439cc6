"""An SMS reply to an alert, read into a command, and the words we answer with (pure).

``1`` or ``ACK`` acknowledges the sender's open alert, ``ACK 6`` (or ``1 6``) alert 6; ``2``
escalates it now, ``2 6`` alert 6. Twilio's own keywords (STOP, START, HELP ...) are Twilio's:
it answers them and keeps the opt-out list, so we say nothing to them. Anything else: help.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

ACK, ESCALATE, HELP, TWILIO_KEYWORD = "ack", "escalate", "help", "twilio-keyword"
# Twilio's default opt-out, opt-in and help keywords: single words, any case.
TWILIO_KEYWORDS = frozenset({
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
    "START", "YES", "UNSTOP", "HELP", "INFO",
})
# ACK, ACK 6, ACK6, ACK #6; 1 and 2 alone or with an id after a space (12 is not 1 2).
_COMMAND = re.compile(r"^(?:(ACK)|([12])(?![0-9]))\s*#?\s*(\d{1,9})?[.!]?$")
MAX_BODY = 1600  # Twilio's longest message; anything longer is not a reply to us

HELP_TEXT = ("Reply 1 or ACK to acknowledge your open alert (ACK 6 for alert 6), "
             "2 to escalate it to the next person now.")


@dataclass(frozen=True)
class Command:
    action: str
    alert_id: int | None = None


def read_reply(body: str) -> Command:
    """What the text asks for; HELP for anything we do not understand."""
    text = " ".join((body or "")[:MAX_BODY].split()).upper()
    if text.strip(".!") in TWILIO_KEYWORDS:
        return Command(TWILIO_KEYWORD)
    found = _COMMAND.match(text)
    if found is None:
        return Command(HELP)
    number = int(found.group(3)) if found.group(3) else None
    return Command(ESCALATE if found.group(2) == "2" else ACK, number)


def acknowledged(alert_id: int) -> str:
    return f"Alert {alert_id} acknowledged. Thank you."


def escalated(alert_id: int, moved: bool) -> str:
    if moved:
        return f"Alert {alert_id}: paging the next person now."
    return f"Alert {alert_id}: nobody is left to page; it stays open."


def standing(alert_id: int, how: str) -> str:
    """An alert the command cannot act on, and why (``how``: its escalation in words)."""
    return f"Alert {alert_id}: {how}. Nothing changed."


def unknown(alert_id: int) -> str:
    return f"There is no alert {alert_id}."


def none_open(action: str) -> str:
    what = "acknowledge" if action == ACK else "escalate"
    return f"You have no open alert to {what}. {HELP_TEXT}"


def several(action: str, alert_ids: Sequence[int]) -> str:
    word = "ACK" if action == ACK else "2"
    ids = ", ".join(str(i) for i in alert_ids)
    return f"Several alerts are open: {ids}. Reply {word} {alert_ids[0]} (or another id) for one."
