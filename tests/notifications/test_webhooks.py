"""POST /notifications/status, /reply and /keypress: signed by Twilio or refused, state only moves forward."""
from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from shared_db.messages import outbox
from shared_db.models import Booking, Notification
from tests.builders import booked

PUBLIC = "https://hotline.example.org"


def _post(client, path: str, form: dict, query: dict | None = None, token: str = "test-auth-token"):
    url = path + ("?" + urlencode(query) if query else "")
    signature = RequestValidator(token).compute_signature(PUBLIC + url, form)
    return client.post(url, data=form, headers={"X-Twilio-Signature": signature})


def _status(pg_sessions, nid):
    with pg_sessions() as session:
        row = session.get(Notification, nid)
        return row.status, row.provider_id, row.last_error


def test_delivery_is_recorded(client, pg_sessions, sent):
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    assert _post(client, "/notifications/status", form, {"n": sent}).status_code == 204
    assert _status(pg_sessions, sent)[0] == "delivered"


def test_forged_signature_is_refused_and_changes_nothing(client, pg_sessions, sent):
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    assert _post(client, "/notifications/status", form, {"n": sent}, token="wrong-token").status_code == 403
    assert client.post(f"/notifications/status?n={sent}", data=form).status_code == 403
    assert _status(pg_sessions, sent)[0] == "sent"


def test_undelivered_is_final_and_visible_to_supervisors(client, pg_sessions, sent):
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert _post(client, "/notifications/status", form, {"n": sent}).status_code == 204
    with pg_sessions() as session:
        assert [(r.id, r.last_error) for r in outbox.failed_notifications(session)] == [(sent, "undelivered: 30003")]


def test_late_sent_callback_does_not_undo_delivery(client, pg_sessions, sent):
    for state in ("delivered", "sent"):
        _post(client, "/notifications/status", {"MessageSid": "SM" + "1" * 32, "MessageStatus": state}, {"n": sent})
    assert _status(pg_sessions, sent)[0] == "delivered"


def test_callback_for_another_sid_is_ignored(client, pg_sessions, sent):
    form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "failed"}
    assert _post(client, "/notifications/status", form, {"n": sent}).status_code == 204
    assert _status(pg_sessions, sent)[0] == "sent"


def test_callback_adopts_a_send_whose_worker_died(client, pg_sessions, app):
    """Claimed, accepted by Twilio, worker killed before storing the sid: the callback stores it."""
    with pg_sessions.begin() as session:
        nid = outbox.announce_booking(session, booked(session), "confirmation").id
        outbox.claim(session, nid)
    form = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "sent"}
    assert _post(client, "/notifications/status", form, {"n": nid}).status_code == 204
    assert _status(pg_sessions, nid)[:2] == ("sent", "SM" + "3" * 32)


def test_bad_input_gets_a_clear_answer(client, sent):
    assert _post(client, "/notifications/status", {"MessageStatus": "sent"}, {"n": sent}).status_code == 400
    assert _post(client, "/notifications/status", {"MessageSid": "SMx", "MessageStatus": "sent"}).status_code == 400


def _reconfirm_request(pg_sessions, phone="+4915112345678", channel_booking=None):
    with pg_sessions.begin() as session:
        booking = booked(session, phone=phone, reconfirmation=True)
        row = outbox.announce_booking(session, booking, "reconfirm")
        outbox.claim(session, row.id)
        outbox.mark_sent(session, row.id, "SM" + "4" * 32)
        return booking.id, row.id


def test_sms_reply_ja_reconfirms_the_booking(client, pg_sessions):
    booking_id, _ = _reconfirm_request(pg_sessions)
    answer = _post(client, "/notifications/reply", {"From": "+4915112345678", "Body": " Ja! "})
    assert answer.status_code == 200 and "bestätigt" in answer.get_data(as_text=True)
    with pg_sessions() as session:
        assert session.get(Booking, booking_id).reconfirmed_at is not None


def test_sms_reply_from_unknown_number_changes_nothing(client, pg_sessions):
    booking_id, _ = _reconfirm_request(pg_sessions)
    answer = _post(client, "/notifications/reply", {"From": "+4915199999999", "Body": "JA"})
    assert "keinen Termin" in answer.get_data(as_text=True)
    with pg_sessions() as session:
        assert session.get(Booking, booking_id).reconfirmed_at is None


def test_pressing_one_on_the_call_reconfirms(client, pg_sessions):
    booking_id, nid = _reconfirm_request(pg_sessions, phone="+49521123456")
    answer = _post(client, "/notifications/keypress", {"Digits": "1", "CallSid": "CA" + "5" * 32}, {"n": nid})
    assert answer.status_code == 200 and "<Say" in answer.get_data(as_text=True)
    with pg_sessions() as session:
        assert session.get(Booking, booking_id).reconfirmed_at is not None


def _call_sent(pg_sessions, attempts: int = 1) -> int:
    with pg_sessions.begin() as session:
        row = outbox.announce_booking(session, booked(session, phone="+49521123456"), "confirmation")
        outbox.claim(session, row.id)
        outbox.mark_sent(session, row.id, "CA" + "6" * 32)
        row.attempts = attempts
        return row.id


def test_unanswered_call_is_tried_again_later(client, pg_sessions):
    nid = _call_sent(pg_sessions)
    form = {"CallSid": "CA" + "6" * 32, "CallStatus": "no-answer"}
    assert _post(client, "/notifications/status", form, {"n": nid}).status_code == 204
    with pg_sessions() as session:
        row = session.get(Notification, nid)
        assert (row.status, row.provider_id) == ("pending", None) and row.due_at > outbox.utcnow()


def test_unanswered_call_gives_up_after_three_attempts(client, pg_sessions):
    nid = _call_sent(pg_sessions, attempts=outbox.VOICE_ATTEMPTS)
    form = {"CallSid": "CA" + "6" * 32, "CallStatus": "busy"}
    _post(client, "/notifications/status", form, {"n": nid})
    assert _status(pg_sessions, nid)[0] == "failed"


def test_answered_call_counts_as_delivered(client, pg_sessions):
    nid = _call_sent(pg_sessions)
    _post(client, "/notifications/status", {"CallSid": "CA" + "6" * 32, "CallStatus": "completed"}, {"n": nid})
    assert _status(pg_sessions, nid)[0] == "delivered"
