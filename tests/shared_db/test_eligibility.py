"""Eligibility is a pure function of facts, rules and today's date."""
from datetime import date, timedelta

from shared_db.people.eligibility import (
    AgeBand,
    Facts,
    Rule,
    RuleSet,
    VaccineRule,
    Window,
    age_on,
    assess,
)

TODAY = date(2021, 4, 6)
RULES = RuleSet(
    rules=(Rule(1, "min_age", 80), Rule(1, "care_home"), Rule(1, "occupation"),
           Rule(2, "min_age", 70), Rule(2, "condition"), Rule(3, "min_age", 60), Rule(4, "everyone")),
    windows=(Window(1, date(2021, 1, 18)), Window(2, date(2021, 4, 6), channels=frozenset({"online", "agent"})),
             Window(3, date(2021, 5, 3))),
    vaccines=(VaccineRule("BNT", 16), VaccineRule("AZ", 60), VaccineRule("JJ", 60)),
)


def test_age_counts_completed_years():
    assert age_on(date(1941, 4, 6), TODAY) == 80
    assert age_on(date(1941, 4, 7), TODAY) == 79
    assert age_on(date(1940, 2, 29), date(2021, 2, 28)) == 80


def test_over_80_is_eligible_without_questions():
    result = assess(Facts(date(1935, 1, 1)), RULES, TODAY, "phone")
    assert result.eligible and result.group == 1 and result.questions == ()
    assert result.vaccines == ("AZ", "BNT", "JJ")


def test_a_claim_admits_nobody_where_the_window_does_not_accept_self_declaration():
    """The finding: a 41-year-old pressing 1 for 'care home' was booked into group 1."""
    young = assess(Facts(date(1985, 6, 15)), RULES, TODAY, "phone")
    assert not young.eligible and young.questions == ("invitation",)  # only a code of their own could admit
    claimed = assess(Facts(date(1985, 6, 15), care_home=True, occupation=True, invitation=False), RULES, TODAY,
                     "phone")
    assert not claimed.eligible and claimed.reason == "not_eligible" and claimed.opens_on is None


def test_where_self_declaration_is_allowed_a_claim_books_only_to_be_verified():
    rules = RuleSet(RULES.rules, (Window(1, date(2021, 1, 18), self_declared=True),) + RULES.windows[1:],
                    RULES.vaccines)
    young = assess(Facts(date(1990, 1, 1)), rules, TODAY, "phone")
    assert not young.eligible and young.questions == ("care_home", "occupation", "invitation")
    answered = assess(Facts(date(1990, 1, 1), care_home=False, occupation=True), rules, TODAY, "phone")
    assert answered.eligible and answered.group == 1 and answered.vaccines == ("BNT",)
    assert answered.verification == "to_verify"
    assert assess(Facts(date(1935, 1, 1)), rules, TODAY, "phone").verification == "verified"


def test_a_claim_never_outranks_proof():
    """Over 60 (shown by the birth date, group 3, open) and claiming a care home (group 1): booked as group 3."""
    rules = RuleSet(RULES.rules, (Window(1, date(2021, 1, 18), self_declared=True), Window(3, date(2021, 4, 1))),
                    RULES.vaccines)
    result = assess(Facts(date(1958, 1, 1), care_home=True), rules, TODAY, "phone")
    assert result.eligible and result.group == 3 and result.verification == "verified"


def test_not_yet_tells_when_the_group_opens():
    result = assess(Facts(date(1958, 1, 1), care_home=False, occupation=False, invitation=False), RULES, TODAY,
                    "phone")
    assert not result.eligible and result.reason == "not_yet" and result.opens_on == date(2021, 5, 3)


def test_channel_restriction_of_a_window():
    facts = Facts(date(1948, 1, 1), care_home=False, occupation=False, invitation=False)
    assert assess(facts, RULES, TODAY, "online").eligible
    assert not assess(facts, RULES, TODAY, "phone").eligible


def test_invitation_only_window_asks_for_an_invitation():
    rules = RuleSet(rules=(Rule(1, "invitation"), Rule(1, "occupation")),
                    windows=(Window(1, date(2021, 3, 1), requires_invitation=True),),
                    vaccines=(VaccineRule("BNT", 16),))
    asked = assess(Facts(date(1980, 5, 5), occupation=True), rules, TODAY, "online")
    assert not asked.eligible and asked.questions == ("invitation",)
    invited = assess(Facts(date(1980, 5, 5), invitation=True), rules, TODAY, "online")
    assert invited.eligible and invited.verification == "verified"
    refused = assess(Facts(date(1980, 5, 5), occupation=True, invitation=False), rules, TODAY, "online")
    assert not refused.eligible and refused.reason == "not_eligible"


def test_a_list_entry_shows_the_group_it_names():
    rules = RuleSet(rules=(Rule(1, "min_age", 80), Rule(3, "min_age", 60)),
                    windows=(Window(1, date(2021, 1, 18)),), vaccines=(VaccineRule("BNT", 16),))
    assert not assess(Facts(date(1980, 5, 5), invitation=False), rules, TODAY, "online").eligible
    listed = assess(Facts(date(1980, 5, 5), invitation=True, invited_groups=frozenset({1})), rules, TODAY, "online")
    assert listed.eligible and listed.group == 1 and listed.verification == "verified"


def test_vaccine_age_rules_are_data():
    rules = RuleSet(rules=(Rule(1, "everyone"),), windows=(Window(1, date(2021, 1, 1)),),
                    vaccines=(VaccineRule("AZ", None, 64), VaccineRule("BNT", 65)))
    assert assess(Facts(date(1960, 1, 1)), rules, TODAY, "phone").vaccines == ("AZ",)
    assert assess(Facts(date(1950, 1, 1)), rules, TODAY, "phone").vaccines == ("BNT",)


def test_closed_window_and_centre_specific_window():
    rules = RuleSet(rules=(Rule(1, "everyone"),),
                    windows=(Window(1, date(2021, 1, 1), closes_on=date(2021, 3, 31)),
                             Window(1, date(2021, 4, 1), centre_id=7)),
                    vaccines=(VaccineRule("BNT"),))
    assert assess(Facts(date(1950, 1, 1)), rules, TODAY, "phone").centre_ids == frozenset({7})
    assert not assess(Facts(date(1950, 1, 1)), rules, TODAY, "phone", centre_id=8).eligible


# --------------------------------------------------------------------------- every boundary, first and last day

AGE_RULES = RuleSet(rules=(Rule(1, "min_age", 80),), windows=(Window(1, date(2021, 1, 18)),),
                    vaccines=(VaccineRule("BNT", 16),))


def test_an_80th_birthday_today_admits_today_and_not_the_day_before():
    born = date(1941, 4, 6)
    assert assess(Facts(born), AGE_RULES, date(2021, 4, 6), "phone").eligible
    assert not assess(Facts(born), AGE_RULES, date(2021, 4, 5), "phone").eligible


def test_a_window_admits_on_its_first_and_its_last_day_only():
    rules = RuleSet(rules=(Rule(2, "everyone"),),
                    windows=(Window(2, date(2021, 4, 6), closes_on=date(2021, 4, 30)),),
                    vaccines=(VaccineRule("BNT", 16),))
    facts = Facts(date(1950, 1, 1))
    assert not assess(facts, rules, date(2021, 4, 5), "phone").eligible
    assert assess(facts, rules, date(2021, 4, 5), "phone").opens_on == date(2021, 4, 6)
    assert assess(facts, rules, date(2021, 4, 6), "phone").eligible
    assert assess(facts, rules, date(2021, 4, 30), "phone").eligible
    assert not assess(facts, rules, date(2021, 5, 1), "phone").eligible


def test_a_window_for_an_age_within_a_group_admits_from_that_birthday():
    rules = RuleSet(rules=(Rule(2, "min_age", 70),), windows=(Window(2, date(2021, 4, 6), min_age=79),),
                    vaccines=(VaccineRule("BNT", 16),))
    assert assess(Facts(date(1942, 4, 6)), rules, TODAY, "phone").eligible
    assert not assess(Facts(date(1942, 4, 7)), rules, TODAY, "phone").eligible


def _banded(band: AgeBand) -> RuleSet:
    return RuleSet(rules=(Rule(1, "everyone"),), windows=(Window(1, date(2021, 1, 1)),),
                   vaccines=(VaccineRule("AZ", 18), VaccineRule("BNT", 16)), bands=(band,))


def test_a_vaccine_band_admits_its_first_and_its_last_year_of_life():
    rules = _banded(AgeBand("AZ", 60, 69, date(2021, 3, 31)))
    for age, expected in ((59, False), (60, True), (69, True), (70, False)):
        born = date(TODAY.year - age, TODAY.month, TODAY.day)
        assert ("AZ" in assess(Facts(born), rules, TODAY, "phone").vaccines) is expected, age
        assert "BNT" in assess(Facts(born), rules, TODAY, "phone").vaccines  # no bands: its own ages


def test_a_vaccine_band_holds_from_its_first_to_its_last_day():
    rules = _banded(AgeBand("AZ", 60, None, date(2021, 3, 31), date(2021, 5, 6)))
    born = date(1950, 1, 1)
    for day, expected in ((date(2021, 3, 30), False), (date(2021, 3, 31), True), (date(2021, 5, 6), True),
                          (date(2021, 5, 7), False)):
        assert ("AZ" in assess(Facts(born), rules, day, "phone").vaccines) is expected, day


def test_under_65_astrazeneca_over_65_biontech_as_in_siegen():
    rules = RuleSet(rules=(Rule(1, "everyone"),), windows=(Window(1, date(2021, 1, 1)),),
                    vaccines=(VaccineRule("AZ"), VaccineRule("BNT")),
                    bands=(AgeBand("AZ", 18, 64, date(2021, 2, 1)), AgeBand("BNT", 65, None, date(2021, 2, 1))))
    day = date(2021, 3, 1)
    assert assess(Facts(date(1956, 3, 2)), rules, day, "phone").vaccines == ("AZ",)  # 64 until tomorrow
    assert assess(Facts(date(1956, 3, 1)), rules, day, "phone").vaccines == ("BNT",)  # 65 today
    assert assess(Facts(date(1956, 3, 1)), rules, day - timedelta(days=1), "phone").vaccines == ("AZ",)


# ---------------------------------------------------------------- what mutation testing asked for (docs/MUTATION.md)

FUTURE = date(2021, 5, 3)
ONE = (VaccineRule("BNT", 16),)


def test_an_open_window_without_a_vaccine_for_the_age_admits_nobody_and_names_no_day():
    rules = RuleSet((Rule(1, "everyone"),), (Window(1, TODAY),), (VaccineRule("AZ", 60),))
    result = assess(Facts(date(1990, 1, 1), invitation=False), rules, TODAY, "phone")
    assert result.eligible is False and result.reason == "not_eligible" and result.opens_on is None


def test_an_age_rule_of_zero_admits_a_baby():
    rules = RuleSet((Rule(1, "min_age", 0),), (Window(1, TODAY),), (VaccineRule("BNT"),))
    assert assess(Facts(TODAY - timedelta(days=100)), rules, TODAY, "phone").reason == "eligible"


def test_one_window_for_every_centre_means_every_centre():
    rules = RuleSet((Rule(1, "everyone"),), (Window(1, TODAY, centre_id=7), Window(1, TODAY)), ONE)
    assert assess(Facts(date(1950, 1, 1)), rules, TODAY, "phone").centre_ids is None


def test_a_window_naming_a_vaccine_offers_only_that_one_and_only_if_the_age_allows_it():
    rules = RuleSet((Rule(1, "everyone"),), (Window(1, TODAY, vaccine="BNT"),),
                    (VaccineRule("AZ", 18), VaccineRule("BNT", 16)))
    assert assess(Facts(date(1950, 1, 1)), rules, TODAY, "phone").vaccines == ("BNT",)
    only_az = RuleSet(rules.rules, (Window(1, TODAY, vaccine="MOD"),), rules.vaccines)
    assert assess(Facts(date(1950, 1, 1), invitation=False), only_az, TODAY, "phone").eligible is False


def test_not_yet_names_the_group_and_questions_say_so():
    result = assess(Facts(date(1958, 1, 1), invitation=False), RULES, TODAY, "phone")
    assert result.eligible is False and result.group == 3
    asked = assess(Facts(date(1958, 1, 1)), RULES, TODAY, "phone")
    assert asked.reason == "questions" and asked.opens_on == date(2021, 5, 3) and asked.group == 3


def test_the_next_opening_of_windows_that_need_an_invitation():
    listed_later = RuleSet((Rule(1, "min_age", 80),), (Window(1, FUTURE, requires_invitation=True),), ONE)
    assert assess(Facts(date(1935, 1, 1)), listed_later, TODAY, "phone").opens_on == FUTURE
    young = Facts(date(1980, 1, 1))
    assert assess(young, listed_later, TODAY, "phone").opens_on is None
    other_list = Facts(date(1980, 1, 1), invitation=True, invited_groups=frozenset({3}))
    assert assess(other_list, listed_later, TODAY, "phone").opens_on is None
    invited = Facts(date(1980, 1, 1), invitation=True, invited_groups=frozenset({1}))
    assert assess(invited, listed_later, TODAY, "phone").opens_on == FUTURE


def test_the_next_opening_of_a_window_that_accepts_claims():
    claims_later = RuleSet((Rule(1, "care_home"),), (Window(1, FUTURE, self_declared=True),), ONE)
    claimed = Facts(date(1980, 1, 1), care_home=True, invitation=False)
    assert assess(claimed, claims_later, TODAY, "phone").opens_on == FUTURE
    with_list = RuleSet(claims_later.rules, (Window(1, FUTURE, self_declared=True, requires_invitation=True),), ONE)
    assert assess(Facts(date(1980, 1, 1), care_home=True, invitation=True), with_list, TODAY,
                  "phone").opens_on == FUTURE
    proof_only = RuleSet(claims_later.rules, (Window(1, FUTURE),), ONE)
    assert assess(claimed, proof_only, TODAY, "phone").opens_on is None
