"""`hotline worker`: an rq worker with rq's scheduler, plus the periodic jobs on rq's cron.

The periodic jobs are registered with rq.cron (interval or cron expression) and
enqueued by the one worker that holds a short Redis lease, so running several
workers does not multiply them. rq's own cron enqueues with the default
(pickle) serializer; ours enqueues with the JSON serializer the worker uses.
The worker survives a Redis outage: it waits and reconnects instead of exiting.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from services import queueing, runtime

log = logging.getLogger(__name__)
LEADER_KEY = "hotline:cron:leader"
LEADER_SECONDS = 30


def periodic_jobs() -> list[tuple]:
    """(function, timing) of every periodic job; intervals in seconds, purge by cron at night."""
    from services.jobs.periodic import (
        close_centre_days,
        purge_nightly,
        release_phone_quota,
        send_reminders,
        sweep_holds,
    )
    from services.jobs.sending import sweep_outbox

    every = runtime.setting("SWEEP_SECONDS") or {}
    return [
        (sweep_holds, {"interval": every.get("holds", 60)}),
        (sweep_outbox, {"interval": every.get("outbox", 60)}),
        (release_phone_quota, {"interval": every.get("quota", 300)}),
        (send_reminders, {"interval": every.get("reminders", 900)}),
        (close_centre_days, {"interval": every.get("quota", 300)}),  # no-shows within minutes of closing
        (purge_nightly, {"cron": runtime.setting("PURGE_CRON") or "30 2 * * *"}),
    ]


def cron_scheduler(connection, queue_name: str = queueing.QUEUE_NAME):
    """rq's CronScheduler holding our periodic jobs, enqueued with the JSON serializer."""
    from rq import Queue
    from rq.cron import CronJob, CronScheduler
    from rq.serializers import JSONSerializer

    class JsonCronJob(CronJob):
        def enqueue(self, connection):
            queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
            return queue.enqueue(self.func, args=self.args, kwargs=self.kwargs, **self.job_options)

    scheduler = CronScheduler(connection=connection)
    for func, timing in periodic_jobs():
        # CronScheduler.register() would build a pickle-enqueuing CronJob; its list is the only way in.
        scheduler._cron_jobs.append(JsonCronJob(queue_name, func=func, job_timeout=600, result_ttl=3600, **timing))
    return scheduler


def _lead(connection, name: str) -> bool:
    """Take or keep the cron lease; only its holder enqueues periodic jobs."""
    if connection.set(LEADER_KEY, name, nx=True, ex=LEADER_SECONDS):
        return True
    if (connection.get(LEADER_KEY) or b"").decode() == name:
        connection.expire(LEADER_KEY, LEADER_SECONDS)
        return True
    return False


@dataclass
class CronLoop:
    """Enqueues due periodic jobs from a thread of the worker process (never of the web process)."""

    scheduler: object
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                if _lead(self.scheduler.connection, self.scheduler.name):
                    self.scheduler.enqueue_jobs()
            except Exception as exc:  # Redis away: try again shortly, the jobs are idempotent
                log.warning("periodic jobs not enqueued: %s", exc.__class__.__name__)
            self.stop.wait(min(max(self.scheduler.calculate_sleep_interval(), 0.5), 5))

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="hotline-cron", daemon=True)
        thread.start()
        return thread


def run_worker(redis_url: str, queue_name: str = queueing.QUEUE_NAME, burst: bool = False,
               periodic: bool = True) -> None:
    """Work the queue with rq's scheduler (delayed retries) until asked to stop; reconnect after outages."""
    from redis import Redis
    from rq import Queue, SimpleWorker
    from rq.serializers import JSONSerializer

    connection = Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
    loop = CronLoop(cron_scheduler(connection, queue_name)) if periodic and not burst else None
    if loop:
        loop.start()
    try:
        while True:
            # SimpleWorker runs each job in this process instead of forking a work horse per job: no fork and
            # no new database connection per job. Measured with 200 jobs on a busy 2-core machine: 7-8 jobs/s
            # forking, 21-27 without (a booking day's 120,000 confirmations would take hours at the former).
            # A job that kills the process is covered by the outbox's claim lease, as a killed horse was.
            worker = SimpleWorker([Queue(queue_name, connection=connection, serializer=JSONSerializer)],
                                  connection=connection, serializer=JSONSerializer)
            try:
                worker.work(burst=burst, with_scheduler=True)
            except Exception as exc:  # Redis went away while the worker started
                log.warning("worker stopped: %s", exc.__class__.__name__)
            # rq keeps "asked to stop" (SIGTERM/SIGINT) private; anything else that ends work() with Redis
            # away is an outage to wait out, not a reason for the process to end.
            if burst or worker._stop_requested or _redis_up(connection):
                return
            log.warning("Redis not reachable; the worker tries again in 5 s")
            time.sleep(5)
    finally:
        if loop:
            loop.stop.set()


def _redis_up(connection) -> bool:
    try:
        return bool(connection.ping())
    except Exception:
        return False
