"""Real services that a fault test may stop: its own redis-server, its own PostgreSQL cluster, `hotline worker`.

The shared PostgreSQL (5432) and Redis (6379) are never touched: other people's tests run on them.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.twilio_mock import ACCOUNT_SID, REPO, free_port


def wait_for(check: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    """Poll `check` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class OwnRedis:
    """A redis-server on a port of its own, to be stopped and started again by the test."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            raise FileNotFoundError("redis-server")
        self.port, self.workdir, self.proc = free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        def up() -> bool:
            try:
                return Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
            except Exception:
                return False

        wait_for(up, 20, "redis-server to start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Worker:
    """`hotline worker` in a process group of its own, so SIGKILL reaches the work horse too."""

    def __init__(self, database_url: str, redis_url: str, twilio_url: str, log_path: Path, **env) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "SECRET_KEY": "test-secret", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": "test-auth-token", "TWILIO_API_BASE_URL": twilio_url,
                    "NOTIFY_BACKEND": "twilio", "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
                    "HOTLINE_INSTANCE_DIR": str(log_path.parent), "HOTLINE_OUTBOX_SWEEP_SECONDS": "1",
                    "HOTLINE_SEND_LEASE_SECONDS": "3", "HOTLINE_SEND_BACKOFF": "1,2,2,2,2",
                    "HOTLINE_TWILIO_TIMEOUT": "60", **env}
        self.log_path, self.proc = log_path, None

    def start(self) -> Worker:
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], cwd=REPO, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker and every descendant (rq's work horse runs in a session of its own)."""
        if self.proc is not None and self.proc.poll() is None:
            for pid in descendants(self.proc.pid) + [self.proc.pid]:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def descendants(pid: int) -> list[int]:
    """Pids of all processes below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class OwnPostgres:
    """A throwaway PostgreSQL cluster in a temp dir on a port of its own, run as user postgres."""

    def __init__(self) -> None:
        if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
            raise FileNotFoundError("initdb/pg_ctl")
        self.dir = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(self.dir, "postgres")
        self._as_postgres(f"initdb -D {self.dir}/data -A trust -U postgres --no-sync -E UTF8 >/dev/null")

    def _as_postgres(self, command: str) -> None:
        prefix = [] if os.geteuid() != 0 else ["su", "postgres", "-c"]
        args = prefix + [command] if prefix else ["sh", "-c", command]
        subprocess.run(args, check=True, timeout=120)

    def start(self) -> None:
        self._as_postgres(f"pg_ctl -D {self.dir}/data -l {self.dir}/log -w -t 60 "
                          f"-o '-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off' start "
                          ">/dev/null")

    def stop(self) -> None:
        self._as_postgres(f"pg_ctl -D {self.dir}/data -m fast -w stop >/dev/null")

    def destroy(self) -> None:
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
