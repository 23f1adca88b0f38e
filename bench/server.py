"""Gunicorn as a subprocess on 127.0.0.1 with a free port, as the Procfile runs it in production."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GunicornSettings:
    """The Procfile's web settings (workers, threads, timeout), shared by our app and the bare one."""

    workers: int = 4
    threads: int = 4
    timeout: int = 15
    # --keep-alive 0 as in the Procfile: with kept-alive connections one gthread worker took all
    # 32 of the load's connections (86 % CPU) while the three others idled (docs/PERFORMANCE.md).
    keepalive: int = 0

    def argv(self, app: str, port: int, host: str = "127.0.0.1") -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--threads", str(self.threads),
                "--timeout", str(self.timeout), "--keep-alive", str(self.keepalive),
                "--bind", f"{host}:{port}", "--log-level", "warning", "--backlog", "2048", app]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its port, base URL and process (the master); workers are its children."""

    process: subprocess.Popen
    port: int
    log_path: Path
    env: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """Pids of the gunicorn workers (children of the master)."""
        return children_of(self.process.pid)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master we started), then kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def children_of(pid: int) -> list[int]:
    """Direct child pids of a process, from /proc."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start(app: str, env: dict, settings: GunicornSettings, log_dir: Path, wait_s: float = 60) -> Server:
    """Start gunicorn serving `app` (module:callable) and wait until /healthz answers."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"gunicorn-{port}.log"
    # Signatures are checked against the public URL, which is where the load generator sends them.
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(settings.argv(app, port), cwd=str(ROOT), env=full_env,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, port, log_path, env)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        if _healthy(port) and len(server.worker_pids()) >= settings.workers:
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not become healthy in {wait_s} s: {log_path.read_text()[-2000:]}")


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def app_env(database_url: str, redis_url: str | None) -> dict:
    """Production-like environment of the real app (secrets are throwaway values for the bench)."""
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
           "TWILIO_AUTH_TOKEN": BENCH_AUTH_TOKEN, "NOTIFY_BACKEND": "log", "TWILIO_VALIDATE_SIGNATURES": "true",
           "API_RATE_LIMIT_CLIENT": "1000000/minute", "API_RATE_LIMIT_END_USER": "1000000/minute"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


BENCH_AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
