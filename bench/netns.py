"""Hosts on one machine: a network namespace per host, joined by a bridge (iproute2), as in a small data centre.

Each run takes its own /24 (10.77.N.0) and its own names (`hlN-<host>`), so
parallel runs (two test sessions, say) never meet. The root namespace holds the
bridge at 10.77.N.1: the load generator and the Twilio stand-in live there.
Needs root and `ip`; `Network.available()` says why not when it cannot run.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


@dataclass
class Network:
    """The bridge and the hosts of one run; `add(name)` makes a host, `close()` removes everything."""

    subnet: int
    hosts: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def available() -> str | None:
        """None when namespaces can be made here, else the reason in one line."""
        if os.geteuid() != 0:
            return "network namespaces need root"
        if shutil.which("ip") is None:
            return "iproute2 (`ip`) is not installed"
        probe = f"hlprobe{os.getpid()}"
        made = _ip("netns", "add", probe, check=False)
        if made.returncode != 0:
            return f"`ip netns add` refused: {made.stderr.strip()[:120]}"
        _ip("netns", "del", probe, check=False)
        return None

    @classmethod
    def create(cls) -> Network:
        """A new bridge on a free /24 of 10.77.0.0/16."""
        for subnet in random.sample(range(1, 250), 40):
            if _ip("link", "add", f"hlbr{subnet}", "type", "bridge", check=False).returncode == 0:
                _ip("addr", "add", f"10.77.{subnet}.1/24", "dev", f"hlbr{subnet}")
                _ip("link", "set", f"hlbr{subnet}", "up")
                return cls(subnet)
        raise RuntimeError("no free 10.77.N.0/24 for the hosts' bridge")

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge (load generator, Twilio stand-in)."""
        return f"10.77.{self.subnet}.1"

    def ns(self, host: str) -> str:
        return f"hl{self.subnet}-{host}"

    def address(self, host: str) -> str:
        return f"10.77.{self.subnet}.{self.hosts[host]}"

    def add(self, host: str, number: int) -> str:
        """A namespace `host` at 10.77.N.number, cabled to the bridge; returns its address."""
        ns, outside = self.ns(host), f"hl{self.subnet}{host}"[:15]
        _ip("netns", "add", ns)
        _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("link", "set", outside, "master", f"hlbr{self.subnet}")
        _ip("link", "set", outside, "up")
        for args in (("link", "set", "lo", "up"), ("addr", "add", f"10.77.{self.subnet}.{number}/24", "dev", "eth0"),
                     ("link", "set", "eth0", "up"), ("route", "add", "default", "via", self.gateway)):
            _ip("-n", ns, *args)
        self.hosts[host] = number
        return self.address(host)

    def popen(self, host: str, argv: list[str], env: dict, log: Path, user: str | None = None,
              cwd: str | None = None) -> subprocess.Popen:
        """Start `argv` inside `host`'s namespace (as `user` if given), output to `log`."""
        prefix = ["ip", "netns", "exec", self.ns(host)] + (["runuser", "-u", user, "--"] if user else [])
        with open(log, "ab") as out:
            return subprocess.Popen(prefix + argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                    start_new_session=True)

    def close(self) -> None:
        """Remove every namespace (their veths go with them) and the bridge."""
        for host in self.hosts:
            _ip("netns", "del", self.ns(host), check=False)
        _ip("link", "del", f"hlbr{self.subnet}", check=False)
