"""The status callbacks that only feed the log: the engineer's leg, the call, the recording."""

from __future__ import annotations

from app.calls import events as ev
from app.calls.params import FINISHED, Params, call_sid, clip, reported_time, to_int
from app.calls.state import CallState
from app.calls.steps import FlowSteps


class LogCallbacks(FlowSteps):
    """Callbacks whose answer is empty: each returns the events it logs."""

    def leg_status(self, params: Params, state: CallState) -> list[ev.Event]:
        parent = clip(params.get("ParentCallSid")) or call_sid(params)
        leg = call_sid(params)
        status = clip(params.get("CallStatus"), 20)
        if status in FINISHED:  # the engineer's leg is over, whatever became of the caller's
            self.guard.released(parent)
        return [ev.make_event(ev.LEG_STATUS, parent, f"leg:{leg}:{status}", {
            "step": self._step(state), "person": state.person, "leg_sid": leg, "status": status,
            "sequence": to_int(params.get("SequenceNumber")),
            "duration": to_int(params.get("CallDuration")),
        }, at=reported_time(params.get("Timestamp"), self.now))]

    def call_status(self, params: Params) -> list[ev.Event]:
        status = clip(params.get("CallStatus"), 20)
        if status not in FINISHED:
            return []
        self.guard.released(call_sid(params))
        return [self._event(ev.CALL_ENDED, call_sid(params), "ended", {
            "call_status": status, "duration": to_int(params.get("CallDuration")),
        })]

    def recording_status(self, params: Params) -> list[ev.Event]:
        rec = clip(params.get("RecordingSid"))
        status = clip(params.get("RecordingStatus"), 20)
        return [self._event(ev.RECORDING_STATUS, call_sid(params), f"recording:{rec}:{status}", {
            "recording_sid": rec, "recording_url": clip(params.get("RecordingUrl"), 300),
            "status": status, "duration": to_int(params.get("RecordingDuration")),
        })]

    def transcription(self, params: Params) -> list[ev.Event]:
        rec = clip(params.get("RecordingSid"))
        status = clip(params.get("TranscriptionStatus"), 20)
        text = clip(params.get("TranscriptionText"), 4000) if status == "completed" else ""
        return [self._event(ev.VOICEMAIL_TRANSCRIBED, call_sid(params), f"transcription:{rec}", {
            "recording_sid": rec, "status": status, "transcription_text": text,
        })]
