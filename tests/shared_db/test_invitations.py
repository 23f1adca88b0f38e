"""Invitation lists: CSV import checked whole, personal codes, one booking per invitation, released on cancel."""
from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from shared_db.errors import InvitationInvalid, InvitationNotYours, InvitationUsed, LedgerError
from shared_db.ledger import changes
from shared_db.ledger.slot_import import ImportRejected
from shared_db.models import AuditEntry, Booking, Invitation
from shared_db.people.invitations import (
    facts_for,
    import_list,
    invitation_for,
    is_valid_invitation_code,
    list_states,
    new_invitation_code,
    read_list,
)
from shared_db.session import make_engine, make_sessionmaker
from tests import builders as b

TODAY = date(2021, 3, 1)
LIST = """institution,name,date_of_birth,group,mobile,email
Pflegeheim Sonnenhof,Maria Pflegerin,17.05.1980,1,0151 1234 5678,
Pflegeheim Sonnenhof,Hans Hausmeister,1975-02-03,1,,hans@example.org
Pflegeheim Sonnenhof,Gerda Gärtner,1969-11-30,1,,
"""


def imported(session, text: str = LIST):
    b.vaccine(session)  # reference data: the priority groups
    return import_list(session, read_list(io.StringIO(text), (1, 2, 3, 4), TODAY), "agent:1")


def test_codes_are_eight_keypad_digits_whose_check_digit_catches_typing_mistakes():
    code = new_invitation_code()
    assert len(code) == 8 and code.isdigit() and code[0] != "0" and is_valid_invitation_code(code)
    for i in range(8):
        wrong = code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1:]
        assert not is_valid_invitation_code(wrong)
    for i in range(7):
        if code[i] != code[i + 1]:
            assert not is_valid_invitation_code(code[:i] + code[i + 1] + code[i] + code[i + 2:])


def test_one_bad_row_rejects_the_whole_file_naming_each_bad_line(sessions):
    bad = LIST + "Pflegeheim Sonnenhof,X,31.02.1950,1,,\nPflegeheim Sonnenhof,Ute Ohne,1950-01-01,9,,\n" \
                 "Pflegeheim Sonnenhof,Ina Fest,1950-01-01,1,0521 123456,\nPflegeheim Sonnenhof,Maria Pflegerin," \
                 "1980-05-17,1,,\n"
    with sessions.begin() as s:
        with pytest.raises(ImportRejected) as rejected:
            imported(s, bad)
        assert s.scalar(select(func.count()).select_from(Invitation)) == 0
    lines = dict(rejected.value.errors)
    assert sorted(lines) == [5, 6, 7, 8]
    assert lines[6].startswith("group") and "mobile" in lines[7] and "line 2" in lines[8]


def test_a_file_without_the_needed_columns_is_rejected_at_line_1(sessions):
    with sessions.begin() as s, pytest.raises(ImportRejected) as rejected:
        imported(s, "institution,name\nHeim,Anna Alt\n")
    assert rejected.value.errors == [(1, "missing columns: date_of_birth, group")]


def test_importing_the_same_list_again_changes_nothing(sessions):
    with sessions.begin() as s:
        first = imported(s)
        codes = dict(s.execute(select(Invitation.name, Invitation.code)).all())
    with sessions.begin() as s:
        again = imported(s)
        assert dict(s.execute(select(Invitation.name, Invitation.code)).all()) == codes
    assert (first.added, again.added, again.updated, again.unchanged) == (3, 0, 0, 3)
    with sessions.begin() as s:
        [state] = list_states(s)
        assert (state.listed, state.sent, state.used, state.letters_due) == (3, 0, 0, 1)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "imported")) == 2


def test_a_code_admits_only_its_own_person(sessions):
    with sessions.begin() as s:
        imported(s)
        code = s.scalar(select(Invitation.code).where(Invitation.name == "Maria Pflegerin"))
        facts, found = facts_for(s, date_of_birth=date(1980, 5, 17), code=code)
        assert found.name == "Maria Pflegerin" and facts.invited_groups == frozenset({1}) and facts.invitation
        assert invitation_for(s, date_of_birth=date(1980, 5, 17), name="pflegerin, maria").code == code
        with pytest.raises(InvitationNotYours):
            invitation_for(s, date_of_birth=date(1980, 5, 18), code=code)
        with pytest.raises(InvitationNotYours):
            invitation_for(s, date_of_birth=date(1980, 5, 17), code=code, name="Kevin Weitergeleitet")
        with pytest.raises(InvitationInvalid):
            invitation_for(s, date_of_birth=date(1980, 5, 17), code=code[::-1])


def book_with(sessions, invitation_id: int, name: str, first: int, second: int) -> Booking:
    with sessions.begin() as s:
        held = changes.hold_offer(s, first_slot_id=first, second_slot_id=second, channel="phone", actor="t",
                                  now=b.NOW)
        return changes.confirm_hold(s, held.id, details=b.details(name=name, dob=date(1980, 5, 17), phone=None),
                                    actor="t", now=b.NOW, verification="verified", invitation_id=invitation_id)


def test_the_booking_uses_the_invitation_and_its_cancellation_gives_it_back(sessions):
    with sessions.begin() as s:
        imported(s)
        invitation_id = s.scalar(select(Invitation.id).where(Invitation.name == "Maria Pflegerin"))
        first, second = b.pair(s, b.centre(s), b.vaccine(s), b.NOW.date().replace(day=10))
        pair = first.id, second.id
    booked = book_with(sessions, invitation_id, "Maria Pflegerin", *pair)
    with pytest.raises(InvitationUsed):
        book_with(sessions, invitation_id, "Kevin Weitergeleitet", *pair)
    with sessions.begin() as s:
        assert s.get(Invitation, invitation_id).booking_id == booked.id
        with pytest.raises(InvitationUsed):
            invitation_for(s, date_of_birth=date(1980, 5, 17), name="Maria Pflegerin")
        changes.cancel_booking(s, booked.id, actor="t", reason="test", now=b.NOW)
    with sessions.begin() as s:
        assert s.get(Invitation, invitation_id).booking_id is None
    assert book_with(sessions, invitation_id, "Maria Pflegerin", *pair).status == "confirmed"


def _confirm(racing, start: threading.Barrier, hold_id: int, name: str, invitation_id: int) -> str:
    """One of the racing confirms: wait for the other, then confirm with the shared code."""
    start.wait()
    try:
        with racing.begin() as s:
            changes.confirm_hold(s, hold_id, details=b.details(name=name, dob=date(1980, 5, 17), phone=None),
                                 actor="race", now=b.NOW, invitation_id=invitation_id)
        return "booked"
    except LedgerError as exc:
        return exc.code


@pytest.mark.postgres
def test_two_confirms_racing_with_one_code_one_wins(pg_url, pg_sessions):
    """Real connections: both holds exist, both confirms start together; the conditional UPDATE lets one through."""
    engine = make_engine(pg_url, pool_size=4)
    racing = make_sessionmaker(engine)
    with pg_sessions.begin() as s:
        imported(s)
        v, c = b.vaccine(s), b.centre(s)
        pairs = [b.pair(s, c, v, b.NOW.date().replace(day=10 + i)) for i in range(2)]
        ids = [(f.id, sec.id) for f, sec in pairs]
        invitation_id = s.scalar(select(Invitation.id).where(Invitation.name == "Maria Pflegerin"))
    outcomes = []
    for round_ in range(10):
        holds = []
        for first, second in ids:
            with racing.begin() as s:
                holds.append(changes.hold_offer(s, first_slot_id=first, second_slot_id=second, channel="phone",
                                                actor="race", now=b.NOW).id)
        start = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            outcomes.append(sorted(pool.map(lambda i, h=holds, r=round_, go=start: _confirm(
                racing, go, h[i], f"Person {r} {i}", invitation_id), range(2))))
        with pg_sessions.begin() as s:
            winner = s.get(Invitation, invitation_id).booking_id
            assert s.get(Booking, winner).status == "confirmed"
            for held in holds:
                changes.release_hold(s, held, actor="race", reason="next round")
            changes.cancel_booking(s, winner, actor="race", reason="next round", now=b.NOW)
    engine.dispose()
    assert outcomes == [["booked", "invitation_used"]] * 10
