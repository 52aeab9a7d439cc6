"""A takeover in the console tells the colleague and the admins by SMS and e-mail, once; undoing
it tells them again. End to end: the console queues the job on a real Redis, the worker sends
through the local fake of Twilio's API and a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.config import HotlineConfig, load_config
from app.jobs.notify import notify_takeover
from app.notify.takeovers import Takeover, displaced, plan_takeover
from app.schedule import Override
from app.services import provide
from app.settings import Settings
from tests.support.admin import add_engineer, admin_app, csrf_token, post_form, sign_in
from tests.support.constants import ACCOUNT_SID, ALICE, AUTH_TOKEN, BOB, CAROL, DANA, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import BASE_URL, mail_server, rows, services, text_of, work

EVENING = {"rotation": "primary", "start": "2026-12-02T18:00", "end": "2026-12-03T09:00",
           "note": ""}
SPAN = "Wed 2 Dec 18:00 CET to Thu 3 Dec 09:00 CET"


@pytest.fixture
def config(tmp_path: Path) -> HotlineConfig:
    """The test file with e-mail for dana and carol, and carol as the admin told of takeovers."""
    text = (Path(__file__).parents[1] / "data" / "hotline.toml").read_text()
    for person in ("dana", "carol"):
        text = text.replace(f"[people.{person}]\n",
                            f'[people.{person}]\nemail = "{person}@example.com"\n')
    path = tmp_path / "hotline.toml"
    path.write_text(text + '\n[notifications]\nadmins = ["carol", "alice"]\n')
    return load_config(path)


@pytest.fixture
def world(config: HotlineConfig, settings: Settings, admin_db_url: str,
          redis_url: str) -> Iterator[dict[str, Any]]:
    app = admin_app(replace(settings, redis_url=redis_url, public_base_url=BASE_URL), config,
                    admin_db_url, clock=lambda: NOW)
    add_engineer(admin_db_url)
    client = app.test_client()
    assert sign_in(client, "alice").status_code == 303
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, mail_server() as mail, \
            provide(services(config, admin_db_url, redis_url, api.url, mail.url,
                             clock=lambda: NOW)):
        yield {"app": app, "client": client, "api": api, "mail": mail}


def texts(api: FakeTwilioApi, number: str) -> list[str]:
    return [m["body"] for m in api.messages_to(number)]


def test_the_colleague_and_the_admins_are_told_once(world: dict[str, Any], admin_db_url: str,
                                                    redis_url: str) -> None:
    client, api, mail = world["client"], world["api"], world["mail"]
    assert post_form(client, "/admin/me/takeover", EVENING, page="/admin/me").status_code == 303
    work(redis_url)
    link = f"{BASE_URL}/admin/on-call"
    assert texts(api, DANA) == [f"Test hotline: Alice takes over your on-call shift (primary), "
                                f"{SPAN}. You are off call then. {link}"]
    assert texts(api, CAROL) == [f"Test hotline: Alice is on call (primary) instead of Dana, "
                                 f"{SPAN}. {link}"]
    assert texts(api, ALICE) == []  # the engineer knows; listed as an admin or not
    (to_dana,) = mail.to("dana@example.com")
    assert to_dana["Subject"] == "Alice takes over your on-call shift" and SPAN in text_of(to_dana)
    (to_carol,) = mail.to("carol@example.com")
    assert to_carol["Subject"] == "Shift takeover: Alice covers primary"
    assert {(r.kind, r.recipient, r.status) for r in rows(admin_db_url)} == {
        ("takeover", "dana", "sent"), ("takeover", "carol", "sent")}
    assert len(rows(admin_db_url)) == 4
    (row_id,) = {int(r.subject.split(":")[1].split("-")[0]) for r in rows(admin_db_url)}
    key = rows(admin_db_url)[0].subject.split(":", 1)[1]
    assert notify_takeover(row_id, key) == "0 to send"  # a repeated job adds nothing
    assert notify_takeover(row_id, f"{row_id}-19990101T000000000000") == "no such takeover any more"
    work(redis_url)
    assert len(api.messages) == 2 and len(mail.messages) == 2


def test_undoing_a_takeover_gives_the_shift_back_and_says_so(
        world: dict[str, Any], admin_db_url: str, redis_url: str) -> None:
    client, api = world["client"], world["api"]
    post_form(client, "/admin/me/takeover", EVENING, page="/admin/me")
    work(redis_url)
    (row_id,) = {int(r.subject.split(":")[1].split("-")[0]) for r in rows(admin_db_url)}
    confirm = client.get(f"/admin/on-call/overrides/{row_id}/delete").get_data(as_text=True)
    done = client.post(f"/admin/on-call/overrides/{row_id}/delete",
                       data={"csrf_token": csrf_token(confirm)})
    assert done.status_code == 303
    work(redis_url)
    assert texts(api, DANA)[-1] == (
        f"Test hotline: Alice no longer covers your on-call shift (primary), {SPAN}. "
        f"You are on call again then. {BASE_URL}/admin/on-call")
    assert texts(api, CAROL)[-1].startswith("Test hotline: Alice undid a takeover (primary), "
                                            "Dana on call again, ")
    assert {r.kind for r in rows(admin_db_url)} == {"takeover", "giveback"}


def test_whose_time_it_was_follows_earlier_overrides(config: HotlineConfig) -> None:
    """Bob covered part of dana's evening first: the takeover is from both of them."""
    start, end = datetime(2026, 12, 2, 17, tzinfo=UTC), datetime(2026, 12, 3, 8, tzinfo=UTC)
    takeover = Takeover(2, "primary", "alice", start, end, NOW)
    earlier = [Override("1", "primary", "bob", start, datetime(2026, 12, 2, 20, tzinfo=UTC))]
    assert displaced(config.rotations["primary"], takeover, earlier) == ["bob", "dana"]
    assert displaced(config.rotations["primary"], takeover, []) == ["dana"]
    planned = plan_takeover(config, takeover, ["bob", "dana"], None)
    assert sorted((o.recipient, o.channel) for o in planned) == [
        ("bob", "sms"), ("carol", "email"), ("carol", "sms"), ("dana", "email"), ("dana", "sms")]
    assert {o.address for o in planned if o.channel == "sms"} == {BOB, CAROL, DANA}
    assert all(o.subject == f"takeover:{takeover.key}" for o in planned)
    assert "instead of Bob, Dana" in next(o.body for o in planned if o.recipient == "carol")
