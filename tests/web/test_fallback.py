"""The number's Fallback URL: a static document that still reaches a person when we are down."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.cli import main
from app.cli.fallback import render_fallback
from app.devtools.simulator import Answer, HttpTransport, NoAnswer, Simulator
from tests.support.constants import ACME, AUTH_TOKEN, CAROL, ERIN, HOTLINE, TEST_CONFIG
from tests.support.ports import free_port as dead_port


@pytest.fixture
def static_host(config) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serves the rendered fallback file the way static hosting or a TwiML Bin would."""
    document = render_fallback(config).encode()
    received: list[dict[str, str]] = []

    @Request.application
    def serve(request: Request) -> Response:
        received.append(dict(request.form))
        return Response(document, content_type="text/xml")

    server = make_server("127.0.0.1", 0, serve)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hotline-fallback.xml"
    server.shutdown()


def test_cli_writes_the_fallback_document(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "fallback.xml"
    result = CliRunner().invoke(main, ["fallback-twiml", "--config", str(TEST_CONFIG), "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f"<Number>{CAROL}</Number>" in text and f"<Number>{ERIN}</Number>" in text
    assert "/voice" not in text, "the fallback must not depend on the hotline server"


def test_server_down_the_fallback_rings_the_cio_and_a_backup(static_host: str) -> None:
    sim = Simulator(HttpTransport(timeout=1), AUTH_TOKEN,
                    voice_url=f"http://127.0.0.1:{dead_port()}/voice", fallback_url=static_host)
    result = sim.place_call(ACME, HOTLINE, phones={CAROL: NoAnswer(), ERIN: Answer(talk_seconds=30)})
    assert result.caller_heard[0].startswith("We are sorry, the Test hotline has a technical problem")
    assert set(result.dialed) == {CAROL, ERIN}
    assert result.connected_to == ERIN


def test_server_down_and_nobody_answers_ends_with_a_message(static_host: str) -> None:
    sim = Simulator(HttpTransport(timeout=1), AUTH_TOKEN,
                    voice_url=f"http://127.0.0.1:{dead_port()}/voice", fallback_url=static_host)
    result = sim.place_call(ACME, HOTLINE, phones={CAROL: NoAnswer(), ERIN: NoAnswer()})
    assert result.connected_to is None
    assert result.caller_heard[-1] == (
        "We could not connect you. Please call again in a few minutes. Goodbye.")
