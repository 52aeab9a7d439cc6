"""Twilio's rules for TwiML responses, plus small readers for verb attributes and input."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.devtools.simulator.transport import Response

MAX_BODY_BYTES = 64 * 1024
XML_CONTENT_TYPES = frozenset({"text/xml", "application/xml"})

# Twilio's error codes for what can go wrong with a document.
HTTP_RETRIEVAL_FAILURE = 11200
BODY_TOO_LARGE = 11750
DOCUMENT_PARSE_FAILURE = 12100
SCHEMA_VALIDATION = 12200
INVALID_CONTENT_TYPE = 12300
CALLBACK_WARNING = 15003


class TwimlError(Exception):
    """A response Twilio would refuse, with Twilio's error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def parse_response(response: Response) -> ET.Element:
    """Return the ``<Response>`` element, or raise :class:`TwimlError` as Twilio would refuse it."""
    if not 200 <= response.status < 300:
        raise TwimlError(HTTP_RETRIEVAL_FAILURE, f"HTTP status {response.status}")
    content_type = response.header("Content-Type") or ""
    if mime_type(content_type) not in XML_CONTENT_TYPES:
        raise TwimlError(INVALID_CONTENT_TYPE, f"Content-Type {content_type!r} is not XML")
    if len(response.body) > MAX_BODY_BYTES:
        raise TwimlError(BODY_TOO_LARGE, f"body of {len(response.body)} bytes exceeds 64 kB")
    return parse_document(response.body)


def parse_document(body: bytes) -> ET.Element:
    """Parse a TwiML body whose root must be exactly ``<Response>``."""
    if body[:1].isspace() and body.lstrip().startswith(b"<?xml"):
        raise TwimlError(DOCUMENT_PARSE_FAILURE, "whitespace before the XML declaration")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise TwimlError(DOCUMENT_PARSE_FAILURE, "document type declarations are not allowed")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise TwimlError(DOCUMENT_PARSE_FAILURE, f"not well-formed XML ({error})") from None
    if root.tag != "Response":
        raise TwimlError(DOCUMENT_PARSE_FAILURE, f"root element is <{root.tag}>, not <Response>")
    return root


def check_callback_response(response: Response) -> None:
    """A status/recording callback answer: 2xx with an empty body or any XML document."""
    if not 200 <= response.status < 300:
        raise TwimlError(CALLBACK_WARNING, f"callback answered HTTP status {response.status}")
    if response.body.strip():
        try:
            ET.fromstring(response.body)
        except ET.ParseError:
            raise TwimlError(CALLBACK_WARNING, "callback answered a body that is not XML") from None


def mime_type(content_type: str) -> str:
    """``text/xml; charset=utf-8`` -> ``text/xml``."""
    return content_type.split(";", 1)[0].strip().lower()


def text_of(element: ET.Element) -> str:
    """All text inside an element (SSML children included), whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def int_attr(element: ET.Element, name: str, default: int, low: int = 0, high: int = 14400) -> int:
    """An integer attribute clamped to ``[low, high]``; unreadable values give ``default``."""
    raw = element.get(name)
    try:
        value = int(float(raw)) if raw is not None else default
    except ValueError:
        value = default
    return min(max(value, low), high)


def bool_attr(element: ET.Element, name: str, default: bool = False) -> bool:
    """``"true"`` / ``"false"`` attributes."""
    raw = element.get(name)
    return default if raw is None else raw.strip().lower() == "true"


def speech_seconds(text: str) -> float:
    """How long text-to-speech takes: about 2.5 words a second."""
    return max(1.0, len(text.split()) / 2.5)


def collect_digits(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, str, bool]:
    """Apply ``numDigits``/``finishOnKey`` to what was keyed.

    Returns ``(digits, finished_on_key, complete)``; ``complete`` is false when the gather has to
    wait for its timeout to end.
    """
    digits = ""
    for key in keys:
        if finish_on_key and key in finish_on_key:
            return digits, key, True
        digits += key
        if num_digits is not None and len(digits) >= num_digits:
            return digits, "", True
    return digits, "", False
