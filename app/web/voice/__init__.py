"""Twilio's voice webhooks: signature check, the call flow, TwiML out."""

from app.web.voice import dialback, keys  # noqa: F401  (register their webhooks)
from app.web.voice.views import bp

__all__ = ["bp"]
