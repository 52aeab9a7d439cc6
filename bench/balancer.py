"""haproxy for bench/hosts.py: the shipped configuration (deploy/haproxy/haproxy.cfg) for hosts
in network namespaces, and its statistics read through its admin socket."""

from __future__ import annotations

import socket
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "haproxy" / "haproxy.cfg"
# The shipped defaults (timeouts, retries, resends) and health check, with the hosts' addresses
# instead of Docker's DNS, checks every 500 ms (a test's patience), and a stats socket.
CONFIG = """global
    stats socket {socket} mode 600 level admin
    log stdout format raw local0
{defaults}
frontend hotline
    bind 127.0.0.1:{port} namespace {machine}
    default_backend web
backend web
{checks}
    default-server inter 500ms fall 3 rise 1
{servers}
"""


def shipped_sections() -> dict[str, list[str]]:
    """deploy/haproxy/haproxy.cfg by section ("defaults", "backend web", ...), comments out."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in SHIPPED.read_text().splitlines():
        text = line.split("#", 1)[0].rstrip()
        if not text:
            continue
        if not text[0].isspace():
            current = sections.setdefault(text, [])
        current.append(text)
    return sections


def config(stats_socket: Path, port: int, machine: str, servers: dict[str, str]) -> str:
    """Listening on ``127.0.0.1:port`` in namespace ``machine``; ``servers``: name -> host:port."""
    shipped = shipped_sections()
    checks = [line for line in shipped["backend web"][1:]
              if line.split()[0] in ("balance", "option", "http-check")]
    return CONFIG.format(
        socket=stats_socket, port=port, machine=machine, defaults="\n".join(shipped["defaults"]),
        checks="\n".join(checks),
        servers="\n".join(f"    server {name} {where} check" for name, where in servers.items()))


def stats(stats_socket: Path, proxy: str = "web") -> dict[str, dict[str, str]]:
    """haproxy's ``show stat`` for ``proxy`` and its servers, by name and column; {} if away."""
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(stats_socket))
            sock.sendall(b"show stat\n")
            text = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
    except OSError:
        return {}
    lines = text.splitlines()
    if not lines:
        return {}
    columns = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(columns, line.split(","), strict=False)) for line in lines[1:]]
    return {row["svname"]: row for row in rows if row.get("pxname") == proxy}


def main(argv: list[str] | None = None) -> int:
    """Print the configuration bench/hosts.py gives haproxy, or a running haproxy's statistics."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("servers", nargs="*", metavar="NAME=HOST:PORT",
                        default=["web1=10.77.0.11:5000", "web2=10.77.0.12:5000"],
                        help="the web hosts behind haproxy (default: bench/hosts.py's two)")
    parser.add_argument("--port", type=int, default=8080, help="where haproxy listens")
    parser.add_argument("--namespace", default="hl0000-machine",
                        help="the namespace its frontend binds in (bench/hosts.py: this machine's)")
    parser.add_argument("--socket", type=Path, default=Path("haproxy.sock"),
                        help="its admin socket")
    parser.add_argument("--stats", action="store_true",
                        help="print the statistics of the haproxy at --socket instead")
    args = parser.parse_args(argv)
    if args.stats:
        found = stats(args.socket)
        if not found:
            print(f"no haproxy answers at {args.socket}", file=sys.stderr)
            return 1
        for name, row in found.items():
            print(f"{name}: {row.get('status', '?')}, {row.get('stot', '?')} sessions")
        return 0
    if any("=" not in server for server in args.servers):
        parser.error("each server is NAME=HOST:PORT")
    servers = dict(server.split("=", 1) for server in args.servers)
    print(config(args.socket, args.port, args.namespace, servers), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
