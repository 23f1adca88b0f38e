"""Waiting for an agent: queue records, honest estimates, callbacks that keep the place, overload."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from shared_db import calls
from shared_db.models import CallbackRequest, QueueEntry, Setting
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.hotline.support import scrape
from tests.ivr.support import LANDLINE_BIELEFELD, MOBILE, new_call


def _to_queue(client, from_number=MOBILE):
    call = new_call(client, from_number=from_number)
    call.dial(), call.press("1")
    answer = call.press("0")
    return call, answer


def _answered_history(session, count: int, minutes_apart: int = 5) -> None:
    """`count` callers answered in the last hour, one every few minutes."""
    now = utcnow()
    for i in range(count):
        joined = now - timedelta(minutes=minutes_apart * (count - i) + 2)
        session.add(QueueEntry(call_sid=f"CAold{i}", enqueued_at=joined, left_at=joined + timedelta(minutes=2),
                               outcome="answered"))


def test_zero_enqueues_and_records_the_wait(client, ivr_world, sessions_of):
    call, answer = _to_queue(client)
    enqueue = answer.find("Enqueue")
    assert enqueue is not None and enqueue.text == "hotline"
    assert enqueue.get("waitUrl").startswith("/ivr/wait") and enqueue.get("action").startswith("/ivr/queue-done")
    assert "Bitte bleiben Sie am Apparat" in answer.heard()
    with transaction(sessions_of) as session:
        [entry] = calls.waiting_callers(session)
        assert entry.call_sid == call.call_sid and entry.from_number == MOBILE
        entry.enqueued_at -= timedelta(minutes=10)  # the agent talked to the caller for a while
    # Twilio calls the Enqueue action after the bridged conversation: QueueTime tells when it began.
    call.request(enqueue.get("action"), QueueResult="bridged", QueueTime="75")
    with transaction(sessions_of) as session:
        entry = session.scalar(select(QueueEntry))
        assert entry.outcome == "answered" and 74 <= (entry.left_at - entry.enqueued_at).total_seconds() <= 76
        assert calls.waiting_callers(session) == []


def test_hanging_up_in_the_queue_is_recorded_as_abandoned(client, ivr_world, sessions_of):
    call, _ = _to_queue(client)
    call.hang_up()
    with transaction(sessions_of) as session:
        assert session.scalar(select(QueueEntry.outcome)) == "abandoned"


def test_wait_announcement_without_statistics_makes_no_promise(client, ivr_world):
    call, _ = _to_queue(client)
    heard = call.wait_in_queue(position=3).heard()
    assert "Position 3" in heard and "nicht sicher sagen" in heard
    gather = call.last.gather
    assert gather is not None and "drücken Sie die 1" in heard and "Platz in der Reihe bleibt erhalten" in heard
    pause = gather.find("Pause")
    assert pause is not None and 25 <= int(pause.get("length")) <= 50  # with the words, a 30-60 s cycle


def test_wait_announcement_estimates_from_our_own_answer_rate(client, ivr_world, sessions_of):
    with transaction(sessions_of) as session:
        _answered_history(session, 6, minutes_apart=5)  # 6 answered in ~32 min: about one per 5 1/3 min
    call, _ = _to_queue(client)
    heard = call.wait_in_queue(position=3).heard()
    assert "etwa 16 Minuten" in heard or "etwa 17 Minuten" in heard, heard


def test_press_one_while_waiting_leaves_with_a_callback_that_keeps_the_place(client, ivr_world, sessions_of):
    call, _ = _to_queue(client)
    call.wait_in_queue()
    answer = call.press_while_waiting("1")
    assert "Wir rufen Sie unter Ihrer Nummer zurück" in answer.heard() and answer.find("Hangup") is not None
    with transaction(sessions_of) as session:
        entry = session.scalar(select(QueueEntry))
        [request] = session.scalars(select(CallbackRequest)).all()
        assert entry.outcome == "callback" and request.place_at == entry.enqueued_at and request.phone == MOBILE


def test_duplicate_callback_requests_merge_keeping_the_earliest_place(client, ivr_world, sessions_of):
    first, _ = _to_queue(client)
    first.wait_in_queue()
    first.press_while_waiting("1")
    again = new_call(client)
    again.dial(), again.press("1"), again.press("3")
    assert "Wir rufen Sie" in again.last.heard()
    with transaction(sessions_of) as session:
        [request] = session.scalars(select(CallbackRequest)).all()
        entry = session.scalar(select(QueueEntry))
        assert request.merged_count == 1 and request.place_at == entry.enqueued_at


def test_concurrent_callback_requests_from_one_number_leave_one_open_request(pg_sessions):
    now = utcnow()

    def ask(i):
        with transaction(pg_sessions) as session:
            calls.request_callback(session, MOBILE, "de", "request", place_at=now - timedelta(seconds=i), now=now)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, range(16)))
    with transaction(pg_sessions) as session:
        [request] = session.scalars(select(CallbackRequest)).all()
        assert request.merged_count == 15 and request.place_at == now - timedelta(seconds=15)


def test_callback_list_is_first_come_first_served(pg_sessions):
    now = utcnow()
    with transaction(pg_sessions) as session:
        calls.request_callback(session, "+4915100000002", "de", "request", place_at=now - timedelta(minutes=5))
        calls.request_callback(session, "+4915100000001", "de", "queue", place_at=now - timedelta(minutes=9))
        calls.request_callback(session, "+4915100000003", "de", "group_open", place_at=now - timedelta(minutes=20),
                               not_before=now + timedelta(days=3))
    with transaction(pg_sessions) as session:
        assert [r.phone for r in calls.callback_list(session, now)] == ["+4915100000001", "+4915100000002"]


def test_overload_by_queue_length_offers_a_callback_instead_of_queueing(client, ivr_world, sessions_of):
    with transaction(sessions_of) as session:
        session.add(Setting(key=calls.OVERLOAD_QUEUE_LENGTH, value=2))
        session.add_all([QueueEntry(call_sid=f"CAwait{i}", enqueued_at=utcnow()) for i in range(2)])
    call, answer = _to_queue(client, from_number=LANDLINE_BIELEFELD)
    assert answer.find("Enqueue") is None and "sehr viele Menschen" in answer.heard()
    answer = call.press("1")
    assert "Wir rufen Sie" in answer.heard() and answer.find("Hangup") is not None
    with transaction(sessions_of) as session:
        [request] = session.scalars(select(CallbackRequest)).all()
        assert request.reason == "overload" and request.phone == LANDLINE_BIELEFELD
        assert len(calls.waiting_callers(session)) == 2  # the new caller did not join the queue


def test_overload_by_estimated_wait(client, ivr_world, sessions_of):
    with transaction(sessions_of) as session:
        session.add(Setting(key=calls.OVERLOAD_WAIT_SECONDS, value=600))
        _answered_history(session, 3, minutes_apart=10)  # one answer per ~11 minutes
    _, answer = _to_queue(client)
    assert answer.find("Enqueue") is None and "sehr viele Menschen" in answer.heard()


def test_no_overload_below_the_thresholds(client, ivr_world, sessions_of):
    with transaction(sessions_of) as session:
        _answered_history(session, 6, minutes_apart=1)
    _, answer = _to_queue(client)
    assert answer.find("Enqueue") is not None


def test_withheld_number_is_queued_rather_than_promised_a_callback(client, ivr_world, sessions_of):
    call = new_call(client, from_number="anonymous")
    call.dial(), call.press("1")
    answer = call.press("3")
    assert "nicht zurückrufen" in answer.heard() and answer.find("Enqueue") is not None


def test_agent_side_dequeue_hook_records_the_answer_and_tells_the_caller(client, ivr_world, sessions_of):
    call, _ = _to_queue(client)
    answer = call.request("/ivr/dequeued?l=de", QueueSid="QU1", QueueTime="12", DequeingCallSid="CAagent")
    assert "Sie werden jetzt verbunden" in answer.heard()
    with transaction(sessions_of) as session:
        assert session.scalar(select(QueueEntry.outcome)) == "answered"
        stats = calls.queue_stats(session)
        assert (stats.waiting, stats.answered) == (0, 1)


def test_queue_figures_on_metrics(client, ivr_world):
    _to_queue(client)
    figures = scrape(client)
    assert figures[("hotline_queue_waiting", ())] == 1 and figures[("hotline_queue_estimate_seconds", ())] == -1


def test_a_caller_an_agent_took_gets_no_callback(client, ivr_world, sessions_of):
    """The console moves the call out of <Enqueue> by REST: Twilio reports QueueResult=redirected."""
    call, answer = _to_queue(client)
    call.request(answer.find("Enqueue").get("action"), QueueResult="redirected", QueueTime="30")
    with transaction(sessions_of) as session:
        assert session.scalar(select(QueueEntry.outcome)) == "answered"
        assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
