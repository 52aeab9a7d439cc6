"""A Twilio Voice simulator: signs requests, runs TwiML verb by verb, scripts every phone; and
incoming SMS to the messaging webhook (``Texter``)."""

from app.devtools.simulator.checks import DocumentChecker, checking_documents
from app.devtools.simulator.engine import Simulator
from app.devtools.simulator.events import Event
from app.devtools.simulator.messaging import SmsReply, Texter
from app.devtools.simulator.outcomes import Answer, Busy, CallerScript, Failed, NoAnswer, PhoneScript
from app.devtools.simulator.pacing import Pace, RealTime, VirtualTime
from app.devtools.simulator.result import CallResult, DialResult, RequestLog
from app.devtools.simulator.signing import compute_signature
from app.devtools.simulator.transport import (
    FlaskClientTransport,
    HttpTransport,
    Response,
    Transport,
    TransportError,
)

__all__ = [
    "Answer",
    "Busy",
    "CallResult",
    "CallerScript",
    "DialResult",
    "DocumentChecker",
    "Event",
    "Failed",
    "FlaskClientTransport",
    "HttpTransport",
    "NoAnswer",
    "Pace",
    "PhoneScript",
    "RealTime",
    "RequestLog",
    "Response",
    "Simulator",
    "SmsReply",
    "Texter",
    "Transport",
    "TransportError",
    "VirtualTime",
    "checking_documents",
    "compute_signature",
]
