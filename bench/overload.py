"""Bench 4, overload: a burst of new incoming calls on /ivr/voice, far beyond agent capacity.

Every call attempt is a new CallSid that rings, picks German and asks for a
person (three signed posts); with no agent online the app must answer each with
an admission decision, the queue or (once the queue is long) a callback offer.
We count decisions per second, check every attempt got TwiML and none a 5xx, and
compare with the bare endpoint under the same gunicorn settings. From that: how
many web machines of this size 5,000 call attempts per second need.
"""
from __future__ import annotations

import math

from bench import web
from bench.core import Result, Settings, Unavailable, benchmark, ratio
from bench.loadgen import SignedClient
from bench.pgdb import fresh_database
from bench.server import app_env

SEED_ATTEMPTS_PER_S = 5000  # CONTEXT.md: the hotline's peak on the Westfalen-Lippe Saturday
VOICE = "/ivr/voice"


def new_call(client: SignedClient, number: int) -> bool:
    """One call attempt: ring, choose German, ask for a person (0); True when a decision was answered.

    With no agent online the queue fills, and the app must switch from queueing
    to offering a callback: that switch, under load, is what this measures.
    """
    params = web.call_params(number)
    status, body = client.post(VOICE, params)
    root = web.twiml(body) if status == 200 else None
    for key in ("1", "0"):
        gather = root.find(".//Gather") if root is not None else None
        if gather is None:
            break
        status, body = client.post(gather.get("action"), {**params, "CallStatus": "in-progress", "Digits": key})
        root = web.twiml(body) if status == 200 else None
    client.tally.kinds[_decision(root) if root is not None else "no TwiML"] += 1
    return root is not None


def _decision(root) -> str:
    """What the answer does with the caller: queue (Enqueue), callback offer (a menu), or something else."""
    verbs = {child.tag for child in root.iter() if child is not root}
    if "Enqueue" in verbs:
        return "queue"
    if "Gather" in verbs:
        return "callback_offer" if "Rückruf" in " ".join(root.itertext()) else "menu"
    return "hangup" if "Hangup" in verbs else "other"


def seed_database(url: str) -> None:
    """Demo centres and slots, so the IVR has a world to answer from."""
    from datetime import date

    from shared_db.operations.demo import seed_demo
    from shared_db.session import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        seed_demo(session, date.today(), days=3)
    engine.dispose()


@benchmark("overload")
def run(settings: Settings) -> Result:
    """Admission decisions per second (3 signed posts each) vs the bare endpoint; machines for 5,000/s."""
    if not web.app_has_route(VOICE):
        raise Unavailable("the app has no /ivr/voice route yet: the IVR has not landed")
    concurrency = settings.pick(16, 128, "concurrency")
    duration = settings.pick(2.0, 20.0, "duration")
    max_calls = settings.pick(60, 200_000, "max_calls")
    gunicorn = web.gunicorn_settings(settings.size, settings.overrides)
    result = Result("overload", settings.size, targets={"status_5xx": 0, "unanswered": 0},
                    params={"concurrency": concurrency, "duration_s": duration, "max_calls": max_calls,
                            "gunicorn_workers": gunicorn.workers, "gunicorn_threads": gunicorn.threads})
    with fresh_database(settings.pg_admin_url) as url:
        seed_database(url)
        env = app_env(url, settings.redis_url)
        result.baseline = web.measure(web.BARE_APP, env, gunicorn, new_call, concurrency, duration, max_calls)
        result.figures = web.measure(web.OUR_APP, env, gunicorn, new_call, concurrency, duration, max_calls)
    ours, bare = result.figures, result.baseline
    for summary in (ours, bare):
        summary["decisions_per_s"] = round(summary["calls"] / summary["seconds"], 1) if summary["seconds"] else 0.0
    result.ratios = {"decisions_per_s": ratio(ours["decisions_per_s"], bare["decisions_per_s"])}
    # Counted as if every attempt went on to the decision (three posts): an upper bound.
    result.figures["web_machines_for_5000_attempts_per_s"] = math.ceil(
        SEED_ATTEMPTS_PER_S / ours["decisions_per_s"]) if ours["decisions_per_s"] else None
    result.checks = {"status_5xx": ours["status_5xx"] + bare["status_5xx"],
                     "unanswered": ours["calls"] - ours["completed_calls"] + ours["no_answer"],
                     "load_ran": ours["steps"] > 0 and bare["steps"] > 0,
                     "every_attempt_decided": sum(ours.get("answers", {}).get(k, 0)
                                                  for k in ("queue", "callback_offer")) == ours["calls"]}
    result.notes.append("the load generator runs on the same 2 cores as gunicorn and PostgreSQL, so the "
                        "machine count is an upper bound")
    return result
