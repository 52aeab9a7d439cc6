"""Twilio's voice TwiML definitions (from its Node helper library) and a validator built on them."""

from tests.support.twiml_schema.node import INSTALL_HINT, NodeToolsMissing, run_node
from tests.support.twiml_schema.schema import (
    MESSAGING,
    VOICE,
    AttributeType,
    Placement,
    TextRule,
    TwimlSchema,
    load_schema,
)
from tests.support.twiml_schema.validator import say_length_problems, validate_twiml

__all__ = [
    "INSTALL_HINT",
    "MESSAGING",
    "VOICE",
    "AttributeType",
    "NodeToolsMissing",
    "Placement",
    "TextRule",
    "TwimlSchema",
    "load_schema",
    "run_node",
    "say_length_problems",
    "validate_twiml",
]
