"""load_rules reads every field of the rules' rows: what the console saves is what eligibility decides on."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared_db.models import CampaignWindow, PriorityGroup, Vaccine, VaccineAgeBand
from shared_db.people.eligibility import AgeBand, Window, load_rules
from tests import builders as b


def test_every_field_is_read_and_cancelled_windows_are_left_out(sessions):
    with sessions.begin() as s:
        b.vaccine(s)
        groups = dict(s.execute(select(PriorityGroup.number, PriorityGroup.id)).all())
        vaccines = dict(s.execute(select(Vaccine.code, Vaccine.id)).all())
        centre = b.centre(s)
        s.add(CampaignWindow(group_id=groups[2], opens_on=date(2021, 4, 6), closes_on=date(2021, 4, 30),
                             centre_id=centre.id, vaccine_id=vaccines["AZ"], channels="phone, agent",
                             requires_invitation=True, min_age=79, self_declared=True))
        s.add(CampaignWindow(group_id=groups[3], opens_on=date(2021, 5, 3), channels="online",
                             cancelled_at=b.NOW))
        s.add(VaccineAgeBand(vaccine_id=vaccines["AZ"], min_age=60, max_age=99, valid_from=date(2021, 3, 31),
                             valid_until=date(2021, 5, 6)))
        s.flush()
        rules = load_rules(s)
        assert rules.windows == (Window(2, date(2021, 4, 6), date(2021, 4, 30), centre.id, "AZ",
                                        frozenset({"phone", "agent"}), True, 79, True),)
        assert rules.bands == (AgeBand("AZ", 60, 99, date(2021, 3, 31), date(2021, 5, 6)),)
        az = next(v for v in rules.vaccines if v.code == "AZ")
        assert (az.min_age, az.max_age) == (60, None)
        s.execute(VaccineAgeBand.__table__.update().values(min_age=None))
        s.get(Vaccine, vaccines["AZ"]).max_age = 64
        s.flush()
        rules = load_rules(s)
        assert next(v for v in rules.vaccines if v.code == "AZ").max_age == 64
        assert rules.bands[0].min_age is None
        assert {(r.group, r.kind, r.min_age) for r in rules.rules} >= {(1, "min_age", 80), (2, "condition", None)}
