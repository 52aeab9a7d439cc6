"""``hotline fallback-twiml``: the static document Twilio runs when the hotline cannot answer."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import load_or_exit
from app.config import HotlineConfig
from app.prompts import fill
from app.web.twiml import render

MAX_FALLBACK_NUMBERS = 3


def fallback_people(config: HotlineConfig) -> list[str]:
    """The CIO and the policy's named backups: people who need no rotation to be found."""
    policy = config.policy
    named = [b.target for b in policy.backups if b.kind == "person"]
    ordered = [p for p in (policy.cio, *named) if p and p in config.people]
    return list(dict.fromkeys(ordered))[:MAX_FALLBACK_NUMBERS]


def render_fallback(config: HotlineConfig) -> str:
    speech = config.default_line.speaking(None)
    prompts = speech.prompts
    return render(
        "fallback", language=speech.language, voice=speech.voice,
        hotline=config.hotline.name,
        apology=fill(prompts.fallback_apology, hotline=config.hotline.name),
        message=prompts.fallback_message,
        numbers=[config.people[p].phone for p in fallback_people(config)],
        ring_seconds=30, caller_id=config.hotline.numbers[0],
    )


@click.command("fallback-twiml")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def fallback_command(output: Path | None, config_path: Path | None) -> None:
    """Render the static fallback TwiML (host it elsewhere; see the README)."""
    document = render_fallback(load_or_exit(config_path))
    if output is None:
        click.echo(document, nl=False)
    else:
        output.write_text(document)
        click.echo(f"wrote {output}", err=True)
