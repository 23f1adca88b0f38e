"""Bench 1, IVR steps: complete signed calls from /ivr/voice to a booking, at 32 and 128 concurrent calls.

Each simulated caller books for a different person from a different Bielefeld
landline, following the Gather actions of every answer as Twilio would:
language, main menu, birth date, read-back, suggested centre, offer, name
(speech), read-back, goodbye, then the status callback. The bare app answers
every one of those posts with a fixed <Gather>, under the same gunicorn settings.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bench import web
from bench.core import Result, Settings, Unavailable, benchmark, ratio
from bench.loadgen import SignedClient
from bench.pgdb import fresh_database
from bench.server import app_env
from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking
from shared_db.session import make_engine, make_sessionmaker, transaction

FIRST_NAMES = ("Erna", "Hans", "Gertrud", "Walter", "Ilse", "Horst", "Ursula", "Günter", "Käthe", "Heinz")
LAST_NAMES = ("Schmidt", "Müller", "Meyer", "Schulz", "Becker", "Hoffmann", "Schäfer", "Koch", "Bauer", "Wolf")


def caller_number(number: int) -> str:
    """A distinct Bielefeld landline (area code 0521) per call, so the per-number limit never interferes."""
    return f"+49521{1000000 + number % 9000000:07d}"


SYLLABLES = ("ba", "ke", "lo", "mi", "nu", "ra", "so", "ti", "wa", "ze", "do", "fe", "gu", "ha", "jo", "pe")


def person_of(number: int) -> tuple[str, date]:
    """A distinct name (letters only: the IVR keeps no digits of a spoken name) and a birth date, 80 to 90."""
    rest, suffix = number // 100, ""
    while rest:
        rest, digit = divmod(rest, 16)
        suffix += SYLLABLES[digit]
    last = LAST_NAMES[number // 10 % 10] + (f"-{suffix.capitalize()}" if suffix else "")
    return f"{FIRST_NAMES[number % 10]} {last}", date(1931, 1, 1) + timedelta(days=number % 3600)


def booking_script(number: int) -> list[tuple[str, str]]:
    """The caller's inputs, answer by answer (book_demo.txt of the IVR, with this caller's person)."""
    name, dob = person_of(number)
    return [("Digits", "1"), ("Digits", "1"), ("Digits", dob.strftime("%d%m%Y")), ("Digits", "1"),
            ("Digits", "1"), ("Digits", "1"), ("SpeechResult", name), ("Digits", "1"), ("Digits", "3")]


def call(client: SignedClient, number: int) -> bool:
    """One whole call; True when every step was answered with TwiML. Bookings are counted as 'booked'."""
    params = web.call_params(number, From=caller_number(number), Caller=caller_number(number))
    status, body = client.post("/ivr/voice", params)
    root = web.twiml(body) if status == 200 else None
    heard = ""
    for field, value in booking_script(number):
        gather = root.find(".//Gather") if root is not None else None
        if gather is None:
            client.tally.kinds["no Gather"] += 1
            return False
        answer = {**params, "CallStatus": "in-progress", field: value}
        if field == "SpeechResult":
            answer["Confidence"] = "0.92"
        status, body = client.post(gather.get("action"), answer)
        root = web.twiml(body) if status == 200 else None
        heard = " ".join(root.itertext()) if root is not None else ""
        if field == "SpeechResult":
            continue
        if "gebucht" in heard:
            client.tally.kinds["booked"] += 1
    status, _ = client.post("/ivr/status", {**params, "CallStatus": "completed", "CallDuration": "95"})
    return root is not None and status == 200


def seed_world(url: str, slot_capacity: int, days: int) -> None:
    """The demo centres (Bielefeld among them) with a week of generous slots."""
    from shared_db.operations.demo import seed_demo

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        seed_demo(session, date.today(), days=days, slot_capacity=slot_capacity)
    engine.dispose()


def phone_bookings(url: str) -> tuple[int, list[str]]:
    """Confirmed phone bookings and the ledger's problems after the run."""
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        count = session.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed",
                                                                    Booking.channel == "phone"))
        problems = ledger_problems(session)
    engine.dispose()
    return count, problems


@benchmark("ivr_steps")
def run(settings: Settings) -> Result:
    """Steps per second and step latency of whole booking calls vs the bare <Gather> endpoint."""
    low, high = settings.pick(4, 32, "low"), settings.pick(8, 128, "high")
    duration = settings.pick(4.0, 20.0, "duration")
    max_calls = settings.pick(8, 100_000, "max_calls")
    gunicorn = web.gunicorn_settings(settings.size, settings.overrides)
    result = Result("ivr_steps", settings.size,
                    params={"concurrency": [low, high], "duration_s_per_level": duration,
                            "max_calls_per_level": max_calls, "steps_per_call": 11,
                            "gunicorn_workers": gunicorn.workers, "gunicorn_threads": gunicorn.threads},
                    targets={f"ratio_steps_per_s_at_{low}": ">= 0.5", f"p99_ms_at_{low}": "< 100"})
    if not web.app_has_route("/ivr/voice"):
        raise Unavailable("the app has no /ivr/voice route yet: the IVR has not landed")
    with fresh_database(settings.pg_admin_url) as url:
        seed_world(url, settings.pick(50, 400, "slot_capacity"), settings.pick(1, 7, "days"))
        env = app_env(url, settings.redis_url)
        bare = web.measure_levels(web.BARE_APP, env, gunicorn, call, [low, high], duration, max_calls)
        ours = web.measure_levels(web.OUR_APP, env, gunicorn, call, [low, high], duration, max_calls)
        booked_in_db, problems = phone_bookings(url)
    result.figures = {f"c{c}": ours[c] for c in (low, high)}
    result.baseline = {f"c{c}": bare[c] for c in (low, high)}
    result.ratios = {f"steps_per_s_at_{c}": ratio(ours[c]["steps_per_s"], bare[c]["steps_per_s"]) for c in (low, high)}
    booked = sum(ours[c].get("answers", {}).get("booked", 0) for c in (low, high))
    calls = sum(ours[c]["calls"] for c in (low, high))
    result.figures["booked_calls"] = booked
    result.checks = {"status_5xx": sum(s["status_5xx"] for s in (*ours.values(), *bare.values())),
                     "no_answer": sum(s["no_answer"] for s in (*ours.values(), *bare.values())),
                     "every_call_booked": booked == calls, "bookings_in_database": booked_in_db == booked,
                     "ledger_problems": problems}
    return result
