"""Handing out invitations: SMS or e-mail through the outbox, and letters for people with neither.

A person is sent their code once; sending again only reaches those not sent
yet (a new list entry, a corrected number). The letters are a CSV an
institution can print or merge, and exporting them counts as sending.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.messages import outbox
from shared_db.messages.texts import invitation_text
from shared_db.models import Invitation
from shared_db.types import utcnow

LETTER_COLUMNS = ("institution", "name", "date_of_birth", "code", "letter")


def _unsent(session: Session, institution: str):
    return session.scalars(select(Invitation).where(
        Invitation.facility == institution, Invitation.name_key.isnot(None), Invitation.sent_at.is_(None))
        .order_by(Invitation.id))


def send_invitations(session: Session, institution: str, hotline: str, actor: str,
                     now: datetime | None = None) -> dict[str, int]:
    """Queue an SMS (mobile) or else an e-mail for each listed person not yet sent; returns counts by channel."""
    now, counts = now or utcnow(), {"sms": 0, "email": 0, "letter_due": 0}
    for row in _unsent(session, institution):
        words = {"name": row.name or "", "institution": row.facility, "code": row.code, "hotline": hotline}
        if row.phone:
            outbox.add(session, kind="invitation", to_number=row.phone, body=invitation_text("sms", **words))
            row.sent_via, row.sent_at = "sms", now
        elif row.email:
            outbox.add(session, kind="invitation", to_number="", channel="email", to_email=row.email,
                       body=invitation_text("email", **words))
            row.sent_via, row.sent_at = "email", now
        else:
            counts["letter_due"] += 1
            continue
        counts[row.sent_via] += 1
    session.flush()
    audit.record(session, actor, "invitation_list", 0, "sent", None, {"institution": institution, **counts})
    return counts


def letters_csv(session: Session, institution: str, hotline: str, actor: str, now: datetime | None = None) -> str:
    """A CSV with one letter per listed person who has neither a mobile number nor an e-mail address."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LETTER_COLUMNS)
    count = 0
    for row in _unsent(session, institution):
        if row.phone or row.email:
            continue
        letter = invitation_text("letter", name=row.name or "", institution=row.facility, code=row.code,
                                 hotline=hotline)
        writer.writerow((row.facility, row.name, row.date_of_birth.strftime("%d.%m.%Y"), row.code, letter))
        row.sent_via, row.sent_at = "letter", now or utcnow()
        count += 1
    session.flush()
    audit.record(session, actor, "invitation_list", 0, "letters_exported", None,
                 {"institution": institution, "letters": count})
    return out.getvalue()
