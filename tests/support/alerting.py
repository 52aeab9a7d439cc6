"""The alert tests' world: the web app, the worker's services, the local fake of Twilio's REST
API and the engineers' phones around one Redis and database; the alerts CLI; an alert stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.alerts.store import get_alert, receive
from app.config import HotlineConfig
from app.devtools.simulator import CallerScript, CallResult, FlaskClientTransport, Simulator
from app.eventlog.port import MemorySink
from app.services import Services
from app.settings import Settings
from app.storage import get_engine
from app.storage.alerts import Alert
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.alert_samples import FIRING, OPENING
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, HOTLINE, NOW, TEST_CONFIG
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import services

TOKEN = "s3cret-alert-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = ["--config", str(TEST_CONFIG)]


class Hotline:
    """The web app, the worker's services and the phones, around one Redis and database."""

    def __init__(self, tmp_path: Path, settings: Settings, config: HotlineConfig,
                 redis_url: str, db_url: str, api: FakeTwilioApi) -> None:
        self.config, self.redis_url, self.db_url, self.api = config, redis_url, db_url, api
        app = create_app(replace(settings, redis_url=redis_url), config, MemorySink(),
                         clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)
        self.client: FlaskClient = app.test_client()

    def services(self, clock: datetime = NOW, **more: Any) -> Services:
        return services(self.config, self.db_url, self.redis_url, self.api.url,
                        clock=lambda: clock, **more)

    def post(self, body: dict[str, Any], path: str = "/alerts/generic") -> dict[str, Any]:
        answer = self.client.post(path, json=body, headers=BEARER)
        assert answer.status_code == 202, answer.get_json()
        return answer.get_json()  # type: ignore[no-any-return]

    def answer(self, number: str, digits: str | None) -> CallResult:
        """The engineer at ``number`` picks up the last alert call and presses ``digits``."""
        call = self.api.calls_to(number)[-1]
        sim = Simulator(FlaskClientTransport(self.client), AUTH_TOKEN, voice_url=call["url"],
                        status_callback_url=call["status_callback"], account_sid=ACCOUNT_SID,
                        clock_start=NOW, seed=3)
        return sim.place_call(HOTLINE, number, CallerScript(digits=[digits]))

    def called(self) -> list[str]:
        return [c["to"] for c in self.api.calls]

    def alert(self, alert_id: int = 1) -> Alert:
        with Session(get_engine(self.db_url), expire_on_commit=False) as session:
            alert = get_alert(session, alert_id)
            assert alert is not None
            return alert


def alerts_cli() -> Any:
    from app.cli.alerts import alerts_group

    return alerts_group


def open_alert(admin_db_url: str) -> int:
    opened = receive(get_engine(admin_db_url), FIRING, OPENING, NOW)
    assert opened.alert_id is not None
    return opened.alert_id
