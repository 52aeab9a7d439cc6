"""``hotline simulate``: place a call against a running hotline exactly as Twilio would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from app.cli.common import load_or_exit
from app.config import HotlineConfig
from app.devtools.simulator import (
    Answer,
    Busy,
    CallerScript,
    Failed,
    FlaskClientTransport,
    HttpTransport,
    NoAnswer,
    PhoneScript,
    Simulator,
)
from app.escalation import build_chain
from app.eventlog.port import MemorySink
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
                  named: tuple[str, ...]) -> dict[str, PhoneScript]:
    """Outcomes by position in the chain a call would get now, then by person id or number."""
    scripts: dict[str, PhoneScript] = {}
    if chain_outcomes:
        plan = build_chain(config.policy, config.rotations, datetime.now(UTC))
        for step, word in zip(plan.steps, chain_outcomes.split(","), strict=False):
            scripts[config.people[step.person].phone] = outcome(word)
    for item in named:
        who, _, word = item.partition("=")
        person = config.people.get(who)
        scripts[person.phone if person else who] = outcome(word)
    return scripts


def outcome(word: str) -> PhoneScript:
    try:
        return OUTCOMES[word.strip()]
    except KeyError:
        raise click.BadParameter(f"{word!r}: choose from {', '.join(OUTCOMES)}") from None


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
@click.option("--in-process", is_flag=True, help="Run against the app in this process (dry run).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def simulate_command(url: str, from_: str | None, to: str | None, outcomes: str | None,
                     named: tuple[str, ...], digits: tuple[str, ...], hangup_after: float | None,
                     record_seconds: float, in_process: bool, config_path: Path | None) -> None:
    """Simulate a customer's call, step by step: what everybody hears, presses, and the end.

    Phones not given an outcome do not answer.
    """
    config = load_or_exit(config_path)
    settings = Settings.from_env()
    caller = from_ or next((c.numbers[0] for c in config.contracts.values() if c.numbers), "anonymous")
    transport = _in_process_transport(settings, config) if in_process else HttpTransport(timeout=10)
    base = "http://hotline.local" if in_process else url.rstrip("/")
    sim = Simulator(transport, settings.auth_tokens[0], voice_url=f"{base}/voice",
                    status_callback_url=f"{base}/voice/status", account_sid=settings.account_sid)
    script = CallerScript(digits=list(digits), hangup_after_seconds=hangup_after,
                          record_seconds=record_seconds)
    result = sim.place_call(caller, to or config.hotline.numbers[0], script,
                            phone_scripts(config, outcomes, named))
    names = {p.phone: p.name for p in config.people.values()}
    click.echo(f"call {result.call_sid} from {caller}")
    click.echo(result.transcript(names))
    if result.errors:
        raise SystemExit(1)


def _in_process_transport(settings: Settings, config: HotlineConfig) -> FlaskClientTransport:
    return FlaskClientTransport(create_app(settings, config, MemorySink()).test_client())
