"""Bench 5, hosts: the Procfile's processes as separate hosts, one web host killed mid-load.

Seven network namespaces on one machine (bench/netns.py): HAProxy in front of
two web hosts (gunicorn as the Procfile runs it), PostgreSQL and Redis on their
own addresses, two `hotline worker` hosts. The workers send through the real
`twilio` client to a counting stand-in (bench/twilio_counter.py). The load is the
booking day's mix (online API and whole IVR calls) through the load balancer;
when a third of it is booked, web1 gets SIGKILL (master and workers at once).

Checked: nothing overbooked, nobody booked twice, every attempt answered (by
web2 once web1 is gone), every outbox message at the provider exactly once, an
idempotency key and an end-user rate limit that hold across the two web hosts,
and exactly one periodic-job leader among the workers. The baseline is the same
load through the load balancer with both web hosts up; the ratio is the
throughput kept while one of them dies.
"""
from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text

from bench import booking_day, server, web
from bench.core import Result, Settings, Unavailable, benchmark, ratio
from bench.loadgen import run_load
from bench.netns import Network
from bench.twilio_counter import TwilioCounter
from shared_db.models import Booking, Notification
from shared_db.session import make_engine, make_sessionmaker, migrate, transaction

HOSTS = {"lb": 10, "web1": 11, "web2": 12, "db": 20, "redis": 21, "work1": 31, "work2": 32}
PORT = 8000
END_USER_LIMIT = 30  # per minute: the probe sends more than this, half of it to each web host
LEADER_KEY = "hotline:cron:leader"

HAPROXY_CFG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A web host busy at full load still answers its health check within seconds; only a dead one fails
    # three in a row. Until then, requests to a dead host fail to connect and are redispatched at once.
    timeout check 10s
    retries 3
    option redispatch 1
    # A request that died with its host is tried on the other one, but only where a second delivery is
    # harmless: reads, API posts with an Idempotency-Key, and Twilio's webhooks (the IVR replays a repeated step).
    retry-on conn-failure empty-response response-timeout 502 503
frontend hotline
    bind {lb}:{port}
    option forwardfor
    acl retry_safe method GET HEAD
    acl retry_safe req.hdr(Idempotency-Key) -m found
    acl retry_safe req.hdr(X-Twilio-Signature) -m found
    http-request disable-l7-retry unless retry_safe
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    server web1 {web1}:{port} check inter 1s fall 3 rise 2
    server web2 {web2}:{port} check inter 1s fall 3 rise 2
"""


def missing() -> str | None:
    """Why the shape cannot run on this machine, or None."""
    why = Network.available()
    if why:
        return why
    for tool in ("haproxy", "redis-server", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install haproxy redis-server)"
    return None if pg_bin() else "PostgreSQL's server binaries are not installed"


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (initdb, postgres)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    """The running hosts: their processes by name, the URLs between them, and a working folder."""

    net: Network
    workdir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.net.address('db')}:5432/hotline"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.net.address('redis')}:6379/0"

    def url(self, host: str) -> str:
        return f"http://{self.net.address(host)}:{PORT}"

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, name: str, host: str, argv: list[str], env: dict | None = None, user: str | None = None) -> None:
        self.processes[name] = self.net.popen(host, argv, env or dict(os.environ), self.log(name), user=user,
                                              cwd=str(server.ROOT))

    def kill(self, name: str) -> None:
        """SIGKILL a host's process group: no goodbye, as when a machine loses power."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(name)


def start_database(cluster: Cluster) -> None:
    """A PostgreSQL of its own on the db host, reachable from the 10.77 network, with an empty `hotline`."""
    data = cluster.workdir / "pgdata"
    data.mkdir()
    shutil.chown(data, "postgres")
    os.chmod(cluster.workdir, 0o755)
    subprocess.run(["runuser", "-u", "postgres", "--", str(pg_bin() / "initdb"), "-D", str(data), "-A", "trust",
                    "-U", "postgres", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"],
                   check=True, capture_output=True)
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write("host all all 10.77.0.0/16 trust\n")
    cluster.start("db", "db", [str(pg_bin() / "postgres"), "-D", str(data), "-c",
                               f"listen_addresses={cluster.net.address('db')}", "-c",
                               f"unix_socket_directories={data}", "-c", "max_connections=200"], user="postgres")
    admin = make_engine(cluster.database_url.replace("/hotline", "/postgres"), isolation_level="AUTOCOMMIT")
    _wait(lambda: _query(admin, "SELECT 1"), "PostgreSQL on the db host", cluster.log("db"))
    _query(admin, "CREATE DATABASE hotline")
    admin.dispose()
    migrate(cluster.database_url)


def start_redis(cluster: Cluster) -> None:
    cluster.start("redis", "redis", ["redis-server", "--bind", cluster.net.address("redis"), "--port", "6379",
                                     "--save", "", "--appendonly", "no", "--protected-mode", "no"])
    from redis import Redis

    client = Redis.from_url(cluster.redis_url, socket_connect_timeout=1)
    _wait(client.ping, "Redis on the redis host", cluster.log("redis"))


def app_env(cluster: Cluster, twilio_url: str) -> dict:
    """The Procfile's environment on every app host: the shared database and Redis, the load balancer's URL."""
    return {**os.environ, "PYTHONPATH": str(server.ROOT),
            **server.app_env(cluster.database_url, cluster.redis_url),
            "HOTLINE_PUBLIC_URL": cluster.url("lb"), "NOTIFY_BACKEND": "twilio", "TWILIO_API_BASE_URL": twilio_url,
            "API_RATE_LIMIT_END_USER": f"{END_USER_LIMIT}/minute",
            # A row whose web host died between commit and enqueue waits for the sweep: keep that short here.
            "HOTLINE_OUTBOX_SWEEP_SECONDS": "3", "HOTLINE_HOLD_SWEEP_SECONDS": "5"}


def start_web(cluster: Cluster, host: str, env: dict, settings: server.GunicornSettings) -> None:
    cluster.start(host, host, settings.argv(web.OUR_APP, PORT, host=cluster.net.address(host)), env)
    _wait(lambda: _healthy(cluster.url(host)), f"gunicorn on {host}", cluster.log(host))


def start_workers(cluster: Cluster, env: dict) -> None:
    for host in ("work1", "work2"):
        cluster.start(host, host, [sys.executable, "-m", "hotline.cli", "worker"], env)


def start_balancer(cluster: Cluster) -> None:
    config = cluster.workdir / "haproxy.cfg"
    config.write_text(HAPROXY_CFG.format(port=PORT, **{h: cluster.net.address(h) for h in ("lb", "web1", "web2")}))
    cluster.start("lb", "lb", ["haproxy", "-db", "-f", str(config)])
    _wait(lambda: _healthy(cluster.url("lb")), "HAProxy on the lb host", cluster.log("lb"))


def _wait(ready, what: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready() is not False:
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
    raise RuntimeError(f"{what} did not come up in {seconds:.0f} s: {tail}")


def _query(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all() if sql.lstrip().upper().startswith("SELECT") else conn.execute(text(sql))


def _healthy(base_url: str) -> bool:
    status, _ = _request(base_url, "GET", "/healthz")
    return status == 200


def _request(base_url: str, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict]:
    """One plain HTTP request; (status, JSON body or {})."""
    host, port = base_url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        hdrs = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data, hdrs["Content-Type"] = json.dumps(body), "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else {}
        except ValueError:
            return response.status, {}
    finally:
        conn.close()


def probe_idempotency(cluster: Cluster) -> dict:
    """Hold on web1, confirm on web1 with a key, replay the same confirm on web2: one booking, one answer."""
    key = {"X-API-Key": booking_day.World.key}
    centre = booking_day.World.centre_ids[0]
    _, offers = _request(cluster.url("web1"), "GET", f"/api/v1/centres/{centre}/slots?limit=1", headers=key)
    pick = offers[0]
    status, held = _request(cluster.url("web1"), "POST", "/api/v1/holds",
                            {"first_slot_id": pick["first"]["slot_id"], "second_slot_id": pick["second"]["slot_id"]},
                            headers=key)
    who = booking_day.person_json(9_000_000, phantom=False)
    confirm = {**key, "Idempotency-Key": "hosts-probe-confirm-1"}
    answers = [_request(cluster.url(host), "POST", f"/api/v1/holds/{held.get('hold_id')}/confirm", who, confirm)
               for host in ("web1", "web2")]
    codes = {a[1].get("booking_code") for a in answers}
    return {"hold_status": status, "confirm_statuses": [a[0] for a in answers],
            "same_answer_on_both_hosts": len(codes) == 1 and None not in codes}


def probe_rate_limit(cluster: Cluster) -> dict:
    """One end user's address, 4/3 of its per-minute limit, alternating between the two web hosts."""
    headers = {"X-API-Key": booking_day.World.key, "X-End-User-IP": "198.51.100.7"}
    centre = booking_day.World.centre_ids[0]
    statuses = [_request(cluster.url(("web1", "web2")[i % 2]), "GET", f"/api/v1/centres/{centre}/slots?limit=1",
                         headers=headers)[0] for i in range(END_USER_LIMIT * 4 // 3)]
    return {"sent": len(statuses), "passed": statuses.count(200), "refused_429": statuses.count(429),
            "limit": END_USER_LIMIT}


class LeaderWatch(threading.Thread):
    """Reads the periodic-job lease in Redis every half second: who held it."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(daemon=True)
        from redis import Redis

        self.redis, self.stop_event, self.holders = Redis.from_url(redis_url), threading.Event(), []

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            holder = self.redis.get(LEADER_KEY)
            if holder:
                self.holders.append(holder.decode())

    def finish(self) -> dict:
        self.stop_event.set()
        self.join(timeout=5)
        workers = self.redis.smembers("rq:workers")
        tickets = int(self.redis.hget("hotline:waiting-room", "issued") or 0)
        return {"samples": len(self.holders), "leaders_seen": len(set(self.holders)), "rq_workers": len(workers),
                "waiting_room_tickets": tickets}


class KillWhenBooked(threading.Thread):
    """SIGKILL web1 once `threshold` bookings exist: mid-load by construction, whatever the machine's speed."""

    def __init__(self, cluster: Cluster, threshold: int) -> None:
        super().__init__(daemon=True)
        self.cluster, self.threshold, self.killed_at_bookings = cluster, threshold, None
        self.engine = make_engine(cluster.database_url, pool_size=1)

    def run(self) -> None:
        while self.killed_at_bookings is None:
            with self.engine.connect() as conn:
                booked = conn.scalar(select(func.count(Booking.id)).where(Booking.status != "held"))
            if booked >= self.threshold:
                self.cluster.kill("web1")
                self.killed_at_bookings = booked
            time.sleep(0.05)

    def finish(self) -> int | None:
        self.join(timeout=1)
        self.engine.dispose()
        return self.killed_at_bookings


def outbox_settled(database_url: str, counter: TwilioCounter, seconds: float = 90) -> dict:
    """Wait until no message is pending or being sent; then compare the outbox with what reached the provider."""
    engine = make_engine(database_url, pool_size=1)
    sessions = make_sessionmaker(engine)
    started = time.monotonic()
    deadline = started + seconds
    while True:
        with transaction(sessions) as session:
            rows = session.execute(select(Notification.id, Notification.status)).all()
        open_rows = [i for i, s in rows if s in ("pending", "sending")]
        if not open_rows or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    engine.dispose()
    sent = {str(i) for i, s in rows if s in ("sent", "delivered")}  # "cancelled": superseded before sending
    return {"messages": len(rows), "still_open": len(open_rows), "drained_s_after_load": round(
                time.monotonic() - started, 1),
            "sent_more_than_once": sum(1 for n in counter.sends.values() if n > 1),
            "sent_but_not_at_provider": len(sent - set(counter.sends)),
            "at_provider_unknown_to_outbox": len(set(counter.sends) - {str(i) for i, _ in rows})}


def run_shape(settings: Settings, attempts: int, concurrency: int, gunicorn: server.GunicornSettings) -> Result:
    """Build the hosts, measure one host directly (baseline), then both behind HAProxy with web1 killed."""
    result = Result("hosts", settings.size,
                    params={"attempts": attempts, "concurrency": concurrency, "web_hosts": 2, "worker_hosts": 2,
                            "gunicorn_workers": gunicorn.workers, "gunicorn_threads": gunicorn.threads},
                    targets={"status_5xx": 0, "no_answer": 0, "sent_more_than_once": 0})
    net = Network.create()
    cluster = Cluster(net, Path(tempfile.mkdtemp(prefix="hotline-hosts-")))
    try:
        for host, number in HOSTS.items():
            net.add(host, number)
        start_database(cluster)
        start_redis(cluster)
        booking_day.seed_day(cluster.database_url, attempts * 2 + 10)
        with TwilioCounter(net.gateway) as counter:
            env = app_env(cluster, counter.base_url)
            for host in ("web1", "web2"):
                start_web(cluster, host, env, gunicorn)
            start_workers(cluster, env)
            start_balancer(cluster)
            leader = LeaderWatch(cluster.redis_url)
            leader.start()
            result.baseline = run_load(cluster.url("lb"), server.BENCH_AUTH_TOKEN, booking_day.day_call,
                                       concurrency, 600, attempts, first_number=0)
            probes = {"idempotency": probe_idempotency(cluster), "rate_limit": probe_rate_limit(cluster)}
            killer = KillWhenBooked(cluster, threshold=_booked(cluster) + attempts // 3)
            killer.start()
            result.figures = run_load(cluster.url("lb"), server.BENCH_AUTH_TOKEN, booking_day.day_call,
                                      concurrency, 600, attempts, first_number=web.CALLS_PER_LEVEL)
            result.figures["web1_killed_at_bookings"] = killed = killer.finish()
            outbox = outbox_settled(cluster.database_url, counter, seconds=settings.pick(90, 600, "settle_s"))
            leaders = leader.finish()
        after = booking_day.outcome(cluster.database_url)
        after["online_holds"] = sum(n for k, n in after["counts"].items() if k.startswith("online_"))
    finally:
        cluster.stop_all()
        net.close()
        shutil.rmtree(cluster.workdir, ignore_errors=True)
    result.figures.update({"probes": probes, "outbox": outbox, "leader": leaders})
    _judge(result, after, probes, outbox, leaders, killed, attempts)
    return result


def _booked(cluster: Cluster) -> int:
    engine = make_engine(cluster.database_url, pool_size=1)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count(Booking.id)).where(Booking.status != "held"))
    engine.dispose()
    return count


def _judge(result: Result, after: dict, probes: dict, outbox: dict, leaders: dict, killed, attempts: int) -> None:
    ours, bare = result.figures, result.baseline
    for summary in (ours, bare):
        summary["attempts_per_s"] = round(summary["calls"] / summary["seconds"], 1) if summary["seconds"] else 0.0
    result.ratios = {"attempts_per_s": ratio(ours["attempts_per_s"], bare["attempts_per_s"])}
    gave_up = ours.get("answers", {}).get("online_gave_up_slot_gone", 0)
    limit = probes["rate_limit"]
    result.checks = {
        "ledger_problems": after["ledger_problems"],
        "people_with_two_active_bookings": after["people_with_two_active_bookings"],
        "web1_killed_mid_load": killed is not None,
        "status_5xx": ours["status_5xx"] + bare["status_5xx"], "no_answer": ours["no_answer"] + bare["no_answer"],
        "every_attempt_booked_or_slot_gone": ours["completed_calls"] + gave_up == attempts == ours["calls"],
        "outbox_still_open": outbox["still_open"], "sent_more_than_once": outbox["sent_more_than_once"],
        "sent_but_not_at_provider": outbox["sent_but_not_at_provider"],
        "idempotency_key_across_hosts": probes["idempotency"]["same_answer_on_both_hosts"],
        "end_user_limit_across_hosts": limit["passed"] == limit["limit"],
        "one_periodic_leader": leaders["leaders_seen"] == 1 and leaders["rq_workers"] == 2,
        # Every online hold drew its ticket from the one room in Redis, whichever web host it reached.
        "one_waiting_room_in_redis": leaders["waiting_room_tickets"] >= after["online_holds"] > 0,
    }
    result.notes.append("baseline: the same load through the load balancer with both web hosts up; the ratio is "
                        "the throughput kept while web1 is killed and its share moves to web2")


@benchmark("hosts")
def run(settings: Settings) -> Result:
    """The production shape in network namespaces; skipped, saying why, where namespaces cannot be made."""
    why = missing()
    if why:
        raise Unavailable(f"the multi-host shape cannot run here: {why}")
    attempts = settings.pick(60, 3000, "attempts")
    concurrency = settings.pick(8, 32, "concurrency")
    gunicorn = web.gunicorn_settings(settings.size, settings.overrides)
    return run_shape(settings, attempts, concurrency, gunicorn)
