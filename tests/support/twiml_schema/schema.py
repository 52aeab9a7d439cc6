"""Twilio's voice and messaging TwiML definitions, read from its Node helper library once per
test session."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.support.twiml_schema.node import run_node

SCRIPT = "twiml-schema.js"
VOICE, MESSAGING = "VoiceResponse", "MessagingResponse"  # the helper library's response classes


@dataclass(frozen=True)
class AttributeType:
    """``kind`` is string, number, boolean or enum; ``is_list``: space-separated values."""

    kind: str
    is_list: bool = False
    values: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TextRule:
    """The text an element carries (``<Say>``'s message, ``<Number>``'s phone number)."""

    name: str
    required: bool


@dataclass(frozen=True)
class Placement:
    """An element as its parent may hold it: its definition, attributes and text."""

    tag: str
    element: str
    attributes: dict[str, AttributeType]
    text: TextRule | None


@dataclass(frozen=True)
class TwimlSchema:
    """``root`` is ``<Response>``; ``children[element][tag]`` says where each tag may nest."""

    source: str
    root: Placement
    children: dict[str, dict[str, Placement]]

    def allowed_in(self, element: str) -> dict[str, Placement]:
        return self.children.get(element, {})

    def known_tags(self) -> frozenset[str]:
        return frozenset(tag for inside in self.children.values() for tag in inside)


@cache
def load_schema(response: str = VOICE) -> TwimlSchema:
    """Dump the definitions of voice (or ``MESSAGING``) TwiML with tests/node/twiml-schema.js
    (cached for the session)."""
    return parse_schema(run_node(SCRIPT, {"response": response} if response != VOICE else None))


def parse_schema(raw: dict[str, Any]) -> TwimlSchema:
    attribute_sets = {
        name: {attr: _attribute_type(spec) for attr, spec in attrs.items()}
        for name, attrs in raw["attributes"].items()
    }

    def placement(tag: str, spec: dict[str, Any]) -> Placement:
        text = spec.get("text")
        return Placement(
            tag, spec["class"], attribute_sets.get(spec.get("attributes") or "", {}),
            TextRule(text["name"], bool(text["required"])) if text else None,
        )

    children = {
        element: {tag: placement(tag, spec) for tag, spec in body["children"].items()}
        for element, body in raw["elements"].items()
    }
    root = raw["root"]
    return TwimlSchema(raw["source"], placement(root["tag"], {"class": root["class"]}), children)


def _attribute_type(spec: dict[str, Any]) -> AttributeType:
    return AttributeType(spec["type"], bool(spec["list"]), frozenset(spec.get("values", ())))
