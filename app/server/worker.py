"""The web tier's gunicorn worker: gthread that gives a thread only a request that has arrived.

A thread of gunicorn's gthread worker reads its request with blocking reads, so a client that
sends a request a byte at a time holds that thread for as long as it likes, and a worker whose
threads are all held stalls every connection it accepts. Here the event loop collects a request's
head, and its body up to BODY_BUFFER bytes, without a thread: a thread takes the connection only
once they are in. A request still incomplete HEAD_SECONDS after its first byte (or after the
connection opened) is dropped.

gthread also closes a finished connection on its event loop, waiting there up to 2 s for the
client to close its side first: a client slow to close stalls the whole worker. Here that wait
is a socket on the event loop's poller like any other. See docs/decisions/0010-slow-clients.md.
"""

from __future__ import annotations

import re
import selectors
import socket
import time
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import _DEFER, ThreadWorker

HEAD_SECONDS = 10.0
BODY_BUFFER = 64 * 1024  # the web tier's MAX_CONTENT_LENGTH: a webhook's whole form
HOLD_LIMIT = 2 * BODY_BUFFER  # held without a whole head and body: dropped (a head is a few KiB)
LINGER_SECONDS = 2.0  # as gunicorn's own close: the client's close, or unread data, drained
_CHUNK = 64 * 1024
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d{1,12})[ \t]*\r", re.IGNORECASE)
_CONTINUE = re.compile(rb"^[^\r\n]* HTTP/1\.1\r\n(?:.*\r\n)?expect[ \t]*:[ \t]*100-continue[ \t]*\r",
                       re.IGNORECASE | re.DOTALL)
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class HeadFirstWorker(ThreadWorker):
    """gunicorn's gthread worker, collecting each request before a thread takes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lingering: dict[socket.socket, float] = {}  # closing sockets, by deadline

    def handle(self, conn: Any) -> Any:
        if self.cfg.is_ssl or conn.is_http2:
            return super().handle(conn)
        arrived = collect(conn)
        if arrived is None:
            conn.dropped = True
            return False
        if arrived is False:
            return _DEFER  # the event loop wakes us when more comes
        conn.init()
        conn.parser.unreader.unread(arrived)
        return super().handle(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        """Runs on the event loop: a connection that ends lingers on the poller, instead of in
        gunicorn's close, which blocks the loop up to 2 s for the client to close first."""
        if fs.cancelled() or fs.exception() is not None or fs.result() is not False:
            super().finish_request(conn, fs)
            return
        self.nr_conns -= 1
        if getattr(conn, "dropped", False):
            util.close(conn.sock)  # nothing was answered: nothing to linger for
        else:
            self.linger(conn.sock)

    def linger(self, sock: socket.socket) -> None:
        """Close as RFC 9112 section 9.6 asks (our FIN, then the client's data drained until it
        closes), without waiting: the poller reports the socket, murder_keepalived expires it."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            self.poller.register(sock, selectors.EVENT_READ, self.drain)
        except (OSError, ValueError, KeyError):
            util.close(sock)
            return
        self.lingering[sock] = time.monotonic() + LINGER_SECONDS

    def drain(self, sock: socket.socket) -> None:
        try:
            if sock.recv(_CHUNK):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._closed(sock)  # the client closed (or reset): done

    def murder_keepalived(self, force: bool = False) -> None:
        """Called on every turn of the event loop (and with force=True on the way out)."""
        super().murder_keepalived(force)
        now = time.monotonic()
        for sock, deadline in list(self.lingering.items()):
            if deadline > now and not force:
                break
            self._closed(sock)

    def _closed(self, sock: socket.socket) -> None:
        self.lingering.pop(sock, None)
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        util.close(sock)


def collect(conn: Any) -> bytes | bool | None:
    """The request's bytes once its head and small body are in; False: not yet; None: drop it."""
    held = bytearray(getattr(conn, "early", b""))
    if conn.parser is not None:  # a kept-alive connection: what the parser read ahead first
        held[:0] = conn.parser.unreader.take_buffered()
    closed = read_available(conn.sock, held)
    if complete(held) or (closed and held):
        conn.early, conn.since, conn.continued = b"", None, False
        return bytes(held)  # a request cut short by the client: the parser says so
    if not getattr(conn, "continued", False) and expects_continue(held):
        # The client sends its body only after this (gunicorn sends one more later: allowed).
        conn.continued = True
        try:
            conn.sock.send(CONTINUE)
        except OSError:
            return None
    now = time.monotonic()
    since = getattr(conn, "since", None) or now
    if closed or len(held) >= HOLD_LIMIT or now - since > HEAD_SECONDS:
        return None
    conn.early, conn.since = bytes(held), since
    return False


def read_available(sock: Any, into: bytearray) -> bool:
    """Append what the socket holds right now, without waiting; True when the client closed."""
    sock.setblocking(False)
    try:
        while len(into) < HOLD_LIMIT:
            data = sock.recv(_CHUNK)
            if not data:
                return True
            into += data
            if len(data) < _CHUNK:
                return False
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:  # reset by the client
        return True
    return False


def complete(data: bytes | bytearray) -> bool:
    """Whether ``data`` holds a whole head and, up to BODY_BUFFER, the body it announces."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head_end = end + 2
    length = _CONTENT_LENGTH.search(data, 0, head_end)
    wanted = min(int(length.group(1)), BODY_BUFFER) if length else 0
    return len(data) - (end + 4) >= wanted


def expects_continue(data: bytes | bytearray) -> bool:
    """Whether ``data`` holds an HTTP/1.1 head with ``Expect: 100-continue``."""
    end = data.find(b"\r\n\r\n")
    return end >= 0 and _CONTINUE.match(data, 0, end + 2) is not None
