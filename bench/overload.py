"""Bench 4, overload: a burst of new incoming calls on /ivr/voice, far beyond agent capacity.

Every call attempt is one signed POST of a new CallSid; we count answers per
second (each one the app's admission decision: menu, queue or callback offer),
check that every attempt got TwiML and none a 5xx, and compare with the bare
endpoint under the same gunicorn settings. From that: how many web machines
of this size 5,000 call attempts per second need.
"""
from __future__ import annotations

import math
from bench import web
from bench.core import Result, Settings, benchmark, ratio
from bench.loadgen import SignedClient
from bench.pgdb import fresh_database
from bench.server import app_env

SEED_ATTEMPTS_PER_S = 5000  # CONTEXT.md: the hotline's peak on the Westfalen-Lippe Saturday
VOICE = "/ivr/voice"


def new_call(client: SignedClient, number: int) -> bool:
    """One call attempt: the incoming-call webhook; True when the answer is TwiML."""
    status, body = client.post(VOICE, web.call_params(number))
    root = web.twiml(body) if status == 200 else None
    client.tally.kinds[_decision(root) if root is not None else "no TwiML"] += 1
    return root is not None


def readiness(client: SignedClient, number: int) -> bool:
    """Stand-in when /ivr/voice is missing: the readiness probe (one database and one Redis round trip)."""
    status, _ = client.request("GET", "/readyz")
    return status == 200


def _decision(root) -> str:
    """What the answer does with the caller: its first verb (Gather = menu, Enqueue = queue, ...)."""
    verbs = [child.tag for child in root.iter() if child is not root]
    for verb in ("Enqueue", "Gather", "Record", "Dial", "Hangup"):
        if verb in verbs:
            return verb
    return verbs[0] if verbs else "empty"


def seed_database(url: str) -> None:
    """Demo centres and slots, so the IVR has a world to answer from."""
    from datetime import date

    from shared_db.demo import seed_demo
    from shared_db.session import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        seed_demo(session, date.today(), days=3)
    engine.dispose()


@benchmark("overload")
def run(settings: Settings) -> Result:
    """Admission answers per second on /ivr/voice vs the bare endpoint; machines needed for 5,000/s."""
    concurrency = settings.pick(16, 128, "concurrency")
    duration = settings.pick(3.0, 20.0, "duration")
    max_calls = settings.pick(150, 200_000, "max_calls")
    gunicorn = web.gunicorn_settings(settings.size, settings.overrides)
    result = Result("overload", settings.size, targets={"status_5xx": 0, "unanswered": 0},
                    params={"concurrency": concurrency, "duration_s": duration, "max_calls": max_calls,
                            "gunicorn_workers": gunicorn.workers, "gunicorn_threads": gunicorn.threads})
    with fresh_database(settings.pg_admin_url) as url:
        seed_database(url)
        env = app_env(url, settings.redis_url)
        has_voice = web.app_has_route(VOICE)
        script = new_call if has_voice else readiness
        result.params["route"] = VOICE if has_voice else "GET /readyz (stand-in: /ivr/voice is not on main yet)"
        if not has_voice:
            result.notes.append("/ivr/voice is not on main yet: measured GET /readyz as a stand-in for the "
                                "admission decision; rerun when the IVR has landed")
        result.baseline = web.measure(web.BARE_APP, env, gunicorn, script, concurrency, duration, max_calls)
        result.figures = web.measure(web.OUR_APP, env, gunicorn, script, concurrency, duration, max_calls)
    ours, bare = result.figures, result.baseline
    result.ratios = {"answers_per_s": ratio(ours["steps_per_s"], bare["steps_per_s"])}
    result.figures["web_machines_for_5000_per_s"] = math.ceil(SEED_ATTEMPTS_PER_S / ours["steps_per_s"]) \
        if ours["steps_per_s"] else None
    result.checks = {"status_5xx": ours["status_5xx"] + bare["status_5xx"],
                     "unanswered": ours["calls"] - ours["completed_calls"] + ours["no_answer"],
                     "load_ran": ours["steps"] > 0 and bare["steps"] > 0}
    result.notes.append("the load generator runs on the same 2 cores as gunicorn and PostgreSQL, so the "
                        "machine count is an upper bound")
    return result
