"""A callback request reaches the chain by SMS, once, with the link to call back; then up the chain."""

from __future__ import annotations

from datetime import timedelta

from app.devtools.simulator import CallerScript
from app.jobs.notify import notify_call
from app.notify.calls import CALLBACK
from tests.support.constants import ACME, ALICE, CAROL, DANA, ERIN, NOW
from tests.support.notify import BASE_URL, scheduled
from tests.support.plugins.call_world import World

CHAIN = (DANA, ALICE, ERIN, CAROL)


def test_a_callback_request_texts_the_chain_with_the_call_back_link(world_db: World) -> None:
    world = world_db
    guard = world.client.application.extensions["hotline"].guard
    for n, person in enumerate(("dana", "alice", "erin", "carol")):
        guard.engaged(person, f"CA{n:032d}")
    result = world.call(CallerScript(digits=["2", "1#"]), {})
    world.settle()
    sid = result.call_sid
    (to_dana,) = world.texts(DANA)
    assert to_dana == (f"Test hotline: ACME ({ACME}) asks to be called back on {ACME}, "
                       f"Wed 2 Dec 13:00 CET. Call back: {BASE_URL}/admin/calls/{sid}/call-back")
    assert world.texts(ERIN) == [] and world.texts(CAROL) == []
    assert notify_call(sid, CALLBACK) == "0 to send", "a job that runs twice tells nobody twice"
    assert len(world.api.messages) == sum(len(world.texts(n)) for n in CHAIN)
    assert f"follow-up-{sid}-callback-1" in scheduled(world.redis_url)
    told = len(world.api.messages)
    world.at = NOW + timedelta(minutes=30)
    world.run_due("follow-up-")
    assert len(world.api.messages) == told + 1, "nobody called back: the next one hears"
