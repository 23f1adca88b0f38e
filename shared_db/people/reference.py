"""Reference data of spring 2021 (CONTEXT.md), written into the database as editable rows."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db.models import EligibilityRule, PriorityGroup, Vaccine

VACCINES = (
    # code, name, doses, interval min/max days, min age, max age
    ("BNT", "BioNTech/Pfizer (Comirnaty)", 2, 21, 42, 16, None),
    ("MOD", "Moderna (Spikevax)", 2, 28, 42, 18, None),
    ("AZ", "AstraZeneca (Vaxzevria)", 2, 63, 84, 60, None),
    ("JJ", "Johnson & Johnson", 1, None, None, 60, None),
)

GROUPS = (
    # number, name, rules (kind, min_age)
    (1, "Höchste Priorität: ab 80, Pflegeheime, medizinisches Personal mit sehr hohem Risiko",
     (("min_age", 80), ("care_home", None), ("occupation", None))),
    (2, "Hohe Priorität: ab 70, schwere Vorerkrankungen, enge Kontaktpersonen", (("min_age", 70), ("condition", None))),
    (3, "Erhöhte Priorität: ab 60, weitere Vorerkrankungen und Berufe", (("min_age", 60),)),
    (4, "Alle Übrigen", (("everyone", None),)),
)


def ensure_reference_data(session: Session) -> None:
    """Insert the vaccines and priority groups if they are missing; existing rows are left as edited."""
    existing = set(session.scalars(select(Vaccine.code)))
    for code, name, doses, lo, hi, min_age, max_age in VACCINES:
        if code not in existing:
            session.add(Vaccine(code=code, name=name, doses=doses, interval_min_days=lo,
                                interval_max_days=hi, min_age=min_age, max_age=max_age))
    numbers = set(session.scalars(select(PriorityGroup.number)))
    for number, name, rules in GROUPS:
        if number not in numbers:
            group = PriorityGroup(number=number, name=name)
            group.rules = [EligibilityRule(kind=kind, min_age=age) for kind, age in rules]
            session.add(group)
    session.flush()
