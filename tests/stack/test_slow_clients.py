"""Slow clients against the real gunicorn (app/gunicorn_conf.py): connections that send their
request a byte at a time, or never close, must not hold Twilio's webhooks up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage import dispose_engines, upgrade
from tests.support.calls import CallDriver, CallPlan, latency_ms
from tests.support.constants import ACME
from tests.support.processes import Stack

pytestmark = pytest.mark.stack

SLOW_CLIENTS = 8
HOLD_SECONDS = 20.0
BYTE_EVERY = 0.25  # a byte every quarter second: 80 bytes in 20 s, never the whole request
P99_BUDGET_MS = 1000.0
FORM = b"CallSid=CA0&From=%2B49301234567&To=%2B49305550100&" + b"Padding=" + b"a" * 400
HEADS = {
    # the request line and headers, a byte at a time
    "head": b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 400,
    # the whole head at once, then the body a byte at a time
    "body": (b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: x\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: %d\r\n\r\n" % len(FORM) + FORM),
}
HEADS["expect"] = HEADS["body"].replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n")
# a whole request, its answer read, and the connection left open a while after the server's end
LINGER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
LINGER_SECONDS = 3.0


class SlowClient(threading.Thread):
    """A raw socket that trickles a request byte by byte and holds on (``head``; ``body``;
    ``expect``: the body after ``Expect: 100-continue``), or (``linger``) sends requests and is
    slow to close each connection after its answer."""

    def __init__(self, port: int, kind: str, stop: threading.Event) -> None:
        super().__init__(name=f"slow-client-{kind}", daemon=True)
        self.port, self.kind, self.stop = port, kind, stop
        self.dropped = 0  # times the server gave up on this client (which comes straight back)
        self.error: OSError | None = None

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                    if self.kind == "linger":
                        sock.sendall(LINGER)
                        while sock.recv(4096):
                            pass  # the answer, up to the server's end of it
                        self.stop.wait(LINGER_SECONDS)  # and no close from this side for a while
                    else:
                        self.trickle(sock, HEADS[self.kind])
            except (BrokenPipeError, ConnectionResetError):
                self.dropped += 1
            except OSError as error:  # no connection at all: the test measures nothing
                self.error = error
                return

    def trickle(self, sock: socket.socket, data: bytes) -> None:
        start = 0 if self.kind == "head" else data.index(b"\r\n\r\n") + 4
        sock.sendall(data[:start])
        for byte in data[start:]:
            sock.sendall(bytes([byte]))
            if self.stop.wait(BYTE_EVERY):
                return


def start_web(tmp_path: Path, redis_url: str, **env: str) -> Stack:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    upgrade(url)
    dispose_engines()
    stack = Stack(tmp_path, url, redis_url)
    stack.env.update(env)
    stack.start_web()
    stack.wait_healthy()
    return stack


@pytest.fixture
def web(tmp_path: Path, redis_url: str) -> Iterator[Stack]:
    with start_web(tmp_path, redis_url) as stack:
        yield stack


def webhooks_while_held(web: Stack, kind: str, clients: int = SLOW_CLIENTS) -> str:
    """Calls placed while ``clients`` slow clients hold on; the figures, asserted in budget."""
    stop = threading.Event()
    slow = [SlowClient(web.port, kind, stop) for _ in range(clients)]
    for client in slow:
        client.start()
    time.sleep(1.0)  # every slow client is connected and at it
    started = time.monotonic()
    calls_done = threading.Event()
    threading.Timer(HOLD_SECONDS - 3.0, calls_done.set).start()
    driver = CallDriver(web.base_url, seed=7)
    try:
        # Nobody answers: each call walks the whole chain to the voicemail.
        driver.stream(lambda _: CallPlan(ACME), threads=2, stop=calls_done)
    finally:
        stop.set()
        for client in slow:
            client.join(10)
    held = time.monotonic() - started

    timings = driver.timings
    p50, p99 = latency_ms(timings)
    failed = driver.failed_requests()
    summary = (f"{len(timings)} webhooks in {held:.1f} s while {clients} slow clients ({kind}) "
               f"held connections: p50 {p50:.0f} ms, p99 {p99:.0f} ms, {len(failed)} failed; "
               f"slow clients dropped by the server {sum(c.dropped for c in slow)} times")
    print(summary)
    assert [c.error for c in slow if c.error] == [], summary  # they were connected throughout
    assert not failed, summary
    assert len(timings) >= 50, summary
    assert p99 < P99_BUDGET_MS, summary
    return summary


def test_webhooks_answer_while_slow_clients_hold_connections(web: Stack) -> None:
    webhooks_while_held(web, "head")


@pytest.mark.parametrize("kind", ["head", "body", "expect", "linger"])
def test_slow_clients_hold_no_thread(tmp_path: Path, redis_url: str, kind: str) -> None:
    """Two threads per worker, four in all, and twice as many slow clients: a slow client must
    not hold a thread while it trickles, nor the worker's event loop while it lingers."""
    with start_web(tmp_path, redis_url, WEB_THREADS="2") as web:
        webhooks_while_held(web, kind)
