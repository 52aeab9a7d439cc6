"""A local stand-in for Twilio's recording media host, which the console fetches recordings from:
Basic auth with the account's credentials, 404 for a wrong path, redirects, byte ranges."""

from __future__ import annotations

import base64
import io
import math
import re
import struct
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short 440 Hz tone as a PCM WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return buffer.getvalue()


class RecordingHost:
    """A local stand-in for Twilio's recording media: serves a WAV to the right credentials."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.audio = wav_bytes()
        self.expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization header)
        self.redirect_to: str | None = None
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                host.requests.append((self.path, self.headers.get("Authorization")))
                host.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/elsewhere/"):  # the "CDN": no credentials expected
            return self._send_audio(handler)
        if handler.headers.get("Authorization") != self.expected:
            handler.send_response(401)
            handler.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if not re.fullmatch(rf"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE[0-9a-f]{{32}}\.wav",
                            handler.path):
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if self.redirect_to:
            handler.send_response(302)
            handler.send_header("Location", self.redirect_to)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        return self._send_audio(handler)

    def _send_audio(self, handler: BaseHTTPRequestHandler) -> None:
        body, status = self.audio, 200
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", handler.headers.get("Range") or "")
        if match:
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) else len(body) - 1
            status, total = 206, len(body)
            body = body[first:last + 1]
        handler.send_response(status)
        handler.send_header("Content-Type", "audio/x-wav")
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(body)))
        if status == 206:
            handler.send_header("Content-Range", f"bytes {first}-{first + len(body) - 1}/{total}")
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self) -> RecordingHost:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
