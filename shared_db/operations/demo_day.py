"""A lived-in working day for `hotline demo`: the console starts busy instead of empty.

Yesterday's and today's bookings (by phone, online and by agents, with their
confirmation messages, a few undelivered), callers in the IVR and in the agent
queue, the day's answered and abandoned callers, due callbacks, open fill tasks
(cancellations in the next days) and one phantom series (four "people" booked
from one number within minutes). Deterministic: the same day looks the same.
All bookings go through the ledger, so `hotline check` stays consistent.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.ledger import bookings as ledger
from shared_db.ledger import changes
from shared_db.models import (
    Booking,
    CallbackRequest,
    CallSession,
    Notification,
    PersonNote,
    QueueEntry,
    Slot,
    User,
)
from shared_db.people import PersonDetails

PEOPLE = (
    # name, year of birth, own number (None: booked from a relative's landline), postcode, language
    ("Erna Schmidt", 1938, None, "33602", "de"),
    ("Heinrich Wolters", 1935, "+4915112340002", "33604", "de"),
    ("Gertrud Brinkmann", 1940, "+4915112340003", "48143", "de"),
    ("Ayşe Yılmaz", 1939, "+4915112340004", "33605", "tr"),
    ("Wilhelm Tiemann", 1937, None, "48145", "de"),
    ("Margarete Kötter", 1936, "+4915112340006", "33330", "de"),
    ("Mehmet Demir", 1940, "+4915112340007", "33607", "tr"),
    ("Ursula Hagedorn", 1939, "+4915112340008", "59320", "de"),
    ("Friedrich Pöppelmann", 1934, None, "48147", "de"),
    ("Hildegard Strothmann", 1938, "+4915112340010", "33332", "de"),
    ("Elisabeth Niehaus", 1937, "+4915112340011", "33609", "de"),
    ("Karl-Heinz Berens", 1940, "+4915112340012", "48149", "de"),
    ("Fatma Kaya", 1936, "+4915112340013", "33611", "tr"),
    ("Irmgard Wiemann", 1935, None, "59227", "de"),
    ("Josef Lüttmann", 1939, "+4915112340015", "48151", "de"),
    ("Anneliese Fortmeier", 1938, "+4915112340016", "33333", "de"),
    ("Helmut Austermann", 1937, "+4915112340017", "33613", "de"),
    ("Edith Oesterhelweg", 1936, "+4915112340018", "33334", "de"),
    ("Walter Hüsken", 1940, "+4915112340019", "48153", "de"),
    ("Lieselotte Vahle", 1934, None, "33615", "de"),
    ("Hasan Çelik", 1939, "+4915112340021", "33617", "tr"),
    ("Christa Höner", 1938, "+4915112340022", "59229", "de"),
    ("Gerhard Menke", 1937, "+4915112340023", "48155", "de"),
    ("Waltraud Pieper", 1940, "+4915112340024", "33335", "de"),
    ("Dieter Kleine", 1936, "+4915112340025", "33619", "de"),
    ("Ingeborg Sudbrock", 1935, "+4915112340026", "33378", "de"),
    ("Bernhard Schöning", 1939, "+4915112340027", "48157", "de"),
    ("Rosemarie Eickhoff", 1938, "+4915112340028", "33647", "de"),
)
YESTERDAY_COUNT = 10  # the first PEOPLE booked yesterday, the rest today
PHANTOMS = ("Max Muster", "Max Mustermann", "Maxi Muster", "M. Mustermann")
PHANTOM_NUMBER = "+4915199999999"
CHANNELS = ("phone", "phone", "online", "agent")  # most came by phone
UNDELIVERED = {3: "undelivered: 30006", 11: "undelivered: 30003"}  # a landline, a phone switched off
CANCELLED = (4, 12, 17)  # later cancelled: their places in the next days are open fill tasks


class BusyDay:
    """Seeds one working day around `now` into a database that has demo centres, slots and users."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.s, self.now, self.rnd = session, now, random.Random(20210406)
        self.today = clock.today(now)
        self.agent_id = session.scalar(select(User.id).where(User.username == "agent"))
        self.counts = {"bookings": 0, "queue": 0, "callbacks": 0, "fill_tasks": 0, "phantoms": 0}

    def seed(self) -> dict[str, int]:
        """Everything, in the order a day would have produced it."""
        self.centres = list(self.s.scalars(select(Slot.centre_id).distinct().order_by(Slot.centre_id)))
        for index, person in enumerate(PEOPLE):
            day = self.today - timedelta(days=1) if index < YESTERDAY_COUNT else self.today
            self._booking(index, person, self._moment(day, index))
        self._phantoms()
        self._cancellations()
        self._calls()
        self._callbacks()
        return self.counts

    def _moment(self, day: date, index: int) -> datetime:
        """A plausible booking time of a day (07:30-19:00), never later than a few minutes ago."""
        start = datetime.combine(day, time(7, 30), clock.zone())
        moment = start + timedelta(minutes=self.rnd.randrange(0, 11 * 60 + 30))
        latest = self.now - timedelta(minutes=5 + index)
        return min(moment, latest)

    def _pair(self, index: int, channel: str, at: datetime) -> tuple[int, int | None] | None:
        """A free pair for this channel at one of the centres, on one of the next six days, spread over the day."""
        from shared_db.ledger.pairing import find_offers

        day = self.today + timedelta(days=1 + index % 6)
        after = datetime.combine(day, time(8), clock.zone()) + timedelta(minutes=30 * (index * 7 % 19))
        centre = self.centres[index % len(self.centres)]
        offers = find_offers(self.s, centre_ids=[centre], channel=channel, now=at, after=after, limit=1)
        return offers[0].ids if offers else None

    def _booking(self, index: int, person, at: datetime) -> Booking | None:
        name, year, phone, postcode, language = person
        caller = phone or f"+49521{400000 + index:06d}"  # a relative's landline when there is no own number
        channel = CHANNELS[index % len(CHANNELS)]
        actor = {"phone": f"call:CA{uuid.UUID(int=index).hex}", "online": "api:1",
                 "agent": f"agent:{self.agent_id}"}[channel]
        details = PersonDetails(name=name, date_of_birth=date(year, 1 + index % 12, 1 + index % 28), postcode=postcode,
                                phone=phone, language=language, priority_group=1)
        pair = self._pair(index, channel, at)
        if pair is None:
            return None
        made = ledger.book(self.s, first_slot_id=pair[0], second_slot_id=pair[1], details=details, channel=channel,
                           actor=actor, caller_number=caller if channel == "phone" else None, now=at, caller_limit=50)
        self._message(made, caller, at, UNDELIVERED.get(index))
        if index == 1:
            self.s.add(PersonNote(person_id=made.person_id, author=f"agent:{self.agent_id}", created_at=at,
                                  body="Hört schlecht; bitte langsam und deutlich sprechen."))
        self.counts["bookings"] += 1
        return made

    def _message(self, booking: Booking, number: str, at: datetime, error: str | None) -> None:
        """The confirmation as the outbox left it: delivered, or not with Twilio's reason."""
        mobile = number.startswith("+4915") or number.startswith("+4916") or number.startswith("+4917")
        self.s.add(Notification(kind="confirmation", channel="sms" if mobile else "voice", to_number=number,
                                body=f"Ihr Impftermin ist gebucht. Buchungscode {booking.code}.",
                                booking_id=booking.id, person_id=booking.person_id, created_at=at, due_at=at,
                                attempts=1, sent_at=at + timedelta(seconds=4),
                                status="failed" if error else "delivered", last_error=error,
                                delivered_at=None if error else at + timedelta(seconds=9)))

    def _phantoms(self) -> None:
        """Four "people" from one number within minutes: the phantom page has something to clean up."""
        start = self.now - timedelta(minutes=50)
        for i, name in enumerate(PHANTOMS):
            details = PersonDetails(name=name, date_of_birth=date(1941, 1, 1 + i), postcode="33602",
                                    phone=PHANTOM_NUMBER, priority_group=1)
            at = start + timedelta(minutes=2 * i)
            pair = self._pair(40 + i, "phone", at)
            if pair is None:
                continue
            ledger.book(self.s, first_slot_id=pair[0], second_slot_id=pair[1], details=details, channel="phone",
                        actor=f"call:CA{uuid.UUID(int=900 + i).hex}", caller_number=PHANTOM_NUMBER,
                        now=at, caller_limit=50)
            self.counts["phantoms"] += 1

    def _cancellations(self) -> None:
        """Three people cancelled appointments in the next days: their places are open fill tasks."""
        soon = self.now + timedelta(days=3)
        cancellable = [b for b in self.s.scalars(select(Booking).where(Booking.status == "confirmed")
                                                   .order_by(Booking.id))
                       if b.first_slot.starts_at < soon and b.caller_number != PHANTOM_NUMBER]
        for booking in cancellable[:len(CANCELLED)]:
            changes.cancel_booking(self.s, booking.id, actor=f"agent:{self.agent_id}", now=self.now,
                                   reason="Person hat schon einen Termin beim Hausarzt", announce=False)
            self.counts["fill_tasks"] += 2 if booking.second_slot_id else 1

    def _calls(self) -> None:
        """The day's queue (answered, abandoned, short hang-ups), three callers waiting, two in the IVR."""
        start = datetime.combine(self.today, time(7, 0), clock.zone())
        minutes = max(1, int((self.now - start).total_seconds() // 60) - 10)
        for i in range(36):
            entered = start + timedelta(minutes=self.rnd.randrange(0, minutes))
            wait = self.rnd.choice((15, 25, 40, 55, 70, 95, 140, 210))
            outcome = "abandoned" if i % 9 == 4 else "answered"
            if i % 12 == 7:
                outcome, wait = "abandoned", 3  # hung up at once: a short abandon
            self.s.add(QueueEntry(call_sid=f"CA{uuid.UUID(int=1000 + i).hex}", from_number=f"+49521{500000 + i:06d}",
                                  enqueued_at=entered, left_at=entered + timedelta(seconds=wait), outcome=outcome,
                                  agent_id=self.agent_id if outcome == "answered" else None))
        for i, seconds in enumerate((170, 95, 40)):
            self.s.add(QueueEntry(call_sid=f"CA{uuid.UUID(int=2000 + i).hex}", from_number=f"+49521{600000 + i:06d}",
                                  language="tr" if i == 1 else "de", enqueued_at=self.now - timedelta(seconds=seconds)))
            self.counts["queue"] += 1
        for i, state in enumerate(("menu", "ask_birth_date")):
            self.s.add(CallSession(call_sid=f"CA{uuid.UUID(int=3000 + i).hex}", from_number=f"+49521{700000 + i:06d}",
                                   state=state, started_at=self.now - timedelta(seconds=60 * (i + 1)),
                                   updated_at=self.now))

    def _callbacks(self) -> None:
        """Callers who asked to be called back this morning and are due now."""
        for i, (minutes, reason) in enumerate(((140, "queue"), (95, "overload"), (30, "queue"))):
            self.s.add(CallbackRequest(phone=f"+49521{800000 + i:06d}", language="de", reason=reason,
                                       place_at=self.now - timedelta(minutes=minutes + 5),
                                       requested_at=self.now - timedelta(minutes=minutes)))
            self.counts["callbacks"] += 1
        self.s.flush()
