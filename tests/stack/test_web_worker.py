"""The web tier's gunicorn worker (app/server/worker.py) speaks plain HTTP/1.1 as gthread does:
kept-alive and pipelined requests, bodies, ``Expect: 100-continue``, a request cut short."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.server.worker import BODY_BUFFER, complete, expects_continue
from tests.support.processes import Stack, running_web

pytestmark = pytest.mark.stack
HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
def web(tmp_path: Path, redis_url: str) -> Iterator[Stack]:
    with running_web(tmp_path, redis_url) as stack:
        yield stack


def connect(web: Stack) -> socket.socket:
    return socket.create_connection(("127.0.0.1", web.port), timeout=10)


def read_until(sock: socket.socket, count: int, marker: bytes = b"\r\n\r\nok") -> bytes:
    """What the server sends until ``marker`` was seen ``count`` times (or it closes)."""
    data = b""
    while data.count(marker) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_kept_alive_and_pipelined_requests_are_all_answered(web: Stack) -> None:
    with connect(web) as sock:
        sock.sendall(HEALTH)
        assert read_until(sock, 1).startswith(b"HTTP/1.1 200")
        sock.sendall(HEALTH * 3)  # three at once on the kept connection
        assert read_until(sock, 3).count(b"HTTP/1.1 200") == 3


def test_a_body_sent_in_pieces_and_expect_continue(web: Stack) -> None:
    form = b"a=" + b"x" * 20_000
    head = (b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(form))
    with connect(web) as sock:
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"  # and only then the body
        for start in range(0, len(form), 4096):
            sock.sendall(form[start:start + 4096])
        answer = read_until(sock, 1, b"Content-Length")
    while answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):  # a client takes any number
        answer = answer.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 405")  # /healthz takes GET only: the request was whole


def test_a_request_cut_short_is_dropped_and_the_worker_goes_on(web: Stack) -> None:
    with connect(web) as sock:
        sock.sendall(b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nab")
        sock.shutdown(socket.SHUT_WR)  # and gone
        answer = read_until(sock, 1, b"\r\n\r\n")
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
    with connect(web) as sock:
        sock.sendall(HEALTH)
        assert read_until(sock, 1).startswith(b"HTTP/1.1 200")


def test_a_request_is_complete_once_its_head_and_a_small_body_are_in() -> None:
    assert not complete(b"POST /voice HTTP/1.1\r\nHost: x\r\n")
    assert complete(HEALTH)
    head = b"POST /voice HTTP/1.1\r\nHost: x\r\ncontent-length:5\r\n\r\n"
    assert not complete(head + b"abcd") and complete(head + b"abcde")
    expecting = b"POST / HTTP/1.1\r\nContent-Length: 5\r\nexpect:100-Continue\r\n\r\n"
    assert not complete(expecting) and expects_continue(expecting)
    assert not expects_continue(expecting.replace(b"HTTP/1.1", b"HTTP/1.0"))  # 1.0 gets no 1xx
    assert not expects_continue(expecting.replace(b"expect", b"X-Expect"))
    chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert complete(chunked)  # the thread reads a chunked body as it comes
    large = b"POST / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n"
    assert not complete(large + b"x" * (BODY_BUFFER - 1))
    assert complete(large + b"x" * BODY_BUFFER)  # the rest is read by the thread
