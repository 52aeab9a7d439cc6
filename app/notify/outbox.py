"""The port notifications and alerts are sent through: what a job's services must offer.

``app.services.Services`` is the one implementation; notify and alerts name only this protocol,
so they stay below the layer that builds the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from rq import Queue
from sqlalchemy import Engine

from app.config import HotlineConfig
from app.config.alerts import AlertsSection
from app.config.notifications import NotificationsSection
from app.escalation import OnCall
from app.notify.mail import Mailer
from app.notify.twilio_api import TwilioApi


class Outbox(Protocol):
    """Read-only: what the sending code reads of a job's services."""

    @property
    def config(self) -> HotlineConfig: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def twilio(self) -> TwilioApi | None: ...

    @property
    def mailer(self) -> Mailer | None: ...

    @property
    def public_base_url(self) -> str | None: ...

    @property
    def page_key(self) -> bytes: ...  # seals alert pages' URLs (app.alerts.pages.page_key)

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def notifications(self) -> NotificationsSection: ...

    @property
    def alerts(self) -> AlertsSection: ...

    @property
    def queue(self) -> Queue: ...

    @property
    def sms_from(self) -> str: ...

    @property
    def caller_id(self) -> str: ...

    @property
    def email_from(self) -> str: ...

    def who(self) -> OnCall: ...
