"""A call's follow-up: when the voicemail is told, its late transcription, who hears at night.

Through the simulator (the transcription is Twilio's late callback), the worker, the local fake
of Twilio's REST API and a real SMTP server (``world``). Expectations are worked out by hand from
tests/data/hotline.toml: on Wed 2 and Thu 3 Dec 2026 dana is on call, alice next in the
rotation, then erin, then the CIO carol; Globex is served Mon-Fri 09:00-18:00 Europe/Berlin.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy.orm import Session

from app.cli.check import check_command
from app.config.notifications import parse_notifications
from app.devtools.simulator import CallerScript, NoAnswer
from app.jobs.follow_ups import escalate_follow_up
from app.jobs.notify import notify_call
from app.notify.audience import Member, audience
from app.notify.calls import TRANSCRIBED
from app.storage import get_engine
from app.storage.accounts import FollowUp
from tests.support.constants import ACME, ALICE, CAROL, DANA, ERIN, NOW, TEST_CONFIG
from tests.support.notify import BASE_URL, rows, scheduled
from tests.support.plugins.call_world import World

CHAIN = (DANA, ALICE, ERIN, CAROL)
GLOBEX = "+12125550147"
SAYS = "Our shop is down, please call back."
NIGHT = datetime(2026, 12, 3, 0, 4, tzinfo=UTC)  # Thu 3 Dec 01:04 CET
OPENING = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # Thu 3 Dec 09:00 CET


def test_a_transcription_that_comes_before_the_wait_ends_goes_out_with_the_voicemail(
        world: World) -> None:
    result = world.call(CallerScript(record_seconds=12, says=SAYS), {n: NoAnswer() for n in CHAIN})
    world.work()  # store the events: the note waits up to 60 s for the text
    assert world.api.messages == [] and rows(world.db_url) == []
    assert [j for j in scheduled(world.redis_url) if "-voicemail-at-" in j]
    world.at = NOW + timedelta(seconds=20)
    world.transcribe(result)
    world.work()  # the transcription is stored: the note goes now, not at 60 s
    link = f"{BASE_URL}/admin/calls/{result.call_sid}"
    expected = (f"Test hotline: voicemail from ACME ({ACME}), Wed 2 Dec 13:00 CET, 12 s. "
                f'"{SAYS}" You missed its ring. {link}')
    assert [world.texts(n) for n in CHAIN] == [[expected]] * 4
    world.settle()  # the wait's own job and the call's end: nothing more
    assert len(world.api.messages) == 4 and len(world.mail.messages) == 2
    assert {r.kind for r in rows(world.db_url)} == {"voicemail"}


def test_a_transcription_after_the_wait_is_a_short_follow_up_sent_once(world: World) -> None:
    world.sim.settings = replace(world.sim.settings, duplicate_callbacks=True)
    result = world.call(CallerScript(record_seconds=12, says=SAYS), {n: NoAnswer() for n in CHAIN})
    world.settle()  # the wait ended without a transcription: the note goes without it
    assert all(len(world.texts(n)) == 1 and SAYS not in world.texts(n)[0] for n in CHAIN)
    world.at = NOW + timedelta(minutes=3)
    world.transcribe(result)  # twice, as Twilio may
    world.work()
    link = f"{BASE_URL}/admin/calls/{result.call_sid}"
    follow_up = (f'Test hotline: the voicemail from ACME ({ACME}), Wed 2 Dec 13:00 CET, says '
                 f'"{SAYS}" {link}')
    assert [world.texts(n)[1:] for n in CHAIN] == [[follow_up]] * 4
    (mail,) = [m for m in world.mail.to("dana@example.com") if m["Subject"].startswith("Trans")]
    assert mail["Subject"] == f"Transcription: voicemail from ACME ({ACME})"
    assert notify_call(result.call_sid, TRANSCRIBED) == "0 to send"  # a stray repeat
    assert len(world.api.messages) == 8 and len(world.mail.messages) == 4


def test_a_missed_call_nobody_handles_moves_up_the_chain_until_handled(world_db: World) -> None:
    world = world_db
    result = world.call(CallerScript(hangup_after_seconds=45), {n: NoAnswer() for n in CHAIN})
    world.settle()
    sid = result.call_sid
    assert [len(world.texts(n)) for n in CHAIN] == [1, 1, 0, 0]  # erin's and carol's never rang
    assert scheduled(world.redis_url) == [f"follow-up-{sid}-missed-1"]
    world.at = NOW + timedelta(minutes=30)
    assert world.run_due("follow-up-") == [f"follow-up-{sid}-missed-1"]
    (to_erin,) = world.texts(ERIN)
    assert to_erin == (f"Open for 30 min, nobody has handled it. Test hotline: missed call from "
                       f"ACME ({ACME}), Wed 2 Dec 13:00 CET. Nobody accepted it. "
                       f"{BASE_URL}/admin/calls/{sid}")
    assert world.texts(CAROL) == [] and scheduled(world.redis_url) == [f"follow-up-{sid}-missed-2"]
    assert escalate_follow_up(sid, "missed", 1) == "0 to send, 1 left"  # a duplicate: nothing
    with Session(get_engine(world.db_url)) as session, session.begin():
        session.add(FollowUp(call_sid=sid, handled_at=world.at, handled_by="dana"))
    world.at = NOW + timedelta(minutes=60)
    world.run_due("follow-up-")
    assert world.texts(CAROL) == [] and scheduled(world.redis_url) == []
    assert len(world.api.messages) == 3


def test_an_after_hours_voicemail_of_a_business_hours_contract_waits_for_the_opening(
        world: World) -> None:
    world.at = NIGHT
    result = world.call(CallerScript(record_seconds=15, says=SAYS), {}, from_=GLOBEX)
    assert result.recorded and result.dialed == []  # closed: nobody rang, nobody was to
    world.at = NIGHT + timedelta(minutes=2)
    world.transcribe(result)
    world.work()
    world.run_due(f"notify-{result.call_sid}-ended")
    assert world.api.messages == [] and world.mail.messages == []  # not at 01:04, not at 01:06
    due = f"notify-{result.call_sid}-voicemail-at-{int(OPENING.timestamp())}"
    assert due in scheduled(world.redis_url)
    world.at = OPENING
    assert world.run_due(due) == [due]
    expected = (f"Test hotline: voicemail from Globex ({GLOBEX}), Thu 3 Dec 01:04 CET, 15 s. "
                f'"{SAYS}" {BASE_URL}/admin/calls/{result.call_sid}')
    assert [world.texts(n) for n in CHAIN] == [[expected], [], [], []]  # the one on call at 09:00
    assert scheduled(world.redis_url) == [f"follow-up-{result.call_sid}-voicemail-1"]


def test_the_emergency_option_at_night_is_told_at_once_to_those_it_rang(world: World) -> None:
    world.at = NIGHT
    result = world.call(CallerScript(digits=["1"], record_seconds=15),
                        {n: NoAnswer() for n in CHAIN}, from_=GLOBEX)
    assert result.dialed == list(CHAIN) and result.recorded
    world.at = NIGHT + timedelta(minutes=3)
    world.settle()  # the wait for the transcription, not the opening
    assert [len(world.texts(n)) for n in CHAIN] == [1, 1, 1, 1]
    assert "Thu 3 Dec 01:04 CET" in world.texts(CAROL)[0]


def test_who_hears_at_once_is_set_per_role() -> None:
    chain = [Member("dana", "on-call"), Member("alice", "backup"), Member("erin", "backup"),
             Member("carol", "cio")]

    def told(rang: set[str], kind: str, section: object) -> tuple[tuple[str, ...], ...]:
        found = audience(chain, rang, kind, section)  # type: ignore[arg-type]
        return found.now, found.later

    defaults = parse_notifications({})
    assert told({"dana", "alice"}, "missed", defaults) == (("dana", "alice"), ("erin", "carol"))
    assert told(set(), "voicemail", defaults) == (("dana",), ("alice", "erin", "carol"))
    quiet = parse_notifications({"roles": {"cio": {"voicemail": "never", "missed": "never"},
                                           "on-call": {"missed": "rang"}}})
    assert told({"alice"}, "missed", quiet) == (("alice",), ("dana", "erin"))
    assert told(set(), "missed", quiet) == (("dana",), ("alice", "erin"))  # nobody: the first
    assert quiet.roles["backup"] == defaults.roles["backup"]  # roles not named keep defaults


def test_hotline_check_names_a_wrong_notification_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "hotline.toml"
    path.write_text(TEST_CONFIG.read_text() + '\n[notifications.roles.cio]\nvoicemail = "later"\n'
                    '[notifications.roles.boss]\nmissed = "now"\n')
    result = CliRunner().invoke(check_command, ["--config", str(path)])
    assert result.exit_code == 1
    assert "notifications.roles.cio.voicemail" in result.output
    assert "notifications.roles.boss" in result.output
