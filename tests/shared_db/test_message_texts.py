"""Outgoing texts: every kind in every language, short enough for two SMS segments, no health data."""
from __future__ import annotations

import pytest

from shared_db.messages.texts import LOCALES, TEMPLATES, render, sms_segments
from tests import builders

KINDS = sorted(TEMPLATES)


def test_segment_counter_knows_gsm7_and_ucs2():
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("ä" * 306) == ("GSM-7", 2)  # umlauts are in the GSM-7 basic set
    assert sms_segments("€" * 80) == ("GSM-7", 1) and sms_segments("€" * 81) == ("GSM-7", 2)  # two septets each
    assert sms_segments("ş" * 70) == ("UCS-2", 1)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["de", "en"])
def test_german_and_english_texts_fit_two_gsm7_segments(long_booking, kind, language):
    text = render(kind, language, long_booking)
    assert sms_segments(text) in (("GSM-7", 1), ("GSM-7", 2)), f"{len(text)}: {text}"


@pytest.mark.parametrize("kind", KINDS)
def test_turkish_texts_stay_within_three_segments(long_booking, kind):
    """Turkish needs ş, ı, ğ: UCS-2, 67 characters a segment; two are not enough for date, place and code."""
    encoding, segments = sms_segments(render(kind, "tr", long_booking))
    assert encoding == "UCS-2" and segments <= 3


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", sorted(LOCALES))
def test_texts_carry_date_code_and_no_health_data(long_booking, kind, language):
    text = render(kind, language, long_booking)
    slot = long_booking.second_slot if kind == "reminder_second" else long_booking.first_slot
    assert "123456789" in text and slot.starts_at.astimezone(builders.BERLIN).strftime("%d.%m.") in text
    assert not any(word in text.lower() for word in ("vorerkrank", "priorit", "pflege", "einladung"))
    if kind in ("confirmation", "rebooked"):  # the vaccine is named (issue 12), never why the person got it
        assert long_booking.first_slot.vaccine.name.split(" (")[0] in text


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_a_cancellation_says_why_and_this_hotlines_number(long_booking, language):
    text = render("cancellation", language, long_booking, why="not_on_list", hotline="0521 9876 5430")
    assert "0521 9876 5430" in text and "116117" not in text
    assert {"de": "Einladungsliste", "en": "invitation list", "tr": "davet listesi"}[language] in text


def test_reconfirmation_asks_for_a_reply_only_by_sms(long_booking):
    assert "JA" in render("reconfirm", "de", long_booking, "sms")
    assert "JA" not in render("reconfirm", "de", long_booking, "voice")
