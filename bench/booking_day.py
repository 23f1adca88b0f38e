"""Bench 3, booking day: the Westfalen-Lippe Saturday in compressed time.

`bookings` call attempts (120,000 at full size) through the app under gunicorn:
80 % via the online API (search, hold, confirm; one in twenty then cancels),
20 % as whole IVR calls; a few in a hundred are phantom bookings that a
supervisor clean-up cancels at the end. An rq worker sends the confirmations.
Afterwards every ledger invariant is checked; queue lengths are sampled during
the run, and the resident memory of every web and rq worker is taken at the end.
The baseline replays the same request pattern against the bare app.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench import ivr_steps, seed, server, web
from bench.core import Result, Settings, Unavailable, benchmark, ratio
from bench.loadgen import SignedClient
from bench.pgdb import fresh_database
from bench.server import app_env
from shared_db import ledger
from shared_db.access.api_clients import create_client
from shared_db.ledger.checks import ledger_problems
from shared_db.ledger.slots import new_slot
from shared_db.models import Booking, CampaignWindow, Notification, Person, PriorityGroup, QueueEntry
from shared_db.session import make_engine, make_sessionmaker, transaction

BERLIN = ZoneInfo("Europe/Berlin")
CENTRES = (("Impfzentrum Bielefeld", "Bielefeld", "33602"), ("Impfzentrum Münster", "Münster", "48143"),
           ("Impfzentrum Kreis Gütersloh", "Gütersloh", "33330"), ("Impfzentrum Kreis Warendorf", "Warendorf", "59320"))
HEADROOM = 1.3  # capacity over demand, so the day ends with places left and "sold out" is rare
PHANTOM_EVERY = 50  # one attempt in fifty is a phantom booking
CANCEL_EVERY = 20  # one online booking in twenty is cancelled again
ROOM_PATIENCE = 300  # retries in the waiting room (at most 2 s apart) before a portal user gives up


def role(number: int) -> str:
    """What call attempt `number` is: phone (20 %), phantom, cancelling or plain online."""
    if number % 5 == 0:
        return "phone"
    if number % PHANTOM_EVERY == 1:
        return "phantom"
    return "cancel" if number % CANCEL_EVERY == 3 else "online"


class World:
    """Ids and the API key the load script needs (inherited by the load processes through fork)."""

    key = ""
    run = uuid.uuid4().hex[:8]  # Idempotency-Keys of one run never meet those of another
    centre_ids: list[int] = []
    today = date.today()
    bare = False


def seed_day(url: str, bookings: int) -> None:
    """Four centres with BNT pairs for `bookings` attempts (phone places all at Bielefeld), group 1 open."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    phone_places = math.ceil(bookings * 0.2 * HEADROOM)
    online_places = math.ceil(bookings * 0.8 * HEADROOM / len(CENTRES))
    per_slot, days = 40, 7
    World.centre_ids = []
    with transaction(sessions) as session:
        v = seed.vaccine(session, "BNT")
        slots = []
        for i, (name, district, postcode) in enumerate(CENTRES):
            c = seed.centre(session, name, district, postcodes=(postcode,))
            phone_here = phone_places if i == 0 else 0
            count = max(1, math.ceil((online_places + phone_here) / per_slot))
            slots += _slots(c, v, count, days, online_places, phone_here)
            World.centre_ids.append(c.id)
        session.add_all(slots)
        groups = {g.number: g for g in session.scalars(select(PriorityGroup))}
        session.add(CampaignWindow(group_id=groups[1].id, opens_on=date.today() - timedelta(days=1),
                                   channels="phone,online,agent"))
        _client, World.key = create_client(session, "Westfalen-Lippe portal")
    engine.dispose()


def _slots(c, v, count: int, days: int, online: int, phone: int) -> list:
    """`count` first-dose slots over `days` days, each with its second dose 21 days later.

    The days start beyond the phone quota's release time, so the online rush cannot take the phone places.
    """
    per_day = math.ceil(count / days)
    result = []
    for k in range(count):
        day = date.today() + timedelta(days=4 + k // per_day)
        start = datetime.combine(day, dtime(7, 0), BERLIN) + timedelta(minutes=(k % per_day) % 720)
        share_online, share_phone = _share(online, count, k), _share(phone, count, k)
        for dose, when in (("first", start), ("second", start + timedelta(days=v.interval_min_days))):
            result.append(new_slot(c, v, when, dose, share_phone, share_online, 15))
    return result


def _share(total: int, parts: int, k: int) -> int:
    return total // parts + (1 if k < total % parts else 0)


def person_json(number: int, phantom: bool) -> dict:
    name, dob = ivr_steps.person_of(number)
    # A mobile per person (the portal verifies it), so each booking's confirmation goes out as an SMS.
    return {"name": ("Phantom " if phantom else "") + name, "date_of_birth": dob.isoformat(), "postcode": "33602",
            "language": "de", "phone": f"+49170{number % 10**7:07d}"}


def api(client: SignedClient, method: str, path: str, body: dict | None = None,
        key: str | None = None, ticket: str | None = None) -> tuple[int, dict]:
    """One online API request as the portal sends it (changes with an Idempotency-Key); the JSON answer."""
    headers = {"X-API-Key": World.key, "Accept": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    if ticket:
        headers["Waiting-Room-Ticket"] = ticket
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body), "application/json"
    status, text = client.request(method, path, data, headers)
    try:
        return status, json.loads(text) if text else {}
    except ValueError:
        return status, {}


def online_booking(client: SignedClient, number: int, phantom: bool, cancel: bool) -> bool:
    """Search a centre's offers, hold one, confirm it; cancel it again when asked. True when booked."""
    centre = World.centre_ids[number % len(World.centre_ids)]
    for attempt in range(3):
        status, offers = api(client, "GET", f"/api/v1/centres/{centre}/slots?limit=5")
        if World.bare:
            status, _ = api(client, "POST", "/api/v1/holds", {})
            api(client, "POST", "/api/v1/holds/0/confirm", {})
            return status == 200
        if status != 200 or not offers:
            client.tally.kinds["online_no_offer"] += 1
            return False
        pick = offers[(number + attempt) % len(offers)]
        status, held = hold_in_line(client, pick, f"{World.run}-{number}-{attempt}-hold")
        if status == 409:
            client.tally.kinds["online_slot_gone_retry"] += 1
            continue
        if status != 201:
            client.tally.kinds[f"online_hold_{status}_{held.get('code', '')}"] += 1
            return False
        who = person_json(number, phantom)
        status, done = api(client, "POST", f"/api/v1/holds/{held['hold_id']}/confirm", who,
                           key=f"{World.run}-{number}-confirm")
        if status != 201:
            client.tally.kinds[f"online_confirm_{status}_{done.get('code', '')}"] += 1
            return False
        client.tally.kinds["phantom_booked" if phantom else "online_booked"] += 1
        if cancel:
            status, _ = api(client, "POST", "/api/v1/bookings/cancel",
                            {"booking_code": done["booking_code"], "date_of_birth": who["date_of_birth"]},
                            key=f"{World.run}-{number}-cancel")
            client.tally.kinds["online_cancelled" if status == 200 else f"cancel_{status}"] += 1
        return True
    # Lost the race for a picked place three times: 409 slot_gone is the right answer each time.
    client.tally.kinds["online_gave_up_slot_gone"] += 1
    return False


def hold_in_line(client: SignedClient, pick: dict, key: str) -> tuple[int, dict]:
    """POST the hold; sent to the waiting room, wait as told and come back with the ticket (keeping the place)."""
    body = {"first_slot_id": pick["first"]["slot_id"], "second_slot_id": pick["second"]["slot_id"]}
    ticket = None
    for _ in range(ROOM_PATIENCE):
        status, answer = api(client, "POST", "/api/v1/holds", body, key=key, ticket=ticket)
        if status != 429 or answer.get("code") != "waiting_room":
            break
        client.tally.kinds["room_retries"] += 1
        if ticket is None:
            client.tally.kinds["online_waited_in_room"] += 1
        ticket = answer["ticket"]
        time.sleep(min(float(answer.get("estimated_wait_seconds") or 1), 2.0))
    return status, answer


def day_call(client: SignedClient, number: int) -> bool:
    """One call attempt of the day, by its role."""
    kind = role(number)
    if kind == "phone":
        return ivr_steps.call(client, number)  # counts "booked" when the caller heard the confirmation
    return online_booking(client, number, kind == "phantom", kind == "cancel")


def clean_up_phantoms(url: str) -> int:
    """The supervisor's clean-up: cancel every phantom booking, freeing its places for agents to fill."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        ids = session.scalars(select(Booking.id).join(Person).where(
            Person.name.like("Phantom %"), Booking.status == "confirmed").order_by(Booking.id)).all()
    for booking_id in ids:
        with transaction(sessions) as session:
            ledger.cancel(session, booking_id, actor="supervisor:bench", reason="phantom booking",
                          freed_reason="phantom")
    engine.dispose()
    return len(ids)


class Sampler(threading.Thread):
    """Samples queue lengths once a second: rq jobs waiting, unsent outbox rows, callers waiting."""

    def __init__(self, url: str, redis_url: str) -> None:
        super().__init__(daemon=True)
        from redis import Redis

        self.redis, self.engine = Redis.from_url(redis_url), make_engine(url, pool_size=1)
        self.stop_event, self.samples = threading.Event(), []

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            self.samples.append(self.sample())

    def sample(self) -> dict:
        with self.engine.connect() as conn:
            outbox = conn.scalar(select(func.count(Notification.id)).where(Notification.status == "pending"))
            waiting = conn.scalar(select(func.count(QueueEntry.id)).where(QueueEntry.left_at.is_(None)))
        return {"rq_jobs": self.redis.llen("rq:queue:hotline"), "outbox_pending": outbox, "callers_waiting": waiting}

    def finish(self) -> dict:
        self.stop_event.set()
        self.join(timeout=5)
        final = self.sample()
        self.engine.dispose()
        peak = {k: max([s[k] for s in self.samples] + [final[k]]) for k in final}
        return {"peak": peak, "at_end": final}


def start_rq_worker(env: dict) -> subprocess.Popen:
    """`hotline worker` (rq worker with scheduler and periodic jobs), as the Procfile's worker runs it."""
    full = {**os.environ, "PYTHONPATH": str(server.ROOT), **env}
    log = open(web.LOG_DIR / "rq-worker.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], cwd=str(server.ROOT), env=full,
                            stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def outcome(url: str) -> dict:
    """Bookings by channel and status, and every invariant check, after the day."""
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        rows = session.execute(select(Booking.channel, Booking.status, func.count(Booking.id))
                               .group_by(Booking.channel, Booking.status)).all()
        problems = ledger_problems(session)
        phantoms_left = session.scalar(select(func.count(Booking.id)).join(Person).where(
            Person.name.like("Phantom %"), Booking.status == "confirmed"))
        dupes = session.scalar(select(func.count()).select_from(
            select(Booking.person_id).where(Booking.status.in_(("held", "confirmed")), Booking.person_id.is_not(None))
            .group_by(Booking.person_id).having(func.count() > 1).subquery()))
    engine.dispose()
    counts = {f"{c}_{s}": n for c, s, n in rows}
    return {"counts": counts, "ledger_problems": problems, "phantoms_left": phantoms_left,
            "people_with_two_active_bookings": dupes}


def run_day(settings: Settings, bookings: int, concurrency: int, memory: bool = True) -> Result:
    """The booking day at a given size; shared with the memory benchmark."""
    if not web.app_has_route("/ivr/voice"):
        raise Unavailable("the app has no /ivr/voice route yet: the IVR has not landed")
    gunicorn = web.gunicorn_settings(settings.size, settings.overrides)
    result = Result("booking_day", settings.size,
                    params={"attempts": bookings, "concurrency": concurrency, "phone_share": 0.2,
                            "cancel_share_of_online": 1 / CANCEL_EVERY, "phantom_share": 1 / PHANTOM_EVERY,
                            "gunicorn_workers": gunicorn.workers, "gunicorn_threads": gunicorn.threads,
                            "rq_workers": 1},
                    targets={"wall_s_for_120000": "< 300"})
    time_budget = float(settings.overrides.get("duration", 3600))
    with fresh_database(settings.pg_admin_url) as url:
        seed_day(url, bookings)
        env = {**app_env(url, settings.redis_url),
               # The smoke day is small: a narrow room makes it fill, so waiting and coming back are exercised.
               "HOTLINE_WAITING_ROOM_RATE": str(settings.pick(4, 25, "waiting_room_rate")),
               "HOTLINE_WAITING_ROOM_BURST": str(settings.pick(2, 50, "waiting_room_burst"))}
        World.bare = True
        bare_memory = {}
        result.baseline = web.measure_levels(web.BARE_APP, env, gunicorn, day_call, [concurrency], time_budget,
                                             bookings, after=lambda s: bare_memory.update(_web_memory(s)))[concurrency]
        World.bare = False
        _flush_queue(settings.redis_url)
        worker = start_rq_worker(env)
        memory_figures = {}
        try:
            with web.serving(web.OUR_APP, env, gunicorn) as running:
                sampler = Sampler(url, settings.redis_url)
                sampler.start()
                started = time.perf_counter()
                result.figures = web.run_load(running.base_url, server.BENCH_AUTH_TOKEN, day_call, concurrency,
                                              time_budget, bookings)
                phantoms = clean_up_phantoms(url)
                wall = time.perf_counter() - started
                queues = sampler.finish()
                memory_figures = _memory(running, worker)
        finally:
            stop(worker)
        after = outcome(url)
    booked = sum(n for k, n in after["counts"].items() if k.endswith(("_confirmed", "_cancelled")))
    booked -= phantoms  # phantom bookings are not bookings of the day
    result.figures.update({"wall_s": round(wall, 2), "bookings": booked, "bookings_per_s": round(booked / wall, 1),
                           "phantoms_cleaned": phantoms, "by_channel_status": after["counts"], "queues": queues})
    if memory:
        result.figures["memory"] = memory_figures
        result.baseline["memory"] = {**bare_memory, "rq_worker_rss_mib": [round(idle_rq_rss(env), 1)]}
    bare_per_s = result.baseline["calls"] / result.baseline["seconds"] if result.baseline["seconds"] else 0
    result.baseline["bookings_per_s"] = round(bare_per_s, 1)
    result.ratios = {"bookings_per_s": ratio(result.figures["bookings_per_s"], bare_per_s)}
    projected = 120_000 / result.figures["bookings_per_s"] if result.figures["bookings_per_s"] else None
    result.figures["projected_s_for_120000"] = round(projected, 1) if projected else None
    gave_up = result.figures.get("answers", {}).get("online_gave_up_slot_gone", 0)
    result.checks = {"ledger_problems": after["ledger_problems"], "phantoms_left": after["phantoms_left"],
                     "people_with_two_active_bookings": after["people_with_two_active_bookings"],
                     "status_5xx": result.figures["status_5xx"] + result.baseline["status_5xx"],
                     "no_answer": result.figures["no_answer"], "all_attempts_made": result.figures["calls"] == bookings,
                     # Booked, or lost the race for a place on every try (a correct answer, counted apart).
                     "every_attempt_booked_or_slot_gone": result.figures["completed_calls"] + gave_up == bookings}
    result.notes.append("baseline: the same request pattern against the bare app (one fixed answer per request)")
    return result


def _flush_queue(redis_url: str) -> None:
    """Start with an empty queue database (the bench's own Redis database number)."""
    from redis import Redis

    Redis.from_url(redis_url).flushdb()


def _web_memory(running) -> dict:
    """Resident memory (MiB) of each gunicorn worker and of the master, now."""
    return {"web_worker_rss_mib": [round(server.rss_kib(p) / 1024, 1) for p in running.worker_pids()],
            "web_master_rss_mib": round(server.rss_kib(running.process.pid) / 1024, 1)}


def _memory(running, worker: subprocess.Popen) -> dict:
    """Resident memory (MiB) of the web workers and of the rq worker with its children (scheduler), now."""
    rq = [worker.pid, *server.children_of(worker.pid)]
    return {**_web_memory(running), "rq_worker_rss_mib": [round(server.rss_kib(p) / 1024, 1) for p in rq]}


def idle_rq_rss(env: dict) -> float:
    """Baseline for the rq worker: a bare `rq worker` process (no app imported) on an empty queue, in MiB."""
    full = {**os.environ, "PYTHONPATH": str(server.ROOT), **env}
    process = subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "--url", env["REDIS_URL"], "bench-idle"],
                               cwd=str(server.ROOT), env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        return server.rss_kib(process.pid) / 1024
    finally:
        stop(process)


@benchmark("booking_day")
def run(settings: Settings) -> Result:
    """The booking day: wall time, bookings per second, queue lengths, every invariant at the end."""
    return run_day(settings, settings.pick(20, 120_000, "bookings"), settings.pick(4, 32, "concurrency"))


@benchmark("memory")
def run_memory(settings: Settings) -> Result:
    """Resident memory per web worker and per rq worker after a booking day, vs bare gunicorn and bare rq.

    Reuses the figures of a booking day of the same size run in the last hour (they are taken at its
    end); otherwise runs a small day itself.
    """
    day = _recent_day(settings) or run_day(settings, settings.pick(12, 3000, "bookings"),
                                           settings.pick(2, 32, "concurrency")).as_dict()
    ours, bare = day["figures"]["memory"], day["baseline"]["memory"]
    result = Result("memory", settings.size, params={**day["params"], "measured": "after the booking day"},
                    figures=dict(ours), baseline=dict(bare), checks=day["checks"],
                    targets={"note": "no target in the issue; reported for capacity planning"})
    result.figures["bookings_in_day"] = day["figures"]["bookings"]
    result.ratios = {"web_worker_rss_vs_bare": ratio(max(ours["web_worker_rss_mib"]), max(bare["web_worker_rss_mib"])),
                     "rq_worker_rss_vs_bare": ratio(ours["rq_worker_rss_mib"][0], bare["rq_worker_rss_mib"][0])}
    return result


def _recent_day(settings: Settings) -> dict | None:
    """The latest booking day of this size, if it ran in the last hour and its invariants held."""
    path = settings.results_dir / f"booking_day-{settings.size}-latest.json"
    if not path.exists() or time.time() - path.stat().st_mtime > 3600:
        return None
    day = json.loads(path.read_text())
    return day if day.get("checks_passed") and "memory" in day["figures"] else None
