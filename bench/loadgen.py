"""Closed-loop HTTP load of signed Twilio webhooks: wrk with a Lua script, or Python processes.

Both send the same pre-signed requests, in turn, from ``concurrency`` connections for a fixed
time and report throughput, latency percentiles and errors (connection failures, non-2xx).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.devtools.simulator import compute_signature  # noqa: E402

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Signed:
    """One webhook as Twilio would send it: path with query, form body, signature."""

    path: str
    body: str
    signature: str


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def sign_all(base: str, token: str, forms: list[tuple[str, dict[str, str]]]) -> list[Signed]:
    """Sign each (path?query, params) for the server at ``base`` exactly as Twilio does."""
    return [Signed(path, urlencode(params), compute_signature(token, base + path, params))
            for path, params in forms]


def run_load(base: str, requests: list[Signed], concurrency: int, seconds: float,
             tool: str = "auto") -> LoadResult:
    """Load ``base`` with ``requests`` in turn; ``tool`` is "wrk", "python" or "auto"."""
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk":
        return _run_wrk(base, requests, concurrency, seconds)
    return _run_python(base, requests, concurrency, seconds)


def paired_rounds_arguments(description: str, argv: list[str] | None) -> argparse.Namespace:
    """The options of a benchmark that loads two servers in turn: concurrency, seconds, rounds, tool."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    args.tool = load_tool(args.tool)
    return args


def load_tool(requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    return "wrk" if shutil.which("wrk") else "python"


# -- wrk ------------------------------------------------------------------------------------------
LUA = """
local items = {%s}
local formatted = {}
local counter = 0
init = function(args)
  for i, item in ipairs(items) do
    formatted[i] = wrk.format("POST", item[1], {["Content-Type"] = "%s",
      ["X-Twilio-Signature"] = item[3]}, item[2])
  end
  counter = math.random(#formatted)
end
request = function()
  counter = counter %% #formatted + 1
  return formatted[counter]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%f %%f %%f\\n", summary.requests,
    summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_string(text: str) -> str:
    if any(ch in text for ch in '"\\\n'):
        raise ValueError(f"cannot quote {text!r} for Lua")
    return f'"{text}"'


def _run_wrk(base: str, requests: list[Signed], concurrency: int, seconds: float) -> LoadResult:
    items = ",".join(f"{{{_lua_string(r.path)},{_lua_string(r.body)},{_lua_string(r.signature)}}}"
                     for r in requests)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "signed.lua"
        script.write_text(LUA % (items, FORM))
        argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                "-s", str(script), base]
        output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    count, micros, failed, status, p50, p99, worst = line.split()[1:]
    return LoadResult(int(count), int(micros) / 1e6, int(failed) + int(status),
                      float(p50) / 1000, float(p99) / 1000, float(worst) / 1000)


# -- Python fallback ------------------------------------------------------------------------------
def _raw(host: str, request: Signed) -> bytes:
    body = request.body.encode()
    head = (f"POST {request.path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\n"
            f"X-Twilio-Signature: {request.signature}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


def _one(address: tuple[str, int], payload: bytes) -> bool:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    status = b"".join(chunks)[9:12]
    return status.startswith(b"2")


def _client(args: tuple[str, list[bytes], int, float, int]) -> tuple[list[float], int]:
    base, payloads, threads, seconds, offset = args
    parts = urlsplit(base)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(start: int) -> None:
        i = start
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                ok = _one(address, payloads[i % len(payloads)])
            except OSError:
                ok = False
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                errors[0] += not ok
            i += 1

    pool = [threading.Thread(target=loop, args=(offset + n * 7919,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, errors[0]


def _run_python(base: str, requests: list[Signed], concurrency: int, seconds: float) -> LoadResult:
    host = urlsplit(base).netloc
    payloads = [_raw(host, r) for r in requests]
    procs = max(1, min(4, concurrency // 4))
    shares = [concurrency // procs + (i < concurrency % procs) for i in range(procs)]
    began = time.monotonic()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        results = pool.map(_client, [(base, payloads, n, seconds, i * 104729)
                                     for i, n in enumerate(shares)])
    elapsed = time.monotonic() - began
    latencies = sorted(x for part, _ in results for x in part)
    errors = sum(e for _, e in results)
    return LoadResult(len(latencies), elapsed, errors, percentile(latencies, 50) * 1000,
                      percentile(latencies, 99) * 1000, (latencies[-1] if latencies else 0) * 1000)


def percentile(ordered: list[float], pct: float) -> float:
    """The ``pct`` percentile of an ascending list (nearest rank)."""
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def main(argv: list[str] | None = None) -> int:
    """Load a running hotline at URL with signed incoming-call webhooks; print the figures."""
    import argparse

    from bench.stack import AUTH_TOKEN
    from bench.webhooks import incoming_forms

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the hotline's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", default=AUTH_TOKEN, help="the Twilio auth token it checks")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    requests = sign_all(args.url, args.token, incoming_forms(2000))
    print(run_load(args.url, requests, args.concurrency, args.seconds, args.tool))
    return 0


if __name__ == "__main__":
    sys.exit(main())
