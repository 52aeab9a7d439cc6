"""Renders the TwiML documents in the top-level twiml/ folder (autoescaped, strict)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "twiml"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship with the code and change only with a deploy, which restarts the
        # workers: without this, every render stats each template file, in the call's path.
        auto_reload=False,
    )
    # The shared macros as a global module, built once: an {% import %} in each template
    # would run again on every render.
    env.globals["twiml"] = env.get_template("_macros.xml").module
    return env


def render(name: str, *, language: str, voice: str | None = None, **context: Any) -> str:
    """Render ``twiml/<name>.xml``; ``language`` and ``voice`` apply to every <Say>.

    A document is a pure function of its inputs, and in an outage many calls share them (the
    same contract, chain and step): those are rendered once and then answered from memory.
    """
    items = tuple(sorted(context.items()))
    try:
        hash(items)
    except TypeError:  # a list among the values: render this one without the memo
        return _render(name, language, voice, items)
    return _remembered(name, language, voice, items)


@lru_cache(maxsize=2048)
def _remembered(name: str, language: str, voice: str | None, items: tuple[tuple[str, Any], ...]) -> str:
    return _render(name, language, voice, items)


def _render(name: str, language: str, voice: str | None, items: tuple[tuple[str, Any], ...]) -> str:
    template = environment().get_template(f"{name}.xml")
    return template.render(dict(items), language=language, voice=voice).strip() + "\n"
