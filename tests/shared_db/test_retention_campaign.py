"""A simulated campaign on both databases: every retention rule, on its last day kept and its first day deleted.

Day 0 is 1 April 2021. People register, book, are vaccinated, miss, cancel; calls,
callbacks, messages, invitations, API replays and free text pile up. The purge then
runs as on each boundary night (`purge(as_of=day)`), and each fact must be there on
its last day kept and gone on its first day deleted. At the end, nothing in any
personal column of the catalogue is left (staff accounts excepted).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import column, insert, select, table, update

from services import queueing
from shared_db import ledger
from shared_db.calls.callbacks import request_callback
from shared_db.ledger import changes
from shared_db.models import (
    ApiClient,
    AuditEntry,
    Booking,
    CallbackRequest,
    CallSession,
    FreedCapacity,
    IdempotencyRecord,
    Invitation,
    Notification,
    Person,
    PersonNote,
    PriorityGroup,
    QueueEntry,
)
from shared_db.operations.retention import purge, purge_moment
from shared_db.operations.retention_catalogue import PERSONAL
from shared_db.people import register
from shared_db.people.lookup import add_note
from tests import builders as b

D0 = date(2021, 4, 1)
NOW = b.NOW  # 1 April 2021, 10:00 in Berlin


def _day(n: int) -> date:
    return D0 + timedelta(days=n)


def _book(s, code: str, name: str, first_in: int) -> Booking:
    phone = f"+49151123456{first_in}{len(name)}"  # each their own number: the per-number limit is not tested here
    v, c = b.vaccine(s, code), b.centre(s, name=f"IZ {name}")
    first, second = b.pair(s, c, v, _day(first_in))
    return changes.book_now(s, first_slot_id=first.id, second_slot_id=second.id if second else None,
                            details=b.details(name=name, phone=phone), channel="agent", actor="agent:1", now=NOW,
                            caller_number=phone)


def _campaign(s) -> dict:
    """Write the campaign; returns the ids the facts look at."""
    ids = {"registered": register(s, b.details(name="Nur Registriert"), "phone", "t", now=NOW).id}
    done = _book(s, "JJ", "Anna Voll", 5)  # vaccinated on day 5
    changes.give_dose(s, done.id, dose="first", batch="JJ1", actor="centre:1", now=done.first_slot.starts_at)
    add_note(s, done.person_id, "hört schlecht, bitte laut sprechen", "agent:1")
    missed = _book(s, "BNT", "Bernd Fehlt", 3)  # no-show at the end of day 3
    changes.close_centre_days(s, missed.first_slot.centre_id, now=b.local(_day(3), 20, 0))
    cancelled = _book(s, "AZ", "Clara Storno", 2)  # cancelled on day 1; AZ's second dose would be in week 10
    changes.cancel_booking(s, cancelled.id, actor="agent:1", reason="Umzug nach Hamburg", now=b.local(_day(1)))
    both = _book(s, "BNT", "Dora Zweimal", 3)
    changes.give_dose(s, both.id, dose="first", batch="EX1", actor="centre:1", now=both.first_slot.starts_at)
    changes.give_dose(s, both.id, dose="second", batch="EX2", actor="centre:1", now=both.second_slot.starts_at)
    v, c = b.vaccine(s, "JJ"), b.centre(s, name="IZ Hold")
    lapsed = ledger.hold(s, first_slot_id=b.slot(s, c, v, b.local(_day(4))).id, second_slot_id=None,
                         channel="phone", actor="call:CA9", caller_number="+4952112345", now=NOW)
    ledger.release_expired_holds(s, NOW + timedelta(hours=1))
    ids.update(done=done.person_id, missed=missed.person_id, cancelled=cancelled.person_id, both=both.person_id,
               cancelled_booking=cancelled.id, lapsed=lapsed.id)
    _calls_and_lists(s, ids)
    # Rows the code stamps with the wall clock are moved to the simulated days they belong to.
    s.execute(update(Notification).values(created_at=NOW, due_at=NOW))
    s.execute(update(AuditEntry).values(at=NOW))
    # Written with Core: once an app test has imported the sender, every ORM-added message is handed to the
    # in-process sender after commit, which would send this 2021 notice now instead of on day 7.
    ids["group_open_sms"] = s.execute(insert(Notification).values(
        kind="group_open", channel="sms", to_number="+4915199999999", language="de", body="Ihre Gruppe ...",
        status="pending", due_at=b.local(_day(7), 8), attempts=0, created_at=NOW).returning(Notification.id)).scalar()
    return ids


def _calls_and_lists(s, ids: dict) -> None:
    s.add(CallSession(call_sid="CA1", from_number="+4952199999", state="main", data={"name": "Erna"},
                      started_at=NOW, updated_at=NOW))
    entry = QueueEntry(call_sid="CA1", from_number="+4952199999", enqueued_at=NOW)
    callback = request_callback(s, "+4952188888", "de", "request", place_at=NOW, now=NOW)
    group = request_callback(s, "+4952177777", "de", "group_open", place_at=NOW, not_before=b.local(_day(7), 8),
                             now=NOW)
    group_id = s.scalar(select(PriorityGroup.id).limit(1))
    invitation = Invitation(facility="Pflegeheim Sonnenhof", group_id=group_id, name_key="erika mustermann",
                            date_of_birth=date(1936, 8, 12), created_at=NOW)
    client = ApiClient(name="portal", key_prefix="p1", key_hash="x", created_at=NOW)
    s.add_all([entry, invitation, client])
    s.flush()
    s.add(IdempotencyRecord(client_id=client.id, key="k1", request_hash="h", status_code=200,
                            response_body='{"code": "123456789"}', created_at=NOW))
    task = s.scalar(select(FreedCapacity).order_by(FreedCapacity.id).limit(1))
    task.outcome, task.created_at = "Frau K. nicht erreicht", NOW
    s.add(AuditEntry(at=NOW, actor="agent:1", entity="queue_entry", entity_id=entry.id, action="call_outcome",
                     reason="Tochter ruft zurück"))
    s.flush()
    ids.update(queue_entry=entry.id, callback=callback.id, group_callback=group.id, invitation=invitation.id,
               task=task.id)


def _present(s, model, *where) -> bool:
    return s.scalar(select(model).where(*where).limit(1)) is not None


FACTS = [  # (what, first day deleted, still there?)
    ("registration without booking", 14, lambda s, i: _present(s, Person, Person.id == i["registered"])),
    ("vaccinated once (J&J), day 5", 35, lambda s, i: _present(s, Person, Person.id == i["done"])),
    ("their note", 35, lambda s, i: _present(s, PersonNote, PersonNote.person_id == i["done"])),
    ("no-show on day 3", 33, lambda s, i: _present(s, Person, Person.id == i["missed"])),
    ("cancelled on day 1 (not kept until week 10)", 31, lambda s, i: _present(s, Person, Person.id == i["cancelled"])),
    ("its reason on the booking", 31, lambda s, i: _present(s, Booking, Booking.id == i["cancelled_booking"],
                                                            Booking.cancel_reason.isnot(None))),
    ("its reason in the audit log", 31, lambda s, i: _present(s, AuditEntry, AuditEntry.entity == "booking",
                                                              AuditEntry.entity_id == i["cancelled_booking"],
                                                              AuditEntry.reason.isnot(None))),
    ("second dose on day 24", 54, lambda s, i: _present(s, Person, Person.id == i["both"])),
    ("lapsed hold's calling number", 14, lambda s, i: _present(s, Booking, Booking.id == i["lapsed"],
                                                               Booking.caller_number.isnot(None))),
    ("confirmation messages", 14, lambda s, i: _present(s, Notification, Notification.kind == "confirmation")),
    ("call state", 14, lambda s, i: _present(s, CallSession, CallSession.call_sid == "CA1")),
    ("queue's number", 14, lambda s, i: _present(s, QueueEntry, QueueEntry.id == i["queue_entry"],
                                                 QueueEntry.from_number.isnot(None))),
    ("callback", 14, lambda s, i: _present(s, CallbackRequest, CallbackRequest.id == i["callback"])),
    ("'group opens' callback due day 7", 21,
     lambda s, i: _present(s, CallbackRequest, CallbackRequest.id == i["group_callback"])),
    ("'group opens' SMS, sent day 7", 8,
     lambda s, i: _present(s, Notification, Notification.id == i["group_open_sms"])),
    ("named invitation", 90, lambda s, i: _present(s, Invitation, Invitation.id == i["invitation"])),
    ("API replay", 2, lambda s, i: _present(s, IdempotencyRecord)),
    ("fill-task note", 14, lambda s, i: _present(s, FreedCapacity, FreedCapacity.id == i["task"],
                                                 FreedCapacity.outcome.isnot(None))),
    ("call note in the audit log", 14, lambda s, i: _present(s, AuditEntry, AuditEntry.entity == "queue_entry",
                                                             AuditEntry.reason.isnot(None))),
]


def _settle_messages(sessions) -> None:
    """The campaign's messages as sent on day 0.

    Once an app test has imported the sender, every message a commit writes is handed to the in-process sender,
    which (on the test's fake clock) sends or retries it now and moves its due time: wait for it, then put
    the messages back on day 0, sent.
    """
    queueing.drain()
    with sessions.begin() as s:
        s.execute(update(Notification).where(Notification.kind != "group_open")
                  .values(status="sent", created_at=NOW, due_at=NOW, sent_at=NOW))


def _on_day(s, day: int, ids: dict) -> None:
    """What happens during a day, after the night's purge."""
    if day == 7:  # the 'group opens' SMS goes out in the morning
        s.execute(update(Notification).where(Notification.id == ids["group_open_sms"]).values(status="sent"))


def test_nothing_personal_outlives_its_period(sessions):
    with sessions.begin() as s:
        ids = _campaign(s)
    _settle_messages(sessions)
    days = sorted({d for _, first_gone, _ in FACTS for d in (first_gone - 1, first_gone)} | {7})
    for day in days:
        with sessions.begin() as s:
            purge(s, now=purge_moment(_day(day)), as_of=_day(day))
            for what, first_gone, present in FACTS:
                if day == first_gone - 1:
                    assert present(s, ids), f"{what}: gone on day {day}, its last day kept"
                if day >= first_gone:
                    assert not present(s, ids), f"{what}: still there on day {day}, the first day it must be gone"
            _on_day(s, day, ids)
    with sessions.begin() as s:
        purge(s, now=purge_moment(_day(200)), as_of=_day(200))
        left = _personal_values_left(s)
    assert left == [], f"personal values left after every period: {left}"


def _personal_values_left(s) -> list[str]:
    """Every personal column of the catalogue (staff accounts excepted) that still holds a value."""
    left = []
    for (table_name, column_name), rule in PERSONAL.items():
        if rule == "staff":
            continue
        col = column(column_name)
        value = s.scalar(select(col).select_from(table(table_name, col)).where(col.isnot(None)).limit(1))
        if value is not None:
            left.append(f"{table_name}.{column_name}")
    return left


def test_dry_run_as_of_a_later_day_tells_and_changes_nothing(sessions):
    with sessions.begin() as s:
        ids = _campaign(s)
    with sessions.begin() as s:
        report = purge(s, as_of=_day(35), dry_run=True)
        assert report.people == 4 and report.rules["person"] == 4
    with sessions.begin() as s:
        assert _present(s, Person, Person.id == ids["done"])
