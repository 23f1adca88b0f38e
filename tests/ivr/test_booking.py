"""Whole calls through the Flask test client with signed requests: booking by phone."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking, CallSession, Notification, OpeningNotice, Slot
from shared_db.session import transaction
from tests.ivr.support import LANDLINE_BIELEFELD, MOBILE, bookings, new_call, take_offer, to_offer


def test_successful_booking_takes_the_phone_pool_and_queues_an_sms(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    assert "Der nächste freie Termin" in call.last.heard()
    assert "im Impfzentrum Bielefeld" in call.last.heard()
    take_offer(call)
    heard = call.last.heard()
    assert "Ihr Termin ist gebucht" in heard
    [done] = bookings(sessions_of)
    assert done.status == "confirmed" and done.channel == "phone" and done.first_pool == "phone"
    spoken_code = " ".join(done.code[:3]) + " " + " ".join(done.code[3:6]) + " " + " ".join(done.code[6:])
    assert heard.count(spoken_code) == 2, heard  # read digit by digit, twice
    assert done.person.name == "Erna Schmidt" and done.caller_number == "+4915112345678"
    with transaction(sessions_of) as session:
        first = session.get(Slot, ivr_world["pairs"]["home"][0][0])
        assert (first.phone_taken, first.online_taken) == (1, 0)
        sms = session.scalars(select(Notification).where(Notification.booking_id == done.id)).all()
        assert [(n.channel, n.kind, n.to_number) for n in sms] == [("sms", "confirmation", "+4915112345678")]
        assert ledger_problems(session) == []


def _slot(sessions_of, slot_id):
    with transaction(sessions_of) as session:
        return session.get(Slot, slot_id)


def test_sold_out_at_home_offers_the_neighbouring_district_and_says_it_is_valid(client, sessions_of):
    from tests.ivr.support import build_ivr_world

    with transaction(sessions_of) as session:
        ivr_world = build_ivr_world(session, home_phone=0)
    call = new_call(client)
    to_offer(call)
    heard = call.last.heard()
    assert "Im Impfzentrum Bielefeld sind leider keine Telefontermine mehr frei" in heard
    assert "Nachbarkreis Gütersloh" in heard and "genauso gültig" in heard
    assert "im Impfzentrum Kreis Gütersloh" in heard
    take_offer(call)
    [done] = bookings(sessions_of)
    assert done.status == "confirmed" and done.first_slot_id == ivr_world["pairs"]["neighbour"][0][0]


def test_landline_caller_is_offered_the_centre_of_their_area_code(client, ivr_world, sessions_of):
    call = new_call(client, from_number=LANDLINE_BIELEFELD)
    call.dial(), call.press("1"), call.press("1"), call.press("03031938"), call.press("1")
    assert "Sie rufen aus Bielefeld an" in call.last.heard()
    assert "Impfzentrum Bielefeld" in call.last.heard()
    call.press("1")
    assert "Der nächste freie Termin" in call.last.heard()
    take_offer(call)
    heard = call.last.heard()
    assert "Ihr Termin ist gebucht" in heard and "SMS" not in heard  # no SMS to a landline
    with transaction(sessions_of) as session:
        assert session.scalars(select(Notification)).all() == []


def test_not_eligible_yet_asks_only_open_questions_then_offers_sms_when_the_group_opens(client, ivr_world, sessions_of):
    from datetime import timedelta

    from tests.ivr.support import today

    born = today().replace(year=today().year - 75) - timedelta(days=1)
    call = new_call(client)
    call.dial(), call.press("1"), call.press("1"), call.press(born.strftime("%d%m%Y")), call.press("1")
    heard = call.last.heard()
    # Group 1 is open, and only a list admits there before 80: a code of their own, no claim to say yes to.
    assert "Einladungscode" in heard and "Pflegeheim" not in heard
    call.silence()  # no code (pressing only # arrives the same way)
    heard = call.last.heard()
    assert "noch nicht buchen" in heard
    opens = today() + timedelta(days=7)
    from ivr.inputs import say_day

    assert say_day(opens, "de") in heard  # "Montag, den 30. November"
    assert "SMS" in heard
    call.press("1")
    assert "Auf Wiederhören" in call.last.heard() and call.last.find("Hangup") is not None
    with transaction(sessions_of) as session:
        # A notice that follows the group's window (not a message fixed to today's opening date).
        [notice] = session.scalars(select(OpeningNotice)).all()
        assert (notice.channel, notice.phone, notice.status, notice.date_of_birth) == ("sms", MOBILE, "waiting", born)
        assert session.scalars(select(Notification)).all() == []
        assert session.scalars(select(Booking)).all() == []


def test_not_eligible_yet_on_a_landline_offers_a_callback_not_an_sms(client, ivr_world, sessions_of):

    from shared_db.models import CallbackRequest
    from tests.ivr.support import today

    born = today().replace(year=today().year - 72)
    call = new_call(client, from_number=LANDLINE_BIELEFELD)
    call.dial(), call.press("1"), call.press("1"), call.press(born.strftime("%d%m%Y")), call.press("1")
    call.silence()  # no invitation code
    heard = call.last.heard()
    assert "noch nicht buchen" in heard and "SMS" not in heard
    call.press("2")
    with transaction(sessions_of) as session:
        assert session.scalars(select(CallbackRequest)).all() == []  # called back when the group opens
        [notice] = session.scalars(select(OpeningNotice)).all()
        assert (notice.channel, notice.phone, notice.status) == ("callback", LANDLINE_BIELEFELD, "waiting")
        assert notice.date_of_birth == born


def test_eighty_year_old_is_not_asked_questions_the_birth_date_decides(client, ivr_world):
    call = new_call(client)
    call.dial(), call.press("1"), call.press("1"), call.press("03031938"), call.press("1")
    assert "Pflegeheim" not in call.last.heard()
    assert "Postleitzahl" in call.last.heard()


def test_hang_up_while_an_offer_is_held_releases_it_at_once(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    first_id = ivr_world["pairs"]["home"][0][0]
    assert _slot(sessions_of, first_id).phone_taken == 1  # held while the caller decides
    call.hang_up()
    [held] = bookings(sessions_of)
    assert held.status in ("cancelled", "expired")
    assert _slot(sessions_of, first_id).phone_taken == 0
    assert _slot(sessions_of, ivr_world["pairs"]["home"][0][1]).phone_taken == 0
    call.hang_up()  # Twilio may post the status twice
    with transaction(sessions_of) as session:
        assert ledger_problems(session) == []
        state = session.get(CallSession, call.call_sid)
        assert state.ended_at is not None and state.end_status == "completed"
        assert "dob" not in state.data and state.last_response is None  # nothing personal kept


def test_next_slot_releases_the_first_hold_and_holds_the_next(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    call.press("2")
    assert "Der nächste freie Termin" in call.last.heard()
    first, second = ivr_world["pairs"]["home"][0][0], ivr_world["pairs"]["home"][1][0]
    assert _slot(sessions_of, first).phone_taken == 0 and _slot(sessions_of, second).phone_taken == 1


def test_twilio_retry_of_the_confirming_step_books_once(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    call.press("1")
    call.say("Erna Schmidt")
    action = call._action()
    first = call.request(action, Digits="1")
    again = call.request(action, Digits="1")  # Twilio retries a slow webhook with the same request
    assert first.heard() == again.heard() and "Ihr Termin ist gebucht" in first.heard()
    confirmed = [x for x in bookings(sessions_of) if x.status == "confirmed"]
    assert len(confirmed) == 1
    assert _slot(sessions_of, ivr_world["pairs"]["home"][0][0]).phone_taken == 1


def test_concurrent_double_post_of_the_confirming_step_books_once(app, ivr_world, sessions_of):
    """Two copies of the same request at once, on separate connections: the call's row lock orders them."""
    from concurrent.futures import ThreadPoolExecutor

    call = new_call(app.test_client())
    to_offer(call)
    call.press("1")
    call.say("Erna Schmidt")
    action = call._action()

    def confirm(_):
        return new_call(app.test_client(), call_sid=call.call_sid).request(action, Digits="1").heard()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(confirm, range(4)))
    assert len(set(answers)) == 1 and "Ihr Termin ist gebucht" in answers[0]
    assert len([x for x in bookings(sessions_of) if x.status == "confirmed"]) == 1
    with transaction(sessions_of) as session:
        assert ledger_problems(session) == []


def test_a_relative_books_for_a_second_person_in_the_same_call(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    take_offer(call)
    call.press("2")  # another person
    assert "Geburtsdatum" in call.last.heard()
    call.press("05051935"), call.press("1"), call.press("33602")
    take_offer(call, "Karl Schmidt")
    assert "Ihr Termin ist gebucht" in call.last.heard()
    people = sorted(x.person.name for x in bookings(sessions_of) if x.status == "confirmed")
    assert people == ["Erna Schmidt", "Karl Schmidt"]


def test_the_same_person_twice_hears_that_they_already_have_an_appointment(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    take_offer(call)
    call.press("2"), call.press("03031938"), call.press("1"), call.press("33602")
    take_offer(call)
    assert "bereits einen Termin" in call.last.heard()
    assert len([x for x in bookings(sessions_of) if x.status == "confirmed"]) == 1
    with transaction(sessions_of) as session:
        assert ledger_problems(session) == []  # the second hold was given back


def test_a_hold_that_lapsed_while_the_caller_spoke_is_given_back_and_a_new_offer_made(
        app, client, ivr_world, sessions_of):
    # Every hold lapses at once: the slow caller's case.
    app.config["POLICY"] = replace(app.config["POLICY"], hold_seconds=0)
    call = new_call(client)
    to_offer(call)
    take_offer(call)
    heard = call.last.heard()
    assert "Reservierung ist leider abgelaufen" in heard and "Der nächste freie Termin" in heard
    assert not [x for x in bookings(sessions_of) if x.status == "confirmed"]
    with transaction(sessions_of) as session:
        from shared_db import ledger as booking

        booking.release_expired_holds(session)
        assert ledger_problems(session) == []


def test_the_spoken_name_is_recorded_for_agents_and_the_recording_stopped(client, ivr_world, sessions_of):
    call = new_call(client)
    to_offer(call)
    answer = call.press("1")
    start = answer.find("Start/Recording")
    assert start is not None and start.get("track") == "inbound"
    assert start.get("recordingStatusCallback") == "/ivr/recording"
    answer = call.say("Erna Schmidt")
    assert answer.find("Stop/Recording").get("name") == start.get("name")
    call.press("1")
    call.request("/ivr/recording", RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1",
                 RecordingStatus="completed", RecordingSid="RE1")
    [done] = bookings(sessions_of)
    assert done.person.name_recording_url.endswith("/Recordings/RE1")


def test_a_whole_booking_in_english_and_in_turkish(client, ivr_world, sessions_of):
    english = new_call(client)
    english.dial(), english.press("2")
    assert "Main menu" in english.last.heard()
    english.press("1"), english.press("03031938")
    assert "You entered 3 March 1938" in english.last.heard()
    english.press("1"), english.press("33602")
    assert "The next free appointment" in english.last.heard()
    take_offer(english, "Erna Schmidt")
    assert "Your appointment is booked" in english.last.heard()
    turkish = new_call(client, from_number="+4915199999999")
    turkish.dial(), turkish.press("3"), turkish.press("1"), turkish.press("05051935")
    assert "5 Mayıs 1935" in turkish.last.heard()
    turkish.press("1"), turkish.press("33602")
    take_offer(turkish, "Ayşe Yılmaz")
    assert "Randevunuz alındı" in turkish.last.heard()
    people = {x.person.name: x.person.language for x in bookings(sessions_of) if x.status == "confirmed"}
    assert people == {"Erna Schmidt": "en", "Ayşe Yılmaz": "tr"}


def test_callers_racing_for_the_last_phone_places_never_overbook(app, sessions_of):
    """Six callers reach the offer at the same moment for a slot with two phone places."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.ivr.support import build_ivr_world

    with transaction(sessions_of) as session:
        ivr_world = build_ivr_world(session, home_phone=2, neighbour_phone=0, days=(3,))
    callers = [new_call(app.test_client(), from_number=f"+491511234567{i}") for i in range(6)]
    for call in callers:
        call.dial(), call.press("1"), call.press("1"), call.press("03031938"), call.press("1")

    with ThreadPoolExecutor(6) as pool:
        heard = list(pool.map(lambda call: call.press("33602").heard(), callers))
    offered = [h for h in heard if "Der nächste freie Termin" in h]
    assert len(offered) == 2 and all("Telefontermine vergeben" in h for h in heard if h not in offered)
    with transaction(sessions_of) as session:
        first = session.get(Slot, ivr_world["pairs"]["home"][0][0])
        assert first.phone_taken == first.phone_capacity == 2
        assert ledger_problems(session) == []


def test_the_per_number_limit_of_the_ledger_applies_to_relatives(app, client, ivr_world, sessions_of):
    app.config["POLICY"] = replace(app.config["POLICY"], caller_limit=1)
    call = new_call(client)
    to_offer(call)
    take_offer(call)
    call.press("2"), call.press("05051935"), call.press("1"), call.press("33602")
    take_offer(call, "Karl Schmidt")
    assert "Sicherheitsgründen" in call.last.heard()
    assert [x.person.name for x in bookings(sessions_of) if x.status == "confirmed"] == ["Erna Schmidt"]
    with transaction(sessions_of) as session:
        assert ledger_problems(session) == []  # Karl's hold was given back
