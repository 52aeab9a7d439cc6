"""The cookie session, opened only where a person signs in: webhooks carry no session."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class WebhookFreeSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, skipped for paths that only machines call.

    Opening a session builds a signer for every request. Twilio's webhooks never carry a
    session cookie, so for them Flask gets its read-only null session instead, and the call's
    path does no signing work at all.
    """

    def __init__(self, machine_prefixes: tuple[str, ...]) -> None:
        self.machine_prefixes = machine_prefixes

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(self.machine_prefixes):
            return None  # Flask substitutes its null session
        return super().open_session(app, request)
