"""Checks a voice TwiML document against Twilio's definitions and Twilio's documented limits."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote_plus

from app.devtools.simulator.twiml import MAX_BODY_BYTES, TwimlError, parse_document
from tests.support.twiml_schema.schema import AttributeType, Placement, TwimlSchema, load_schema

XML_NS = "{http://www.w3.org/XML/1998/namespace}"
NUMBER = re.compile(r"-?\d+(\.\d+)?")
BOOLEANS = frozenset({"true", "false"})
BASIC_VOICES = frozenset({"man", "woman", "alice"})

# Twilio's warning 13521 (<Say> element character limits exceeded): basic voices take 4096
# bytes of text, Polly voices 3000 (SSML tags not counted), Google voices 5000 (SSML tags,
# newlines and spaces counted); the URL-encoded text may not exceed 4500 characters (form
# encoding assumed). Without a voice the account's default provider speaks, so every limit
# applies; likewise for providers the warning does not list.
BASIC_LIMIT, POLLY_LIMIT, GOOGLE_LIMIT, URL_ENCODED_LIMIT = 4096, 3000, 5000, 4500


def validate_twiml(body: bytes, schema: TwimlSchema | None = None) -> list[str]:
    """Every way ``body`` breaks Twilio's TwiML rules; an empty list for a valid document."""
    schema = schema or load_schema()
    problems: list[str] = []
    if len(body) > MAX_BODY_BYTES:
        problems.append(f"the document has {len(body)} bytes; Twilio takes at most "
                        f"{MAX_BODY_BYTES} (64 kB)")
    try:
        root = parse_document(body)
    except TwimlError as error:
        return [*problems, error.message]
    _check(root, schema.root, "Response", schema, problems)
    return problems


def _check(element: ET.Element, placement: Placement, path: str, schema: TwimlSchema,
           problems: list[str]) -> None:
    for name, value in element.attrib.items():
        problems.extend(f"{path}: {p}" for p in _attribute_problems(placement, name, value))
    problems.extend(f"{path}: {p}" for p in _text_problems(element, placement))
    if placement.element == "Say":
        problems.extend(f"{path}: {p}" for p in say_length_problems(element))
    allowed = schema.allowed_in(placement.element)
    seen: dict[str, int] = {}
    for child in element:
        seen[child.tag] = seen.get(child.tag, 0) + 1
        where = f"{path}/{child.tag}[{seen[child.tag]}]"
        inner = allowed.get(child.tag)
        if inner is not None:
            _check(child, inner, where, schema, problems)
        elif child.tag in schema.known_tags():
            problems.append(f"{where}: <{child.tag}> is not allowed inside <{element.tag}>")
        else:
            problems.append(f"{where}: unknown element <{child.tag}>")


def _attribute_problems(placement: Placement, name: str, value: str) -> list[str]:
    if name.startswith(XML_NS):
        name = "xml:" + name[len(XML_NS):]
    kind = placement.attributes.get(name)
    if kind is None:
        return [f"<{placement.tag}> has no attribute {name!r}"]
    tokens = value.split() if kind.is_list else [value]
    if not tokens:
        return [f"{name}={value!r} lists no value"]
    bad = [t for t in tokens if not _fits(kind, t)]
    if not bad:
        return []
    if kind.kind == "enum":
        return [f"{name}={value!r}: {', '.join(map(repr, bad))} is not one of Twilio's "
                f"{len(kind.values)} values"]
    return [f"{name}={value!r} is not a {kind.kind}"]


def _fits(kind: AttributeType, token: str) -> bool:
    if kind.kind == "enum":
        return token in kind.values
    if kind.kind == "number":
        return NUMBER.fullmatch(token) is not None
    if kind.kind == "boolean":
        return token in BOOLEANS
    return True


def _text_problems(element: ET.Element, placement: Placement) -> list[str]:
    own_text = (element.text or "") + "".join(child.tail or "" for child in element)
    if placement.text is None:
        return [f"<{element.tag}> may not hold text"] if own_text.strip() else []
    if placement.text.required and not "".join(element.itertext()).strip():
        return [f"<{element.tag}> needs its {placement.text.name}"]
    return []


def say_length_problems(say: ET.Element) -> list[str]:
    """Warning 13521: the text of one ``<Say>`` is longer than its voice's provider takes."""
    text = "".join(say.itertext()).encode("utf-8")
    markup = _inner_markup(say)
    voice = say.get("voice", "")
    basic = voice in BASIC_VOICES
    polly, google = voice.startswith("Polly."), voice.startswith("Google.")
    other = not (basic or polly or google)
    problems = []
    if (basic or other) and len(text) > BASIC_LIMIT:
        problems.append(f"<Say> text has {len(text)} bytes; basic voices take {BASIC_LIMIT}")
    if (polly or other) and len(text) > POLLY_LIMIT:
        problems.append(f"<Say> text has {len(text)} bytes; Polly voices take {POLLY_LIMIT}")
    if (google or other) and len(markup.encode("utf-8")) > GOOGLE_LIMIT:
        problems.append(f"<Say> markup has {len(markup.encode('utf-8'))} bytes; Google voices "
                        f"take {GOOGLE_LIMIT}")
    encoded = len(quote_plus(markup))
    if encoded > URL_ENCODED_LIMIT:
        problems.append(f"<Say> text URL-encoded has {encoded} characters; Twilio takes "
                        f"{URL_ENCODED_LIMIT}")
    return problems


def _inner_markup(element: ET.Element) -> str:
    """The element's content as XML (its text, SSML children and their tails)."""
    return _escape(element.text or "") + "".join(
        ET.tostring(child, encoding="unicode") for child in element)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
