"""Rendering TwiML: documents answered from memory are exactly what a fresh render gives."""

from __future__ import annotations

from app.calls.flow import DialStep
from app.web.twiml import _remembered, _render, render


def step(number: str, action: str = "https://h.example/voice/dial-result?s=0") -> DialStep:
    return DialStep(number, "+49305550100", 20, 3600, action, "https://h.example/voice/screen",
                    "https://h.example/voice/leg-status")


def test_remembered_documents_equal_fresh_renders_and_never_mix_up_inputs() -> None:
    inputs = [
        ("greeting", "en-US", None, {"greeting": "Hello", "step": step("+4915155500001")}),
        ("greeting", "en-US", None, {"greeting": "Hello", "step": step("+4915155500002")}),
        ("greeting", "de-DE", None, {"greeting": "Hello", "step": step("+4915155500001")}),
        ("greeting", "en-US", "Polly.Joanna", {"greeting": "Hello", "step": step("+4915155500001")}),
        ("dial", "en-US", None, {"announcement": "", "step": step("+4915155500001", "https://x/y?s=1")}),
    ]
    _remembered.cache_clear()
    first = [render(n, language=lang, voice=v, **ctx) for n, lang, v, ctx in inputs]
    again = [render(n, language=lang, voice=v, **ctx) for n, lang, v, ctx in inputs]
    fresh = [_render(n, lang, v, tuple(sorted(ctx.items()))) for n, lang, v, ctx in inputs]
    assert first == again == fresh
    assert len(set(first)) == len(inputs)
    assert "+4915155500002" in first[1] and 'language="de-DE"' in first[2] and "Polly.Joanna" in first[3]
    assert _remembered.cache_info().hits == len(inputs)


def test_a_document_with_a_list_is_rendered_without_the_memo() -> None:
    _remembered.cache_clear()
    body = render("safe", language="en-US", apology="Sorry", numbers=["+4915155500001"],
                  ring_seconds=20, action_url="https://h.example/voice/safe-result")
    assert "<Number>+4915155500001</Number>" in body
    assert _remembered.cache_info().currsize == 0
