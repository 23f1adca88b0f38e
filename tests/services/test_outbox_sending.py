"""The outbox send job: at most once, provider id stored, retries with backoff, nothing lost."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from services import queueing
from services.jobs import notifier as notifiers
from services.jobs import sending
from shared_db.messages import outbox
from shared_db.models import Notification
from shared_db.types import utcnow
from tests.builders import booked
from tests.services.support import use_database


@pytest.fixture(autouse=True)
def _sends_driven_by_the_test():
    """These tests run the send job and the sweep themselves: the outbox's send-after-commit hook is off."""
    event.remove(Session, "pending_to_persistent", sending._send_after_commit)
    yield
    event.listen(Session, "pending_to_persistent", sending._send_after_commit)


def _announce(sessions, kind="confirmation", **kwargs) -> int:
    with sessions.begin() as session:
        return outbox.announce_booking(session, booked(session, **kwargs), kind).id


def sweep() -> dict:
    """The outbox sweep, returning once the sends it handed to the in-process runner have run."""
    report = sending.sweep_outbox()
    queueing.drain()
    return report


def _row(sessions, notification_id) -> Notification:
    with sessions() as session:
        return session.get(Notification, notification_id)


def test_send_stores_provider_id_and_second_run_sends_nothing(jobs, sessions):
    nid = _announce(sessions)
    assert sending.send_notification(nid) == "sent"
    assert sending.send_notification(nid) == "not due or already taken"
    row = _row(sessions, nid)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 1, "SM" + f"{1:032x}")
    assert [s[0] for s in jobs.sent] == [nid]


def test_landline_gets_a_voice_call_and_mobile_an_sms(jobs, sessions):
    with sessions.begin() as session:
        mobile = outbox.announce_booking(session, booked(session), "confirmation")
        landline = outbox.announce_booking(session, booked(session, name="Karl Meier", phone="+49521123456"),
                                           "confirmation")
        assert (mobile.channel, landline.channel) == ("sms", "voice")


def test_message_not_yet_due_is_left_alone(jobs, sessions):
    nid = _announce(sessions)
    with sessions.begin() as session:
        session.execute(update(Notification).values(due_at=utcnow() + timedelta(hours=1)))
    assert sending.send_notification(nid) == "not due or already taken"
    assert jobs.sent == []


def test_transient_failure_backs_off_and_raises_for_rq_retry(jobs, sessions):
    nid = _announce(sessions)
    jobs.fail_with = notifiers.TransientSendError("twilio 503")
    before = utcnow()
    with pytest.raises(notifiers.TransientSendError):
        sending.send_notification(nid)
    row = _row(sessions, nid)
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    assert row.due_at >= before + timedelta(seconds=outbox.BACKOFF_SECONDS[0])
    assert sending.send_notification(nid) == "not due or already taken"  # backoff is kept in the database


def test_final_failure_is_recorded_and_shown_to_supervisors(jobs, sessions):
    nid = _announce(sessions)
    jobs.fail_with = notifiers.FinalSendError("twilio 400 code 21211: invalid To")
    assert sending.send_notification(nid) == "failed"
    with sessions() as session:
        failed = outbox.failed_notifications(session)
        assert [(r.id, r.status) for r in failed] == [(nid, "failed")]
        assert "21211" in failed[0].last_error


def test_too_many_transient_failures_end_as_failed(jobs, sessions):
    nid = _announce(sessions)
    jobs.fail_with = notifiers.TransientSendError("twilio 429")
    with sessions.begin() as session:
        session.execute(update(Notification).values(attempts=outbox.MAX_ATTEMPTS - 1))
    assert sending.send_notification(nid) == "failed"
    assert _row(sessions, nid).status == "failed"


def test_sweep_sends_rows_nobody_enqueued(jobs, sessions):
    ids = [_announce(sessions, name=n) for n in ("Erna Schmidt", "Karl Meier", "Ida Vogel")]
    report = sweep()
    assert report["enqueued"] == 3
    assert sorted(s[0] for s in jobs.sent) == sorted(ids)
    assert sweep()["enqueued"] == 0


def test_stale_claim_found_at_provider_is_adopted_not_resent(jobs, sessions):
    nid = _announce(sessions)
    with sessions.begin() as session:
        outbox.claim(session, nid, lease=timedelta(seconds=-1))  # claimed, then the worker died
    jobs.known[nid] = "SM" + "ab" * 16  # ... after Twilio had accepted the message
    report = sweep()
    row = _row(sessions, nid)
    assert (report["stale"], report["resent"]) == (1, 0)
    assert (row.status, row.provider_id) == ("sent", "SM" + "ab" * 16)
    assert jobs.sent == []


def test_stale_claim_unknown_at_provider_is_sent_again_once(jobs, sessions):
    nid = _announce(sessions)
    with sessions.begin() as session:
        outbox.claim(session, nid, lease=timedelta(seconds=-1))  # died before Twilio was called
    sweep()
    sweep()
    assert [s[0] for s in jobs.sent] == [nid]
    assert _row(sessions, nid).status == "sent"


def test_claim_is_taken_by_exactly_one_of_many_racers(jobs, pg_sessions, pg_url):
    use_database(pg_url)
    with pg_sessions.begin() as session:
        nid = outbox.announce_booking(session, booked(session), "confirmation").id
    winners, barrier = [], threading.Barrier(16)

    def race():
        barrier.wait()
        with pg_sessions.begin() as session:
            if outbox.claim(session, nid) is not None:
                winners.append(1)

    threads = [threading.Thread(target=race) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    with pg_sessions() as session:
        assert session.scalar(select(Notification.attempts).where(Notification.id == nid)) == 1
