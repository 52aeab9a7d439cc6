"""Hosts on one machine: Linux network namespaces joined by a bridge, made and removed again.

``Network(prefix)`` creates a switch namespace holding a bridge, then ``add_host(name, address)``
a namespace per host with one interface (``eth0``) on the bridge's /24. Every address lives
inside these namespaces; the machine's own network is not touched. ``remove()`` deletes them all
(their interfaces go with them). Needs root and iproute2's ``ip netns``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys

SUBNET = "10.77.0"  # private, and only ever inside the namespaces made here


def unavailable_reason() -> str | None:
    """Why namespaces cannot be made here; None when they can."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (apt-get install iproute2)"
    if os.geteuid() != 0:
        return "creating network namespaces (ip netns add) needs root; CI runs as root"
    probe = f"hlprobe{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def said_unavailable() -> bool:
    """Whether namespaces cannot be made here, having told stderr why."""
    reason = unavailable_reason()
    if reason:
        print(f"no network namespaces here: {reason}", file=sys.stderr)
    return reason is not None


def ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


class Network:
    """A bridge in a namespace of its own and one namespace per host attached to it."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix or f"hl{secrets.token_hex(2)}"
        self.switch = f"{self.prefix}-sw"
        self.hosts: dict[str, str] = {}  # host name -> namespace
        self.made: list[str] = []
        self._add_namespace(self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")

    def add_host(self, name: str, host_number: int) -> str:
        """A namespace for ``name`` at ``SUBNET.host_number``; returns that address."""
        namespace = f"{self.prefix}-{name}"
        self._add_namespace(namespace)
        inside, outside = f"{self.prefix}{name}a"[:15], f"{self.prefix}{name}b"[:15]
        ip("link", "add", inside, "type", "veth", "peer", "name", outside)
        ip("link", "set", inside, "netns", namespace)
        ip("link", "set", outside, "netns", self.switch)
        ip("-n", namespace, "link", "set", inside, "name", "eth0")
        ip("-n", namespace, "addr", "add", f"{SUBNET}.{host_number}/24", "dev", "eth0")
        ip("-n", namespace, "link", "set", "eth0", "up")
        ip("-n", self.switch, "link", "set", outside, "master", "br0", "up")
        self.hosts[name] = namespace
        return f"{SUBNET}.{host_number}"

    def name_this_machine(self) -> str:
        """A name for the namespace this process runs in (the machine's), so that a process in
        another namespace can open a socket here (haproxy's ``bind ... namespace``)."""
        name = f"{self.prefix}-machine"
        ip("netns", "attach", name, str(os.getpid()))
        self.made.insert(0, name)  # removed last: deleting the name leaves the namespace be
        return name

    def cut(self, name: str, address: str) -> None:
        """``name`` can no longer reach ``address`` (connections fail at once); others still can."""
        ip("-n", self.hosts[name], "route", "add", "unreachable", f"{address}/32")

    def mend(self, name: str, address: str) -> None:
        ip("-n", self.hosts[name], "route", "del", "unreachable", f"{address}/32")

    def run_argv(self, name: str, argv: list[str]) -> list[str]:
        """``argv`` run inside host ``name``'s namespace."""
        return ["ip", "netns", "exec", self.hosts[name], *argv]

    def remove(self) -> None:
        """Delete every namespace made here (kill their processes first: they keep one alive)."""
        for namespace in reversed(self.made):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        self.made.clear()

    def _add_namespace(self, namespace: str) -> None:
        ip("netns", "add", namespace)
        self.made.append(namespace)
        ip("-n", namespace, "link", "set", "lo", "up")


def main(argv: list[str] | None = None) -> int:
    """Make a network of two hosts, show it, and remove it again (or say why it cannot be)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    if said_unavailable():
        return 1
    net = Network()
    try:
        print({name: net.add_host(name, n) for n, name in ((1, "a"), (2, "b"))})
    finally:
        net.remove()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
