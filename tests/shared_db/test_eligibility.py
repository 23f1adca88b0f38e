"""Eligibility is a pure function of facts, rules and today's date."""
from datetime import date

from shared_db.people.eligibility import Facts, Rule, RuleSet, VaccineRule, Window, age_on, assess

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


def test_date_of_birth_decides_which_questions_are_worth_asking():
    young = assess(Facts(date(1990, 1, 1)), RULES, TODAY, "phone")
    assert not young.eligible and young.questions == ("care_home", "occupation")
    answered = assess(Facts(date(1990, 1, 1), care_home=False, occupation=True), RULES, TODAY, "phone")
    assert answered.eligible and answered.group == 1 and answered.vaccines == ("BNT",)


def test_not_yet_tells_when_the_group_opens():
    result = assess(Facts(date(1958, 1, 1), care_home=False, occupation=False), RULES, TODAY, "phone")
    assert not result.eligible and result.reason == "not_yet" and result.opens_on == date(2021, 5, 3)


def test_channel_restriction_of_a_window():
    facts = Facts(date(1948, 1, 1), care_home=False, occupation=False)
    assert assess(facts, RULES, TODAY, "online").eligible
    assert not assess(facts, RULES, TODAY, "phone").eligible


def test_invitation_only_window_asks_for_an_invitation():
    rules = RuleSet(rules=(Rule(1, "occupation"),),
                    windows=(Window(1, date(2021, 3, 1), requires_invitation=True),),
                    vaccines=(VaccineRule("BNT", 16),))
    asked = assess(Facts(date(1980, 5, 5), occupation=True), rules, TODAY, "online")
    assert not asked.eligible and asked.questions == ("invitation",)
    assert assess(Facts(date(1980, 5, 5), occupation=True, invitation=True), rules, TODAY, "online").eligible
    refused = assess(Facts(date(1980, 5, 5), occupation=True, invitation=False), rules, TODAY, "online")
    assert not refused.eligible and refused.reason == "not_eligible"


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
