"""The caller's steps around an incident message: hear it after the greeting, press 1 anyway.

The incidents come from memory (``FlowSteps.incidents``); nothing here waits on the database.
"""

from __future__ import annotations

from app.calls import events as ev
from app.calls.incident import Incident, current_incident
from app.calls.params import Params, call_sid, digits_of
from app.calls.state import CallState
from app.calls.steps import ANONYMOUS, FlowSteps, Reply
from app.config.model import Line
from app.contracts import Contract


class IncidentSteps(FlowSteps):
    """What a caller hears of a known incident, and their key."""

    def _incident_for(self, contract: Contract, line: Line) -> Incident | None:
        return current_incident(self.incidents, contract.id, line.id, self.now)

    def _heard(self, sid: str, incident: Incident) -> ev.Event:
        return self._event(ev.INCIDENT_HEARD, sid, "incident:heard", {
            "incident": incident.id, "press_through": incident.press_through})

    def _incident_offer(self, sid: str, state: CallState, greeting: str,
                        incident: Incident) -> Reply:
        """Greeting, message, "press 1": the chain rings only for a caller who presses it."""
        query = {"i": str(incident.id), **self._query(state)}
        return self._reply("incident", [self._heard(sid, incident)],
                           language=self._language(state), greeting=greeting,
                           message=incident.message, offer=self._said(state).incident_offer,
                           key_url=self.url_for("voice.incident_key", query))

    def incident_key(self, params: Params, state: CallState, incident: int | None) -> Reply:
        """1 after the incident message: the chain after all; anything else, the voicemail."""
        sid = call_sid(params)
        if digits_of(params.get("Digits"), 1) != "1":
            return self._voicemail(sid, state, "incident message")
        contract = self.config.directory.get(state.contract) or ANONYMOUS
        reply = self._connect(sid, params, contract, self.config.line(state.line),
                              state.language, skip_incident=True)
        if reply.template == "greeting":  # greeted already: straight to the ring
            reply.template = "dial"
        reply.events.insert(0, self._event(ev.INCIDENT_PRESSED, sid, "incident:pressed", {
            "incident": incident}))
        return reply

    def _connect(self, sid: str, params: Params, contract: Contract, line: Line,
                 language: str = "", skip_incident: bool = False) -> Reply:
        raise NotImplementedError  # the caller's steps (app.calls.flow) ring the chain
