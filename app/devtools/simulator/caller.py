"""The caller's leg: every verb, plus the number's Fallback URL when a document is refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.devtools.simulator.dial import run_dial
from app.devtools.simulator.events import REJECTED, SYSTEM
from app.devtools.simulator.legs import REJECT, Goto, Leg
from app.devtools.simulator.record import run_record
from app.devtools.simulator.twiml import TwimlError


class CallerLeg(Leg):
    """The inbound leg Twilio runs the hotline's documents on."""

    verbs = Leg.verbs | {"Record", "Dial", "Reject"}

    def fetch_error(self, url: str, extra: dict[str, str], error: TwimlError) -> ET.Element | None:
        super().fetch_error(url, extra, error)
        fallback = self.call.settings.fallback_url
        if fallback is None or url == fallback:
            return None
        self.call.count_document(self.clock.now)
        params = {**self.params, **extra, "ErrorCode": str(error.code), "ErrorUrl": url}
        try:
            return self.call.webhooks.fetch_twiml(fallback, params, self.clock.now)
        except TwimlError as second:
            return super().fetch_error(fallback, extra, second)

    def do_record(self, verb: ET.Element, url: str) -> Goto | None:
        return run_record(self, verb, url)

    def do_dial(self, verb: ET.Element, url: str) -> Goto | None:
        return run_dial(self, verb, url)

    def do_reject(self, verb: ET.Element, url: str) -> str:
        self.call.result.add(self.clock.now, SYSTEM, REJECTED, verb.get("reason", "rejected"))
        return REJECT
