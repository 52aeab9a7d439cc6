"""``hotline simulate``: place a call against a running hotline exactly as Twilio would.

Against a running server the call goes in real time: the server stamps its log with its own
clock, so a call squeezed into a second would read "answered after 0 s" on the call pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from app.cli.common import load_or_exit
from app.cli.who import known_overrides, parse_when
from app.config import HotlineConfig
from app.contracts import normalise_number
from app.devtools.simulator import (
    Answer,
    Busy,
    CallerScript,
    Failed,
    FlaskClientTransport,
    HttpTransport,
    NoAnswer,
    PhoneScript,
    RealTime,
    Simulator,
    VirtualTime,
)
from app.escalation import Policy, build_chain
from app.eventlog.port import MemorySink
from app.schedule import on_call_with_overrides
from app.settings import Settings
from app.web import create_app

OUTCOMES: dict[str, PhoneScript] = {
    "accept": Answer(press="1"),
    "decline": Answer(press="2"),
    "silent": Answer(press=None),
    "voicemail-box": Answer(press=None),
    "no-answer": NoAnswer(),
    "busy": Busy(),
    "failed": Failed(),
}


def phone_scripts(config: HotlineConfig, chain_outcomes: str | None,
                  named: tuple[str, ...], talk_seconds: float = 60.0,
                  at: datetime | None = None, policy: Policy | None = None) -> dict[str, PhoneScript]:
    """Outcomes by position in the chain a call would get at ``at`` (now), then by person id or
    number."""
    scripts: dict[str, PhoneScript] = {}
    if chain_outcomes:
        overrides = known_overrides()  # the call's chain has them: so must the outcomes' order
        plan = build_chain(policy or config.policy, config.rotations, at or datetime.now(UTC),
                           lambda rotation, moment: on_call_with_overrides(rotation, overrides, moment))
        for step, word in zip(plan.steps, chain_outcomes.split(","), strict=False):
            scripts[config.people[step.person].phone] = outcome(word, talk_seconds)
    for item in named:
        who, _, word = item.partition("=")
        person = config.people.get(who)
        scripts[person.phone if person else who] = outcome(word, talk_seconds)
    return scripts


def outcome(word: str, talk_seconds: float = 60.0) -> PhoneScript:
    try:
        script = OUTCOMES[word.strip()]
    except KeyError:
        raise click.BadParameter(f"{word!r}: choose from {', '.join(OUTCOMES)}") from None
    return replace(script, talk_seconds=talk_seconds) if isinstance(script, Answer) else script


@click.command("simulate")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Base URL of the running hotline.")
@click.option("--from", "from_", default=None, help="Caller ID (default: the first contract's).")
@click.option("--to", default=None, help="Hotline number dialled (default: the first configured).")
@click.option("--outcomes", default=None, help="Per chain step, e.g. no-answer,busy,silent,accept.")
@click.option("--phone", "named", multiple=True, help="PERSON_OR_NUMBER=OUTCOME, repeatable.")
@click.option("--digits", multiple=True, help="What the caller keys at each prompt, e.g. 4711#.")
@click.option("--hangup-after", type=float, default=None, help="Caller hangs up after N seconds.")
@click.option("--record-seconds", type=float, default=15.0, show_default=True)
@click.option("--talk-seconds", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="How long an engineer who accepts talks before hanging up.")
@click.option("--in-process", is_flag=True, help="Run against the app in this process (dry run).")
@click.option("--at", "at_text", default=None,
              help="Play the call as if at this ISO time (local to the hotline if naive), in "
                   "this process: rotations, overrides, business hours and holidays as then.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def simulate_command(url: str, from_: str | None, to: str | None, outcomes: str | None,
                     named: tuple[str, ...], digits: tuple[str, ...], hangup_after: float | None,
                     record_seconds: float, talk_seconds: float, in_process: bool,
                     at_text: str | None, config_path: Path | None) -> None:
    """Simulate a customer's call, step by step: what everybody hears, presses, and the end.

    Phones not given an outcome do not answer.
    """
    config = load_or_exit(config_path)
    settings = Settings.from_env()
    caller = from_ or next((c.numbers[0] for c in config.contracts.values() if c.numbers), "anonymous")
    at = parse_when(at_text, config.hotline.timezone) if at_text else None
    dialled = to or config.hotline.numbers[0]
    line = config.line_for(normalise_number(dialled, config.hotline.default_region))
    if at is not None:
        click.echo(f"as if at {at.isoformat()} on {line.name} ({dialled})")
    sim = (for_app(settings, config, MemorySink(), at) if in_process or at is not None
           else for_server(settings, url))
    script = CallerScript(digits=list(digits), hangup_after_seconds=hangup_after,
                          record_seconds=record_seconds)
    if not in_process and at is None:
        click.echo("calling in real time: the call takes as long as it would with Twilio ...")
    result = sim.place_call(caller, dialled, script,
                            phone_scripts(config, outcomes, named, talk_seconds, at,
                                          config.policies[line.policy]))
    names = {p.phone: p.name for p in config.people.values()}
    click.echo(f"call {result.call_sid} from {caller}")
    click.echo(result.transcript(names))
    if result.errors:
        raise SystemExit(1)


def for_server(settings: Settings, url: str) -> Simulator:
    """A simulator for a running server: requests go when the call's moments come."""
    base = url.rstrip("/")
    return Simulator(HttpTransport(timeout=10), settings.auth_tokens[0], voice_url=f"{base}/voice",
                     status_callback_url=f"{base}/voice/status", account_sid=settings.account_sid,
                     pace=RealTime())


def for_app(settings: Settings, config: HotlineConfig, sink: MemorySink,
            start: datetime | None = None) -> Simulator:
    """A simulator for the app in this process, whose clock is the simulated call's (from
    ``start``, else now)."""
    pace = VirtualTime()
    app = create_app(settings, config, sink, clock=pace.now)
    base = "http://hotline.local"
    return Simulator(FlaskClientTransport(app.test_client()), settings.auth_tokens[0],
                     voice_url=f"{base}/voice", status_callback_url=f"{base}/voice/status",
                     account_sid=settings.account_sid, pace=pace, clock_start=start)
