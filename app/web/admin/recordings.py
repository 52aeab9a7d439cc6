"""Voicemail audio through this server: fetched from Twilio with the account's credentials.

The browser only ever sees our own URL; Twilio's recording URL, the account SID and the auth
token stay on the server.
"""

from __future__ import annotations

import base64
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request
from sqlalchemy import select

from app.storage.models import Voicemail
from app.web.admin.web import bp, db, runtime

log = logging.getLogger(__name__)

TWILIO_HOST = "api.twilio.com"
API_VERSION = "2010-04-01"
TIMEOUT = 15
CHUNK = 64 * 1024
_PASSED_ON = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
RECORDING_PATH = re.compile(  # the one resource we fetch: a recording's media, nothing beside it
    rf"/{API_VERSION}/Accounts/AC[0-9a-fA-F]{{32}}/Recordings/(?P<recording>RE[0-9a-fA-F]{{32}})"
    r"(\.wav|\.mp3)?")


class _SameHostAuth(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry our credentials to another host (a media CDN)."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


def upstream_url(stored: str | None, recording_sid: str, account_sid: str, base: str) -> str | None:
    """The recording's media URL under ``base``, or None when the stored URL names anything but
    this recording on Twilio's API (another host, path, resource or a query)."""
    if not RECORDING_SID.fullmatch(recording_sid):
        return None
    if stored:
        parts = urlsplit(stored)
        match = RECORDING_PATH.fullmatch(parts.path)
        origin = (parts.scheme, parts.netloc, parts.query, parts.fragment)
        if origin != ("https", TWILIO_HOST, "", "") or not match or match["recording"] != recording_sid:
            return None
        path = parts.path
    else:
        path = f"/{API_VERSION}/Accounts/{account_sid}/Recordings/{recording_sid}"
    if not path.endswith((".wav", ".mp3")):
        path += ".wav"
    return base.rstrip("/") + path


def open_recording(url: str, account_sid: str, tokens: tuple[str, ...],
                   byte_range: str | None) -> HTTPResponse:
    """The upstream response; while auth tokens are being rotated, the second one is tried too."""
    for i, token in enumerate(tokens):
        try:
            return _open(url, account_sid, token, byte_range)
        except urllib.error.HTTPError as error:
            if error.code != 401 or i == len(tokens) - 1:
                raise
            error.close()
    raise ValueError("no auth token configured")


def _open(url: str, account_sid: str, auth_token: str, byte_range: str | None) -> HTTPResponse:
    request = urllib.request.Request(url)
    credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
    request.add_header("Authorization", f"Basic {credentials}")
    if byte_range:
        request.add_header("Range", byte_range)
    opener = urllib.request.build_opener(_SameHostAuth())
    return opener.open(request, timeout=TIMEOUT)


def recording_response(call_sid: str, recording_sid: str, byte_range: str | None) -> Response:
    """Stream one voicemail of one call; 404 unless it is in our log."""
    row = db().scalars(select(Voicemail).where(
        Voicemail.call_sid == call_sid, Voicemail.recording_sid == recording_sid)).one_or_none()
    if row is None:
        abort(404)
    settings = runtime().settings
    if not settings.account_sid:
        return _plain(503, "TWILIO_ACCOUNT_SID is not set: recordings cannot be fetched.")
    url = upstream_url(row.url, recording_sid, settings.account_sid,
                       current_app.config["RECORDINGS_BASE_URL"])
    if url is None:
        log.warning("recording %s: the stored URL is not this recording on Twilio; not fetched",
                     recording_sid)
        abort(404)
    try:
        upstream = open_recording(url, settings.account_sid, settings.auth_tokens, byte_range)
    except urllib.error.HTTPError as error:
        error.close()
        log.warning("recording %s: Twilio answered %s", recording_sid, error.code)
        if error.code == 404:
            return _plain(404, "Twilio has no such recording (deleted?).")
        return _plain(502, f"Twilio refused the recording ({error.code}).")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        log.warning("recording %s: Twilio unreachable: %s", recording_sid, error)
        return _plain(502, "Twilio could not be reached for the recording.")
    headers = {k: v for k in _PASSED_ON if (v := upstream.headers.get(k))}
    headers["Cache-Control"] = "private, max-age=300"
    response = Response(_chunks(upstream), status=upstream.status,
                        headers=headers, direct_passthrough=True)
    response.call_on_close(upstream.close)
    return response


def _chunks(upstream: HTTPResponse) -> Iterator[bytes]:
    while chunk := upstream.read(CHUNK):
        yield chunk


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


@bp.get("/calls/<call_sid>/voicemail/<recording_sid>")
def voicemail(call_sid: str, recording_sid: str) -> Response:
    return recording_response(call_sid, recording_sid, request.headers.get("Range"))
