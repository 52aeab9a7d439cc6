"""The optional menu for 24/7 contracts: 1 if production is down (the chain), 2 for everything
else (a callback request, or the voicemail), so that only outages wake the engineer at night."""

from __future__ import annotations

from app.calls import events as ev
from app.calls.params import Params, call_sid, digits_of
from app.calls.state import CallState
from app.calls.steps import ANONYMOUS, FlowSteps, Reply
from app.config.model import Line
from app.contracts import Contract, Tier
from app.prompts import fill, tier_words


class TriageSteps(FlowSteps):
    """The menu and its key."""

    def _triaged(self, contract: Contract) -> bool:
        return self.config.callbacks.triage_menu and contract.tier is Tier.ALWAYS

    def _triage_menu(self, contract: Contract, line: Line, language: str) -> Reply:
        state = CallState(contract=contract.id, version=self.config.version, line=line.id,
                          language=language)
        prompts = self._said(state)
        greeting = fill(prompts.greeting, customer=contract.name or prompts.unidentified_caller,
                        tier=tier_words(prompts, True), hotline=line.name)
        url = self.url_for("voice.triage", self._query(state))
        return self._reply("triage", language=self._language(state), greeting=greeting,
                           menu=prompts.triage_menu, key_url=url)

    def triage(self, params: Params, state: CallState) -> Reply:
        """2: a callback request (or the voicemail); 1, any other key or none: the chain."""
        sid = call_sid(params)
        digits = digits_of(params.get("Digits"), 1)
        urgent = digits != "2"
        chosen = self._event(ev.TRIAGE_CHOSEN, sid, "triage", {"digits": digits,
                                                                "urgent": urgent})
        if not urgent:
            reply = (self._callback_number_prompt(params, state) if self.config.callbacks.enabled
                     else self._voicemail(sid, state, "not urgent"))
        else:
            contract = self.config.directory.get(state.contract) or ANONYMOUS
            reply = self._connect(sid, params, contract, self.config.line(state.line),
                                  state.language)
            for heard in ("greeting", "lead"):  # the greeting came with the menu
                if heard in reply.context:
                    reply.context[heard] = ""
        reply.events.insert(0, chosen)
        return reply

    def _callback_number_prompt(self, params: Params, state: CallState) -> Reply:
        raise NotImplementedError  # app.calls.dialback_steps

    def _connect(self, sid: str, params: Params, contract: Contract, line: Line,
                 language: str = "", skip_incident: bool = False) -> Reply:
        raise NotImplementedError  # app.calls.flow
