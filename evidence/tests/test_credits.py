from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.credits import (
    CONTACT_60,
    CPE_50,
    PDU_60,
    PRESETS,
    CreditScheme,
    class_credits,
    credits_for_minutes,
    poll_factor_for,
)

CPE, PDU, CONTACT = PRESETS[CPE_50], PRESETS[PDU_60], PRESETS[CONTACT_60]


@pytest.mark.parametrize(
    "minutes,cpe,pdu,contact",
    [
        (0, "0", "0", "0"),
        (14, "0", "0", "0"),
        (15, "0", "0.25", "0"),
        (49, "0", "0.75", "0"),
        (50, "1", "0.75", "0"),
        (59, "1", "0.75", "0"),
        (60, "1", "1", "1"),
        (74, "1", "1", "1"),
        (75, "1.5", "1.25", "1"),
        (90, "1.5", "1.5", "1.5"),
        (99, "1.5", "1.5", "1.5"),
        (100, "2", "1.5", "1.5"),
    ],
)
def test_presets_at_their_edges(minutes, cpe, pdu, contact):
    assert credits_for_minutes(minutes, CPE) == Decimal(cpe)
    assert credits_for_minutes(minutes, PDU) == Decimal(pdu)
    assert credits_for_minutes(minutes, CONTACT) == Decimal(contact)


def test_custom_scheme_with_a_cap_per_class():
    scheme = CreditScheme("custom", "credits", 45, Decimal("0.5"), Decimal("0.5"), cap_per_class=Decimal("2"))
    assert credits_for_minutes(22, scheme) == 0
    assert credits_for_minutes(23, scheme) == Decimal("0.5")
    assert credits_for_minutes(500, scheme) == Decimal("2")


def test_a_class_that_ran_long_gives_no_more_than_its_scheduled_credits():
    # Scheduled 90 minutes (1.5 CPE); the student stayed 130 minutes of a class that overran.
    assert class_credits(minutes_present=130, scheduled_minutes=90, scheme=CPE) == Decimal("1.5")


def test_a_class_that_ran_short_gives_what_was_attended():
    assert class_credits(minutes_present=60, scheduled_minutes=90, scheme=CPE) == Decimal("1")


@pytest.mark.parametrize("answered,asked,factor", [(3, 4, "1"), (2, 4, "0.5"), (5, 6, "1"), (1, 4, "0"), (0, 0, "1")])
def test_attendance_check_polls_scale_credit(answered, asked, factor):
    assert poll_factor_for(answered=answered, asked=asked) == Decimal(factor)


def test_half_credit_from_polls_is_rounded_down_to_the_increment():
    # 1.5 CPE at half credit is 0.75, rounded down to the half: 0.5.
    assert class_credits(minutes_present=90, scheduled_minutes=90, scheme=CPE, poll_factor=Decimal("0.5")) == Decimal(
        "0.5"
    )


schemes = st.sampled_from([CPE, PDU, CONTACT])


@given(present=st.integers(0, 2000), extra=st.integers(0, 500), scheduled=st.integers(1, 1440), scheme=schemes)
def test_credits_never_exceed_the_scheduled_credits_and_never_fall_when_presence_grows(
    present, extra, scheduled, scheme
):
    ceiling = credits_for_minutes(scheduled, scheme)
    less = class_credits(minutes_present=present, scheduled_minutes=scheduled, scheme=scheme)
    more = class_credits(minutes_present=present + extra, scheduled_minutes=scheduled, scheme=scheme)
    assert less <= more <= ceiling
