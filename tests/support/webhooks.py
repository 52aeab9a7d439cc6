"""Posting to a webhook as Twilio does: the form encoded as given, the request signed."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from flask.testing import FlaskClient

from app.devtools.simulator import compute_signature
from tests.support.constants import AUTH_TOKEN

BASE = "http://hotline.test"
FORM = "application/x-www-form-urlencoded"


def post_signed(client: FlaskClient, path: str, raw_query: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
    url = f"{BASE}{path}?{raw_query}" if raw_query else f"{BASE}{path}"
    body = urlencode(params)
    headers = {"X-Twilio-Signature": compute_signature(AUTH_TOKEN, url, params)}
    started = time.perf_counter()
    response = client.post(path, base_url=BASE, query_string=raw_query, data=body,
                           content_type=FORM, headers=headers)
    return response, time.perf_counter() - started, len(body)
