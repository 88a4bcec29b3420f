"""Continuing-education credits from minutes of presence: pure arithmetic, the same for every page and file.

A scheme counts credits by a unit of minutes (a 50-minute CPE hour, a 60-minute PDU or contact hour), rounded
down, with nothing below a minimum and, above it, only whole increments (halves for CPE, quarters for PDUs).
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

NONE = "none"
CPE_50 = "cpe50"
PDU_60 = "pdu60"
CONTACT_60 = "contact60"
CUSTOM = "custom"


@dataclass(frozen=True)
class CreditScheme:
    key: str
    label: str
    unit_minutes: int
    minimum: Decimal  # credits below this count as none
    increment: Decimal  # above the minimum, credits go up in these steps
    cap_per_class: Decimal | None = None

    @property
    def enabled(self):
        return self.key != NONE


PRESETS = {
    NONE: CreditScheme(NONE, "No credits", 60, Decimal("0"), Decimal("1")),
    # NASBA: 50 minutes make one CPE credit; after the first credit, half credits (25 minutes).
    CPE_50: CreditScheme(CPE_50, "CPE credits", 50, Decimal("1"), Decimal("0.5")),
    # PMI: 60 minutes make one PDU, counted in quarters.
    PDU_60: CreditScheme(PDU_60, "PDUs", 60, Decimal("0.25"), Decimal("0.25")),
    CONTACT_60: CreditScheme(CONTACT_60, "contact hours", 60, Decimal("1"), Decimal("0.5")),
}
PRESET_CHOICES = [
    (NONE, "No credits"),
    (CPE_50, "CPE credits: 50 minutes, halves after the first"),
    (PDU_60, "PDUs: 60 minutes, in quarters"),
    (CONTACT_60, "Contact hours: 60 minutes, halves after the first"),
    (CUSTOM, "Custom"),
]


def _floor_to(value, step):
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def credits_for_minutes(minutes, scheme):
    """Credits for `minutes` of presence in one class (already clipped to the class's run)."""
    if not scheme.enabled or minutes <= 0:
        return Decimal("0")
    units = Decimal(int(minutes)) / Decimal(scheme.unit_minutes)
    if units < scheme.minimum:
        return Decimal("0")
    earned = scheme.minimum + _floor_to(units - scheme.minimum, scheme.increment)
    if scheme.cap_per_class is not None:
        earned = min(earned, scheme.cap_per_class)
    return earned.normalize() if earned else Decimal("0")


def class_credits(*, minutes_present, scheduled_minutes, scheme, poll_factor=Decimal("1")):
    """A student's credits for one class: never more than the class's own scheduled credits, whatever its run.

    `poll_factor` (1, 0.5 or 0) comes from the attendance-check poll rule; the result is rounded down again.
    """
    scheduled = credits_for_minutes(scheduled_minutes, scheme)
    earned = min(credits_for_minutes(min(minutes_present, scheduled_minutes), scheme), scheduled)
    if poll_factor != 1 and earned:
        earned = _floor_to(earned * poll_factor, scheme.increment)
    return earned.normalize() if earned else Decimal("0")


def poll_factor_for(*, answered, asked, full_percent=75, half_percent=50):
    """Attendance-check polls: at least 75% answered for full credit, 50–74% for half, less for none."""
    if not asked:
        return Decimal("1")
    share = answered * 100 / asked
    if share >= full_percent:
        return Decimal("1")
    if share >= half_percent:
        return Decimal("0.5")
    return Decimal("0")
