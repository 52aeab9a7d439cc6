"""What a notification is before it is stored, and the two ways sending it can fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SMS, EMAIL, CALL = "sms", "email", "call"


class DeliveryError(Exception):
    """Sending failed; ``code`` is the provider's error code when it gave one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TransientError(DeliveryError):
    """Worth another try later: rate limited (429), a server error (5xx), the network."""


class PermanentError(DeliveryError):
    """Trying again cannot help: an invalid number (21211), an unsubscribed one (21610) ..."""


@dataclass(frozen=True)
class Outgoing:
    """One message to one person; (subject, kind, recipient, channel) identifies it for good."""

    subject: str
    kind: str
    recipient: str
    channel: str
    address: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
